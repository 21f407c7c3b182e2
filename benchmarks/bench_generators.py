"""Generator benchmark: the seam-aware ``patchmatch`` generator against PatchMatch and Telea run on
the equirectangular image, for a nadir cap (a removed tripod).

Prints one table; every method runs in this process on the same panorama and mask. Usage::

    python benchmarks/bench_generators.py                 # 4K side by side, then 8K (ours)
    python benchmarks/bench_generators.py --quick         # 2K side by side, no 8K
    python benchmarks/bench_generators.py --image pano.jpg --degrees 30 --no-peer
    python benchmarks/bench_generators.py --quick --interpolation lanczos
    python benchmarks/bench_generators.py --no-peer --also net,net+patchmatch
    python benchmarks/bench_generators.py --no-peer --previous --scene workshop_stripes --degrees 45

Rows at each size (a real panorama from ../shared/panoramas_hires, or ``--image``, resized to
the size; a synthetic texture without either; ``--scene NAME``: a structured scene of
``pano_inpaint/eval/scenes.py``, rendered at up to 4096 px wide and resized):

* ``pypatchmatch ERP``: the ``pypatchmatch`` wheel (optional ``bench`` extra) on the uint8
  equirectangular image, ``patchmatch.inpaint(erp, mask * 255, patch_size=7)``: what most users
  reach for. Skipped with a note when it is not installed.
* ``telea ERP``: ``cv2.inpaint`` Telea (radius 5) on the equirectangular image.
* ``patchmatch tile``: this generator on the padded down-face tile (``S = W / 4``, padding
  ``S / 8``) with the six-face context, the way the pipeline calls it; only ``inpaint`` is timed
  (the cube conversions are in the ``pipeline`` row). Its fill is written back into the
  panorama for the quality columns.
* ``patchmatch pipeline``: the whole ``pano_inpaint.inpaint(erp, mask, generator="patchmatch")``.
* ``--previous``: the same whole-pipeline row for ``patchmatch`` as it was before its structure
  steps (``structure=False, max_scale_grows=False``: fills bit-identical to that generator's),
  so the cost of the lattice and line fills is measured in the same process.
* ``--also NAMES``: the same whole-pipeline row for other registered generators (``net``,
  ``net+patchmatch``, ``telea``...), each with its own default resampling; a first call on a
  small panorama loads weights and compiles kernels outside the timing.

``--interpolation`` sets how our rows resample between the panorama and the cube (the pipeline's
``cube.interpolation``; ``auto``, the pipeline's default: the generator's own, for ``patchmatch``
bicubic to the tiles and lanczos back). It matters for sharpness: near the nadir the write-back
magnifies the down face, and bilinear sampling there blurs any fill (even a perfect copy of the
truth through bilinear ERP -> cube -> ERP keeps only 0.35-0.75 of its gradient energy); lanczos
keeps 0.85-1.

Columns: wall seconds; CPU seconds of every thread of this process (on a machine shared with
other jobs, wall time grows with their load and CPU time hardly does: compare rows by it there;
with ``NUMBA_NUM_THREADS=1`` it is the work itself); speed-up over pypatchmatch (same size); and
quality inside the hole against the untouched panorama: gradient-energy ratio (1 = as sharp as
the truth, on hole-centred gnomonic faces) and weighted-to-spherical PSNR. Numba compiles the
kernels on the first call (cached on disk afterwards); a small warm-up run before the table
keeps that out of the timings.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import sample_image  # noqa: E402

from pano_inpaint.config import CubeConfig  # noqa: E402
from pano_inpaint.generators import CubeTiles, get_generator  # noqa: E402
from pano_inpaint.geometry import cube_to_erp, erp_to_cube  # noqa: E402
from pano_inpaint.masks import nadir_mask  # noqa: E402
from pano_inpaint.pipeline.cube import cube_interpolation, write_interpolation  # noqa: E402

DOWN = 5


_SCENE_MAX_WIDTH = 4096  # scenes are ray-cast: wider ones are rendered at this and resized


def _load(path: str | None, width: int, scene: str | None = None) -> np.ndarray:
    """RGB uint8 panorama ``(W / 2, W, 3)``: ``path`` resized, a rendered ``scene``, or the
    shared sample image."""
    if scene is not None:
        from pano_inpaint.eval.scenes import render_scene

        img = render_scene(scene, min(width, _SCENE_MAX_WIDTH), supersample=1)
        return np.ascontiguousarray(cv2.resize(img, (width, width // 2),
                                               interpolation=cv2.INTER_LINEAR))
    if path is None:
        return sample_image(width)
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise SystemExit(f"cannot read {path}")
    img = cv2.resize(img[..., ::-1], (width, width // 2), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(img)


def _metrics(result: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> tuple[str, str]:
    """Gradient-energy ratio and WS-PSNR strings (``-`` when the metrics are unavailable)."""
    try:
        from pano_inpaint.eval.metrics import gradient_energy_ratio, ws_psnr
    except ImportError:
        return "-", "-"
    a = result.astype(np.float32) / 255
    b = truth.astype(np.float32) / 255
    ratio = gradient_energy_ratio(a, b, mask)
    psnr = ws_psnr(a, b, mask)
    return ("-" if ratio is None else f"{ratio:.2f}"), ("-" if psnr is None else f"{psnr:.2f}")


def _tiles(erp: np.ndarray, mask: np.ndarray, face_size: int, pad: int,
           interpolation: str = "bilinear") -> CubeTiles:
    """The down-face tile with the six-face context, as the pipeline builds them (8-bit)."""
    faces = erp_to_cube(erp, face_size, pad=pad, interpolation=interpolation)
    faces = faces.astype(np.float32) / 255  # (6, P, P, 3)
    hole = erp_to_cube(mask.view(np.uint8) * np.uint8(255), face_size, pad=pad) > 0
    faces[hole] = 0
    context = CubeTiles(faces, hole, tuple(range(6)), face_size, pad)
    return CubeTiles(faces[[DOWN]].copy(), hole[[DOWN]].copy(), (DOWN,), face_size, pad,
                     source_dtype=np.dtype(np.uint8), context=lambda: context)


def _write_back(erp: np.ndarray, mask: np.ndarray, tile: np.ndarray, face_size: int,
                pad: int, interpolation: str, back: str) -> np.ndarray:
    """The tile's fill resampled into the panorama with ``back`` (the other faces sampled with
    ``interpolation``, as the tile was)."""
    cores = erp_to_cube(erp, face_size, interpolation=interpolation)
    filled = np.clip(np.round(tile[pad : pad + face_size, pad : pad + face_size] * 255), 0, 255)
    cores[DOWN] = filled.astype(np.uint8)
    return cube_to_erp(cores, *mask.shape, mask=mask, out=erp.copy(), interpolation=back)


class _Clock:
    """Wall and CPU seconds (every thread of this process) of a ``with`` block. On a machine
    shared with other jobs the wall time grows with their load; the CPU time hardly does."""

    def __enter__(self) -> _Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def run_size(width: int, args: argparse.Namespace, peer: bool) -> list[dict]:
    erp = _load(args.image, width, args.scene)
    mask = nadir_mask(width // 2, width, args.degrees)
    rows: list[dict] = []

    def add(method: str, clock: _Clock, result: np.ndarray | None) -> None:
        ge, psnr = _metrics(result, erp, mask) if result is not None else ("-", "-")
        rows.append({"size": f"{width}x{width // 2}", "method": method, "seconds": clock.wall,
                     "cpu": clock.cpu, "energy": ge, "psnr": psnr})
        print(f"  {method:22s} {clock.wall:8.2f} s ({clock.cpu:.2f} s CPU)", flush=True)

    if peer:
        try:
            import patchmatch as pypatchmatch
        except ImportError:
            print("  pypatchmatch not installed (pip install pypatchmatch): peer row skipped")
        else:
            with _Clock() as clock:
                result = pypatchmatch.inpaint(erp, mask.astype(np.uint8) * 255,
                                              patch_size=args.patch_size)
            add("pypatchmatch ERP", clock, result)
    with _Clock() as clock:
        result = cv2.inpaint(erp, mask.astype(np.uint8), 5, cv2.INPAINT_TELEA)
    add("telea ERP", clock, result)

    face_size = width // 4
    pad = round(face_size / 8)
    generator = get_generator("patchmatch", patch_size=args.patch_size, seed=args.seed)
    cube = CubeConfig(interpolation=args.interpolation)  # the two ways as the pipeline picks
    sampling = cube_interpolation(cube, generator)
    tiles = _tiles(erp, mask, face_size, pad, sampling)
    with _Clock() as clock:
        filled = generator.inpaint(tiles)
    add("patchmatch tile", clock, _write_back(erp, mask, filled[0], face_size, pad, sampling,
                                              write_interpolation(cube, generator, pad)))

    try:
        from pano_inpaint import PipelineConfig, inpaint
    except ImportError:
        print("  pano_inpaint.inpaint not available: pipeline row skipped")
    else:
        config = PipelineConfig(cube=cube)
        with _Clock() as clock:
            result = inpaint(erp, mask, generator=generator, config=config).image
        add("patchmatch pipeline", clock, result)
        if args.previous:
            previous = get_generator("patchmatch", patch_size=args.patch_size, seed=args.seed,
                                     structure=False, max_scale_grows=False)
            with _Clock() as clock:
                result = inpaint(erp, mask, generator=previous, config=config).image
            add("patchmatch previous", clock, result)
        for name in args.also:
            with _Clock() as clock:
                result = inpaint(erp, mask, generator=name).image
            add(f"{name} pipeline", clock, result)
    return rows


def _print_table(rows: list[dict]) -> None:
    peers = {r["size"]: r["seconds"] for r in rows if r["method"] == "pypatchmatch ERP"}
    print(f"\n{'size':>10s}  {'method':22s} {'seconds':>8s} {'CPU s':>8s} "
          f"{'vs pypatchmatch':>16s} {'energy':>7s} {'WS-PSNR':>8s}")
    for r in rows:
        peer = peers.get(r["size"])
        ratio = f"{peer / r['seconds']:.1f}x faster" if peer and r["method"] != \
            "pypatchmatch ERP" else "-"
        print(f"{r['size']:>10s}  {r['method']:22s} {r['seconds']:8.2f} {r['cpu']:8.2f} "
              f"{ratio:>16s} {r['energy']:>7s} {r['psnr']:>8s}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2048x1024 only (no 8K run)")
    parser.add_argument("--image", help="panorama to use (default: ../shared/panoramas_hires)")
    parser.add_argument("--scene", help="a structured scene of pano_inpaint/eval/scenes.py "
                        "instead (e.g. workshop_stripes)")
    parser.add_argument("--previous", action="store_true",
                        help="also time patchmatch without its structure steps (as before)")
    parser.add_argument("--degrees", type=float, default=25.0, help="nadir cap radius")
    parser.add_argument("--patch-size", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-peer", action="store_true", help="skip pypatchmatch")
    parser.add_argument("--no-8k", action="store_true", help="skip the 8192x4096 run")
    parser.add_argument("--interpolation", default="bilinear",
                        choices=["auto", "bilinear", "bicubic", "lanczos"],
                        help="cube sampling of our rows (the pipeline's cube.interpolation)")
    parser.add_argument("--also", default="", type=lambda text: [n for n in text.split(",") if n],
                        help="more generators timed through the whole pipeline, comma-separated")
    args = parser.parse_args(argv)

    # Warm-up: compile (or load from the numba cache) every kernel on a tiny problem.
    start = time.perf_counter()
    small = _load(args.image, 256, args.scene)
    get_generator("patchmatch").inpaint(_tiles(small, nadir_mask(128, 256, 30), 64, 8))
    # A tiled floor under a 45-degree cap also runs the structure steps' kernels (a lattice
    # and a line fill), which a panorama of natural ground may never call.
    from pano_inpaint import inpaint
    from pano_inpaint.eval.scenes import render_scene

    inpaint(render_scene("hall_tiles", 256, supersample=1), nadir_mask(128, 256, 45),
            generator="patchmatch")
    if args.also:
        for name in args.also:
            inpaint(small, nadir_mask(128, 256, 30), generator=name)
    print(f"warm-up (numba compile or cache load): {time.perf_counter() - start:.1f} s")

    sizes = [(2048 if args.quick else 4096, not args.no_peer)]
    if not (args.quick or args.no_8k):
        sizes.append((8192, False))
    rows: list[dict] = []
    for width, peer in sizes:
        print(f"{width}x{width // 2}, {args.degrees:g}-degree nadir cap:")
        rows += run_size(width, args, peer)
    _print_table(rows)


if __name__ == "__main__":
    main()

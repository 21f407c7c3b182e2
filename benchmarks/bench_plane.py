"""The structure step's floor search (``_plane``): CPU seconds per tile, this checkout against
another, in one process, on the tiles real fills hand it.

The floor step runs on every deep hole a side face sees below (or above) the horizon where the
tile has no lattice of its own, and on most of them finds none: its cost is then all waste.
Here the tiles come from whole fills (``pano_inpaint.inpaint`` with ``patchmatch``) of the
structured scenes (``pano_inpaint.eval.scenes``) and a real panorama under the mask families
that put holes there (wrap, cube-edge, cube-corner): each call of the floor step records its
tile. Then both checkouts' ``_plane.floor_lattice`` runs on every recorded tile, alternating,
and their results are compared array by array (any difference is printed and the exit code is
1). Usage::

    python benchmarks/bench_plane.py [--previous DIR] [--width 1024] [--seeds 0 1] [--repeat 3]
    python benchmarks/bench_plane.py --quick          # two scenes, one seed, this checkout only

``DIR``: another checkout of the project (``git worktree add --detach DIR <ref>``); its
``_plane.py`` and ``_offsets.py`` are loaded from their files under other module names (its
``_plane`` importing its own ``_offsets``). Without it only this checkout's times are printed.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import sample_image  # noqa: E402
from pano_inpaint.generators.patchmatch import _plane, generator  # noqa: E402

_PARTS = "pano_inpaint/generators/patchmatch"


def _load(checkout: Path, name: str, alias: str):
    spec = importlib.util.spec_from_file_location(alias, checkout / _PARTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module
    spec.loader.exec_module(module)
    return module


def _load_plane(checkout: Path):
    """``checkout``'s ``_plane``, bound to its own ``_offsets`` (this one's names may differ)."""
    offsets = _load(checkout, "_offsets", "_previous_offsets")
    name = "pano_inpaint.generators.patchmatch._offsets"
    mine = sys.modules[name]
    try:
        sys.modules[name] = offsets
        return _load(checkout, "_plane", "_previous_plane")
    finally:
        sys.modules[name] = mine


def _record(width: int, seeds: list[int], quick: bool = False) -> list[dict]:
    """The floor step's inputs from whole fills (scenes and a panorama, three families)."""
    from pano_inpaint import inpaint
    from pano_inpaint.eval.scenes import SCENES, render_scene
    from pano_inpaint.masks import families

    calls: list[dict] = []
    original = generator.PatchMatch._plane_lattice

    def recording(self, problem, i, radius):
        calls.append(dict(image=problem.image[i].copy(), hole=problem.hole[i].copy(),
                          face=problem.face_ids[i], face_size=problem.face_size,
                          pad=problem.pad, up=problem.up,
                          strength=self.params.lattice_strength))
        return original(self, problem, i, radius)

    names = ["hall_tiles", "plaza_tiles"] if quick else sorted(SCENES)
    images = {name: render_scene(name, width, supersample=1) for name in names}
    if not quick:
        images["panorama"] = sample_image(width)
    generator.PatchMatch._plane_lattice = recording
    try:
        for erp in images.values():
            for family in ("wrap", "cube_edge", "cube_corner"):
                for seed in seeds:
                    mask = getattr(families, family)(width // 2, width,
                                                     np.random.default_rng(seed))
                    inpaint(erp, mask, generator="patchmatch")
    finally:
        generator.PatchMatch._plane_lattice = original
    return calls


def _floor_step(plane, call: dict):
    """The floor step (``plane.floor_lattice``): the rectified grid, the lattice on it and
    whether it was found nearer the camera; None where it found none."""
    return plane.floor_lattice(call["image"], call["hole"], call["face"], call["face_size"],
                               call["pad"], call["up"], min_strength=call["strength"])


def _searched(call: dict) -> bool:
    """Whether the floor step searches a rectified grid for this tile (this checkout's)."""
    return _plane.rectify(call["image"], call["hole"], call["face"], call["face_size"],
                          call["pad"], call["up"]) is not None


def _arrays(result) -> list[np.ndarray]:
    if result is None:
        return []
    rect, lattice, nearer = result
    return [rect.image, rect.known, rect.hole, rect.to_grid, rect.from_grid, rect.region,
            np.array(rect.ceiling), lattice.offsets, lattice.strength, lattice.along,
            np.array(nearer)]


def _same(a, b) -> bool:
    x, y = _arrays(a), _arrays(b)
    return (a is None) == (b is None) and len(x) == len(y) and all(
        p.shape == q.shape and p.dtype == q.dtype and p.tobytes() == q.tobytes()
        for p, q in zip(x, y, strict=True))


def _cpu(fn, calls, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        start = time.process_time()
        for call in calls:
            fn(call)
        best = min(best, time.process_time() - start)
    return best / max(1, len(calls))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--previous", type=Path, help="another checkout to compare with")
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="two scenes, one seed")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.repeat = args.seeds[:1], 1
    this = _plane
    old = this if args.previous is None else _load_plane(args.previous)
    calls = _record(args.width, args.seeds, args.quick)
    results = [(_floor_step(old, c), _floor_step(this, c)) for c in calls]
    differ = [k for k, (a, b) in enumerate(results) if not _same(a, b)]
    kept = [b is not None for _, b in results]
    rectified = [_searched(c) for c in calls]
    searched = [c for c, r in zip(calls, rectified, strict=True) if r]
    print(f"{len(calls)} floor steps at {args.width} px: {len(searched)} searched a rectified "
          f"grid, {sum(kept)} kept a two-direction lattice"
          + ("" if args.previous is None else f"; {len(differ)} results differ {differ or ''}"))
    groups = [("all", calls), ("searched", searched),
              ("no lattice", [c for c, r, k in zip(calls, rectified, kept, strict=True)
                              if r and not k]),
              ("lattice", [c for c, k in zip(calls, kept, strict=True) if k])]
    print(f"{'tiles':10s} {'n':>4s} {'previous ms':>12s} {'this ms':>9s} {'ratio':>6s}")
    for label, chosen in groups:
        if not chosen:
            continue
        new = _cpu(lambda c: _floor_step(this, c), chosen, args.repeat)
        if args.previous is None:
            print(f"{label:10s} {len(chosen):4d} {'':>12s} {1e3 * new:9.1f}")
            continue
        before = _cpu(lambda c: _floor_step(old, c), chosen, args.repeat)
        print(f"{label:10s} {len(chosen):4d} {1e3 * before:12.1f} {1e3 * new:9.1f} "
              f"{new / before:6.2f}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())

"""Geometry benchmark: ERP <-> cube speed, round-trip quality and memory, against py360convert.

Prints tables; every peer runs in the same process on the same image. Usage::

    python benchmarks/bench_geometry.py            # 2K-8K, PSNR, masked write-back, 16K memory
    python benchmarks/bench_geometry.py --quick    # 2K and 4K only, no 16K memory run

Rows:
* round trip: ``erp_to_cube`` + ``cube_to_erp`` at face size W/4, first call (maps built) and
  cached (best of ``--repeat``), against py360convert 1.0.4 ``e2c`` + ``c2e`` (list format).
* PSNR: round trip of the real panoramas in ../shared/panoramas_hires (if present).
* masked write-back: a 20-degree nadir cap at 8K through ``cube_to_erp(mask=...)`` vs a full one.
* memory: a 16384x8192 RGB uint8 round trip in a fresh process; peak RSS above the loaded image.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import SHARED, best_of, reset_peak_rss, rss_kib, sample_image  # noqa: E402

from pano_inpaint.geometry import (  # noqa: E402
    clear_map_cache,
    cube_to_erp,
    erp_to_cube,
)
from pano_inpaint.masks import nadir_mask  # noqa: E402

SIZES = {"2K": 2048, "4K": 4096, "8K": 8192}


def _best(fn, repeat: int) -> float:
    """Best wall seconds of ``repeat`` calls, the first one included (``repeat=1``: a cold call)."""
    return best_of(fn, repeat, warm_up=False)[0]


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b) ** 2)
    return float(10 * np.log10(255**2 / mse)) if mse > 0 else float("inf")


def bench_round_trip(labels: list[str], repeat: int) -> list[dict]:
    import py360convert

    rows = []
    for label in labels:
        width = SIZES[label]
        erp = sample_image(width)
        h, face = width // 2, width // 4

        def ours(erp=erp, h=h, face=face):
            return cube_to_erp(erp_to_cube(erp, face), h, 2 * h)

        def theirs(erp=erp, h=h, face=face):
            return py360convert.c2e(py360convert.e2c(erp, face, cube_format="list"), h, 2 * h,
                                    cube_format="list")

        clear_map_cache()
        py360convert.utils.EquirecSampler.from_cubemap.cache_clear()
        py360convert.utils.CubeFaceSampler.from_equirec.cache_clear()
        ours_first = _best(ours, 1)
        theirs_first = _best(theirs, 1)
        ours_cached = _best(ours, repeat)
        theirs_cached = _best(theirs, repeat)
        rows.append(dict(size=f"{label} ({width}x{h})", ours_first=ours_first,
                         py360_first=theirs_first, ours_cached=ours_cached,
                         py360_cached=theirs_cached, speedup=theirs_cached / ours_cached))
        clear_map_cache()
    return rows


def bench_psnr() -> list[dict]:
    import py360convert

    rows = []
    for path in sorted((SHARED / "panoramas_hires").glob("*.jpg")):
        erp = np.ascontiguousarray(cv2.imread(str(path), cv2.IMREAD_COLOR)[..., ::-1])
        h, w = erp.shape[:2]
        face = w // 4
        row = {"image": f"{path.name} ({w}x{h})"}
        theirs = py360convert.c2e(py360convert.e2c(erp, face, cube_format="list"), h, w,
                                  cube_format="list")
        row["py360 bilinear"] = _psnr(theirs, erp)
        for interp in ("bilinear", "bicubic", "lanczos"):
            back = cube_to_erp(erp_to_cube(erp, face, interpolation=interp), h, w,
                               interpolation=interp)
            row[f"ours {interp}"] = _psnr(back, erp)
        rows.append(row)
        clear_map_cache()
    return rows


def bench_masked(repeat: int) -> dict:
    """Masked vs full ``cube_to_erp``, both with cached maps and both on a cold cache."""
    width = 8192
    erp = sample_image(width)
    h = width // 2
    faces = erp_to_cube(erp, width // 4)
    mask = nadir_mask(h, width, 20)
    out = erp.copy()
    clear_map_cache()
    full_cold = _best(lambda: cube_to_erp(faces, h, width, out=out), 1)
    full = _best(lambda: cube_to_erp(faces, h, width, out=out), repeat)
    masked = _best(lambda: cube_to_erp(faces, h, width, mask=mask, out=out), repeat)
    clear_map_cache()
    masked_cold = _best(lambda: cube_to_erp(faces, h, width, mask=mask, out=out), 1)
    clear_map_cache()
    rows = mask.any(axis=1).mean()
    return dict(full_cached=full, masked_cached=masked, speedup_cached=full / masked,
                full_cold=full_cold, masked_cold=masked_cold,
                speedup_cold=full_cold / masked_cold, mask_rows_share=float(rows),
                bound_cached=float(1 / rows))


def memory_child(width: int) -> None:
    """Runs in a fresh process: peak RSS of one round trip above the loaded image."""
    h = width // 2
    rng = np.random.default_rng(0)
    erp = np.empty((h, width, 3), np.uint8)
    for r in range(0, h, 512):
        erp[r : r + 512] = rng.integers(0, 256, erp[r : r + 512].shape, dtype=np.uint8)
    before = reset_peak_rss()
    t = time.perf_counter()
    back = cube_to_erp(erp_to_cube(erp, width // 4), h, width)
    seconds = time.perf_counter() - t
    peak = rss_kib("VmHWM")
    del back
    print(json.dumps(dict(image_mb=erp.nbytes / 2**20, extra_mb=(peak - before) / 1024,
                          ratio=(peak - before) * 1024 / erp.nbytes, seconds=seconds)))


def bench_memory(width: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(width)], capture_output=True,
        text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _table(rows: list[dict], floats: str = "{:.3f}") -> str:
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for row in rows:
        cells = [floats.format(v) if isinstance(v, float) else str(v) for v in row.values()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2K and 4K only, skip 16K memory")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        memory_child(args.memory_child)
        return 0

    labels = ["2K", "4K"] if args.quick else ["2K", "4K", "8K"]
    print(f"cv2 threads: {cv2.getNumThreads()}, CPUs: {os.cpu_count()}\n")
    print("## ERP -> cube -> ERP round trip, face size W/4, bilinear (seconds)\n")
    print(_table(bench_round_trip(labels, args.repeat)))
    if (SHARED / "panoramas_hires").is_dir():
        print("\n## Round-trip PSNR (dB) on ../shared/panoramas_hires, face size W/4\n")
        print(_table(bench_psnr(), "{:.2f}"))
    if not args.quick:
        m = bench_masked(args.repeat)
        print("\n## Masked write-back, 20-degree nadir cap at 8192x4096 (seconds)\n")
        print(_table([m]))
        mem = bench_memory(16384)
        print("\n## 16384x8192 RGB uint8 round trip, fresh process\n")
        print(_table([mem], "{:.2f}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

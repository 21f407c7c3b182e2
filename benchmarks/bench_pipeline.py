"""Pipeline benchmark: a nadir-cap fill through ``pano_inpaint.inpaint`` vs cv2.inpaint on the ERP.

Each row runs in a fresh process (so peak memory is that job's own), on a real panorama from
../shared/panoramas_hires resized to the row's size (a textured synthetic one without it).
Usage::

    python benchmarks/bench_pipeline.py             # 2K, 4K, 8K with peers; 16K ours only
    python benchmarks/bench_pipeline.py --quick     # 2K and 4K
    python benchmarks/bench_pipeline.py --generator ns --degrees 25

Columns: seconds of the whole ``inpaint`` call (first call in the process: map building
included) and of ``cv2.inpaint`` Telea run directly on the equirectangular image (how users do it
today; uint8, 3 channels, radius 5), their ratio, and peak RSS above the loaded image.
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

from _common import reset_peak_rss, rss_kib, sample_image  # noqa: E402


def child(width: int, method: str, generator: str, degrees: float) -> None:
    """One timed job in this fresh process; prints a JSON line."""
    from pano_inpaint import inpaint, nadir_mask

    erp = sample_image(width)
    mask = nadir_mask(width // 2, width, degrees)
    before = reset_peak_rss()
    start = time.perf_counter()
    if method == "ours":
        result = inpaint(erp, mask, generator=generator)
        flagged = result.report.flagged
    else:
        cv2.inpaint(erp, mask.astype(np.uint8), 5, cv2.INPAINT_TELEA)
        flagged = []
    seconds = time.perf_counter() - start
    peak = rss_kib("VmHWM")
    print(json.dumps(dict(seconds=seconds, extra_mb=(peak - before) / 1024,
                          image_mb=erp.nbytes / 2**20, flagged=flagged)))


def _run(width: int, method: str, generator: str, degrees: float, timeout: float) -> dict:
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(width), method, generator, str(degrees)],
            capture_output=True, text=True, check=True, timeout=timeout,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    except subprocess.TimeoutExpired:
        return dict(seconds=float("nan"), extra_mb=float("nan"), note=f"> {timeout:.0f}s")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2K and 4K only")
    parser.add_argument("--generator", default="telea")
    parser.add_argument("--degrees", type=float, default=20.0, help="nadir cap radius")
    parser.add_argument("--peer-16k", action="store_true", help="also run cv2 at 16K (slow)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        width, method, generator, degrees = args.child
        child(int(width), method, generator, float(degrees))
        return 0

    widths = [2048, 4096] if args.quick else [2048, 4096, 8192, 16384]
    print(f"## {args.degrees:g}-degree nadir cap: pano_inpaint.inpaint(generator="
          f"{args.generator!r}) vs cv2.inpaint Telea on the ERP (fresh process per cell)\n")
    print("| size | ours s | cv2 ERP s | speed-up | ours peak MB above image | image MB "
          "| cv2 peak MB | flagged |")
    print("|---|---|---|---|---|---|---|---|")
    for width in widths:
        ours = _run(width, "ours", args.generator, args.degrees, 1800)
        run_peer = width < 16384 or args.peer_16k
        peer = (_run(width, "cv2", args.generator, args.degrees, 1800) if run_peer
                else dict(seconds=float("nan"), extra_mb=float("nan")))
        ratio = peer["seconds"] / ours["seconds"] if run_peer else float("nan")
        print(f"| {width}x{width // 2} | {ours['seconds']:.2f} | "
              f"{peer['seconds']:.2f} | {ratio:.2f} | {ours['extra_mb']:.0f} | "
              f"{ours.get('image_mb', 0):.0f} | {peer['extra_mb']:.0f} | "
              f"{','.join(ours.get('flagged', [])) or '-'} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Decompression bombs: how fast, and with how little memory, ``pano-inpaint inpaint`` refuses a
small file that declares a huge image (exit code 3), one per format.

Each file is a valid small file of its format whose header declares the size (``tests/bombs.py``);
the command runs in a fresh process, timed from start to exit (Python start-up and imports
included), its peak memory read from the kernel (``wait4``, in a small launcher process). For
comparison, the same process refusing a missing file (start-up and imports only). "read_image s"
is the refusal alone, in this process (``read_image`` raising; imports done): on a busy machine
start-up dominates the first figure. Usage::

    python benchmarks/bench_bombs.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import run_measured  # noqa: E402
from pano_inpaint.io import ImageReadError, read_image  # noqa: E402
from tests.bombs import write_bomb  # noqa: E402

# JPEG sizes are 16-bit: its bomb declares the largest JPEG there is.
_CASES = [(".png", 100_000, 50_000), (".tif", 100_000, 50_000), (".exr", 100_000, 50_000),
          (".webp", 100_000, 50_000), (".hdr", 100_000, 50_000), (".jpg", 65_535, 65_535),
          (".png", 46_000, 23_000)]


def _refuse(path: Path, folder: Path) -> tuple[int, float, float, str]:
    """Exit code, seconds, peak MB and what the command printed (lines joined: the console
    wraps long messages) for one run of the command."""
    command = [sys.executable, "-m", "pano_inpaint", "inpaint", str(path), "--nadir", "20",
               "-g", "telea", "-q", "-o", str(folder / f"out{path.suffix or '.png'}")]
    code, seconds, peak, output = run_measured(command, cwd=ROOT,
                                               env={**os.environ, "COLUMNS": "300"})
    return code, seconds, peak, " ".join(output.split())


def _refuse_here(path: Path) -> float:
    """Seconds for ``read_image`` to refuse ``path`` in this process."""
    start = time.perf_counter()
    try:
        read_image(path)
    except ImageReadError:
        return time.perf_counter() - start
    raise AssertionError(f"{path} was read")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="PNG, TIFF and EXR only")
    args = parser.parse_args()
    cases = _CASES[:3] if args.quick else _CASES
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        print("| file | declared | file size | exit code | seconds | peak MB | read_image s |")
        print("|---|---|---|---|---|---|---|")
        code, seconds, peak, _ = _refuse(folder / "missing.png", folder)
        print(f"| (a missing file: start-up only) | – | – | {code} | {seconds:.2f} | "
              f"{peak:.0f} | – |")
        for suffix, width, height in cases:
            path = write_bomb(folder, suffix, width, height)
            code, seconds, peak, printed = _refuse(path, folder)
            size = path.stat().st_size
            print(f"| {suffix[1:].upper()} | {width}×{height} | {size / 1024:,.0f} KB | {code} | "
                  f"{seconds:.2f} | {peak:.0f} | {_refuse_here(path):.3f} |", flush=True)
            if code != 3 or "declares" not in printed:
                print(f"  unexpected: {printed}")


if __name__ == "__main__":
    main()

"""Batch benchmark: one batch filled serially, by the process pool and by a local Ray.

The batch is the shipped sample panorama (2048x1024, a real tripod at the nadir) turned by 16
different yaws, saved as JPEG, and filled with a 25-degree nadir cap by the default generator.
Each engine runs the real command line in a fresh process (``pano-inpaint inpaint ... -j 1``,
``-j 2``, ``--engine ray -j 2``), one after the other, into its own folder. Usage::

    python benchmarks/bench_batch.py                 # 16 images: serial, pool, Ray
    python benchmarks/bench_batch.py --quick         # 4 images of 1024x512
    python benchmarks/bench_batch.py --cost          # CPU seconds and peak memory per image by
                                                     # size (the model of a Ray task's memory)

Columns: the command's wall time (process start, imports, pool or Ray start-up included), the
batch's own time (from the summary line: filling, reading and writing), images per second of
each, the peak resident memory of one worker (the largest ``peak_mb`` its manifest records: a
pool or Ray worker's whole process; for serial, the one process), and whether every output is
byte-identical to the serial run's. The load average is printed before and after each run: on a
machine shared with other jobs the times are noisy, the ratios less so.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLE = ROOT / "pano_inpaint" / "data" / "sample_pano.jpg"
MANIFEST = "pano-inpaint-manifest.jsonl"


def make_batch(folder: Path, count: int, width: int) -> None:
    """``count`` JPEG panoramas: the sample resized to ``width`` and turned by count yaws."""
    import cv2

    from pano_inpaint.io import read_image, write_image

    pixels = read_image(SAMPLE).pixels
    if pixels.shape[1] != width:
        pixels = cv2.resize(pixels, (width, width // 2), interpolation=cv2.INTER_AREA)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        write_image(folder / f"pano_{i:02d}.jpg", np.roll(pixels, i * width // count, axis=1))


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def run_engine(name: str, args: list[str], source: Path, out: Path, generator: str) -> dict:
    command = [sys.executable, "-m", "pano_inpaint", "inpaint", str(source), "--nadir", "25",
               "-g", generator, "-o", str(out), "-q", *args]
    before = load()
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{name} failed ({done.returncode}):\n{done.stderr}")
    match = re.search(r"(\d+) filled.* in ([\d.]+)s", " ".join(done.stdout.split()))
    filled, batch_seconds = int(match.group(1)), float(match.group(2))
    records = [json.loads(line) for line in (out / MANIFEST).read_text().splitlines()]
    digests = {Path(r["output"]).name: r["output_sha256"] for r in records}
    for record in records:  # the manifest's hashes are the files' hashes
        path = Path(record["output"])
        assert hashlib.sha256(path.read_bytes()).hexdigest() == record["output_sha256"]
    return {"engine": name, "images": filled, "wall": wall, "batch": batch_seconds,
            "peak_mb": max(r["peak_mb"] or 0 for r in records), "digests": digests,
            "cpu": sum(r["cpu_seconds"] for r in records) / len(records),
            "load": f"{before} -> {load()}"}


def batch_table(count: int, width: int, generator: str, ray: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as scratch:
        source = Path(scratch) / "in"
        make_batch(source, count, width)
        # Compile (or load) numba's PatchMatch kernels into its cache once, outside the timings.
        subprocess.run(
            [sys.executable, "-m", "pano_inpaint", "inpaint", str(source / "pano_00.jpg"),
             "--nadir", "25", "-g", generator, "-o", str(Path(scratch) / "warm.jpg"), "-q"],
            cwd=ROOT, check=True, capture_output=True)
        engines = [("serial (-j 1)", ["-j", "1"]), ("process pool (-j 2)", ["-j", "2"])]
        if ray:
            engines.append(("Ray local (--engine ray -j 2)", ["--engine", "ray", "-j", "2"]))
        rows = [run_engine(name, args, source, Path(scratch) / f"out{i}", generator)
                for i, (name, args) in enumerate(engines)]
    print(f"{count} panoramas of {width}x{width // 2}, 25-degree nadir cap, -g {generator}, "
          f"{os.cpu_count()} cores; load average 1/5/15 min before -> after each run\n")
    print("| engine | images | wall s | batch s | images/s (wall) | images/s (batch) | "
          "CPU s per image | peak MB per worker | same bytes as serial | load |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    reference = rows[0]["digests"]
    for row in rows:
        same = "yes" if row["digests"] == reference else "NO"
        print(f"| {row['engine']} | {row['images']} | {row['wall']:.1f} | {row['batch']:.1f} | "
              f"{row['images'] / row['wall']:.3f} | {row['images'] / row['batch']:.3f} | "
              f"{row['cpu']:.2f} | {row['peak_mb']:.0f} | {same} | {row['load']} |")


def cost_table(generators: list[str], widths: list[int]) -> None:
    """What one image costs a warm worker, by size: each row in a fresh process that fills the
    image twice through the batch runner (the first fill loads numba's kernels and the
    generator, as a worker's first image does) and reports the second's CPU seconds (all
    threads) and wall seconds, and the process's peak resident memory. Memory is fitted as
    base + MB per megapixel: the model of pano_inpaint/engines/memory.py."""
    print(f"{os.cpu_count()} cores, load average {load()} at the start\n")
    print("| generator | size | CPU s per image | wall s | peak MB |")
    print("|---|---|---|---|---|")
    fits = []
    with tempfile.TemporaryDirectory(prefix="bench-cost-") as scratch:
        for width in widths:
            make_batch(Path(scratch) / str(width), 1, width)
        for generator in generators:
            peaks = []
            for width in widths:
                source = Path(scratch) / str(width) / "pano_00.jpg"
                command = [sys.executable, str(Path(__file__).resolve()), "--child", str(source),
                           str(Path(scratch) / f"{generator}_{width}"), generator]
                done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                                      check=True)
                row = json.loads(done.stdout.strip().splitlines()[-1])
                peaks.append(row["peak_mb"])
                print(f"| {generator} | {width}x{width // 2} | {row['cpu_seconds']:.1f} | "
                      f"{row['seconds']:.1f} | {row['peak_mb']:.0f} |", flush=True)
            megapixels = np.array([w * w / 2 / 1e6 for w in widths])
            slope, base = np.polyfit(megapixels, np.array(peaks), 1)
            fits.append((generator, base, slope))
    print("\n| generator | base MB | MB per megapixel |\n|---|---|---|")
    for generator, base, slope in fits:
        print(f"| {generator} | {base:.0f} | {slope:.1f} |")


def child(source: str, out: str, generator: str) -> None:
    """Fill one image twice with the serial engine in this process (threads: one, as a Ray
    task or a pool worker on a busy node has); print the second fill's costs."""
    from pano_inpaint.batch import plan_batch
    from pano_inpaint.config import load_config
    from pano_inpaint.engines import EngineSpec
    from pano_inpaint.engines.threads import limit_threads
    from pano_inpaint.jobs import MaskSpec
    from pano_inpaint.runner import run_batch

    limit_threads(1)
    config = load_config(None, [f"generator.name={generator}"])
    outcomes = []
    for attempt in range(2):
        plan = plan_batch(source, f"{out}_{attempt}.jpg", MaskSpec(nadir_degrees=25), config)
        outcomes += run_batch(plan, EngineSpec(jobs=1)).outcomes
    last = outcomes[-1]
    assert last.ok, last.error
    print(json.dumps({"cpu_seconds": last.cpu_seconds, "seconds": last.seconds,
                      "peak_mb": last.peak_mb}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 images of 1024x512")
    parser.add_argument("--count", type=int, default=16)
    parser.add_argument("--generator", default="patchmatch")
    parser.add_argument("--no-ray", action="store_true", help="skip Ray")
    parser.add_argument("--cost", action="store_true",
                        help="CPU seconds and peak memory per image by size and generator")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.cost:
        generators = ["telea", "patchmatch"] if args.quick else ["telea", "ns", "patchmatch",
                                                                 "net"]
        cost_table(generators, [1024, 2048] if args.quick else [2048, 4096, 8192])
        return
    ray = not args.no_ray and importlib.util.find_spec("ray") is not None
    if args.quick:
        batch_table(4, 1024, args.generator, ray)
    else:
        batch_table(args.count, 2048, args.generator, ray)


if __name__ == "__main__":
    main()

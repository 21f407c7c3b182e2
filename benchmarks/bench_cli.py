"""The whole command line, end to end: ``pano-inpaint --help`` and ``pano-inpaint inpaint
IMAGE.jpg --nadir 25 -o OUT.jpg`` (JPEG in, JPEG out) at 4K and 8K, as a user runs them: start-up,
imports, numba's cached kernels, the read, the fill, the report, the JPEG patch writer.

Each command runs in a fresh process; its wall seconds, CPU seconds (user + system, all its
threads and children) and peak resident MB are read from the kernel when it exits. With
``--previous DIR`` (another checkout of the project, e.g. ``git worktree add --detach DIR
<ref>``) the same commands run there too, alternating with this checkout's, and the outputs are
compared byte for byte. CPU seconds barely move when other jobs share the cores; wall seconds do
(the load average at each start is printed). Run one warm-up fill in a fresh checkout first:
numba compiles its kernels into that checkout's cache on the first fill. The package's bytecode
is compiled before the first command, as an installed package has it (a shell with
``PYTHONDONTWRITEBYTECODE`` set would otherwise compile it in every run: 0.27 s). Usage::

    python benchmarks/bench_cli.py [--widths 4096 8192] [--runs 2] [--previous DIR]
                                   [--image FILE.jpg ...] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import sample_image  # noqa: E402

# Runs the command given as its arguments; prints [exit code, wall s, CPU s, peak MB] as JSON
# (started from this small process so the peak is the command's own).
_LAUNCHER = """
import json, os, subprocess, sys, time
start = time.perf_counter()
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(process.pid, 0)
print(json.dumps([os.waitstatus_to_exitcode(status), time.perf_counter() - start,
                  usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024]))
"""


def _measure(command: list[str], checkout: Path) -> tuple[int, float, float, float, float]:
    """Exit code, wall s, CPU s, peak MB of ``command`` run in ``checkout``, and the 1-minute
    load average when it started."""
    env = dict(os.environ, PYTHONPATH=str(checkout))
    load = os.getloadavg()[0]
    done = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, *command], cwd=checkout,
                          env=env, capture_output=True, text=True, check=True)
    code, wall, cpu, peak = json.loads(done.stdout)
    return code, wall, cpu, peak, load


def _images(widths: list[int], given: list[Path], folder: Path) -> list[tuple[str, Path]]:
    if given:
        return [(path.name, path) for path in given]
    folder.mkdir()
    out = []
    for width in widths:
        path = folder / f"pano{width}.jpg"
        rgb = sample_image(width)
        cv2.imwrite(str(path), rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])
        out.append((f"{width}x{width // 2}", path))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[4096, 8192])
    parser.add_argument("--image", type=Path, nargs="+", default=[],
                        help="JPEG panoramas to use instead of the sample made at --widths")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--degrees", type=float, default=25.0)
    parser.add_argument("--previous", type=Path, help="another checkout to run as well")
    parser.add_argument("--quick", action="store_true", help="one run at 1024x512")
    args = parser.parse_args()
    if args.quick:
        args.widths, args.runs = [1024], 1
    checkouts = [("this", ROOT)] + ([("previous", args.previous.resolve())]
                                    if args.previous else [])
    for _, checkout in checkouts:  # a user's install has its bytecode; measure start-up with it
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(checkout / "pano_inpaint")],
                       check=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        python = sys.executable
        jobs = [("--help", None, [python, "-m", "pano_inpaint", "--help"])]
        for label, image in _images(args.widths, args.image, folder / "in"):
            jobs.append((label, image, None))
        for label, image, command in jobs:
            outputs = {}
            for run in range(args.runs):
                for name, checkout in checkouts[::(-1) ** run]:  # alternate who goes first
                    if image is not None:
                        out = folder / f"{image.stem}_{name}_{run}.jpg"
                        command = [python, "-m", "pano_inpaint", "inpaint", str(image),
                                   "--nadir", str(args.degrees), "-o", str(out), "-q"]
                        outputs.setdefault(name, out)
                    rows.append((label, name, *_measure(command, checkout)))
                    print(f"{label:12s} {name:9s} rc {rows[-1][2]} wall {rows[-1][3]:6.2f} s "
                          f"CPU {rows[-1][4]:6.2f} s peak {rows[-1][5]:7.0f} MB "
                          f"(load {rows[-1][6]:.1f})", flush=True)
            if len(outputs) == 2:
                same = outputs["this"].read_bytes() == outputs["previous"].read_bytes()
                rows.append((label, "outputs", "identical" if same else "DIFFER"))
    print("\n| command | checkout | runs | wall s | CPU s | peak MB | load at start |")
    print("|---|---|---|---|---|---|---|")
    groups: dict[tuple[str, str], list[tuple]] = {}
    for row in rows:
        if row[1] == "outputs":
            continue
        groups.setdefault((row[0], row[1]), []).append(row)
    for (label, name), runs in groups.items():
        codes = {r[2] for r in runs}
        walls, cpus, peaks, loads = ([r[i] for r in runs] for i in (3, 4, 5, 6))
        print(f"| {label} | {name}{'' if codes == {0} else f' (rc {codes})'} | {len(runs)} | "
              f"{min(walls):.2f}-{max(walls):.2f} | {min(cpus):.2f}-{max(cpus):.2f} | "
              f"{max(peaks):.0f} | {min(loads):.1f}-{max(loads):.1f} |")
    for row in rows:
        if row[1] == "outputs":
            print(f"{row[0]}: outputs of the two checkouts {row[2]}")


if __name__ == "__main__":
    main()

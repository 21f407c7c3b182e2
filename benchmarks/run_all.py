"""Run every ``benchmarks/bench_*.py`` one after another and print their tables.

Each benchmark runs in its own process (so one's memory or caches do not colour the next), with
``--quick`` when asked; its output is printed as it was written, under a header, and a summary of
exit codes and wall times ends the run. Usage::

    python benchmarks/run_all.py            # every benchmark at its full size
    python benchmarks/run_all.py --quick    # every benchmark with --quick
    python benchmarks/run_all.py --quick --only geometry,pipeline --timeout 900

Exit code: 0 when every benchmark succeeded, 1 otherwise.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover(only: list[str] | None = None) -> list[Path]:
    """``bench_*.py`` beside this script, sorted; ``only`` keeps names containing a given part."""
    scripts = sorted(HERE.glob("bench_*.py"))
    if only:
        scripts = [s for s in scripts if any(part in s.stem for part in only)]
    return scripts


def run_one(script: Path, quick: bool, timeout: float | None) -> tuple[int, float, str]:
    """Run one benchmark; returns ``(exit code, seconds, combined output)``."""
    command = [sys.executable, str(script), *(["--quick"] if quick else [])]
    start = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=HERE.parent, capture_output=True, text=True,
                              timeout=timeout)
        code, output = done.returncode, done.stdout + (
            f"\n[stderr]\n{done.stderr}" if done.returncode and done.stderr else "")
    except subprocess.TimeoutExpired as exc:
        partial = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        code, output = 124, partial + f"\n[timed out after {timeout:.0f} s]"
    return code, time.perf_counter() - start, output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="pass --quick to every benchmark")
    parser.add_argument("--only", help="comma-separated parts of benchmark names to run")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per benchmark")
    args = parser.parse_args(argv)
    only = [p.strip() for p in args.only.split(",")] if args.only else None
    scripts = discover(only)
    if not scripts:
        print("no benchmarks found", file=sys.stderr)
        return 1
    summary = []
    for script in scripts:
        print(f"\n===== {script.name}{' --quick' if args.quick else ''} =====", flush=True)
        code, seconds, output = run_one(script, args.quick, args.timeout)
        print(output.rstrip(), flush=True)
        summary.append((script.name, code, seconds))
    print("\n===== summary =====")
    print("| benchmark | exit | seconds |\n|---|---|---|")
    for name, code, seconds in summary:
        print(f"| {name} | {code} | {seconds:.1f} |")
    return 0 if all(code == 0 for _, code, _ in summary) else 1


if __name__ == "__main__":
    sys.exit(main())

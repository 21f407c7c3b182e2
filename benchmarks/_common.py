"""Shared by the benchmark scripts: the test image, timings and memory readings."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def sample_image(width: int) -> np.ndarray:
    """A real panorama from ../shared/panoramas_hires resized to ``width`` (RGB uint8), or a
    textured synthetic one when ../shared is absent."""
    candidates = sorted((SHARED / "panoramas_hires").glob("*.jpg"))
    if candidates:
        img = cv2.imread(str(candidates[0]), cv2.IMREAD_COLOR)[..., ::-1]
        return np.ascontiguousarray(cv2.resize(img, (width, width // 2), cv2.INTER_LINEAR))
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (256, 512, 3), dtype=np.uint8)
    return cv2.resize(small, (width, width // 2), interpolation=cv2.INTER_CUBIC)


def best_of(fn: Callable[[], object], repeat: int, *, warm_up: bool = True) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds (all the process's threads) of ``repeat`` runs of
    ``fn``, after one untimed run unless ``warm_up`` is false (to time a first call: caches
    built, torch's first pass). CPU seconds barely move when other jobs share the cores; wall
    seconds do."""
    if warm_up:
        fn()
    walls, cpus = [], []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def rss_kib(field: str) -> int:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def reset_peak_rss() -> int:
    """Make VmHWM start again from the current RSS; returns that RSS in KiB."""
    Path("/proc/self/clear_refs").write_text("5")
    return rss_kib("VmRSS")


# Runs the command given as its arguments; prints [exit code, seconds, peak MB, output] as JSON.
_LAUNCHER = """
import json, os, subprocess, sys, time
start = time.perf_counter()
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
output = process.stdout.read()
_, status, usage = os.wait4(process.pid, 0)
print(json.dumps([os.waitstatus_to_exitcode(status), time.perf_counter() - start,
                  usage.ru_maxrss / 1024, output.decode(errors="replace")]))
"""


def run_measured(command: list[str], *, cwd: Path, env: dict[str, str]
                 ) -> tuple[int, float, float, str]:
    """Run ``command``: its exit code, wall seconds (start to exit), peak resident MB and
    output (stdout and stderr). The kernel counts, in a child's peak, the memory of the process
    it was forked from (this one holds numpy and the test images), so the command is started
    from a small launcher process that reports the figures."""
    done = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, *command], cwd=cwd, env=env,
                          capture_output=True, text=True, check=True)
    code, seconds, peak, output = json.loads(done.stdout)
    return code, seconds, peak, output

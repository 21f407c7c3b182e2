"""Shared by the benchmark scripts: the test image and memory readings."""

from __future__ import annotations

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

"""Finding and reading the ground-truth panoramas of an evaluation.

Images are found with :func:`pano_inpaint.io.list_images` and read with
:func:`pano_inpaint.io.read_rgb`: ``(H, W, 3)`` RGB in the file's dtype (uint8, uint16, or linear
float32 for HDR). Panoramas wider than ``max_width`` are reduced (area
averaging, so no aliasing), which the report states.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import cv2
import numpy as np

from pano_inpaint._checks import all_finite
from pano_inpaint.io import list_images, read_rgb
from pano_inpaint.values import is_hdr

__all__ = ["GroundTruth", "find_panoramas", "load_panorama", "none_readable"]


@dataclass
class GroundTruth:
    """A panorama to evaluate on.

    Attributes:
        name: file name (unique within the run; folder-qualified on clashes).
        path: the file.
        pixels: ``(H, W, 3)`` native pixels (possibly reduced).
        original_size: ``(W, H)`` as stored.
        hdr: True for linear float input.
        clean_nadir: False where the nadir is itself an old fill (not ground truth there).
    """

    name: str
    path: Path
    pixels: np.ndarray
    original_size: tuple[int, int]
    hdr: bool
    clean_nadir: bool = True

    @property
    def reduced(self) -> bool:
        return self.pixels.shape[1] != self.original_size[0]


def find_panoramas(dirs: list[str | Path], limit: int | None = None) -> list[Path]:
    """Image files directly inside ``dirs`` (sorted by name per folder), at most ``limit``.

    Raises:
        FileNotFoundError: a folder that does not exist.
    """
    found = [path for folder in dirs for path in list_images(folder)]
    return found[:limit] if limit else found


def none_readable(dirs: list[str | Path], skipped: list[dict]) -> FileNotFoundError:
    """The error of an evaluation whose panoramas in ``dirs`` were all unreadable: the folders
    and the first three reasons (``skipped``: ``{"image", "reason"}`` per panorama)."""
    reasons = "; ".join(s["reason"] for s in skipped[:3])
    return FileNotFoundError(f"no readable panoramas in {', '.join(map(str, dirs))} ({reasons})")


def load_panorama(
    path: Path, *, max_width: int | None, smeared_nadir: tuple[str, ...] = (),
    name: str | None = None,
) -> GroundTruth:
    """Read one panorama, reduce it to ``max_width`` (even, 2:1) if wider.

    Raises:
        OSError: unreadable file.
        ValueError: not a 2:1 panorama, or NaN or infinite values in it (no ground truth
            there: eval scored fills against them as 100 dB, --network-seams gave ratios of
            NaN for every network).
    """
    pixels = read_rgb(path)
    height, width = pixels.shape[:2]
    if width != 2 * height:
        raise ValueError(f"{path.name} is {width}x{height}, not a 2:1 equirectangular panorama")
    if not all_finite(pixels):
        bad = int(np.count_nonzero(~np.isfinite(pixels).all(axis=-1)))
        raise ValueError(f"{path.name} has {bad} pixels of NaN or infinite values: no ground "
                         "truth there")
    if max_width and width > max_width:
        new_width = max_width - max_width % 2
        pixels = cv2.resize(pixels, (new_width, new_width // 2), interpolation=cv2.INTER_AREA)
    name = name or path.name
    hdr = is_hdr(pixels)
    clean = not any(fnmatch(name, pattern) for pattern in smeared_nadir)
    return GroundTruth(name, path, pixels, (width, height), hdr, clean)

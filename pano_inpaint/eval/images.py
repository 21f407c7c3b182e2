"""Finding and reading the ground-truth panoramas of an evaluation.

Images are read with :func:`pano_inpaint.io.read_image` when that module is present, else with a
small OpenCV reader; either way they come back as ``(H, W, 3)`` RGB in the file's dtype (uint8,
uint16, or linear float32 for HDR). Panoramas wider than ``max_width`` are reduced (area
averaging, so no aliasing), which the report states.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import cv2
import numpy as np

from pano_inpaint.values import is_hdr

__all__ = ["IMAGE_SUFFIXES", "GroundTruth", "find_panoramas", "load_panorama", "read_pixels"]

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".hdr", ".exr", ".tif", ".tiff", ".webp")


def _read_with_opencv(path: Path) -> np.ndarray:
    pixels = cv2.imread(str(path), cv2.IMREAD_ANYDEPTH | cv2.IMREAD_COLOR)
    if pixels is None:
        raise OSError(f"cannot read {path}")
    return np.ascontiguousarray(pixels[..., ::-1])  # BGR -> RGB


def read_pixels(path: str | Path) -> np.ndarray:
    """``(H, W, 3)`` RGB pixels of an image file, in its own dtype (alpha dropped, grey spread).

    Raises:
        OSError: unreadable file.
    """
    path = Path(path)
    try:
        from pano_inpaint.io import read_image
    except ImportError:  # the io package is optional here: fall back to OpenCV
        pixels = _read_with_opencv(path)
    else:
        pixels = read_image(path).pixels
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    return np.ascontiguousarray(pixels[..., :3])


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
    found: list[Path] = []
    for d in dirs:
        folder = Path(d)
        if not folder.is_dir():
            raise FileNotFoundError(f"no such folder: {folder}")
        found += sorted(p for p in folder.iterdir()
                        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    return found[:limit] if limit else found


def load_panorama(
    path: Path, *, max_width: int | None, smeared_nadir: tuple[str, ...] = (),
    name: str | None = None,
) -> GroundTruth:
    """Read one panorama, reduce it to ``max_width`` (even, 2:1) if wider.

    Raises:
        OSError: unreadable file.
        ValueError: not a 2:1 panorama.
    """
    pixels = read_pixels(path)
    height, width = pixels.shape[:2]
    if width != 2 * height:
        raise ValueError(f"{path.name} is {width}x{height}, not a 2:1 equirectangular panorama")
    if max_width and width > max_width:
        new_width = max_width - max_width % 2
        pixels = cv2.resize(pixels, (new_width, new_width // 2), interpolation=cv2.INTER_AREA)
    name = name or path.name
    hdr = is_hdr(pixels)
    clean = not any(fnmatch(name, pattern) for pattern in smeared_nadir)
    return GroundTruth(name, path, pixels, (width, height), hdr, clean)

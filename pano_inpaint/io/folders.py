"""Folders of images: which files in them are images, and reading one as plain RGB.

The one scanner behind ``pano-inpaint inpaint DIR``, the evaluation's and the training's data
folders, so the three agree on what an image is (:data:`SUPPORTED_SUFFIXES`, any case).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pano_inpaint.io.headers import SUPPORTED_SUFFIXES
from pano_inpaint.io.images import read_image

__all__ = ["list_images", "read_rgb"]


def list_images(folder: str | Path) -> list[Path]:
    """Image files directly inside ``folder`` (not its sub-folders), sorted by name.

    Raises:
        FileNotFoundError: ``folder`` is not a folder.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     for name in ("b.JPG", "a.png", "notes.txt"):
        ...         _ = (Path(d) / name).write_bytes(b"")
        ...     [p.name for p in list_images(d)]
        ['a.png', 'b.JPG']
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)


def read_rgb(path: str | Path) -> np.ndarray:
    """``(H, W, 3)`` RGB pixels of an image file in its own dtype (uint8, uint16 or linear
    float32): alpha dropped, grey spread to three channels.

    Raises:
        ImageReadError: unreadable file (an ``OSError``).
    """
    pixels = read_image(path).pixels
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    return np.ascontiguousarray(pixels[..., :3])

"""Folders of images: which files in them are images, and reading one as plain RGB.

The one scanner behind ``pano-inpaint inpaint DIR``, the evaluation's and the training's data
folders, so the three agree on what an image is (:data:`SUPPORTED_SUFFIXES`, any case).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from pano_inpaint.io.headers import SUPPORTED_SUFFIXES
from pano_inpaint.io.images import read_image

__all__ = ["list_images", "read_rgb"]

log = logging.getLogger(__name__)


def list_images(folder: str | Path, *, mask_outputs: bool = False) -> list[Path]:
    """Image files directly inside ``folder`` (not its sub-folders), sorted by name.

    What ``pano-inpaint mask`` wrote there for the images beside them (``NAME_mask.png`` that
    is a mask, ``NAME_preview.jpg`` marked as its preview, beside ``NAME.ext``: see
    :func:`~pano_inpaint.jobs.mask_command_outputs`, the rule inpaint's folders use too) is left
    out with one warning, unless ``mask_outputs``: an evaluation or a training set took them
    for panoramas and photos. A photo named so is listed.

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
    found = sorted(p for p in folder.iterdir()
                   if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
    if mask_outputs:
        return found
    from pano_inpaint.jobs import mask_command_outputs  # jobs imports this module

    written = set(mask_command_outputs(found))
    if written:
        names = ", ".join(p.name for p in sorted(written))
        log.warning("%s: %s not listed: %s 'pano-inpaint mask' wrote for the images beside "
                    "them", folder, names, "files" if len(written) > 1 else "a file")
    return [p for p in found if p not in written]


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

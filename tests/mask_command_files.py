"""A folder as ``pano-inpaint mask shoot/ -o shoot/`` leaves it, with the user's own files
named like mask's beside another panorama (those must be listed as images)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from pano_inpaint.io import ImageMetadata, write_image, write_mask
from pano_inpaint.jobs import preview_metadata


def lay_out_a_shoot(folder: Path) -> None:
    """``shot.png`` with ``shot_mask.png`` (1-bit) and ``shot_preview.jpg`` (1024 x 512,
    marked) as ``mask`` writes them; ``hall.png`` with a photo ``hall_mask.png`` and a camera's
    1024 x 512 ``hall_preview.jpg`` (EXIF Make, no mark)."""
    rng = np.random.default_rng(3)
    panorama = rng.integers(0, 256, (64, 128, 3), dtype=np.uint8)
    write_image(folder / "shot.png", panorama)
    hole = np.zeros((64, 128), bool)
    hole[56:] = True
    write_mask(folder / "shot_mask.png", hole)
    wide = np.repeat(np.repeat(panorama, 8, axis=0), 8, axis=1)  # (512, 1024, 3)
    write_image(folder / "shot_preview.jpg", wide, preview_metadata())
    write_image(folder / "hall.png", np.roll(panorama, 30, axis=1))
    write_image(folder / "hall_mask.png", np.roll(panorama, 60, axis=1))
    camera = Image.Exif()
    camera[271] = "RICOH"  # Make: a camera's file, without the mark
    write_image(folder / "hall_preview.jpg", wide, ImageMetadata(exif=camera.tobytes()))

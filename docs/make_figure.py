"""Render the README's before/after figure from the shipped sample.

    python docs/make_figure.py [--generator NAME]

Shows the nadir as a perspective (gnomonic) view of about 110 degrees, not the stretched
equirectangular image: the input with the tripod, the hole outlined, and the filled result.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from pano_inpaint import inpaint
from pano_inpaint.geometry import erp_to_cube
from pano_inpaint.io import read_image, read_mask, write_image

ROOT = Path(__file__).resolve().parents[1]


def nadir_view(erp: np.ndarray, size: int = 360) -> np.ndarray:
    """A ~110-degree view straight down (the down face, padded)."""
    face = erp.shape[1] // 4
    pad = face // 4
    view = erp_to_cube(erp, face, pad=pad, face_ids=["D"])[0]
    return cv2.resize(view, (size, size), interpolation=cv2.INTER_AREA)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generator", default=None)
    args = parser.parse_args()
    pano = read_image(ROOT / "pano_inpaint" / "data" / "sample_pano.jpg").pixels
    mask = read_mask(ROOT / "pano_inpaint" / "data" / "sample_mask.png", *pano.shape[:2])
    filled = inpaint(pano, mask, generator=args.generator).image
    before, after = nadir_view(pano), nadir_view(filled)
    hole = nadir_view(mask.astype(np.uint8) * 255) > 127
    outlined = before.copy()
    contours, _ = cv2.findContours(hole.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(outlined, contours, -1, (255, 40, 40), 2)
    gap = np.full((before.shape[0], 8, 3), 255, np.uint8)
    figure = np.concatenate([before, gap, outlined, gap, after], axis=1)
    write_image(ROOT / "docs" / "before_after.jpg", figure, overwrite=True, quality=85)


if __name__ == "__main__":
    main()

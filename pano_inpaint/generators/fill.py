"""The floor every real generator must beat: fill each hole with the mean of its known border."""

from __future__ import annotations

from typing import ClassVar

import cv2
import numpy as np

from pano_inpaint.generators.base import CubeTiles
from pano_inpaint.generators.registry import register_generator

__all__ = ["MeanFill"]

_MAX_BORDER = 256  # pixels; 85 times the default


@register_generator
class MeanFill:
    """Mean of the known pixels bordering each hole (a reference floor, not for real use)."""

    name: ClassVar[str] = "mean"

    def __init__(self, *, border: int = 3) -> None:
        if border < 1:  # -1 failed the fill as the image's fault (exit 3, "negative dimensions")
            raise ValueError(f"border must be >= 1 (pixels around the hole), got {border}")
        if border > _MAX_BORDER:  # its kernel is (2 border + 1)^2 pixels: 10**9 never allocates
            raise ValueError(f"border must be at most {_MAX_BORDER} pixels, got {border}")
        self.border = int(border)

    def inpaint(self, tiles: CubeTiles) -> np.ndarray:
        out = tiles.image.copy()
        kernel = np.ones((2 * self.border + 1,) * 2, np.uint8)
        for i in range(out.shape[0]):
            hole = tiles.mask[i].astype(np.uint8)
            if not hole.any():
                continue
            count, labels = cv2.connectedComponents(hole, connectivity=8)
            for label in range(1, count):
                region = (labels == label).astype(np.uint8)
                ring = cv2.dilate(region, kernel).astype(bool) & ~tiles.mask[i]
                known = out[i][ring] if ring.any() else out[i][~tiles.mask[i]]
                out[i][region.astype(bool)] = known.mean(axis=0) if known.size else 0.5
        return tiles.to_values(out)

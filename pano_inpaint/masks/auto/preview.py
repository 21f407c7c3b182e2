"""What a found mask looks like: the nadir seen from the camera, the mask tinted and outlined.

The preview is a wide nadir view (the down face padded by half a face: 126 degrees across, 141 to
the corners), the form in which a user can judge a rig mask at a glance (the equirectangular image
smears the nadir over its bottom rows). Left: the panorama; right: the same with the mask tinted
magenta and outlined. A find that was not taken (a doubtful detection the image does not back)
is only outlined, in yellow: nothing there will be filled unless the user forces it.
"""

from __future__ import annotations

import cv2
import numpy as np

from pano_inpaint.geometry.nadir import NadirView

__all__ = ["PREVIEW_VIEW", "outline_hole", "preview_image"]

PREVIEW_VIEW = NadirView(256, 128)
_MAGENTA = np.array([255, 0, 255], np.uint8)
_YELLOW = np.array([255, 255, 0], np.uint8)


def outline_hole(image: np.ndarray, hole: np.ndarray, *, tint: bool = True,
                 colour: np.ndarray = _MAGENTA) -> np.ndarray:
    """``image`` ``(h, w, 3)`` uint8 with ``hole`` ``(h, w)`` bool tinted (optional) and outlined
    in ``colour`` (RGB, magenta); a new array."""
    out = image.copy()
    if tint:
        out[hole] = (0.5 * out[hole] + 0.5 * colour).astype(np.uint8)
    contours, _ = cv2.findContours(hole.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(out, contours, -1, tuple(int(c) for c in colour), 1)
    return out


def preview_image(display: np.ndarray, mask: np.ndarray,
                  rejected: np.ndarray | None = None) -> np.ndarray:
    """Side-by-side nadir views of a panorama without and with its mask.

    Args:
        display: ``(H, W, 3)`` display-referred panorama: uint8, or float32 in ``[0, 1]``.
        mask: ``(H, W)`` bool.
        rejected: ``(H, W)`` bool, a find that was not taken (outlined in yellow), or None.

    Returns:
        ``(s, 2 s, 3)`` uint8 RGB.

    Example:
        >>> from pano_inpaint.masks import nadir_mask
        >>> preview_image(np.zeros((64, 128, 3), np.uint8), nadir_mask(64, 128, 20)).shape
        (512, 1024, 3)
    """
    view = PREVIEW_VIEW.from_erp(display)
    if view.dtype != np.uint8:
        view = np.clip(np.rint(view * 255), 0, 255).astype(np.uint8)
    hole = PREVIEW_VIEW.from_erp(mask.view(np.uint8), interpolation="nearest") > 0
    shown = outline_hole(view, hole)
    if rejected is not None and rejected.any():
        found = PREVIEW_VIEW.from_erp(rejected.view(np.uint8), interpolation="nearest") > 0
        shown = outline_hole(shown, found, tint=False, colour=_YELLOW)
    return np.concatenate([view, shown], axis=1)

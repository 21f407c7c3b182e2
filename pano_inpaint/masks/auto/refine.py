"""Edge-aware refinement of a coarse probability: the guided filter.

The detectors see the nadir at a modest resolution (about 0.7 degrees a pixel); the panorama may
resolve a tenth of that. Upsampling the probability alone gives soft, blocky edges that either
miss the rig's rim or eat ground. The guided filter (K. He, J. Sun, X. Tang, "Guided Image
Filtering", ECCV 2010) fits, in every window of the full-resolution image, the probability as a
linear function of the image's brightness, so the output's edges follow the image's edges where
the coarse probability changes, and stay where they are elsewhere. It costs a few box filters,
independent of the window's size.

References: K. He, J. Sun, X. Tang, "Guided Image Filtering", ECCV 2010 / TPAMI 2013.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["guided_filter"]


def guided_filter(guide: np.ndarray, source: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Filter ``source`` with the edges of ``guide`` (both ``(h, w)`` float32).

    Args:
        guide: the image whose edges the output follows (grey, about ``[0, 1]``).
        source: the values to filter (a probability).
        radius: window radius in pixels (the window is ``2 r + 1`` wide).
        eps: regularisation: edges with a variance well above ``eps`` are kept, flatter
            windows are smoothed.

    Returns:
        ``(h, w)`` float32.

    Example:
        >>> guide = np.zeros((32, 32), np.float32); guide[:, 16:] = 1
        >>> coarse = np.zeros((32, 32), np.float32); coarse[:, 12:] = 1  # edge 4 px off
        >>> out = guided_filter(guide, cv2.blur(coarse, (9, 9)), 6, 1e-3)
        >>> bool(out[:, 16].min() - out[:, 15].max() > 0.4)  # the step moved onto the edge
        True
    """
    size = (2 * radius + 1, 2 * radius + 1)

    def mean(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, cv2.CV_32F, size, borderType=cv2.BORDER_REFLECT)

    guide = guide.astype(np.float32, copy=False)
    source = source.astype(np.float32, copy=False)
    mean_g = mean(guide)
    mean_s = mean(source)
    var_g = mean(guide * guide) - mean_g * mean_g
    cov = mean(guide * source) - mean_g * mean_s
    a = cov / (var_g + np.float32(eps))
    b = mean_s - a * mean_g
    return mean(a) * guide + mean(b)

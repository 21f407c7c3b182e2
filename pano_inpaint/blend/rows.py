"""A fill that follows the panorama's rows across smooth ground (a clear sky, a plain wall).

A row of the equirectangular image is a circle of one elevation, and what is smooth round a
hole on both ends of a row (a sky's gradient, a haze over the horizon, an evenly lit wall)
varies along it far less than across it: a sky's colour is mostly a function of elevation. A
fill made on cube faces holds such a gradient only to a level or two: the faces' copies come
from other elevations, and the resampling to the faces and back blurs it; on a rendered sky the
fill was 50-56 dB where copies along the rows themselves (PyPatchMatch on the equirectangular
image) are 59-62, with blotches of 1-3 levels that a steep tone curve or an exposure change
shows.

So each run of hole pixels along a row whose two ends are smooth known pixels is compared
with the straight line between those ends (the mean of a few known pixels at each end), and
where the fill already lies within a few levels of that line it is moved onto it: fully
within ``near``, not at all from ``far`` (a fill that departs from the line holds something
the line does not: an edge, a cloud, the other side of an object). The known pixels never
change, and neither does a fill that is not smooth ground from end to end.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["follow_smooth_rows"]

# Known pixels averaged at each end of a run (px along the row).
ENDS = 4
# A known pixel is smooth where no channel lies further than this from the mean of its known
# neighbours (a Gaussian of 1 px): a rendered sky's 8-bit steps lie within 0.002, a
# photograph's clear sky within 0.004, grass, gravel and brick 0.02 and more.
SMOOTH = 0.006


def _known_mean(work: np.ndarray, known: np.ndarray, sigma: float) -> np.ndarray:
    """``(h, W, C)`` the mean of ``work`` over the known pixels near each pixel (a Gaussian of
    ``sigma``), the columns wrapped (the band is a whole ring of rows)."""
    pad = int(np.ceil(3 * sigma)) + 1
    weight = np.concatenate([known[:, -pad:], known, known[:, :pad]], axis=1).astype(np.float32)
    values = np.concatenate([work[:, -pad:], work, work[:, :pad]], axis=1) * weight[..., None]
    num = cv2.GaussianBlur(values, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    den = cv2.GaussianBlur(weight, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    mean = num.reshape(values.shape) / np.maximum(den, 1e-6)[..., None]
    return mean[:, pad:-pad]


def follow_smooth_rows(work: np.ndarray, hole: np.ndarray, near: float, far: float
                       ) -> np.ndarray:
    """Move the fill of ``hole`` (``(h, W)`` bool) in ``work`` (``(h, W, C)`` float32, a band
    of whole rows, hole pixels filled; changed in place) onto the line between each row run's
    two smooth known ends, with weight 1 where the fill lies within ``near`` of the line
    (every channel) falling to 0 at ``far``. Runs wrap round the row's ends; a row that is all
    hole, and a run with an end that is not smooth or not known for :data:`ENDS` px, keep
    their fill. Returns ``(h,)`` bool: the rows it changed.

    Example:
        >>> sky = np.repeat(np.linspace(0.40, 0.44, 8, dtype=np.float32)[:, None], 32, axis=1)
        >>> hole = np.zeros((8, 32), bool); hole[2:6, 10:20] = True
        >>> work = sky[..., None].copy(); work[hole] += 0.01
        >>> follow_smooth_rows(work, hole, 0.02, 0.04).nonzero()[0].tolist()
        [2, 3, 4, 5]
        >>> bool(np.allclose(work[..., 0], sky, atol=1e-6))
        True
    """
    height, width = hole.shape
    known = ~hole
    changed = np.zeros(height, bool)
    if width <= 2 * ENDS:
        return changed
    detail = np.abs(work - _known_mean(work, known, 1.0)).max(axis=2)
    smooth = known & (detail <= SMOOTH)
    for y in np.flatnonzero(hole.any(axis=1) & known.any(axis=1)):
        # Columns from a known one, so no run wraps past the array's end.
        shift = int(np.argmax(known[y]))
        columns = (np.arange(width) + shift) % width
        row = hole[y, columns]
        edges = np.diff(row.astype(np.int8))
        starts = np.flatnonzero(edges == 1) + 1
        ends = np.flatnonzero(edges == -1)
        if row[-1]:
            ends = np.append(ends, width - 1)
        if not starts.size:
            continue
        offsets = np.arange(1, ENDS + 1)
        left = columns[(starts[:, None] - offsets) % width]  # (runs, ENDS) known columns
        right = columns[(ends[:, None] + offsets) % width]
        usable = smooth[y, left].all(axis=1) & smooth[y, right].all(axis=1)
        if not usable.any():
            continue
        starts, ends = starts[usable], ends[usable]
        low = work[y, left[usable]].mean(axis=1)  # (runs, C)
        high = work[y, right[usable]].mean(axis=1)
        lengths = ends - starts + 1
        run = np.repeat(np.arange(starts.size), lengths)
        position = np.arange(run.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        # The ends' means stand at the middle of their ENDS pixels.
        t = ((position + (ENDS + 1) / 2) / (lengths[run] + ENDS))[:, None]
        line = (1 - t) * low[run] + t * high[run]
        target = columns[np.repeat(starts, lengths) + position]
        fill = work[y, target]
        weight = np.clip((far - np.abs(line - fill).max(axis=1)) / (far - near), 0.0, 1.0)
        work[y, target] = fill + weight[:, None] * (line - fill)
        changed[y] = bool(weight.any())
    return changed

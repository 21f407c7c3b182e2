"""Feathered colour matching inside the hole edge.

A texture fill copied from elsewhere can be a shade off from the pixels around the hole (a patch
from a sunlit spot placed next to shade). This removes such low-frequency steps without touching
texture: the local mean colour just outside the hole and just inside it are compared along the
edge, the difference is spread a little into the hole and added with a weight that is 1 at the
edge and falls to 0 ``feather`` pixels inside. Known pixels are never changed.

The correction is smooth (Gaussian of ``feather / 2``), so it is computed on a copy shrunk by
about ``feather / 4`` and enlarged again; only the final weighting runs at full resolution. Works
on a horizontal band of the panorama with the columns wrapped, so holes crossing the wrap-around
line are treated as one.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["match_boundary_colour", "match_boundary_colour_rows"]


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    # cv2 drops a trailing channel axis of length 1; put it back.
    return cv2.GaussianBlur(x, (0, 0), sigma, borderType=cv2.BORDER_REFLECT).reshape(x.shape)


def _local_mean(
    values: np.ndarray, weight: np.ndarray, sigma: float
) -> tuple[np.ndarray, np.ndarray]:
    num = _blur(values * weight[..., None], sigma)
    den = _blur(weight, sigma)
    return num / np.maximum(den, 1e-6)[..., None], den


def _shrink(x: np.ndarray, factor: int) -> np.ndarray:
    if factor == 1:
        return x
    h, w = x.shape[:2]
    size = (max(1, w // factor), max(1, h // factor))
    return cv2.resize(x, size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0],
                                                                     *x.shape[2:])


def _edge_rings(holes: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``width``-pixel rings just outside and just inside the edges of ``holes`` (``(h, w)``
    uint8 0/1), as float32 0/1: a dilation and an erosion by a disc, worked out only on the
    rows within ``width`` of a row holding an edge (a pixel of each kind, or a change from the
    next row); elsewhere every disc sees one value and both rings are empty. Each morphology
    runs on those rows and ``width`` more each side, so the disc never reaches past what it
    is given: the rings are those of the whole band, exactly."""
    outer = np.zeros(holes.shape, np.float32)
    inner = np.zeros(holes.shape, np.float32)
    mixed = holes.min(axis=1) != holes.max(axis=1)
    steps = holes[1:, 0] != holes[:-1, 0]  # rows that are not mixed and differ from the next
    edges = np.flatnonzero(mixed | np.r_[steps, False] | np.r_[False, steps])
    if not edges.size:
        return outer, inner
    height = holes.shape[0]
    # A disc wider than the band reaches all of it from every pixel, as any wider one does:
    # blend.feather=16384 on a 128-wide panorama took a 10923-wide disc (seconds a pass).
    width = min(width, height + holes.shape[1])
    r0, r1 = max(0, edges[0] - width), min(height, edges[-1] + width + 1)  # rows to work out
    c0, c1 = max(0, r0 - width), min(height, r1 + width)  # and what their discs read
    part = holes[c0:c1]
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1,) * 2)
    rows = slice(r0 - c0, r1 - c0)
    outer[r0:r1] = (cv2.dilate(part, kernel) & ~part & 1)[rows]
    inner[r0:r1] = (part & ~cv2.erode(part, kernel, borderType=cv2.BORDER_REPLICATE) & 1)[rows]
    return outer, inner


def match_boundary_colour(band: np.ndarray, hole: np.ndarray, feather: int) -> np.ndarray:
    """Correct the fill's colour near the hole edge, in place.

    Args:
        band: ``(h, W, C)`` float32 rows of the filled panorama (full width: columns wrap).
        hole: ``(h, W)`` bool, the filled pixels.
        feather: width in pixels of the correction inside the edge.

    Returns:
        ``band`` with hole pixels corrected.
    """
    match_boundary_colour_rows(band, hole, feather)
    return band


def match_boundary_colour_rows(band: np.ndarray, hole: np.ndarray, feather: int) -> slice:
    """:func:`match_boundary_colour`, returning the rows of ``band`` it may have changed (an
    empty slice if none): every other row keeps its values exactly, so a caller converting
    the band need only convert those rows back (a cap's rows deeper than ``feather``: most).

    Example:
        >>> band = np.full((40, 80, 3), 0.5, np.float32)
        >>> hole = np.zeros((40, 80), bool)
        >>> hole[10:] = True
        >>> band[hole] = 0.2
        >>> match_boundary_colour_rows(band, hole, 4)
        slice(10, 14, None)
    """
    if feather < 1 or not hole.any() or hole.all():
        return slice(0, 0)
    height, width = hole.shape
    wrap = min(width, 3 * feather)
    # Wrap the columns so the wrap-around line is an ordinary place in the band.
    values = np.concatenate([band[:, -wrap:], band, band[:, :wrap]], axis=1)
    holes = np.concatenate([hole[:, -wrap:], hole, hole[:, :wrap]], axis=1).astype(np.uint8)
    outer, inner = _edge_rings(holes, max(1, feather // 3))

    factor = max(1, min(feather // 4, height // 8))
    small, small_outer, small_inner = (_shrink(x, factor) for x in (values, outer, inner))
    sigma = max(1.0, feather / 2 / factor)
    known_mean, known_w = _local_mean(small, small_outer, sigma)
    fill_mean, fill_w = _local_mean(small, small_inner, sigma)
    both = ((known_w > 1e-3) & (fill_w > 1e-3)).astype(np.float32) * small_inner
    offset, _ = _local_mean(known_mean - fill_mean, both, sigma)
    if factor > 1:
        offset = cv2.resize(offset, (values.shape[1], values.shape[0]),
                            interpolation=cv2.INTER_LINEAR).reshape(values.shape)

    distance = cv2.distanceTransform(holes, cv2.DIST_L2, 3)
    weight = np.clip(1 - (distance - 0.5) / feather, 0, 1) * holes
    core = slice(wrap, wrap + width)
    # Only the rows within ``feather`` of the edge get a weight (a cap's deeper rows none):
    # the correction is added there alone, which leaves every other pixel as it is, exactly.
    rows = np.flatnonzero((weight[:, core] > 0).any(axis=1))
    if not rows.size:
        return slice(0, 0)
    near = slice(int(rows[0]), int(rows[-1]) + 1)
    corrected = band[near] + offset[near, core] * weight[near, core, None]
    np.copyto(band[near], corrected, where=hole[near, :, None])
    return near

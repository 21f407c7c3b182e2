"""Brush strokes painted on a perspective view -> equirectangular mask pixels, exactly.

A stroke is a polyline in viewport pixels with a round brush of ``radius`` pixels, drawn on the
view :class:`~pano_inpaint.geometry.perspective.PerspectiveView` shows. An equirectangular pixel
is covered when its centre direction projects in front of the camera, inside the viewport, and
within ``radius`` of the polyline: the hole is what the user saw painted, whatever the
panorama's resolution. Only the pixels near the stroke are projected (boxes on the sphere
derived from the brush's angular reach), so a stroke costs the same on a 2K and a 16K mask.

Convention: see :mod:`pano_inpaint.geometry.perspective`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from pano_inpaint.geometry.perspective import PerspectiveView, view_pixel_to_xyz
from pano_inpaint.geometry.sphere import erp_pixel_to_lonlat, lonlat_to_xyz, xyz_to_lonlat

__all__ = ["StrokeBlock", "stroke_blocks"]

_SEGMENTS_PER_CHUNK = 8  # consecutive segments evaluated on one shared set of pixels
_TILE = 16  # pixels near a stroke are found by culling tiles of TILE x TILE pixels


@dataclass(frozen=True)
class StrokeBlock:
    """The covered pixels of a box of the mask: ``mask[rows][:, cols][covered]``.

    Attributes:
        rows: a slice of mask rows.
        cols: ``(n,)`` column indices (a box across the wrap-around line is not contiguous).
        covered: ``(rows, n)`` bool.
    """

    rows: slice
    cols: np.ndarray
    covered: np.ndarray


def _segment_distance2(
    qx: np.ndarray, qy: np.ndarray, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """Squared distance of points ``(qx, qy)`` to the segment ``a``-``b`` (``(2,)`` each)."""
    dx, dy = qx - a[0], qy - a[1]
    d = b - a
    length2 = float(d @ d)
    if length2 > 0:
        t = np.clip((dx * d[0] + dy * d[1]) / length2, 0.0, 1.0)
        dx -= t * d[0]
        dy -= t * d[1]
    return dx * dx + dy * dy


def _project_pixels(
    rows: slice, cols: np.ndarray, view: PerspectiveView, height: int, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`xyz_to_view_pixel` of the centres of ``mask[rows][:, cols]``, ``(r, n)`` each.

    Same maths, written separably: a pixel's direction is ``cos(lat) (sin lon, 0, cos lon) +
    sin(lat) (0, 1, 0)``, so each camera coordinate is a per-column term times a per-row term
    plus a per-row term (no ``(r, n, 3)`` array on large masks).
    """
    lon, lat = erp_pixel_to_lonlat(cols, np.arange(rows.start, rows.stop), height, width)
    r = view.rotation  # camera coordinate k = column k of R dotted with the direction
    cos_lat, sin_lat = np.cos(lat)[:, None], np.sin(lat)[:, None]
    sin_lon, cos_lon = np.sin(lon)[None, :], np.cos(lon)[None, :]
    camera = [cos_lat * (r[0, k] * sin_lon + r[2, k] * cos_lon) + r[1, k] * sin_lat
              for k in range(3)]
    in_front = camera[2] > 0
    f = view.focal
    with np.errstate(divide="ignore", invalid="ignore"):
        depth = np.where(in_front, camera[2], np.nan)
        x = view.width / 2 + f * camera[0] / depth
        y = view.height / 2 - f * camera[1] / depth
    return x, y, in_front


def _box(
    samples: np.ndarray, reach: float, height: int, width: int
) -> tuple[slice, np.ndarray] | None:
    """Rows and columns of every pixel whose centre is within ``reach`` radians of a direction
    of ``samples`` (``(n, 3)``, ordered along the stroke so longitudes can be unwrapped)."""
    lon, lat = xyz_to_lonlat(samples)
    lat_lo, lat_hi = lat.min() - reach, lat.max() + reach
    # Row y has its centre at lat = (0.5 - (y + 0.5) / H) pi.
    y0 = max(0, int(np.floor((0.5 - lat_hi / np.pi) * height - 0.5)))
    y1 = min(height, int(np.ceil((0.5 - lat_lo / np.pi) * height - 0.5)) + 1)
    if y0 >= y1:
        return None
    widest = np.abs(lat).max()
    if widest + reach >= np.pi / 2:  # the reach covers a pole: every longitude
        return slice(y0, y1), np.arange(width)
    spread = np.arcsin(min(1.0, np.sin(reach) / np.cos(widest)))
    unwrapped = np.unwrap(lon)
    lon_lo, lon_hi = unwrapped.min() - spread, unwrapped.max() + spread
    if lon_hi - lon_lo >= 2 * np.pi:
        return slice(y0, y1), np.arange(width)
    x0 = int(np.floor((lon_lo / (2 * np.pi) + 0.5) * width - 0.5))
    x1 = int(np.ceil((lon_hi / (2 * np.pi) + 0.5) * width - 0.5))
    cols = np.arange(x0, x1 + 1) % width
    return slice(y0, y1), np.unique(cols) if x1 - x0 + 1 > width else cols


def _near(
    samples: np.ndarray, reach: float, height: int, width: int
) -> Iterator[tuple[slice, np.ndarray]]:
    """Rows and columns holding every pixel within ``reach`` radians of ``samples``, as runs of
    ``_TILE`` rows, each with the columns of its tiles that can reach a sample."""
    box = _box(samples, reach, height, width)
    if box is None:
        return
    rows, cols = box
    starts = np.arange(0, len(cols), _TILE)
    centres = cols[np.minimum(starts + _TILE // 2, len(cols) - 1)]
    # A tile's pixels are at most TILE / 2 rows and columns from its centre pixel: within
    # TILE / 2 * pi / H radians along the meridian plus as much along the parallel (W = 2 H);
    # half as much again for safety.
    tile_reach = 1.5 * _TILE * np.pi / height
    for r0 in range(rows.start, rows.stop, _TILE):
        r1 = min(r0 + _TILE, rows.stop)
        lon, lat = erp_pixel_to_lonlat(centres, min(r0 + _TILE // 2, r1 - 1), height, width)
        cos_angle = (lonlat_to_xyz(lon, lat) @ samples.T).max(axis=1)  # (tiles,)
        keep = cos_angle >= np.cos(min(np.pi, reach + tile_reach))
        if keep.any():
            picked = np.concatenate([cols[s : s + _TILE] for s in starts[keep]])
            yield slice(r0, r1), picked


def _chunks(points: np.ndarray) -> Iterator[np.ndarray]:
    """Runs of ``_SEGMENTS_PER_CHUNK`` segments (``k + 1`` points) sharing their end points."""
    if len(points) == 1:
        yield points
        return
    for start in range(0, len(points) - 1, _SEGMENTS_PER_CHUNK):
        yield points[start : start + _SEGMENTS_PER_CHUNK + 1]


def stroke_blocks(
    height: int,
    width: int,
    view: PerspectiveView,
    points: Sequence[Sequence[float]] | np.ndarray,
    radius: float,
) -> list[StrokeBlock]:
    """The equirectangular pixels a brush stroke on ``view`` covers.

    Args:
        height, width: mask size, ``W == 2 * H``.
        view: the perspective view the stroke was painted on.
        points: ``(n, 2)`` polyline ``(x, y)`` in viewport pixels, ``n >= 1`` (one point: a dab).
        radius: brush radius in viewport pixels, ``> 0``.

    Returns:
        Blocks whose ``covered`` pixels are the stroke (blocks may overlap).

    Raises:
        ValueError: bad points or radius.

    Convention: see :mod:`pano_inpaint.geometry.perspective`.

    Example:
        >>> view = PerspectiveView(0.0, -np.pi / 2, np.radians(90), 100, 100)
        >>> blocks = stroke_blocks(64, 128, view, [[50, 50]], 10)
        >>> mask = np.zeros((64, 128), bool)
        >>> for b in blocks:
        ...     mask[b.rows, b.cols] |= b.covered
        >>> int(mask[-1].sum()), bool(mask[:58].any())  # a cap around the nadir
        (128, False)
    """
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) == 0 or not np.isfinite(pts).all():
        raise ValueError(f"points must be a non-empty (n, 2) array of finite numbers, got "
                         f"shape {pts.shape}")
    radius = float(radius)
    if not (np.isfinite(radius) and radius > 0):
        raise ValueError(f"brush radius must be > 0 pixels, got {radius}")
    f = view.focal
    blocks = []
    for chunk in _chunks(pts):
        # Directions along the polyline every `radius` pixels: every covered screen point is
        # within radius + step / 2 of one, and a screen distance d is at most d / f radians.
        lengths = np.hypot(*np.diff(chunk, axis=0).T) if len(chunk) > 1 else np.zeros(0)
        samples = [chunk[:1]]
        for a, b, length in zip(chunk[:-1], chunk[1:], lengths, strict=True):
            n = max(1, int(np.ceil(length / radius)))
            t = np.arange(1, n + 1)[:, None] / n
            samples.append(a + t * (b - a))
        along = np.concatenate(samples)
        reach = (radius + radius / 2) / f + 1e-9
        directions = view_pixel_to_xyz(along[:, 0], along[:, 1], view)  # (n, 3)
        for rows, cols in _near(directions, reach, height, width):
            x, y, in_front = _project_pixels(rows, cols, view, height, width)  # (r, n) each
            inside = in_front & (x >= 0) & (x <= view.width) & (y >= 0) & (y <= view.height)
            distance2 = _segment_distance2(x, y, chunk[0], chunk[0])
            for a, b in zip(chunk[:-1], chunk[1:], strict=True):
                np.minimum(distance2, _segment_distance2(x, y, a, b), out=distance2)
            covered = inside & (distance2 <= radius * radius)
            if covered.any():
                blocks.append(StrokeBlock(rows, cols, covered))
    return blocks

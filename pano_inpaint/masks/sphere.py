"""Hole masks on the sphere: nadir/zenith caps and caps or circles anywhere. True = hole.

Convention: see :mod:`pano_inpaint.geometry.conventions`. Caps are measured by angular radius, so
a "20-degree nadir cap" is every direction within 20 degrees of straight down (the bottom 20/180 of
the rows).
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

from pano_inpaint._checks import check_positive_int
from pano_inpaint.geometry.sphere import erp_pixel_to_lonlat, lonlat_to_xyz

__all__ = [
    "cap_mask", "dilate_mask", "mask_fraction", "nadir_mask", "row_over_the_poles",
    "rows_over_the_poles", "zenith_mask",
]


def _check_size(height: int, width: int) -> tuple[int, int]:
    height = check_positive_int(height, "height")
    width = check_positive_int(width, "width")
    if width != 2 * height:
        raise ValueError(f"an equirectangular mask needs W == 2 * H, got {width}x{height}")
    return height, width


def _check_degrees(degrees: float) -> float:
    degrees = float(degrees)
    if not 0 <= degrees <= 180:
        raise ValueError(f"cap radius must be within [0, 180] degrees, got {degrees}")
    return degrees


def _latitude_band(height: int, width: int, lat_limit: float, below: bool) -> np.ndarray:
    _, lat = erp_pixel_to_lonlat(0.0, np.arange(height), height, width)
    rows = lat <= lat_limit if below else lat >= lat_limit
    return np.broadcast_to(rows[:, None], (height, width)).copy()


def nadir_mask(height: int, width: int, degrees: float) -> np.ndarray:
    """Every pixel within ``degrees`` of straight down (a tripod cap).

    Example:
        >>> m = nadir_mask(180, 360, 20)
        >>> int(m.any(axis=1).sum())  # the bottom 20 of 180 rows
        20
    """
    height, width = _check_size(height, width)
    return _latitude_band(height, width, np.radians(_check_degrees(degrees) - 90), below=True)


def zenith_mask(height: int, width: int, degrees: float) -> np.ndarray:
    """Every pixel within ``degrees`` of straight up.

    Example:
        >>> zenith_mask(180, 360, 10)[:10].all()
        np.True_
    """
    height, width = _check_size(height, width)
    return _latitude_band(height, width, np.radians(90 - _check_degrees(degrees)), below=False)


def cap_mask(
    height: int, width: int, lon: float, lat: float, degrees: float
) -> np.ndarray:
    """A spherical cap (a circle on the sphere) of radius ``degrees`` centred at (lon, lat).

    Args:
        height, width: panorama size, ``W == 2 * H``.
        lon, lat: centre in degrees (lon 0 = image centre, positive right; lat positive up).
        degrees: angular radius.

    Example:
        >>> m = cap_mask(90, 180, 180, 0, 10)  # on the wrap-around line
        >>> bool(m[:, 0].any() and m[:, -1].any())
        True
    """
    height, width = _check_size(height, width)
    centre = lonlat_to_xyz(np.radians(lon), np.radians(lat))
    cos_radius = np.cos(np.radians(_check_degrees(degrees)))
    ys, xs = np.ogrid[0:height, 0:width]
    lon_grid, lat_grid = erp_pixel_to_lonlat(xs, ys, height, width)
    # Separable dot product: avoids an (H, W, 3) temporary on 16K panoramas.
    cos_lat = np.cos(lat_grid)
    dot = (
        cos_lat * np.sin(lon_grid) * centre[0]
        + np.sin(lat_grid) * centre[1]
        + cos_lat * np.cos(lon_grid) * centre[2]
    )
    return dot >= cos_radius


def mask_fraction(mask: np.ndarray) -> float:
    """Share of the sphere's area covered by an equirectangular mask (rows weighted by cos lat).

    Example:
        >>> round(mask_fraction(nadir_mask(512, 1024, 90)), 3)
        0.5
    """
    height, width = mask.shape
    _, lat = erp_pixel_to_lonlat(0.0, np.arange(height), height, width)
    weights = np.cos(lat)
    # Count only the rows that hold holes (a nadir cap is a tenth of a 16K mask).
    if width % 8 == 0 and mask.flags.c_contiguous:
        rows = np.flatnonzero(mask.view(np.uint64).max(axis=1))
    else:
        rows = np.flatnonzero(mask.any(axis=1))
    counts = np.count_nonzero(mask[rows], axis=1)
    return float(counts @ weights[rows] / (weights.sum() * width))


def row_over_the_poles(ys: np.ndarray, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers that may run past a pole (by at most ``height`` rows: one crossing) ->
    ``(row, crossed)``: the row of the panorama each is (row ``-1 - k`` is row ``k``, and
    likewise below the last row) and whether it crossed a pole, where it lies half a turn
    round (its column shifted by ``width // 2``).

    Example:
        >>> rows, crossed = row_over_the_poles(np.array([-2, 0, 4]), 4)
        >>> rows.tolist(), crossed.tolist()
        ([1, 0, 3], [True, False, True])
    """
    above, below = ys < 0, ys >= height
    return np.where(above, -1 - ys, np.where(below, 2 * height - 1 - ys, ys)), above | below


def rows_over_the_poles(mask: np.ndarray, first: int, stop: int) -> np.ndarray:
    """Rows ``first .. stop - 1`` of ``mask`` (or of an image, ``(H, W, ...)``), continued over
    the poles: row ``-1 - k`` is row ``k`` seen from the other side of the pole (shifted by
    half a turn), and likewise below.

    Example:
        >>> m = np.arange(8).reshape(2, 4)
        >>> rows_over_the_poles(m, -1, 1).tolist()
        [[2, 3, 0, 1], [0, 1, 2, 3]]
    """
    height, width = mask.shape[:2]
    source, over = row_over_the_poles(np.arange(first, stop), height)
    rows = mask[np.clip(source, 0, height - 1)]
    rows[over] = np.roll(rows[over], width // 2, axis=1)
    return rows


def dilate_mask(mask: np.ndarray, pixels: int, *,
                footprint: Literal["disc", "square"] = "disc") -> np.ndarray:
    """Grow the hole by ``pixels`` in every direction on the sphere: columns wrap around, and a
    hole near a pole grows over it onto the opposite meridian. Only the rows near the hole are
    touched, so a small hole on a 16K mask costs little.

    Args:
        mask: ``(H, W)`` bool, True = hole.
        pixels: radius (in pixels) the hole is grown by; ``<= 0`` returns ``mask``.
        footprint: ``disc`` (the same distance every way) or ``square`` (``2 r + 1`` pixels
            wide: every pixel an interpolation kernel of that reach can touch).

    Returns:
        ``(H, W)`` bool, a new array (``mask`` itself when nothing grows).

    Convention: see :mod:`pano_inpaint.geometry.conventions`.

    Example:
        >>> m = np.zeros((8, 16), bool); m[4, 0] = True
        >>> bool(dilate_mask(m, 1)[4, 15])  # across the wrap-around line
        True
        >>> m = np.zeros((8, 16), bool); m[0, 2] = True
        >>> bool(dilate_mask(m, 1)[0, 10])  # over the pole: half a turn away
        True
    """
    if pixels <= 0:
        return mask
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return mask
    height, width = mask.shape
    if pixels >= height + width // 2:
        # Farther than any pixel is from any other (half a turn across, pole to pole): all of
        # it. Grown the long way, --dilate 16384 on a 64-high mask built a 32769-wide kernel and
        # a band as large (24 GB before the fill refused the hole as too large).
        return np.ones_like(mask)
    r0, r1 = max(0, rows[0] - pixels), min(height, rows[-1] + pixels + 1)
    # The band of rows that can change, with ``pixels`` rows of context above and below it
    # (taken over the pole where the band reaches one) and ``pixels`` columns wrapped each side.
    band = rows_over_the_poles(mask, r0 - pixels, r1 + pixels).astype(np.uint8)
    band = np.pad(band, ((0, 0), (pixels, pixels)), mode="wrap")
    shape = cv2.MORPH_ELLIPSE if footprint == "disc" else cv2.MORPH_RECT
    kernel = cv2.getStructuringElement(shape, (2 * pixels + 1,) * 2)
    grown = cv2.dilate(band, kernel)[pixels:-pixels, pixels:-pixels].astype(bool)
    out = mask.copy()
    out[r0:r1] |= grown
    return out

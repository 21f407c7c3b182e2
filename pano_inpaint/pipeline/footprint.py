"""Which panorama pixels a cube sample may not read: the hole grown by the interpolation's
reach, except where the hole is thin.

A tile pixel is unknown when its interpolation kernel touches the hole. A bicubic kernel
reaches one panorama pixel beyond the bilinear 2 x 2, so a hole grown by that reach marks one
to two more tile pixels unknown on each side: a stroke 4 pixels wide becomes a hole about 8
wide, whose fill has to invent the pixels the panorama knows. Where the hole is thin (no pixel
of it deeper than ``cube.thin_depth`` from its border within reach, a depth given at 1024 px
wide and scaled with the width: :func:`thin_depth_pixels`) it is not grown: the kernel's outer
taps that fall into the hole read its first ring, set beforehand to the mean of their known
neighbours (:func:`prefill_ring`). Deeper parts are grown as before, so a fill of large holes
only is unchanged.
"""

from __future__ import annotations

import cv2
import numpy as np

from pano_inpaint.masks import dilate_mask, row_over_the_poles, rows_over_the_poles

__all__ = ["prefill_ring", "sampling_hole", "thick_part", "thin_depth_pixels"]

# ``cube.thin_depth`` is given in pixels of a panorama this wide.
_THIN_DEPTH_WIDTH = 1024


def thin_depth_pixels(thin_depth: float, width: int) -> float:
    """``cube.thin_depth`` (pixels at ``_THIN_DEPTH_WIDTH`` wide) in pixels of a panorama
    ``width`` wide: a fixed angle (2.8 degrees for 8).

    Whether a part is thin is a question of the angle it spans, as the masks' strokes and legs
    are drawn: at 2048 px a stroke is twice as many pixels deep as at 1024, and one 8 px deep
    there (16 px wide) was grown like a wide hole. Hi-res photographs at 2048 px, 8 -> 16 px:
    strokes +0.26 dB (4 of 5 up), tripod +0.04, monopod +0.07, shadow 0.00; the rendered
    scenes at 2048 px: +0.10, +0.04, +0.11, 0.00 (8 cases up, 3 down by at most 0.14). At
    1024 px nothing changes.

    Example:
        >>> thin_depth_pixels(8.0, 2048), thin_depth_pixels(8.0, 1024)
        (16.0, 8.0)
    """
    return thin_depth * width / _THIN_DEPTH_WIDTH


def thick_part(hole: np.ndarray, thin_depth: float) -> np.ndarray:
    """``(H, W)`` bool: the pixels of ``hole`` within ``thin_depth + 2`` pixels of one deeper
    than ``thin_depth`` (its distance to the nearest known pixel, across the wrap-around line
    and the poles): the hole's wide parts with their rims.

    Example:
        >>> m = np.zeros((64, 128), bool); m[10:40, 10:40] = True; m[20:23, 40:100] = True
        >>> t = thick_part(m, 4)
        >>> bool(t[25, 25]), bool(t[10, 10]), bool(t[21, 80])
        (True, True, False)
    """
    rows = np.flatnonzero(hole.any(axis=1))
    if rows.size == 0:
        return np.zeros_like(hole)
    margin = int(np.ceil(thin_depth)) + 3
    r0, r1 = int(rows[0]), int(rows[-1]) + 1
    # The hole's rows with ``margin`` rows continued over the poles and ``2 * margin`` columns
    # wrapped each side, so a cap or a stroke across the wrap line is measured whole: the
    # depths are right up to ``margin`` columns out (the distance transform takes the band's
    # ends for hole, so a hole running off them looked deep there), as far as ``near`` looks.
    wrap = 2 * margin
    band = rows_over_the_poles(hole, r0 - margin, r1 + margin).astype(np.uint8)
    band = np.pad(band, ((0, 0), (wrap, wrap)), mode="wrap")
    depth = cv2.distanceTransform(band, cv2.DIST_L2, 3)
    deep = (depth > thin_depth).astype(np.uint8)
    if not deep.any():
        return np.zeros_like(hole)
    # Distance of every pixel to the deep part (its complement's distance transform).
    near = cv2.distanceTransform(1 - deep, cv2.DIST_L2, 3) <= thin_depth + 2
    out = np.zeros_like(hole)
    out[r0:r1] = near[margin:-margin, wrap:-wrap] & hole[r0:r1]
    return out


def sampling_hole(hole: np.ndarray, reach: int, thin_depth: float
                  ) -> tuple[np.ndarray, bool]:
    """The panorama pixels no known tile pixel's kernel may read: ``hole`` grown by ``reach``
    (square, as a kernel's footprint), its thin parts not grown (``thin_depth <= 0``: every
    part grown); and whether any part was left ungrown (then the caller fills the rings those
    kernels read, :func:`prefill_ring`)."""
    if reach <= 0:
        return hole, False
    thick = thick_part(hole, thin_depth) if thin_depth > 0 else hole
    if np.array_equal(thick, hole):
        return dilate_mask(hole, reach, footprint="square"), False
    return hole | dilate_mask(thick, reach, footprint="square"), True


def _neighbour(ys: np.ndarray, xs: np.ndarray, dy: int, dx: int, height: int, width: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the ``(dy, dx)`` neighbours of pixels ``(ys, xs)`` on the sphere:
    columns wrap around, and a row past a pole is the row beside it on the opposite meridian."""
    ny, over = row_over_the_poles(ys + dy, height)
    nx = xs + dx
    return ny, np.where(over, nx + width // 2, nx) % width


def prefill_ring(erp: np.ndarray, hole: np.ndarray, reach: int) -> None:
    """Write into ``erp`` (in place) the ``reach`` rings of ``hole`` pixels nearest the known
    ones: each the mean of its known (or already written) 8-neighbours on the sphere (columns
    wrapping around, rows continued over the poles), ring by ring. These are what a kernel
    reaching ``reach`` pixels past a known sample of a thin part reads
    (:func:`sampling_hole`); the fill overwrites every hole pixel."""
    rows = np.flatnonzero(hole.any(axis=1))
    if rows.size == 0:
        return
    height, width = hole.shape
    r0, r1 = max(0, int(rows[0]) - 1), min(height, int(rows[-1]) + 2)
    done = ~hole[r0:r1]
    target = erp[..., None] if erp.ndim == 2 else erp
    for _ in range(reach):
        # The ring: hole pixels with a done 8-neighbour on the sphere, the rows past a pole
        # included (a pole row's pixel may have done neighbours only half a turn away).
        above, below = int(r0 == 0), int(r1 == height)
        band = rows_over_the_poles(done, -above, done.shape[0] + below)
        band = np.pad(band.astype(np.uint8), ((0, 0), (1, 1)), mode="wrap")
        touched = cv2.dilate(band, np.ones((3, 3), np.uint8))[:, 1:-1]
        touched = touched[above : touched.shape[0] - below].astype(bool)
        ys, xs = np.nonzero(touched & ~done)
        if ys.size == 0:
            return
        ys = ys + r0
        total = np.zeros((ys.size, target.shape[2]), np.float64)
        count = np.zeros(ys.size, np.float64)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if dy == dx == 0:
                    continue
                ny, nx = _neighbour(ys, xs, dy, dx, height, width)
                use = done[ny - r0, nx]
                total[use] += target[ny[use], nx[use]]
                count[use] += 1
        mean = total / count[:, None]
        if np.issubdtype(target.dtype, np.integer):
            mean = np.rint(mean)
        target[ys, xs] = mean.astype(target.dtype)
        done[ys - r0, xs] = True

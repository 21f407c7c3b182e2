"""The painted hole computed the slow, obvious way: every equirectangular pixel projected onto
the view, its distance to every segment of the stroke measured."""

from __future__ import annotations

import numpy as np

from pano_inpaint.geometry.perspective import PerspectiveView, xyz_to_view_pixel
from pano_inpaint.geometry.sphere import erp_pixel_to_lonlat, lonlat_to_xyz


def brute_force_stroke(
    height: int, width: int, view: PerspectiveView, points, radius: float
) -> tuple[np.ndarray, np.ndarray]:
    """``(covered, distance)``, both ``(H, W)``: the pixels whose centre lands in the viewport
    within ``radius`` of the polyline, and that distance (inf off screen; to tell ties)."""
    ys, xs = np.mgrid[0:height, 0:width]
    lon, lat = erp_pixel_to_lonlat(xs, ys, height, width)
    x, y, front = xyz_to_view_pixel(lonlat_to_xyz(lon, lat), view)
    pts = np.asarray(points, float)
    segments = list(zip(pts[:-1], pts[1:], strict=True)) or [(pts[0], pts[0])]
    best = np.full(x.shape, np.inf)
    for a, b in segments:
        d = b - a
        t = np.clip(((x - a[0]) * d[0] + (y - a[1]) * d[1]) / (d @ d), 0, 1) if d @ d else 0
        best = np.minimum(best, np.hypot(x - a[0] - t * d[0], y - a[1] - t * d[1]))
    inside = front & (x >= 0) & (x <= view.width) & (y >= 0) & (y <= view.height)
    return inside & (best <= radius), np.where(inside, best, np.inf)

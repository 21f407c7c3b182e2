"""Make neighbouring filled faces agree where their padded views overlap.

After a generator pass each tile holds its own fill of the region around its edges: its core up to
the edge, and in its border a view of the neighbour's side. Near a shared edge the two faces thus
hold two estimates of the same sphere points. Each hole pixel of a core within ``pad`` of the edge
is replaced by a weighted mean of its own value and the neighbours' estimates, with weights that
are 1/2 each on the edge and fade linearly to the face's own value ``pad`` pixels inside. Both faces
then carry the same value on the edge and the write-back shows no seam; re-padding afterwards
makes the borders equal the neighbours' reconciled cores.

Convention: see :mod:`pano_inpaint.geometry.conventions`; tiles share one cube frame.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pano_inpaint.geometry._remap import PointSampler
from pano_inpaint.geometry.sphere import face_pixel_to_xyz, xyz_to_face_pixel

__all__ = ["reconcile_tiles"]


def reconcile_tiles(
    tiles: np.ndarray, hole: np.ndarray, face_ids: Sequence[int], pad: int
) -> np.ndarray:
    """Blend the overlaps of filled padded tiles in place.

    Args:
        tiles: ``(k, P, P, C)`` float32 filled tiles, ``P = S + 2 pad``.
        hole: ``(k, P, P)`` bool: the pixels that were filled (only these change).
        face_ids: face index of each tile.
        pad: padding of the tiles.

    Returns:
        ``tiles``, modified in place.
    """
    k, size = tiles.shape[0], tiles.shape[1]
    face_size = size - 2 * pad
    if k < 2 or pad == 0:
        return tiles
    snapshot = tiles.copy()
    ys, xs = np.mgrid[0:size, 0:size]
    core = (ys >= pad) & (ys < pad + face_size) & (xs >= pad) & (xs < pad + face_size)
    # Distance (in pixels) of each core pixel from the nearest core edge.
    inside = np.minimum.reduce([ys - pad, xs - pad, pad + face_size - 1 - ys,
                                pad + face_size - 1 - xs]).astype(np.float64) + 0.5
    band = core & (inside < pad)
    for i, face in enumerate(face_ids):
        sel = band & hole[i]
        if not sel.any():
            continue
        py, px = np.nonzero(sel)
        xyz = face_pixel_to_xyz(face, px, py, face_size, pad)
        own_w = 0.5 * (1 + np.minimum(inside[py, px] / pad, 1))
        acc = snapshot[i, py, px] * own_w[:, None]
        total = own_w.copy()
        for j, other in enumerate(face_ids):
            if j == i:
                continue
            ox, oy = xyz_to_face_pixel(xyz, other, face_size, pad)
            valid = np.isfinite(ox) & (ox >= 0) & (ox <= size - 1) & (oy >= 0) & (oy <= size - 1)
            if not valid.any():
                continue
            outside = np.maximum.reduce([
                pad - 0.5 - ox, ox - (pad + face_size - 0.5),
                pad - 0.5 - oy, oy - (pad + face_size - 0.5), np.zeros_like(ox),
            ])
            w = np.where(valid, 0.5 * np.clip(1 - outside / pad, 0, 1), 0.0)
            if not (w > 0).any():
                continue
            take = w > 0
            sample = PointSampler.build(ox[take], oy[take], "bilinear")(snapshot[j])
            acc[take] += sample * w[take, None]
            total[take] += w[take]
        tiles[i, py, px] = acc / total[:, None]
    return tiles

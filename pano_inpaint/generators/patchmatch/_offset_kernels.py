"""Compiled fill along a tile's lattice (see ``_offsets``): a hole pixel ``x`` copies what the
pixel ``x + v`` shows, for a lattice vector ``v``; or, for a lattice of a floor seen in
perspective (``_plane``), what the pixel ``G^-1(G(x) + v)`` shows, ``G`` the homography from the
tile to the floor's grid.

If ``x + v`` is known, the candidate source is that pixel itself (in the bank tile of the
target's own face, ``own``); if it was filled in an earlier layer, the candidate is the source
``x + v`` copies, so vectors compose and the lattice keeps its phase however deep the hole. A
shift lands between pixels; each copy keeps where its exact source lies beyond the whole pixel
it copies, and a copy of a copy composes those exact positions, so the rounding errors of a
chain of steps do not add up. The patch distance on the pixels filled so far chooses among the
candidates; on a floor's grid, times the copy's magnification to a power where the source shows
the floor finer than the target (a blur of it copied there).

Determinism as in ``_kernels``: a layer only reads pixels filled in earlier layers.
"""

from __future__ import annotations

import numpy as np
from numba import prange, types

from pano_inpaint.generators.patchmatch import _kernels
from pano_inpaint.generators.patchmatch._compile import KernelSet
from pano_inpaint.generators.patchmatch._kernels import (
    B2,
    F32_3,
    F64,
    F64_2,
    FASTMATH,
    I64,
    INDEX,
    NNF,
    SRC,
    take_match,
    try_match,
)

__all__ = ["lattice_peel"]

KERNELS = KernelSet(__name__, requires=(_kernels.KERNELS,))


@KERNELS.subroutine(F64(F64_2, F64, F64, F64, F64), fastmath=FASTMATH)
def _finer(g: np.ndarray, sy: float, sx: float, target_w: float, power: float) -> float:
    """The cost factor of a source at tile pixel ``(sy, sx)`` that shows the plane finer than
    the target (whose ``g``-row ``w`` is ``target_w``): ``m ** power`` for ``m`` how many times
    larger a grid pixel is on the tile at the target than at the source (the homography's
    Jacobian goes as ``w ** -3``; linear, ``m = (target_w / w) ** 1.5``), 1 where ``m <= 1``
    or ``power`` is 0 or the source's ray misses the grid."""
    if power <= 0 or target_w <= 0:
        return 1.0
    w = g[2, 0] * sx + g[2, 1] * sy + g[2, 2]
    if w <= 0:
        return 1.0
    m = (target_w / w) ** 1.5
    return m ** power if m > 1.0 else 1.0


@KERNELS.add(types.void(F32_3, B2, B2, INDEX, INDEX, SRC, I64, I64, F64_2, F64_2, F64_2,
                        I64, F64, F64, NNF, F32_3),
             parallel=True, fastmath=FASTMATH)
def lattice_peel(
    target: np.ndarray, filled: np.ndarray, hole: np.ndarray, ys: np.ndarray, xs: np.ndarray,
    src: tuple, r: int, own: int, to_grid: np.ndarray, from_grid: np.ndarray,
    offsets: np.ndarray, limit: int, coherence: float, finer: float, nnf: tuple,
    residual: np.ndarray,
) -> None:
    """One layer of an onion peel along the dominant offsets: each pixel ``(ys[j], xs[j])``
    tries the offsets in order, on pixels ``filled`` before the layer, stopping after ``limit``
    usable candidates, and copies its best match's centre (if it beats the match it has; a
    pixel with none keeps ``k = -1`` when no candidate is usable). With ``coherence > 0`` it
    also tries to continue its filled neighbours' matches, at ``1 - coherence`` times their
    cost, so the copies come in whole pieces rather than a mosaic.

    ``offsets`` ``(n, 2)`` float64 ``(dy, dx)`` are shifts on the grid that ``to_grid`` (``(3,
    3)`` homography of tile pixels ``(x, y, 1)``) maps the tile to, ``from_grid`` its inverse;
    the pixel a shift reaches is rounded to the nearest. With both the identity and whole
    shifts this is ``x + v`` exactly.

    ``residual`` ``(P, P, 2)`` float32 ``(dy, dx)``: for each pixel copied, where its exact
    source lies beyond the whole pixel it copies (read for the pixels filled before the layer,
    written for those it fills). A copy of a copy composes the exact positions, not the rounded
    ones, so the rounding errors of a chain of steps do not add up: a step 0.25 px off its
    whole pixel drifted 2.5 px over ten copies, and fronts from opposite sides of a hole met
    with their joints doubled.

    ``finer > 0``: a source of the own tile where the plane shows finer than at the target
    (farther off, or seen more obliquely) costs ``m ** finer`` times more, ``m`` the copy's
    magnification: copied nearer, the finer texture is a blur (a ceiling grid's joints
    copied from towards the horizon came back faint)."""
    size = target.shape[0]
    valid = src[1]
    for j in prange(ys.size):
        y, x = ys[j], xs[j]
        best = (int(nnf[0][y, x]), int(nnf[1][y, x]), int(nnf[2][y, x]), float(nnf[3][y, x]))
        ry, rx = residual[y, x, 0], residual[y, x, 1]
        if best[0] < 0:
            best = (-1, 0, 0, np.inf)
            ry, rx = 0.0, 0.0
        if coherence > 0:
            for ny in range(max(y - 1, 0), min(y + 2, size)):
                for nx in range(max(x - 1, 0), min(x + 2, size)):
                    if filled[ny, nx] and hole[ny, nx] and nnf[0][ny, nx] >= 0:
                        before = best
                        best = try_match(target, filled, y, x, src, r, int(nnf[0][ny, nx]),
                                    int(nnf[1][ny, nx]) + y - ny, int(nnf[2][ny, nx]) + x - nx,
                                    best, 1.0 - coherence)
                        if best[3] < before[3]:
                            ry, rx = residual[ny, nx, 0], residual[ny, nx, 1]
        tried = 0
        g, h = to_grid, from_grid
        w = g[2, 0] * x + g[2, 1] * y + g[2, 2]
        u = (g[0, 0] * x + g[0, 1] * y + g[0, 2]) / w
        v = (g[1, 0] * x + g[1, 1] * y + g[1, 2]) / w
        target_w = w
        for o in range(offsets.shape[0] if w > 0 else 0):  # w <= 0: the ray misses the grid
            if tried >= limit:
                break
            gu, gv = u + offsets[o, 1], v + offsets[o, 0]
            w = h[2, 0] * gu + h[2, 1] * gv + h[2, 2]
            if w <= 0:
                continue
            py = (h[1, 0] * gu + h[1, 1] * gv + h[1, 2]) / w
            px = (h[0, 0] * gu + h[0, 1] * gv + h[0, 2]) / w
            fy, fx = np.rint(py), np.rint(px)
            if not (0 <= fy < size and 0 <= fx < size):
                continue
            qy, qx = int(fy), int(fx)
            if not filled[qy, qx]:
                continue
            before = best
            if not hole[qy, qx] and own >= 0 and valid[own, qy, qx]:
                best = try_match(target, filled, y, x, src, r, own, qy, qx, best,
                                 _finer(g, float(qy), float(qx), target_w, finer))
                tried += 1
                if best[3] < before[3]:
                    ry, rx = py - fy, px - fx
            elif nnf[0][qy, qx] >= 0:
                # The exact source: the one the reached pixel copies, moved by where the
                # shift truly lands beyond that pixel.
                ey = nnf[1][qy, qx] + residual[qy, qx, 0] + (py - fy)
                ex = nnf[2][qy, qx] + residual[qy, qx, 1] + (px - fx)
                sy, sx = np.rint(ey), np.rint(ex)
                k = int(nnf[0][qy, qx])
                best = try_match(target, filled, y, x, src, r, k, int(sy), int(sx), best,
                                 _finer(g, sy, sx, target_w, finer)
                                 if k == own else 1.0)
                tried += 1
                if best[3] < before[3]:
                    ry, rx = ey - sy, ex - sx
        if best[0] < 0 or (best[0] == nnf[0][y, x] and best[1] == nnf[1][y, x]
                           and best[2] == nnf[2][y, x]):
            continue
        take_match(target, nnf, y, x, src, best)
        residual[y, x, 0], residual[y, x, 1] = ry, rx

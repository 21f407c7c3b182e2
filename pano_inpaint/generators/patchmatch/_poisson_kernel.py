"""Compiled Poisson solve of the finish's stitch (see ``_finish._poisson``).

The system: each unknown pixel ``p`` of a grid wants its steps to its in-grid neighbours ``q``
to be given ones, ``sum_q (x_p - x_q) = sum_q g_pq``; a known neighbour's value moves to the
right-hand side. The matrix is the unknowns' graph Laplacian plus one on the diagonal per known
neighbour: symmetric positive definite wherever each connected part of the unknowns touches a
known pixel. It is solved by conjugate gradients preconditioned with a modified incomplete
Cholesky factor (MIC(0), in the grid's row order; Bridson, "Fluid simulation for computer
graphics", 2008, ch. 4), started from the given values (the copy; its correction is smooth).

It runs on one thread, in a fixed order: the result does not depend on the number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import types

from pano_inpaint.generators.patchmatch._compile import KernelSet

__all__ = ["poisson_pcg"]

KERNELS = KernelSet(__name__)
_TAU = 0.97  # share of the dropped fill-in moved to the diagonal (1: fully modified)
_SAFE = 0.25  # a pivot below this share of its diagonal falls back to the diagonal

_F64_2, _F64_3 = (types.Array(types.float64, n, "C") for n in (2, 3))
_B2 = types.Array(types.bool_, 2, "C")
_SPANS = types.Array(types.int64, 2, "C")
# Sums may be reordered (vectorised); the same on every run on a machine, whatever the threads.
_FAST = {"reassoc", "contract", "arcp"}

# Work arrays are (C, H + 2, W + 2): a frame of zeros around the grid, and 0 off the unknowns,
# so known neighbours drop out of every product without a test. Each row is worked on from its
# first unknown to its last only (``spans[y] = (start, stop)``): a thin diagonal hole (a
# tripod leg) fills little of its box.


@KERNELS.subroutine(types.void(_F64_3, _F64_2, _SPANS, _F64_3), fastmath=_FAST)
def _apply(x: np.ndarray, diag: np.ndarray, spans: np.ndarray, out: np.ndarray) -> None:
    """``out = A x`` (``diag`` is 0 off the unknowns)."""
    for c in range(x.shape[0]):
        for y in range(1, x.shape[1] - 1):
            for i in range(spans[y, 0], spans[y, 1]):
                out[c, y, i] = diag[y, i] * x[c, y, i] - (
                    x[c, y, i - 1] + x[c, y, i + 1] + x[c, y - 1, i] + x[c, y + 1, i]) * (
                    diag[y, i] > 0.0)


@KERNELS.subroutine(types.void(_F64_3, _F64_2, _SPANS, _F64_3))
def _precondition(r: np.ndarray, pre: np.ndarray, spans: np.ndarray, z: np.ndarray) -> None:
    """``z = (L L^T)^-1 r`` with the MIC(0) factor ``L`` (``1 / pre`` on its diagonal, -1
    between unknown neighbours; ``pre`` is 0 off the unknowns): a forward sweep in row order,
    then a backward one. Channels innermost: their chains (each sweep waits on the pixel
    before) overlap."""
    channels, height = r.shape[0], r.shape[1]
    for y in range(1, height - 1):
        for i in range(spans[y, 0], spans[y, 1]):
            for c in range(channels):
                z[c, y, i] = (r[c, y, i] + pre[y, i - 1] * z[c, y, i - 1]
                              + pre[y - 1, i] * z[c, y - 1, i]) * pre[y, i]
    for y in range(height - 2, 0, -1):
        for i in range(spans[y, 1] - 1, spans[y, 0] - 1, -1):
            for c in range(channels):
                z[c, y, i] = (z[c, y, i] + pre[y, i] * (z[c, y, i + 1] + z[c, y + 1, i])
                              ) * pre[y, i]


@KERNELS.subroutine(types.void(_F64_3, _F64_3, _SPANS, types.Array(types.float64, 1, "C")),
                    fastmath=_FAST)
def _dot(a: np.ndarray, b: np.ndarray, spans: np.ndarray, out: np.ndarray) -> None:
    """Per channel ``a . b``, summed in a fixed order."""
    for c in range(a.shape[0]):
        s = 0.0
        for y in range(1, a.shape[1] - 1):
            for i in range(spans[y, 0], spans[y, 1]):
                s += a[c, y, i] * b[c, y, i]
        out[c] = s


@KERNELS.add(types.int64(_F64_3, _B2, _F64_3, _F64_3, types.float64, types.int64))
def poisson_pcg(values: np.ndarray, unknown: np.ndarray, across: np.ndarray, down: np.ndarray,
                tol: float, max_iter: int) -> int:
    """Solve in place for the ``unknown`` pixels of ``(H, W, C)`` ``values`` (the others are
    fixed; the unknowns' values are the first guess) so that their steps match ``across``
    (``x[y, x] - x[y, x + 1]``) and ``down`` (``x[y, x] - x[y + 1, x]``) in the least-squares
    sense, steps leaving the grid ignored. Stops when every channel's residual norm is at most
    ``tol`` times the largest channel's right-hand-side norm, or after ``max_iter`` iterations;
    returns the iterations done."""
    height, width, channels = values.shape
    # The work arrays (see above) and the right-hand side, diagonal and first guess on them.
    diag = np.zeros((height + 2, width + 2))
    pre = np.zeros((height + 2, width + 2))
    b = np.zeros((channels, height + 2, width + 2))
    x = np.zeros((channels, height + 2, width + 2))
    for y in range(height):
        for i in range(width):
            if not unknown[y, i]:
                continue
            count = 0.0
            for c in range(channels):
                x[c, y + 1, i + 1] = values[y, i, c]
            for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
                qy, qx = y + dy, i + dx
                if qy < 0 or qy >= height or qx < 0 or qx >= width:
                    continue
                count += 1.0
                ey, ex = min(y, qy), min(i, qx)
                sign = 1.0 if dy + dx > 0 else -1.0  # steps are stored (lower) - (higher)
                fixed = not unknown[qy, qx]
                for c in range(channels):
                    step = across[ey, ex, c] if dx != 0 else down[ey, ex, c]
                    b[c, y + 1, i + 1] += sign * step
                    if fixed:
                        b[c, y + 1, i + 1] += values[qy, qx, c]
            diag[y + 1, i + 1] = count
    spans = np.ones((height + 2, 2), np.int64)  # empty rows: (1, 1)
    for y in range(height):
        first, last = -1, -1
        for i in range(width):
            if unknown[y, i]:
                last = i
                if first < 0:
                    first = i
        if first >= 0:
            spans[y + 1, 0], spans[y + 1, 1] = first + 1, last + 2
    # MIC(0) pivots in row order: the fill-in a pivot drops (to the south-west and north-east
    # neighbours) is taken, times _TAU, off the diagonal instead.
    for y in range(1, height + 1):
        for i in range(1, width + 1):
            if diag[y, i] == 0.0:
                continue
            e = diag[y, i]
            if diag[y, i - 1] > 0.0:
                w2 = pre[y, i - 1] * pre[y, i - 1]
                e -= w2 + (_TAU * w2 if diag[y + 1, i - 1] > 0.0 else 0.0)
            if diag[y - 1, i] > 0.0:
                n2 = pre[y - 1, i] * pre[y - 1, i]
                e -= n2 + (_TAU * n2 if diag[y - 1, i + 1] > 0.0 else 0.0)
            if e < _SAFE * diag[y, i]:
                e = diag[y, i]
            pre[y, i] = 1.0 / np.sqrt(e)
    r = np.zeros_like(x)
    z = np.zeros_like(x)
    p = np.zeros_like(x)
    q = np.zeros_like(x)
    rz = np.zeros(channels)
    rr = np.zeros(channels)
    pq = np.zeros(channels)
    _dot(b, b, spans, rr)
    limit = tol * tol * rr.max()
    _apply(x, diag, spans, r)
    r[:] -= b
    r *= -1.0
    _precondition(r, pre, spans, z)
    p[:] = z
    _dot(r, z, spans, rz)
    _dot(r, r, spans, rr)
    iterations = 0
    while rr.max() > limit and iterations < max_iter:
        iterations += 1
        _apply(p, diag, spans, q)
        _dot(p, q, spans, pq)
        for c in range(channels):
            alpha = rz[c] / pq[c] if pq[c] > 0.0 else 0.0
            s = 0.0
            for y in range(1, height + 1):
                for i in range(spans[y, 0], spans[y, 1]):
                    x[c, y, i] += alpha * p[c, y, i]
                    r[c, y, i] -= alpha * q[c, y, i]
                    s += r[c, y, i] * r[c, y, i]
            rr[c] = s
        _precondition(r, pre, spans, z)
        pq[:] = rz
        _dot(r, z, spans, rz)
        for c in range(channels):
            beta = rz[c] / pq[c] if pq[c] > 0.0 else 0.0
            for y in range(1, height + 1):
                for i in range(spans[y, 0], spans[y, 1]):
                    p[c, y, i] = z[c, y, i] + beta * p[c, y, i]
    for y in range(height):
        for i in range(width):
            if unknown[y, i]:
                for c in range(channels):
                    values[y, i, c] = x[c, y + 1, i + 1]
    return iterations

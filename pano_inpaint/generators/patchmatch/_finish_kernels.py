"""Compiled loops of the finish besides the Poisson solve (``_poisson_kernel``).

:func:`disc_max` is a grey-level dilation by a disc (``cv2.dilate`` with an elliptic kernel)
evaluated only where it is asked for. OpenCV's dilation by a non-rectangular kernel visits
every kernel pixel for every image pixel: at 8K the finish's disc of radius ~78 px over a
cap's crop took 5.3 of the fill's 33 CPU seconds. Here each kernel row is one window of a row
of the image, whose maximum a sparse table (maxima over power-of-two windows) gives in two
reads: ``2 * (2 r + 1)`` reads a pixel instead of ``~3 r^2``. A maximum is exact whatever the
order, so the result is the dilation's, value for value.

:func:`upsample_window` is ``cv2.resize(..., INTER_LINEAR)`` of a coarse array worked out on a
window of the output only: the finish blurs its crop (the hole's box and a margin of about three
sigmas of the coarsest band and the ring) on coarse grids but keeps only the hole's box, at 8K
about a fifth of the crop's area. OpenCV's resize (IPP's, in the wheels) rounds differently, by
about 1e-7 of the values' range, so the fills are not bit for bit those of a whole-crop resize.
"""

from __future__ import annotations

import cv2
import numpy as np
from numba import prange, types

from pano_inpaint.generators.patchmatch._compile import KernelSet

__all__ = ["disc_max", "upsample_window"]

KERNELS = KernelSet(__name__)

_F32_1, _F32_2, _F32_3 = (types.Array(types.float32, n, "C") for n in (1, 2, 3))
_B2 = types.Array(types.bool_, 2, "C")
_I64_1 = types.Array(types.int64, 1, "C")
_I = types.int64


@KERNELS.add(types.void(_F32_2, _F32_3), parallel=True)
def _row_table(image: np.ndarray, table: np.ndarray) -> None:
    """``table[k, y, x]``: the largest of ``image[y, x : x + 2^k]`` (the window cut at the
    row's end)."""
    width = image.shape[1]
    for y in prange(image.shape[0]):
        for x in range(width):
            table[0, y, x] = image[y, x]
    for k in range(1, table.shape[0]):
        span = 1 << (k - 1)
        for y in prange(image.shape[0]):
            for x in range(width):
                best = table[k - 1, y, x]
                if x + span < width and table[k - 1, y, x + span] > best:
                    best = table[k - 1, y, x + span]
                table[k, y, x] = best


@KERNELS.subroutine(types.void(_F32_3, _I64_1, _I, _I, _I, _I, _F32_1))
def _cut(table: np.ndarray, log2: np.ndarray, yy: int, x: int, w: int, first: int,
         best: np.ndarray) -> None:
    """``best[x - first]`` raised to the largest of row ``yy`` over ``x - w .. x + w`` cut to
    the row."""
    width = table.shape[2]
    a = max(x - w, 0)
    b = min(x + w, width - 1)
    c = log2[b - a + 1]
    m = max(table[c, yy, a], table[c, yy, b - (1 << c) + 1])
    if m > best[x - first]:
        best[x - first] = m


@KERNELS.subroutine(types.void(_F32_3, _I64_1, _I64_1, _I, _I, _I, _F32_1))
def _run(table: np.ndarray, half: np.ndarray, log2: np.ndarray, y: int, first: int, last: int,
         best: np.ndarray) -> None:
    """``best[x - first]``: the kernel's maximum centred at ``(y, x)``, ``x = first .. last``."""
    height, width = table.shape[1], table.shape[2]
    radius = half.size // 2
    best[: last - first + 1] = -np.inf
    for i in range(half.size):
        yy = y + i - radius
        w = half[i]
        if w < 0 or yy < 0 or yy >= height:
            continue
        # Windows inside the row: one table level, two reads a step.
        k = log2[min(2 * w + 1, width)]
        shift = 2 * w + 1 - (1 << k)
        row = table[k, yy]
        lo, hi = max(first, w), min(last, width - 1 - w)
        for x in range(lo, hi + 1):
            m = max(row[x - w], row[x - w + shift])
            if m > best[x - first]:
                best[x - first] = m
        # Windows cut by the row's ends (the two ranges overlap when there is no inside one:
        # a maximum taken twice is the same).
        for x in range(first, min(lo, last + 1)):
            _cut(table, log2, yy, x, w, first, best)
        for x in range(max(hi + 1, first), last + 1):
            _cut(table, log2, yy, x, w, first, best)


@KERNELS.add(types.void(_F32_3, _I64_1, _I64_1, _B2, _F32_2), parallel=True)
def _disc_rows(table: np.ndarray, half: np.ndarray, log2: np.ndarray, need: np.ndarray,
               out: np.ndarray) -> None:
    """``out[y, x]`` where ``need``: the largest value under the kernel centred there, kernel
    row ``i`` covering columns ``x - half[i] .. x + half[i]`` of image row ``y + i - r``
    (``half[i] < 0``: an empty row); ``log2[n]``: ``floor(log2(n))``. Each run of ``need``
    along a row is done kernel row by kernel row: the reads run along one row of the table."""
    height, width = need.shape
    for y in prange(height):
        best = np.empty(width, np.float32)
        x = 0
        while x < width:
            if not need[y, x]:
                x += 1
                continue
            first = x
            while x < width and need[y, x]:
                x += 1
            _run(table, half, log2, y, first, x - 1, best)
            out[y, first:x] = best[: x - first]


def disc_max(image: np.ndarray, radius: int, need: np.ndarray) -> np.ndarray:
    """``cv2.dilate(image, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 r + 1,) * 2))`` of a
    float32 ``(H, W)`` image, exactly, at the pixels of ``need`` (``(H, W)`` bool); the other
    pixels keep ``image``'s values. Outside the image counts as nothing (OpenCV's default
    border for a dilation)."""
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    half = np.full(disc.shape[0], -1, np.int64)
    for i, row in enumerate(disc):
        cols = np.flatnonzero(row)
        if cols.size:  # an ellipse's rows are single runs, centred
            half[i] = radius - cols[0]
    out = np.array(image, np.float32)
    rows, cols = np.flatnonzero(need.any(axis=1)), np.flatnonzero(need.any(axis=0))
    if not rows.size:
        return out
    # Only what the kernel reaches from a pixel asked for is read.
    box = (slice(max(rows[0] - radius, 0), rows[-1] + 1 + radius),
           slice(max(cols[0] - radius, 0), cols[-1] + 1 + radius))
    part = np.ascontiguousarray(out[box])
    span = int(min(2 * half.max() + 1, part.shape[1]))
    log2 = np.zeros(span + 1, np.int64)
    for n in range(2, span + 1):
        log2[n] = log2[n // 2] + 1
    table = np.empty((int(log2[span]) + 1, *part.shape), np.float32)
    _row_table(part, table)
    _disc_rows(table, half, log2, np.ascontiguousarray(need[box]), part)
    out[box] = part
    return out


@KERNELS.add(types.void(_F32_3, _I64_1, _I64_1, _F32_1, _F32_1, _F32_3), nogil=True)
def _blend_rows(rows: np.ndarray, first: np.ndarray, second: np.ndarray, w0: np.ndarray,
                w1: np.ndarray, out: np.ndarray) -> None:
    """``out[y] = rows[first[y]] * w0[y] + rows[second[y]] * w1[y]`` (float32)."""
    for y in range(out.shape[0]):
        a, b = rows[first[y]], rows[second[y]]
        p, q = w0[y], w1[y]
        for x in range(out.shape[1]):
            for c in range(out.shape[2]):
                out[y, x, c] = a[x, c] * p + b[x, c] * q


def _taps(size: int, source: int, window: slice) -> tuple[np.ndarray, ...]:
    """The two source indices and weights of each output index of ``window`` when ``source``
    samples are stretched linearly to ``size`` (pixel centres aligned, ends held)."""
    position = (np.arange(window.start, window.stop) + 0.5) * (source / size) - 0.5
    first = np.floor(position)
    frac = (position - first).astype(np.float32)
    first = first.astype(np.int64)
    held = (first < 0) | (first >= source - 1)
    frac[held] = 0.0
    first = np.clip(first, 0, source - 1)
    second = np.minimum(first + 1, source - 1)
    return first, second, (np.float32(1.0) - frac).astype(np.float32), frac


def upsample_window(coarse: np.ndarray, size: tuple[int, int],
                    window: tuple[slice, slice]) -> np.ndarray:
    """The part ``window`` of ``cv2.resize(coarse, size, interpolation=cv2.INTER_LINEAR)``
    (``size`` as ``(width, height)``; ``coarse`` float32 ``(h, w[, C])``), worked out on that
    window only. The same bilinear formula (OpenCV's half-pixel centres, edges held); the
    values differ from OpenCV's (which may use Intel's IPP) by rounding only, ~1e-7 of the
    values' range."""
    rows, cols = window
    y0, y1, b0, b1 = _taps(size[1], coarse.shape[0], rows)
    x0, x1, a0, a1 = _taps(size[0], coarse.shape[1], cols)
    src = coarse.reshape(coarse.shape[0], coarse.shape[1], -1)
    low, high = int(y0.min()), int(y1.max()) + 1
    part = src[low:high]
    across = part[:, x0] * a0[None, :, None] + part[:, x1] * a1[None, :, None]
    out = np.empty((y0.size, x0.size, src.shape[2]), np.float32)
    _blend_rows(np.ascontiguousarray(across, np.float32), y0 - low, y1 - low, b0, b1, out)
    return out.reshape(out.shape[:2] + coarse.shape[2:])

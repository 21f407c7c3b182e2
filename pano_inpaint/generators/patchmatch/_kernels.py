"""Compiled inner loops of the PatchMatch generator (numba): search, voting, field set-up.

Layout. A *target* is one padded tile ``(P, P, C)`` being filled. The *bank* holds the source
tiles ``(K, P, P, C)`` (the six faces of the cube, or the batch itself); kernels take it as the
tuple ``src = (image, valid, boxes, faces, geo, frames)``:

* ``valid[k, y, x]``: bank pixels that may be a source patch centre (patch fully known, inside
  the tile, not too stretched);
* ``boxes[k] = (y0, y1, x0, x1)``: bounding box of ``valid[k]``, for uniform draws;
* ``faces``: the bank tiles this target may copy from;
* ``geo = (locality, face_size, pad)``, or ``(locality, face_size, pad, level, up_x, up_y,
  up_z)`` with the level prior's weight and the panorama's up direction in the cube's frame,
  and ``frames`` (``(K + 1, 3, 3)``, the bank tiles' face frames then the target's): the
  prior of :func:`_prior`.

The nearest-neighbour field (NNF) of a target is the tuple ``nnf = (k, y, x, d)`` of ``(P, P)``
maps: bank tile and patch centre (int32) and the cost of the match (float32).

Determinism. Every random draw is a hash of (seed, call key, pixel), never a shared generator,
and the parallel search splits rows into bands of a fixed height: inside a band the scan is
sequential; a neighbour in another band is read from a snapshot taken before the pass. So a
result does not depend on the number of threads or their scheduling.

Load balance. numba hands each thread one contiguous run of a parallel loop's iterations, so
the parallel kernels (given ``threads``, the number of threads sharing the loop: it decides
only which thread takes which rows) visit their rows (the search: its bands) in the order of
:func:`_interleave`, in which the runs take every n-th row: a hole whose rows are unevenly
filled (a tripod's legs, strokes, a strip along one side of a face) no longer leaves one of
the threads most of its pixels. On 2K tripod, wrap, strokes and cube-edge masks the busier of
two threads had 1.20-1.39 times its share of the search's pixels, now 1.05-1.07 (the row
kernels' up to 1.31, now 1.00; a nadir cap's search 1.07, now 1.03).
"""

from __future__ import annotations

import numpy as np
from numba import prange, types

from pano_inpaint.generators.patchmatch._compile import KernelSet

__all__ = [
    "B2",
    "B3",
    "BEST",
    "F32_2",
    "F32_3",
    "F32_4",
    "F64",
    "F64_1",
    "F64_2",
    "F64_3",
    "FASTMATH",
    "HOLE",
    "I32_2",
    "I64",
    "I64_1",
    "I64_2",
    "INDEX",
    "NNF",
    "SRC",
    "U64",
    "copy_centres",
    "hash_key",
    "init_random",
    "patch_weights",
    "peel_layer",
    "refresh_costs",
    "search_pass",
    "take_match",
    "try_match",
    "upsample_nnf",
    "vote",
]

BAND_ROWS = 16  # rows per band of the parallel search (fixed: results must not depend on threads)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
# Reordering float sums lets LLVM vectorise the patch distance; no "no-NaN/no-inf" flags (the
# search compares against infinity). Results stay bit-identical from run to run on a machine.
FASTMATH = {"reassoc", "contract", "arcp"}

# Each kernel is compiled for the one signature below (see ``_compile`` for how and why); the
# numba types, the fastmath flags and ``try_match``/``take_match`` are shared with
# ``_offset_kernels``, whose set requires this one (a change here recompiles both).
F32_2, F32_3, F32_4 = (types.Array(types.float32, n, "C") for n in (2, 3, 4))
B2, B3 = (types.Array(types.bool_, n, "C") for n in (2, 3))
I64_1, I64_2 = (types.Array(types.int64, n, "C") for n in (1, 2))
INDEX = types.Array(types.int64, 1, "A")  # np.nonzero's outputs are strided views
HOLE = types.Array(types.bool_, 2, "A")  # a view of a face's core in the faces-alone ablation
F64_1, F64_2, F64_3 = (types.Array(types.float64, n, "C") for n in (1, 2, 3))
I32_2 = types.Array(types.int32, 2, "C")
SRC = types.Tuple((F32_4, B3, I64_2, I64_1, F64_1, F64_3))  # see the module docstring
NNF = types.Tuple((I32_2, I32_2, I32_2, F32_2))
I64, U64, F64 = types.int64, types.uint64, types.float64
BEST = types.Tuple((I64, I64, I64, F64))  # a match: bank tile, centre row, column; its cost
KERNELS = KernelSet(__name__)


# ------------------------------------------------------------------------------- scheduling


@KERNELS.subroutine(types.Array(types.int64, 1, "C")(I64, I64))
def _interleave(count: int, threads: int) -> np.ndarray:
    """``range(count)`` reordered as ``0, n, 2n, ..., 1, n + 1, ...`` (``n = threads``): split
    into ``threads`` contiguous runs, as a parallel loop over it is, each run takes every n-th
    index, from all over the range."""
    order = np.empty(count, np.int64)
    at = 0
    for first in range(min(threads, count)):
        for i in range(first, count, threads):
            order[at] = i
            at += 1
    return order


# ------------------------------------------------------------------------------------ hashing


@KERNELS.subroutine(U64(U64), fastmath=FASTMATH)
def _mix(z: np.uint64) -> np.uint64:
    """SplitMix64 finaliser: a well-mixed 64-bit hash of ``z``."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@KERNELS.add(U64(I64, I64, I64, I64))
def hash_key(seed: int, a: int, b: int, c: int) -> np.uint64:
    """One 64-bit key per (seed, level, iteration, pass): the per-call part of every draw."""
    z = _mix(np.uint64(seed) + _GOLDEN)
    z = _mix(z ^ (np.uint64(a) * _GOLDEN))
    z = _mix(z ^ (np.uint64(b) * np.uint64(0xD6E8FEB86659FD93)))
    return _mix(z ^ (np.uint64(c) * np.uint64(0xA0761D6478BD642F)))


@KERNELS.subroutine(U64(U64, I64, I64), fastmath=FASTMATH)
def _pixel_state(key: np.uint64, y: int, x: int) -> np.uint64:
    return _mix(key ^ (np.uint64(y) << np.uint64(32)) ^ np.uint64(x))


@KERNELS.subroutine(I64(U64, I64), fastmath=FASTMATH)
def _draw(state: np.uint64, n: int) -> int:
    """Integer in ``[0, n)`` from a hashed state (``n`` is far below 2**32 here)."""
    return int((_mix(state) >> np.uint64(32)) % np.uint64(n))


# -------------------------------------------------------------------------------------- costs


@KERNELS.subroutine(F64(F32_3, B2, I64, I64, F32_4, I64, I64, I64, I64, F64), fastmath=FASTMATH)
def _patch_distance(
    target: np.ndarray, filled: np.ndarray, ty: int, tx: int, bank: np.ndarray, k: int,
    sy: int, sx: int, r: int, limit: float,
) -> float:
    """Sum of squared differences between the target patch at ``(ty, tx)`` and bank patch
    ``(k, sy, sx)`` over the target pixels inside the tile and marked in ``filled`` (a
    ``(1, 1)`` array means all of them). Stops once past ``limit``: it is rejected then."""
    size = target.shape[0]
    channels = target.shape[2]
    every = filled.shape[0] == 1
    total = 0.0
    if every and r <= ty < size - r and r <= tx < size - r:
        for dy in range(-r, r + 1):
            yt = ty + dy
            ys = sy + dy
            for dx in range(-r, r + 1):
                for c in range(channels):
                    d = target[yt, tx + dx, c] - bank[k, ys, sx + dx, c]
                    total += d * d
            if total >= limit:
                return total
        return total
    for dy in range(-r, r + 1):
        yt = ty + dy
        if yt < 0 or yt >= size:
            continue
        ys = sy + dy
        for dx in range(-r, r + 1):
            xt = tx + dx
            if xt < 0 or xt >= size or not (every or filled[yt, xt]):
                continue
            for c in range(channels):
                d = target[yt, xt, c] - bank[k, ys, sx + dx, c]
                total += d * d
        if total >= limit:
            return total
    return total


@KERNELS.subroutine(F64(F64_1, F64_3, I64, I64, I64, I64, I64), fastmath=FASTMATH)
def _prior(
    geo: np.ndarray, frames: np.ndarray, k: int, ty: int, tx: int, sy: int, sx: int
) -> float:
    """Cost multiplier of copying bank pixel ``(k, sy, sx)`` to target pixel ``(ty, tx)``:
    ``1 + locality * (1 - cos(angle) + level * dz^2)`` for the angle between the two
    directions on the sphere, so far-away texture (the sky, for a ground hole) must match much
    better, and ``dz`` the difference of their heights (components along the panorama's up
    direction, given in ``geo``; without it, or with ``level`` 0, the term is left out)."""
    if geo[0] <= 0:
        return 1.0
    size, pad = geo[1], geo[2]
    at = 2.0 * (tx - pad + 0.5) / size - 1.0
    bt = 2.0 * (ty - pad + 0.5) / size - 1.0
    a_s = 2.0 * (sx - pad + 0.5) / size - 1.0
    b_s = 2.0 * (sy - pad + 0.5) / size - 1.0
    st = 1.0 + at * at + bt * bt
    ss = 1.0 + a_s * a_s + b_s * b_s
    t, f = frames[frames.shape[0] - 1], frames[k]  # rows: centre, right, down
    dot = 0.0
    for i in range(3):
        dot += (t[0, i] + at * t[1, i] + bt * t[2, i]) * (f[0, i] + a_s * f[1, i] + b_s * f[2, i])
    cosine = dot / np.sqrt(st * ss)
    if geo.shape[0] < 7 or geo[3] <= 0:
        return 1.0 + geo[0] * (1.0 - cosine)
    zt = 0.0
    zs = 0.0
    for i in range(3):
        zt += (t[0, i] + at * t[1, i] + bt * t[2, i]) * geo[4 + i]
        zs += (f[0, i] + a_s * f[1, i] + b_s * f[2, i]) * geo[4 + i]
    dz = zt / np.sqrt(st) - zs / np.sqrt(ss)
    return 1.0 + geo[0] * (1.0 - cosine + geo[3] * dz * dz)


@KERNELS.subroutine(F64(F32_3, B2, I64, I64, SRC, I64, I64, I64, I64, F64), fastmath=FASTMATH)
def _cost(
    target: np.ndarray, filled: np.ndarray, ty: int, tx: int, src: tuple, k: int, sy: int,
    sx: int, r: int, limit: float,
) -> float:
    """Patch distance times the priors (early exit against ``limit``, itself a cost)."""
    factor = _prior(src[4], src[5], k, ty, tx, sy, sx)
    return _patch_distance(target, filled, ty, tx, src[0], k, sy, sx, r, limit / factor) * factor


@KERNELS.subroutine(BEST(F32_3, B2, I64, I64, SRC, I64, I64, I64, I64, BEST, F64),
                    fastmath=FASTMATH)
def try_match(
    target: np.ndarray, filled: np.ndarray, y: int, x: int, src: tuple, r: int, k: int,
    sy: int, sx: int, best: tuple[int, int, int, float], scale: float,
) -> tuple[int, int, int, float]:
    """``best`` replaced by ``(k, sy, sx)`` if that is a valid source of smaller cost (its cost
    multiplied by ``scale``: below 1 for a candidate that continues a neighbour's match)."""
    valid = src[1]
    size = valid.shape[1]
    if sy < 0 or sy >= size or sx < 0 or sx >= size or not valid[k, sy, sx]:
        return best
    if k == best[0] and sy == best[1] and sx == best[2]:
        return best
    d = _cost(target, filled, y, x, src, k, sy, sx, r, best[3] / scale) * scale
    if d < best[3]:
        return k, sy, sx, d
    return best


@KERNELS.subroutine(types.void(F32_3, NNF, I64, I64, SRC, BEST), fastmath=FASTMATH)
def take_match(target: np.ndarray, nnf: tuple, y: int, x: int, src: tuple,
          best: tuple[int, int, int, float]) -> None:
    """Pixel ``(y, x)`` takes the match ``best``: its field entry and its source centre's value."""
    k, sy, sx = best[0], best[1], best[2]
    nnf[0][y, x], nnf[1][y, x], nnf[2][y, x], nnf[3][y, x] = k, sy, sx, best[3]
    for c in range(target.shape[2]):
        target[y, x, c] = src[0][k, sy, sx, c]


@KERNELS.subroutine(BEST(F32_3, B2, I64, I64, SRC, I64, BEST, U64, I64, I64), fastmath=FASTMATH)
def _random_search(
    target: np.ndarray, filled: np.ndarray, y: int, x: int, src: tuple, r: int,
    best: tuple[int, int, int, float], state: np.uint64, radius: int, first: int,
) -> tuple[int, int, int, float]:
    """``best`` after a random search around it on its bank tile (Barnes et al. 2009): one draw
    within each of the radii ``radius, radius / 2, .., 1``, the n-th (from 0) hashed from
    ``state + (2 n + 1 + first) * _GOLDEN`` (``first``: keeps these hashes clear of the
    caller's own draws from ``state``)."""
    w = radius
    n = 0
    while w >= 1:
        s = state + np.uint64(2 * n + 1 + first) * _GOLDEN
        best = try_match(target, filled, y, x, src, r, best[0],
                    best[1] + _draw(s, 2 * w + 1) - w,
                    best[2] + _draw(s + np.uint64(1), 2 * w + 1) - w, best, 1.0)
        w //= 2
        n += 1
    return best


@KERNELS.subroutine(types.UniTuple(I64, 3)(SRC, U64, I64), fastmath=FASTMATH)
def _random_source(src: tuple, state: np.uint64, tries: int) -> tuple[int, int, int]:
    """A uniformly drawn valid centre on one of the searched bank tiles, or ``k = -1``."""
    valid, boxes, faces = src[1], src[2], src[3]
    for t in range(tries):
        s = state + np.uint64(3 * t + 1) * _GOLDEN
        k = int(faces[_draw(s, faces.size)])
        y = int(boxes[k, 0]) + _draw(s + np.uint64(1), int(boxes[k, 1] - boxes[k, 0]))
        x = int(boxes[k, 2]) + _draw(s + np.uint64(2), int(boxes[k, 3] - boxes[k, 2]))
        if valid[k, y, x]:
            return k, y, x
    return -1, 0, 0


# ------------------------------------------------------------------------------- field set-up


@KERNELS.add(types.void(F32_3, B2, I64_1, SRC, I64, U64, NNF), parallel=False, fastmath=FASTMATH)
def init_random(
    target: np.ndarray, domain: np.ndarray, box: np.ndarray, src: tuple, r: int,
    key: np.uint64, nnf: tuple,
) -> None:
    """A random valid source for every pixel of ``domain`` inside ``box = (y0, y1, x0, x1)``."""
    all_known = np.ones((1, 1), np.bool_)
    for y in prange(box[0], box[1]):
        for x in range(box[2], box[3]):
            if not domain[y, x]:
                continue
            k, sy, sx = _random_source(src, _pixel_state(key, y, x), 256)
            if k < 0:  # only when valid centres are extremely rare: keep the old match
                k, sy, sx = nnf[0][y, x], nnf[1][y, x], nnf[2][y, x]
                if k < 0:
                    continue
            nnf[0][y, x], nnf[1][y, x], nnf[2][y, x] = k, sy, sx
            nnf[3][y, x] = _cost(target, all_known, y, x, src, k, sy, sx, r, np.inf)


@KERNELS.add(types.void(F32_3, B2, INDEX, INDEX, SRC, I64, U64, I64, NNF),
              parallel=False, fastmath=FASTMATH)
def peel_layer(
    target: np.ndarray, filled: np.ndarray, ys: np.ndarray, xs: np.ndarray, src: tuple, r: int,
    key: np.uint64, draws: int, nnf: tuple,
) -> None:
    """Onion-peel start: match every pixel ``(ys[j], xs[j])`` of one layer of the hole on the
    pixels already ``filled`` (known, or peeled in earlier layers) and copy its match's centre.
    Candidates: the shifted matches of filled neighbours, ``draws`` uniform draws and a random
    search around the best. A layer only reads earlier layers, so its pixels are independent
    (``prange``), though the kernel is compiled serial (see ``_compile``)."""
    size = target.shape[0]
    for j in prange(ys.size):
        y, x = ys[j], xs[j]
        state = _pixel_state(key, y, x)
        best = (-1, 0, 0, np.inf)
        for qy in range(max(y - 1, 0), min(y + 2, size)):
            for qx in range(max(x - 1, 0), min(x + 2, size)):
                if not filled[qy, qx] or nnf[0][qy, qx] < 0:
                    continue
                best = try_match(target, filled, y, x, src, r, int(nnf[0][qy, qx]),
                            int(nnf[1][qy, qx]) + y - qy, int(nnf[2][qy, qx]) + x - qx, best, 1.0)
        for t in range(draws):
            k, sy, sx = _random_source(src, state + np.uint64(t + 1) * _GOLDEN, 4)
            if k >= 0:
                best = try_match(target, filled, y, x, src, r, k, sy, sx, best, 1.0)
        if best[0] < 0:
            continue
        best = _random_search(target, filled, y, x, src, r, best, state, size // 4, 2 * draws)
        take_match(target, nnf, y, x, src, best)


@KERNELS.add(types.void(F32_3, B2, I64_1, SRC, I64, U64, B2, NNF, NNF, I64),
              parallel=True, fastmath=FASTMATH)
def upsample_nnf(
    target: np.ndarray, domain: np.ndarray, box: np.ndarray, src: tuple, r: int,
    key: np.uint64, coarse_domain: np.ndarray, coarse: tuple, nnf: tuple, threads: int,
) -> None:
    """Initialise a finer field from the coarser one: each pixel keeps its parent's offset
    (source minus target), scaled to the finer grid; invalid results draw a random source."""
    size = target.shape[0]
    small = coarse_domain.shape[0]
    ratio = size / small
    valid = src[1]
    all_known = np.ones((1, 1), np.bool_)
    order = _interleave(box[1] - box[0], threads)
    for position in prange(box[1] - box[0]):
        y = box[0] + order[position]
        cy = min(max(int((y + 0.5) / ratio), 0), small - 1)
        for x in range(box[2], box[3]):
            if not domain[y, x]:
                continue
            cx = min(max(int((x + 0.5) / ratio), 0), small - 1)
            k, sy, sx = -1, 0, 0
            if coarse_domain[cy, cx] and coarse[0][cy, cx] >= 0:
                k = coarse[0][cy, cx]
                sy = y + int(round((coarse[1][cy, cx] - cy) * ratio))
                sx = x + int(round((coarse[2][cy, cx] - cx) * ratio))
                if sy < 0 or sy >= size or sx < 0 or sx >= size or not valid[k, sy, sx]:
                    k = -1
            if k < 0:
                k, sy, sx = _random_source(src, _pixel_state(key, y, x), 256)
                if k < 0:
                    continue
            nnf[0][y, x], nnf[1][y, x], nnf[2][y, x] = k, sy, sx
            nnf[3][y, x] = _cost(target, all_known, y, x, src, k, sy, sx, r, np.inf)


@KERNELS.add(types.void(F32_3, B2, I64_1, SRC, I64, NNF, I64), parallel=True,
              fastmath=FASTMATH)
def refresh_costs(
    target: np.ndarray, domain: np.ndarray, box: np.ndarray, src: tuple, r: int, nnf: tuple,
    threads: int,
) -> None:
    """Recompute the costs after the target changed (an EM vote) without moving the field."""
    all_known = np.ones((1, 1), np.bool_)
    order = _interleave(box[1] - box[0], threads)
    for position in prange(box[1] - box[0]):
        y = box[0] + order[position]
        for x in range(box[2], box[3]):
            if domain[y, x] and nnf[0][y, x] >= 0:
                nnf[3][y, x] = _cost(target, all_known, y, x, src, nnf[0][y, x], nnf[1][y, x],
                                     nnf[2][y, x], r, np.inf)


# ------------------------------------------------------------------------------------- search


@KERNELS.add(types.void(F32_3, B2, I64_1, SRC, I64, U64, types.bool_, I64, I64, F64, I64, NNF,
                        I64), parallel=True, fastmath=FASTMATH)
def search_pass(
    target: np.ndarray, domain: np.ndarray, box: np.ndarray, src: tuple, r: int,
    key: np.uint64, reverse: bool, radius: int, jumps: int, coherence: float, inner: int,
    nnf: tuple, threads: int,
) -> None:
    """One PatchMatch sweep (Barnes et al. 2009): propagation from the two previous neighbours
    in scan order, a random search around the current match with radii ``radius, radius/2,
    .., 1`` on the same bank tile, and ``jumps`` uniform draws over the searched tiles (how a
    match moves to another cube face). ``reverse`` scans bottom-right to top-left.

    A propagated candidate continues its neighbour's match; its cost counts ``1 - coherence``
    times, so the field prefers whole pieces of source to a mosaic of single pixels. A pixel
    whose match already continues both neighbours' (inside a piece) searches within ``inner``
    px only when ``inner > 0``."""
    nk, ny, nx, nd = nnf
    y0, y1, x0, x1 = box[0], box[1], box[2], box[3]
    # Snapshot of the box for reads across band boundaries (rows y0.., columns x0..).
    prev_k = nk[y0:y1, x0:x1].copy()
    prev_y = ny[y0:y1, x0:x1].copy()
    prev_x = nx[y0:y1, x0:x1].copy()
    all_known = np.ones((1, 1), np.bool_)
    keep = 1.0 - coherence
    step = -1 if reverse else 1
    bands = (y1 - y0 + BAND_ROWS - 1) // BAND_ROWS
    order = _interleave(bands, threads)
    for position in prange(bands):
        ya = y0 + order[position] * BAND_ROWS
        yb = min(ya + BAND_ROWS, y1)
        for i in range(yb - ya):
            y = yb - 1 - i if reverse else ya + i
            for j in range(x1 - x0):
                x = x1 - 1 - j if reverse else x0 + j
                if not domain[y, x] or nk[y, x] < 0:
                    continue
                best = (int(nk[y, x]), int(ny[y, x]), int(nx[y, x]), float(nd[y, x]))
                own_k, own_y, own_x = best[0], best[1], best[2]  # the match it starts with
                same = 0  # neighbours whose match this one continues
                qx = x - step  # the neighbour visited just before, in this row
                if x0 <= qx < x1 and domain[y, qx] and nk[y, qx] >= 0:
                    k, sy, sx = int(nk[y, qx]), int(ny[y, qx]), int(nx[y, qx]) + step
                    same += k == own_k and sy == own_y and sx == own_x
                    best = try_match(target, all_known, y, x, src, r, k, sy, sx, best, keep)
                qy = y - step  # the neighbour in the row visited before
                if y0 <= qy < y1 and domain[qy, x]:
                    inside = ya <= qy < yb
                    k = nk[qy, x] if inside else prev_k[qy - y0, x - x0]
                    if k >= 0:
                        sy = (ny[qy, x] if inside else prev_y[qy - y0, x - x0]) + step
                        sx = nx[qy, x] if inside else prev_x[qy - y0, x - x0]
                        same += k == own_k and sy == own_y and sx == own_x
                        best = try_match(target, all_known, y, x, src, r, int(k), int(sy), int(sx),
                                    best, keep)
                state = _pixel_state(key, y, x)
                w = radius
                if inner > 0 and same == 2:
                    # Inside a piece (neither neighbour's candidate differs, so ``best`` is
                    # still its own match): far draws seldom beat a match both neighbours share.
                    w = min(radius, inner)
                best = _random_search(target, all_known, y, x, src, r, best, state, w, 0)
                for t in range(jumps):
                    k, sy, sx = _random_source(src, state + np.uint64(7919 * (t + 1)), 2)
                    if k >= 0:
                        best = try_match(target, all_known, y, x, src, r, k, sy, sx, best, 1.0)
                nk[y, x], ny[y, x], nx[y, x], nd[y, x] = best[0], best[1], best[2], best[3]


# ------------------------------------------------------------------------------ reconstruction


@KERNELS.add(types.void(B2, I64_1, F32_2, F64, F32_2), parallel=False, fastmath=FASTMATH)
def patch_weights(
    domain: np.ndarray, box: np.ndarray, nnf_d: np.ndarray, inv_scale: float, out: np.ndarray
) -> None:
    """Vote weight of every patch: ``exp(-d * inv_scale)`` (Wexler et al. 2007)."""
    for y in prange(box[0], box[1]):
        for x in range(box[2], box[3]):
            if domain[y, x]:
                out[y, x] = np.exp(-nnf_d[y, x] * inv_scale)


@KERNELS.add(types.void(HOLE, B2, I64_1, F32_4, I64, NNF, F32_2, F32_3, I64),
              parallel=True, fastmath=FASTMATH)
def vote(
    hole: np.ndarray, domain: np.ndarray, box: np.ndarray, source: np.ndarray, r: int,
    nnf: tuple, weights: np.ndarray, out: np.ndarray, threads: int,
) -> None:
    """EM step: each hole pixel becomes the weighted mean of what every patch covering it
    (centres in ``domain``) copies there from ``source`` (``(K, P, P, C')``: the bank's proxy
    or its values). Only hole pixels of ``out`` are written."""
    nk, ny, nx = nnf[0], nnf[1], nnf[2]
    size = hole.shape[0]
    channels = source.shape[3]
    order = _interleave(box[1] - box[0], threads)
    for position in prange(box[1] - box[0]):
        y = box[0] + order[position]
        acc = np.empty(channels, np.float64)
        for x in range(box[2], box[3]):
            if not hole[y, x]:
                continue
            acc[:] = 0.0
            total = 0.0
            for dy in range(-r, r + 1):
                qy = y - dy
                if qy < 0 or qy >= size:
                    continue
                for dx in range(-r, r + 1):
                    qx = x - dx
                    if qx < 0 or qx >= size or not domain[qy, qx] or nk[qy, qx] < 0:
                        continue
                    w = weights[qy, qx]
                    k, sy, sx = nk[qy, qx], ny[qy, qx] + dy, nx[qy, qx] + dx
                    for c in range(channels):
                        acc[c] += w * source[k, sy, sx, c]
                    total += w
            if total > 1e-30:
                for c in range(channels):
                    out[y, x, c] = acc[c] / total
            elif nk[y, x] >= 0:  # every weight underflowed: take the pixel's own match
                for c in range(channels):
                    out[y, x, c] = source[nk[y, x], ny[y, x], nx[y, x], c]


@KERNELS.add(types.void(HOLE, I64_1, F32_4, NNF, F64_1, F64, F64, F64, F64, F32_3),
              parallel=False, fastmath=FASTMATH)
def copy_centres(
    hole: np.ndarray, box: np.ndarray, source: np.ndarray, nnf: tuple, geo: np.ndarray,
    sharpen: float, max_ratio: float, low: float, high: float, out: np.ndarray,
) -> None:
    """Each hole pixel copies the centre of its own match (the patch centred on it sees its
    whole neighbourhood, borders showing other faces included, symmetrically).

    A source far out on a gnomonic tile holds the panorama magnified: ``1 + a^2 + b^2`` times
    along the line from the face's centre (the radial direction), the square root of that
    across it. Copied nearer the centre it is a blurred view of what the target should show,
    more blurred along the radius. Its detail along each direction (the pixel minus the mean
    of its two neighbours that way) is amplified by ``sharpen * (m - 1)``, ``m`` the source's
    magnification that way over the target's, at most ``max_ratio`` (its square root across
    the radius); results are clipped to ``[low, high]``. (One gain both ways, the radial
    one, sharpened across the radius as if the source were ``m`` times magnified there too.)"""
    nk, ny, nx = nnf[0], nnf[1], nnf[2]
    channels = source.shape[3]
    size, pad = geo[1], geo[2]
    tangential_cap = max_ratio ** 0.5
    for y in prange(box[0], box[1]):
        bt = 2.0 * (y - pad + 0.5) / size - 1.0
        for x in range(box[2], box[3]):
            if not hole[y, x] or nk[y, x] < 0:
                continue
            k, sy, sx = nk[y, x], ny[y, x], nx[y, x]
            gain_xx = gain_yy = gain_xy = 0.0
            if sharpen > 0:
                at = 2.0 * (x - pad + 0.5) / size - 1.0
                a_s = 2.0 * (sx - pad + 0.5) / size - 1.0
                b_s = 2.0 * (sy - pad + 0.5) / size - 1.0
                stretch = (1.0 + a_s * a_s + b_s * b_s) / (1.0 + at * at + bt * bt)
                radial = sharpen * max(min(stretch, max_ratio) - 1.0, 0.0)
                across = sharpen * max(min(stretch ** 0.5, tangential_cap) - 1.0, 0.0)
                # The radial direction (cos, sin) on the source's face, as a gain tensor
                # radial * u u^T + across * (I - u u^T) on the second differences.
                r2 = a_s * a_s + b_s * b_s
                cos2 = a_s * a_s / r2 if r2 > 1e-12 else 0.5
                cs = a_s * b_s / r2 if r2 > 1e-12 else 0.0
                gain_xx = across + (radial - across) * cos2
                gain_yy = across + (radial - across) * (1.0 - cos2)
                gain_xy = (radial - across) * cs
            for c in range(channels):
                v = source[k, sy, sx, c]
                if gain_xx > 0 or gain_yy > 0:
                    # Detail along x, along y, and the mixed term (minus half the second
                    # derivatives): along u it is cos^2 dxx + 2 cos sin dxy + sin^2 dyy.
                    dxx = v - 0.5 * (source[k, sy, sx - 1, c] + source[k, sy, sx + 1, c])
                    dyy = v - 0.5 * (source[k, sy - 1, sx, c] + source[k, sy + 1, sx, c])
                    dxy = -0.125 * (source[k, sy + 1, sx + 1, c] - source[k, sy - 1, sx + 1, c]
                                    - source[k, sy + 1, sx - 1, c]
                                    + source[k, sy - 1, sx - 1, c])
                    detail = 0.5 * (gain_xx * dxx + gain_yy * dyy + 2.0 * gain_xy * dxy)
                    v = min(max(v + detail, low), high)
                out[y, x, c] = v

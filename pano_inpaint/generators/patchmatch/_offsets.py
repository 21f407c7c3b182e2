"""Dominant offsets of a tile's known texture: the shifts under which it repeats itself.

A regular texture (tiles, bricks, planks, painted stripes) matches itself under a few shifts: the
vectors of its lattice (and, for stripes, any shift along them). He and Sun ("Statistics of patch
offsets for image completion", ECCV 2012) find them by matching known patches to each other and
keeping the peaks of the histogram of offsets; a fill that copies along those offsets keeps the
lattice's phase across the hole. Here the same statistic is measured densely: for every shift
``d`` the mean squared difference between the known detail and itself shifted by ``d``, over the
pixels known at both ends,

    msd(d) = sum m(x) m(x+d) |I(x) - I(x+d)|^2 / sum m(x) m(x+d),

which is a sum of three masked correlations, so every shift costs one set of FFTs (masked
correlation as in D. Padfield, "Masked object registration in the Fourier domain", IEEE TIP
2012). Shifts whose ``msd`` is a local minimum far below the typical one (``strength``) are the
dominant offsets. What is compared is the edge strength of the detail band (see
:func:`edge_strength`), so elements of random tones still repeat and a brightness gradient
across the floor is not taken for a repeat.

Where it is measured. On the target's padded tile, whose border holds the neighbouring faces
re-projected into the tile's plane: a floor seen by the down face continues straight into the
padding, so the lattice found there is the one that continues across the cube edges. The
search runs on a copy of at most ``work_size`` pixels; each offset is then refined scale by
scale (a +-1 pixel search at twice the resolution each time) to full resolution.

Natural ground (grass, gravel, sand) has no shift far below its typical ``msd``: nothing is
found, and the fill is the plain PatchMatch one.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["Lattice", "channel_mean", "edge_strength", "find_lattice", "half_steps", "known_mean",
           "not_parallel", "pair_msd", "refine_on_long_steps", "refine_shift", "ring_detail",
           "sample_step", "tone_lattice", "vertex_offset"]

_SHORTEST = 4  # shorter offsets (work pixels) are left to the ordinary search
_VALLEY_FRACTIONS = (1 / 4, 1 / 3, 1 / 2, 2 / 3, 3 / 4)
_LONG_REACH = 0.75  # share of the tile a basis step's multiples are measured up to
_LONG_MSD = 1.5  # ... while they match at most this many times worse than the step itself
_LONG_PAIRS = 2000  # ... and keep this many pixel pairs known (a 104 px tile's thin ring:
# 700 at twice its step, whose measure moved the step 0.2 px the wrong way)
_SNAP = 0.2  # how near whole a dominant offset's coefficients on the basis must be
_VALLEY_RADII = (48, 32, 24)  # work pixels: circles searched for a valley's floor
_MIN_OVERLAP = 0.2  # a shift must keep this share of the known pixels known at both ends
# Twice a shift (the repeat's confirmation) need only keep this share: under a large cap the
# known ring is thin, and at twice a tile's period its overlap with itself falls below
# _MIN_OVERLAP (plaza_tiles' 45-degree cap, seed 1: 0.12 of the known pixels at 90 px), so a
# sharp lattice (strength 0.37) was dropped for want of pixels, not of a repeat.
_CONFIRM_OVERLAP = 0.1
_SPAN_COEFFICIENT = 3  # largest whole coefficient of a confirmed shift on two sharp dips
_SPAN_PIXELS = 1.0  # work pixels per term: how near the confirmed shift they must land
# Colour msd at a shift above this times at twice it: half a period (half the diagonal of the
# hall's tiles, whose tones alternate along it: 5.8). Random tones match about as badly at
# every step, and through a thin ring their ratio strays: the hall's tiles under a 50-degree
# cap at 1024 px, 1.51 (with 1.5, one of the grid's two directions was dropped: a row of
# dark wedges).
_HALF_PERIOD = 2.0
_REFINE_PIXELS = 60_000  # pixel pairs sampled per shift when refining at full resolution
# The msd about a whole shift makes a valley where its curvature along one direction is under
# this share of that across it (``_across_valley``).
_VALLEY_CURVATURE = 0.1
# A shift on a valley whose msd is under this share of the valley's at its fractions is a
# period along it (``_repeats_along``).
_REPEAT_DEPTH = 0.5
# Sorted colour differences of a lattice's steps this many times apart split the steps that keep
# the colours (below) from those that swap them (a checkerboard's: 9 times; painted stripes whose
# colours repeat every third stripe, the workshop's under a 45-degree cap: 2.35; random tones' at
# most 1.5 between any two with three or more steps on each side).
_TONE_GAP = 2.0
# Steps needed on each side of that gap: one step far from the rest is a chance match (its few
# pairs in a patch of one tone: the plaza's random paving under a 45-degree cap, one step of 24
# at 3.4 times below the next), not a period of the colours, which many steps share.
_TONE_SIDE = 3
# A dominant offset is a whole step of a lattice's basis where its coordinates in the basis lie
# this near whole numbers. A grid of painted joints also matches itself at a shift of one cell
# along one axis and a fraction of one along the other (the hall's ceiling under a 45-degree
# zenith cap: (68.2, 5.7) = a + 0.22 b): the joints along the second axis stay in place, the
# others move, and copies at such a shift broke the grid (11,600 of the cap's 87,600 px).
_WHOLE_STEP = 0.1
# ... unless it dips at least this share of the strongest shift's strength: such a valley shift
# matches one family of joints, and dips at 0.38-0.41 of the grid's own (0.30-0.32 against
# 0.79 on the hall's ceiling); the hall's floor at scene seed 1 took a basis of one tile and one
# and a half across, and the true second step (96, 8), at 0.93 of the strongest, is no whole
# step of it: without it the floor's 35-degree cap lost 2.71 dB.
_OFF_STEP_STRENGTH = 0.6
# A half step of a lattice repeats its joints where the detail's mean squared difference at it
# lies under this share of that at the same shift out of phase (``half_steps``): the loft's and
# the parlour's ceilings 0.52-0.54 (joints in place on a lattice of five cells), the hall's 1.05,
# the court's diagonal half steps 0.97.
_HALF_REPEAT = 0.7


@dataclass(frozen=True)
class Lattice:
    """The dominant offsets of one tile.

    Attributes:
        offsets: ``(K, 2)`` float64 ``(dy, dx)`` in tile pixels (to a fraction of a pixel),
            both signs of each shift.
        strength: ``(K,)`` float64, how sharp each shift's minimum of ``msd`` is (1: an exact
            repeat that its neighbouring shifts do not share; 0: no dip).
        along: ``(K,)`` bool, the shift lies on a valley: the texture matches itself all
            along its direction (a line or stripes), not only at whole multiples of it.
        floor: the one shift was taken on a valley's floor, where no minimum was
            (:func:`_valley_floor`): a weaker find than a minimum, which the generator drops
            for the stripes step (planks seen from above, ``_stripes``), for a floor's
            lattice seen from above (``_plane``) and in a shallow hole.
    """

    offsets: np.ndarray
    strength: np.ndarray
    along: np.ndarray
    floor: bool = False

    def vectors(self, reach: float, max_count: int = 4096, *, whole: bool = True,
                exact: bool = False) -> np.ndarray:
        """``(n, 2)`` int64 lattice vectors up to ``reach`` pixels long, shortest first (float64
        and unrounded with ``whole=False``, for a lattice on a floor's grid, ``_plane``): the
        integer combinations ``i * a + j * b`` of the strongest shift ``a`` and the strongest
        one not parallel to it ``b`` (rounded only at the end, so long vectors keep the
        sub-pixel accuracy of the basis), and every other dominant offset. When both lie on
        valleys (two lines crossing, not a lattice) they are not combined: a shift along one
        line moves the other. With ``exact`` (and ``whole``): the same whole vectors in the
        same order, each given as the unrounded vector it was rounded from (float64), for a
        fill that keeps where a copy's exact source lies (``_offset_kernels``)."""
        a, b, b_along = self.basis()
        n = int(np.ceil(reach / max(np.hypot(*a), 1.0)))
        m = 0 if b is None else int(np.ceil(reach / max(np.hypot(*b), 1.0)))
        i, j = np.meshgrid(np.arange(-n, n + 1), np.arange(-m, m + 1), indexing="ij")
        if b is not None and self.along[0] and b_along:
            i, j = i[(i == 0) | (j == 0)], j[(i == 0) | (j == 0)]
        combos = i.reshape(-1, 1) * a + j.reshape(-1, 1) * (b if b is not None else 0 * a)
        unrounded = np.concatenate([combos, self._on_lattice(a, b, b_along)])
        # Unrounded, the combinations that repeat a dominant offset differ from it by rounding
        # errors of the sums: rounded far below a pixel, they are one vector again.
        vectors = np.rint(unrounded).astype(np.int64) if whole else np.round(unrounded, 6)
        length = np.hypot(vectors[:, 0], vectors[:, 1])
        kept = (length > 0) & (length <= reach)
        vectors, first = np.unique(vectors[kept], axis=0, return_index=True)
        order = np.argsort(np.hypot(vectors[:, 0], vectors[:, 1]), kind="stable")
        if whole and exact:
            vectors = unrounded[kept][first]
        return np.ascontiguousarray(vectors[order][:max_count])

    def _on_lattice(self, a: np.ndarray, b: np.ndarray | None, b_along: bool) -> np.ndarray:
        """The dominant offsets that are whole steps of the basis ``a``, ``b`` (each
        coordinate within :data:`_WHOLE_STEP` of a whole number) or dip nearly as sharply as
        the strongest (:data:`_OFF_STEP_STRENGTH`), where the basis spans a lattice; all of
        them where it does not (stripes, two lines crossing)."""
        if b is None or (self.along[0] and b_along):
            return self.offsets
        steps = np.linalg.solve(np.stack([a, b], axis=1), self.offsets.T).T  # (K, 2)
        whole = (np.abs(steps - np.rint(steps)) <= _WHOLE_STEP).all(axis=1)
        return self.offsets[whole | (self.strength >= _OFF_STEP_STRENGTH * self.strength[0])]

    def basis(self) -> tuple[np.ndarray, np.ndarray | None, bool]:
        """``(a, b, b_along)``: the strongest shift ``a`` and the strongest one not parallel to
        it ``b`` (None: stripes), reduced (Lagrange-Gauss) to the shortest pair spanning the
        same lattice, unless both lie on valleys (two lines crossing: each keeps its own
        direction). The strongest dips need not be a reduced pair: on the 4K plaza's floor
        the second was one tile plus the first (275 px beside two of 194), and a basis that
        long asks for combinations beyond ``vectors``' coefficients and for a longer reach.
        Beside an ``a`` that is an isolated dip, ``b`` is the strongest isolated dip across it,
        and a shift on a valley only where there is none: a valley's shift is any point along
        it, no period. The yard's running bond gave a valley along its courses' joints before
        its 57 px period (its nadir caps of 35 and 45 degrees: +0.4 to +0.9 dB without it); the
        parlour's herringbone under a 45-degree cap (seed 1), with edges measured a hair
        differently, a board's own 9.5 px valley beside the 13.9 px period: a lattice of 3560
        vectors where its periods span 434."""
        a = self.offsets[0]
        b, b_along = None, False
        others = list(zip(self.offsets[2::2], self.along[2::2], strict=True))
        if not self.along[0]:
            others.sort(key=lambda other: bool(other[1]))  # stable: by strength within each
        for other, other_along in others:
            if not_parallel(a, other):
                b, b_along = other, bool(other_along)
                break
        if b is None or (self.along[0] and b_along):
            return a, b, b_along
        a, b = a.astype(np.float64), b.astype(np.float64)
        if a @ a > b @ b:
            a, b = b, a
        while True:  # terminates: |b| shrinks strictly until it is no shorter than |a|
            b = b - np.rint((a @ b) / (a @ a)) * a
            if b @ b >= a @ a:
                return a, b, b_along
            a, b = b, a

    def one_axis(self) -> bool:
        """One direction whose shift is an isolated dip, not on a valley: not stripes but
        one axis of a grid whose other axis did not dip (a thin ring keeps too few of its
        pairs)."""
        return self.basis()[1] is None and not self.along[0]

    def cell(self) -> float:
        """The length of the longest of the reduced basis' ``a``, ``b``, ``a + b``, ``a - b``
        (``|a|`` for stripes): the reach within which :meth:`vectors` holds each basis step
        and, where it combines them, both diagonals of its cell: eight directions to copy
        from."""
        a, b, _ = self.basis()
        if b is None:
            return float(np.hypot(*a))
        return float(max(np.hypot(*v) for v in (a, b, a + b, a - b)))


def not_parallel(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether shifts ``a`` and ``b`` (``(2,)``, non-zero) are more than ~20 degrees apart
    (the sine of their angle above 0.35): far enough apart to span a lattice."""
    return bool(abs(a[0] * b[1] - a[1] * b[0]) / (np.hypot(*a) * np.hypot(*b)) > 0.35)


def _blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of a 2-D float32 image; wide ones on a copy reduced to ~4 pixels per
    sigma and enlarged back (the result is smooth at that scale anyway, and far cheaper)."""
    factor = max(1, int(sigma / 4))
    if factor == 1:
        return cv2.GaussianBlur(image, (0, 0), sigma)
    size = (max(1, image.shape[1] // factor), max(1, image.shape[0] // factor))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / factor)
    return cv2.resize(small, image.shape[::-1], interpolation=cv2.INTER_LINEAR)


def known_mean(values: np.ndarray, known: np.ndarray, sigma: float) -> np.ndarray:
    """The mean of ``values`` ``(P, P)`` float32 over the ``known`` pixels (``(P, P)`` float32,
    1 where known) near each pixel, Gaussian-weighted with ``sigma``."""
    weight = np.maximum(cv2.GaussianBlur(known, (0, 0), sigma), 1e-6)
    return cv2.GaussianBlur(values * known, (0, 0), sigma) / weight


def channel_mean(image: np.ndarray) -> np.ndarray:
    """``image.mean(axis=-1)`` of a float ``(..., C)`` image, bit for bit, but a few times
    faster: numpy reduces a short last axis one element at a time (pairwise summation starts at
    8), so the same sums are made channel plane by channel plane."""
    channels = image.shape[-1]
    if channels >= 8 or image.dtype.kind != "f":
        return image.mean(axis=-1)
    total = image[..., 0].copy()
    for c in range(1, channels):
        total += image[..., c]
    total /= image.dtype.type(channels)
    return total


def edge_strength(image: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(P, P, 1)`` edge strength of the known detail and the pixels where it is defined.

    Edge strength (gradient magnitude of the luminance's detail band, above ~1/32 of the tile)
    keeps where the texture's lines are and drops how bright each element is: tiles of random
    tones still repeat their grout lines exactly, and brightness gradients across the floor do
    not count as a repeat."""
    sigma = max(1.0, image.shape[0] / 32)
    weight = known.astype(np.float32)
    luma = channel_mean(image).astype(np.float32, copy=False)
    low = _blur(luma * weight, sigma) / np.maximum(_blur(weight, sigma), 1e-6)
    detail = np.where(known, luma - low, 0).astype(np.float32, copy=False)
    gx = cv2.Sobel(detail, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(detail, cv2.CV_32F, 0, 1)
    edges = cv2.GaussianBlur(np.sqrt(gx * gx + gy * gy), (0, 0), 1.0)
    inside = cv2.erode(known.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    return np.where(inside, edges, 0)[..., None], inside


def _msd_map(detail: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``msd`` and overlap count for every shift, ``(2P - 1, 2P - 1)`` maps centred on 0."""
    size = detail.shape[0]
    n = cv2.getOptimalDFTSize(2 * size)
    m = known.astype(np.float64)

    def spectrum(a: np.ndarray) -> np.ndarray:
        return np.fft.rfft2(a, (n, n))

    def correlate(fa: np.ndarray, fb: np.ndarray) -> np.ndarray:
        # sum_x a(x) b(x + d) for every shift d, centred: the shifts -(size - 1)..-1 are the
        # last rows (columns) of the cyclic result, 0..size - 1 its first. Copied straight into
        # place (an fftshift first copies all n x n of it: 5% of find_lattice).
        c = np.fft.irfft2(np.conj(fa) * fb, (n, n))
        out = np.empty((2 * size - 1, 2 * size - 1))
        tail = n - size + 1
        out[: size - 1, : size - 1] = c[tail:, tail:]
        out[: size - 1, size - 1 :] = c[tail:, :size]
        out[size - 1 :, : size - 1] = c[:size, tail:]
        out[size - 1 :, size - 1 :] = c[:size, :size]
        return out

    fm = spectrum(m)
    overlap = correlate(fm, fm)
    total = np.zeros_like(overlap)
    for c in range(detail.shape[2]):
        x = detail[..., c].astype(np.float64) * m
        fx, fx2 = spectrum(x), spectrum(x * x)
        total += correlate(fx2, fm) + correlate(fm, fx2) - 2 * correlate(fx, fx)
    msd = total / np.maximum(overlap, 1.0)
    return msd, overlap


def _local_minima(msd: np.ndarray, valid: np.ndarray, radius: int) -> np.ndarray:
    """``(n, 2)`` indices of the local minima of ``msd`` over ``valid`` (window ``radius``)."""
    filled = np.where(valid, msd, 1e30).astype(np.float32)
    kernel = np.ones((2 * radius + 1,) * 2, np.uint8)
    lowest = -cv2.dilate(-filled, kernel)
    return np.argwhere(valid & (filled <= lowest))


def _nearest_minimum(msd: np.ndarray, valid: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``(n, 2)``: the lowest valid ``msd`` within one pixel of each point (clipped to the
    map; a point with no valid neighbour is returned as it is, and scores no dip)."""
    size = msd.shape[0]
    best = np.clip(points, 0, size - 1)
    lowest = np.full(len(points), np.inf)
    for ey in (-1, 0, 1):
        for ex in (-1, 0, 1):
            p = points + np.array([ey, ex])
            inside = ((p >= 0) & (p < size)).all(axis=1)
            q = np.clip(p, 0, size - 1)
            value = np.where(inside & valid[q[:, 0], q[:, 1]], msd[q[:, 0], q[:, 1]], np.inf)
            better = value < lowest
            best[better], lowest[better] = q[better], value[better]
    return best


def _dips(msd: np.ndarray, valid: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``1 - msd(d) / median msd on a ring of radius 3-5 around d`` for each point: how sharp
    a minimum is. A lattice vector is a narrow dip; the broad minima of shading or of a smooth
    texture are not (0 where the ring is mostly outside ``valid``)."""
    angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    ring = np.concatenate([np.stack([r * np.sin(angles), r * np.cos(angles)], axis=1)
                           for r in (3, 4, 5)])
    ring = np.rint(ring).astype(np.int64)  # (72, 2)
    size = msd.shape[0]
    around = points[:, None, :] + ring[None]  # (n, 72, 2)
    inside = ((around >= 0) & (around < size)).all(axis=-1)
    ay, ax = np.clip(around[..., 0], 0, size - 1), np.clip(around[..., 1], 0, size - 1)
    usable = inside & valid[ay, ax]
    values = np.where(usable, msd[ay, ax], np.nan)
    with warnings.catch_warnings():  # rings entirely outside ``valid`` score no dip below
        warnings.simplefilter("ignore", RuntimeWarning)
        median = np.nanmedian(values, axis=1)
    dips = 1.0 - msd[points[:, 0], points[:, 1]] / np.maximum(median, 1e-12)
    return np.where(usable.mean(axis=1) >= 0.5, np.nan_to_num(dips), 0.0)


def _windows(size: int, dy: int, dx: int, step: int
             ) -> tuple[tuple[slice, slice], tuple[slice, slice]] | None:
    """The two windows of a ``size``-pixel tile that a shift ``(dy, dx)`` pairs, pixel ``x`` of
    the first with ``x + (dy, dx)`` of the second, on every ``step``-th pixel (None: under two
    pixels either way)."""
    ya, yb = max(0, -dy), min(size, size - dy)
    xa, xb = max(0, -dx), min(size, size - dx)
    if yb - ya < 2 or xb - xa < 2:
        return None
    return ((slice(ya, yb, step), slice(xa, xb, step)),
            (slice(ya + dy, yb + dy, step), slice(xa + dx, xb + dx, step)))


def pair_msd(image: np.ndarray, known: np.ndarray, dy: int, dx: int, step: int) -> float:
    """``msd`` of one shift on every ``step``-th pixel (inf without enough pairs)."""
    windows = _windows(image.shape[0], dy, dx, step)
    if windows is None:
        return np.inf
    here, there = windows
    a, b = image[here], image[there]
    both = known[here] & known[there]
    count = int(both.sum())
    if count < 64:
        return np.inf
    return float(((a - b) ** 2).sum(axis=-1)[both].sum() / count)


def ring_detail(image: np.ndarray, known: np.ndarray) -> np.ndarray:
    """``(P, P)`` float32: the luminance of tile ``image`` (``(P, P, C)``) less its local mean
    over the ``known`` pixels (a Gaussian of a 32nd of the tile, 1 px at least), 0 elsewhere:
    the joints, grain and stripes a shift is matched on, without the light."""
    sigma = max(1.0, image.shape[0] / 32)
    luma = channel_mean(image).astype(np.float32, copy=False)
    low = known_mean(luma, known.astype(np.float32), sigma)
    return np.where(known, luma - low, 0).astype(np.float32)


def half_steps(image: np.ndarray, known: np.ndarray, lattice: Lattice) -> Lattice | None:
    """The lattice of ``lattice``'s half steps that repeat the known texture of ``image``
    (``(P, P, C)``, ``known`` ``(P, P)`` bool) at least in part: of ``a / 2``, ``b / 2``,
    ``(a + b) / 2`` and ``(a - b) / 2``, those whose mean squared difference of the tile's
    detail (luminance less its local mean) lies under :data:`_HALF_REPEAT` of that at half
    the half step (the same shift out of phase); None where fewer than two of them do, or the
    lattice has one direction.

    Made for a ceiling grid found at a long step (the loft's as a lattice of 159 px): under a
    45-degree zenith cap every whole step from the hole's middle jumped over the thin ring,
    and 21-38% of the hole was left to the plain search (white squares between the joints).
    Half a step kept the joints in place (detail 0.52-0.54 of the out-of-phase shift's on the
    loft's and the parlour's ceilings); on a plain grid half a step is out of phase (1.05 on
    the hall's). (That long step was no period of alternating tones, as thought then, but
    two cells along and one across, a lattice of five cells whose half steps are no steps of
    the grid; the grid is found at its own cell now, :func:`_confirmed_by_lattice`.)"""
    a, b, _ = lattice.basis()
    if b is None:
        return None
    detail = ring_detail(image, known)[..., None]
    step = sample_step(known)

    def msd(shift: np.ndarray) -> float:
        return pair_msd(detail, known, *np.rint(shift).astype(int), step)

    kept = [half for half in (a / 2, b / 2, (a + b) / 2, (a - b) / 2)
            if msd(half) < _HALF_REPEAT * msd(half / 2)]
    if len(kept) < 2 or not any(not_parallel(kept[0], other) for other in kept[1:]):
        return None
    offsets = np.array([v for half in kept for v in (half, -half)], np.float64)
    return Lattice(offsets, np.full(len(offsets), 0.5), np.zeros(len(offsets), bool))


def sample_step(known: np.ndarray) -> int:
    """Every how many pixels a shift's pairs are taken so that about ``_REFINE_PIXELS`` of
    the ``known`` pixels (``(P, P)`` bool) are."""
    return max(1, int(np.sqrt(int(known.sum()) / _REFINE_PIXELS)))


def vertex_offset(before: float, at: float, after: float) -> float:
    """Where the parabola through three values a step apart has its minimum, as an offset
    from the middle one's position (clipped to half a step either way); 0 where they do not
    curve upwards (or are not finite). A maximum: the negated values."""
    curvature = before + after - 2 * at
    if not (np.isfinite(curvature) and curvature > 0):
        return 0.0
    return float(np.clip(0.5 * (before - after) / curvature, -0.5, 0.5))


def _whole_msd(image: np.ndarray, known: np.ndarray) -> Callable[[np.ndarray], float]:
    """``pair_msd`` of a whole shift (``(2,)``) on ``known``'s sampled pixels, each shift
    measured once however often it is asked for (a walk's refinements overlap by six of their
    nine shifts, and a long step asks again for the ones its walk ended on)."""
    step = sample_step(known)
    measured: dict[tuple[int, int], float] = {}

    def msd(d: np.ndarray) -> float:
        key = (int(d[0]), int(d[1]))
        if key not in measured:
            measured[key] = pair_msd(image, known, key[0], key[1], step)
        return measured[key]

    return msd


def _msd_around(msd: Callable[[np.ndarray], float], centre: np.ndarray) -> np.ndarray:
    """``(3, 3)`` ``msd`` of the whole shifts round ``centre`` (``(2,)`` int)."""
    return np.array([[msd(centre + np.array([ey, ex])) for ex in (-1, 0, 1)]
                     for ey in (-1, 0, 1)])


def _refine(image: np.ndarray, known: np.ndarray, offset: np.ndarray,
            subpixel: bool = False, msd: Callable[[np.ndarray], float] | None = None
            ) -> np.ndarray:
    """The best shift within +-1 pixel of ``offset`` at this resolution; with ``subpixel``,
    moved to a fraction of a pixel (float): to the vertex of a parabola through its neighbours'
    ``msd`` along each axis, and where it lies on a valley, across the valley to its floor
    instead (:func:`_across_valley`; along it the parabolas' place stays). ``msd``: the
    tile's :func:`_whole_msd`, where the caller measures more shifts on it."""
    msd = _whole_msd(image, known) if msd is None else msd
    best, best_msd = offset, np.inf
    for ey in (-1, 0, 1):
        for ex in (-1, 0, 1):
            candidate = offset + np.array([ey, ex])
            value = msd(candidate)
            if value < best_msd:
                best, best_msd = candidate, value
    if not subpixel or not np.isfinite(best_msd):
        return best
    out = best.astype(np.float64)
    for axis in (0, 1):
        unit = np.eye(2, dtype=np.int64)[axis]
        out[axis] += vertex_offset(msd(best - unit), best_msd, msd(best + unit))
    valley = _across_valley(_msd_around(msd, best))
    if valley is not None:
        # Across the valley where the quadric bottoms out; along it where the parabolas put it.
        normal, across = valley
        out += (across - normal @ (out - best)) * normal
    return out


def _across_valley(around: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Where the ``msd`` of the ``(3, 3)`` shifts ``around`` a whole one (its centre) bottoms
    out across a valley: the unit normal ``(dy, dx)`` across it and how far along that normal
    from the centre (at most half a pixel); None where they make no valley (a bowl, no upward
    curvature, a shift without enough pairs).

    The quadric through the nine values curves along one direction only on a valley (its
    Hessian's smaller eigenvalue under ``_VALLEY_CURVATURE`` of the larger). A parabola along
    each axis does not find its floor: on stripes at 30 degrees each axis' vertex lies where
    the valley crosses that axis' line through the whole shift, and together they landed
    0.1-0.2 px off it (the period 9.3 px measured as 9.47), the copies' chains across a hole a
    pixel or two out of phase where they met. Along the valley the quadric's curvature is too
    weak to place the shift (where it matters at all: a grid whose one family of joints
    dominates the edges, a kerb's paving seen far off)."""
    if not np.isfinite(around).all():
        return None
    ey, ex = np.mgrid[-1:2, -1:2]
    design = np.stack([ey * ey, ex * ex, ey * ex, ey, ex, np.ones_like(ey)], axis=-1)
    coefficients, *_ = np.linalg.lstsq(design.reshape(9, 6).astype(np.float64),
                                       around.reshape(9), rcond=None)
    hessian = np.array([[2 * coefficients[0], coefficients[2]],
                        [coefficients[2], 2 * coefficients[1]]])
    gradient = coefficients[3:5]
    curvatures, directions = np.linalg.eigh(hessian)
    if not (curvatures[1] > 0 and curvatures[0] < _VALLEY_CURVATURE * curvatures[1]):
        return None
    normal = directions[:, 1]
    return normal, float(np.clip(-(normal @ gradient) / curvatures[1], -0.5, 0.5))


def _crossing_dip(msd: np.ndarray, valid: np.ndarray, shift: np.ndarray, others: np.ndarray,
                  centre: int) -> float:
    """The sharpest dip (:func:`_dips`) at the sum or difference of ``shift`` (``(2,)``, work
    pixels from ``centre``) and any of ``others`` (``(m, 2)``): where two valleys repeat
    together, a grid of lines, not two lines crossing."""
    sums = centre + shift + np.concatenate([others, -others])
    return float(_dips(msd, valid, _nearest_minimum(msd, valid, sums)).max())


def _repeats_along(msd: np.ndarray, valid: np.ndarray, shift: np.ndarray, centre: int) -> bool:
    """Whether ``shift`` (``(2,)``, work pixels from ``centre``) on a valley matches far
    better than the valley does at its fractions (``_VALLEY_FRACTIONS``, ``_REPEAT_DEPTH``):
    a period along the valley, where the lines across it match too (a grid of lines), not
    a line or stripes, which match about as well all along."""
    points = centre + np.rint(np.outer(_VALLEY_FRACTIONS, shift)).astype(np.int64)
    points = points[np.hypot(*(points - centre).T) >= _SHORTEST]
    points = _nearest_minimum(msd, valid, points)
    points = points[valid[points[:, 0], points[:, 1]]]
    at = _nearest_minimum(msd, valid, (centre + shift)[None])[0]
    if not points.size or not valid[at[0], at[1]]:
        return False
    return bool(msd[at[0], at[1]] <= _REPEAT_DEPTH * msd[points[:, 0], points[:, 1]].min())


def _grid_of_lines(msd: np.ndarray, valid: np.ndarray, shifts: np.ndarray, valley: np.ndarray,
                   centre: int, min_strength: float) -> np.ndarray:
    """``valley`` with the first two non-parallel shifts on valleys cleared where their sum or
    difference is a dip as well: a grid of lines (tiles' joints), whose every line a shift
    along one direction keeps, repeats at the combinations of both (two lines crossing do
    not). And any shift on a valley that repeats along it (:func:`_repeats_along`) beside a
    shift across it: one period of a grid of lines whose other direction was found too.
    Through a thin ring a cell's diagonal often keeps too few pairs to be measured, and
    whether the grid's second period counted as a valley hung on its dips at its fractions
    (the hall's ceiling grid under a 45-degree zenith cap: 0.148, and 0.150 with the edges
    along the tile's own border left out, against 0.15; as two lines crossing, its fill lost
    3.4 dB)."""
    valley = _crossing_valleys(msd, valid, shifts, valley, centre, min_strength).copy()
    for k in np.flatnonzero(valley):
        if (any(not_parallel(shifts[k], other) for other in shifts)
                and _repeats_along(msd, valid, shifts[k], centre)):
            valley[k] = False
    return valley


def _crossing_valleys(msd: np.ndarray, valid: np.ndarray, shifts: np.ndarray,
                      valley: np.ndarray, centre: int, min_strength: float) -> np.ndarray:
    """``valley`` with the first two non-parallel shifts on valleys cleared where their sum or
    difference is a dip (:func:`_crossing_dip`)."""
    on = [k for k in range(len(shifts)) if valley[k]]
    for x, first in enumerate(on):
        for second in on[x + 1:]:
            a, b = shifts[first], shifts[second]
            if not not_parallel(a, b):
                continue
            if _crossing_dip(msd, valid, a, b[None], centre) >= min_strength / 2:
                valley = valley.copy()
                valley[[first, second]] = False
            return valley
    return valley


def _on_valley(msd: np.ndarray, valid: np.ndarray, shifts: np.ndarray, centre: int,
               min_strength: float) -> np.ndarray:
    """``(n,)`` bool: whether each shift (``(n, 2)`` work pixels from ``centre``) lies on a
    valley of matching shifts: the texture matches itself all along its direction (a line,
    stripes), not at isolated points. Every fraction of the shift (``_VALLEY_FRACTIONS``, those
    beyond the central lobe) must be a dip at half ``min_strength``: half alone is not enough,
    since half of twice a lattice vector is one (plaza_tiles' 45-degree cap, seed 1: a
    checkerboard's double step along a diagonal of its cells, taken for stripes, smeared the
    face into bands)."""
    on = np.ones(len(shifts), bool)
    for fraction in _VALLEY_FRACTIONS:
        points = np.rint(shifts * fraction).astype(np.int64)
        near = np.hypot(*points.T) < _SHORTEST
        dips = _dips(msd, valid, _nearest_minimum(msd, valid, centre + points))
        on &= near | (dips >= min_strength / 2)
    return on


def _lone_valleys(msd: np.ndarray, valid: np.ndarray, shifts: np.ndarray, others: np.ndarray,
                  centre: int, min_strength: float) -> np.ndarray:
    """``(n,)`` bool: whether each of ``shifts`` (``(n, 2)`` work pixels from ``centre``) lies
    on a valley (:func:`_on_valley`) that none of the ``others`` (``(m, 2)``) on a valley of
    their own crosses as a grid (:func:`_crossing_dip`, as :func:`_grid_of_lines` tests two
    valleys): stripes."""
    lone = _on_valley(msd, valid, shifts, centre, min_strength)
    others = others[_on_valley(msd, valid, others, centre, min_strength)]
    for k in np.flatnonzero(lone):
        crossing = others[[not_parallel(shifts[k], other) for other in others]]
        if len(crossing):
            lone[k] = _crossing_dip(msd, valid, shifts[k], crossing, centre) < min_strength / 2
    return lone


def _valley_floor(msd: np.ndarray, valid: np.ndarray, centre: int, min_strength: float
                  ) -> np.ndarray | None:
    """``(2,)`` map index of a shift along a valley that holds no local minimum, or None.

    A texture that matches itself along a direction less and less with distance (wood's grain
    along its boards, their joints at random) has a valley that rises from the centre, and so
    no minimum on it to be found. On circles about the centre (``_VALLEY_RADII``, the longest
    first: a longer shift gives the direction more exactly) the lowest ``msd`` is taken where
    it is a sharp dip across, on a valley (:func:`_on_valley`) and twice it still dips."""
    angles = np.radians(np.arange(0.0, 180.0, 2.0))
    circle = np.stack([np.sin(angles), np.cos(angles)], axis=1)
    for radius in _VALLEY_RADII:
        if radius >= centre:  # a small tile's map does not reach it
            continue
        points = centre + np.rint(radius * circle).astype(np.int64)
        usable = valid[points[:, 0], points[:, 1]]
        if not usable.any():
            continue
        lowest = points[np.argmin(np.where(usable, msd[points[:, 0], points[:, 1]], np.inf))]
        lowest = _nearest_minimum(msd, valid, lowest[None])
        twice = _nearest_minimum(msd, valid, 2 * lowest - centre)
        if (_dips(msd, valid, lowest)[0] >= min_strength
                and _dips(msd, valid, twice)[0] >= min_strength / 2
                and _on_valley(msd, valid, lowest - centre, centre, min_strength)[0]):
            return lowest[0]
    return None


def refine_shift(image: np.ndarray, known: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """``offset`` (``(2,)``, tile pixels, found on a coarser view) moved to the best shift of
    the tile's own known edges, a whole pixel at a time until no neighbour is better, then to
    a fraction of a pixel."""
    return _walk(edge_strength(image, known), offset)


def _walk(features: tuple[np.ndarray, np.ndarray], offset: np.ndarray,
          msd: Callable[[np.ndarray], float] | None = None) -> np.ndarray:
    """:func:`refine_shift` on the tile's edges ``features`` (:func:`edge_strength`; ``msd``:
    their :func:`_whole_msd`, where the caller has one)."""
    msd = _whole_msd(*features) if msd is None else msd
    best = np.rint(offset).astype(np.int64)
    for _ in range(8):  # a coarse view's shift is off by its factor at most
        moved = _refine(*features, best, msd=msd)
        if (moved == best).all():
            break
        best = moved
    return _refine(*features, best, subpixel=True, msd=msd)


def _long_step(features: tuple[np.ndarray, np.ndarray], shift: np.ndarray) -> np.ndarray:
    """``shift`` (``(2,)``, float) measured again over its multiples, doubled while they fit
    in ``_LONG_REACH`` of the tile and still match about as well as it does
    (``_LONG_MSD``): each one's whole-pixel error is shared among its steps. A multiple whose
    ``msd`` makes a valley (:func:`_across_valley`) moves the step across the valley only."""
    edges, known = features
    size = edges.shape[0]
    msd = _whole_msd(edges, known)
    base = msd(np.rint(shift).astype(np.int64))
    current = np.asarray(shift, np.float64)
    multiple = 2
    while np.isfinite(base) and multiple * np.hypot(*current) <= _LONG_REACH * size:
        longer = _walk(features, multiple * current, msd)
        whole = np.rint(longer).astype(np.int64)
        # The walk must stay by the multiple it set out from: along a line, every shift
        # matches and it slid back to the step itself (two dark lines crossing in a hole:
        # the step halved forever, an OverflowError).
        if (np.hypot(*(longer - multiple * current)) > 0.5 * np.hypot(*current)
                or _pairs(known, int(whole[0]), int(whole[1])) < _LONG_PAIRS
                or not msd(whole) <= _LONG_MSD * base):
            break
        moved = longer - multiple * current
        # On a valley the multiple's msd places it across the valley only; along it the
        # match is as good a pixel or two either way, and the walk slid by chance (the
        # workshop ceiling's grid under a 45-degree zenith cap: at four steps its msd
        # 0.0025-0.0045 over 6 px across the step, 0.008-0.009 a pixel along it; both
        # periods came out turned by 0.2 px).
        valley = _across_valley(_msd_around(msd, whole))
        if valley is not None:
            moved = (valley[0] @ moved) * valley[0]
        current = current + moved / multiple
        multiple *= 2
    return current


def refine_on_long_steps(lattice: Lattice, image: np.ndarray, known: np.ndarray) -> Lattice:
    """:func:`_on_long_steps` on a tile ``image`` ``(P, P, C)`` over its ``known`` pixels."""
    return _on_long_steps(lattice, edge_strength(image, known))


def _pairs(known: np.ndarray, dy: int, dx: int) -> int:
    """How many pixels of ``known`` (``(P, P)`` bool) stay known shifted by ``(dy, dx)``."""
    windows = _windows(known.shape[0], dy, dx, 1)
    return 0 if windows is None else int((known[windows[0]] & known[windows[1]]).sum())


def _on_long_steps(lattice: Lattice, features: tuple[np.ndarray, np.ndarray]) -> Lattice:
    """``lattice`` with its basis measured over long steps (:func:`_long_step`) and every
    dominant offset that is a whole combination of the basis (to ``_SNAP`` of a step) made
    that combination of the new one. A basis measured on one step is off by a tenth of a
    pixel or so (the yard's bricks under a 50-degree cap at 1024 px: 0.12-0.15 px), and the
    fill copies across the hole over a dozen steps: copies from opposite sides of the ring
    met 1-2 px apart, a seam through the bricks' joints. Stripes (a first shift on a valley)
    and two lines crossing are left as they are."""
    a, b, b_along = lattice.basis()
    if lattice.along[0] or b_along:
        return lattice
    basis = np.stack([a, b]) if b is not None else a[None]
    longer = np.stack([_long_step(features, v) for v in basis])
    offsets = lattice.offsets.copy()
    for k, offset in enumerate(offsets):
        if lattice.along[k]:
            continue
        coefficients, *_ = np.linalg.lstsq(basis.T, offset, rcond=None)
        whole = np.rint(coefficients)
        if (np.abs(coefficients - whole).max() <= _SNAP
                and np.hypot(*(whole @ basis - offset)) <= 1.0):
            offsets[k] = whole @ longer
    return dataclasses.replace(lattice, offsets=offsets)


def _same_colours(image: np.ndarray, known: np.ndarray, shift: np.ndarray) -> bool:
    """Whether the known colours match themselves shifted by ``shift`` (px, ``(2,)`` int) about
    as well as shifted by twice it: a period, not half of one (``_HALF_PERIOD``)."""
    step = sample_step(known)
    once = pair_msd(image, known, int(shift[0]), int(shift[1]), step)
    twice = pair_msd(image, known, 2 * int(shift[0]), 2 * int(shift[1]), step)
    return bool(np.isfinite(once) and once <= _HALF_PERIOD * twice)


def _confirmed_by_lattice(msd: np.ndarray, valid: np.ndarray, minima: np.ndarray,
                          dips: np.ndarray, confirmed: np.ndarray, image: np.ndarray,
                          known: np.ndarray, scale: int, min_strength: float) -> np.ndarray:
    """``confirmed`` with the sharp dips whose doubles cannot be measured confirmed by the
    lattice instead: two of them, not parallel, both on valleys or neither, each shorter than
    every confirmed shift, that span a confirmed shift with whole coefficients (at most
    ``_SPAN_COEFFICIENT``, within ``_SPAN_PIXELS`` per term) and whose colours repeat are its
    steps.

    Through the ring of a large cap the double of a short diagonal step leaves the known
    pixels (the loft's ceiling grid under a 45-degree zenith cap: 0.10 of them at twice its
    71 px step, against ``_MIN_OVERLAP``'s 0.2), while a long shift along the tile's axes,
    kept by the tile's corners, is confirmed by its own double: 2a - b, five cells in area,
    was the lattice, and its copies, two and a half cells long, left squares of misaligned
    joints across the cap. Colours must match at each step as well as at twice it (on
    edges alone a checkerboard repeats at half its period)."""
    last = msd.shape[0] - 1
    centre = last // 2
    doubles = 2 * minima - centre
    inside = ((doubles >= 0) & (doubles <= last)).all(axis=1)
    unmeasured = ~inside | ~valid[np.clip(doubles[:, 0], 0, last),
                                  np.clip(doubles[:, 1], 0, last)]
    sure = np.flatnonzero(confirmed >= min_strength)
    if not sure.size:
        return confirmed
    # Only steps shorter than every confirmed shift: what is missing is the lattice's short
    # steps; a long one (its double beyond the map) beside a short confirmed one displaced
    # the lattice's other steps (the hall's nadir cap: -5 dB).
    length = np.hypot(*(minima - centre).T)
    candidates = np.flatnonzero((confirmed < min_strength) & (dips >= min_strength)
                                & unmeasured & (length < length[sure].min()))
    if candidates.size < 2:
        return confirmed
    valley = dict(zip(candidates, _on_valley(msd, valid, minima[candidates] - centre, centre,
                                             min_strength), strict=True))
    out = confirmed.copy()
    shifts = (minima - centre).astype(np.float64)
    colours_repeat = functools.cache(
        lambda k: _same_colours(image, known, (minima[k] - centre) * scale))
    for i, j in itertools.combinations(candidates, 2):
        basis = np.stack([shifts[i], shifts[j]], axis=1)
        # Both on valleys (the joints of a grid, half matched along either axis) or neither:
        # a shift along stripes and one across them span any multiple of the stripes' step
        # (the workshop's painted floor was copied along its stripes, not three stripes on).
        if not not_parallel(shifts[i], shifts[j]) or valley[i] != valley[j]:
            continue
        coefficients = np.linalg.solve(basis, shifts[sure].T)  # (2, n)
        whole = np.rint(coefficients)
        error = np.hypot(*(basis @ whole - shifts[sure].T))
        # Each minimum is on whole work pixels: the combination's error grows with its terms.
        reach = _SPAN_PIXELS * (1 + np.abs(whole).sum(axis=0))
        spans = ((error <= reach) & (np.abs(whole).max(axis=0) <= _SPAN_COEFFICIENT)
                 & (np.abs(whole).min(axis=0) >= 1))
        if spans.any() and all(colours_repeat(k) for k in (i, j)):
            out[[i, j]] = dips[[i, j]]
    return out


def find_lattice(
    image: np.ndarray, known: np.ndarray, *, work_size: int = 512, min_strength: float = 0.3,
    max_offsets: int = 6, long_steps: bool = True, second_beside_double: bool = True,
) -> Lattice | None:
    """The dominant offsets of the known part of one tile, or None if it has none.

    Args:
        image: ``(P, P, C)`` float32 tile (hole pixels are ignored).
        known: ``(P, P)`` bool, the pixels to measure on.
        work_size: side of the copy the search runs on.
        min_strength: least sharpness of a dominant offset's minimum (see :func:`_dips`).
        max_offsets: how many shifts (each counted with both signs) to keep at most.
        long_steps: measure the basis over its long multiples (:func:`_on_long_steps`) and
            drop shifts whose dip fades at three times them (near-repeats); not on a view
            whose sharpness changes across it (a floor rectified from a side
            face, blurred towards the horizon: its long steps compare sharp tiles with
            blurred ones, and the plaza's wrap object lost 0.87 dB).
        second_beside_double: a second direction may be added beside a first shift whose
            half is a dip as well (twice a step of the lattice; off on a wider view, whose
            shifts are found far from the ring they are copied across: the plaza's random
            paving at 2048 px gave 399 px and 200 px across it, a fill of fragments).

    Returns:
        A :class:`Lattice` with the sharpest shifts (their ``strength`` is the dip), or None
        when no minimum is sharper than ``min_strength``.
    """
    size = image.shape[0]
    if known.sum() < 0.1 * known.size:
        return None
    levels = max(0, int(np.ceil(np.log2(size / work_size))))
    pyramid = [(np.ascontiguousarray(image, dtype=np.float32), known)]
    for _ in range(levels):
        img, kn = pyramid[-1]
        half = (img.shape[1] + 1) // 2
        small = cv2.resize(img, (half, half), interpolation=cv2.INTER_AREA).reshape(
            half, half, -1)
        # A coarse pixel is known only if every pixel under it is.
        small_known = cv2.resize(kn.astype(np.float32), (half, half),
                                 interpolation=cv2.INTER_AREA) > 0.999
        pyramid.append((small, small_known))
    # The finer levels' edges only refine a lattice found on the coarsest: most tiles have
    # none (at 8K they were 0.6 of find_lattice's 0.7 CPU s).
    features = functools.cache(lambda level: edge_strength(*pyramid[level]))
    work, work_known = features(len(pyramid) - 1)
    msd, overlap = _msd_map(work, work_known)
    centre = work.shape[0] - 1
    valid = overlap >= _MIN_OVERLAP * float(work_known.sum())
    # Minima are found with the zero shift in the map, so the central lobe of any texture
    # (small shifts match well everywhere) holds none but the zero itself.
    minima = _local_minima(msd, valid, 3)
    minima = minima[np.hypot(minima[:, 0] - centre, minima[:, 1] - centre) >= _SHORTEST]
    upper = (minima[:, 0] > centre) | ((minima[:, 0] == centre) & (minima[:, 1] > centre))
    minima = minima[upper]  # msd(d) == msd(-d): one sign while picking
    if not minima.size:
        return None
    dips = _dips(msd, valid, minima)
    last = msd.shape[0] - 1
    # A repeat repeats: twice the shift must be a dip as well (a chance dip of an irregular
    # texture is not), within a pixel (it is measured on whole pixels).
    confirmed = dips * (_dips(msd, valid, _nearest_minimum(msd, valid, 2 * minima - centre))
                        >= min_strength / 2)
    if long_steps:
        # And so must three times it, where that is measured: a near-repeat's dip fades with
        # its multiples. Boards in a herringbone shifted by one board's width lie mostly on
        # boards again (0.32 at 1024 px, as sharp as the pattern's periods), at three widths
        # no longer (0.11; its periods 0.22-0.37 there): copied as a period, that shift led
        # the pattern astray across the hole (a star of boards turned the wrong way under a
        # 50-degree cap). Not on a view whose sharpness changes across it (``long_steps``):
        # a ceiling's grid rectified from a side face lost two of its periods (0.79, 0.73),
        # whose triples compare sharp joints with blurred ones (the workshop's cube corner
        # -1.02 dB).
        thrice = 3 * minima - 2 * centre
        measured = ((thrice >= 0) & (thrice <= last)).all(axis=1)
        thrice = np.clip(thrice, 0, last)
        measured &= valid[thrice[:, 0], thrice[:, 1]]
        fading = measured & (_dips(msd, valid, _nearest_minimum(msd, valid, thrice))
                             < min_strength / 2)
        # Stripes match along their valley less and less with distance: there the test says
        # nothing (Potsdamer Platz's paving under a monopod lost its stripes, -0.25 dB), unless
        # another valley crosses theirs as a grid (a herringbone's boards lying each way).
        if fading.any():
            kept = minima[confirmed >= min_strength / 2] - centre
            fading[fading] = ~_lone_valleys(msd, valid, minima[fading] - centre, kept, centre,
                                            min_strength)
        confirmed[fading] = 0.0
    # Under a large cap the known ring is thin, and twice a sharp shift may keep too few of
    # its pixels known at both ends for ``valid``. Where no shift is confirmed otherwise,
    # such a shift is confirmed on the pixels it does keep (``_CONFIRM_OVERLAP``) if it is an
    # isolated dip (not on a valley: half of it no dip; a blurred floor near the horizon,
    # rectified, matched itself along its rows) and its colours match as well as twice it
    # does (on edges alone a checkerboard repeats at one cell, on colours only at two). Not
    # beside a lattice found: on hall_tiles' large cap (seed 0) half a diagonal of its cell
    # joined the lattice's offsets (-0.46 dB).
    wide = overlap >= _CONFIRM_OVERLAP * float(work_known.sum())
    doubles = 2 * minima - centre
    halves = centre + np.rint((minima - centre) / 2).astype(np.int64)
    unsure = (confirmed.max(initial=0.0) < min_strength) & (confirmed == 0) & (
        dips >= min_strength / 2) & ~valid[
        np.clip(doubles[:, 0], 0, last), np.clip(doubles[:, 1], 0, last)]
    for k in np.flatnonzero(unsure):
        twice = _dips(msd, wide, _nearest_minimum(msd, wide, doubles[k:k + 1]))[0]
        half = _dips(msd, valid, _nearest_minimum(msd, valid, halves[k:k + 1]))[0]
        if (twice >= min_strength / 2 and half < min_strength / 2
                and _same_colours(image, known, (minima[k] - centre) * 2**levels)):
            confirmed[k] = dips[k]
    confirmed = _confirmed_by_lattice(msd, valid, minima, dips, confirmed, image, known,
                                      2**levels, min_strength)
    # Among equally sharp shifts the shorter ones first: they are usable nearer the border.
    length = np.hypot(*(minima - centre).T) / work.shape[0]
    order = np.argsort(-(confirmed * (1 - 0.3 * length)), kind="stable")
    order = order[confirmed[order] >= min_strength][:max_offsets]
    on_floor = False
    if not order.size:
        floor = _valley_floor(msd, valid, centre, min_strength)
        if floor is None:
            return None
        minima, dips, order = floor[None], _dips(msd, valid, floor[None]), np.zeros(1, np.int64)
        on_floor = True
    # Through a thin ring the lattice's second direction may dip less than the first (fewer
    # of its shifts stay known: plaza_tiles' 45-degree cap, 0.23 beside 0.37). Where every
    # sharp shift is parallel to the first and the first is an isolated dip, the sharpest
    # confirmed one across it, at half the strength and a period on colours too, spans the
    # lattice with it. Not on a valley (stripes, planks: a shift along them matches all along,
    # and their joints fall at random; loft_planks' tripod lost 0.26 dB to planks crossed by
    # their own width).
    first = minima[order[0]] - centre
    first_half = centre + np.rint(first / 2).astype(np.int64)
    if (order.size < max_offsets
            and not any(not_parallel(first, minima[k] - centre) for k in order)
            and not _on_valley(msd, valid, first[None], centre, min_strength)[0]
            and (second_beside_double or _dips(
                msd, valid, _nearest_minimum(msd, valid, first_half[None]))[0]
                < min_strength / 2)):
        for k in np.argsort(-confirmed, kind="stable"):
            if confirmed[k] < min_strength / 2:
                break
            if not_parallel(first, minima[k] - centre) and _same_colours(
                    image, known, (minima[k] - centre) * 2**levels):
                order = np.append(order, k)
                break
    shifts = minima[order] - centre
    valley = _on_valley(msd, valid, shifts, centre, min_strength)
    # Unless two of them repeat together (a grid of joints between tiles, which a shift along
    # either axis keeps half-matched): then they are the lattice's two directions.
    valley = _grid_of_lines(msd, valid, shifts, valley, centre, min_strength)
    offsets, strengths, along = [], [], []
    for index in order:
        offset = minima[index] - centre
        for level in range(levels - 1, -1, -1):  # the last one to a fraction of a pixel
            offset = _refine(*features(level), 2 * offset, subpixel=level == 0)
        if levels == 0:
            offset = _refine(*features(0), offset, subpixel=True)
        offsets += [offset, -offset]
        strengths += [float(dips[index])] * 2
    along = np.repeat(valley, 2)
    lattice = Lattice(np.array(offsets, np.float64), np.array(strengths), along, on_floor)
    return _on_long_steps(lattice, features(0)) if long_steps else lattice


def tone_lattice(image: np.ndarray, known: np.ndarray, lattice: Lattice, *, span: int = 3
                 ) -> Lattice:
    """The sublattice of ``lattice`` (found on ``image``, ``(P, P, C)``, at its ``known``
    ``(P, P)`` pixels) whose steps also repeat the colours.

    ``find_lattice`` compares edges, so on a checkerboard of light and dark tiles it finds
    the grout lines' lattice, one tile a step, which swaps light and dark, and on painted
    stripes of two colours one stripe a step, which paints a white stripe yellow. Among the
    lattice's combinations ``i a + j b`` (``|i|, |j| <= span``, ``a, b`` its reduced basis)
    the ones whose colour mean squared difference on the known pixels lies below a clear gap
    (``_TONE_GAP``, with ``_TONE_SIDE`` steps on each side) are kept, and the shortest two
    that are not parallel are the new basis; without such a gap, no step keeps the colours
    better than the others (tiles of random tones) and the whole lattice is returned."""
    a, b, _ = lattice.basis()
    step = sample_step(known)
    if b is None:
        return _tone_stripes(image, known, lattice, span, step)
    # One of each pair of opposite steps (i > 0, or i == 0 and j > 0).
    combos = [(i, j) for i in range(span + 1) for j in range(-span, span + 1) if (i, j) > (0, 0)]
    steps = [i * a + j * b for i, j in combos]
    msd = np.array([pair_msd(image, known, int(np.rint(s[0])), int(np.rint(s[1])), step)
                    for s in steps])
    if not np.isfinite(msd).any():
        return lattice
    # Steps that keep the colours differ far less than those that swap them (a checkerboard:
    # 0.004-0.02 against 0.18): kept are those below the widest gap between the sorted
    # differences, where it is a clear one (``_TONE_GAP``). Tiles of random tones have no
    # colour-keeping step: every step's difference is their spread, measured on another part
    # of the floor (the plaza's: 0.025-0.084, no two sorted ones more than 1.5 times apart),
    # and a split at their middle kept an arbitrary few steps, at 4K one direction (the
    # floor step then refused) and at 2K steps longer than the lattice's own.
    finite = np.sort(msd[np.isfinite(msd)])
    ratios = finite[1:] / np.maximum(finite[:-1], 1e-12)
    ratios[: _TONE_SIDE - 1] = 0.0
    ratios[len(ratios) - _TONE_SIDE + 1 :] = 0.0
    if not ratios.size or ratios.max() < _TONE_GAP:
        return lattice
    split = finite[int(np.argmax(ratios))]
    kept = {c for c, m in zip(combos, msd, strict=True) if m <= split}
    if not _closed(kept, {c for c, m in zip(combos, msd, strict=True) if np.isfinite(m)}):
        return lattice
    good = [s for c, s in zip(combos, steps, strict=True) if c in kept]
    good.sort(key=lambda s: np.hypot(*s))
    first = good[0]
    second = next((s for s in good[1:] if not_parallel(first, s)), None)
    basis = [first] if second is None else [first, second]
    # A step of several of the edges' cells carries each cell's sub-pixel error as many
    # times (three stripes across the workshop's floor: a kink where copies from the two
    # sides meet, which the stitch smears into a blue and a yellow haze): it is refined on
    # the colours themselves.
    basis = [_refine(image, known, np.rint(s).astype(np.int64), subpixel=True) for s in basis]
    offsets = np.array([v for s in basis for v in (s, -s)], np.float64)
    return Lattice(offsets, np.full(len(offsets), lattice.strength.max()),
                   np.zeros(len(offsets), bool))


def _closed(kept: set[tuple[int, int]], measured: set[tuple[int, int]]) -> bool:
    """Whether the steps ``kept`` (``(i, j)`` for ``i a + j b``, one sign each) are closed
    under sums and differences among the ``measured`` ones: the steps that keep a pattern's
    colours form a lattice of their own. On a thin ring the differences of long steps rest on
    few pairs, and a chance split of random tones kept steps whose sum it did not
    (``(2, 1)`` and ``(1, -2)`` kept, ``(3, -1)`` not)."""
    def one_sign(c: tuple[int, int]) -> tuple[int, int]:
        return c if c > (0, 0) else (-c[0], -c[1])

    for p in kept:
        for q in kept:
            for c in ((p[0] + q[0], p[1] + q[1]), (p[0] - q[0], p[1] - q[1])):
                if c != (0, 0) and one_sign(c) in measured and one_sign(c) not in kept:
                    return False
    return True


def _tone_stripes(image: np.ndarray, known: np.ndarray, lattice: Lattice, span: int, step: int
                  ) -> Lattice:
    """:func:`tone_lattice` of stripes (one shift ``a``, no second direction): ``m a`` for
    the smallest ``m <= span`` under which the colours repeat far better than under ``a``
    (``_TONE_GAP``), and under ``2 m a`` too (a repeat repeats: one chance match is not a
    period); ``lattice`` itself where none does, or where ``a`` runs along the stripes."""
    a = lattice.offsets[0]
    if lattice.along[0]:
        return lattice

    def msd(multiple: int) -> float:
        # The best within a pixel: ``a``'s sub-pixel error grows with the multiple.
        shift = _refine(image, known, np.rint(multiple * a).astype(np.int64))
        return pair_msd(image, known, int(shift[0]), int(shift[1]), step)

    once = msd(1)
    if not np.isfinite(once):
        return lattice
    for multiple in range(2, span + 1):
        if msd(multiple) * _TONE_GAP <= once and msd(2 * multiple) * _TONE_GAP <= once:
            shift = _refine(image, known, np.rint(multiple * a).astype(np.int64), subpixel=True)
            offsets = np.array([shift, -shift], np.float64)
            return Lattice(offsets, lattice.strength[:2].copy(), np.zeros(2, bool))
    return lattice

"""Each tile's own tone on a floor of tiles of random tones: the lattice step's second half.

The lattice step (``_offsets``, ``_plane``) fills a hole pixel with a copy of a known pixel a
whole number of the lattice's cells away: the joints continue across the hole, but a copy
brings the tone of the tile it came from. On a checkerboard the tone lattice
(``_plane.tone_lattice``) steps over two tiles and keeps the colours; on tiles of random tones
(paving, a hall's floor, bricks) no step does, and a dark tile the hole cuts in half gets a
light copy in its hole part, which the stitch (``_finish._seamless``) then blends into its
dark part as a smooth dark-to-light blob.

The lattice's cell need not be one tile: its steps are those of the joints' edges, which on
the scenes' floors stepped over two tiles (the plaza's, diagonally) or two each way (the
hall's), where each tile's texture repeats every few tiles. The tiles are found inside it
(:func:`_tile_bases`): the mean cell image of the edges holds every tile's joints whatever
their tones, and matches itself under the tiles' steps within the cell. A pixel ``p = s A +
t B`` (``A, B`` the tiles' steps, ``p`` on the tile or on the floor's grid) lies in the
tile of row ``floor(t - t0)``, each row cut along ``A`` (rectangles, so that a running
bond's bricks are one tile each), for a phase ``(s0, t0)`` that puts the tiles' borders on
the joints: the one whose tiles' means explain most of the luminance variance inside them
(:func:`_explained`; a tile straddling a joint holds two or four tones). Where no such
rectangles explain enough (a herringbone's cell holds a board lying each way, which no step
of the cell maps onto each other), the tiles are the regions the joints enclose in the mean
cell image itself (:mod:`._shapes`), taken where they explain more.

Each tile the hole cuts, with enough of its inside known, then takes that part's mean colour:
an offset added to each piece of its copy (copies of copies bring a tile pieces of several),
fading to none at the joints, so that the grout and the copy's texture stay as copied. A tile
with nothing known whose copy's tone is rare among the known tiles (a dark tile of a light
floor) takes their median colour; any other takes that colour moved part of the way towards
the colour of a known tile drawn for it, not the tone its chain of copies carried from the ring
(:func:`give_tones`).

Where the tiles at their best phase explain little, or little more than at other phases
(tiles of one tone, whose every cell holds the same joints; shading, which any partition
follows; a lattice that is not tiles), the fill is left as it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from pano_inpaint.generators.patchmatch._offsets import (
    Lattice,
    channel_mean,
    not_parallel,
    vertex_offset,
)
from pano_inpaint.generators.patchmatch._plane import homography_parts
from pano_inpaint.generators.patchmatch._shapes import (
    ShapedTiles,
    cell_coordinates,
    shaped_tiles,
)

__all__ = ["Cells", "find_cells", "give_tones", "tile_tones"]

_PHASES = 6  # phases tried along each of the tiles' two directions (then refined)
_SAMPLES = 3000  # known pixels the phase is judged on (every k-th)
_CELL_SAMPLES = 100_000  # and the mean cell image
_JUDGED = 512  # pixels a side of the box the tiles are judged on (every k-th of larger ones)
_MARGIN = 2.5  # the found lattice's cells around the copied pixels whose known pixels count
_BINS = 32  # the mean cell image's bins along each basis vector
# Pixels (or points) whose float64 coordinates are computed at once: the box of an 8K nadir cap
# holds 7 million pixels, whose maps in one piece took the step's peak to 0.4 GB.
_BLOCK = 1 << 18
# A shift of the mean cell image that matches it this well (normalised autocorrelation) may be
# a step of the tiles (``_tile_bases``; measured: the scenes' tiles' steps 0.44-0.73, other
# peaks up to 0.41 at shifts that are no k / n of the cell).
_SAME_CELL = 0.4
_MOST_TILES = 10  # a fraction of a cell is snapped to k / n for n up to this
_CELL_PARTS = math.lcm(*range(1, _MOST_TILES + 1))  # every such k / n is whole parts of this
# Steps of the tiles shorter than this (px) are the mean cell image's blur, not tiles: edges
# blurred over 2-3 px match themselves near the zero shift (the yard's bricks under a
# 45-degree cap at 1024 px: tenths of its 23 px cell, 4.6 px, strips that explained more of
# the luminance than the bricks did).
_SHORTEST_TILE = 6.0
# A partition into smaller tiles is taken only where it explains this much more of the
# luminance (``find_cells``).
_FINER = 0.03
# A copied tile narrower than this (px, across its narrowest direction) keeps its copy: its
# joints, blurred over 2-3 px, leave it no interior, and the found tiles lie a pixel or two off
# the floor's joints, so an offset lands on the joints and the tiles beside as much as on it.
# Far off on a floor the tiles are a pixel or two wide: the plaza's cube-edge object near the
# horizon came back speckled with the tones of near tiles (median width 1.3 px), the yard's
# cube-corner object as a patch of bricks finer than the floor's (3-6 px).
_NARROWEST = 5.0
_JOINT = 0.05  # share of a cell from each border with no offset (the joint's half width)
_GROUT = 0.02  # ... for a piece of a rare tone (the grout line itself)
# A copy of a pixel beside a joint counts as the tile's beyond it where its grey lies within this
# share of the two tiles' tones' difference of the tone beyond (``_sources``): the tile's
# edge, not the grout between (the hall's grout lies about half way).
_BEYOND = 0.25
_FADE = 0.06  # over which share of a cell the offset fades in beyond the joint
_INTERIOR = 0.15  # the known part's tone is measured this far (share of a cell) from joints
_KNOWN_SHARE = 0.15  # least share of a cell's interior known for it to set the cell's tone
_MIN_KNOWN = 8  # and least pixels
_WHOLE = 0.8  # share of a cell's interior known for it to count among the known tiles' tones
_MIN_TILES = 5  # known tiles needed for their typical tone
_ALIKE = 2.0  # tones within this many median absolute deviations of the known tiles' are alike
_FLAT = 0.01  # (at least within this: tiles of nearly one tone)
# A tile with nothing known and a copy of a usual tone takes the typical tone moved this share
# of the way towards the tone of a known tile drawn for it (``give_tones``). Its copy is a
# copy of copies along the lattice's steps, which repeats the tone of the ring's tile it
# started from tile after tile: streaks of one tone fanning out from a 50-degree cap's middle
# (the hexagons, the hall). Drawn tiles break the chains; how far towards the drawn tone is
# the tiles' variety against the error of a wrong guess: over the 80 caps of the tuned scenes
# the whole drawn tone (1) cost 5.69 dB, half of it gained 8.69, 0.3 of it 12.27 (the yard's
# bricks +0.5..+0.9 per angle; the hall's 45-degree cap at seed 2 -0.77, its 35 at seed 0
# -0.63); the typical tone alone (0) would leave a patch of identical tiles.
_DRAWN_SHARE = 0.3
_RARE = 0.15  # a copy's tone is rare where fewer of the known tiles are alike
# A piece of a rare tone brought to its tile's tone is brought as a whole, and where it held
# pixels of the tile's tone already (a dark tile's corner copied with some of the light tile
# beside it) those went past it: white specks along the joints all over the 2K hall's 50-degree
# cap. No pixel of such a piece ends further beyond the tone, the way it was moved, than this
# many times the known tiles' own texture (the RMS of their pixels about their tone).
_RARE_REACH = 2.0
# The step runs where the tiles at their best phase explain at least this share of the known
# luminance variance inside them around the copies, and this much more than at their median
# phase (measured on the 1K scenes' floors: tiles of random tones 0.79-0.97 and 0.27-0.43 more;
# the hall's nadir cap, whose tiles were not all found, 0.57, and there the step lost 0.25 dB;
# the hall's ceiling panels of one tone 0.78 but 0.06 more).
_TONES_EXPLAINED = 0.7
_TONES_CONTRAST = 0.15
# and where neighbouring tiles' tones differ by at least this share of random tones' difference
# (:func:`_randomness`; measured on the 1K scenes: their floors of random tones 0.63-1.03, the
# ceilings' panels and the workshop's painted floor, of one tone under their light, 0.04-0.35).
_TONES_RANDOM = 0.5
# Or where a smooth light (a quadratic over the tiles' rows and columns) explains this share of
# the known tiles' tones, with at least _SMOOTH_TILES of them: a ceiling's panels of one tone
# under its lamp, seen through the thin ring of a zenith cap, whose neighbours along the ring
# differ nearly as much as any two (randomness 0.47-0.63; their light explains 0.95-0.98, the
# scenes' floors of random tones 0.03-0.46).
_TONES_SMOOTH = 0.8
_SMOOTH_TILES = 12
# Tones that alternate from tile to tile under their random spread (the scenes' tiles: a
# checkerboard of two light tones, 0.78 and 0.70, each tile's tone scaled by 0.92-1.08, and the
# odd dark one): the known tiles split by the parity of row + column (or of the row, or of the
# column) into two groups whose median greys lie this many of their median absolute deviations
# (about their own group's median) apart, each group with at least _MIN_GROUP tiles.
_ALTERNATE = 2.0
# Or this many, where the other two splits lie under 1 / _ALTERNATE_ALONE of it: a
# checkerboard's rows and columns each hold both tones alike (their splits near 0), where
# tiles of random tones split about as far every way. The plaza's tiles under a 45-degree
# cap: 1.69 by row + column, 0.21 and 0.28 by row and by column. Simulated on 48 tiles
# (8 x 6): tones drawn at random taken to alternate 2.6% of the time (0.65% with _ALTERNATE
# alone), the scenes' checkerboard (0.72 and 0.776, each +-0.06) found 72% of the time (51%).
_ALTERNATE_LOW = 1.4
_ALTERNATE_ALONE = 3.0
_MIN_GROUP = 3


@dataclass(frozen=True)
class Cells:
    """The tiles of a lattice over a box of a tile.

    Attributes:
        box: ``(rows, cols)`` slices of the tile the maps below cover.
        index: ``(H, W)`` int64 tile of each pixel (numbered from 0; -1: not looked at).
        border: ``(H, W)`` float32 each pixel's distance to its tile's nearest border, as a
            share of the tile (0 on a joint, 0.5 at the centre).
        explained: the share of the known luminance variance inside the tiles (away from
            their joints) that the tiles' means explain.
        contrast: how much more than at the median phase.
        tiles: how many tiles the found lattice's cell holds.
        placement: how the tiles lie on the tile's pixels, for :meth:`key_at`: rectangles
            along the tiles' steps, or the regions a cell's joints enclose
            (:class:`ShapedTiles`).
        randomness: how randomly the known tiles' tones vary from tile to tile
            (:func:`_randomness`).
        width: tiles a row of ``index`` numbers (tile ``i`` lies in row ``i // width``,
            column ``i % width``); 0: not known.
        smooth: the share of the known tiles' tone variance a smooth light explains
            (:func:`_smooth_share`).
        classes: ``(n,)`` int64 the region of the cell each tile (``index`` number) is, for
            tiles of any shape (:class:`ShapedTiles`; None for rectangles): a
            checkerboard's tones alternate by it.
    """

    box: tuple[slice, slice]
    index: np.ndarray
    border: np.ndarray
    explained: float
    contrast: float
    tiles: int = 1
    # (to_grid, along, across, shear, phase) for :meth:`key_at`, or ShapedTiles
    placement: tuple | ShapedTiles | None = None
    randomness: float = 1.0
    width: int = 0
    smooth: float = 0.0
    classes: np.ndarray | None = None

    @cached_property
    def widths(self) -> np.ndarray:
        """``(n,)`` float64 each tile's width in pixels across its narrowest direction (of
        its pixels in ``box``; ``n`` is ``index``'s largest number and one)."""
        return _widths(self.index)

    def _placed(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        """``s, t`` (:func:`cell_coordinates`) and the tile row, column and place in it
        (:func:`_tiles_at`) of the tile pixels ``(x, y)`` (``(n,)`` each)."""
        to_grid, along, across, shear, phase = self.placement
        gx, gy, _ = homography_parts(to_grid, x.astype(np.float64), y.astype(np.float64))
        s, t = cell_coordinates(gy, gx, along, across)
        return (s, t, *_tiles_at(s, t, shear, phase))

    def key_at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``(n,)`` int64 a key of the tile each tile pixel ``(x, y)`` lies in (equal keys:
        the same tile; anywhere on the tile, not only in ``box``)."""
        keys = np.empty(x.shape, np.int64)
        for start in range(0, x.size, _BLOCK):
            part = slice(start, start + _BLOCK)
            if isinstance(self.placement, ShapedTiles):
                keys[part] = self.placement.at_pixels(x[part], y[part])[0]
                continue
            _, _, row, column, _, _ = self._placed(x[part], y[part])
            keys[part] = row * (1 << 32) + column
        return keys

    def keys_near(self, x: np.ndarray, y: np.ndarray, within: float
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each tile pixel ``(x, y)`` (``(n,)`` each, a block's worth: the arrays below
        hold seven numbers a pixel): ``(n,)`` int64 the key of the tile it lies in
        (:meth:`key_at`); ``(n, 3)`` int64 the keys of the tiles beyond its tile's nearest
        border across its row, beyond the nearest along its row, and beyond that corner;
        ``(n, 3)`` float64 its distance to each (a share of the tile, as ``border``; to the
        corner the larger of the two). Only for the pixels less than ``within`` from a
        border; the others get their own key and an infinite distance. Tiles of any shape
        (:class:`ShapedTiles`) have one tile beyond: the nearest across their border."""
        if isinstance(self.placement, ShapedTiles):
            keys, border, other = self.placement.at_pixels(x, y)
            beyond = np.repeat(keys[:, None], 3, axis=1)
            distance = np.full((x.size, 3), np.inf)
            near = border < within
            beyond[near, 0] = other[near]
            distance[near, 0] = border[near]
            return keys, beyond, distance
        shear, phase = self.placement[3:]
        s, t, row, column, fr, fc = self._placed(x, y)
        keys = row * (1 << 32) + column
        beyond = np.repeat(keys[:, None], 3, axis=1)
        distance = np.full((x.size, 3), np.inf)
        dr, dc = np.minimum(fr, 1 - fr), np.minimum(fc, 1 - fc)
        near = np.flatnonzero(np.minimum(dr, dc) < within)
        s, t, fr, fc, dr, dc = (a[near] for a in (s, t, fr, fc, dr, dc))
        # Steps just over the nearest border across the row and along it (a row's tiles are
        # offset along it: the tile beyond is found where the step lands).
        down = np.where(fr < 0.5, -(fr + 1e-3), 1 - fr + 1e-3)
        over = np.where(fc < 0.5, -(fc + 1e-3), 1 - fc + 1e-3)
        for j, (ds, dt, gap) in enumerate(((0.0, down, dr), (over, 0.0, dc),
                                           (over, down, np.maximum(dr, dc)))):
            r, c, _, _ = _tiles_at(s + ds, t + dt, shear, phase)
            beyond[near, j] = r * (1 << 32) + c
            distance[near, j] = gap
        return keys, beyond, distance


def _widths(index: np.ndarray) -> np.ndarray:
    """``(n,)`` float64 the width of each region of ``index`` ``(H, W)`` (numbered from 0;
    -1: none) across its narrowest direction, in pixels: that of the rectangle with the same
    second moments (each pixel a unit square), from the smaller eigenvalue of its pixels'
    covariance; a block of rows at a time."""
    n = max(int(index.max(initial=-1)), 0) + 1
    sums = np.zeros((6, n))  # pixels, y, x, y y, x x, x y (about the box's corner)
    rows = max(1, _BLOCK // max(index.shape[1], 1))
    for start in range(0, index.shape[0], rows):
        ys, xs = np.nonzero(index[start:start + rows] >= 0)
        ids = index[start:start + rows][ys, xs]
        ys = ys.astype(np.float64) + start
        xs = xs.astype(np.float64)
        for j, weight in enumerate((None, ys, xs, ys * ys, xs * xs, xs * ys)):
            sums[j] += np.bincount(ids, weight, minlength=n)
    count = np.maximum(sums[0], 1)
    my, mx = sums[1] / count, sums[2] / count
    # A pixel is a unit square: its own variance (1/12) along each axis.
    cyy = sums[3] / count - my * my + 1 / 12
    cxx = sums[4] / count - mx * mx + 1 / 12
    cxy = sums[5] / count - mx * my
    smaller = (cyy + cxx) / 2 - np.hypot((cyy - cxx) / 2, cxy)
    return np.sqrt(12 * np.maximum(smaller, 0.0))


def _snap(fraction: float) -> float | None:
    """``fraction`` (of a cell) as the nearest ``k / n`` in ``[0, 1)``, ``n`` at most
    ``_MOST_TILES``, if within a bin of the mean cell image; None where none is. The nearest,
    not the first within a bin: a tenth (the hall's tiles, 3.2 bins) lies within a bin of an
    eighth too."""
    snapped = min((round(fraction * n) / n for n in range(1, _MOST_TILES + 1)),
                  key=lambda value: abs(value - fraction))
    return snapped % 1.0 if abs(snapped - fraction) <= 1.0 / _BINS else None


def _peak_at(match: np.ndarray, i: int, j: int) -> tuple[float, float]:
    """The peak of the cyclic ``match`` ``(BINS, BINS)`` at bin ``(i, j)`` to a fraction of a
    bin (a parabola through it and its two neighbours along each axis), as fractions of the
    cell: a bin's centre may be a third of a bin off the step (snapped to the nearest ``k /
    n``, 0.47 went to 4 / 9, not 1 / 2)."""
    bins = match.shape[0]
    di = vertex_offset(-match[(i - 1) % bins, j], -match[i, j], -match[(i + 1) % bins, j])
    dj = vertex_offset(-match[i, (j - 1) % bins], -match[i, j], -match[i, (j + 1) % bins])
    return (i + di) / bins, (j + dj) / bins


def _group(generators: list[tuple[float, float]]) -> set[tuple[float, float]]:
    """The shifts (fractions of the cell along ``a`` and ``b``, modulo 1) the ``generators``
    (each ``k / n``, :func:`_snap`) make, at most ``_MOST_TILES`` of them (more: the empty
    set). Counted in whole parts of the cell (every ``k / n`` is one), not in floats: a third
    added to itself drifts a millionth each turn when rounded, and the group of thirds never
    closed (the plaza's cell of three tiles was refused)."""
    steps = [tuple(round(f * _CELL_PARTS) % _CELL_PARTS for f in g) for g in generators]
    group = {(0, 0)}
    frontier = [(0, 0)]
    while frontier:
        p = frontier.pop()
        for g in steps:
            q = ((p[0] + g[0]) % _CELL_PARTS, (p[1] + g[1]) % _CELL_PARTS)
            if q not in group:
                group.add(q)
                frontier.append(q)
                if len(group) > _MOST_TILES:
                    return set()
    return {(i / _CELL_PARTS, j / _CELL_PARTS) for i, j in group}


def _cell_match(values: np.ndarray, at: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray] | None:
    """``(BINS, BINS)`` twice: the normalised cyclic autocorrelation of the mean cell image of
    ``values`` (each point in bin ``at``), and each shift scored with the best within a bin of
    it (the fractions are snapped); None where the image is flat."""
    count = np.bincount(at, minlength=_BINS * _BINS)
    total = np.bincount(at, values, minlength=_BINS * _BINS)
    mean = np.where(count > 0, total / np.maximum(count, 1), values.mean()).reshape(_BINS, _BINS)
    mean -= mean.mean()
    match = np.fft.ifft2(np.abs(np.fft.fft2(mean)) ** 2).real  # (BINS, BINS) cyclic
    if match[0, 0] <= 0:
        return None
    match /= match[0, 0]
    near = np.max([np.roll(match, (dy, dx), axis=(0, 1)) for dy in (-1, 0, 1)
                   for dx in (-1, 0, 1)], axis=0)
    return match, near


def _tile_bases(edges: np.ndarray, s: np.ndarray, t: np.ndarray, a: np.ndarray,
                b: np.ndarray, families: tuple[np.ndarray, np.ndarray] | None = None
                ) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """The tiles' own basis (two shortest steps, not parallel) and how many tiles a cell of
    ``a, b`` holds.

    The lattice of edges may step over two or more tiles (the plaza's over two diagonally,
    the hall's over two each way), where a tile's texture repeats every few tiles. The mean
    cell image of ``edges`` (over the pixels at cell coordinates ``s, t``) holds the joints
    of every tile of a cell whatever their tones, and matches itself under the tiles' steps
    within the cell: those steps are a group (of shifts modulo the cell), and the largest
    group of shifts ``k / n`` of the cell under all of which the image matches itself (each
    ``_SAME_CELL`` of its normalised autocorrelation at least) is the tiles'.

    ``families``: the edges across ``a`` and across ``b`` apart (:func:`_along`), where
    known: each must match itself under the steps as well. A grid of thin joints
    matches about half under any shift along one family of its joints (those lines stay, the
    others move): the workshop's ceiling panels were cut into strips a tenth of a cell wide,
    one on each joint, and their tones taken for random (the joints' crossings pale)."""
    bins_s = np.floor((s - np.floor(s)) * _BINS).astype(np.int64) % _BINS
    bins_t = np.floor((t - np.floor(t)) * _BINS).astype(np.int64) % _BINS
    at = bins_s * _BINS + bins_t
    matched = _cell_match(edges, at)
    if matched is None:
        return [(a, b, 1)]
    match, near = matched
    peaks = np.argwhere((match >= near - 1e-12) & (match >= _SAME_CELL))
    steps = {(fi, fj) for i, j in peaks if (i, j) != (0, 0)
             for fi, fj in [map(_snap, _peak_at(match, int(i), int(j)))]
             if fi is not None and fj is not None and (fi, fj) != (0.0, 0.0)}

    maps = [near] + ([] if families is None else
                     [m[1] for m in (_cell_match(f, at) for f in families) if m is not None])

    def score(group: set[tuple[float, float]]) -> float:
        return min(float(m[int(round(fi * _BINS)) % _BINS, int(round(fj * _BINS)) % _BINS])
                   for fi, fj in group if (fi, fj) != (0.0, 0.0) for m in maps)

    groups = [frozenset({(0.0, 0.0)})]
    candidates = [[g] for g in steps] + [[g, h] for g in steps for h in steps if g < h]
    for generators in candidates:
        group = frozenset(_group(generators))
        if group and group not in groups and score(group) >= _SAME_CELL:
            groups.append(group)
    bases = []
    for group in groups:
        vectors = [a, b, a + b, a - b]
        for fi, fj in group:
            for di in (0, -1):
                for dj in (0, -1):
                    vectors.append((fi + di) * a + (fj + dj) * b)
        vectors = [v for v in vectors if np.hypot(*v) > 1e-6]
        vectors.sort(key=lambda v: float(np.hypot(*v)))
        first = vectors[0]
        if len(group) > 1 and np.hypot(*first) < _SHORTEST_TILE:
            continue
        bases.append((first, next(v for v in vectors if not_parallel(first, v)), len(group)))
    return bases


def _tiles_at(s: np.ndarray, t: np.ndarray, along: float, phase: tuple[float, float]
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tile row and column and the position in the tile (``[0, 1)`` each) of points at
    ``s A + t B``: rows between the lines ``t = phase[1] + k``, each row cut along ``A`` into
    tiles ``|A|`` long (``along = A.B / A.A``: a row's tiles are offset by ``B``'s part along
    ``A``, a running bond's half brick). The tiles are rectangles with sides along ``A`` and
    across it, so a brick bond whose rows step by half a brick keeps each brick in one."""
    tp = t - phase[1]
    row = np.floor(tp)
    u = s + (tp - row) * along - phase[0]
    column = np.floor(u)
    return row.astype(np.int64), column.astype(np.int64), tp - row, u - column


def _explained(s: np.ndarray, t: np.ndarray, along: float, luma: np.ndarray,
               phase: tuple[float, float]) -> float:
    """The share of the variance of ``luma`` inside the tiles at ``phase`` (``_INTERIOR``
    from their borders, so that the joints, which every tile has, count for none) that the
    tiles' means explain: near 1 where each tile is one tone, less where a tile straddles a
    joint between two tones or holds a joint."""
    row, column, fr, fc = _tiles_at(s, t, along, phase)
    inside = np.minimum(np.minimum(fr, 1 - fr), np.minimum(fc, 1 - fc)) >= _INTERIOR
    if inside.sum() < 16:
        return 0.0
    row, column = row[inside], column[inside]
    row -= row.min()
    column -= column.min()
    return _share_explained(row * (int(column.max()) + 1) + column, luma[inside])


def _coarse_phase(s: np.ndarray, t: np.ndarray, along: float, luma: np.ndarray
                  ) -> tuple[list[float], float, float]:
    """The phase (of ``_PHASES`` along each direction) whose tiles explain the most of
    ``luma``'s variance inside them (:func:`_explained`); that share, and the median
    phase's."""
    steps = np.arange(_PHASES) / _PHASES
    scores = np.array([[_explained(s, t, along, luma, (p, q)) for q in steps] for p in steps])
    best = np.unravel_index(int(np.argmax(scores)), scores.shape)
    return [float(steps[best[0]]), float(steps[best[1]])], float(scores.max()), float(
        np.median(scores))


def _refined_phase(s: np.ndarray, t: np.ndarray, along: float, luma: np.ndarray,
                   phase: list[float], top: float) -> tuple[list[float], float]:
    """``phase`` moved along each direction in quarter steps while that explains more."""
    for axis in (0, 1):
        start = list(phase)
        for d in np.arange(-2, 3) / (4 * _PHASES):
            trial = list(start)
            trial[axis] += float(d)
            score = _explained(s, t, along, luma, (trial[0], trial[1]))
            if score > top:
                top, phase = score, trial
    return phase, top


def find_cells(image: np.ndarray, known: np.ndarray, copied: np.ndarray, to_grid: np.ndarray,
               a: np.ndarray, b: np.ndarray, cell: float) -> Cells | None:
    """The tiles of the lattice ``a, b`` around the ``copied`` pixels, placed on the joints.

    Args:
        image: ``(P, P, C)`` the tile.
        known: ``(P, P)`` bool, its known pixels.
        copied: ``(P, P)`` bool, the hole pixels the lattice step filled.
        to_grid: ``(3, 3)`` homography from tile pixels to the pixels the basis lies on (the
            identity for a lattice on the tile itself).
        a, b: ``(2,)`` the lattice's reduced basis ``(dy, dx)``.
        cell: the length (in tile pixels about the hole) of the cell's longest side or
            diagonal, for the box.

    Returns:
        The tiles over the copied pixels' box and ``_MARGIN`` cells around it, or None where
        too few known pixels lie there.
    """
    box = _around(copied, int(np.ceil(_MARGIN * cell)))
    shape = (box[0].stop - box[0].start, box[1].stop - box[1].start)
    # The tiles are judged on every k-th pixel of the box (at most ``_JUDGED`` a side: at 4K
    # the box is the whole 1.3K tile), then laid over all of it.
    k = max(1, -(-max(shape) // _JUDGED))
    sub = (slice(None, None, k), slice(None, None, k))
    gy, gx = _grid(to_grid, box, k)
    s, t = cell_coordinates(gy, gx, a, b)
    # Only the cells within ``_MARGIN`` of the copied ones: on a floor's grid the box may reach
    # the horizon, where one tile pixel spans thousands of cells.
    near = _near(s, t, copied[box][sub], _MARGIN)
    # The known pixels away from the hole (whose border is an edge of no tile).
    mine = cv2.erode(known[box][sub].astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    mine &= near
    if mine.sum() < 64:
        return None
    stride = max(1, int(mine.sum() // _SAMPLES))
    colour = image[box][..., : min(3, image.shape[2])]
    luma_sub = channel_mean(colour[sub]).astype(np.float32)
    # Edges on the box reduced to the k-th pixels' grid (a joint a pixel wide counts wherever
    # they fall; the mean cell image's autocorrelation does not mind the half pixel between).
    reduced = luma_sub if k == 1 else channel_mean(cv2.resize(
        np.ascontiguousarray(colour, np.float32), luma_sub.shape[::-1],
        interpolation=cv2.INTER_AREA).reshape(*luma_sub.shape, -1)).astype(np.float32)
    grad_x, grad_y = cv2.Sobel(reduced, cv2.CV_32F, 1, 0), cv2.Sobel(reduced, cv2.CV_32F, 0, 1)
    edges = np.hypot(grad_x, grad_y)
    luma = luma_sub[mine][::stride].astype(np.float64)
    if float(luma.var()) <= 0:
        return None
    # The mean cell image from many pixels (one sum each), the phases from a few (a sum per
    # phase and candidate).
    every = max(1, int(mine.sum() // _CELL_SAMPLES))
    laid = []
    # The edges across each step apart: the gradient along ``a`` (where ``t`` stays), which
    # the joints along ``a`` have none of, and along ``b``, pixel by pixel (on a plane's grid
    # the steps' directions change across the view).
    families = tuple(_along(grad_y, grad_x, other)[mine][::every].astype(np.float64)
                     for other in (t, s))
    for first, second, tiles in _tile_bases(edges[mine][::every].astype(np.float64),
                                            s[mine][::every], t[mine][::every], a, b,
                                            families):
        # Rows along either step, or along their sum or difference (a running bond's rows
        # lie along the brick's long side, which the two shortest steps need not be).
        best = None
        for along_, across in ((first, second), (second, first), (first + second, second),
                               (first - second, second)):
            shear = float(along_ @ across) / float(along_ @ along_)
            sampled = cell_coordinates(*(g[mine][::stride] for g in (gy, gx)), along_, across)
            phase, explained, median = _coarse_phase(*sampled, shear, luma)
            if best is None or explained > best[1]:
                best = (phase, explained, median, along_, across, shear, tiles, sampled)
        laid.append(best)
    # Smaller tiles explain at least as much (each a part of a larger one keeps its tone):
    # the largest tiles that explain nearly as much as the best are the floor's (the
    # plaza's, 0.900, beside halves of them, 0.913; the hall's, 0.914, beside pairs of them
    # across the joints, 0.81).
    most = max(found[1] for found in laid)
    phase, explained, median, along_, across, shear, tiles, sampled = min(
        (found for found in laid if found[1] >= most - _FINER), key=lambda found: found[6])
    phase, explained = _refined_phase(*sampled, shear, luma, phase, explained)
    if explained < _TONES_EXPLAINED:
        # No rectangles follow the joints: tiles of another shape may (a herringbone's).
        shaped = _shaped_cells(edges[mine][::every].astype(np.float64), every, s, t, mine,
                               stride, luma_sub, to_grid, a, b, copied, explained)
        if shaped is not None:
            return shaped
    placement = (to_grid, along_, across, shear, (phase[0], phase[1]))
    # How randomly the tiles' tones vary, judged on the reduced box.
    ts, tt = cell_coordinates(gy, gx, along_, across)
    row, column, fr, fc = _tiles_at(np.where(mine, ts, 0.0), np.where(mine, tt, 0.0), shear,
                                    (phase[0], phase[1]))
    inside = mine & (np.minimum(np.minimum(fr, 1 - fr), np.minimum(fc, 1 - fc)) >= _INTERIOR)
    row -= row[mine].min()
    column -= column[mine].min()
    width = int(column[mine].max()) + 1
    tile_of = np.where(mine, row * width + column, -1)
    randomness = _randomness(luma_sub, inside, tile_of, column, width)
    smooth = _smooth_share(luma_sub, inside, tile_of, width)
    # The tiles laid over the copied pixels and a tile around them (their known parts and
    # the tiles around): a tile is at most the longest of the steps' cell.
    box = _around(copied, _longest(along_, across))
    ts, tt = _box_coordinates(to_grid, box, along_, across)
    # Only the tiles within ``_MARGIN`` cells of the copied ones (a floor's box may reach the
    # horizon, where one tile pixel spans thousands of tiles).
    near = _near(ts, tt, copied[box], 2 * _MARGIN)
    index, border, width = _laid(ts, tt, near, shear, (phase[0], phase[1]))
    return Cells(box, index, border, float(explained), float(explained - median), tiles,
                 placement, randomness, width, smooth)


def _shaped_cells(edges: np.ndarray, every: int, s: np.ndarray, t: np.ndarray,
                  mine: np.ndarray, stride: int, luma: np.ndarray, to_grid: np.ndarray,
                  a: np.ndarray, b: np.ndarray, copied: np.ndarray, rectangles: float
                  ) -> Cells | None:
    """The tiles the joints of the cell ``a, b`` enclose (:func:`shaped_tiles`), judged as
    :func:`find_cells` judges rectangles, where they explain ``_FINER`` more of the known
    luminance inside them than the ``rectangles`` did, and ``_TONES_EXPLAINED`` at least;
    None where they do not.

    Args:
        edges: ``(m,)`` the edges of every ``every``-th of the ``mine`` pixels (as
            ``find_cells`` samples them for the mean cell image).
        s, t: ``(h, w)`` the cell coordinates of the reduced box, ``mine`` ``(h, w)`` bool
            its known pixels near the copies, every ``stride``-th of which the tiles are
            judged on, ``luma`` ``(h, w)`` its luminance.
        to_grid, a, b, copied: as :func:`find_cells`'s.
    """
    found = shaped_tiles(edges, s[mine][::every], t[mine][::every], to_grid, a, b)
    if found is None:
        return None
    ms, mt = s[mine][::stride], t[mine][::stride]
    values = luma[mine][::stride].astype(np.float64)

    def explained(ds: float, dt: float) -> float:
        keys, border, _ = found.at_cells(ms + ds, mt + dt)
        inside = border >= _INTERIOR
        tile = np.unique(keys[inside], return_inverse=True)[1].reshape(-1)
        return _share_explained(tile, values[inside])

    score = explained(0.0, 0.0)
    # Tiles that explain under the tile tones step's least would be skipped as the rectangles
    # are: not judged further nor laid (half a second a face at 4K, where the parlour's
    # boards' grain leaves them 0.61-0.70).
    if score < max(rectangles + _FINER, _TONES_EXPLAINED):
        return None
    shifts = np.arange(_PHASES) / _PHASES
    median = float(np.median([explained(p, q) for p in shifts for q in shifts]))
    # How randomly the tiles' tones vary, and how smoothly, judged on the reduced box.
    keys, border, other = found.at_cells(s[mine], t[mine])
    _, number = np.unique(np.concatenate([keys, other]), return_inverse=True)
    tile_of = np.full(mine.shape, -1, np.int64)
    tile_of[mine] = number[: keys.size]
    inside = np.zeros(mine.shape, bool)
    inside[mine] = border >= _INTERIOR
    tone, enough = _tile_means(luma, inside, tile_of)
    # Neighbours: each tile and the tile across its border, once a pair.
    pairs = np.unique(np.sort(np.stack([number[: keys.size], number[keys.size:]], axis=1)[
        border < 2 * _INTERIOR], axis=1), axis=0)
    pairs = pairs[(pairs[:, 0] < pairs[:, 1]) & (pairs[:, 1] < tone.size)]
    randomness = _pair_randomness(tone, enough, pairs[:, 0], pairs[:, 1])
    pixels = np.maximum(np.bincount(tile_of[mine], minlength=tone.size)[: tone.size], 1)
    centre_s, centre_t = (np.bincount(tile_of[mine], u, minlength=tone.size)[: tone.size]
                          / pixels for u in (s[mine], t[mine]))
    smooth = _smooth_fit(tone, enough, centre_s, centre_t)
    # The tiles laid over the copied pixels and a cell around them.
    box = _around(copied, _longest(a, b))
    ts, tt = _box_coordinates(to_grid, box, a, b)
    near = _near(ts, tt, copied[box], 2 * _MARGIN)
    index = np.full(ts.shape, -1, np.int64)
    laid_border = np.zeros(ts.shape, np.float32)
    rows = max(1, _BLOCK // ts.shape[1])  # a block of rows at a time (an 8K cap's box)
    for start in range(0, ts.shape[0], rows):
        part = slice(start, start + rows)
        inside = near[part]
        keys, border, _ = found.at_cells(ts[part][inside].astype(np.float64),
                                         tt[part][inside].astype(np.float64))
        index[part][inside] = keys
        laid_border[part][inside] = border
    keys, index[near] = np.unique(index[near], return_inverse=True)
    return Cells(box, index, laid_border, float(score), float(score - median), found.count,
                 found, randomness, 0, smooth, found.region_of(keys))


def _share_explained(tile: np.ndarray, values: np.ndarray) -> float:
    """The share of the variance of ``values`` (``(n,)``) that the means of the tiles
    ``tile`` (``(n,)`` int64 numbers from 0) explain (0 for fewer than 16 values)."""
    if values.size < 16:
        return 0.0
    count = np.bincount(tile)
    total = np.bincount(tile, values)
    used = count > 0
    spread = float(((values - values.mean()) ** 2).sum())
    if spread <= 0:
        return 0.0
    between = float((total[used] ** 2 / count[used]).sum()) - values.sum() ** 2 / values.size
    return between / spread


def _around(copied: np.ndarray, reach: int) -> tuple[slice, slice]:
    """The box of the ``copied`` pixels (``(P, P)`` bool) and ``reach`` pixels around them,
    within the tile."""
    size = copied.shape[0]
    ys, xs = np.nonzero(copied)
    return (slice(max(0, ys.min() - reach), min(size, ys.max() + reach + 1)),
            slice(max(0, xs.min() - reach), min(size, xs.max() + reach + 1)))


def _longest(a: np.ndarray, b: np.ndarray) -> int:
    """The longest side or diagonal of the cell ``a, b`` (px, rounded up): a tile is at most
    that long."""
    return int(np.ceil(max(np.hypot(*v) for v in (a, b, a + b, a - b))))


def _along(grad_y: np.ndarray, grad_x: np.ndarray, coordinate: np.ndarray) -> np.ndarray:
    """``(h, w)``: the size of the gradient ``grad_y, grad_x`` along the lines on which
    ``coordinate`` (``(h, w)``, a grid coordinate at each pixel) stays the same: nothing of
    the edges of such lines, whatever the angle between the grid's steps. 0 where the
    coordinate's rise is not finite (beside the horizon of a plane's grid, which no cell
    reaches: one NaN would void the mean cell image's every match)."""
    with np.errstate(invalid="ignore", over="ignore"):
        rise_y, rise_x = np.gradient(coordinate)
        length = np.hypot(rise_y, rise_x)
        along = np.abs(grad_y * rise_x - grad_x * rise_y) / np.where(length > 0, length, 1.0)
    return np.where(np.isfinite(along), along, 0.0)


def _box_coordinates(to_grid: np.ndarray, box: tuple[slice, slice], a: np.ndarray,
                     b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(H, W)`` float32 ``s, t`` (:func:`cell_coordinates`) of every pixel of ``box``, computed
    in float64 a block of rows at a time (float32: a tile's position to 1e-4 of it over a
    thousand tiles, at half the memory)."""
    shape = (box[0].stop - box[0].start, box[1].stop - box[1].start)
    ts, tt = np.empty(shape, np.float32), np.empty(shape, np.float32)
    rows = max(1, _BLOCK // shape[1])
    for start in range(0, shape[0], rows):
        part = slice(start, min(start + rows, shape[0]))
        rows_box = slice(box[0].start + part.start, box[0].start + part.stop)
        ts[part], tt[part] = cell_coordinates(*_grid(to_grid, (rows_box, box[1]), 1), a, b)
    return ts, tt


def _laid(ts: np.ndarray, tt: np.ndarray, near: np.ndarray, shear: float,
          phase: tuple[float, float]) -> tuple[np.ndarray, np.ndarray, int]:
    """``Cells.index``, ``Cells.border`` and ``Cells.width`` of the pixels at ``ts, tt``
    (float32, ``near``: those in a tile), the tiles placed by ``shear`` and ``phase``
    (:func:`_tiles_at`, in float32), numbered row by row from the first near tile; a block of
    rows at a time, in two passes (the first finds the rows and columns the near tiles span)."""
    rows = max(1, _BLOCK // ts.shape[1])
    parts = [slice(start, start + rows) for start in range(0, ts.shape[0], rows)]

    def tiles(part: slice) -> tuple[np.ndarray, ...]:
        zero = np.float32(0)
        return _tiles_at(np.where(near[part], ts[part], zero), np.where(near[part], tt[part], zero),
                         np.float32(shear), (np.float32(phase[0]), np.float32(phase[1])))

    low, left, right = [], [], []
    for part in parts:
        inside = near[part]
        if inside.any():
            row, column, _, _ = tiles(part)
            low.append(row[inside].min())
            left.append(column[inside].min())
            right.append(column[inside].max())
    first, leftmost = min(low), min(left)
    width = int(max(right) - leftmost) + 1
    index = np.empty(ts.shape, np.int64)
    border = np.empty(ts.shape, np.float32)
    for part in parts:
        row, column, fr, fc = tiles(part)
        index[part] = np.where(near[part], (row - first) * width + (column - leftmost), -1)
        border[part] = np.minimum(np.minimum(fr, 1 - fr), np.minimum(fc, 1 - fc))
    return index, border, width


def _grid(to_grid: np.ndarray, box: tuple[slice, slice], step: int
          ) -> tuple[np.ndarray, np.ndarray]:
    """``(gy, gx)`` every ``step``-th pixel of ``box`` on the basis' pixels (``to_grid``)."""
    rows = np.arange(box[0].start, box[0].stop, step, dtype=np.float64)
    cols = np.arange(box[1].start, box[1].stop, step, dtype=np.float64)
    gx, gy, _ = homography_parts(to_grid, cols[None], rows[:, None])
    shape = (rows.size, cols.size)
    return np.broadcast_to(gy, shape), np.broadcast_to(gx, shape)


def _near(s: np.ndarray, t: np.ndarray, copied: np.ndarray, margin: float) -> np.ndarray:
    """Where ``s, t`` are finite and within ``margin`` of their range over ``copied``."""
    near = np.isfinite(s) & np.isfinite(t)
    for u in (s, t):
        span = u[copied & near]
        near &= (u >= span.min() - margin) & (u <= span.max() + margin)
    return near


def _tile_means(luma: np.ndarray, inside: np.ndarray, index: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Each tile's mean ``luma`` over its ``inside`` pixels (tiles numbered by ``index``), and
    whether enough of it is known to count (8 pixels, and a fifth of the median tile's)."""
    count = np.bincount(index[inside], minlength=index.max() + 1)
    tone = np.bincount(index[inside], luma[inside], minlength=count.size) / np.maximum(count, 1)
    enough = count >= max(8, 0.2 * np.median(count[count > 0])) if (count > 0).any() else count > 0
    return tone, enough


def _smooth_share(luma: np.ndarray, inside: np.ndarray, index: np.ndarray, width: int
                  ) -> float:
    """The share of the variance of the known tiles' mean ``luma`` (tiles numbered by
    ``index``, ``width`` to a row) that a quadratic over their row and column explains: near
    1 for tiles of one tone under a light, small for tones drawn at random (0 with fewer
    than ``_SMOOTH_TILES`` tiles known)."""
    tone, enough = _tile_means(luma, inside, index)
    ids = np.arange(tone.size)
    return _smooth_fit(tone, enough, (ids // width).astype(np.float64),
                       (ids % width).astype(np.float64))


def _smooth_fit(tone: np.ndarray, enough: np.ndarray, row: np.ndarray, column: np.ndarray
                ) -> float:
    """The share of the variance of the ``enough`` tiles' ``tone`` that a quadratic over
    their places ``row, column`` (``(n,)`` each) explains (0 with fewer than
    ``_SMOOTH_TILES``)."""
    ids = np.flatnonzero(enough)
    spread = float(((tone[ids] - tone[ids].mean()) ** 2).sum()) if ids.size else 0.0
    if ids.size < _SMOOTH_TILES or spread <= 0:
        return 0.0
    row, column = row[ids], column[ids]
    terms = np.stack([np.ones_like(row), row, column, row**2, row * column, column**2], axis=1)
    fitted = terms @ np.linalg.lstsq(terms, tone[ids], rcond=None)[0]
    return float(1.0 - ((tone[ids] - fitted) ** 2).sum() / spread)


def _randomness(luma: np.ndarray, inside: np.ndarray, index: np.ndarray, column: np.ndarray,
                width: int) -> float:
    """How randomly the known tiles' tones vary from tile to tile: the mean squared difference
    of neighbouring tiles' mean ``luma`` over twice the variance of all of them (about 1 for
    tones drawn at random, near 0 for tiles of one tone under shading that varies smoothly
    across the floor, a ceiling's light; 0 with too few tiles known)."""
    tone, enough = _tile_means(luma, inside, index)
    tiles = tone.size
    last = np.zeros(tiles, bool)  # tiles at the end of their row have no right neighbour
    columns = np.zeros(tiles, np.int64)
    columns[index[index >= 0]] = column[index >= 0]
    last[columns == width - 1] = True
    ids = np.flatnonzero(enough)
    first, second = [], []
    for step, usable in ((1, ~last[ids]), (width, np.ones(ids.size, bool))):
        other = ids + step
        pair = usable & (other < tiles)
        first.append(ids[pair])
        second.append(other[pair])
    return _pair_randomness(tone, enough, np.concatenate(first), np.concatenate(second))


def _pair_randomness(tone: np.ndarray, enough: np.ndarray, first: np.ndarray,
                     second: np.ndarray) -> float:
    """:func:`_randomness` over the neighbouring tiles ``first[i], second[i]`` (pairs of
    which both are known ``enough`` count)."""
    if enough.sum() < _MIN_TILES or tone[enough].var() <= 0:
        return 0.0
    pair = enough[first] & enough[second]
    gaps = tone[first[pair]] - tone[second[pair]]
    if gaps.size < _MIN_TILES:
        return 0.0
    return float((gaps**2).mean() / (2 * tone[enough].var()))


def _parity(tiles: np.ndarray, width: int, kind: int) -> np.ndarray:
    """``(n,)`` int64 0 or 1 of each tile (``Cells.index`` numbers): the parity of its row plus
    column (``kind`` 0), of its row (1) or of its column (2)."""
    row, column = tiles // width, tiles % width
    return ((row + column, row, column)[kind] % 2).astype(np.int64)


def _alternation(grey: np.ndarray, tiles: np.ndarray, width: int) -> int | None:
    """How the known tiles' tones alternate: the parity (``kind`` of :func:`_parity`) that
    splits ``tiles`` (their ``Cells.index`` numbers, ``grey`` their mean greys) into two groups
    whose medians lie furthest apart in units of the tones' spread within the groups, if at
    least ``_ALTERNATE`` apart, or ``_ALTERNATE_LOW`` where the other two splits are
    ``_ALTERNATE_ALONE`` times nearer; None where none does (tiles of random tones)."""
    if width <= 0:
        return None
    aparts = np.zeros(3)
    for k in range(3):
        side = _parity(tiles, width, k)
        if min(int((side == 0).sum()), int((side == 1).sum())) < _MIN_GROUP:
            continue
        medians = np.array([np.median(grey[side == g]) for g in (0, 1)])
        spread = float(np.median(np.abs(grey - medians[side])))
        aparts[k] = abs(float(medians[1] - medians[0])) / max(spread, _FLAT)
    kind = int(np.argmax(aparts))
    others = float(np.delete(aparts, kind).max())
    if aparts[kind] >= _ALTERNATE or (aparts[kind] >= _ALTERNATE_LOW
                                      and aparts[kind] >= _ALTERNATE_ALONE * others):
        return kind
    return None


def _classes_apart(grey: np.ndarray, classes: np.ndarray) -> bool:
    """Whether the known tiles' tones (``grey``, ``(n,)``) differ by the region of the cell
    each tile is (``classes``, ``(n,)``: the tiles of any shape of :class:`ShapedTiles`), as a
    checkerboard's two tones do its two tiles a cell: every region with at least
    ``_MIN_GROUP`` known tiles, their median greys spread over at least ``_ALTERNATE`` times
    the tones' median absolute deviation about their own region's median."""
    kinds, count = np.unique(classes, return_counts=True)
    if kinds.size < 2 or count.min() < _MIN_GROUP:
        return False
    medians = np.array([np.median(grey[classes == k]) for k in kinds])
    spread = float(np.median(np.abs(grey - medians[np.searchsorted(kinds, classes)])))
    return float(np.ptp(medians)) >= _ALTERNATE * max(spread, _FLAT)


def _draw(tiles: np.ndarray, count: int) -> np.ndarray:
    """``(n,)`` int64 in ``[0, count)``: a draw per tile index of ``tiles`` (``(n,)`` int),
    fixed by the index alone (a fill is deterministic) and unlike from one tile to the next."""
    mixed = tiles.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    mixed ^= mixed >> np.uint64(29)
    mixed *= np.uint64(0xBF58476D1CE4E5B9)
    mixed ^= mixed >> np.uint64(32)
    return (mixed % np.uint64(count)).astype(np.int64)


def give_tones(image: np.ndarray, known: np.ndarray, copied: np.ndarray, cells: Cells, *,
               sources: np.ndarray | None = None, typical: bool = False, whole: bool = False,
               plan: tuple | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Give copied tiles their tones, in place: an offset on each of a tile's copied pieces
    (none at the joints, so the grout and the texture stay the copy's).

    A tile with enough of its interior known takes that part's mean colour. With ``typical``,
    a tile with nothing known whose copy's tone (its largest piece's, the tile its copy
    mostly came from) is rare among the tiles known around it (fewer than ``_RARE`` of them
    within ``_ALIKE`` times their tones' median absolute deviation of it, in luminance)
    takes the known tiles' median colour instead: a dark tile of a light floor copied where
    nothing says one lies. Where the known tiles' tones alternate (a checkerboard of two tones:
    :func:`_alternation`), every tile with nothing known takes the median colour of the known
    tiles of its own parity instead, whatever its copy's tone: copied along the joints'
    lattice, whose step may swap the two tones, and pieced together from several tiles, the
    copies bring a blend of both. With ``whole``, every other tile with nothing known takes
    its copy's tone throughout: copies of copies may bring it pieces of two tiles, which the
    stitch then blends into a gradient across it (crisper tiles, but a wrong guess of a tone
    costs more than a blend: see ``PatchMatchParams.tile_tones_whole``). Without it, and with
    ``typical`` where the tones do not alternate, every other tile with nothing known takes
    the known tiles' median colour moved ``_DRAWN_SHARE`` of the way towards the colour of a
    known tile of a usual tone drawn for it (by its index: ``_draw``), instead of keeping the
    tone of the ring's tile its chain of copies started from. A tile that keeps its copy
    (with ``whole``) has its pieces other than its largest whose tone is rare among the known
    tiles take the largest piece's tone; and every piece of a rare tone is
    toned up to the grout line (``_GROUT``), not faded out beside the joints, none of its
    pixels going past the tone it is brought to by more than ``_RARE_REACH`` times the known
    tiles' texture. A tile narrower than ``_NARROWEST`` pixels keeps its copy as it is.

    Args:
        image: ``(P, P, C)`` the tile, its copied pixels filled.
        known: ``(P, P)`` bool, its known pixels.
        copied: ``(P, P)`` bool, the pixels to tone.
        cells: the tiles (:func:`find_cells`).
        sources: ``(H, W)`` int64 over ``cells.box`` (which holds every copied pixel), for
            each copied pixel a key of the tile it was copied from (its pieces); None: each
            tile's copy is one piece.
        typical, whole: see above.
        plan: the tiles to tone as another call returned them (the same tiles, and the same
            typical tile, for a second array of the same tile, such as its HDR values).

    Returns:
        ``(toned, odd, typical, rare, drawn, centre)``: ``(n,)`` bool per tile, toned from
        its known part; given a typical or a drawn tone; ``(n,)`` int64 the known tile whose
        tone that is (-1: none); ``(m,)`` bool per piece, of a rare tone (with ``typical``);
        ``(n,)`` bool per tile, given a drawn tone; the known tile of the median tone that a
        drawn tone is moved from (-1: none).
    """
    box = cells.box
    view = image[box]
    mine = known[box]
    copy = copied[box] & (cells.index >= 0)
    interior = (cells.border >= _INTERIOR) & (cells.index >= 0)
    index = cells.index  # read only where it is >= 0 (``copy``, ``interior``)
    n = max(int(index.max()), 0) + 1
    channels = image.shape[2]
    # Pieces: the copied pixels of one tile that came from one tile.
    source = (np.zeros(int(copy.sum()), np.int64) if sources is None
              else sources[copy])
    _, source_id = np.unique(source, return_inverse=True)
    _, piece = np.unique(index[copy] * (int(source_id.max(initial=0)) + 1)
                         + source_id.reshape(-1), return_inverse=True)
    piece = piece.reshape(-1)
    pieces = int(piece.max()) + 1 if piece.size else 0
    owner = np.zeros(max(pieces, 1), np.int64)
    owner[piece] = index[copy]

    def means(where: np.ndarray, ids: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
        size = np.bincount(ids, minlength=count)
        sums = np.stack([np.bincount(ids, view[..., c][where], minlength=count)
                         for c in range(channels)], axis=1)
        return sums / np.maximum(size, 1)[:, None], size

    target, seen = means(interior & mine, index[interior & mine], n)
    area = np.bincount(index[interior], minlength=n)
    inner = interior[copy]  # the copied pixels' interior, in ``piece``'s order
    now, used = means(interior & copy, piece[inner], pieces)
    whole_now, whole_used = means(copy, piece, pieces)  # pieces with no interior: all of them
    now = np.where((used > 0)[:, None], now, whole_now)
    # Each tile's largest piece: its copy's own tone.
    largest = np.full(n, -1, np.int64)
    sizes = np.bincount(piece, minlength=pieces)
    for p in np.argsort(sizes, kind="stable"):
        largest[owner[p]] = p
    # A tile too narrow for a tone of its own keeps its copy, whatever ``whole`` says.
    narrow = cells.widths[:n] < _NARROWEST
    copied_cells = (largest >= 0) & ~narrow
    if plan is None:
        toned = (seen >= np.maximum(_KNOWN_SHARE * area, _MIN_KNOWN)) & copied_cells
        around = seen >= _WHOLE * np.maximum(area, 1)  # the known tiles around
        # The pieces of a rare tone: few of the known tiles are of about their tone (within
        # twice the tones' median absolute deviation): a dark tile's on a light floor (and a
        # corner of the ring's dark tile, carried into every cell by copies of copies: dark
        # specks all over the 2K hall's 50-degree cap); either tone of a checkerboard is
        # about half of them.
        rare = np.zeros(pieces, bool)
        known_tiles = np.flatnonzero(around)
        usual = known_tiles[:0]  # the known tiles of a tone that is not rare among them
        median_tile = -1  # the known tile of the median grey
        if typical and around.sum() >= _MIN_TILES:
            grey = target[around, : min(3, channels)].mean(axis=1)
            spread = float(np.median(np.abs(grey - np.median(grey))))

            def rare_among_known(values: np.ndarray) -> np.ndarray:
                alike = np.abs(values[:, None] - grey[None]) <= _ALIKE * max(spread, _FLAT)
                return alike.mean(axis=1) < _RARE

            rare = rare_among_known(now[:, : min(3, channels)].mean(axis=1))
            usual = known_tiles[~rare_among_known(grey)]
            median_tile = int(known_tiles[np.argsort(grey)[known_tiles.size // 2]])
        # A tile with nothing known whose copy (its largest piece) is of a rare tone.
        odd = ~toned & (seen == 0) & copied_cells
        odd[odd] = rare[largest[odd]]
        # The known tile of the median grey (of each parity's, where the tones alternate):
        # chosen once, so that a second array (HDR values, whose tiles a tone curve per
        # channel may sort otherwise) takes its tone.
        middle = np.full(n, -1, np.int64)
        # Each tile's group where the known tiles' tones alternate: its parity, or for tiles
        # of any shape the region of the cell it is; None where they do not.
        side = None
        if typical and around.sum() >= _MIN_TILES:
            if cells.classes is None:
                kind = _alternation(grey, np.flatnonzero(around), cells.width)
                if kind is not None:
                    side = _parity(np.arange(n), cells.width, kind)
            elif _classes_apart(grey, cells.classes[around]):
                side = cells.classes
        if side is not None:
            odd = ~toned & (seen == 0) & copied_cells
            for g in np.unique(side[around]):
                members = np.flatnonzero(around & (side == g))
                order = np.argsort(target[members, : min(3, channels)].mean(axis=1))
                middle[side == g] = members[order[members.size // 2]]
            # A region of the cell with no known tile names no tone: its tiles keep their
            # copies.
            odd &= middle >= 0
        elif odd.any():
            middle[:] = median_tile
        middle[~odd] = -1
        # The other tiles with nothing known: the typical tone, part way to a drawn one's.
        drawn = np.zeros(n, bool)
        centre = -1
        if side is None and median_tile >= 0 and not whole and usual.size:
            drawn = ~toned & (seen == 0) & copied_cells & ~odd
            if drawn.any():
                middle[drawn] = usual[_draw(np.flatnonzero(drawn), usual.size)]
                centre = median_tile
                odd = odd | drawn
        plan = (toned, odd, middle, rare, drawn, centre)
    toned, odd, middle, rare, drawn, centre = plan
    # In a tile that keeps its copy, such a piece beside its largest takes the largest's tone.
    retone = (rare & (~toned & ~odd & ~narrow)[owner]
              & (np.arange(pieces) != largest[owner]))
    tone = np.where(toned[:, None], target, now[np.maximum(largest, 0)])
    # The other tiles keep their copies as they are (with ``whole``, the narrow ones only).
    tone[(~toned & ~odd) if not whole else narrow] = np.nan
    if odd.any():
        tone[odd] = target[middle[odd]]
    if drawn.any():
        tone[drawn] = target[centre] + _DRAWN_SHARE * (target[middle[drawn]] - target[centre])
    piece_tone = tone[owner]  # (pieces, C)
    piece_tone[retone] = now[largest[owner[retone]]]
    offset = np.nan_to_num(piece_tone - now)
    weight = np.clip((cells.border[copy] - _JOINT) / _FADE, 0.0, 1.0)
    # A piece of a rare tone is toned up to the grout line, not faded out beside the joints:
    # there it is no grout but a dark tile's edge (dark streaks along the plaza's joints
    # under a 50-degree cap).
    weight = np.where(rare[piece] & (cells.border[copy] >= _GROUT), 1.0, weight)
    moved = view[copy] + (weight[:, None] * offset[piece]).astype(view.dtype)
    if rare.any():
        # The known tiles' texture about their tones, in this array's units.
        known_px = interior & mine
        rms = float(np.sqrt(np.mean((view[known_px] - target[index[known_px]]) ** 2)))
        lifted = rare[piece][:, None] & (offset[piece] > 0)
        lowered = rare[piece][:, None] & (offset[piece] < 0)
        reach = _RARE_REACH * rms
        moved = np.where(lifted, np.minimum(moved, piece_tone[piece] + reach), moved)
        moved = np.where(lowered, np.maximum(moved, piece_tone[piece] - reach), moved)
    view[copy] = moved.astype(view.dtype)
    return plan


def _known_tones(image: np.ndarray, known: np.ndarray, cells: Cells
                 ) -> tuple[np.ndarray, np.ndarray, float]:
    """The keys (:meth:`Cells.key_at`, sorted) of the tiles with enough of their interior
    known, the mean grey of each, and the median absolute deviation of those tones."""
    box = cells.box
    inside = (cells.index >= 0) & (cells.border >= _INTERIOR) & known[box]
    none = (np.zeros(0, np.int64), np.zeros(0), 0.0)
    if not inside.any():
        return none
    grey = channel_mean(image[box][..., : min(3, image.shape[2])])[inside]
    ids = cells.index[inside]
    count = np.bincount(ids)
    mean = np.bincount(ids, grey) / np.maximum(count, 1)
    area = np.bincount(cells.index[(cells.index >= 0) & (cells.border >= _INTERIOR)],
                       minlength=count.size)[: count.size]
    enough = np.flatnonzero(count >= np.maximum(_KNOWN_SHARE * area, _MIN_KNOWN))
    if not enough.size:
        return none
    # One pixel of each such tile names its key.
    ys, xs = np.nonzero(inside)
    first = np.zeros(count.size, np.int64)
    first[ids[::-1]] = np.arange(ids.size)[::-1]
    keys = cells.key_at(xs[first[enough]] + box[1].start, ys[first[enough]] + box[0].start)
    tones = mean[enough]
    spread = float(np.median(np.abs(tones - np.median(tones))))
    order = np.argsort(keys, kind="stable")
    return keys[order], tones[order], spread


def _sources(cells: Cells, copied: np.ndarray, nnf: tuple[np.ndarray, ...], own: int,
             image: np.ndarray | None = None, known: np.ndarray | None = None
             ) -> np.ndarray:
    """``(H, W)`` int64 over ``cells.box`` (which holds every ``copied`` pixel): each copied
    pixel's source tile (its piece) as ``give_tones`` takes them: on the tile itself (source
    ``own`` of the field ``nnf``), the key of the lattice's tile it lies in; on another face,
    that face.

    The tiles found lie within a pixel or two of the floor's joints, and a copy from beside a
    joint may bring the edge of the tile beyond it: where the tones beside a joint differ (a
    dark tile beside light ones; with the ``image`` and its ``known`` pixels), a source pixel
    within ``_INTERIOR`` of its tile's border whose grey lies nearer the known tone of the tile
    across that border than its own tile's is counted that tile's (dark slivers along the
    joints of the hall's 50-degree caps, which as part of a light piece kept their darkness)."""
    ys, xs = np.nonzero(copied[cells.box])
    k, y, x = (field[cells.box][ys, xs] for field in nnf[:3])
    sources = np.zeros(cells.index.shape, np.int64)
    mine = np.flatnonzero(k == own)
    judged = image is not None and known is not None
    tone_keys, tones, spread = (_known_tones(image, known, cells) if judged
                                else (np.zeros(0, np.int64), np.zeros(0), 0.0))

    def tones_of(found: np.ndarray) -> np.ndarray:
        at = np.minimum(np.searchsorted(tone_keys, found), tone_keys.size - 1)
        return np.where(tone_keys[at] == found, tones[at], np.nan)

    sources[ys, xs] = np.iinfo(np.int64).min + k.astype(np.int64)
    if not tone_keys.size:
        sources[ys[mine], xs[mine]] = cells.key_at(x[mine], y[mine])
        return sources
    # A block of pixels at a time: the tiles beyond take three keys and distances a pixel
    # (an 8K cap's tile copies millions).
    for start in range(0, mine.size, _BLOCK):
        part = mine[start:start + _BLOCK]
        keys, beyond, distance = cells.keys_near(x[part], y[part], _INTERIOR)
        near = np.flatnonzero(distance.min(axis=1) < _INTERIOR)
        if near.size:
            grey = channel_mean(image[..., : min(3, image.shape[2])][y[part][near],
                                                                     x[part][near]])
            own_tone = tones_of(keys[near])
            gap = np.abs(grey - own_tone)
            taken = keys[near].copy()
            for j in range(3):
                other = tones_of(beyond[near, j])
                # The tile beyond must differ from the pixel's own tile (a light tile's edge
                # beside a light tile is no sliver) and lie closer to its grey.
                apart = np.abs(own_tone - other)
                better = ((distance[near, j] < _INTERIOR)
                          & (apart > _ALIKE * max(spread, _FLAT))
                          & (np.abs(grey - other) < np.minimum(gap, _BEYOND * apart)))
                taken[better] = beyond[near, j][better]
                gap = np.where(better, np.abs(grey - other), gap)
            keys[near] = taken
        sources[ys[part], xs[part]] = keys
    return sources


def tile_tones(image: np.ndarray, values: np.ndarray | None, known: np.ndarray,
               copied: np.ndarray, lattice: Lattice, to_grid: np.ndarray,
               nnf: tuple[np.ndarray, ...], own: int, *, whole: bool
               ) -> tuple[str, np.ndarray | None]:
    """Give the cells copied along ``lattice`` their tiles' tones where the floor's tiles have
    random tones, in place in ``image`` (and ``values``, the same tile's values).

    Args:
        image: ``(P, P, C)`` the tile, its copied pixels filled.
        values: ``(P, P, C)`` the tile's values (HDR), toned alike; None: none.
        known: ``(P, P)`` bool, its known pixels.
        copied: ``(P, P)`` bool, the hole pixels copied along ``lattice``.
        lattice: the lattice the copies followed.
        to_grid: ``(3, 3)`` homography from tile pixels to the lattice's grid.
        nnf: the tile's field ``(k, y, x, ...)``: each copied pixel's source tile and pixel.
        own: the source tile that is this tile.
        whole: see :func:`give_tones`.

    Returns:
        A note saying what was done or why not ("" where nothing was copied), and the pixels
        toned (None: none).
    """
    if not copied.any():
        return "", None
    a, b, _ = lattice.basis()
    if b is None:
        return "tile tones skipped (stripes, no cells)", None
    cells = find_cells(image, known, copied, to_grid, a, b, lattice.cell())
    if cells is None:
        return "tile tones skipped (too little known around the copies)", None
    if cells.explained < _TONES_EXPLAINED or cells.contrast < _TONES_CONTRAST:
        return (f"tile tones skipped (the cells explain {cells.explained:.2f} of the "
                f"ring's luminance, {cells.contrast:.2f} more than their median phase: "
                "tiles of one tone or no tiles)"), None
    if cells.randomness < _TONES_RANDOM:
        return (f"tile tones skipped (neighbouring tiles' tones differ by "
                f"{cells.randomness:.2f} of random ones: tiles of one tone under "
                "shading)"), None
    if cells.smooth >= _TONES_SMOOTH:
        return (f"tile tones skipped (a smooth light explains {cells.smooth:.2f} of the "
                "known tiles' tones: tiles of one tone under shading)"), None
    sources = _sources(cells, copied, nnf, own, image, known)
    plan = give_tones(image, known, copied, cells, sources=sources, typical=True,
                      whole=whole)
    if values is not None:
        give_tones(values, known, copied, cells, sources=sources, whole=whole, plan=plan)
    given_tone, typical_tone, middle, _, drawn, _ = plan
    copied_tiles = np.unique(cells.index[copied[cells.box] & (cells.index >= 0)])
    narrow = int((cells.widths[copied_tiles] < _NARROWEST).sum())
    # Two typical tiles: the known tiles' tones alternate, each hidden tile took its parity's.
    alternating = np.unique(middle[typical_tone & ~drawn]).size > 1
    toned = None
    if whole or alternating or drawn.any():
        # The stitch keeps the steps between the tones (else it blends them again): every
        # copied tile's, or where the tones alternate or were drawn, those of the tiles given
        # a tone.
        given = (cells.widths >= _NARROWEST) if whole else given_tone | typical_tone
        toned = np.zeros_like(copied)
        toned[cells.box] = copied[cells.box] & (cells.index >= 0) & given[cells.index]
    return (f"tile tones: {int(given_tone.sum())} cell(s) given their known part's tone, "
            f"{int((typical_tone & ~drawn).sum())} the typical one"
            f"{' of their parity (tones alternate)' if alternating else ''}, "
            f"{int(drawn.sum())} part way to a known one's drawn for it, {narrow} narrower "
            f"than {_NARROWEST:g} px left as copied (cells explain "
            f"{cells.explained:.2f} "
            f"of the ring's luminance, neighbours' tones differ by {cells.randomness:.2f} "
            "of random ones)"), toned

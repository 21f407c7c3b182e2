"""Tiles of any shape: the regions a lattice cell's joints enclose.

The tile tones step (``_tones``) lays rectangular tiles along the tiles' own steps: squares,
bricks in a running bond, planks. A cell of a herringbone parquet holds two boards that no
step of the cell maps onto each other (one lies along x, the other along y), and no partition
into rectangles along the cell's steps follows their joints (the parlour's boards under a
40-degree nadir cap: 0.42 of the ring's luminance explained by the best rectangles, 0.85 by
its two boards). Here the tiles are found in the mean cell image of the edges itself: the
joints are its bright bins, and each region of dark bins they enclose, on the cell seen as a
torus (a board cut by the cell's border runs on from the opposite side), is one tile of the
cell. A pixel at cell coordinates ``(s, t)`` lies in the tile of its bin's region in the cell
``(floor(s), floor(t))`` moved by the cells its region's bin lies from the region's first one
(``home``): the two halves of a board the cell's border cuts name one tile.

A region that runs into itself around the torus is no tile (stripes, or joints too faint to
close it): then no tiles are found.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pano_inpaint.generators.patchmatch._plane import homography_parts

__all__ = ["ShapedTiles", "cell_coordinates", "shaped_tiles"]

# The mean cell image's bins: about this many, as many along each of the cell's steps as make
# them about as long there (a cell of the parlour's eight boards at 4K is 109 by 437 px: 32
# bins along each made a board's width under three bins along the long step, and its joints
# a blur), at least _FEWEST_BINS along each.
_CELL_BINS = 4096
_FEWEST_BINS = 16
# A bin is a joint where its mean edge lies this share of the way from the image's 5th to its
# 95th percentile (the parlour's boards: 0.3-0.4 gave its two boards on the down face, 0.5
# and more joined them on a side face's grid, where the joints are faint).
_JOINT_LEVEL = 0.4
_SMALLEST = 0.04  # share of the cell's bins a region needs to be a tile (else it is joint)
_MOST_TILES = 12
_KEY_CELLS = 1 << 28  # cells a key's second coordinate may span (keys are unique within it)
_KEY_TILES = 64  # tiles a key's region number may span (> _MOST_TILES)
_COPIES = [(ci, cj) for ci in (-1, 0, 1) for cj in (-1, 0, 1)]
_CENTRE = _COPIES.index((0, 0))


@dataclass(frozen=True)
class ShapedTiles:
    """Where the tiles of a lattice's cell lie, for every point of the grid.

    Attributes:
        to_grid: ``(3, 3)`` homography from tile pixels to the grid the steps lie on.
        a, b: ``(2,)`` the cell's steps ``(dy, dx)`` on the grid.
        region: ``(I, J)`` int64 the tile (region of the cell) each bin lies in (``I`` bins
            along ``a``, ``J`` along ``b``).
        home: ``(I, J, 2)`` int64 the cells from a bin's cell to its tile's.
        border: ``(I, J)`` float32 a bin's distance to the joints, as a share of its
            tile (0 on them, 0.5 at the point furthest from them).
        beyond: ``(I, J)`` int64 the region of the nearest other tile across that
            border, and ``beyond_home`` ``(I, J, 2)`` int64 its cells as ``home``.
        count: how many tiles a cell holds.
    """

    to_grid: np.ndarray
    a: np.ndarray
    b: np.ndarray
    region: np.ndarray
    home: np.ndarray
    border: np.ndarray
    beyond: np.ndarray
    beyond_home: np.ndarray
    count: int

    def at_cells(self, s: np.ndarray, t: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(n,)`` each for points at cell coordinates ``s, t`` (``(n,)`` each, finite):
        int64 the key of the tile each lies in (equal keys: the same tile), float32 its
        distance to that tile's border (a share, as ``border``), int64 the key of the
        nearest tile across it."""
        cs, ct, i, j = _bins(s, t, self.region.shape)
        cells = np.stack([cs, ct], axis=-1)
        return (_key(cells + self.home[i, j], self.region[i, j]), self.border[i, j],
                _key(cells + self.beyond_home[i, j], self.beyond[i, j]))

    def region_of(self, keys: np.ndarray) -> np.ndarray:
        """``(n,)`` int64 the region of the cell each tile (``keys``, :meth:`at_cells`) is."""
        return keys % _KEY_TILES

    def at_pixels(self, x: np.ndarray, y: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`at_cells` of the tile pixels ``(x, y)`` (``(n,)`` each)."""
        gx, gy, _ = homography_parts(self.to_grid, x.astype(np.float64), y.astype(np.float64))
        return self.at_cells(*cell_coordinates(gy, gx, self.a, self.b))


def cell_coordinates(gy: np.ndarray, gx: np.ndarray, a: np.ndarray, b: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """``s, t`` with ``(gy, gx) = s a + t b`` (``a, b`` as ``(dy, dx)``)."""
    inverse = np.linalg.inv(np.array([[a[0], b[0]], [a[1], b[1]]], np.float64))
    return inverse[0, 0] * gy + inverse[0, 1] * gx, inverse[1, 0] * gy + inverse[1, 1] * gx


def _bins(s: np.ndarray, t: np.ndarray, shape: tuple[int, int]
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(n,)`` int64 each: the cell (``floor(s), floor(t)``) of points at cell coordinates
    ``s, t`` and their bin in it, of ``shape`` bins along ``a`` and ``b``."""
    cs, ct = np.floor(s), np.floor(t)
    i = np.minimum(((s - cs) * shape[0]).astype(np.int64), shape[0] - 1)
    j = np.minimum(((t - ct) * shape[1]).astype(np.int64), shape[1] - 1)
    return cs.astype(np.int64), ct.astype(np.int64), i, j


def _key(cells: np.ndarray, region: np.ndarray) -> np.ndarray:
    """``(...)`` int64 one number for each tile: the region ``region`` (``(...)``) of the
    cell ``cells`` (``(..., 2)`` int64; unique while the second coordinate spans less than
    ``_KEY_CELLS``)."""
    return (cells[..., 0] * _KEY_CELLS + cells[..., 1]) * _KEY_TILES + region


def _closed(joint: np.ndarray) -> np.ndarray:
    """``joint`` (``(I, J)`` bool) closed on the torus by a 3 x 3 square: a thin joint's
    edges are two ridges of the gradient, one each side of the joint's middle, whose dip
    between them would be a region of its own running along the joint."""
    padded = np.pad(joint.astype(np.uint8), 2, mode="wrap")
    closed = cv2.morphologyEx(padded, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    return closed[2:-2, 2:-2].astype(bool)


def _regions(joint: np.ndarray) -> tuple[np.ndarray, np.ndarray, int] | None:
    """The regions of the bins that are no ``joint`` (``(I, J)`` bool) on the cell as a torus,
    4-connected: ``(I, J)`` int64 each bin's (-1: joint), ``(I, J, 2)`` int64 the cells from
    each bin's to its region's first bin's, and how many; None where a region runs into
    itself around the torus (no tile: a stripe)."""
    rows, cols = joint.shape
    region = np.full(joint.shape, -1, np.int64)
    home = np.zeros(joint.shape + (2,), np.int64)
    homes: dict[tuple[int, int], tuple[int, int]] = {}
    count = 0
    for start in zip(*np.nonzero(~joint), strict=True):
        start = (int(start[0]), int(start[1]))
        if region[start] >= 0:
            continue
        region[start] = count
        homes[start] = (0, 0)
        stack = [start]
        while stack:
            i, j = stack.pop()
            hi, hj = homes[(i, j)]
            for ni, nj in ((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)):
                # Stepping over the cell's border moves the home one cell the other way: the
                # bin beyond lies in the next cell, its region's first bin in this one's.
                there = (hi - ni // rows, hj - nj // cols)
                ni, nj = ni % rows, nj % cols
                if joint[ni, nj]:
                    continue
                if region[ni, nj] < 0:
                    region[ni, nj] = count
                    homes[(ni, nj)] = there
                    stack.append((ni, nj))
                elif homes[(ni, nj)] != there:
                    return None
        count += 1
    for (i, j), value in homes.items():
        home[i, j] = value
    return region, home, count


def shaped_tiles(edges: np.ndarray, s: np.ndarray, t: np.ndarray, to_grid: np.ndarray,
                 a: np.ndarray, b: np.ndarray) -> ShapedTiles | None:
    """The tiles the joints enclose in the cell ``a, b`` (``(2,)`` each, ``(dy, dx)`` on the
    grid ``to_grid`` maps tile pixels to), from the edges ``edges`` (``(n,)``) of points at
    cell coordinates ``s, t`` (``(n,)`` each); None where the regions are no tiles (one, more
    than ``_MOST_TILES``, or one running around the cell)."""
    # Here only: scipy.spatial loads scipy.sparse, which the fill's import path keeps out.
    from scipy.spatial import cKDTree

    ratio = float(np.hypot(*a) / np.hypot(*b))
    shape = (max(_FEWEST_BINS, int(round(np.sqrt(_CELL_BINS * ratio)))),
             max(_FEWEST_BINS, int(round(np.sqrt(_CELL_BINS / ratio)))))
    bins = shape[0] * shape[1]
    _, _, i, j = _bins(s, t, shape)
    at = i * shape[1] + j
    count = np.bincount(at, minlength=bins)
    total = np.bincount(at, edges, minlength=bins)
    along_a = (np.arange(shape[0]) + 0.5) / shape[0]
    along_b = (np.arange(shape[1]) + 0.5) / shape[1]
    place = (along_a[:, None, None] * a + along_b[None, :, None] * b).reshape(-1, 2)
    filled = np.flatnonzero(count > 0)
    if filled.size < count.size // 4:
        return None
    # A lattice of whole pixels puts its pixels in a few of the bins only: the others take
    # their nearest filled bin's mean.
    mean = total[filled] / count[filled]
    mean = mean[cKDTree(place[filled]).query(place)[1]].reshape(shape)
    low, high = np.percentile(mean, [5, 95])
    if high <= low:
        return None
    found = _regions(_closed(mean > low + _JOINT_LEVEL * (high - low)))
    if found is None:
        return None
    region, home, regions = found
    # Regions of a few bins are the noise of the mean image on a joint: joint too.
    sizes = np.bincount(region[region >= 0], minlength=regions)
    kept = np.flatnonzero(sizes >= _SMALLEST * bins)
    if not 2 <= kept.size <= _MOST_TILES:
        return None
    renumber = np.full(regions, -1, np.int64)
    renumber[kept] = np.arange(kept.size)
    region = np.where(region >= 0, renumber[np.maximum(region, 0)], -1)
    # Every bin's tile is the nearest region's (a joint's bins split between the tiles
    # beside it), then each bin's nearest bin of another tile.
    copies = np.concatenate([place + ci * a + cj * b for ci, cj in _COPIES])  # (9 I J, 2)
    shift = np.repeat(np.array(_COPIES, np.int64), bins, axis=0)
    flat_region = np.tile(region.reshape(-1), len(_COPIES))
    flat_home = np.tile(home.reshape(-1, 2), (len(_COPIES), 1)) + shift
    inside = np.flatnonzero(flat_region >= 0)
    nearest = inside[cKDTree(copies[inside]).query(place)[1]]
    tile_region = flat_region[nearest].reshape(shape)
    tile_home = flat_home[nearest].reshape(*shape, 2)
    all_region = np.tile(tile_region.reshape(-1), len(_COPIES))
    all_home = np.tile(tile_home.reshape(-1, 2), (len(_COPIES), 1)) + shift
    label = _key(all_home, all_region)  # each tile (a region and its home) as one number
    own = label[_CENTRE * bins:(_CENTRE + 1) * bins]
    # The nearest bin of another tile among each bin's 64 nearest (a disc a fifth of a board's
    # width across where a cell holds two, wider for more); a bin with none there lies
    # deeper inside its tile than any pixel that asks for the tile beyond (``_INTERIOR``),
    # and keeps its own.
    neighbours = cKDTree(copies).query(place, k=64)[1]
    other = label[neighbours] != own[:, None]
    first = neighbours[np.arange(bins), np.argmax(other, axis=1)]
    first = np.where(other.any(axis=1), first, _CENTRE * bins + np.arange(bins))
    beyond, beyond_home = all_region[first], all_home[first]
    # The border is the joint: a bin's distance to the nearest joint bin (0 on one). The
    # midline between two tiles' regions lies within a bin of the joint's middle, but a bin
    # along a long step is a pixel and a half (the parlour's), and a joint's pixels came out
    # inside the tiles.
    joint = np.tile((region < 0).reshape(-1), len(_COPIES))
    border = np.zeros(bins)
    open_ = (region >= 0).reshape(-1)
    border[open_] = cKDTree(copies[joint]).query(place[open_])[0]
    deepest = np.zeros(kept.size)
    np.maximum.at(deepest, tile_region.reshape(-1), border)
    share = border / (2 * np.maximum(deepest[tile_region.reshape(-1)], 1e-9))
    return ShapedTiles(to_grid, a, b, tile_region, tile_home,
                       share.reshape(shape).astype(np.float32),
                       beyond.reshape(shape), beyond_home.reshape(*shape, 2),
                       int(kept.size))

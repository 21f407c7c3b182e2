"""Helpers shared by the tile tones tests (``test_patchmatch_tones``, ``test_patchmatch_shapes``):
a floor drawn as one down-face tile, filled, and its tiles' tones and cells checked."""

from __future__ import annotations

import numpy as np

from pano_inpaint.generators import CubeTiles
from pano_inpaint.generators.patchmatch import PatchMatch
from pano_inpaint.generators.patchmatch._tones import Cells, find_cells

FACE, PAD = 160, 16
SIZE = FACE + 2 * PAD  # 192
DOWN = 5

# The structure step's own fill: the finishing touches (the stitch, the smooth structure at
# the border, the band gains) off, as they blend whatever tones the copies have.
RAW = {"stitch": False, "structure_depth": 0, "detail_bands": 0, "detail_depth": 0}


def fill(image: np.ndarray, hole: np.ndarray, **params) -> tuple[np.ndarray, list[str]]:
    """The default generator's fill of ``image`` (``(SIZE, SIZE, 3)``, the down face with its
    padding) with ``hole`` blanked, and its notes."""
    blanked = image.copy()
    blanked[hole] = 0
    tiles = CubeTiles(blanked[None], hole[None], (DOWN,), FACE, PAD)
    return PatchMatch(**params).inpaint(tiles)[0], tiles.notes


def cut_tiles(image: np.ndarray, out: np.ndarray, ids: np.ndarray, joint: np.ndarray,
              hole: np.ndarray, *, clear: float = 3.0, least: int = 20) -> np.ndarray:
    """For each tile the hole cuts (a quarter of its inside known, and ``least`` px of it in
    the hole; its inside: ``clear`` px from the joints): how far the fill's mean grey in its
    hole part lies from its known part's."""
    inside = joint >= clear
    grey_in, grey_out = image.mean(axis=-1), out.mean(axis=-1)
    errors = []
    for tile in np.unique(ids[hole & inside]):
        mine = inside & (ids == tile)
        known, missing = mine & ~hole, mine & hole
        if known.sum() >= 0.25 * mine.sum() and missing.sum() >= least:
            errors.append(abs(grey_out[missing].mean() - grey_in[known].mean()))
    return np.array(errors)


def assert_each_cell_is_a_tile(cells: Cells, ids: np.ndarray, joint: np.ndarray,
                               clear: float = 3.0) -> None:
    """Each found cell is one of the floor's tiles and each tile one cell (up to the joints'
    pixels, ``clear`` px from them)."""
    box = cells.box
    inside = (joint[box] >= clear) & (cells.index >= 0)
    pairs = np.unique(np.stack([cells.index[inside], ids[box][inside]], axis=1), axis=0)
    assert len(np.unique(pairs[:, 0])) == len(pairs)
    assert len(np.unique(pairs[:, 1])) == len(pairs)


def checkerboard_cells(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, Cells]:
    """A 48 px square of 6 x 6 cells of 8 px in a checkerboard of two tones (0.62 and 0.54, each
    cell's scaled by a random 0.97-1.03; the first cell dark) whose middle 2 x 2 cells are
    copied as a blend of both tones (0.58): the image, the copied pixels and the cells."""
    size, cell, width = 48, 8, 6
    y, x = np.mgrid[0:size, 0:size]
    row, column = y // cell, x // cell
    index = row * width + column
    border = (np.minimum(np.minimum(y % cell, cell - 1 - y % cell),
                         np.minimum(x % cell, cell - 1 - x % cell)) / cell + 0.05)
    tone = np.where(np.arange(width * width) // width % 2 == np.arange(width * width) % 2,
                    0.62, 0.54) * rng.uniform(0.97, 1.03, width * width)
    tone[0] = 0.2
    image = np.repeat(tone[index][..., None], 3, axis=-1).astype(np.float32)
    copied = (row >= 2) & (row < 4) & (column >= 2) & (column < 4)
    image[copied] = 0.58
    cells = Cells((slice(0, size), slice(0, size)), index, border.astype(np.float32), 0.9, 0.5,
                  width=width)
    return image, copied, cells


def cells_of(image: np.ndarray, hole: np.ndarray, a: np.ndarray, b: np.ndarray) -> Cells | None:
    """:func:`find_cells` of the lattice ``a, b`` on the tile itself around ``hole`` (its
    cell's length its longer diagonal)."""
    return find_cells(image, ~hole, hole, np.eye(3), a, b,
                      float(max(np.hypot(*(a + b)), np.hypot(*(a - b)))))

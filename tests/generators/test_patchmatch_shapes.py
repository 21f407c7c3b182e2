"""Tiles of any shape (``_shapes``): where no rectangles along a cell's steps follow the
joints (a herringbone's cell holds a board lying along x and one along y), the tile tones
step finds the tiles as the regions the joints enclose in the mean cell image.

The floor is a single down-face tile drawn in tile pixels: a herringbone of boards 8 px wide
and four widths long (the held-out parlour's pattern), each board a random tone, dark joints
a pixel or two wide, a fine grain. Its lattice repeats by ``(8, 8)`` and ``(-32, 32)``
(``(dy, dx)``): two boards a cell.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pano_inpaint.eval.scenes import _herringbone_boards
from pano_inpaint.generators.patchmatch import _tones as tones
from pano_inpaint.generators.patchmatch._shapes import ShapedTiles, _regions, shaped_tiles
from pano_inpaint.generators.patchmatch._tones import find_cells, give_tones
from tests.generators.tile_helpers import (
    RAW,
    SIZE,
    assert_each_cell_is_a_tile,
    cells_of,
    checkerboard_cells,
    cut_tiles,
)
from tests.generators.tile_helpers import fill as _fill

WIDTH, LONG = 8.3, 4
TURN = np.radians(17.0)  # the boards' turn on the face (no step a whole number of pixels)


def _turned(du: float, dv: float) -> np.ndarray:
    """``(dy, dx)`` on the face of the floor's step ``(du, dv)`` (px along its axes)."""
    c, s = np.cos(TURN), np.sin(TURN)
    return np.array([-s * du + c * dv, c * du + s * dv])


A = _turned(WIDTH, WIDTH)
B = _turned(LONG * WIDTH, -LONG * WIDTH)


def _parquet(seed: int = 5, two_tones: bool = False
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(SIZE, SIZE, 3)`` the floor, ``(SIZE, SIZE)`` each pixel's board and its distance to
    the nearest joint in px; with ``two_tones``, the boards lying along one axis light and
    those along the other dark (each a little varied)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    c, s = np.cos(TURN), np.sin(TURN)
    u, v = c * x - s * y, s * x + c * y  # the floor's axes
    lying, ident, distance = _herringbone_boards(u / WIDTH + 0.3, v / WIDTH + 0.6, LONG)
    _, ids = np.unique(ident[..., 0] * 100_000 + ident[..., 1], return_inverse=True)
    ids = ids.reshape(x.shape)
    joint = distance * WIDTH
    tone = rng.uniform(0.4, 0.75, int(ids.max()) + 1)
    if two_tones:
        light = np.zeros(tone.size, bool)
        light[ids[lying]] = True
        tone = np.where(light, 0.72, 0.42) + rng.uniform(-0.03, 0.03, tone.size)
    grey = np.where(joint < 0.8, 0.12, tone[ids]) + 0.015 * rng.standard_normal(x.shape)
    image = np.stack([grey, 0.85 * grey, 0.6 * grey], axis=-1)
    return np.clip(image, 0, 1).astype(np.float32), ids, joint


def _hole() -> np.ndarray:
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    return np.hypot(y - 97.0, x - 93.0) <= 60


def test_the_cells_of_a_herringbone_are_its_boards():
    """Each tile found is one board (both halves of a board the cell's border cuts name it),
    and each board one tile; rectangles along the cell's steps explain too little."""
    image, ids, joint = _parquet()
    hole = _hole()
    cells = find_cells(image, ~hole, hole, np.eye(3), A, B, float(np.hypot(*(A + B))))
    assert cells is not None
    assert isinstance(cells.placement, ShapedTiles)
    assert cells.tiles == 2
    assert cells.explained > 0.8
    assert_each_cell_is_a_tile(cells, ids, joint, clear=2.0)
    # The tile keys named anywhere on the tile agree with the cells laid over the box.
    box = cells.box
    inside = (joint[box] >= 2.0) & (cells.index >= 0)
    ys, xs = np.nonzero(inside)
    keys = cells.key_at(xs + box[1].start, ys + box[0].start)
    pairs = np.unique(np.stack([keys, cells.index[inside]], axis=1), axis=0)
    assert len(np.unique(pairs[:, 0])) == len(pairs) == len(np.unique(pairs[:, 1]))


def test_each_board_the_hole_cuts_keeps_its_known_part_s_tone():
    image, ids, joint = _parquet()
    hole = _hole()
    out, notes = _fill(image, hole, **RAW)
    plain, _ = _fill(image, hole, tile_tones=False, **RAW)
    # Boards a quarter known, 12 px of them in the hole, 2 px from the joints.
    errors = cut_tiles(image, out, ids, joint, hole, clear=2.0, least=12)
    before = cut_tiles(image, plain, ids, joint, hole, clear=2.0, least=12)
    assert errors.size >= 10
    assert any("tile tones:" in note for note in notes), notes
    assert np.median(errors) <= 0.01
    assert np.median(before) >= 3 * np.median(errors)


def test_a_region_that_runs_around_the_cell_is_no_tile():
    """Stripes: the bins between two joints along one step join up around the torus."""
    joint = np.zeros((32, 32), bool)
    joint[:, 10:13] = True
    assert _regions(joint) is None
    grid = joint.copy()
    grid[20:23, :] = True
    region, home, count = _regions(grid)
    assert count == 1
    # The region's bins beyond the cell's border lie a cell from its first bin.
    assert {tuple(h) for h in home[~grid]} == {(0, 0), (0, 1), (1, 0), (1, 1)}


def test_no_shaped_tiles_without_joints():
    rng = np.random.default_rng(0)
    s, t = rng.random(20000) * 5, rng.random(20000) * 5
    edges = rng.random(20000)
    assert shaped_tiles(edges, s, t, np.eye(3), A, B) is None


def test_the_boards_of_a_long_cell_of_eight_are_found():
    """A lattice found at a multiple of the pattern's repeat (the parlour's down face at 4K:
    a cell of eight boards, four times as long as it is wide): the mean cell image's bins are
    as long along each step, so a board's width along the long step spans enough of them."""
    image, ids, joint = _parquet()
    hole = _hole()
    a, b = A, 4 * B
    cells = cells_of(image, hole, a, b)
    assert cells is not None
    assert isinstance(cells.placement, ShapedTiles)
    assert cells.tiles == 8
    assert_each_cell_is_a_tile(cells, ids, joint, clear=2.0)


def test_boards_whose_tones_go_by_their_direction_keep_them_in_the_hole(monkeypatch):
    """A parquet whose boards lying one way are light and the other way dark (a checkerboard's
    two tones, one to each region of the cell): each hidden board takes the typical tone of
    the known boards of its own region, not a tone drawn from all of them."""
    image, ids, joint = _parquet(two_tones=True)
    hole = _hole()
    inside = joint >= 2.0
    hidden = [board for board in np.unique(ids[hole & inside])
              if not (inside & (ids == board) & ~hole).any()]
    grey = image.mean(axis=-1)

    def error(out: np.ndarray) -> float:
        return float(np.median([abs(out.mean(axis=-1)[inside & (ids == board)].mean()
                                    - grey[inside & (ids == board)].mean())
                                for board in hidden]))

    out, notes = _fill(image, hole, **RAW)
    assert len(hidden) >= 5
    assert any("tones alternate" in note for note in notes), notes
    monkeypatch.setattr(tones, "_classes_apart", lambda *args: False)
    drawn, _ = _fill(image, hole, **RAW)
    assert error(out) <= 0.03
    assert error(drawn) >= 2 * error(out)


def test_a_hidden_tile_of_a_region_with_no_known_tile_keeps_its_copy():
    """Tones that go by the region of the cell give each hidden tile its region's typical
    tone; a region none of whose tiles is known names none (its tile keeps its copy, not the
    tone of whichever tile came last)."""
    image, copied, cells = checkerboard_cells(np.random.default_rng(5))
    classes = np.array([(i // 6 + i % 6) % 2 for i in range(36)])
    classes[15] = 2  # a third region, only in the hole
    cells = dataclasses.replace(cells, width=0, classes=classes)
    out = image.copy()
    _, odd, typical, *_ = give_tones(out, ~copied, copied, cells, typical=True)
    assert odd.tolist() == [i in (14, 20, 21) for i in range(36)]
    centre = cells.border >= 0.2
    for i in (14, 20, 21):
        assert out[(cells.index == i) & centre].mean() == pytest.approx(
            0.62 if classes[i] == 0 else 0.54, abs=0.012)
    assert out[(cells.index == 15) & centre].mean() == pytest.approx(0.58, abs=1e-6)

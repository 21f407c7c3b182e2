"""The tile-tones step (``_tones``): on a floor of tiles of random tones the lattice step
continues the joints across a hole, and each hole tile the hole cuts takes its known part's
tone instead of the tone of the tile its copy came from.

The floor is a single down-face tile drawn in tile pixels (seen straight from above the floor
has one scale): square tiles 20 px a side turned by atan(3/4), so that the lattice's steps are
whole pixels ((16, 12) and (-12, 16)), dark grout 2 px wide, each tile a random tone (a fifth
of them dark), with a fine grain.
"""

from __future__ import annotations

import numpy as np
import pytest

from pano_inpaint.eval.scenes import render_scene
from pano_inpaint.generators.patchmatch import PatchMatch
from pano_inpaint.generators.patchmatch import _tones as tones
from pano_inpaint.generators.patchmatch._tones import Cells, find_cells, give_tones
from pano_inpaint.masks import zenith_mask
from pano_inpaint.pipeline import inpaint
from tests.generators.tile_helpers import RAW, SIZE, cells_of
from tests.generators.tile_helpers import assert_each_cell_is_a_tile as _assert_each_cell_is_a_tile
from tests.generators.tile_helpers import checkerboard_cells as _checkerboard_cells
from tests.generators.tile_helpers import cut_tiles as _cut_tiles
from tests.generators.tile_helpers import fill as _fill

TILE = 20.0
A = np.array([16.0, 12.0])  # (dy, dx) one tile along each side
B = np.array([-12.0, 16.0])


def _tile_coordinates() -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    return (y * 0.8 + x * 0.6) / TILE + 0.3, (-y * 0.6 + x * 0.8) / TILE + 0.6


def _floor(seed: int = 3, same_tone: bool = False) -> tuple[np.ndarray, np.ndarray,
                                                             np.ndarray]:
    """``(SIZE, SIZE, 3)`` the floor, ``(SIZE, SIZE)`` each pixel's tile id and its distance
    to the nearest joint in px."""
    rng = np.random.default_rng(seed)
    u, v = _tile_coordinates()
    iu, iv = np.floor(u).astype(int), np.floor(v).astype(int)
    ids = (iu + 20) * 100 + (iv + 20)
    tone = rng.uniform(0.45, 0.75, (100, 100))
    tone[rng.random((100, 100)) < 0.2] = 0.2
    if same_tone:  # one tone, under a light that falls off across the floor
        tone[:] = 0.6
    joint = np.minimum(np.minimum(u - iu, iu + 1 - u), np.minimum(v - iv, iv + 1 - v)) * TILE
    grey = np.where(joint < 1.0, 0.1, tone[(iu + 20) % 100, (iv + 20) % 100])
    if same_tone:
        grey = grey * (0.6 + 0.5 * np.mgrid[0:SIZE, 0:SIZE][1] / SIZE)
    grey = grey + 0.015 * rng.standard_normal((SIZE, SIZE))
    image = np.stack([grey, 0.95 * grey, 0.9 * grey + 0.05], axis=-1)
    return np.clip(image, 0, 1).astype(np.float32), ids, joint


def _hole() -> np.ndarray:
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    return np.hypot(y - 97.0, x - 93.0) <= 60




def test_each_tile_the_hole_cuts_keeps_its_known_part_s_tone():
    image, ids, joint = _floor()
    hole = _hole()
    out, notes = _fill(image, hole, **RAW)
    plain, plain_notes = _fill(image, hole, tile_tones=False, **RAW)
    errors, before = _cut_tiles(image, out, ids, joint, hole), _cut_tiles(
        image, plain, ids, joint, hole)
    assert errors.size >= 6
    # Measured: median 0.003 (worst 0.006) with the step, 0.015 (worst 0.028) without it:
    # each copied piece brings the tone of the tile it came from.
    assert np.median(errors) <= 0.008
    assert errors.max() <= 0.02
    assert np.median(before) >= 3 * np.median(errors)
    assert any("tile tones:" in note and "given their known part" in note for note in notes)
    assert any("lattice" in note for note in plain_notes)
    assert not any("tile tones" in note for note in plain_notes)


def test_a_tile_wholly_in_the_hole_is_one_tone_not_a_blend_across_its_joints():
    """A tile with nothing known is as flat as a real tile, not a gradient from the tones of
    the tiles around it into which the stitch blends the pieces of several tiles that copies
    of copies bring it: with ``tile_tones_whole`` its copy's tile's tone (or the typical tone
    of the tiles around), by default the typical tone moved towards a drawn one's; the stitch
    keeps the steps between them either way. Without tile tones it is such a blend."""
    image, ids, joint = _floor()
    hole = _hole()
    inside = joint >= 3.0
    hidden = [tile for tile in np.unique(ids[hole & inside])
              if not (inside & (ids == tile) & ~hole).any()]

    def spreads(out: np.ndarray) -> list[float]:
        return [float(out.mean(axis=-1)[inside & (ids == tile)].std()) for tile in hidden]

    whole, default, blends = (spreads(_fill(image, hole, **params)[0]) for params in (
        {"tile_tones_whole": True}, {}, {"tile_tones": False}))
    truth = float(np.median([image.mean(axis=-1)[inside & (ids == tile)].std()
                             for tile in np.unique(ids[~hole & inside])]))
    assert len(hidden) >= 3
    # Measured: the truth's tiles 0.014 (their grain); the hidden tiles 0.024 (median; worst
    # 0.052) with the option, 0.022 by default, 0.038 without tile tones.
    assert np.median(whole) <= 2.0 * truth and np.median(default) <= 2.0 * truth
    assert np.median(blends) >= 1.4 * max(np.median(whole), np.median(default))


def test_tiles_of_one_tone_are_left_as_copied_and_the_note_says_so():
    image, _, _ = _floor(same_tone=True)
    hole = _hole()
    out, notes = _fill(image, hole)
    plain, _ = _fill(image, hole, tile_tones=False)
    assert any("tile tones skipped" in note and "of one tone under shading" in note
               for note in notes)
    np.testing.assert_array_equal(out, plain)


def test_the_cells_are_the_tiles_even_where_the_lattice_steps_over_two():
    """The lattice of edges may step over two tiles (diagonally: ``A + B`` and ``A - B``);
    the mean cell image's own repeat finds the tiles inside, and the phase puts their borders
    on the joints."""
    image, ids, joint = _floor()
    hole = _hole()
    known = ~hole
    copied = hole
    cells = find_cells(image, known, copied, np.eye(3), A + B, A - B,
                       float(np.hypot(*(2 * A))))
    assert cells is not None
    assert cells.tiles == 2
    assert cells.explained > 0.8
    _assert_each_cell_is_a_tile(cells, ids, joint)


def test_the_cells_are_the_tiles_where_the_lattice_steps_over_ten():
    """The hall's texture repeats at a knight's move of three tiles and one (its lattice at a
    40-degree cap: ``A - 3B`` and ``3A + B``, ten tiles to a cell, whose steps are tenths of
    it). With fractions of at most sixths the cells found were pairs of tiles (diamonds
    across the joints), and a dark tile's tone went to half of each of two."""
    image, ids, joint = _floor()
    hole = _hole()
    a, b = A - 3 * B, 3 * A + B
    cells = cells_of(image, hole, a, b)
    assert cells is not None
    assert cells.tiles == 10
    _assert_each_cell_is_a_tile(cells, ids, joint)


def test_the_cells_are_the_tiles_where_the_lattice_steps_over_three_in_a_row():
    """The plaza's checkerboard under a large cap (mask seed 0) gave a lattice one tile by
    three; the group of thirds never closed (a third added to itself drifted when rounded),
    so its cells were taken whole, or cut in halves: a tile and a half each, tones mixed
    across the joints."""
    image, ids, joint = _floor()
    hole = _hole()
    a, b = A, 3 * B
    cells = cells_of(image, hole, a, b)
    assert cells is not None
    assert cells.tiles == 3
    _assert_each_cell_is_a_tile(cells, ids, joint)


@pytest.mark.parametrize("parts", [2, 3, 5, 6, 7, 9, 10])
def test_the_steps_of_a_cell_of_n_tiles_make_n_shifts(parts):
    group = tones._group([(0.0, tones._snap(1 / parts))])
    assert len(group) == parts
    assert sorted(j for _, j in group) == pytest.approx([k / parts for k in range(parts)])


def test_the_cells_made_a_block_of_rows_at_a_time_are_the_ones_made_at_once(monkeypatch):
    """The box's maps (coordinates, each pixel's tile and border) and the tiles' keys are made
    a block at a time (an 8K cap's box holds 7 million pixels); in blocks of two rows and of
    500 points they come out as made in one piece (here the box and the keys fit in one)."""
    image, _, _ = _floor()
    hole = _hole()
    args = (image, ~hole, hole, np.eye(3), A + B, A - B, float(np.hypot(*(2 * A))))
    ys, xs = np.nonzero(hole)
    whole = find_cells(*args)
    keys = whole.key_at(xs, ys)
    assert whole.index.size < tones._BLOCK and xs.size < tones._BLOCK  # one block each
    monkeypatch.setattr(tones, "_BLOCK", 500)
    blocks = find_cells(*args)
    assert np.array_equal(blocks.index, whole.index)
    assert np.array_equal(blocks.border, whole.border)
    assert np.array_equal(blocks.key_at(xs, ys), keys)


def _sixteen_cells() -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """A 40 px square of 4 x 4 cells of 10 px: its size, each pixel's x, cell index and
    distance from its cell's border (a share of the cell, from 0.05)."""
    size, cell = 40, 10
    y, x = np.mgrid[0:size, 0:size]
    index = (y // cell) * 4 + x // cell
    border = (np.minimum(np.minimum(y % cell, cell - 1 - y % cell),
                         np.minimum(x % cell, cell - 1 - x % cell)) / cell + 0.05)
    return size, x, index, border


def test_a_copied_tile_of_a_rare_tone_with_nothing_known_takes_the_typical_tone():
    """Cells on a 10 px grid: nine known around one whole hole cell whose copy is dark, and
    one cut cell whose copy has the wrong tone."""
    size, x, index, border = _sixteen_cells()
    tone = np.array([0.6, 0.62, 0.58, 0.61, 0.59, 0.2, 0.63, 0.6, 0.6, 0.57, 0.6, 0.62,
                     0.61, 0.6, 0.59, 0.6])
    image = np.repeat(tone[index][..., None], 3, axis=-1).astype(np.float32)
    copied = (index == 5) | ((index == 6) & (x >= 25))  # cell 5 whole, cell 6 in part
    image[copied] = 0.3
    cells = Cells((slice(0, size), slice(0, size)), index, border.astype(np.float32), 0.9, 0.5)
    known = ~copied
    toned, odd, *_ = give_tones(image.copy(), known, copied, cells)
    assert toned.tolist() == [i == 6 for i in range(16)]
    assert not odd.any()  # without ``typical`` a whole hole cell keeps its copy
    out = image.copy()
    toned, odd, *_ = give_tones(out, known, copied, cells, typical=True)
    assert odd.tolist() == [i == 5 for i in range(16)]
    centre = border >= 0.2
    assert out[(index == 5) & centre].mean() == pytest.approx(0.6, abs=0.02)
    assert out[(index == 6) & centre & copied].mean() == pytest.approx(0.63, abs=0.01)
    assert (out[~copied] == image[~copied]).all()


def test_a_tile_narrower_than_the_joints_blur_keeps_its_copy():
    """Tiles 10 px wide in four columns, in rows 10 px tall but one 3 px tall (a floor's tiles
    far off, squashed). Of two tiles the hole cuts in half, each with a dark copy, the 10 px
    one takes its known part's tone; the 3 px one keeps its copy (an offset there lands on
    the joints and the tiles beside as much as on it), whatever ``whole`` says."""
    heights = [10, 10, 3, 10, 10]
    row = np.repeat(np.arange(len(heights)), heights)
    start = np.concatenate([[0], np.cumsum(heights)[:-1]])[row]
    y, x = np.mgrid[0:len(row), 0:40]
    index = row[y] * 4 + x // 10
    share_y = (y - start[y]) / np.array(heights)[row[y]]
    border = np.minimum(np.minimum(share_y, 1 - share_y), np.minimum(x % 10, 9 - x % 10) / 10)
    cells = Cells((slice(0, len(row)), slice(0, 40)), index, (border + 0.05).astype(np.float32),
                  0.9, 0.5)
    assert cells.widths[[5, 9]] == pytest.approx([10, 3])
    tone = np.random.default_rng(0).uniform(0.55, 0.65, index.max() + 1)
    image = np.repeat(tone[index][..., None], 3, axis=-1).astype(np.float32)
    copied = np.isin(index, [5, 9]) & (x >= 15)  # the right halves of a wide and a narrow tile
    image[copied] = 0.3
    for whole in (False, True):
        out = image.copy()
        toned, *_ = give_tones(out, ~copied, copied, cells, whole=whole)
        assert toned.tolist() == [i == 5 for i in range(index.max() + 1)]
        assert out[copied & (index == 5) & (border >= 0.2)].mean() == pytest.approx(tone[5],
                                                                                    abs=0.01)
        assert (out[index == 9] == image[index == 9]).all()


def test_a_tile_s_width_is_its_narrow_side_turned_or_not_and_in_blocks_of_rows(monkeypatch):
    """A 24 x 6 px rectangle turned by 30 degrees and an upright 8 x 5 px one: widths near 6
    and exactly 5, the same when the rows are summed a few at a time."""
    y, x = np.mgrid[0:60, 0:60].astype(np.float64)
    along = (x - 30) * np.cos(np.pi / 6) + (y - 30) * np.sin(np.pi / 6)
    across = -(x - 30) * np.sin(np.pi / 6) + (y - 30) * np.cos(np.pi / 6)
    index = np.full(x.shape, -1, np.int64)
    index[(np.abs(along) < 12) & (np.abs(across) < 3)] = 0
    index[2:7, 2:10] = 1
    at_once = tones._widths(index)
    assert at_once == pytest.approx([6, 5], abs=0.3)
    assert at_once[1] == pytest.approx(5)
    monkeypatch.setattr(tones, "_BLOCK", 120)  # two rows a block
    assert tones._widths(index) == pytest.approx(at_once)


def test_hidden_tiles_of_a_usual_tone_take_the_typical_tone_part_way_to_a_drawn_one():
    """Cells on a 10 px grid: twelve known ones of varied usual tones around four hidden ones
    whose copies all bring one tone (a chain of copies from one ring tile, a streak). Each
    hidden cell takes the known cells' median tone moved ``_DRAWN_SHARE`` of the way to a known
    cell's drawn for it (the draws differ from cell to cell); with ``whole`` they keep their
    copies."""
    size, x, index, border = _sixteen_cells()
    tone = np.array([0.60, 0.55, 0.66, 0.58, 0.63, 0.0, 0.0, 0.57, 0.61, 0.0, 0.0, 0.64,
                     0.56, 0.62, 0.59, 0.65])
    hidden = np.isin(index, [5, 6, 9, 10])
    image = np.repeat(tone[index][..., None], 3, axis=-1).astype(np.float32)
    image[hidden] = 0.64
    cells = Cells((slice(0, size), slice(0, size)), index, border.astype(np.float32), 0.9, 0.5)
    out = image.copy()
    _, odd, middle, _, drawn, centre = give_tones(out, ~hidden, hidden, cells, typical=True)
    assert drawn.tolist() == [i in (5, 6, 9, 10) for i in range(16)] and odd[drawn].all()
    known_tones = np.sort(tone[tone > 0])
    assert tone[centre] == known_tones[known_tones.size // 2]  # the (upper) median
    centre_px = border >= 0.2
    given = [float(out[(index == i) & centre_px].mean()) for i in (5, 6, 9, 10)]
    share = tones._DRAWN_SHARE
    expected = [tone[centre] + share * (tone[middle[i]] - tone[centre]) for i in (5, 6, 9, 10)]
    assert given == pytest.approx(expected, abs=0.002)
    assert len({round(g, 3) for g in given}) >= 3  # not one tone down the chain
    assert (out[~hidden] == image[~hidden]).all()
    kept = image.copy()
    *_, drawn, _ = give_tones(kept, ~hidden, hidden, cells, typical=True, whole=True)
    assert not drawn.any() and (kept == image).all()


def test_a_piece_of_a_rare_tone_in_a_hidden_tile_takes_its_largest_piece_s_tone():
    """Two hidden cells (nothing known) whose copies came in two pieces each: cell 5's
    minor piece from a dark tile (0.2 on a floor of about 0.6: a dark speck), cell 10's from a
    tile of a common tone (0.59). Where the cells keep their copies (``whole``), the dark piece
    takes the cell's largest piece's tone; by default each cell takes a drawn tone throughout;
    without ``typical`` every piece stays as copied."""
    size, x, index, border = _sixteen_cells()
    tone = np.array([0.6, 0.62, 0.58, 0.61, 0.59, 0.0, 0.63, 0.6, 0.6, 0.57, 0.0, 0.62,
                     0.61, 0.6, 0.59, 0.6])
    image = np.repeat(tone[index][..., None], 3, axis=-1).astype(np.float32)
    copied = (index == 5) | (index == 10)
    minor = copied & (x % 10 >= 7)
    image[copied] = 0.6
    image[minor & (index == 5)] = 0.2
    image[minor & (index == 10)] = 0.59
    sources = np.where(minor, 2, 1).astype(np.int64)
    cells = Cells((slice(0, size), slice(0, size)), index, border.astype(np.float32), 0.9, 0.5)
    out = image.copy()
    give_tones(out, ~copied, copied, cells, sources=sources)
    assert (out == image).all()
    kept = out.copy()
    _, _, _, rare, *_ = give_tones(kept, ~copied, copied, cells, sources=sources,
                                   typical=True, whole=True)
    assert rare.sum() == 1
    centre = border >= 0.2
    assert kept[minor & (index == 5) & centre].mean() == pytest.approx(0.6, abs=0.01)
    # By default both hidden cells take a drawn tone, each one tone throughout: no speck.
    _, _, _, rare, drawn, _ = give_tones(out, ~copied, copied, cells, sources=sources,
                                         typical=True)
    assert rare.sum() == 1 and drawn[[5, 10]].all()
    for cell in (5, 10):
        parts = [out[(index == cell) & centre & side].mean() for side in (minor, ~minor)]
        assert parts[0] == pytest.approx(parts[1], abs=0.01)
    assert (out[~copied] == image[~copied]).all()


def test_a_piece_of_a_rare_tone_is_toned_up_to_the_grout_line():
    """A cut cell toned from its known part whose copy brought a dark tile's edge along its
    joint: faded out there like the grout, it stayed a dark streak along the joint (the
    plaza's 50-degree cap); as a piece of a rare tone it takes the cell's tone up to the
    grout line."""
    size, x, index, border = _sixteen_cells()
    tone = np.array([0.6, 0.62, 0.58, 0.61, 0.59, 0.6, 0.63, 0.6, 0.6, 0.57, 0.6, 0.62,
                     0.61, 0.6, 0.59, 0.6])
    image = np.repeat(tone[index][..., None], 3, axis=-1).astype(np.float32)
    copied = (index == 6) & (x < 25)  # the left half of cell 6; its right half is known
    dark = copied & (x < 22)
    image[copied] = 0.6
    image[dark] = 0.2
    sources = np.where(dark, 2, 1).astype(np.int64)
    cells = Cells((slice(0, size), slice(0, size)), index, border.astype(np.float32), 0.9, 0.5)
    edge = dark & (x == 20)  # on the joint's side of the cell (border 0.05)
    plain = image.copy()
    give_tones(plain, ~copied, copied, cells, sources=sources)
    assert plain[edge].mean() == pytest.approx(0.2, abs=0.01)  # faded out: as copied
    out = image.copy()
    give_tones(out, ~copied, copied, cells, sources=sources, typical=True)
    assert out[edge].mean() == pytest.approx(0.63, abs=0.01)
    assert out[dark].mean() == pytest.approx(0.63, abs=0.01)


def test_a_rare_piece_s_pixels_of_the_cell_s_tone_are_not_brought_past_it():
    """A cut cell whose copy brought a dark tile's corner with some of the light tile beside
    it (one piece, copied from one place): the piece is brought to the cell's tone as a whole,
    and its light pixels went as far past it as the dark ones had been below (white specks
    along the joints of the 2K hall's 50-degree cap). They stay within twice the known tiles'
    texture of the tone."""
    size, x, index, border = _sixteen_cells()
    y = np.mgrid[0:size, 0:size][0]
    rng = np.random.default_rng(5)
    tone = np.array([0.6, 0.62, 0.58, 0.61, 0.59, 0.6, 0.63, 0.6, 0.6, 0.57, 0.6, 0.62,
                     0.61, 0.6, 0.59, 0.6])
    grey = tone[index] + 0.01 * rng.standard_normal((size, size))
    image = np.repeat(grey[..., None], 3, axis=-1).astype(np.float32)
    copied = (index == 6) & (x < 25)  # the left half of cell 6; its right half is known
    piece = copied & (x < 23)
    light = piece & (y % 10 >= 7)  # the light tile beside the dark corner, in the same piece
    image[copied] = 0.6
    image[piece & ~light] = 0.2
    image[light] = 0.63
    sources = np.where(piece, 2, 1).astype(np.int64)
    cells = Cells((slice(0, size), slice(0, size)), index, border.astype(np.float32), 0.9, 0.5)
    out = image.copy()
    _, _, _, rare, *_ = give_tones(out, ~copied, copied, cells, sources=sources, typical=True)
    assert rare.sum() == 1
    known = ~copied & (index == 6) & (border >= 0.2)
    cell_tone = image[known].mean()
    texture = float(np.sqrt(np.mean((grey[~copied & (border >= 0.15)]
                                      - tone[index][~copied & (border >= 0.15)]) ** 2)))
    assert out[light].max() <= cell_tone + 2.5 * texture + 1e-3
    # the dark pixels are lifted with the piece as before (by its mean's offset)
    assert out[piece & ~light].mean() > 0.45


def test_a_copy_of_a_dark_tile_s_edge_beyond_the_found_joint_is_toned_as_that_tile_s():
    """The tiles found lie a pixel or two off the floor's real joints in places: here a dark
    tile (cell 10, 0.2) reaches a pixel over its found border into cell 6 above it. Hidden cell
    5 is copied from cell 6 (one cell along the row), and its bottom rows bring the dark
    tile's edge. Counted as cell 6's (its found tile, a light one) that edge stayed a dark
    sliver along the joint; counted as the dark tile's (its grey is that tile's tone) it is a
    piece of a rare tone and takes cell 5's tone up to the joint."""
    size, x, index, border = _sixteen_cells()
    y = np.mgrid[0:size, 0:size][0]
    tone = np.array([0.6, 0.62, 0.58, 0.61, 0.59, 0.6, 0.63, 0.6, 0.6, 0.57, 0.2, 0.62,
                     0.61, 0.6, 0.59, 0.6])
    grey = tone[index].copy()
    grey[(y == 19) & (x >= 20) & (x < 30)] = 0.2  # the dark tile's real edge
    image = np.repeat(grey[..., None], 3, axis=-1).astype(np.float32)
    copied = index == 5
    image[copied] = np.roll(image, -10, axis=1)[copied]  # cell 5 copies cell 6
    nnf = (np.where(copied, 0, -1), y, np.where(copied, x + 10, x))
    placement = (np.eye(3), np.array([0.0, 10.0]), np.array([10.0, 0.0]), 0.0, (0.0, 0.0))
    cells = Cells((slice(0, size), slice(0, size)), index, border.astype(np.float32), 0.9,
                  0.5, 1, placement, 1.0, 4)
    sliver = copied & (y == 19)
    assert image[sliver].max() == pytest.approx(0.2)
    known = ~copied
    plain = image.copy()
    found = cells.key_at(nnf[2].ravel(), nnf[1].ravel()).reshape(size, size)
    give_tones(plain, known, copied, cells, sources=found, typical=True)
    assert plain[sliver].max() == pytest.approx(0.2)
    out = image.copy()
    sources = tones._sources(cells, copied, nnf, 0, image, known)
    dark_key, light_key = cells.key_at(np.array([25]), np.array([25]))[0], found[15, 15]
    assert (sources[sliver] == dark_key).all() and (sources[copied & ~sliver] == light_key).all()
    give_tones(out, known, copied, cells, sources=sources, typical=True)
    assert out[sliver].min() >= 0.5
    assert (out[~copied] == image[~copied]).all()
    # Where the dark tile keeps within its found border every copy is its found tile's.
    clean = np.repeat(tone[index][..., None], 3, axis=-1).astype(np.float32)
    clean[copied] = np.roll(clean, -10, axis=1)[copied]
    assert (tones._sources(cells, copied, nnf, 0, clean, known)[copied] == light_key).all()


def test_hidden_tiles_of_alternating_tones_take_their_own_parity_s_tone(monkeypatch):
    """On a checkerboard of two tones the lattice of the joints steps one tile (which swaps the
    tones) and copies of copies bring each hidden tile a blend of both (the plaza's large cap at
    mask seed 1: a fill of one tone). Each cell with nothing known takes the median tone of the
    known cells of its own parity; without the alternation found, each takes the typical tone
    moved towards a drawn cell's (0.58 is no rare tone there)."""
    image, copied, cells = _checkerboard_cells(np.random.default_rng(5))
    index = cells.index
    centre = cells.border >= 0.2
    light = [i for i in (14, 15, 20, 21) if (i // 6 + i % 6) % 2 == 0]
    out = image.copy()
    toned, odd, typical, *_ = give_tones(out, ~copied, copied, cells, typical=True)
    assert odd.tolist() == [i in (14, 15, 20, 21) for i in range(36)]
    assert len(set(typical[odd].tolist())) == 2
    for i in (14, 15, 20, 21):
        expected = 0.62 if i in light else 0.54
        assert out[(index == i) & centre].mean() == pytest.approx(expected, abs=0.012)
    assert (out[~copied] == image[~copied]).all()
    monkeypatch.setattr(tones, "_ALTERNATE", np.inf)
    monkeypatch.setattr(tones, "_ALTERNATE_LOW", np.inf)
    out = image.copy()
    _, odd, _, _, drawn, _ = give_tones(out, ~copied, copied, cells, typical=True)
    assert (odd == drawn).all() and drawn.sum() == 4  # no parity's tone: drawn ones


def test_a_faint_checkerboard_is_found_where_its_rows_and_columns_do_not_split(monkeypatch):
    """48 tiles (8 x 6) of the scenes' two light tones (0.72 and 0.776, each +-0.06 at random):
    their row + column parity splits them 1.4-2 of their spread apart, their rows and columns
    far less, so the tones alternate; the plain bound (2) alone misses it. With the rows
    alternating too (0.03 more on odd rows) the split is no longer alone: no alternation."""
    width = 8
    tiles = np.arange(48)
    parity = (tiles // width + tiles % width) % 2
    grey = 0.72 + 0.056 * parity + np.random.default_rng(4).uniform(-0.06, 0.06, 48)
    assert tones._alternation(grey, tiles, width) == 0
    assert tones._alternation(grey + 0.03 * ((tiles // width) % 2), tiles, width) is None
    monkeypatch.setattr(tones, "_ALTERNATE_LOW", np.inf)
    assert tones._alternation(grey, tiles, width) is None


def _checker_floor(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The floor's tiles in a checkerboard of two light tones (0.78 and 0.70, each tile's
    scaled by a random 0.92-1.08) with the odd dark one (0.3, one in 14), light grout: the
    scenes' tiles. Returns the image, each pixel's tile id, its distance to the nearest joint
    in px and its tile's parity."""
    rng = np.random.default_rng(seed)
    u, v = _tile_coordinates()
    iu, iv = np.floor(u).astype(int), np.floor(v).astype(int)
    parity = (iu + iv) % 2
    scale = rng.uniform(0.92, 1.08, (100, 100))[(iu + 20) % 100, (iv + 20) % 100]
    dark = (rng.random((100, 100)) < 0.07)[(iu + 20) % 100, (iv + 20) % 100]
    tone = np.where(dark, 0.3, np.where(parity == 0, 0.78, 0.70) * scale)
    joint = np.minimum(np.minimum(u - iu, iu + 1 - u), np.minimum(v - iv, iv + 1 - v)) * TILE
    grey = np.where(joint < 1.0, 0.5, tone) + 0.015 * rng.standard_normal(u.shape)
    image = np.stack([grey, 0.95 * grey, 0.9 * grey + 0.05], axis=-1)
    return np.clip(image, 0, 1).astype(np.float32), (iu + 20) * 100 + (iv + 20), joint, parity


def test_a_checkerboard_under_a_thin_ring_keeps_both_tones():
    """A hole that leaves a thin ring (80 px of the 192 px tile): each tile wholly in it takes
    its own parity's tone, as the stitch keeps it (the plaza's large cap at mask seed 1 was
    filled in one tone). Measured, the hidden tiles' mean grey from their parity's median
    truth: 0.009 with the step; 0.029 with the tones given but blended again by the stitch;
    0.046 without the alternation (copies of both tones pieced together)."""
    image, ids, joint, parity = _checker_floor(3)
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    hole = np.hypot(y - 97.0, x - 93.0) <= 80
    out, notes = _fill(image, hole)
    inside = joint >= 3.0
    hidden = [t for t in np.unique(ids[hole & inside]) if not (inside & (ids == t) & ~hole).any()]
    truth, grey = image.mean(axis=-1), out.mean(axis=-1)
    typical = [float(np.median([truth[inside & (ids == t)].mean() for t in hidden
                                if parity[ids == t][0] == p])) for p in (0, 1)]
    errors = [abs(grey[inside & (ids == t)].mean() - typical[parity[ids == t][0]])
              for t in hidden]
    assert len(hidden) >= 20
    assert np.mean(errors) <= 0.015
    assert any("of their parity (tones alternate)" in note for note in notes)


def test_the_joints_keep_the_copy_s_grout():
    assert tones._JOINT > 0
    size = 40
    y, x = np.mgrid[0:size, 0:size]
    index = (y // 20) * 2 + x // 20
    border = (np.minimum(np.minimum(y % 20, 19 - y % 20), np.minimum(x % 20, 19 - x % 20))
              / 20).astype(np.float32)
    image = np.full((size, size, 1), 0.5, np.float32)
    copied = x >= 10
    image[~copied] = 0.8
    cells = Cells((slice(0, size), slice(0, size)), index, border, 0.9, 0.5)
    out = image.copy()
    give_tones(out, ~copied, copied, cells)
    on_joint = copied & (border < tones._JOINT)
    assert (out[on_joint] == 0.5).all()
    cut = copied & (x < 20)  # the cells on the right have nothing known: left as copied
    assert out[cut & (border >= tones._JOINT + tones._FADE)] == pytest.approx(0.8)
    assert (out[copied & (x >= 20)] == 0.5).all()


def test_a_second_array_takes_the_typical_tone_of_the_same_tile():
    """The HDR values of a tile are toned by the plan made on its proxy: a tile given the
    typical tone takes it from the same known tile in both (their tones need not sort alike:
    a tone curve per channel reorders tiles of different hues)."""
    size, x, index, border = _sixteen_cells()
    tone = np.array([0.6, 0.62, 0.58, 0.61, 0.59, 0.2, 0.63, 0.6, 0.6, 0.57, 0.6, 0.62,
                     0.61, 0.6, 0.59, 0.6]) + 0.001 * np.arange(16)  # no ties
    image = np.repeat(tone[index][..., None], 3, axis=-1).astype(np.float32)
    values = np.repeat((2.0 - tone)[index][..., None], 3, axis=-1).astype(np.float32)
    copied = (index == 5) | ((index == 6) & (x >= 25))  # cell 5 whole, cell 6 in part
    image[copied], values[copied] = 0.3, 1.7
    cells = Cells((slice(0, size), slice(0, size)), index, border.astype(np.float32), 0.9, 0.5)
    plan = give_tones(image, ~copied, copied, cells, typical=True)
    give_tones(values, ~copied, copied, cells, plan=plan)
    centre = (index == 5) & (border >= 0.2)
    (typical,) = {int(i) for i in range(16) if abs(tone[i] - image[centre].mean()) < 1e-4}
    assert values[centre].mean() == pytest.approx(2.0 - tone[typical], abs=1e-4)


def _cells_of_a_cap(monkeypatch, scene: str, seed: int, degrees: float) -> Cells:
    """The tiles ``find_cells`` lays on the down tile of ``scene`` (rendered at 1024 px, scene
    seed ``seed``) filled under a nadir cap of ``degrees``: the lattice on the tile itself,
    not a floor's seen from above by a side face (whose tile-to-grid map is no identity)."""
    from pano_inpaint.eval.scenes import render_scene
    from pano_inpaint.masks import nadir_mask
    from pano_inpaint.pipeline.run import inpaint

    found = []
    real = tones.find_cells

    def recording(*args, **kwargs):
        cells = real(*args, **kwargs)
        if np.array_equal(args[3], np.eye(3)):
            found.append(cells)
        return cells

    monkeypatch.setattr(tones, "find_cells", recording)
    inpaint(render_scene(scene, 1024, seed=seed), nadir_mask(512, 1024, degrees),
            generator="patchmatch")
    assert len(found) == 1 and found[0] is not None
    return found[0]


def test_a_lattice_of_ten_tiles_a_cell_is_cut_into_its_tiles(monkeypatch):
    """The hall under a 40-degree cap (seed 0): its lattice steps a knight's move of tiles
    (ten to a cell); the tiles found are its square tiles, 49 px a side (with sixths at most:
    pairs of them across the joints, 69 px diagonals; 19.23 -> 19.93 dB)."""
    cells = _cells_of_a_cap(monkeypatch, "hall_tiles", 0, 40)
    _, along, across, _, _ = cells.placement
    assert cells.tiles == 10
    for step in (along, across):
        assert np.hypot(*step) == pytest.approx(49.0, abs=1.0)


def test_bricks_are_not_cut_into_halves_or_strips(monkeypatch):
    """The yard's running bond under a 45-degree cap (seed 3): the bricks (22.8 px long, rows
    offset by half a brick) explain nearly as much of the ring's luminance as their halves
    (0.933 against 0.935) and less than strips of a fifth of a brick (0.972: the blurred
    joints' own match near the zero shift); the bricks are taken."""
    cells = _cells_of_a_cap(monkeypatch, "yard_bricks", 3, 45)
    _, along, across, _, _ = cells.placement
    assert cells.tiles == 2
    assert np.hypot(*along) == pytest.approx(22.8, abs=0.5)


def test_a_step_of_the_tiles_is_the_nearest_fraction_of_the_cell():
    """A tenth of the cell lies 3.2 bins of the mean cell image in; the bin's 3 / 32 is within
    a bin of an eighth as well, and of a tenth more nearly."""
    assert tones._snap(3 / 32) == pytest.approx(0.1)
    assert tones._snap(0.3) == pytest.approx(0.3)
    assert tones._snap(0.5) == pytest.approx(0.5)


def test_a_peak_between_bins_is_placed_between_them():
    """Half the cell, 15.4 bins in: its bin, 15 / 32, lies nearest 4 / 9; placed to a
    fraction of a bin it is a half."""
    i, j = np.mgrid[0:32, 0:32].astype(np.float64)
    match = np.exp(-((i - 15.4) ** 2 + (j - 6.4) ** 2) / (2 * 2.0**2))
    fi, fj = tones._peak_at(match, 15, 6)
    assert fi * 32 == pytest.approx(15.4, abs=0.1)
    assert fj * 32 == pytest.approx(6.4, abs=0.1)
    assert tones._snap(fi) == pytest.approx(0.5)
    assert tones._snap(fj) == pytest.approx(0.2)


def test_a_ceilings_panels_are_not_cut_into_strips_along_one_family_of_joints():
    """The workshop's ceiling (its up face, panels of one tone under a lamp, thin dark joints)
    under a 45-degree zenith cap, its grid found at its own cell: shifted along one family of
    joints by a tenth of a cell, the mean cell image's edges match about half (those joints
    stay), and the panels were cut into strips, one on each joint, whose tones looked random:
    the crossings in the hole kept 0.59 of their darkness. A tile step must match the edges
    across each of the cell's steps too: 0.78."""
    from tests.generators.test_patchmatch_far_ring import _crossings_kept

    kept, whole = _crossings_kept("workshop_stripes", PatchMatch())
    assert whole
    assert kept >= 0.7, kept


def test_the_smooth_share_of_one_tone_under_a_light_is_near_one_and_of_random_tones_small():
    rng = np.random.default_rng(0)
    rows, width = 6, 8
    index = np.repeat(np.arange(rows * width), 20)  # 20 pixels a tile
    row, column = index // width, index % width
    light = 0.8 - 0.01 * (row - 3.0) ** 2 - 0.02 * column
    inside = np.ones(index.size, bool)
    lit = (light + rng.normal(0, 0.002, index.size)).astype(np.float32)
    random_tones = (0.6 + rng.uniform(-0.1, 0.1, rows * width)[index]).astype(np.float32)
    assert tones._smooth_share(lit, inside, index, width) > 0.95
    assert tones._smooth_share(random_tones, inside, index, width) < 0.5
    assert tones._smooth_share(lit[:200], inside[:200], index[:200], width) == 0.0  # 10 tiles


def test_a_ceilings_panels_under_a_lamp_keep_their_tone_through_a_thin_ring():
    """The workshop's ceiling (scene seed 1) under a 35-degree zenith cap, through the
    pipeline: the known panels' tones along the ring differ from their neighbours half as
    much as random ones (0.50, at the bound), but a smooth light explains 0.98 of them: tiles
    of one tone, and the tile tones step is skipped on the up face (applied, it made the cap
    28.47 -> 24.62 dB)."""
    truth = render_scene("workshop_stripes", 1024, seed=1)
    mask = zenith_mask(512, 1024, 35)
    blanked = truth.copy()
    blanked[mask] = 0
    notes = [n for r in inpaint(blanked, mask).regions for n in r.notes
             if "face U: tile tones" in n]
    assert notes and all("tile tones skipped" in n for n in notes), notes


def test_each_joint_family_s_edges_hold_nothing_of_the_other_s_on_an_oblique_grid():
    """Joints along ``a`` only (lines on which ``t`` stays), on a lattice whose steps meet at
    60 degrees, seen in perspective: the edges across ``a`` (the gradient along ``a``'s lines)
    hold none of them, the edges across ``b`` all. Measured along the rise of the family's
    own coordinate instead (of ``s`` for the edges across ``a``), half the joints' edges
    leaked into the wrong family (0.53)."""
    import cv2

    a = np.array([0.0, 24.0])
    b = np.array([20.8, 12.0])  # 60 degrees from a
    to_grid = np.array([[1.0, 0.1, 0.0], [0.05, 1.0, 0.0], [0.0015, 0.001, 1.0]])
    gy, gx = tones._grid(to_grid, (slice(0, 160), slice(0, 160)), 1)
    s, t = tones.cell_coordinates(gy, gx, a, b)
    off = np.minimum(t - np.floor(t), np.ceil(t) - t)  # cells to the nearest joint along a
    luma = (0.8 - 0.5 * np.exp(-0.5 * (off * 20.0 / 1.5) ** 2)).astype(np.float32)  # soft joints
    grad_x, grad_y = cv2.Sobel(luma, cv2.CV_32F, 1, 0), cv2.Sobel(luma, cv2.CV_32F, 0, 1)
    across_a = tones._along(grad_y, grad_x, t)
    across_b = tones._along(grad_y, grad_x, s)
    assert across_b.sum() > 0
    assert across_a.sum() < 0.05 * across_b.sum()


def test_a_joint_family_s_edges_are_finite_beside_a_grid_s_horizon():
    """Beyond a plane's horizon its grid coordinates are not finite; the pixels beside it
    (whose rise takes them in) count no edge instead of a NaN, which would void every match
    of the mean cell image."""
    coordinate = np.tile(np.arange(40, dtype=np.float64) / 7.0, (40, 1))
    coordinate[:, 30:] = np.inf
    grad = np.ones((40, 40), np.float32)
    along = tones._along(grad, grad, coordinate)
    assert np.isfinite(along).all()
    assert along[:, :28].min() > 0

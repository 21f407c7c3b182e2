"""A grid of thin lines (a ceiling's or a floor's joints) is a lattice, not two lines crossing,
even where its cells' diagonals keep too few known pairs to be measured
(``_offsets._grid_of_lines``, ``_offsets._repeats_along``).

A shift along one family of lines keeps that family matched all along it, so both periods lie
on valleys of the msd; what tells a grid from two lines crossing is that at the period the
other family matches too. Through a thin ring only the periods themselves were measured, and
the grid's reading hung on its dips at the periods' fractions against a threshold. And a shift
on a valley, any point along it, is no basis vector beside a period (``Lattice.basis``)."""

from __future__ import annotations

import numpy as np

from pano_inpaint.generators import CubeTiles
from pano_inpaint.generators.patchmatch import PatchMatch, _offsets
from pano_inpaint.generators.patchmatch._offsets import find_lattice

CENTRE = 120  # the zero shift's index in the drawn maps
STRENGTH = 0.3  # find_lattice's min_strength
A, B = np.array([40, -6]), np.array([6, 40])  # the drawn grid's periods (map pixels)


def _valleys_map(periods: bool) -> np.ndarray:
    """1 everywhere, a narrow valley to 0.4 along ``A`` and along ``B`` through the zero
    shift, and (``periods``) a narrow dip to 0.05 at each whole combination of both."""
    dy, dx = np.mgrid[-CENTRE:CENTRE + 1, -CENTRE:CENTRE + 1].astype(np.float64)
    msd = np.ones_like(dy)
    for vector in (A, B):
        unit = vector / np.hypot(*vector)
        across = dy * unit[1] - dx * unit[0]
        msd = np.minimum(msd, 1.0 - 0.6 * np.exp(-across**2 / 2.0))
    if periods:
        for i in range(-4, 5):
            for j in range(-4, 5):
                py, px = i * A + j * B
                msd = np.minimum(msd, 1.0 - 0.95 * np.exp(-((dy - py)**2 + (dx - px)**2) / 2.0))
    return msd


def _diagonals_unmeasured() -> np.ndarray:
    """Valid everywhere but within 8 map pixels of the cell's diagonals ``A + B``, ``A - B``
    (and their negatives): a thin ring keeps too few pairs there."""
    dy, dx = np.mgrid[-CENTRE:CENTRE + 1, -CENTRE:CENTRE + 1].astype(np.float64)
    valid = np.ones(dy.shape, bool)
    for diagonal in (A + B, A - B, -A - B, B - A):
        valid &= np.hypot(dy - diagonal[0], dx - diagonal[1]) > 8
    return valid


def test_a_grid_whose_diagonals_are_unmeasured_is_still_a_grid():
    msd, valid = _valleys_map(periods=True), _diagonals_unmeasured()
    shifts = np.stack([A, B])
    assert _offsets._on_valley(msd, valid, shifts, CENTRE, STRENGTH).all()
    valley = _offsets._grid_of_lines(msd, valid, shifts, np.ones(2, bool), CENTRE, STRENGTH)
    assert not valley.any()


def test_one_period_of_a_grid_beside_a_shift_off_any_valley_is_cleared():
    msd, valid = _valleys_map(periods=True), _diagonals_unmeasured()
    valley = _offsets._grid_of_lines(msd, valid, np.stack([A, B]), np.array([True, False]),
                                     CENTRE, STRENGTH)
    assert not valley.any()


def test_two_lines_crossing_stay_two_valleys():
    """No dips of their own on the valleys: any shift along a line matches as well as the
    next, and the found shifts are not periods."""
    msd, valid = _valleys_map(periods=False), _diagonals_unmeasured()
    valley = _offsets._grid_of_lines(msd, valid, np.stack([A, B]), np.ones(2, bool), CENTRE,
                                     STRENGTH)
    assert valley.all()


def test_stripes_alone_stay_a_valley():
    """One shift on a valley and none across it: stripes, whatever their period along."""
    msd, valid = _valleys_map(periods=True), _diagonals_unmeasured()
    valley = _offsets._grid_of_lines(msd, valid, np.stack([A, 2 * A]), np.ones(2, bool),
                                     CENTRE, STRENGTH)
    assert valley.all()


def _grid_tile(ring: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 410 px tile of thin dark lines 2 px wide every 66.8 px each way, turned 7.6 degrees,
    on a light ground with noise (the hall's ceiling grid as the 1K pipeline's zenith tile
    sees it), and a square hole leaving a ring ``ring`` px wide: (truth, hole, each pixel's
    cover by a line)."""
    size, period, width = 410, 66.8, 2.0
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    t = np.radians(7.6)
    u, v = y * np.cos(t) + x * np.sin(t), -y * np.sin(t) + x * np.cos(t)
    # How far from the middle of its cell, each way: the nearer line lies half a period minus it.
    from_middle = np.maximum(np.abs(u % period - period / 2), np.abs(v % period - period / 2))
    line = np.clip(from_middle - (period - width) / 2 + 0.5, 0, 1)  # its cover of the pixel
    grey = 0.85 - 0.45 * line + np.random.default_rng(0).normal(0, 0.03, y.shape)
    centre = (size - 1) / 2
    hole = np.maximum(np.abs(y - centre), np.abs(x - centre)) < size / 2 - ring
    return np.repeat(grey[..., None], 3, axis=-1).astype(np.float32), hole, line


def test_a_grid_of_thin_lines_through_a_thin_ring_is_filled_as_a_lattice():
    """Through a 50 px ring the grid's two periods both lay on valleys and their sum kept too
    few pairs: taken for two lines crossing, the fill copied along each period alone and along
    off-lattice dips, dashes strewn between broken lines (RMSE 0.101 in the hole, the lines'
    contrast 0.84); as a lattice 0.072 and 1.10 (the noise alone: 0.042)."""
    truth, hole, cover = _grid_tile(50)
    image = truth.copy()
    image[hole] = 0
    lattice = find_lattice(image, ~hole)
    assert lattice is not None
    a, b, b_along = lattice.basis()
    assert b is not None and not lattice.along[0] and not b_along
    assert abs(np.hypot(*a) - 66.8) < 0.5 and abs(np.hypot(*b) - 66.8) < 0.5
    out = PatchMatch().inpaint(CubeTiles(image[None], hole[None], (5,), 328, 41))[0]
    grey, filled = truth.mean(axis=-1), out.mean(axis=-1)
    ground, dark = hole & (cover == 0), hole & (cover > 0.5)
    contrast = (filled[ground].mean() - filled[dark].mean()) / (grey[ground].mean()
                                                                 - grey[dark].mean())
    assert contrast >= 0.9
    assert np.sqrt(np.mean((out - truth)[hole] ** 2)) <= 0.085


def test_a_valley_beside_a_period_does_not_span_the_lattice():
    """A shift on a valley (any point along a board's length) stronger than the period across
    the first: the basis is the two periods, and no vector but the valley's own (a dominant
    offset nearly as sharp as the first) is shorter than a period."""
    a, along_boards, b = np.array([0.0, 20.0]), np.array([7.0, 1.0]), np.array([20.0, 0.0])
    lattice = _offsets.Lattice(np.array([a, -a, along_boards, -along_boards, b, -b]),
                               np.array([0.5, 0.5, 0.4, 0.4, 0.35, 0.35]),
                               np.array([False, False, True, True, False, False]))
    first, second, second_along = lattice.basis()
    assert not second_along
    assert {tuple(first), tuple(second)} <= {(0.0, 20.0), (0.0, -20.0), (20.0, 0.0),
                                              (-20.0, 0.0)}
    vectors = lattice.vectors(60)
    short = vectors[np.hypot(*vectors.T) < 20]
    assert {tuple(v) for v in short} <= {(7, 1), (-7, -1)}

"""PatchMatch's structure step: dominant offsets found on a tile, and large holes in a regular
texture filled along its lattice, so stripes and tiles continue across the hole in phase.

The inputs are single down-face tiles drawn directly in tile pixels (a camera looking straight
down at a floor sees it with uniform scale, so a floor pattern is periodic on the tile): stripes
at an angle, a checkerboard of tiles and a half-bond brick wall, both turned so that their
periods are whole numbers of pixels.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pano_inpaint.eval.scenes import _herringbone_boards, render_scene
from pano_inpaint.generators import CubeTiles
from pano_inpaint.generators.patchmatch import PatchMatch, _offsets, generator
from pano_inpaint.generators.patchmatch._offsets import Lattice, find_lattice, tone_lattice
from pano_inpaint.geometry.cubemap import erp_to_cube
from pano_inpaint.masks import zenith_mask

FACE, PAD = 88, 8
SIZE = FACE + 2 * PAD  # 104
DOWN = 5
HOLE_RADIUS = 44  # a hole as wide as the face (88 px): a 45-degree nadir cap
STRIPE_PERIOD = 9.5
STRIPE_NORMAL = np.array([np.sin(np.radians(30)), np.cos(np.radians(30))])  # (y, x)
CHECKER = np.array([16, 12])  # (dy, dx): two cells of the turned checkerboard, 20 px
BRICK_COURSE = np.array([2, 14])  # one course across and half a brick along (half bond)
BRICK_ALONG = np.array([-12, 16])  # one brick (20 px) along its course


def _grid() -> tuple[np.ndarray, np.ndarray]:
    return np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)


def _noise(rng: np.random.Generator, amount: float) -> np.ndarray:
    return amount * rng.standard_normal((SIZE, SIZE))


def _stripes(rng: np.random.Generator) -> np.ndarray:
    """Painted stripes 3 px wide every 9.5 px, at 30 degrees, on a noisy grey ground."""
    y, x = _grid()
    phase = (y * STRIPE_NORMAL[0] + x * STRIPE_NORMAL[1]) / STRIPE_PERIOD
    distance = np.abs(phase - np.round(phase)) * STRIPE_PERIOD
    paint = np.clip(1.5 - distance, 0.0, 1.0)  # anti-aliased, 3 px wide
    grey = 0.35 + 0.45 * paint + _noise(rng, 0.03)
    return _rgb(grey)


def _checker(rng: np.random.Generator) -> np.ndarray:
    """A checkerboard of 10 px cells turned by atan(3/4), each cell with its own tone."""
    y, x = _grid()
    a = (y * 0.8 + x * 0.6) / 10.0  # (0.8, 0.6) * 20 = (16, 12): two cells along a
    b = (-y * 0.6 + x * 0.8) / 10.0
    cells = np.floor(a).astype(int) + np.floor(b).astype(int)
    tone = rng.uniform(-0.04, 0.04, (64, 64))[np.floor(a).astype(int) % 64,
                                               np.floor(b).astype(int) % 64]
    grey = 0.3 + 0.4 * (cells % 2) + tone + _noise(rng, 0.02)
    return _rgb(grey)


def _bricks(rng: np.random.Generator) -> np.ndarray:
    """Bricks 20 x 10 px in half bond, courses turned by atan(3/4), dark mortar joints about
    2 px wide, each brick with its own tone."""
    y, x = _grid()
    across = (y * 0.8 + x * 0.6) / 10.0  # courses
    course = np.floor(across).astype(int)
    along = (-y * 0.6 + x * 0.8) / 20.0 + 0.5 * (course % 2)  # every other course half a brick on
    brick = np.floor(along).astype(int)
    to_joint = np.minimum(np.minimum(across - course, course + 1 - across) * 10,
                          np.minimum(along - brick, brick + 1 - along) * 20)
    face = np.clip(to_joint - 0.5, 0.0, 1.0)
    tone = rng.uniform(-0.06, 0.06, (64, 64))[course % 64, brick % 64]
    grey = 0.3 + (0.3 + tone) * face + _noise(rng, 0.02)
    return _rgb(grey)


def _rgb(grey: np.ndarray) -> np.ndarray:
    return np.clip(np.stack([grey, 0.95 * grey, 0.9 * grey + 0.05], axis=-1), 0, 1).astype(
        np.float32)


def _hole() -> np.ndarray:
    y, x = _grid()
    centre = (SIZE - 1) / 2
    return np.hypot(y - centre, x - centre) <= HOLE_RADIUS


def _tiles(image: np.ndarray, hole: np.ndarray) -> CubeTiles:
    blanked = image.copy()
    blanked[hole] = 0
    return CubeTiles(blanked[None], hole[None], (DOWN,), FACE, PAD)


def _stripe_phase(grey: np.ndarray, region: np.ndarray) -> complex:
    """Mean of ``grey * exp(-2 pi i phase)`` over ``region``: its angle is where the stripes
    are, its size how strong they are."""
    y, x = _grid()
    phase = (y * STRIPE_NORMAL[0] + x * STRIPE_NORMAL[1]) / STRIPE_PERIOD
    values = grey - grey[region].mean()
    return complex(np.mean((values * np.exp(-2j * np.pi * phase))[region]))


def _correlation(grey: np.ndarray, region: np.ndarray, shift: np.ndarray) -> float:
    """Pearson correlation of ``grey`` with itself shifted by ``shift``, over pixel pairs with
    both ends in ``region``."""
    dy, dx = (int(v) for v in shift)
    a = grey[max(0, -dy): SIZE - max(0, dy), max(0, -dx): SIZE - max(0, dx)]
    b = grey[max(0, dy): SIZE - max(0, -dy), max(0, dx): SIZE - max(0, -dx)]
    both = (region[max(0, -dy): SIZE - max(0, dy), max(0, -dx): SIZE - max(0, dx)]
            & region[max(0, dy): SIZE - max(0, -dy), max(0, dx): SIZE - max(0, -dx)])
    return float(np.corrcoef(a[both], b[both])[0, 1])


def _ring(hole: np.ndarray) -> np.ndarray:
    y, x = _grid()
    centre = (SIZE - 1) / 2
    return ~hole & (np.hypot(y - centre, x - centre) <= HOLE_RADIUS + 14)


# ---------------------------------------------------------------------------------- offsets


def test_find_lattice_recovers_the_checkerboard_lattice(rng):
    image, hole = _checker(rng), _hole()
    lattice = find_lattice(image, ~hole)
    assert lattice is not None
    vectors = lattice.vectors(40.0)
    # Cells of the same colour repeat along the diagonals of the 10 px cells, (8, 6) + (-6, 8)
    # and (8, 6) - (-6, 8): every vector found is a whole combination of those, to the pixel,
    # and the shortest is one of them (14.1 px).
    basis = np.array([[2, 14], [14, -2]], np.float64)
    coefficients = np.linalg.solve(basis.T, vectors.T.astype(np.float64))
    assert np.abs(coefficients - np.round(coefficients)).max() <= 1 / 10
    assert np.hypot(*vectors[0]) == pytest.approx(np.hypot(2, 14), abs=0.5)


def test_a_grid_of_joints_is_a_lattice_not_two_lines_crossing(rng):
    """Tiles of random tones between dark joints every 20 px: a shift along either axis keeps
    the joints along it (each lies on a valley of matches), but both repeat together at their
    sums too, so the fill combines them (a shift of one tile down and two across); taken for
    two lines crossing, it copied only along the axes, and the hall's tiles under a 45-degree
    cap at 1024 px kept the plain search's fog between them (17.61 dB; as a grid 18.28)."""
    size, period = 160, 20
    y, x = np.mgrid[0:size, 0:size]
    tones = rng.uniform(0.4, 0.7, (size // period,) * 2)[y // period, x // period]
    joints = ((y % period) < 2) | ((x % period) < 2)
    grey = np.where(joints, 0.2, tones) + 0.02 * rng.standard_normal((size, size))
    image = np.repeat(grey[..., None], 3, axis=-1).astype(np.float32)
    hole = np.hypot(y - (size - 1) / 2, x - (size - 1) / 2) < 40
    lattice = find_lattice(image, ~hole)
    assert lattice is not None
    a, b, b_along = lattice.basis()
    assert b is not None and not (lattice.along[0] and b_along)
    vectors = {(abs(dy), abs(dx)) for dy, dx in lattice.vectors(3 * period).tolist()}
    assert {(period, 2 * period), (2 * period, period)} <= vectors


def test_a_herringbone_lattice_is_its_periods_not_a_boards_width(rng):
    """Boards 8 px wide and four widths long in a herringbone (turned 10 degrees), each of its
    own tone, no dark joints: the pattern repeats by one board's diagonal and by eight widths
    along, but a shift of one board's width lays most boards on boards again, and matches as
    well as a period. Its dip fades at three widths (a period's does not): taken for a period,
    that shift made the fill's lattice the boards' square grid, and the 1024 px parlour's
    45-degree cap a star of boards turned the wrong way (22.93 dB; with its periods 23.44)."""
    size, width = 200, 8.0
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    c, s = np.cos(np.radians(10.0)), np.sin(np.radians(10.0))
    _, ident, _ = _herringbone_boards((c * x + s * y) / width, (-s * x + c * y) / width, 4)
    tones = rng.uniform(-0.08, 0.08, 4096)[(ident[..., 0] * 131 + ident[..., 1] * 17) % 4096]
    grey = 0.45 + tones + 0.02 * rng.standard_normal((size, size))
    image = np.stack([grey, 0.9 * grey, 0.8 * grey], axis=-1).astype(np.float32)
    hole = np.hypot(y - (size - 1) / 2, x - (size - 1) / 2) <= 0.4 * size
    lattice = find_lattice(image, ~hole)
    assert lattice is not None
    a, b, _ = lattice.basis()
    assert b is not None
    # (dy, dx) of one board's diagonal and of eight widths along the boards lying along x.
    periods = width * np.array([[s + c, c - s], [8 * s, 8 * c]])
    coefficients = np.linalg.solve(periods.T, np.stack([a, b]).T)
    assert np.abs(coefficients - np.round(coefficients)).max() <= 0.05


def test_find_lattice_finds_nothing_in_irregular_texture(rng):
    import cv2

    noise = cv2.GaussianBlur(rng.standard_normal((SIZE, SIZE)).astype(np.float32), (0, 0), 1.5)
    image = _rgb(0.5 + 0.15 * noise / noise.std())
    assert find_lattice(image, ~_hole()) is None


WHITE, YELLOW = np.array([0.85, 0.85, 0.82]), np.array([0.85, 0.7, 0.1])
PAINT_NORMAL, PAINT_PERIOD = np.array([0.6, 0.8]), 10.0  # one stripe across: (6, 8) px


def _painted_stripes(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Painted stripes 3 px wide every 10 px, at atan(3/4), yellow, white, white, yellow, ...
    (the workshop's floor) on a noisy grey ground: their edges repeat every stripe, their
    colours every third. Returns the image and each pixel's paint colour (``(SIZE, SIZE,
    3)``, NaN off the paint's middle)."""
    y, x = _grid()
    phase = (y * PAINT_NORMAL[0] + x * PAINT_NORMAL[1]) / PAINT_PERIOD
    index = np.round(phase).astype(int)
    distance = np.abs(phase - index) * PAINT_PERIOD
    paint = np.clip(2.0 - distance, 0.0, 1.0)[..., None]
    colour = np.where((index % 3 == 0)[..., None], YELLOW, WHITE)
    ground = 0.35 + _noise(rng, 0.02)[..., None]
    image = np.clip(ground + paint * (colour - ground), 0, 1).astype(np.float32)
    return image, np.where((distance < 0.5)[..., None], colour, np.nan)

def test_the_tone_lattice_of_a_checkerboard_steps_over_two_tiles():
    size, cell = 96, 8
    y, x = np.mgrid[0:size, 0:size]
    light = ((y // cell + x // cell) % 2).astype(np.float32)
    grout = (y % cell == 0) | (x % cell == 0)
    grey = np.where(grout, 0.1, 0.4 + 0.4 * light)
    image = np.repeat(grey[..., None], 3, axis=-1).astype(np.float32)
    known = np.ones((size, size), bool)
    # The grout repeats every tile; the colours only every other one along each axis.
    edges = Lattice(np.array([[0, cell], [0, -cell], [cell, 0], [-cell, 0]], np.float64),
                    np.full(4, 0.9), np.zeros(4, bool))
    basis = tone_lattice(image, known, edges).offsets[::2]
    assert len(basis) == 2
    for step in basis:
        assert np.hypot(*step) == pytest.approx(cell * np.sqrt(2), abs=0.1)  # refined: sub-pixel


def test_tiles_of_random_tones_keep_their_whole_lattice(rng):
    """No step keeps random tones better than another: the whole lattice is kept, not the
    steps that happen to lie below the middle of the differences."""
    size, cell = 120, 10
    y, x = np.mgrid[0:size, 0:size]
    tone = rng.uniform(0.3, 0.8, (size // cell, size // cell))[y // cell, x // cell]
    grout = (y % cell == 0) | (x % cell == 0)
    image = np.repeat(np.where(grout, 0.1, tone)[..., None], 3, axis=-1).astype(np.float32)
    known = np.ones((size, size), bool)
    edges = Lattice(np.array([[0, cell], [0, -cell], [cell, 0], [-cell, 0]], np.float64),
                    np.full(4, 0.9), np.zeros(4, bool))
    assert tone_lattice(image, known, edges) is edges


def test_the_tone_lattice_of_stripes_painted_in_two_colours_steps_over_three(rng):
    """Edges repeat every stripe, the paint every third: one stripe across is no step of the
    colours (a white stripe copied from a yellow one), three are; along the stripes any step
    keeps them."""
    image, _ = _painted_stripes(rng)
    known = np.ones((SIZE, SIZE), bool)
    one = PAINT_NORMAL * PAINT_PERIOD
    along = np.array([PAINT_NORMAL[1], -PAINT_NORMAL[0]]) * 20.0
    for found, along_first in (([one], False), ([along, one], True)):
        offsets = np.array([v for step in found for v in (step, -step)], np.float64)
        edges = Lattice(offsets, np.full(len(offsets), 0.7),
                        np.repeat([along_first, False][:len(found)], 2))
        basis = tone_lattice(image, known, edges).offsets[::2]
        stripes_across = [abs(step @ PAINT_NORMAL) / PAINT_PERIOD for step in basis]
        assert all(abs(n - 3 * round(n / 3)) < 0.2 for n in stripes_across)
        assert max(stripes_across) == pytest.approx(3, abs=0.2)
        assert not along_first or min(stripes_across) < 0.2  # the step along is kept

def test_a_tone_step_of_several_cells_is_refined_on_the_colours(rng):
    """Three stripes across carry three times the edges' sub-pixel error (here 0.3 px a
    stripe, as found on a real floor): the step is refined on the colours, to a few tenths of
    a pixel, where copies chained across a hole would otherwise drift off the stripes."""
    image, _ = _painted_stripes(rng)
    one = PAINT_NORMAL * (PAINT_PERIOD + 0.3)
    edges = Lattice(np.array([one, -one], np.float64), np.full(2, 0.7), np.zeros(2, bool))
    step = tone_lattice(image, np.ones((SIZE, SIZE), bool), edges).offsets[0]
    assert abs(step @ PAINT_NORMAL) == pytest.approx(3 * PAINT_PERIOD, abs=0.35)

def test_a_single_step_far_below_the_others_is_no_tone_lattice(rng, monkeypatch):
    """One step of a lattice of random tones may match by chance (its few pairs in a patch of
    one tone): a gap with fewer than three steps on one side keeps the whole lattice."""
    image = _rgb(0.5 + _noise(rng, 0.05))
    edges = Lattice(np.array([[0, 10], [0, -10], [10, 0], [-10, 0]], np.float64),
                    np.full(4, 0.9), np.zeros(4, bool))
    calls = iter(range(1000))
    monkeypatch.setattr(_offsets, "pair_msd",
                        lambda *args: 0.01 if next(calls) == 0 else 0.04 + 0.001 * next(calls))
    assert tone_lattice(image, np.ones((SIZE, SIZE), bool), edges) is edges


def test_stripes_of_two_paints_keep_their_colours_across_a_large_hole(rng):
    """The workshop's floor under a 45-degree cap: the lattice step copies three stripes
    across, so each stripe keeps its own paint in the hole. Copied one stripe across (the
    edges' lattice), white and yellow stripes came out the same mixed colour (yellowness
    0.41 and 0.42; now about 0.25 and 0.60, the rest of the hole left to the plain search)."""
    image, paint = _painted_stripes(rng)
    hole = _hole()
    tiles = _tiles(image, hole)
    out = PatchMatch().inpaint(tiles)[0]
    white = hole & (paint[..., 2] > 0.5)
    yellow = hole & (paint[..., 2] < 0.5)
    # Yellowness: the mean of red and green less blue, 0.03 for white paint, 0.68 for yellow.
    yellowness = out[..., :2].mean(axis=-1) - out[..., 2]
    assert yellowness[yellow].mean() - yellowness[white].mean() > 0.25
    shift = [note for note in tiles.notes if "lattice of strength" in note][0]
    dy, dx = (float(v) for v in shift.split("shift [")[1].split("]")[0].split(","))
    assert abs(dy * PAINT_NORMAL[0] + dx * PAINT_NORMAL[1]) == pytest.approx(
        3 * PAINT_PERIOD, abs=1.0)  # the note says which lattice was used



def _floor_tiles(rng: np.random.Generator) -> np.ndarray:
    """Square floor tiles of 20 px turned by atan(3/4), light grout joints about 1.5 px wide,
    each tile with its own tone and about one in seven dark (a plaza's paving)."""
    y, x = _grid()
    a, b = (y * 0.8 + x * 0.6) / 20.0, (-y * 0.6 + x * 0.8) / 20.0
    ia, ib = np.floor(a).astype(int), np.floor(b).astype(int)
    to_joint = 20.0 * np.minimum(np.minimum(a - ia, ia + 1 - a), np.minimum(b - ib, ib + 1 - b))
    face = np.clip(to_joint - 0.75, 0.0, 1.0)
    tone = rng.uniform(-0.05, 0.05, (64, 64))[ia % 64, ib % 64]
    dark = (rng.uniform(0, 1, (64, 64)) < 0.15)[ia % 64, ib % 64]
    return _rgb(0.35 + (0.35 + tone - 0.25 * dark) * face + _noise(rng, 0.02))


def _thin_ring_hole() -> np.ndarray:
    """A hole whose known ring is 0.44 of the tile (its corners and a few px along the sides),
    as a 45-degree cap leaves on the down face."""
    y, x = _grid()
    centre = (SIZE - 1) / 2
    return np.hypot(y - centre, x - centre) <= HOLE_RADIUS


def test_a_lattice_seen_through_a_thin_ring_is_found_and_kept_in_the_fill():
    """Under a large cap the known ring is thin: twice a tile's step keeps under a fifth of
    its pixels known at both ends (the share a shift itself needs), and the step's second
    direction dips less than the first. The lattice is still found (its repeat confirmed
    on the pixels twice the step keeps, the second direction taken at half the strength),
    and the fill keeps its autocorrelation at both steps. Without it: no lattice, the joints
    are continued as lines, and the fill's correlation at the steps is about 0."""
    rng = np.random.default_rng(0)
    image, hole = _floor_tiles(rng), _thin_ring_hole()
    lattice = find_lattice(image, ~hole)
    assert lattice is not None
    a, b, _ = lattice.basis()
    assert b is not None  # two directions: a lattice, not stripes
    tiles = _tiles(image, hole)
    out = PatchMatch().inpaint(tiles)[0].mean(axis=-1)
    assert any("filled along the lattice" in note for note in tiles.notes)
    for shift in (np.rint(a), np.rint(b)):
        known = _correlation(image.mean(axis=-1), ~hole, shift)
        assert known > 0.3
        assert _correlation(out, hole, shift) >= 0.8 * known


def _ceiling_grid(angle_degrees: float, cell: float) -> np.ndarray:
    """Dark joints 1.5 px wide between square panels of ``cell`` px, turned by the angle (a
    ceiling's grid seen straight up), on a lightly noisy ground."""
    y, x = _grid()
    c, s = np.cos(np.radians(angle_degrees)), np.sin(np.radians(angle_degrees))
    a, b = (y * c + x * s) / cell, (-y * s + x * c) / cell
    to_joint = cell * np.minimum(np.abs(a - np.rint(a)), np.abs(b - np.rint(b)))
    joint = np.clip(1.5 - to_joint, 0.0, 1.0)
    return _rgb(0.75 - 0.35 * joint + _noise(np.random.default_rng(0), 0.02))


@pytest.mark.parametrize("angle", [28.7, 45.0, 60.0])
def test_a_turned_grid_through_a_thin_ring_is_found_at_its_own_step(angle):
    """Through the ring of a large cap, twice a diagonal step of a grid leaves the known
    pixels, so the step cannot confirm itself by its double, while a longer shift along the
    tile's axes can (two or three cells long, from the tile's corners). The steps that span
    the confirmed shift with whole coefficients are the lattice: its basis is one cell, and
    the fill keeps the grid's correlation at each step. Without that (the loft's ceiling
    under a 45-degree zenith cap: squares of misaligned joints), the basis was 40 px (a
    sub-lattice of five cells) or 25.5 (of two, at 45 degrees), and the fill's correlation
    at a cell 0.40-0.43 against 0.92 known (0.69-0.70 at 45 degrees)."""
    cell = 18.0
    image = _ceiling_grid(angle, cell)
    y, x = _grid()
    hole = np.hypot(y - (SIZE - 1) / 2, x - (SIZE - 1) / 2) <= 0.4 * SIZE
    lattice = find_lattice(image, ~hole)
    assert lattice is not None
    a, b, _ = lattice.basis()
    assert b is not None
    assert abs(np.hypot(*a) - cell) < 1.0 and abs(np.hypot(*b) - cell) < 1.0
    out = PatchMatch().inpaint(_tiles(image, hole))[0].mean(axis=-1)
    turn = np.radians(angle)
    for step in (cell * np.array([np.cos(turn), np.sin(turn)]),
                 cell * np.array([-np.sin(turn), np.cos(turn)])):
        known = _correlation(image.mean(axis=-1), ~hole, np.rint(step))
        assert _correlation(out, hole, np.rint(step)) >= 0.7 * known


def test_a_ceilings_grid_through_a_45_degree_zenith_cap_is_found_at_its_cell():
    """The loft's ceiling (square panels of 71 px on the up face at 1024 px, turned by 29
    degrees) under a 45-degree zenith cap: the up tile's ring gives the grid's own cell, each
    step within 0.4 px of a step of the whole unmasked face. Found before as a lattice of five
    cells (158.7 px: its copies, two and a half cells long, left squares of misaligned
    joints across the cap)."""
    image = render_scene("loft_planks", 1024, seed=0).astype(np.float32) / 255
    face = erp_to_cube(image, 328, pad=41, face_ids=["U"])[0]
    mask = cv2.dilate(zenith_mask(512, 1024, 45).astype(np.uint8), np.ones((3, 3), np.uint8))
    hole = erp_to_cube(mask.astype(np.float32), 328, pad=41, interpolation="nearest",
                       face_ids=["U"])[0] > 0.5
    a, b, _ = find_lattice(face, np.ones(hole.shape, bool)).basis()
    truth = np.stack([a, b], axis=1)
    found = find_lattice(face, ~hole)
    assert found is not None
    for step in found.basis()[:2]:
        assert np.hypot(*step) == pytest.approx(71.0, abs=0.5)
        coefficients = np.linalg.solve(truth, step)
        assert np.hypot(*(truth @ (coefficients - np.rint(coefficients)))) <= 0.4


# ------------------------------------------------------------------------------------- fills


def test_stripes_continue_across_a_large_hole(rng):
    image, hole = _stripes(rng), _hole()
    tiles = _tiles(image, hole)
    out = PatchMatch().inpaint(tiles)[0].mean(axis=-1)
    known = _stripe_phase(image.mean(axis=-1), _ring(hole))
    filled = _stripe_phase(out, hole)
    shift_px = abs(np.angle(filled / known)) / (2 * np.pi) * STRIPE_PERIOD
    assert shift_px <= 1.5  # the stripes leave the hole where they would have
    assert abs(filled) / abs(known) >= 0.6  # and keep their contrast all the way
    assert any("filled along the lattice" in note for note in tiles.notes)


@pytest.mark.parametrize("lattice", [True, False])
@pytest.mark.parametrize(("pattern", "shifts"), [
    ("checker", [CHECKER]), ("bricks", [BRICK_COURSE, BRICK_ALONG])])
def test_fill_keeps_the_lattice_autocorrelation(rng, lattice, pattern, shifts):
    image = {"checker": _checker, "bricks": _bricks}[pattern](rng)
    hole = _hole()
    params = {} if lattice else {"structure": False}  # the structure step off
    out = PatchMatch(**params).inpaint(_tiles(image, hole))[0].mean(axis=-1)
    for shift in shifts:
        known = _correlation(image.mean(axis=-1), ~hole, shift)
        filled = _correlation(out, hole, shift)
        assert known > 0.8
        if lattice:
            assert filled >= 0.8 * known
        else:  # the plain search loses the lattice's phase: what the structure step is for
            assert filled < 0.8 * known


def test_lattice_fill_reports_what_it_did(rng):
    tiles = _tiles(_stripes(rng), _hole())
    PatchMatch().inpaint(tiles)
    assert any("lattice" in note and "filled" in note for note in tiles.notes)
    plain = _tiles(_rgb(0.5 + _noise(rng, 0.1)), _hole())
    PatchMatch().inpaint(plain)
    assert any("no regular texture" in note for note in plain.notes)


@pytest.mark.parametrize("lattice_lines", [False, True])
def test_a_lattice_tile_stops_its_line_search_and_raises_its_error(rng, monkeypatch,
                                                                    lattice_lines):
    """On a tile with a lattice the line search (run beside the lattice's) is told to stop and
    waited for: it does not run on once its result is dropped, and its error is raised. With
    ``lattice_lines`` it is let finish: a line of a colour the ring seldom shows (paint) is
    drawn along the lattice from its result."""
    import threading

    from pano_inpaint.generators.patchmatch import generator as module

    stops: list[threading.Event] = []

    def failing(image, hole, face_size, *, depth, stop, sure_ends):
        stops.append(stop)
        raise RuntimeError("line search failed")

    monkeypatch.setattr(module, "lines_and_edges", failing)
    with pytest.raises(RuntimeError, match="line search failed"):
        PatchMatch(lattice_lines=lattice_lines).inpaint(_tiles(_stripes(rng), _hole()))
    assert len(stops) == 1 and stops[0].is_set() != lattice_lines


def test_a_stopped_line_search_returns_at_its_next_step(rng, monkeypatch):
    """``find_lines(stop=...)`` set: nothing after the segment detection runs (no segment is
    followed into the hole), and no line is returned; unset, the line is found."""
    import threading

    from pano_inpaint.generators.patchmatch import _lines
    from pano_inpaint.generators.patchmatch._lines import find_lines

    marched = []
    march = _lines._march
    monkeypatch.setattr(_lines, "_march", lambda *a: marched.append(1) or march(*a))
    image, hole = _line_tile(rng), _line_hole()
    stop = threading.Event()
    assert find_lines(image, hole, FACE, stop=stop)
    assert marched
    marched.clear()
    stop.set()
    assert find_lines(image, hole, FACE, stop=stop) == [] and not marched


def test_a_line_search_stopped_during_its_segments_returns_before_the_next(rng, monkeypatch):
    """``stop`` set while the search follows its segments (from another thread, as the
    lattice's does): the segment in hand is finished (both its ends), no other one is
    followed, and no line is returned."""
    import threading

    from pano_inpaint.generators.patchmatch import _lines
    from pano_inpaint.generators.patchmatch._lines import find_lines

    stop = threading.Event()
    marched = []
    march = _lines._march

    def march_then_stop(*args):
        marched.append(1)
        stop.set()
        return march(*args)

    monkeypatch.setattr(_lines, "_march", march_then_stop)
    image, hole = _line_tile(rng), _line_hole()
    assert find_lines(image, hole, FACE, stop=stop) == []
    assert 1 <= len(marched) <= 2


def test_lattice_fill_is_deterministic_and_keeps_known_pixels(rng):
    tiles = _tiles(_checker(rng), _hole())
    first = PatchMatch(seed=1).inpaint(tiles)
    assert np.array_equal(first, PatchMatch(seed=1).inpaint(tiles))
    assert np.array_equal(first[~tiles.mask], tiles.values[~tiles.mask])


def _sky() -> np.ndarray:
    """A smooth sky in 8 bits: one step of brightness every 8 px down the tile."""
    y, _ = _grid()
    return (np.round(_rgb(0.3 + y / (8 * 255)) * 255) / 255).astype(np.float32)


def test_a_hole_in_flat_surroundings_gets_no_lattice(monkeypatch):
    """The 8-bit steps of a smooth sky repeat: a lattice was found across them (one step a
    shift, here a made-up one) and each copy along it carried the gradient one step on (0.65
    of a step RMS, 3.1 at most, against 0.16 and 0.8). A hole whose surroundings are flat (no
    detail beyond an 8-bit step) is not searched for a lattice."""
    across = Lattice(np.array([[8.0, 0.0], [-8.0, 0.0]]), np.full(2, 0.9), np.zeros(2, bool))
    searched = []
    monkeypatch.setattr(generator, "find_lattice",
                        lambda *args, **kwargs: searched.append(1) or across)
    truth, hole = _sky(), _hole()
    tiles = _tiles(truth, hole)
    out = PatchMatch().inpaint(tiles)[0]
    assert not searched
    assert any("surroundings are flat" in note for note in tiles.notes)
    error = (out - truth)[hole] * 255
    assert np.sqrt(np.mean(error ** 2)) < 0.3
    assert np.abs(error).max() < 1.5


def test_a_plain_wall_s_note_says_flat_once():
    """A hole in a plain wall: one note says the surroundings are flat and no line crosses,
    not that a search found no regular texture (none was made)."""
    tiles = _tiles(_rgb(np.full((SIZE, SIZE), 0.52)), _hole())
    PatchMatch().inpaint(tiles)
    assert any("surroundings are flat (sky, a plain wall) and no line crosses the hole" in note
               for note in tiles.notes)
    assert not any("no regular texture" in note for note in tiles.notes)


def test_flat_surroundings_have_no_detail_beyond_an_8_bit_step(rng):
    """Sky steps and a plain wall in 8 bits are flat; a soft texture (a step of noise), every
    pattern above, and a plain band round the hole with tiles beyond it within the hole's
    depth (a smeared nadir) are not; a tile wider than the lattice search's 512 px is measured
    at that size, where a texture drawn larger is as strong."""
    hole, depth = _hole(), float(HOLE_RADIUS)
    assert generator._flat_surroundings(_sky(), hole, depth)
    wall = _rgb(0.52 + _noise(rng, 0.25 / 255))  # rounded off but for a few steps
    assert generator._flat_surroundings(np.round(wall * 255) / 255, hole, depth)
    assert not generator._flat_surroundings(_rgb(0.5 + _noise(rng, 1 / 255)), hole, depth)
    for pattern in (_stripes, _checker, _bricks):
        assert not generator._flat_surroundings(pattern(rng), hole, depth)
    y, x = _grid()
    beyond = np.hypot(y - (SIZE - 1) / 2, x - (SIZE - 1) / 2) > HOLE_RADIUS + 10
    smeared = np.where(beyond[..., None], _checker(rng), _rgb(np.full((SIZE, SIZE), 0.5)))
    assert generator._flat_surroundings(smeared, hole, 4.0)
    assert not generator._flat_surroundings(smeared, hole, depth)
    # Soft stripes 48 px apart on a 1248 px tile (an 8K face's scale), 12 steps either way:
    # below the blur's reach at that size, not at the search's.
    side = 12 * SIZE
    soft = 0.5 + 12 / 255 * np.sin(2 * np.pi * np.arange(side) / 48.0)
    big = _rgb(np.broadcast_to(soft, (side, side)))
    big_hole = hole.repeat(12, axis=0).repeat(12, axis=1)
    assert not generator._flat_surroundings(big, big_hole, 12 * depth)


def test_pipeline_reports_the_structure_step():
    from pano_inpaint import inpaint
    from pano_inpaint.eval.scenes import render_scene
    from pano_inpaint.masks import nadir_mask

    image = render_scene("workshop_stripes", 256, supersample=1)
    mask = nadir_mask(128, 256, 40)
    result = inpaint(image, mask, generator="patchmatch")
    notes = [n for n in result.report.notes if "patchmatch structure" in n]
    assert notes and all(n.startswith("region 1: ") for n in notes)
    assert any("patchmatch structure" in n for n in result.regions[0].notes)
    assert np.array_equal(result.image[~mask], image[~mask])


def test_a_thin_passer_by_gets_the_structure_steps_and_keeps_the_horizon():
    # A person 12 m away is under 2% of the face deep. With the structure steps skipped there
    # (structure_min_depth 0.02, session 27's default) the plain search laid pieces of sky
    # below the brick yard's horizon: 33.5 dB in the hole; the line step continues it: 38.4.
    from pano_inpaint import inpaint
    from pano_inpaint.eval.scenes import render_scene
    from pano_inpaint.masks import make_mask

    image = render_scene("yard_bricks", 1024)
    mask = make_mask("passer-by", 512, 1024, "yard_bricks.png", 1)
    filled = inpaint(image, mask, generator=PatchMatch()).image
    error = (filled.astype(float) - image)[mask]
    assert 10 * np.log10(255**2 / np.mean(error**2)) > 36.0
    assert np.array_equal(filled[~mask], image[~mask])


# ------------------------------------------------------------------------------------- lines

LINE_NORMAL = np.array([np.cos(np.radians(20)), -np.sin(np.radians(20))])  # (y, x)
LINE_HOLE_RADIUS = 24


def _line_tile(rng: np.random.Generator, offset: float = 0.0) -> np.ndarray:
    """A dark straight line 3 px wide at 20 degrees from the x axis through the tile's centre
    (shifted ``offset`` px across), on irregular ground."""
    import cv2

    y, x = _grid()
    centre = (SIZE - 1) / 2
    distance = np.abs((y - centre) * LINE_NORMAL[0] + (x - centre) * LINE_NORMAL[1] - offset)
    ground = cv2.GaussianBlur(rng.standard_normal((SIZE, SIZE)).astype(np.float32), (0, 0), 2)
    grey = 0.6 + 0.05 * ground / ground.std() - 0.4 * np.clip(2.0 - distance, 0.0, 1.0)
    return _rgb(grey)


def _line_hole() -> np.ndarray:
    y, x = _grid()
    centre = (SIZE - 1) / 2
    return np.hypot(y - centre, x - centre) <= LINE_HOLE_RADIUS


def test_find_lines_pairs_the_two_sides_of_a_crossing_line(rng):
    from pano_inpaint.generators.patchmatch._lines import find_lines

    hole = _line_hole()
    lines = find_lines(_line_tile(rng), hole, FACE)
    assert len(lines) >= 1
    centre = (SIZE - 1) / 2
    for line in lines:  # each edge of the 3 px line, within a pixel or two of its middle
        assert abs(line.direction @ LINE_NORMAL) < np.sin(np.radians(2))
        assert abs((line.point - centre) @ LINE_NORMAL) <= 2.5
    blank = _rgb(0.5 + _noise(rng, 0.02))
    assert find_lines(blank, hole, FACE) == []


@pytest.mark.parametrize("crossing_length", [None, 16])
def test_a_line_broken_by_light_crossings_just_outside_the_hole_is_paired(rng, crossing_length):
    """A grid: light lines cross the dark one 8 px outside the hole on both sides, so LSD
    ends its segments there, 10 px short of the hole (more than the pairing's gap). Where
    short light marks (16 px), not lines, interrupt it there, nothing says it is a grid: it is
    not paired (the short edges of a texture cross any segment that stops short of a hole)."""
    import cv2

    from pano_inpaint.generators.patchmatch._lines import find_lines

    size, radius, outside = 256, 24, 8
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    centre = (size - 1) / 2
    ground = cv2.GaussianBlur(rng.standard_normal((size, size)).astype(np.float32), (0, 0), 2)
    ground = 0.6 + 0.05 * ground / ground.std()
    across = (y - centre) * LINE_NORMAL[0] + (x - centre) * LINE_NORMAL[1]
    grey = ground - 0.4 * np.clip(2.0 - np.abs(across), 0.0, 1.0)
    along = np.array([LINE_NORMAL[1], -LINE_NORMAL[0]])  # (y, x), along the dark line
    crossing_normal = np.array([np.cos(np.radians(60)), np.sin(np.radians(60))])
    for side in (-1, 1):
        point = centre + side * (radius + outside) * along
        crossing = np.abs((y - point[0]) * crossing_normal[0]
                          + (x - point[1]) * crossing_normal[1]) <= 2
        if crossing_length is not None:
            crossing &= np.abs((y - point[0]) * crossing_normal[1]
                               - (x - point[1]) * crossing_normal[0]) <= crossing_length / 2
        grey = np.where(crossing, ground + 0.3, grey)
    hole = np.hypot(y - centre, x - centre) <= radius
    lines = find_lines(_rgb(grey.astype(np.float32)), hole, size)
    on_dark = [line for line in lines if abs(line.direction @ LINE_NORMAL) < np.sin(np.radians(2))
               and abs((line.point - centre) @ LINE_NORMAL) <= 2.5]
    assert bool(on_dark) == (crossing_length is None)


@pytest.mark.parametrize("lattice", ["off", "on"])
def test_a_line_crossing_a_hole_continues_through_it(rng, lattice):
    """A lone line is also a lattice of shifts along it (a valley of the statistics), which
    the generator leaves to the line step (``_lone_line_over``); with the lattice step off, the
    line step continues it just the same."""
    image, hole = _line_tile(rng), _line_hole()
    tiles = _tiles(image, hole)
    params = {"off": {"lattice_strength": 2.0}, "on": {}}
    out = PatchMatch(**params[lattice]).inpaint(tiles)[0].mean(axis=-1)
    y, x = _grid()
    centre = (SIZE - 1) / 2
    across = (y - centre) * LINE_NORMAL[0] + (x - centre) * LINE_NORMAL[1]
    on_line = hole & (np.abs(across) <= 1)
    beside = hole & (np.abs(across) >= 4) & (np.abs(across) <= 8)
    # The line stays as dark inside the hole as outside it, at the same place.
    known_contrast = image.mean(axis=-1)[~hole & (np.abs(across) >= 4)].mean() - image.mean(
        axis=-1)[~hole & (np.abs(across) <= 1)].mean()
    assert out[beside].mean() - out[on_line].mean() >= 0.7 * known_contrast
    assert any("along the line" in note for note in tiles.notes)


@pytest.mark.parametrize("seed", [0, 1])
def test_a_lone_line_found_as_a_lattice_keeps_its_contrast_in_the_hole_s_middle(seed):
    """The lone line's tile finds a lattice: one shift along the line (11.7 px, a chance
    minimum of the ground along its valley), no other. Filled as that lattice, the whole hole
    was copied along the line and the finish faded the line in the hole's inner half to 0.70
    of its contrast outside (the truth's: 0.94 and 1.02 at seeds 0 and 1); as a line, the band
    keeps it (1.06, 1.01)."""
    from pano_inpaint.generators.patchmatch._offsets import find_lattice

    rng = np.random.default_rng(seed)
    image, hole = _line_tile(rng), _line_hole()
    lattice = find_lattice(image, ~hole, min_strength=PatchMatch().params.lattice_strength)
    assert lattice is not None and lattice.basis()[1] is None and lattice.along[0]
    tiles = _tiles(image, hole)
    out = PatchMatch().inpaint(tiles)[0].mean(axis=-1)
    assert any("along the line" in note for note in tiles.notes)
    y, x = _grid()
    centre = (SIZE - 1) / 2
    across = np.abs((y - centre) * LINE_NORMAL[0] + (x - centre) * LINE_NORMAL[1])
    inner = np.hypot(y - centre, x - centre) <= LINE_HOLE_RADIUS / 2
    grey = image.mean(axis=-1)
    known = grey[~hole & (across >= 4)].mean() - grey[~hole & (across <= 1)].mean()
    kept = out[inner & (across >= 4) & (across <= 8)].mean() - out[inner & (across <= 1)].mean()
    assert kept >= 0.85 * known


@pytest.mark.parametrize("kerb", [False, True])
def test_a_lone_line_is_one_only_where_nothing_else_makes_its_valley(rng, kerb):
    """``_lone_line_over`` on the line tile's lattice (one shift along its valley), handed the
    line's two edges only: the line alone is lone; beside a kerb's step parallel to it 24 px
    away (undrawn, as under a 50-degree cap where only one pair was found) the ring without
    the line still shows the valley, and the lattice is the kerb's to fill."""
    from pano_inpaint.generators.patchmatch._lines import Line

    y, x = _grid()
    centre = (SIZE - 1) / 2
    across = (y - centre) * LINE_NORMAL[0] + (x - centre) * LINE_NORMAL[1]
    image = _line_tile(rng)
    if kerb:
        image = image + np.where(across > 24, 0.4, 0.0)[..., None].astype(np.float32)
    hole = _line_hole()
    lattice = find_lattice(image, ~hole, min_strength=0.3)
    assert lattice is not None and generator._one_valley(lattice)
    direction = np.array([-LINE_NORMAL[1], LINE_NORMAL[0]])
    edges = [Line(np.array([centre, centre]) + side * LINE_NORMAL, direction, 2.2, sure=True)
             for side in (-1.5, 1.5)]
    lone = generator._lone_line_over(lattice, edges, image, hole, 0.3, FACE)[0]
    assert lone is not kerb


def test_stripes_run_along_their_direction_all_round_a_hole_and_a_lone_line_does_not(rng):
    """``oriented_all_round``: planks (the line tile's direction, a joint every 7 px) show
    their direction on every side of the hole; one line only where it crosses the ring, and
    the planks not across their direction."""
    from pano_inpaint.generators.patchmatch._stripes import oriented_all_round

    y, x = _grid()
    centre = (SIZE - 1) / 2
    across = (y - centre) * LINE_NORMAL[0] + (x - centre) * LINE_NORMAL[1]
    planks = _rgb(0.6 - 0.3 * (np.mod(across, 7.0) < 1.5) + _noise(rng, 0.02))
    direction = np.array([-LINE_NORMAL[1], LINE_NORMAL[0]])
    hole = _line_hole()
    assert oriented_all_round(planks, hole, direction)
    assert not oriented_all_round(planks, hole, LINE_NORMAL)
    assert not oriented_all_round(_line_tile(rng), hole, direction)


@pytest.mark.parametrize("lattice", ["off", "on"])
def test_a_line_across_a_thin_hole_continues_through_it(lattice):
    """A person or a pole across a line: a hole 16 px wide (its depth 3.6% of the 224 px
    face, under the 5% the structure steps once needed) across a dark line. The plain search
    left the line at half its contrast in the hole (Chichen Itza's tourists: a grey blot
    where the pyramid's wall meets the ground); the structure steps continue it."""
    import cv2

    size, face = 256, 224
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    centre = (size - 1) / 2
    across = (y - centre) * LINE_NORMAL[0] + (x - centre) * LINE_NORMAL[1]
    along = -(y - centre) * LINE_NORMAL[1] + (x - centre) * LINE_NORMAL[0]
    rng = np.random.default_rng(0)
    ground = cv2.GaussianBlur(rng.standard_normal((size, size)).astype(np.float32), (0, 0), 2)
    image = _rgb(0.6 + 0.05 * ground / ground.std()
                 - 0.4 * np.clip(2.0 - np.abs(across), 0.0, 1.0)).astype(np.float32)
    hole = (np.abs(along) <= 8) & (np.abs(across) <= 40)
    blanked = image.copy()
    blanked[hole] = 0
    tiles = CubeTiles(blanked[None], hole[None], (DOWN,), face, (size - face) // 2)
    params = {"off": {"lattice_strength": 2.0}, "on": {}}
    out = PatchMatch(**params[lattice]).inpaint(tiles)[0].mean(axis=-1)
    on_line = hole & (np.abs(across) <= 1)
    beside = hole & (np.abs(across) >= 4) & (np.abs(across) <= 8)
    assert out[beside].mean() - out[on_line].mean() >= 0.7 * 0.4
    assert any("along the line" in note for note in tiles.notes)


@pytest.mark.parametrize("step", ["line", "lattice"])
def test_the_pixels_the_line_step_filled_reach_the_finish_as_lined(rng, monkeypatch, step):
    """The finish's band gains leave the cross-section of what the line step copied as it was
    copied: it is handed each line's direction and the pixels filled along it, among those
    every structure step filled (``along``); a lattice's copies are not a line's."""
    from pano_inpaint.generators.patchmatch import generator as module

    handed = []
    finish_fill = module.finish_fill

    def recording(*args, **kwargs):
        handed.append((args[6], kwargs.get("lined", args[9] if len(args) > 9 else None)))
        return finish_fill(*args, **kwargs)

    monkeypatch.setattr(module, "finish_fill", recording)
    # (A lone line is the line step's, lattice or not: the lattice's copies are a checker's.)
    image, hole = (_line_tile(rng), _line_hole()) if step == "line" else (_checker(rng), _hole())
    # (The edges the search continued, ``edges``, would reach it beside them: not here.)
    params = {"line": {"lattice_strength": 2.0, "edges": False}, "lattice": {}}
    PatchMatch(**params[step]).inpaint(_tiles(image, hole))
    (along, lined), = handed
    assert along[0][hole].any()
    if step == "lattice":
        assert not lined
        return
    y, x = _grid()
    centre = (SIZE - 1) / 2
    across = np.abs((y - centre) * LINE_NORMAL[0] + (x - centre) * LINE_NORMAL[1])
    # Only the lines' bands here: the pixels of the structure steps, all near the line, handed
    # with the line's direction.
    pixels = np.logical_or.reduce([mine for _, mine in lined[0]])
    assert np.array_equal(pixels, along[0])
    assert not pixels[across >= 5].any()
    assert all(abs(direction @ LINE_NORMAL) < 0.05 for direction, _ in lined[0])


FAINT_STRIPES = (-11.0, 0.0, 7.0)  # offsets across of three dark stripes, px (no lattice)


def _faint_far_side(rng: np.random.Generator, far: float = 0.02, far_ground: bool = True
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Three dark stripes 3 px wide along the line direction of ``_line_tile``, clear (0.4 dark)
    on one side of the hole and faint (``far``: 0.02, 5 grey levels) beyond it, on a ground of
    blurred noise (beyond the hole only with ``far_ground``); and each pixel's offset across
    the stripes."""
    import cv2

    y, x = _grid()
    centre = (SIZE - 1) / 2
    across = (y - centre) * LINE_NORMAL[0] + (x - centre) * LINE_NORMAL[1]
    along = (y - centre) * LINE_NORMAL[1] - (x - centre) * LINE_NORMAL[0]
    ground = cv2.GaussianBlur(rng.standard_normal((SIZE, SIZE)).astype(np.float32), (0, 0), 2)
    grey = 0.6 + 0.015 * ground / ground.std() * ((along < 0) | far_ground)
    contrast = np.where(along < 0, 0.4, far)
    for offset in FAINT_STRIPES:
        grey = grey - contrast * np.clip(2.0 - np.abs(across - offset), 0.0, 1.0)
    return _rgb(grey), across


def test_faint_far_side_of_a_line_is_traced_and_the_fill_continues_it(rng):
    """LSD finds the stripes on the clear side only; the far side is found by the clear side's
    cross-section, and the fill continues each stripe across the hole."""
    from pano_inpaint.generators.patchmatch._lines import _segments, find_lines

    image, across = _faint_far_side(rng)
    hole = _line_hole()
    y, x = _grid()
    centre = (SIZE - 1) / 2
    along = (y - centre) * LINE_NORMAL[1] - (x - centre) * LINE_NORMAL[0]
    # The premise: no segment on the faint side.
    segments = _segments(image, ~hole, 6.0)
    mid_along = ((segments[:, :2] + segments[:, 2:]) / 2 - centre) @ np.array(
        [LINE_NORMAL[1], -LINE_NORMAL[0]])
    assert len(segments) and (mid_along < 0).all()
    lines = find_lines(image, hole, FACE)
    found = [float((line.point - centre) @ LINE_NORMAL) for line in lines]
    for offset in FAINT_STRIPES:  # an edge of each stripe (1.5 px off its middle), at its angle
        assert any(abs(f - offset) <= 2.5 for f in found), (offset, found)
    for line in lines:
        assert abs(line.direction @ LINE_NORMAL) < np.sin(np.radians(2))
    # The fill continues each stripe from the clear side into the hole's middle (the plain
    # search alone fades the outer two within a few pixels: contrast 0.04-0.05 in the near
    # third, 0.01 or less in the middle one); the far third copies the faint far side.
    tiles = _tiles(image, hole)
    out = PatchMatch(lattice_strength=2.0).inpaint(tiles)[0].mean(axis=-1)
    for part, least in (((along < -4), 0.15), ((np.abs(along) <= 4), 0.04)):
        for offset in FAINT_STRIPES:
            on = hole & part & (np.abs(across - offset) <= 1)
            beside = hole & part & (np.abs(across - offset) >= 3) & (np.abs(across - offset) <= 5)
            assert out[beside].mean() - out[on].mean() >= least, (offset, least)
    assert any("found beyond it by their profile" in note for note in tiles.notes)


def test_no_line_is_traced_into_a_residue_far_fainter_than_its_near_side(rng):
    """Beyond the hole only a trace of the stripes is left (1/500 of their contrast) on a plain
    ground: its shape correlates perfectly, but a line does not fade 500-fold across a hole
    (a lamp strip ending at a hole in a plain ceiling): nothing is traced."""
    from pano_inpaint.generators.patchmatch._lines import find_lines

    image, _ = _faint_far_side(rng, far=0.0008, far_ground=False)
    assert not any(line.traced for line in find_lines(image, _line_hole(), FACE))
    # the same far side at a twentieth of the near side's contrast is still traced
    image, _ = _faint_far_side(rng, far=0.02, far_ground=False)
    assert any(line.traced for line in find_lines(image, _line_hole(), FACE))


def test_no_line_is_traced_where_the_far_side_cannot_be_long_enough(rng):
    """On a small face the far span searched (a quarter of the face, plus the profile's width)
    is shorter than the shortest one accepted (20 px): nothing is traced, and nothing fails."""
    from pano_inpaint.generators.patchmatch._lines import find_lines

    image, _ = _faint_far_side(rng)
    assert not any(line.traced for line in find_lines(image, _line_hole(), 40))


def test_crossing_lines_are_not_combined_into_a_grid():
    from pano_inpaint.generators.patchmatch._offsets import Lattice

    two_lines = Lattice(np.array([[0.0, 7.0], [0.0, -7.0], [5.0, 5.0], [-5.0, -5.0]]),
                        np.full(4, 0.8), np.array([True, True, True, True]))
    vectors = two_lines.vectors(30.0)
    on_a = vectors[:, 0] == 0
    on_b = vectors[:, 0] == vectors[:, 1]
    assert (on_a | on_b).all()
    lattice = Lattice(two_lines.offsets, two_lines.strength, np.zeros(4, bool))
    assert any(v[0] != 0 and v[0] != v[1] for v in lattice.vectors(30.0))


@pytest.mark.parametrize("shape", [(37, 41, 3), (16, 16, 4), (9, 9, 1), (5, 7, 2, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_channel_mean_is_numpy_mean_bit_for_bit(shape, dtype):
    from pano_inpaint.generators.patchmatch._offsets import channel_mean

    rng = np.random.default_rng(3)
    image = (rng.random(shape) * rng.choice([1e-3, 1.0, 7e3], size=shape)).astype(dtype)
    image = image[..., ::-1] if shape[-1] > 1 else image  # a strided view too
    out = channel_mean(image)
    want = image.mean(axis=-1)
    assert out.dtype == want.dtype and out.shape == want.shape
    assert np.array_equal(out, want)
    assert not np.shares_memory(out, image)


def _march_every_step(hole, start, direction, gap):
    """``_lines._march`` as defined: every step of the ray looked at."""
    size = hole.shape[0]
    on_hole = []
    for t in range(2 * size):
        y, x = np.rint(start + t * direction).astype(np.int64)
        if not (0 <= y < size and 0 <= x < size):
            break
        on_hole.append(bool(hole[y, x]))
    on_hole = np.array(on_hole, bool)
    entries = np.flatnonzero(on_hole)
    if not entries.size or entries[0] > gap:
        return None
    exits = np.flatnonzero(~on_hole[entries[0]:])
    return None if not exits.size else (float(entries[0]), float(entries[0] + exits[0]))


def _random_holes(rng: np.random.Generator, count: int):
    """``(known, reach)`` pairs: up to three discs of any size anywhere (some past the tile's
    edges), sometimes with scattered single hole pixels, on tiles of 5-100 px."""
    for _ in range(count):
        size = int(rng.integers(5, 100))
        y, x = np.mgrid[0:size, 0:size]
        known = np.ones((size, size), bool)
        for _ in range(int(rng.integers(0, 4))):
            cy, cx = rng.integers(-5, size + 5, 2)
            known &= np.hypot(y - cy, x - cx) > rng.uniform(0, size / 4)
        if rng.random() < 0.3:
            known &= rng.random((size, size)) > 0.003
        yield known, float(rng.choice([2.5, 3.0, 4.0, 6.0, 11.0]))


def test_the_border_map_near_the_hole_is_the_whole_tiles_there_and_false_elsewhere(rng):
    """``_segments`` reads OpenCV's distance map of the known pixels only on the hole's
    bounding box grown by the reach: the same pixels within the reach as the whole tile's."""
    import cv2

    from pano_inpaint.generators.patchmatch._lines import _near_hole

    cropped = 0
    for known, reach in _random_holes(rng, 400):
        whole = cv2.distanceTransform(known.astype(np.uint8), cv2.DIST_L2, 3) <= reach
        near, (top, left) = _near_hole(known, reach)
        rebuilt = np.zeros_like(whole)
        rebuilt[top : top + near.shape[0], left : left + near.shape[1]] = near
        np.testing.assert_array_equal(rebuilt, whole)
        cropped += near.size < known.size
    assert cropped > 100  # most boxes are smaller than the tile


@pytest.mark.parametrize("channels", [3, 4])
def test_the_median_of_the_known_grey_levels_is_numpys(rng, monkeypatch, channels):
    from pano_inpaint.generators.patchmatch import _lines
    from pano_inpaint.generators.patchmatch._offsets import channel_mean

    monkeypatch.setattr(_lines, "_MEDIAN_ROWS", 7)  # several bands on a small tile
    image = rng.random((61, 61, channels)).astype(np.float32)
    for known in (rng.random((61, 61)) > 0.5, _hole(), ~_hole()[:61, :61],
                  np.zeros((61, 61), bool)):
        known = known[:61, :61]
        want = float(np.median(channel_mean(image)[known])) if known.any() else 0.5
        assert _lines._known_median(image, known) == want
    view = rng.random((40, 40, 5)).astype(np.float32)[..., :channels]  # a tile's colours
    known = rng.random((40, 40)) > 0.4
    assert _lines._known_median(view, known) == float(np.median(channel_mean(view)[known]))


def test_lines_found_with_the_cropped_border_map_are_those_of_the_whole_tiles(rng,
                                                                              monkeypatch):
    """The hole's border is left out of the segments on the cropped map (and the median
    fill made in bands) exactly as on the whole tile's: the same lines, bit for bit."""
    import cv2

    from pano_inpaint.generators.patchmatch import _lines
    from pano_inpaint.generators.patchmatch._offsets import channel_mean

    def whole(known, reach):
        return cv2.distanceTransform(known.astype(np.uint8), cv2.DIST_L2, 3) <= reach, (0, 0)

    def plain_median(image, known):
        return float(np.median(channel_mean(image)[known])) if known.any() else 0.5

    def key(lines):
        return [(line.point.tobytes(), line.direction.tobytes(), line.half_width,
                 line.traced, line.end, line.sure, line.boundary) for line in lines]

    cases = [(_line_tile(rng), _line_hole()), (_line_tile(rng, 6.0), _hole()),
             (_checker(rng), _line_hole())]
    found = [key(_lines.find_lines(image, hole, FACE)) for image, hole in cases]
    monkeypatch.setattr(_lines, "_near_hole", whole)
    monkeypatch.setattr(_lines, "_known_median", plain_median)
    assert [key(_lines.find_lines(image, hole, FACE)) for image, hole in cases] == found
    assert found[0]  # lines were found (and the hole's blank border left out)
    # and segments were dropped along the border: without the map, more come back
    segments = _lines._segments(cases[0][0], ~cases[0][1], 6.0)
    monkeypatch.setattr(_lines, "_near_hole", lambda known, reach: (np.zeros((0, 0), bool),
                                                                    (0, 0)))
    assert len(_lines._segments(cases[0][0], ~cases[0][1], 6.0)) > len(segments)


def test_march_finds_where_a_ray_crosses_the_hole_as_every_step_does():
    """Rays that meet the hole just within and just beyond ``gap``, at every angle, some
    leaving the tile inside the hole (the march looks at the first ``gap`` steps first)."""
    from pano_inpaint.generators.patchmatch._lines import _march

    hole = _line_hole()
    centre = (SIZE - 1) / 2
    rng = np.random.default_rng(5)
    found = 0
    for angle in np.linspace(0, 2 * np.pi, 48, endpoint=False):
        direction = np.array([np.sin(angle), np.cos(angle)])
        for distance in (24.5, 30.0, 31.0, 33.0, 40.0, 60.0):
            start = centre - distance * direction + rng.uniform(-3, 3, 2)
            for gap in (5.0, 6.5, 7.0, 9.0, 12.0):
                want = _march_every_step(hole, start, direction, gap)
                assert _march(hole, start, direction, gap) == want, (angle, distance, gap)
                found += want is not None
    assert 50 < found < 48 * 6 * 5  # both outcomes are tried
    edge = np.zeros((SIZE, SIZE), bool)
    edge[:, SIZE - 10 :] = True  # the ray leaves the tile inside the hole
    assert _march(edge, np.array([50.0, SIZE - 14.0]), np.array([0.0, 1.0]), 8.0) is None


def test_line_band_is_the_pixels_within_its_half_width():
    from pano_inpaint.generators.patchmatch._lines import Line

    direction = np.array([np.sin(0.3), np.cos(0.3)])
    line = Line(np.array([40.5, 33.0]), direction, 2.5)
    band = line.band((SIZE, SIZE + 7))
    y, x = np.mgrid[0:SIZE, 0 : SIZE + 7]
    offset = (y - 40.5) * -direction[1] + (x - 33.0) * direction[0]
    assert band.shape == (SIZE, SIZE + 7)
    assert np.array_equal(band, np.abs(offset) <= 2.5)
    along = (y - 40.5) * direction[0] + (x - 33.0) * direction[1]
    ending = Line(np.array([40.5, 33.0]), direction, 2.5, end=12.0).band((SIZE, SIZE + 7))
    assert np.array_equal(ending, (np.abs(offset) <= 2.5) & (along >= -2.5) & (along <= 12.0))


def test_a_line_that_ends_copies_from_behind_only():
    """A line crossing the hole copies from both ways along it; one that ends in the hole only
    from where it comes from (ahead of its end there is nothing of it to copy)."""
    from pano_inpaint.generators.patchmatch._lines import Line

    direction = np.array([np.sin(0.3), np.cos(0.3)])
    crossing = Line(np.array([40.5, 33.0]), direction, 2.5).vectors(9.0)
    ending = Line(np.array([40.5, 33.0]), direction, 2.5, end=12.0).vectors(9.0)
    assert (crossing @ direction > 0).any() and (crossing @ direction < 0).any()
    assert ending.shape[0] > 0 and (ending @ direction < 0).all()
    assert {tuple(v) for v in ending} == {tuple(v) for v in crossing if v @ direction < 0}


def test_a_boundary_compares_copies_from_all_along_its_reach():
    """A line's band compares the nearest shifts first (its profile is the same all along); a
    boundary's first tries span the whole reach, both ways, so a spot of one region is not
    copied again every few pixels along it. Both are the same shifts, in another order."""
    from pano_inpaint.generators.patchmatch._lines import Line

    direction = np.array([np.sin(0.3), np.cos(0.3)])
    line = Line(np.array([40.5, 33.0]), direction, 2.5)
    boundary = Line(np.array([40.5, 33.0]), direction, 30.0, boundary=True)
    near, spread = line.vectors(60.0, 16), boundary.vectors(60.0, 16)
    assert {tuple(v) for v in near} == {tuple(v) for v in spread}
    assert np.abs(near[:16] @ direction).max() <= 20  # on the line only: every few px
    along = spread[:16] @ direction
    assert along.max() >= 45 and along.min() <= -45


def _line_context(rng: np.random.Generator
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The line tile with its hole blanked (``(P, P, 3)``), the hole, and six faces of noise
    with that tile as the face ``DOWN`` (``(6, P, P, 3)``) with their holes: a fill's context."""
    image, hole = _line_tile(rng), _line_hole()
    blanked = image.copy()
    blanked[hole] = 0
    faces = rng.random((6, SIZE, SIZE, 3)).astype(np.float32)
    faces[DOWN] = blanked
    faces_hole = np.zeros((6, SIZE, SIZE), bool)
    faces_hole[DOWN] = hole
    return blanked, hole, faces, faces_hole


def test_structure_fills_go_into_the_context_bank_in_place_and_are_undone(rng):
    """With a context (the six faces, not the batch itself) the structure step hands the solve
    a bank holding its fills on the target's face, written into the context's own arrays with
    no copy of them (a whole-bank copy was 3.1 GB at 16K); ``edits.undo()`` puts the context
    back as it came. The fills are those made when the batch is its own bank."""
    import tracemalloc

    from pano_inpaint.generators.patchmatch.generator import _Problem

    blanked, hole, faces, faces_hole = _line_context(rng)
    before = faces.copy(), faces_hole.copy()
    generator = PatchMatch(lattice_strength=2.0)

    def problem(bank: np.ndarray | None, bank_hole: np.ndarray | None) -> _Problem:
        target = blanked[None].copy()
        ids = tuple(range(6)) if bank is not None else (DOWN,)
        return _Problem(target, None, hole[None].copy(), (DOWN,), FACE, PAD,
                        target if bank is None else bank, None,
                        hole[None] if bank_hole is None else bank_hole, ids, True,
                        lambda x: x)

    with_context = problem(faces, faces_hole)
    plans = generator._structure(with_context, 3)
    assert plans  # the line is found
    warm = problem(faces, faces_hole)  # numba's kernels loaded before memory is traced
    generator._fill_along(warm, plans, 3, 4.0)
    warm.edits.undo()
    tracemalloc.start()
    try:
        solved, fields = generator._fill_along(with_context, plans, 3, 4.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The target's copies, its field and the bank's valid map: less than the bank's size.
    assert peak < faces.nbytes
    done = hole & (fields[0].nnf[0] >= 0)  # the pixels the line step filled
    assert done.sum() > 20
    assert solved.bank_image is faces and solved.bank_hole is faces_hole
    assert np.array_equal(faces[DOWN][done], solved.image[0][done])
    assert not faces_hole[DOWN][done].any() and faces_hole[DOWN].sum() == (
        hole.sum() - done.sum())
    others = np.arange(6) != DOWN
    assert np.array_equal(faces[others], before[0][others])
    assert np.array_equal(faces[DOWN][~done], before[0][DOWN][~done])
    with_context.edits.undo()
    assert np.array_equal(faces, before[0]) and np.array_equal(faces_hole, before[1])
    alone = problem(None, None)
    alone_solved, _ = generator._fill_along(alone, generator._structure(alone, 3), 3, 4.0)
    assert np.array_equal(alone_solved.image[0][done], solved.image[0][done])


def test_the_note_names_only_the_parts_that_filled_pixels(rng):
    """A floor lattice's part that the lines' bands took whole fills nothing: the note says
    the hole was filled along the line, not along "the line and the floor lattice"."""
    import dataclasses

    from pano_inpaint.generators.patchmatch.generator import _Problem

    blanked, hole, _, _ = _line_context(rng)
    generator = PatchMatch(lattice_strength=2.0)
    target = blanked[None].copy()
    problem = _Problem(target, None, hole[None].copy(), (DOWN,), FACE, PAD, target, None,
                       hole[None].copy(), (DOWN,), True, lambda x: x)
    plans = generator._structure(problem, 3)
    assert {part.kind for part in plans[0]} == {"line"}
    empty = dataclasses.replace(plans[0][0], region=np.zeros_like(hole), kind="floor lattice")
    solved, _ = generator._fill_along(problem, {0: [*plans[0], empty]}, 3, 4.0)
    filled = [note for note in solved.notes if "first" in note]
    assert len(filled) == 1 and filled[0].endswith(
        f"filled along the {'lines' if len(plans[0]) > 1 else 'line'} first"), filled


def test_a_fill_leaves_its_context_as_it_came(rng):
    """The structure step's writes into the six faces are undone before ``inpaint`` returns: a
    context a caller keeps (and may hand to the next fill) is not changed by a fill."""
    blanked, hole, faces, faces_hole = _line_context(rng)
    before = faces.copy(), faces_hole.copy()
    context = CubeTiles(faces, faces_hole, tuple(range(6)), FACE, PAD)
    tiles = CubeTiles(blanked[None].copy(), hole[None].copy(), (DOWN,), FACE, PAD,
                      context=lambda: context)
    generator = PatchMatch(lattice_strength=2.0)
    first = generator.inpaint(tiles)
    assert any("along the line" in note for note in tiles.notes)  # the step wrote fills
    assert np.array_equal(faces, before[0]) and np.array_equal(faces_hole, before[1])
    again = CubeTiles(blanked[None].copy(), hole[None].copy(), (DOWN,), FACE, PAD,
                      context=lambda: context)
    assert np.array_equal(generator.inpaint(again), first)


@pytest.mark.parametrize("hdr", [False, True])
def test_a_fill_that_fails_after_the_structure_step_leaves_its_context_as_it_came(
        rng, monkeypatch, hdr):
    """An error after the structure step wrote into the six faces (here in the finish) is
    raised with the context put back: a caller that keeps it (and retries, or fills the next
    hole from it) never sees another fill's pixels in it."""
    blanked, hole, faces, faces_hole = _line_context(rng)
    before = faces.copy(), faces_hole.copy()
    # HDR: values distinct from the proxy (their own arrays), the proxy being the bank's image.
    values = {"values": 2.0 * faces} if hdr else {}
    context = CubeTiles(faces, faces_hole, tuple(range(6)), FACE, PAD, **values)
    own = {"values": 2.0 * blanked[None]} if hdr else {}
    tiles = CubeTiles(blanked[None].copy(), hole[None].copy(), (DOWN,), FACE, PAD,
                      context=lambda: context, **own)
    generator = PatchMatch(lattice_strength=2.0)
    written = []

    def fail(*args, **kwargs):
        written.append(not np.array_equal(faces_hole, before[1]))
        raise RuntimeError("finish failed")

    monkeypatch.setattr(generator, "_finish", fail)
    with pytest.raises(RuntimeError, match="finish failed"):
        generator.inpaint(tiles)
    assert written == [True]  # the structure step had written into the context
    assert np.array_equal(faces, before[0]) and np.array_equal(faces_hole, before[1])


POST = np.array([1.0, 0.0])  # (dy, dx): a post coming down from the tile's top edge


def _junction(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 3 px line of ``_line_tile`` (a rail) and a 3 px post coming down onto it from the
    top edge, ending on it (nothing of the post below the rail); and each pixel's offset
    across the post and along it from the rail (negative above)."""
    import cv2

    y, x = _grid()
    centre = (SIZE - 1) / 2
    rail = (y - centre) * LINE_NORMAL[0] + (x - centre) * LINE_NORMAL[1]
    across = x - (centre - 6.0)  # the post stands 6 px left of the hole's centre
    # Where the post's axis meets the rail: along it, how far each pixel is from there.
    meet = (0.0 - (-6.0) * LINE_NORMAL[1]) / LINE_NORMAL[0]
    along = (y - centre) - meet
    ground = cv2.GaussianBlur(rng.standard_normal((SIZE, SIZE)).astype(np.float32), (0, 0), 2)
    dark = np.clip(2.0 - np.abs(rail), 0.0, 1.0)
    dark = np.maximum(dark, np.clip(2.0 - np.abs(across), 0.0, 1.0) * (along < 0))
    # Smoother ground than ``_line_tile``'s: its texture makes LSD segments of its own.
    grey = 0.6 + 0.02 * ground / ground.std() - 0.4 * dark
    return _rgb(grey), across, along


def test_a_line_ending_on_another_inside_the_hole_is_continued_up_to_it(rng):
    """A post whose lower end is hidden by the hole has no far side; it ends on the rail that
    crosses the hole, so it is continued from the hole's border down to the rail and no
    further."""
    from pano_inpaint.generators.patchmatch._lines import find_lines

    image, across, along = _junction(rng)
    hole = _line_hole()
    lines = find_lines(image, hole, FACE)
    ending = [line for line in lines if line.end is not None]
    assert ending and all(abs(line.direction @ POST) > np.cos(np.radians(2)) for line in ending)
    for line in ending:  # each stops on the rail (3 px wide: on one of its edges, give or take
        stop = line.point + line.end * line.direction  # the band's half width)
        assert abs(along[0, 0] + stop[0]) <= 3.0  # ``along`` grows by one a row
    out = PatchMatch(lattice_strength=2.0).inpaint(_tiles(image, hole))[0].mean(axis=-1)
    on = hole & (np.abs(across) <= 1)
    beside = hole & (np.abs(across) >= 4) & (np.abs(across) <= 8)
    above, below = along < -3, along > 3
    # Above the rail the post goes on in the hole (at 0.63 of its contrast outside it; 0.13 with
    # the plain search alone); below, there is none.
    contrast = image.mean(axis=-1)[~hole & (np.abs(across) >= 4) & (np.abs(across) <= 8)
                                   & above].mean() - image.mean(axis=-1)[
        ~hole & (np.abs(across) <= 1) & above].mean()
    assert out[beside & above].mean() - out[on & above].mean() >= 0.5 * contrast
    assert abs(out[beside & below].mean() - out[on & below].mean()) <= 0.2 * contrast


def test_a_line_ends_only_on_a_sure_line_where_only_sure_ones_are_drawn(rng, monkeypatch):
    """The post of the test above, its rail made unsure (as if its two sides only nearly lined
    up). Where the caller draws sure lines only (a thin hole, ``sure_ends``), the post must not
    end on the rail: the rail is not drawn, so the post would stop at nothing."""
    from pano_inpaint.generators.patchmatch import _lines

    image, _, _ = _junction(rng)
    hole = _line_hole()
    monkeypatch.setattr(_lines, "_runs_along", lambda *args: False)  # every pair unsure
    for sure_ends in (False, True):
        lines = _lines.lines_and_edges(image, hole, FACE, sure_ends=sure_ends).lines
        assert any(not line.sure for line in lines)  # the rail, unsure
        ending = [line for line in lines if line.end is not None]
        assert bool(ending) == (not sure_ends)


@pytest.mark.parametrize(("radius", "sure_ends"), [(8.0, True), (24.0, False)])
def test_a_thin_holes_line_search_ends_lines_on_sure_lines_only(rng, monkeypatch, radius,
                                                                 sure_ends):
    """The generator asks the line search for ends on sure lines only where the hole is
    under ``unsure_min_depth`` (8 px of the 224 px face: 3.6%; 24 px: 11%)."""
    from pano_inpaint.generators.patchmatch import _lines
    from pano_inpaint.generators.patchmatch import generator as module

    asked = []

    def spy(*args, **kwargs):
        asked.append(kwargs["sure_ends"])
        return _lines.lines_and_edges(*args, **kwargs)

    monkeypatch.setattr(module, "lines_and_edges", spy)
    image, hole = _bars(rng, 256, radius, ())
    blanked = image.copy()
    blanked[hole] = 0
    PatchMatch(lattice_strength=2.0).inpaint(CubeTiles(blanked[None], hole[None], (DOWN,), 224,
                                                       16))
    assert asked == [sure_ends]


CORNER_MEET = np.array([6.0, 0.0])  # (dy, dx) from the tile's centre: where the two arms meet


def _corner(rng: np.random.Generator, turn_degrees: float = 30.0, light_right: bool = False
            ) -> tuple[np.ndarray, list[np.ndarray]]:
    """A 3 px dark rail turning a corner inside ``_line_hole``: two arms coming up from where
    they meet (6 px below the centre) to the tile's left and right edges, ``turn_degrees``
    between one arm's direction and the other's continued (a rail round a room's corner seen
    across it); with ``light_right`` the right arm is a light line instead. Returns the tile and
    each arm's unit direction ``(dy, dx)`` away from where they meet."""
    import cv2

    y, x = _grid()
    meet = (SIZE - 1) / 2 + CORNER_MEET
    rise = np.radians(turn_degrees / 2)
    arms = [np.array([-np.sin(rise), -np.cos(rise)]), np.array([-np.sin(rise), np.cos(rise)])]
    ground = cv2.GaussianBlur(rng.standard_normal((SIZE, SIZE)).astype(np.float32), (0, 0), 2)
    grey = 0.6 + 0.02 * ground / ground.std()
    for k, arm in enumerate(arms):
        along = (y - meet[0]) * arm[0] + (x - meet[1]) * arm[1]
        across = np.abs((y - meet[0]) * arm[1] - (x - meet[1]) * arm[0])
        # each arm is a half-line from the meeting point on (its round end there)
        distance = np.where(along >= 0, across, np.hypot(y - meet[0], x - meet[1]))
        line = np.clip(2.0 - distance, 0.0, 1.0)
        grey = grey + (0.3 if light_right and k == 1 else -0.4) * line
    return _rgb(grey), arms


def test_a_line_turning_a_corner_inside_the_hole_is_continued_to_the_corner(rng):
    """A rail running round a corner hidden by the hole (each arm leaves it on its own side,
    at 30 degrees to the other): neither arm has a far side or a line to end on, but the two
    meet inside the hole with the same cross-section, so each is continued up to the corner
    and no further; the fill draws the rail to the corner."""
    from pano_inpaint.generators.patchmatch._lines import find_lines

    image, arms = _corner(rng)
    hole = _line_hole()
    meet = (SIZE - 1) / 2 + CORNER_MEET
    lines = find_lines(image, hole, FACE)
    corners = [line for line in lines if line.corner]
    assert corners and all(line.end is not None for line in corners)
    for arm in arms:  # both arms, each coming in towards the corner (against its direction)
        assert any(line.direction @ -arm > np.cos(np.radians(3)) for line in corners)
    for line in corners:  # each stops at the corner, give or take the rail's width
        assert np.hypot(*(line.point + line.end * line.direction - meet)) <= 4.0
    out = PatchMatch(lattice_strength=2.0).inpaint(_tiles(image, hole))[0].mean(axis=-1)
    y, x = _grid()
    grey = image.mean(axis=-1)
    contrasts = []
    for arm in arms:
        along = (y - meet[0]) * arm[0] + (x - meet[1]) * arm[1]
        across = np.abs((y - meet[0]) * arm[1] - (x - meet[1]) * arm[0])
        on = hole & (across <= 1) & (along >= 4)
        beside = hole & (across >= 4) & (across <= 8) & (along >= 4)
        known = ~hole & (along >= 4)
        truth = grey[known & (across >= 4) & (across <= 8)].mean() - grey[
            known & (across <= 1)].mean()
        contrasts.append((out[beside].mean() - out[on].mean()) / truth)
        # Past the corner, where the arm would have run on had it been straight: no rail.
        past = hole & (across <= 1) & (along <= -6)
        near_past = hole & (across >= 4) & (across <= 8) & (along <= -6)
        assert abs(out[near_past].mean() - out[past].mean()) <= 0.25 * truth
    # In the hole each arm keeps at least half its contrast (0.62 and 0.79; with the plain search
    # alone one arm keeps 0.19).
    assert min(contrasts) >= 0.5, contrasts


@pytest.mark.parametrize("case", ["other-profile", "same-side"])
def test_no_corner_is_made_of_unlike_or_converging_lines(rng, case):
    """A dark arm meeting a light one is not one line turning; nor are two lines converging
    on a point in the hole from the same side (a turn of 160 degrees: a floor's joints
    running to their vanishing point)."""
    from pano_inpaint.generators.patchmatch._lines import find_lines

    if case == "other-profile":
        image, _ = _corner(rng, light_right=True)
    else:
        image, _ = _corner(rng, turn_degrees=160.0)
    assert not [line for line in find_lines(image, _line_hole(), FACE) if line.corner]


@pytest.mark.parametrize("sides", ["kept", "swapped"])
def test_a_corner_keeps_the_lines_left_side_on_its_left(rng, sides):
    """A line lit from above (a light stripe beside a dark one) turning a corner in the hole:
    followed round the corner its light side stays on the same side of the path, so the second
    arm's cross-section, taken across its own direction into the hole, is the first's reversed.
    With the sides swapped on one arm (light above on the left, below on the right) the two are
    not one line and make no corner."""
    import cv2

    from pano_inpaint.generators.patchmatch._lines import find_lines

    y, x = _grid()
    meet = (SIZE - 1) / 2 + CORNER_MEET
    rise = np.radians(15.0)
    # Signed distance across the V the two arms make (positive below it), near the arms.
    below = np.cos(rise) * ((y - meet[0]) + np.abs(x - meet[1]) * np.tan(rise))
    sign = 1.0 if sides == "kept" else np.where(x < meet[1], 1.0, -1.0)
    ground = cv2.GaussianBlur(rng.standard_normal((SIZE, SIZE)).astype(np.float32), (0, 0), 2)
    lit = np.exp(-((below - 1.5) ** 2)) - np.exp(-((below + 1.5) ** 2))  # zero away from it
    image = _rgb(0.5 + 0.02 * ground / ground.std() + 0.3 * sign * lit)
    corners = [line for line in find_lines(image, _line_hole(), FACE) if line.corner]
    assert bool(corners) == (sides == "kept")


@pytest.mark.parametrize("turn", [20.0, 40.0])
def test_a_corner_is_found_where_its_arms_come_in_by_the_lines_two_edges(rng, turn):
    """A dark rail 3-4 px wide turning a corner in the hole, whose arms come into it by
    different edges (LSD finds both edges of such a line and an arm's other edge may stop
    short: a moulding round a room's corner kept its upper edge on one wall, its lower on the
    other): their cross-sections, each taken across its own edge, are the rail's moved by its
    width, so as they lie they do not match. They are one line turning, and meet at the rail's
    corner (within a pixel), not where the two edges' extensions cross (at 20 degrees, 8 px
    past it)."""
    from pano_inpaint.generators.patchmatch._lines import _across, _corners, _march, _profile

    image, arms = _corner(rng, turn_degrees=turn)
    grey = image.mean(axis=-1)
    hole = _line_hole()
    meet = (SIZE - 1) / 2 + CORNER_MEET
    dangling = []
    for arm, side in zip(arms, (-1.5, 1.5), strict=True):
        up = np.array([-abs(arm[1]), np.sign(arm[1]) * arm[0]])  # across the arm, upwards
        assert up @ arm == pytest.approx(0.0) and up[0] < 0
        tip = meet + 34.0 * arm + side * up  # outside the hole, on one edge of the rail
        u = -arm  # into the hole
        assert not hole[tuple(np.rint(tip).astype(int))]
        profile = _profile(grey, ~hole, tip, u, 24.0, _across(400.0))  # 13 samples, as at 1K
        crossing = _march(hole, tip, u, 12.0)
        assert profile is not None and crossing is not None
        dangling.append((40.0, tip, u, crossing, profile))  # a segment 40 px long
    corners, rest = _corners(dangling, hole, 1.5, 12)
    assert len(corners) == 2 and not rest
    for line in corners:
        end = line.point + (line.end - line.half_width) * line.direction
        assert np.hypot(*(end - meet)) <= 1.0, (end, meet)


def _ground_across_along(rng: np.random.Generator, size: int, radius: float
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A ``size`` px tile of blurred noise about 0.6, each pixel's distance across
    and along ``LINE_NORMAL``'s lines through the centre, and a round hole of ``radius`` px in
    the middle."""
    import cv2

    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    centre = (size - 1) / 2
    ground = cv2.GaussianBlur(rng.standard_normal((size, size)).astype(np.float32), (0, 0), 2)
    ground = 0.6 + 0.05 * ground / ground.std()
    across = (y - centre) * LINE_NORMAL[0] + (x - centre) * LINE_NORMAL[1]
    along = (y - centre) * -LINE_NORMAL[1] + (x - centre) * LINE_NORMAL[0]
    return ground, across, along, np.hypot(y - centre, x - centre) <= radius


@pytest.mark.parametrize("dashes", [False, True])
def test_short_segments_aligned_across_a_wide_hole_by_chance_are_not_a_line(
        rng, monkeypatch, dashes):
    """Two short dark dashes (12 px) on either side of a hole 180 px wide, exactly collinear:
    a chance alignment of a texture's edges, far too little of a line for the span drawn, so
    not paired (the same dashes are paired with the support rule off). A dark line running to
    the tile's edges on both sides is."""
    from pano_inpaint.generators.patchmatch import _lines

    size, radius = 256, 90
    ground, across, along, hole = _ground_across_along(rng, size, radius)
    centre = (size - 1) / 2
    dark = np.clip(2.0 - np.abs(across), 0.0, 1.0)
    if dashes:
        dark *= (np.abs(along) >= radius + 6) & (np.abs(along) <= radius + 18)
    grey = (ground - 0.4 * dark).astype(np.float32)

    def on_dark(lines):
        return [line for line in lines
                if abs(line.direction @ LINE_NORMAL) < np.sin(np.radians(2))
                and abs((line.point - centre) @ LINE_NORMAL) <= 2.5]

    assert bool(on_dark(_lines.find_lines(_rgb(grey), hole, size))) == (not dashes)
    monkeypatch.setattr(_lines, "_LINE_SUPPORT", 0.0)
    # (Without the support rule the ground's own short edges pair across the hole in a flood
    # that the chance rule would then drop, dashes and all: that rule is off here.)
    monkeypatch.setattr(_lines, "_CHANCE_RATE", np.inf)
    assert on_dark(_lines.find_lines(_rgb(grey), hole, size))


def _bars(rng: np.random.Generator, size: int, radius: float,
          bars: tuple[tuple[float, float, float], ...]) -> tuple[np.ndarray, np.ndarray]:
    """A ``size`` px tile of blurred noise with a round hole of ``radius`` px in its middle and
    dark bars 8 px wide along the direction of ``LINE_NORMAL``'s lines; each bar ``(start,
    stop, offset)`` runs from ``start`` to ``stop`` px along (from the centre), its upper edge
    ``offset`` px across. Returns the image ``(size, size, 3)`` and the hole."""
    grey, across, along, hole = _ground_across_along(rng, size, radius)
    for start, stop, offset in bars:
        inside = np.clip(np.minimum(across - offset, offset + 8 - across) + 0.5, 0.0, 1.0)
        grey = grey - 0.4 * inside * ((along >= start) & (along <= stop))
    return _rgb(grey.astype(np.float32)), hole


def _across_the_bars(lines) -> list:
    """The lines found across the hole between the bars (within 6 degrees of their direction)."""
    return [line for line in lines if abs(line.direction @ LINE_NORMAL) < np.sin(np.radians(6))
            and line.end is None]


@pytest.mark.parametrize("step", [0.0, 12.0])
def test_parallel_edges_a_step_apart_are_paired_but_not_sure(rng, monkeypatch, step):
    """Two dark bars 30 px long end on either side of a hole 80 px wide, parallel, the far one
    ``step`` px further across (an edge of one thing beside an edge of another, as stair
    nosings beside a sign's top). The line fitted through both passes within the pairing's
    tolerance of every end point but crosses them at 5.8 degrees: still paired (it orients
    the fill), but not sure, so it does not copy along its exact direction. The same bars in
    line (step 0) are a sure line. With the direction check off, the step is sure too."""
    from pano_inpaint.generators.patchmatch import _lines

    size, radius = 256, 40.0
    image, hole = _bars(rng, size, radius, ((-radius - 31, -radius - 1, -step / 2),
                                            (radius + 1, radius + 31, step / 2)))
    lines = _across_the_bars(_lines.find_lines(image, hole, size))
    assert lines and all(line.sure == (step == 0) for line in lines)
    monkeypatch.setattr(_lines, "_runs_along", lambda *args: True)
    assert all(line.sure for line in _across_the_bars(_lines.find_lines(image, hole, size)))


@pytest.mark.parametrize("step", [0.0, 12.0])
def test_a_thin_hole_continues_a_sure_line_but_draws_no_unsure_pair(step):
    """The bars of the test above beside a hole 16 px wide (3.6% of the 224 px face, under
    ``unsure_min_depth``): in line (step 0) they are a sure line and continued; 12 px apart
    across, an unsure pair, which in a hole this thin the search orients by itself (a chance
    pair drew a streak across a hiker's hole at Puy de Sancy). Drawn only where allowed."""
    radius = 8.0
    bars = ((-radius - 31, -radius - 1, -step / 2), (radius + 1, radius + 31, step / 2))
    image, hole = _bars(np.random.default_rng(0), 256, radius, bars)
    for overrides in ({}, {"unsure_min_depth": 0.0}):  # the default, then the check off
        blanked = image.copy()
        blanked[hole] = 0
        tiles = CubeTiles(blanked[None], hole[None], (DOWN,), 224, 16)
        PatchMatch(**overrides).inpaint(tiles)
        drawn = any("continued across the hole" in note for note in tiles.notes)
        assert drawn == (step == 0 or bool(overrides))
        # The notes say why the unsure pair was not drawn, not only that no line was.
        dropped = any("unsure line pairs not drawn" in note for note in tiles.notes)
        assert dropped == (not overrides) or step == 0  # (in line, a chance pair is dropped)


@pytest.mark.parametrize("beyond", [1.0, 80.0])
def test_a_partner_far_beyond_the_hole_is_not_sure(rng, beyond):
    """A dark bar 20 px long ends at a hole 60 px wide; a bar in line with it lies ``beyond``
    px past the hole's far side. Next to the hole it is a sure line; 80 px on, the line is
    drawn across 140 px unseen of which the bars show 40 (0.29, under ``_LINE_SUPPORT``): it
    may be a chance alignment with something further on, so it is not sure."""
    from pano_inpaint.generators.patchmatch._lines import find_lines

    size, radius = 320, 30.0
    image, hole = _bars(rng, size, radius, ((-radius - 21, -radius - 1, 0.0),
                                            (radius + beyond, radius + beyond + 20, 0.0)))
    lines = _across_the_bars(find_lines(image, hole, size))
    assert lines and all(line.sure == (beyond < 10) for line in lines)


@pytest.mark.parametrize("degrees", [0.0, 7.0, 18.0, 27.0, 45.0, 63.0, 81.0, 100.0, 153.0])
def test_a_sure_line_copies_along_the_line_itself(degrees):
    """Each shift a sure line copies along lies within ``_ON_LINE`` px of the line (a rounded
    step along it can be off it by half a pixel, and chained copies add those up across the
    hole), both ways along it, the shortest a few pixels long; a line that is not sure keeps
    every rounded step (some of them off the line)."""
    from pano_inpaint.generators.patchmatch._lines import _ON_LINE, Line

    direction = np.array([np.sin(np.radians(degrees)), np.cos(np.radians(degrees))])
    normal = np.array([-direction[1], direction[0]])
    vectors = Line(np.array([40.0, 30.0]), direction, 2.0).vectors(40.0)
    assert (np.abs(vectors @ normal) <= _ON_LINE + 1e-9).all()
    assert (vectors @ direction > 0).any() and (vectors @ direction < 0).any()
    assert np.abs(vectors @ direction).min() <= 5
    rounded = Line(np.array([40.0, 30.0]), direction, 2.0, sure=False).vectors(40.0)
    assert {tuple(v) for v in vectors} <= {tuple(v) for v in rounded}
    if degrees not in (0.0, 45.0):  # there every rounded step lies on the line
        assert (np.abs(rounded @ normal) > _ON_LINE).any()


def _two_regions(rng: np.random.Generator, face: int, edges: tuple[float, ...]
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A tile of ``face`` px (plus ``PAD``) of grey asphalt with red paving from each of
    ``edges`` (px across ``LINE_NORMAL``, from the centre) to the next, straight edges at 20
    degrees, fine noise on both; and each pixel's distance across. Returns image, across and
    the redness (red - blue) of the paving."""
    import cv2

    size = face + 2 * PAD
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    centre = (size - 1) / 2
    across = (y - centre) * LINE_NORMAL[0] + (x - centre) * LINE_NORMAL[1]
    paving = np.zeros_like(across)
    for k, edge in enumerate(edges):
        paving += (-1) ** k * np.clip(across - edge + 0.5, 0.0, 1.0)
    noise = cv2.GaussianBlur(rng.standard_normal((size, size)).astype(np.float32), (0, 0), 1.5)
    asphalt, red = np.array([0.38, 0.38, 0.40]), np.array([0.66, 0.46, 0.42])
    image = (1 - paving[..., None]) * asphalt + paving[..., None] * red
    image += 0.02 * (noise / noise.std())[..., None]
    return image.astype(np.float32), across, red[0] - red[2]


def test_a_line_between_two_regions_is_a_boundary_each_continued_along_it(rng, monkeypatch):
    """A kerb between asphalt and paving across a wide hole: the line found there parts two
    regions, so its band is wide (a tenth of the face to each side) and each region is
    continued along it from its own side; the same line as a thin band fills a tenth as much
    of the hole first. A dark line on one ground is no boundary."""
    from pano_inpaint.generators.patchmatch import _lines

    face, radius = 160, 60
    image, across, redness = _two_regions(rng, face, (5.0,))
    size = face + 2 * PAD
    y, x = np.mgrid[0:size, 0:size]
    hole = np.hypot(y - (size - 1) / 2, x - (size - 1) / 2) <= radius
    (line,) = _lines.find_lines(image, hole, face)
    assert line.boundary and line.half_width == pytest.approx(0.1 * face)
    assert abs((line.point - (size - 1) / 2) @ LINE_NORMAL - 5.0) <= 1.5

    def fill() -> tuple[np.ndarray, list[str], int]:
        """The fill, its notes and the share of the hole (%) filled along the line first."""
        tiles = CubeTiles(np.where(hole[..., None], 0, image)[None], hole[None], (DOWN,),
                          face, PAD)
        out = PatchMatch().inpaint(tiles)[0]
        (share,) = [int(n.split("% of")[0].rsplit(" ", 1)[1]) for n in tiles.notes if "% of" in n]
        return out, tiles.notes, share

    out, notes, share = fill()
    assert any("1 between two regions" in note for note in notes) and share >= 25
    red_side, grey_side = hole & (across > 9), hole & (across < 1)
    assert abs((out[red_side][:, 0] - out[red_side][:, 2]).mean() - redness) <= 0.03
    assert abs((out[grey_side][:, 0] - out[grey_side][:, 2]).mean() + 0.02) <= 0.03

    monkeypatch.setattr(_lines, "_BOUNDARY_CONTRAST", np.inf)  # every line a thin band
    (thin,) = _lines.find_lines(image, hole, face)
    assert not thin.boundary and thin.half_width < 3
    assert 0 < fill()[2] <= share / 5

    monkeypatch.undo()
    dark = image.copy()  # one ground both sides, a dark line 3 px wide on it
    dark[:] = image[across < 0].mean(axis=0)
    dark -= (0.3 * np.clip(2.0 - np.abs(across - 5.0), 0.0, 1.0))[..., None].astype(np.float32)
    lines = _lines.find_lines(dark, hole, face)
    assert lines and not any(line.boundary for line in lines)


def test_a_boundary_band_reaches_half_way_to_the_line_alongside_it(rng):
    """A strip of paving 16 px wide: its two edges are boundaries, each band reaching half way
    (8 px) to the other, so each half of the strip continues along its nearer edge."""
    from pano_inpaint.generators.patchmatch._lines import find_lines

    face, radius = 160, 60
    image, _, _ = _two_regions(rng, face, (-8.0, 8.0))
    size = face + 2 * PAD
    y, x = np.mgrid[0:size, 0:size]
    hole = np.hypot(y - (size - 1) / 2, x - (size - 1) / 2) <= radius
    lines = find_lines(image, hole, face)
    assert len(lines) == 2 and all(line.boundary for line in lines)
    assert all(line.half_width == pytest.approx(8.0, abs=1.0) for line in lines)


def test_a_boundary_band_is_no_wider_than_half_the_holes_depth(rng):
    """In a hole 24 px deep the kerb's band reaches 12 px to each side, not a tenth of the
    face (16 px): the search, with the ring all around, places the regions itself."""
    from pano_inpaint.generators.patchmatch._lines import find_lines

    face = 160
    image, _, _ = _two_regions(rng, face, (5.0,))
    size = face + 2 * PAD
    y, x = np.mgrid[0:size, 0:size]
    hole = np.hypot(y - (size - 1) / 2, x - (size - 1) / 2) <= 24
    (line,) = find_lines(image, hole, face)
    assert line.boundary and line.half_width == pytest.approx(12.0, abs=1.0)


def test_a_boundary_band_takes_the_depth_the_caller_measured(rng, monkeypatch):
    """``find_lines(depth=...)`` caps the band at half of that depth (the kerb's hole is 60 px
    deep: 16 px, a tenth of the face, without the cap), and the fill hands the search the depth
    it measured for its own test instead of having it measured again."""
    import cv2

    from pano_inpaint.generators.patchmatch import generator as module
    from pano_inpaint.generators.patchmatch._lines import find_lines, lines_and_edges

    face = 160
    image, _, _ = _two_regions(rng, face, (5.0,))
    size = face + 2 * PAD
    y, x = np.mgrid[0:size, 0:size]
    hole = np.hypot(y - (size - 1) / 2, x - (size - 1) / 2) <= 60
    (line,) = find_lines(image, hole, face, depth=20.0)
    assert line.boundary and line.half_width == pytest.approx(10.0)

    depths = []

    def spy(*args, depth, **kwargs):
        depths.append(depth)
        return lines_and_edges(*args, depth=depth, **kwargs)

    monkeypatch.setattr(module, "lines_and_edges", spy)
    PatchMatch().inpaint(CubeTiles(np.where(hole[..., None], 0, image)[None], hole[None],
                                   (DOWN,), face, PAD))
    measured = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3).max()
    assert depths == [pytest.approx(measured)]


def test_a_line_across_a_boundary_keeps_its_band(rng):
    """A thin line across the kerb: the kerb is a boundary, put after it, and its wide band
    leaves the thin band's pixels to the thin line's copies."""
    from pano_inpaint.generators.patchmatch._lines import Line, _boundaries
    from pano_inpaint.generators.patchmatch.generator import _line_parts

    face = 160
    image, _, _ = _two_regions(rng, face, (5.0,))
    size = face + 2 * PAD
    y, x = np.mgrid[0:size, 0:size]
    hole = np.hypot(y - (size - 1) / 2, x - (size - 1) / 2) <= 60
    centre = np.full(2, (size - 1) / 2)
    along = np.array([-LINE_NORMAL[1], LINE_NORMAL[0]])
    kerb = Line(centre + 5.0 * LINE_NORMAL, along, 1.6)
    across = Line(centre, LINE_NORMAL, 1.6)  # both regions on each of its sides
    lines = _boundaries([kerb, across], image, ~hole, face)
    assert [line.boundary for line in lines] == [False, True]
    thin, wide = _line_parts(lines, hole, 80.0)
    assert thin.region.any() and not (thin.region & wide.region).any()
    assert np.array_equal(thin.region | wide.region,
                          (lines[0].band(hole.shape) | lines[1].band(hole.shape)) & hole)


def test_two_lines_crossing_each_keep_their_own_pixels_of_the_crossing():
    """Where two thin bands cross, each pixel goes to the line whose middle it is nearer: the
    first line's band took the crossing whole, with the light margin beside its line, which
    cut the second line in two (a ceiling's grid: every joint broken where another crosses)."""
    from pano_inpaint.generators.patchmatch._lines import Line
    from pano_inpaint.generators.patchmatch.generator import _line_parts

    y, x = _grid()
    centre = np.full(2, (SIZE - 1) / 2)
    hole = np.hypot(y - centre[0], x - centre[1]) <= 30
    first = Line(centre, np.array([0.0, 1.0]), 2.5)  # along x
    second = Line(centre, np.array([1.0, 0.0]), 2.5)  # along y
    one, other = _line_parts([first, second], hole, 40.0)
    assert not (one.region & other.region).any()
    assert np.array_equal(one.region | other.region,
                          (first.band(hole.shape) | second.band(hole.shape)) & hole)
    row, column = int(centre[0]), int(centre[1])
    # On the second line's middle, 2 px off the first's: the second's (its dark core), and
    # the other way round.
    assert other.region[row + 2, column] and not one.region[row + 2, column]
    assert one.region[row, column + 2] and not other.region[row, column + 2]


def test_a_thin_line_s_two_edges_have_bands_that_meet_in_its_middle():
    """LSD finds both edges of a 3 px line, each paired across the hole; their bands, 1.6 px
    either side of each edge 4 px apart, missed the line's middle, which the search filled
    from beside the line (a dashed light row along it)."""
    from pano_inpaint.generators.patchmatch._lines import Line, _edges_met

    centre = np.array([50.0, 50.0])
    along, normal = np.array([0.6, 0.8]), np.array([-0.8, 0.6])
    one = Line(centre + 2.0 * normal, along, 1.6)
    other = Line(centre - 2.0 * normal, -along, 1.6)  # the other edge, the other way round
    far = Line(centre + 12.0 * normal, along, 1.6)  # a line alongside: its own band
    unsure = Line(centre - 16.0 * normal, along, 1.6, sure=False)
    met = _edges_met([one, other, far, unsure])
    assert [line.half_width for line in met] == [pytest.approx(2.5), pytest.approx(2.5), 1.6,
                                                 1.6]
    shape = (100, 100)
    middle = Line(centre, along, 0.5).band(shape)
    assert (met[0].band(shape) | met[1].band(shape))[middle].all()
    assert not (one.band(shape) | other.band(shape))[middle].all()
    # Bands that already meet, and ones too far apart to be one line's edges, are left be.
    near = [Line(centre + 1.2 * normal, along, 1.6), Line(centre - 1.2 * normal, along, 1.6)]
    apart = [Line(centre + 4.0 * normal, along, 1.6), Line(centre - 4.0 * normal, along, 1.6)]
    assert [line.half_width for line in _edges_met(near + apart)] == [1.6] * 4


@pytest.mark.parametrize("seed", [0, 1])
def test_two_thin_lines_crossing_a_hole_stay_as_dark_as_they_are(seed):
    """Two dark lines 3 px wide crossing in a hole: each line's two edges are found; with
    their bands meeting in its middle and each line keeping its own pixels of the crossing,
    the lines come back as dark as outside (measured: their middles in the hole 0.035-0.091
    lighter than the truth before, at most 0.038 now)."""
    import cv2

    face, pad = 160, 16
    size = face + 2 * pad
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    grey = 0.8 + cv2.GaussianBlur(rng.normal(0, 0.05, (size, size)), (0, 0), 1.0)
    crossing = (size / 2 - 2 + rng.uniform(-3, 3), size / 2 + 3 + rng.uniform(-3, 3))
    middles = []
    for degrees in (12, 100):
        t = np.radians(degrees + rng.uniform(-5, 5))
        distance = np.abs(-(x - crossing[1]) * np.sin(t) + (y - crossing[0]) * np.cos(t))
        edge = distance - 1.5
        grey = np.where(edge < 0, 0.35, np.where(edge < 1, grey * edge + 0.35 * (1 - edge), grey))
        middles.append(distance <= 0.7)
    image = _rgb(grey)
    hole = np.hypot(y - size / 2, x - size / 2) <= 30
    blanked = image.copy()
    blanked[hole] = 0
    tiles = CubeTiles(blanked[None], hole[None], (0,), face, pad)
    out = PatchMatch().inpaint(tiles)[0].mean(axis=-1)
    assert any("4 line(s) continued" in note for note in tiles.notes)
    for middle in middles:
        assert out[hole & middle].mean() - image.mean(axis=-1)[hole & middle].mean() <= 0.05


def _tiled(rng: np.random.Generator, period: int) -> np.ndarray:
    """Square tiles ``period`` px wide (axis-aligned, so the period is whole pixels) with dark
    grout 2 px wide, each tile of its own random tone, on a little noise."""
    y, x = _grid()
    grout = ((y % period) < 2) | ((x % period) < 2)
    count = SIZE // period + 1
    tone = rng.uniform(0.45, 0.75, (count, count))[(y // period).astype(int),
                                                   (x // period).astype(int)]
    return _rgb(np.where(grout, 0.15, tone) + _noise(rng, 0.01))


def test_a_hole_shallower_than_half_the_lattice_step_is_filled_along_it(rng):
    """The copies' reach (twice the hole's depth and a patch) is shorter than the lattice's
    step here, as it is on a tiled floor under a small hole at any resolution (the plaza's
    wrap object: a step of 2.1 depths, filled at 1K only thanks to the patch's few pixels, at
    2K and 4K not at all): the lattice's own cell still gives each pixel its steps."""
    period, radius = 36, 9  # reach 2 * 9 + 2 * 3 + 2 = 26 px < 36
    image = _tiled(rng, period)
    y, x = _grid()
    hole = np.hypot(y - 54, x - 38) <= radius  # a grout line crosses it at x = 36
    lattice = find_lattice(image, ~hole)
    assert lattice is not None
    assert min(np.hypot(*v) for v in lattice.offsets) > 2 * radius + 2 * 3 + 2
    tiles = _tiles(image, hole)
    out = PatchMatch().inpaint(tiles)[0]
    assert any("100% of its hole filled along the lattice" in note for note in tiles.notes)
    # The grout lines run on through the hole where they would have.
    grout = ((y % period) < 2) | ((x % period) < 2)
    assert out.mean(axis=-1)[hole & grout].mean() < 0.3
    assert out.mean(axis=-1)[hole & ~grout].mean() > 0.4


def _pillar(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, float]:
    """A light pillar's right edge (vertical, light left of column ``c``, dark right of it)
    below a plain ledge (rows above 40), and a hole where it meets the ledge: the edge enters
    the hole from below with no partner above it. Returns the tile, the hole and ``c``."""
    y, x = _grid()
    c = 50.5
    grey = np.where(y < 40, 0.5, np.where(x < c, 0.7, 0.35))
    image = _rgb(grey + 0.02 * rng.standard_normal((SIZE, SIZE)))
    return image, np.hypot(y - 52, x - c - 6) <= 22, c


def test_an_edge_the_search_continued_keeps_its_step_through_the_finish(rng):
    """The pillar's edge has no partner, junction or corner (the line step draws nothing), but
    the plain search continues it into the hole; the finish (the stitch across the copies'
    cuts, the band gains toward the plain ring) kept only 0.70-0.78 of its step there. Kept
    as the line step's lines are, the continued part of it keeps the raw fill's step."""
    from pano_inpaint.generators.patchmatch._lines import lines_and_edges

    image, hole, c = _pillar(rng)
    lines, edges, _ = lines_and_edges(image, hole, FACE)
    assert not lines and edges
    off = {"structure_depth": 0.0, "detail_bands": 0, "detail_depth": 0.0, "rim_depth": 0.0,
           "stitch": False}
    raw = PatchMatch(**off).inpaint(_tiles(image, hole))[0]
    (edge,) = [e for e in edges if abs(e.direction[0]) > 0.99]  # the pillar's, from below
    continued = edge.continued(raw, hole, FACE)
    rows = np.flatnonzero(continued.any(axis=1))
    assert rows.size >= 8  # the search does continue it

    def step(out: np.ndarray) -> float:
        grey = out.mean(axis=-1)[rows]
        return float(grey[:, int(c) - 4:int(c) - 1].mean() - grey[:, int(c) + 2:int(c) + 5].mean())

    kept = step(PatchMatch().inpaint(_tiles(image, hole))[0])
    faded = step(PatchMatch(edges=False).inpaint(_tiles(image, hole))[0])
    assert kept >= 0.9 * step(raw) > faded, (kept, faded, step(raw))


def test_an_edge_the_fill_does_not_continue_keeps_nothing(rng):
    """A fill without the pillar's edge (the hole plain, or the edge's sides swapped) continues
    nothing of it: no pixel is kept for it."""
    from pano_inpaint.generators.patchmatch._lines import lines_and_edges

    image, hole, c = _pillar(rng)
    edges = lines_and_edges(image, hole, FACE).edges
    (edge,) = [e for e in edges if abs(e.direction[0]) > 0.99]
    plain = np.where(hole[..., None], image[~hole].mean(axis=0), image).astype(np.float32)
    swapped = image.copy()
    swapped[hole] = image[:, ::-1][hole]  # mirrored about the tile's centre column, near ``c``
    drawn = image.copy()
    y, x = _grid()
    drawn[hole] = _rgb(np.where(x < c, 0.7, 0.35))[hole]  # the edge drawn on: kept
    assert not edge.continued(plain, hole, FACE).any()
    assert not edge.continued(swapped, hole, FACE).any()
    assert edge.continued(drawn, hole, FACE).sum() >= 0.5 * (hole & (np.abs(x - c) <= 4)).sum()


SMALL_HOLE = 16  # px: the radius of a hole with room for two edges beyond it on the tile


def _line_frame(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(SIZE, SIZE)`` each pixel's signed distance across the test line (``LINE_NORMAL``,
    through the tile's centre) and along it, and a grainy ground (noise blurred 2 px)."""
    import cv2

    y, x = _grid()
    centre = (SIZE - 1) / 2
    across = (y - centre) * LINE_NORMAL[0] + (x - centre) * LINE_NORMAL[1]
    along = (y - centre) * LINE_NORMAL[1] - (x - centre) * LINE_NORMAL[0]
    ground = cv2.GaussianBlur(rng.standard_normal((SIZE, SIZE)).astype(np.float32), (0, 0), 2)
    return across, along, ground


def _edge_across_the_hole(rng: np.random.Generator, leaving: float | None) -> np.ndarray:
    """A straight edge through the tile's centre along ``_line_tile``'s direction, on a smooth
    ground (0.65, blurred noise of 0.005: a clear sky's). Where it enters a hole ``SMALL_HOLE``
    px round the centre, the side of positive offsets across is 0.3 darker; where it leaves it,
    that side is ``leaving`` (0.35: the same edge; 0.77: lighter, the dark side turned over;
    0.95: turned over by as much; None: no edge there, the ground goes on); 24 px further on,
    the same edge as where it enters again (the far segment LSD pairs it with)."""
    across, along, ground = _line_frame(rng)
    right = np.clip(across + 0.5, 0.0, 1.0)  # 0 left of the edge, 1 right of it
    edge = 0.65 - 0.3 * right
    far = np.full_like(edge, 0.65) if leaving is None else 0.65 + (leaving - 0.65) * right
    grey = np.where((along > 0) & (along <= SMALL_HOLE + 24), far, edge)
    return _rgb(grey + 0.005 * ground / ground.std())


@pytest.mark.parametrize("seed", range(3))
def test_a_pair_whose_ends_are_different_edges_is_no_line(seed):
    """Two collinear segments on either side of the hole, the same edge, but where the line
    would enter and leave the hole its cross-sections are two different edges: its dark side
    turned over by a different step (the 2K plaza's wrap object: a dark tile's edge ending in
    the hole goes on as the edge between two light tiles) or no edge at all (Chichen Itza's
    zenith cap at 2K: a cloud's rim lined up with another far beyond, flat sky between).
    The two are not paired into a line (a segment may still be traced across the hole by its
    own profile, ``_trace``: another rule). The same edge at both ends, or one turned over by
    as much (a seam between planks of varied tones), is a line."""
    from pano_inpaint.generators.patchmatch._lines import find_lines

    y, x = _grid()
    centre = (SIZE - 1) / 2
    hole = np.hypot(y - centre, x - centre) <= SMALL_HOLE
    for leaving in (0.35, 0.95):
        lines = find_lines(_edge_across_the_hole(np.random.default_rng(seed), leaving), hole,
                           FACE)
        assert any(line.end is None and abs((line.point - centre) @ LINE_NORMAL) <= 2.5
                   for line in lines), leaving
    for leaving in (0.77, None):
        lines = find_lines(_edge_across_the_hole(np.random.default_rng(seed), leaving), hole,
                           FACE)
        assert not any(line.end is None and not line.traced for line in lines), (leaving, lines)


def _seam_across_the_hole(rng: np.random.Generator, seam_entering: bool) -> np.ndarray:
    """``_edge_across_the_hole``'s layout with a dark seam 2 px wide (0.42 where it enters the
    hole, as beyond) between a light side (0.66) and a darker one (0.45) where the line enters
    the hole (with ``seam_entering``; else the plain step between those two), and between tones
    turned over where it leaves the hole (0.47 and 0.56 about a seam of 0.455): planks of
    varied tones, the seam between them one line."""
    across, along, ground = _line_frame(rng)
    right = np.clip(across + 0.5, 0.0, 1.0)  # 0 left of the seam, 1 right of it
    seam = np.clip(1.5 - np.abs(across), 0.0, 1.0)  # 1 within 0.5 px of it, 0 from 1.5 px on
    sides = 0.66 - 0.21 * right
    edge = sides + (0.42 - sides) * seam
    near = edge if seam_entering else np.where(along <= 0, sides, edge)
    far = 0.47 + 0.09 * right
    far = far + (0.455 - far) * seam
    grey = np.where((along > 0) & (along <= SMALL_HOLE + 24), far, near)
    return _rgb(grey + 0.005 * ground / ground.std())


@pytest.mark.parametrize("seed", range(3))
def test_a_seam_between_tones_turned_over_is_one_line(seed):
    """A seam (a dark groove) at both ends of a pair is one line across the hole even where the
    tones beside it turn over by a different step (the light side 0.21 lighter where it enters,
    0.09 darker where it leaves: ``_TURN_RATIO`` alone rejects it; the 1K loft's plank seams,
    a light ridge on Kiara's dawn slope); a plain step at one end and a seam at the other is not one
    line (the plaza's dark tile going on as a joint)."""
    from pano_inpaint.generators.patchmatch._lines import find_lines

    y, x = _grid()
    centre = (SIZE - 1) / 2
    hole = np.hypot(y - centre, x - centre) <= SMALL_HOLE
    lines = find_lines(_seam_across_the_hole(np.random.default_rng(seed), True), hole, FACE)
    assert any(line.end is None and not line.traced
               and abs((line.point - centre) @ LINE_NORMAL) <= 2.5 for line in lines), lines
    lines = find_lines(_seam_across_the_hole(np.random.default_rng(seed), False), hole, FACE)
    assert not any(line.end is None and not line.traced for line in lines), lines


@pytest.mark.parametrize("seed", range(3))
def test_a_line_fading_beyond_the_hole_is_still_one_line(seed):
    """Where the line leaves the hole its step is faint (0.03, turned over: the 1K warehouse's
    concrete floor edge fading into its grain, contrast under ``_TURN_CONTRAST``),
    the turn-over is chance, not another edge: the pair is one line."""
    from pano_inpaint.generators.patchmatch._lines import find_lines

    y, x = _grid()
    centre = (SIZE - 1) / 2
    hole = np.hypot(y - centre, x - centre) <= SMALL_HOLE
    lines = find_lines(_edge_across_the_hole(np.random.default_rng(seed), 0.68), hole, FACE)
    assert any(line.end is None and not line.traced
               and abs((line.point - centre) @ LINE_NORMAL) <= 2.5 for line in lines), lines


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_ends_agree_whichever_way_the_line_points_and_says_nothing_without_an_end(sign):
    """``_ends_agree`` reads each end's cross-section beyond the hole, away from it, whichever
    way the fitted line's direction points (fails when the direction is not turned from where
    the line enters to where it leaves: one end is read inside the hole, "nothing against");
    a hole that runs on to the tile's edge leaves no known rows beyond that end, which says
    nothing against the pair (fails when it rejects it)."""
    from pano_inpaint.generators.patchmatch._lines import Line, _ends_agree, _reduced

    y, x = _grid()
    centre = np.full(2, (SIZE - 1) / 2)
    along = np.array([LINE_NORMAL[1], -LINE_NORMAL[0]])  # (dy, dx), towards ``leaving``'s side
    line = Line(centre, sign * along, 2.0)
    enter, leave = centre - SMALL_HOLE * along, centre + SMALL_HOLE * along
    hole = np.hypot(y - centre[0], x - centre[1]) <= SMALL_HOLE
    for leaving, agree in ((0.35, True), (0.77, False)):
        image = _edge_across_the_hole(np.random.default_rng(0), leaving)
        assert _ends_agree(_reduced(image, ~hole), line, enter, leave, 6.0, FACE) is agree
    # The hole runs on beyond where the line leaves it, to the tile's edge.
    way = (y - centre[0]) * along[0] + (x - centre[1]) * along[1]
    across = (y - centre[0]) * LINE_NORMAL[0] + (x - centre[1]) * LINE_NORMAL[1]
    beyond = hole | ((way > 0) & (np.abs(across) <= SMALL_HOLE))
    assert _ends_agree(_reduced(image, ~beyond), line, enter, leave, 6.0, FACE)


def _groove_then_ridge(sides_near: tuple[float, float], sides_far: tuple[float, float]
                       ) -> np.ndarray:
    """``_seam_across_the_hole``'s layout with a dark seam 2 px wide (0.2 under the darker
    side) where the line enters the hole and a light one (0.05 over the lighter side) where it
    leaves it; ``sides_*``: the tones left and right of the line at each end."""
    across, along, ground = _line_frame(np.random.default_rng(0))
    right = np.clip(across + 0.5, 0.0, 1.0)  # 0 left of the seam, 1 right of it
    seam = np.clip(1.5 - np.abs(across), 0.0, 1.0)  # 1 within 0.5 px of it, 0 from 1.5 px on
    (a, b), (c, d) = sides_near, sides_far
    near = a + (b - a) * right + (min(a, b) - 0.2 - (a + (b - a) * right)) * seam
    far = c + (d - c) * right + (max(c, d) + 0.05 - (c + (d - c) * right)) * seam
    grey = np.where((along > 0) & (along <= SMALL_HOLE + 24), far, near)
    return _rgb(grey + 0.005 * ground / ground.std())


def test_ends_agree_takes_a_groove_meeting_a_ridge_as_no_step_turned_over():
    """A dark seam where the line enters the hole and a light one where it leaves it: neither
    a groove at both ends nor a ridge at both (``_groove``'s shortcut is for one seam, dark or
    light the same way), so the turn test decides, as for any pair. Between level tones
    neither end is a step and nothing turns over: one line, as the docstring's rules say (both
    ends show an edge; no step's dark side turns over). Between tones that turn over by more
    than ``_TURN_RATIO`` (0.21 darker to the right, then 0.09 lighter) it is two edges (fails
    when any groove or ridge at both ends takes the shortcut, whichever way each is dark, and
    when a groove meeting a ridge is rejected outright)."""
    from pano_inpaint.generators.patchmatch._lines import Line, _ends_agree, _reduced

    y, x = _grid()
    centre = np.full(2, (SIZE - 1) / 2)
    along = np.array([LINE_NORMAL[1], -LINE_NORMAL[0]])  # (dy, dx), towards the far end
    line = Line(centre, along, 2.0)
    enter, leave = centre - SMALL_HOLE * along, centre + SMALL_HOLE * along
    known = np.hypot(y - centre[0], x - centre[1]) > SMALL_HOLE
    level = _groove_then_ridge((0.55, 0.55), (0.55, 0.55))
    assert _ends_agree(_reduced(level, known), line, enter, leave, 6.0, FACE)
    turned = _groove_then_ridge((0.66, 0.45), (0.47, 0.56))
    assert not _ends_agree(_reduced(turned, known), line, enter, leave, 6.0, FACE)


def test_an_unsure_pair_crossing_a_sure_line_in_the_hole_is_dropped():
    """Chichen Itza's tourists: a dirt edge paired with a balustrade's edge (unsure: two
    edges that line up) was drawn at 21 degrees across the two sure lines of the grass strip,
    inside the hole: a zig-zag of steps. It goes; one crossing outside the hole, one nearly
    parallel, and a sure one stay (fails without the rule: all are kept)."""
    from pano_inpaint.generators.patchmatch._lines import Line, _without_unsure_crossings

    hole = np.zeros((64, 64), bool)
    hole[24:40, 24:40] = True
    level = Line(np.array([32.0, 0.0]), np.array([0.0, 1.0]), 2.0)  # sure, across the hole
    turn = np.radians(21.0)
    slanted = np.array([np.sin(turn), np.cos(turn)])
    inside = Line(np.array([32.0, 32.0]) - 20 * slanted, slanted, 2.0, sure=False)
    outside = Line(np.array([32.0, 4.0]), slanted, 2.0, sure=False)  # meets it left of the hole
    near = np.array([np.sin(np.radians(5.0)), np.cos(np.radians(5.0))])
    parallel = Line(np.array([30.0, 32.0]), near, 2.0, sure=False)
    steep = Line(np.array([0.0, 10.0]), np.array([1.0, 0.0]), 2.0)  # sure, left of the hole
    kept = _without_unsure_crossings([level, inside, outside, parallel, steep], hole)
    assert [id(line) for line in kept] == [id(level), id(outside), id(parallel), id(steep)]


@pytest.mark.parametrize("seen_from_above", [False, True])
def test_a_lattice_on_a_valleys_floor_gives_way_to_a_floor_seen_from_above(
        rng, monkeypatch, seen_from_above):
    """A lattice found only on a valley's floor (``Lattice.floor``) is the weakest find: where
    the floor's lattice seen from above is found too (the 2K loft's ceiling beside a stroke:
    0.92 against 0.31), the hole follows that one; looked for once either way."""
    import dataclasses

    from pano_inpaint.generators.patchmatch import generator as module

    image, hole = _stripes(rng), _hole()
    found = find_lattice(image, ~hole)
    assert found is not None
    monkeypatch.setattr(module, "find_lattice",
                        lambda *args, **kwargs: dataclasses.replace(found, floor=True))
    calls = []

    def plane_lattice(self, problem, i, radius):
        calls.append(i)
        if not seen_from_above:
            return None
        return (module._Along(np.array([[0, 1]]), problem.hole[i].copy(), "floor lattice"),
                "floor lattice seen from above (test)")

    monkeypatch.setattr(module.PatchMatch, "_plane_lattice", plane_lattice)
    tiles = _tiles(image, hole)
    PatchMatch(stripes=False).inpaint(tiles)
    assert len(calls) == 1
    assert any("seen from above (test)" in note for note in tiles.notes) == seen_from_above
    assert any("filled along the lattice first" in note for note in tiles.notes) != (
        seen_from_above)


@pytest.mark.parametrize(("radius", "kept"), [(44, True), (5, False)])
def test_a_lattice_on_a_valleys_floor_fills_only_a_deep_hole(rng, monkeypatch, radius, kept):
    """A hole less than 0.15 of the face deep keeps its lines (a lake's ripples round an
    object at a cube corner: -0.91 dB along the valley); a deep one follows the valley."""
    import dataclasses

    from pano_inpaint.generators.patchmatch import generator as module

    image = _stripes(rng)
    found = find_lattice(image, ~_hole())
    assert found is not None
    monkeypatch.setattr(module, "find_lattice",
                        lambda *args, **kwargs: dataclasses.replace(found, floor=True))
    y, x = _grid()
    hole = np.hypot(y - (SIZE - 1) / 2, x - (SIZE - 1) / 2) <= radius
    tiles = _tiles(image, hole)
    PatchMatch(stripes=False).inpaint(tiles)
    assert any("filled along the lattice" in note for note in tiles.notes) == kept


def _peel_columns(step: float, first_hole_column: int, rng) -> np.ndarray:
    """The lattice peel of a noise tile along one shift ``(0, -step)``, column by column from
    ``first_hole_column`` rightwards (every pixel left of it known, the whole tile a valid
    source): each pixel's source column (``(P, P)`` int, -1 where not filled)."""
    from pano_inpaint.generators.patchmatch._offset_kernels import lattice_peel
    from pano_inpaint.generators.patchmatch._pyramid import Level, build_bank

    face, pad, radius = 80, 8, 2
    size = face + 2 * pad
    image = rng.uniform(0, 1, (size, size, 3)).astype(np.float32)
    bank = build_bank(image[None], np.zeros((1, size, size), bool), (DOWN,), Level(face, pad),
                      radius, 10.0, 0.0)
    src = (bank.image, bank.valid, bank.boxes, bank.usable, bank.geo, bank.frames_for(DOWN))
    hole = np.zeros((size, size), bool)
    hole[:, first_hole_column:] = True
    filled = ~hole
    target = image.copy()
    nnf = (np.full((size, size), -1, np.int32), np.zeros((size, size), np.int32),
           np.zeros((size, size), np.int32), np.zeros((size, size), np.float32))
    residual = np.zeros((size, size, 2), np.float32)
    identity = np.eye(3)
    rows = np.arange(radius, size - radius)
    for column in range(first_hole_column, size - radius):
        xs = np.full(rows.size, column, np.int64)
        lattice_peel(target, filled, hole, rows, xs, src, radius, 0, identity, identity,
                     np.array([[0.0, -step]]), 1, 0.0, 0.0, nnf, residual)
        filled[rows, xs] = nnf[0][rows, xs] >= 0
    return np.where(nnf[0] >= 0, nnf[2], -1)


@pytest.mark.parametrize("finer", [0.0, 1.0])
def test_the_lattice_peel_prefers_a_source_that_shows_the_plane_no_finer(finer, rng):
    """On a plane seen in perspective a source where the tile shows the plane finer than at
    its target (farther off) is a blur copied there: of two sources alike, the one where a
    grid pixel is smaller on the tile costs more (``finer``, the power of the copy's
    magnification). Here the grid's ``w`` grows to the right (the plane recedes to the left),
    the tile's columns repeat every 10 px, and the two shifts reach 20 and 10 px back: equal
    matches, the first tried wins without the weight, the nearer with it."""
    from pano_inpaint.generators.patchmatch._offset_kernels import lattice_peel
    from pano_inpaint.generators.patchmatch._pyramid import Level, build_bank

    face, pad, radius, first = 80, 8, 2, 50
    size = face + 2 * pad
    period = rng.uniform(0, 1, (size, 10, 3)).astype(np.float32)
    image = np.tile(period, (1, size // 10 + 1, 1))[:, :size].copy()
    image[:, first - 3:first] += 0.1  # neither source matches the hole's border exactly
    bank = build_bank(image[None], np.zeros((1, size, size), bool), (DOWN,), Level(face, pad),
                      radius, 10.0, 0.0)
    src = (bank.image, bank.valid, bank.boxes, bank.usable, bank.geo, bank.frames_for(DOWN))
    hole = np.zeros((size, size), bool)
    hole[:, first:] = True
    nnf = (np.full((size, size), -1, np.int32), np.zeros((size, size), np.int32),
           np.zeros((size, size), np.int32), np.zeros((size, size), np.float32))
    residual = np.zeros((size, size, 2), np.float32)
    rows = np.arange(radius + 1, size - radius - 1)
    xs = np.full(rows.size, first, np.int64)
    to_grid = np.array([[1.0, 0, 0], [0, 1, 0], [1e-4, 0, 1]])
    lattice_peel(image.copy(), ~hole, hole, rows, xs, src, radius, 0, to_grid,
                 np.linalg.inv(to_grid), np.array([[0.0, -20.0], [0.0, -10.0]]), 2, 0.0,
                 finer, nnf, residual)
    assert (nnf[0][rows, first] == 0).all()
    assert (nnf[2][rows, first] == first - (10 if finer else 20)).all()


def test_copies_of_copies_land_on_the_exact_steps_not_the_rounded_ones(rng):
    """Along a shift of 6.4 px each copy rounds its step to a whole pixel; a copy of a copy
    composes the exact positions, so a pixel n steps into the hole copies the pixel n exact
    steps back (to the nearest), not n rounded steps back (0.4 px more each: 2.4 px off at six
    steps, the drift that doubled tiles' joints where two fronts met)."""
    step, first = 6.4, 30
    sources = _peel_columns(step, first, rng)
    ys, xs = np.nonzero(sources >= 0)
    assert xs.max() - first >= 6 * step  # chains six steps long and more
    distance = xs - sources[ys, xs]
    steps = np.rint(distance / step)
    assert (steps >= 1).all()
    assert np.abs(distance - steps * step).max() <= 0.5


@pytest.mark.parametrize("whole_step", [_offsets._WHOLE_STEP, np.inf])
def test_a_grid_s_valley_shift_is_no_lattice_vector(whole_step, monkeypatch):
    """The hall ceiling's grid under a 45-degree zenith cap: besides its basis (66.2, -8.9)
    and (8.9, 66.2), dipping at 0.79, the search found (68.2, 5.7) dipping at 0.30, one cell
    along the first and 0.22 of one along the second (the joints along the second axis stay in
    place, the others move), and copies at it broke the joints. A dominant offset is a lattice
    vector only where it is a whole step of the basis (2a + b is) or dips nearly as sharply
    as the strongest (a true step the basis missed); with the bound at infinity the valley
    shift is one."""
    monkeypatch.setattr(_offsets, "_WHOLE_STEP", whole_step)
    a, b = np.array([66.19, -8.91]), np.array([8.91, 66.21])
    valley, whole, missed = a + 0.22 * b, 2 * a + b, a + 0.5 * b
    offsets = np.array([a, -a, b, -b, missed, -missed, whole, -whole, valley, -valley])
    strength = np.array([0.79, 0.79, 0.78, 0.78, 0.7, 0.7, 0.5, 0.5, 0.3, 0.3])
    lattice = Lattice(offsets, strength, np.zeros(10, bool))
    vectors = lattice.vectors(200.0, exact=True)
    assert any(np.allclose(v, whole) for v in vectors)
    assert any(np.allclose(v, missed) for v in vectors)
    assert any(np.allclose(v, valley) for v in vectors) == (whole_step == np.inf)
    # Stripes (one direction, no basis to be whole steps of) keep every dominant offset.
    half = 1.5 * a
    stripes = Lattice(np.array([a, -a, half, -half]), np.full(4, 0.5), np.zeros(4, bool))
    assert any(np.allclose(v, half) for v in stripes.vectors(200.0, exact=True))


def test_exact_lattice_vectors_are_the_whole_ones_unrounded():
    """The fill copies along the whole vectors, in their order; given exactly, each is the
    combination of the basis (or the dominant offset) it was rounded from."""
    a, b = np.array([6.4, 1.3]), np.array([-2.2, 9.7])
    lattice = Lattice(np.array([a, -a, b, -b]), np.full(4, 0.5), np.zeros(4, bool))
    whole, exact = lattice.vectors(60.0), lattice.vectors(60.0, exact=True)
    assert exact.dtype == np.float64 and len(exact) > 20
    assert np.array_equal(np.rint(exact).astype(np.int64), whole)
    coefficients = np.linalg.solve(np.stack([a, b]).T, exact.T)
    assert np.abs(coefficients - np.round(coefficients)).max() < 1e-9


def _joint_grid(period: int, alternate: bool, size: int = 200) -> np.ndarray:
    """``(size, size, 3)`` float32: white tiles ``period`` px wide with 2-px dark joints, the
    tiles' tones alternating as a checkerboard (``alternate``) or all one."""
    y, x = np.mgrid[0:size, 0:size]
    tone = np.full((size, size), 0.85, np.float32)
    if alternate:
        tone[((y // period) + (x // period)) % 2 == 1] = 0.65
    tone[(y % period < 2) | (x % period < 2)] = 0.2
    return np.repeat(tone[..., None], 3, axis=2)


@pytest.mark.parametrize("alternate", [True, False])
def test_half_steps_are_taken_where_they_repeat_the_joints(alternate):
    """A grid whose tiles alternate in tone is found at twice its joints' period; its half
    steps repeat the joints (not the tones) and are kept. On a grid of one tone found at its
    period, half a step is out of phase: none."""
    period = 20
    image = _joint_grid(period, alternate)
    known = np.ones(image.shape[:2], bool)
    known[60:140, 60:140] = False
    step = 2 * period if alternate else period
    a, b = np.array([0.0, float(step)]), np.array([float(step), 0.0])
    lattice = Lattice(np.array([a, -a, b, -b]), np.full(4, 0.5), np.zeros(4, bool))
    halves = _offsets.half_steps(image, known, lattice)
    if not alternate:
        assert halves is None
        return
    assert halves is not None
    kept = {tuple(np.round(v).astype(int)) for v in halves.offsets}
    assert {(0, period), (period, 0)} <= kept


def test_of_two_unsure_pairs_crossing_in_the_hole_the_one_with_less_evidence_is_dropped():
    """A forest's fallen log ending at a bush's hole paired with five edges beyond it (all
    unsure: edges that merely line up), a fan of streaks drawn through the bush. Of two unsure
    pairs crossing inside the hole at more than ``_UNSURE_CROSSING``, the later one
    (``lines_and_edges`` orders them longest evidence first) goes; one crossing the first
    outside the hole, one nearly parallel to it and a sure one stay (fails without the rule:
    all are kept)."""
    from pano_inpaint.generators.patchmatch._lines import (
        Line,
        _without_unsure_crossing_pairs,
    )

    hole = np.zeros((64, 64), bool)
    hole[24:40, 24:40] = True
    first = Line(np.array([32.0, 0.0]), np.array([0.0, 1.0]), 2.0, sure=False)
    turn = np.radians(30.0)
    slanted = np.array([np.sin(turn), np.cos(turn)])
    inside = Line(np.array([32.0, 32.0]) - 20 * slanted, slanted, 2.0, sure=False)
    outside = Line(np.array([32.0, 4.0]), slanted, 2.0, sure=False)  # meets it left of the hole
    near = np.array([np.sin(np.radians(15.0)), np.cos(np.radians(15.0))])
    parallel = Line(np.array([30.0, 32.0]), near, 2.0, sure=False)  # 15 degrees: one family
    sure = Line(np.array([32.0, 32.0]) - 20 * slanted, slanted, 2.0)
    kept = _without_unsure_crossing_pairs([first, inside, outside, parallel, sure], hole)
    assert [id(line) for line in kept] == [id(first), id(outside), id(parallel), id(sure)]
    # The order decides which of the two goes: the slanted one first keeps it.
    kept = _without_unsure_crossing_pairs([inside, first], hole)
    assert [id(line) for line in kept] == [id(inside)]

"""PatchMatch's dominant offsets on valleys: a shift along which a texture matches itself all
the way (stripes, planks) is filled as stripes, one at isolated points (tiles, bricks) as a
lattice (``_offsets._on_valley``, ``_offsets._valley_floor``).

The unit tests draw a map of mean squared differences (``msd``, one value per shift, the zero
shift at its centre) with dips where a texture would match itself; the others take the down
tile of a rendered scene under a 45-degree nadir cap at 1024 px (the pipeline's tile there:
328 px and a padding of 41)."""

from __future__ import annotations

import cv2
import numpy as np

from pano_inpaint.eval.scenes import render_scene
from pano_inpaint.generators import CubeTiles
from pano_inpaint.generators.patchmatch import PatchMatch, _offsets
from pano_inpaint.generators.patchmatch._offsets import find_lattice, pair_msd
from pano_inpaint.geometry.cubemap import erp_to_cube
from pano_inpaint.masks import nadir_mask

CENTRE = 120  # the zero shift's index in the drawn maps
STRENGTH = 0.3  # find_lattice's min_strength


def _shifts() -> tuple[np.ndarray, np.ndarray]:
    return np.mgrid[-CENTRE:CENTRE + 1, -CENTRE:CENTRE + 1].astype(np.float64)


def _lattice_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1 everywhere, with a narrow dip to 0.2 at each whole combination of ``a`` and ``b``."""
    dy, dx = _shifts()
    msd = np.ones_like(dy)
    for i in range(-12, 13):
        for j in range(-12, 13):
            py, px = i * a + j * b
            msd -= 0.8 * np.exp(-((dy - py) ** 2 + (dx - px) ** 2) / 2.0)
    return np.maximum(msd, 0.2)


def _valley_map(direction: np.ndarray, fade: float) -> np.ndarray:
    """1 everywhere, with a narrow valley through the zero shift along ``direction`` whose
    depth fades with the distance along it (``exp(-r / fade)``)."""
    dy, dx = _shifts()
    unit = direction / np.hypot(*direction)
    across = dy * unit[1] - dx * unit[0]
    along = np.abs(dy * unit[0] + dx * unit[1])
    return 1.0 - 0.8 * np.exp(-across**2 / 2.0) * np.exp(-along / fade)


def _valid() -> np.ndarray:
    return np.ones((2 * CENTRE + 1,) * 2, bool)


def test_half_a_double_step_is_a_dip_but_no_valley():
    """Twice a lattice step has a dip at its half (the step itself): the half alone took a
    checkerboard's double diagonal for stripes; its thirds and quarters are no dips."""
    a, b = np.array([20.0, 6.0]), np.array([-6.0, 20.0])
    msd = _lattice_map(a, b)
    shifts = np.array([2 * a, a, a + b])
    assert not _offsets._on_valley(msd, _valid(), shifts, CENTRE, STRENGTH).any()


def test_every_fraction_of_a_shift_along_a_valley_is_a_dip():
    direction = np.array([9.0, 4.0])
    msd = _valley_map(direction, fade=1e9)
    shifts = np.array([2 * direction, 5 * direction, 10 * direction])
    assert _offsets._on_valley(msd, _valid(), shifts, CENTRE, STRENGTH).all()


def test_a_valley_that_fades_is_found_on_its_floor():
    """A valley that rises from the centre holds no local minimum; its floor is taken on the
    longest circle where it is still a sharp dip, along the valley."""
    direction = np.array([9.0, 4.0])
    floor = _offsets._valley_floor(_valley_map(direction, fade=100.0), _valid(), CENTRE,
                                   STRENGTH)
    assert floor is not None
    shift = floor - CENTRE
    assert np.hypot(*shift) >= 24
    unit = direction / np.hypot(*direction)
    assert abs(shift[0] * unit[1] - shift[1] * unit[0]) <= 1.0  # on the valley, to a pixel


def test_a_valley_too_short_for_its_direction_is_not_taken():
    """Faded out before 24 px (sharp at 16): a pixel across at 16 px is 3.6 degrees, too
    rough a direction to copy along across a hole."""
    msd = _valley_map(np.array([9.0, 4.0]), fade=20.0)
    assert _offsets._valley_floor(msd, _valid(), CENTRE, STRENGTH) is None


def test_a_lattice_has_no_valley_floor():
    msd = _lattice_map(np.array([20.0, 6.0]), np.array([-6.0, 20.0]))
    assert _offsets._valley_floor(msd, _valid(), CENTRE, STRENGTH) is None


def _down_tile(scene: str, seed: int, supersample: int) -> tuple[np.ndarray, np.ndarray]:
    image = render_scene(scene, 1024, seed=seed, supersample=supersample)
    mask = cv2.dilate(nadir_mask(512, 1024, 45).astype(np.uint8), np.ones((5, 5), np.uint8))
    tile = erp_to_cube(image.astype(np.float32) / 255, 328, pad=41, face_ids=["D"])[0]
    hole = erp_to_cube(mask.astype(np.float32), 328, pad=41, interpolation="nearest",
                       face_ids=["D"])[0] > 0.5
    return tile, hole


def test_a_checkerboard_seen_through_a_ring_is_a_lattice_not_stripes():
    """The plaza's checkerboard, seed 1: the sharpest shift is twice a diagonal of its cells.
    Taken for stripes (its half dips), the fill smeared the down face into bands (15.77 dB;
    as a lattice of two directions 17.69)."""
    tile, hole = _down_tile("plaza_tiles", 1, 1)
    lattice = find_lattice(tile, ~hole)
    assert lattice is not None
    assert not lattice.along.any()
    a, b, _ = lattice.basis()
    assert b is not None


def test_planks_whose_grain_fades_along_them_are_found_along_them():
    """The loft's planks, seed 1: their grain matches itself less and less along the boards,
    so no minimum lies on the valley and no lattice was found (fog, 23.52 dB); along the
    valley's floor the boards continue across the cap (24.27)."""
    tile, hole = _down_tile("loft_planks", 1, 2)
    lattice = find_lattice(tile, ~hole)
    assert lattice is not None
    assert lattice.along[0]
    shift = np.rint(lattice.offsets[0]).astype(int)
    # Along the boards the whole (known) floor matches itself far better than across them.
    truth = erp_to_cube(render_scene("loft_planks", 1024, seed=1, supersample=2).astype(
        np.float32) / 255, 328, pad=41, face_ids=["D"])[0]
    everywhere = np.ones(truth.shape[:2], bool)
    along = pair_msd(truth, everywhere, int(shift[0]), int(shift[1]), 1)
    across = pair_msd(truth, everywhere, int(shift[1]), -int(shift[0]), 1)
    assert along < 0.5 * across


def test_a_lattice_seen_through_a_thin_ring_is_measured_over_its_long_steps():
    """The yard's bricks under a 50-degree cap, seed 1: measured on one step through the thin
    ring, the basis was 0.12-0.15 px off the one the whole floor shows, and copies from
    opposite sides of the ring met 1-2 px apart (a seam through the joints); measured over its
    multiples, each step is within 0.05 px of it."""
    image = render_scene("yard_bricks", 1024, seed=1).astype(np.float32) / 255
    mask = cv2.dilate(nadir_mask(512, 1024, 50).astype(np.uint8), np.ones((5, 5), np.uint8))
    tile = erp_to_cube(image, 328, pad=41, face_ids=["D"])[0]
    hole = erp_to_cube(mask.astype(np.float32), 328, pad=41, interpolation="nearest",
                       face_ids=["D"])[0] > 0.5
    lattice = find_lattice(tile, ~hole)
    assert lattice is not None
    a, b, _ = lattice.basis()
    assert b is not None
    whole_floor = _offsets.refine_on_long_steps(
        _offsets.Lattice(np.array([a, -a, b, -b]), np.ones(4), np.zeros(4, bool)), tile,
        np.ones(hole.shape, bool))
    for found, floor in zip((a, b), whole_floor.basis()[:2], strict=True):
        assert np.hypot(*(found - floor)) <= 0.05


def test_a_map_smaller_than_the_valleys_circles_has_no_floor():
    """A small tile's map (87 shifts across) does not reach the 48 px circle."""
    small = 43
    dy, dx = np.mgrid[-small:small + 1, -small:small + 1].astype(np.float64)
    msd = 1.0 - 0.8 * np.exp(-(dy * 4 - dx * 9) ** 2 / (2 * 97.0))
    valid = np.ones(msd.shape, bool)
    floor = _offsets._valley_floor(msd, valid, small, STRENGTH)
    assert floor is None or np.hypot(*(floor - small)) < small


def _two_wide_lines(seed: int, scale: int = 1
                    ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Two dark lines 5 px wide, at 12 and 100 degrees, crossing in a hole (30 px radius) on a
    plain ground, on a 192 px tile (all of it ``scale`` times larger): the truth, the hole and
    each pixel's distance from each line."""
    size = 192 * scale
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    ground = cv2.GaussianBlur(np.random.default_rng(seed).normal(0, 0.05, (size, size)),
                              (0, 0), 1.0 * scale)
    grey = 0.8 + ground
    distances = []
    for degrees in (12, 100):
        t = np.radians(degrees)
        distances.append(np.abs(-(x - size / 2 - 3 * scale) * np.sin(t)
                                + (y - size / 2 + 2 * scale) * np.cos(t)))
        edge = (distances[-1] - 2.5 * scale) / scale
        grey = np.where(edge < 0, 0.35, np.where(edge < 1, grey * edge + 0.35 * (1 - edge), grey))
    image = np.repeat(grey[..., None], 3, axis=-1).astype(np.float32)
    return image, np.hypot(y - size / 2, x - size / 2) <= 30 * scale, distances


def test_two_dark_lines_crossing_give_a_lattice_search_an_end():
    """Two dark lines 5 px wide crossing on a plain ground: a shift along either matches it
    all along, and a basis step's multiples were walked back to the step itself, which was
    halved for ever (an OverflowError from the default generator's lattice search)."""
    image, hole, _ = _two_wide_lines(3)
    image[hole] = 0
    lattice = find_lattice(image, ~hole)  # returns, whatever it finds
    if lattice is not None:
        assert np.isfinite(lattice.offsets).all()
    # And the default generator fills the tile (its face 160 px, padded by 16).
    out = PatchMatch().inpaint(CubeTiles(image[None], hole[None], (0,), 160, 16))[0]
    assert np.isfinite(out).all() and np.array_equal(out[~hole], image[~hole])


def test_two_dark_lines_crossing_are_continued_as_lines_not_as_a_lattice_of_their_steps():
    """The two lines make a lattice of 6 px steps along each (``_grid_of_lines``) and nothing
    else repeats: copied along its steps the hole held dotted lines at 0.16-0.19 of their
    contrast; with the lines' bands left out of the ring no lattice is found, and the line
    step continues both (0.78-0.99 at seeds 3-5). The same tile twice as large (lines 10 px
    wide, 3% of the 320 px face): 0.84-0.99."""
    for seed, scale in ((3, 1), (4, 1), (3, 2)):
        truth, hole, distances = _two_wide_lines(seed, scale)
        image = truth.copy()
        image[hole] = 0
        lattice = find_lattice(image, ~hole)
        assert lattice is not None and lattice.basis()[1] is not None
        tiles = CubeTiles(image[None], hole[None], (0,), 160 * scale, 16 * scale)
        out = PatchMatch().inpaint(tiles)[0].mean(axis=-1)
        assert any("continued across the hole" in note for note in tiles.notes)
        grey = truth.mean(axis=-1)
        ground = hole & (distances[0] > 5 * scale) & (distances[1] > 5 * scale)
        for distance in distances:
            on = hole & (distance <= 1.5 * scale)
            contrast = (out[ground].mean() - out[on].mean()) / (grey[ground].mean()
                                                                 - grey[on].mean())
            assert contrast >= 0.7


def test_a_checker_of_small_cells_stays_a_lattice_beside_its_lines():
    """Steps as short as two crossing lines' (cells 5 and 6 px: steps of 5 and 13 px) with
    edges crossing the hole along them: a checker's many parallel edges are not one line each
    way, and its fill is its lattice's."""
    y, x = np.mgrid[0:104, 0:104].astype(np.float64)
    hole = np.hypot(y - 51.5, x - 51.5) <= 24
    for cell in (5.0, 6.0):
        cells = (np.floor((y * 0.8 + x * 0.6) / cell) + np.floor((-y * 0.6 + x * 0.8) / cell))
        grey = 0.3 + 0.4 * (cells.astype(int) % 2) + np.random.default_rng(0).normal(
            0, 0.02, y.shape)
        image = np.repeat(grey[..., None], 3, axis=-1).astype(np.float32)
        image[hole] = 0
        lattice = find_lattice(image, ~hole)
        assert lattice is not None and max(np.hypot(*step) for step in lattice.basis()[:2]) <= 16
        tiles = CubeTiles(image[None], hole[None], (5,), 88, 8)
        PatchMatch().inpaint(tiles)
        assert any("along the lattice" in note for note in tiles.notes)

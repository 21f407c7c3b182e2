"""PatchMatch's stripes step: a deep hole in a one-direction texture (planks whose joints fall
at random, so it repeats across the planks but not along them) on a tile that sees its floor
from above is filled along the planks, which continue straight across the hole in place.

The floor is drawn directly in down-face tile pixels (seen from straight above, a floor has a
uniform scale on the tile)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pano_inpaint.eval.scenes import render_scene
from pano_inpaint.generators import CubeTiles
from pano_inpaint.generators.patchmatch import PatchMatch, _stripes
from pano_inpaint.generators.patchmatch._lines import Line
from pano_inpaint.generators.patchmatch._offsets import Lattice
from pano_inpaint.generators.patchmatch._stripes import (
    find_stripes,
    lattice_stripes,
    stripes_light,
    stripes_line,
)
from pano_inpaint.geometry.cubemap import erp_to_cube
from pano_inpaint.masks import nadir_mask
from pano_inpaint.pipeline import inpaint

FACE, PAD = 120, 8
SIZE = FACE + 2 * PAD
DOWN, UP, FRONT = 5, 4, 0
PLANK = 8.0  # px across a plank, its gap included
HOLE_RADIUS = 50
ANGLE = np.radians(33.0)
ACROSS = np.array([np.cos(ANGLE), -np.sin(ANGLE)])  # (y, x): across the planks
ALONG = np.array([np.sin(ANGLE), np.cos(ANGLE)])  # (y, x): along them


def _grid() -> tuple[np.ndarray, np.ndarray]:
    return np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)


def _planks(rng: np.random.Generator, angle: float = ANGLE) -> np.ndarray:
    """Planks 8 px wide at 33 degrees (or ``angle``, radians) with a dark gap between them,
    each cut into boards of random lengths (16-60 px, the joints at random along each plank),
    each board with its own tone, and a faint grain along them."""
    y, x = _grid()
    across = (y * np.cos(angle) - x * np.sin(angle)) / PLANK
    along = y * np.sin(angle) + x * np.cos(angle)
    plank = np.floor(across).astype(int)
    start = along.min() - 1
    board = np.zeros((SIZE, SIZE), int)
    tone = np.zeros((SIZE, SIZE))
    for k in np.unique(plank):
        cuts = start - rng.uniform(0, 60) + np.cumsum(rng.uniform(16, 60, 64))
        mine = plank == k
        board[mine] = np.searchsorted(cuts, along[mine])
        tones = rng.uniform(-0.08, 0.08, 65)
        tone[mine] = tones[board[mine]]
    gap = np.clip(1.0 - np.abs(across - np.round(across)) * PLANK, 0.0, 1.0)  # ~2 px wide
    grain = 0.02 * np.sin(2 * np.pi * (across * PLANK) / 2.7 + rng.uniform(0, 6))
    grey = 0.5 + tone + grain - 0.3 * gap + 0.01 * rng.standard_normal((SIZE, SIZE))
    return np.clip(np.stack([grey, 0.8 * grey, 0.55 * grey], axis=-1), 0, 1).astype(np.float32)


def _hole() -> np.ndarray:
    y, x = _grid()
    centre = (SIZE - 1) / 2
    return np.hypot(y - centre, x - centre) <= HOLE_RADIUS


def _tiles(image: np.ndarray, hole: np.ndarray, face: int = DOWN) -> CubeTiles:
    blanked = image.copy()
    blanked[hole] = 0
    return CubeTiles(blanked[None], hole[None], (face,), FACE, PAD)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(11)


def test_find_stripes_gives_the_planks_direction(rng):
    direction = find_stripes(_planks(rng), _hole())
    assert direction is not None
    assert abs(direction @ ALONG) > np.cos(np.radians(1.5))


def test_find_stripes_judges_a_large_tile_reduced(rng, monkeypatch):
    """A tile four times wider (an 8K face's scale against the test's) is looked at reduced to
    at most 512 px, and the planks' direction comes out the same."""
    from pano_inpaint.generators.patchmatch import _stripes

    seen = []
    judge = _stripes._find_stripes
    monkeypatch.setattr(_stripes, "_find_stripes",
                        lambda image, hole: seen.append(hole.shape) or judge(image, hole))
    big = 4 * SIZE
    image = cv2.resize(_planks(rng), (big, big), interpolation=cv2.INTER_CUBIC)
    hole = cv2.resize(_hole().astype(np.uint8), (big, big), interpolation=cv2.INTER_NEAREST) > 0
    direction = find_stripes(image, hole)
    assert seen and max(seen[0]) <= 512
    assert direction is not None
    assert abs(direction @ ALONG) > np.cos(np.radians(1.5))


def test_find_stripes_finds_nothing_in_unoriented_texture(rng):
    y, x = _grid()
    blobs = rng.standard_normal((SIZE // 4, SIZE // 4))
    grey = 0.5 + 0.1 * np.kron(blobs, np.ones((4, 4))) + 0.05 * rng.standard_normal((SIZE, SIZE))
    image = np.repeat(grey[..., None], 3, axis=2).astype(np.float32)
    assert find_stripes(image, _hole()) is None


def test_find_stripes_needs_the_orientation_on_every_side(rng):
    """Planks on one half of the ring, unoriented ground on the other: not one texture across
    the hole."""
    image = _planks(rng)
    y, x = _grid()
    other = rng.uniform(0.2, 0.8, (SIZE // 3 + 1, SIZE // 3 + 1))
    ground = np.kron(other, np.ones((3, 3)))[:SIZE, :SIZE]
    half = (y * ACROSS[0] + x * ACROSS[1]) > (SIZE - 1) / 2 * (ACROSS[0] + ACROSS[1])
    image[half] = ground[half][:, None]
    assert find_stripes(image, _hole()) is None


def _plank_floor(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 512 x 256 panorama of a plank floor one unit below the camera under a plain wall:
    planks 0.09 units wide at 33 degrees, each cut into boards of random lengths (0.25-0.8),
    each board with its own tone, a fine grain along them and faint joints between them (faint
    enough that no lattice is found: a 1K photograph's floor boards dip 0.11 at most). Returns
    the image, each pixel's position across the planks (in planks) and its polar angle from the
    nadir (degrees)."""
    height, width = 256, 512
    lat = (0.5 - (np.arange(height) + 0.5) / height) * np.pi
    lon = ((np.arange(width) + 0.5) / width - 0.5) * 2 * np.pi
    lon, lat = np.meshgrid(lon, lat)
    ray = np.stack([np.cos(lat) * np.sin(lon), np.sin(lat), np.cos(lat) * np.cos(lon)], -1)
    below = ray[..., 1] < -0.02
    reach = 1 / np.maximum(-ray[..., 1], 1e-3)
    x, z = ray[..., 0] * reach, ray[..., 2] * reach
    angle = np.radians(33.0)
    across = (x * np.cos(angle) + z * np.sin(angle)) / 0.09
    along = -x * np.sin(angle) + z * np.cos(angle)
    plank = np.floor(across).astype(int)
    tone = np.zeros((height, width))
    for k in np.unique(plank[below & (reach < 6)]):
        cuts = -20 - rng.uniform(0, 0.5) + np.cumsum(rng.uniform(0.25, 0.8, 200))
        mine = (plank == k) & below
        tone[mine] = rng.uniform(-0.08, 0.08, 201)[np.searchsorted(cuts, along[mine])]
    joint = np.clip(1 - np.abs(across - np.round(across)) * 6, 0, 1)
    grain = rng.uniform(-1, 1, 100_000)[np.floor(across * 9).astype(int) % 100_000]
    grey = np.where(below, 0.5 + tone - 0.05 * joint + 0.05 * grain, 0.7)
    grey = grey + 0.01 * rng.standard_normal((height, width))
    image = np.clip(np.stack([grey, 0.8 * grey, 0.55 * grey], -1), 0, 1).astype(np.float32)
    return image, across, np.degrees(np.arccos(np.clip(-ray[..., 1], -1, 1)))


@pytest.mark.parametrize("stripes", [True, False])
def test_planks_continue_across_a_nadir_cap_in_place(stripes):
    """Under a 40-degree nadir cap the planks of the inner half of the hole (within 20 degrees
    of the nadir) lie where the known floor's continue, within a fifth of a plank (about a
    pixel), as clearly as on the known floor. Without the stripes step they are filled along
    the valley the planks make in the tile's matches (a lattice of one shift on a valley's
    floor, ``_offsets._valley_floor``; before it, the joints were filled along as lines and
    PatchMatch did the rest: no planks in place, 0.08 of the known floor's strength)."""
    image, across, polar = _plank_floor(np.random.default_rng(3))
    result = inpaint(image, nadir_mask(256, 512, 40), generator=PatchMatch(stripes=stripes))
    inner, ring = polar < 20, (polar > 45) & (polar < 60)
    planks = np.exp(-2j * np.pi * across)

    def phase(grey: np.ndarray, region: np.ndarray) -> complex:
        return complex(np.mean(((grey - grey[region].mean()) * planks)[region]))

    truth = phase(image.mean(axis=-1), ring)
    filled = phase(result.image.mean(axis=-1), inner)
    offset = abs(np.angle(filled / truth)) / (2 * np.pi)
    placed = offset < 0.2 and abs(filled) > 0.5 * abs(truth)
    assert placed, (offset, abs(filled) / abs(truth))
    assert any("stripes along" in note for note in result.report.notes) == stripes


def test_no_stripes_shift_turns_off_the_planks(rng, monkeypatch):
    """Planks at 35 degrees: the shift (1, 1) px lies within a quarter pixel of them but 10
    degrees off their direction, and chains of it (a pixel copies what the pixel one shift on
    copies) smeared the ring's pixels across the planks (St Fagans' large cap). The stripes'
    shifts keep within ``_SLANT`` of the planks; without that bound (1, 1) is the first."""
    image, hole = _planks(rng, np.radians(35.0)), _hole()
    line = stripes_line(image, hole, DOWN, None, [])
    assert line is not None
    shifts = line.vectors(2.0 * HOLE_RADIUS)
    angle = np.arcsin(np.abs(shifts @ np.array([-line.direction[1], line.direction[0]]))
                      / np.hypot(shifts[:, 0], shifts[:, 1]))
    assert angle.max() <= _stripes._SLANT
    assert len(shifts) >= 16
    monkeypatch.setattr(_stripes, "_SLANT", 0.0)
    unbounded = stripes_line(image, hole, DOWN, None, []).vectors(2.0 * HOLE_RADIUS)
    assert np.abs(unbounded[:2]).tolist() == [[1, 1], [1, 1]]


@pytest.mark.parametrize("face", [DOWN, FRONT])
def test_a_side_face_is_not_filled_along_stripes(rng, face):
    """A side face sees its floor in perspective (planks converge): no stripes step there; the
    down face's planks are. The tile lattice step is off (``lattice_strength`` above 1): these
    planks' joints make a lattice (0.98), which the step would take first on either face."""
    tiles = _tiles(_planks(rng), _hole(), face=face)
    PatchMatch(lattice_strength=2.0).inpaint(tiles)
    assert any("stripes along" in note for note in tiles.notes) == (face == DOWN)


def test_a_line_across_the_planks_leaves_them_to_the_lines_step(rng):
    """A kerb across the planks (a light band 8 px wide through the hole) is a line the lines
    step continues: no stripes step, which would copy the planks over it."""
    image = _planks(rng)
    y, x = _grid()
    centre = (SIZE - 1) / 2
    along = (y - centre) * ALONG[0] + (x - centre) * ALONG[1]
    image[np.abs(along - 6) <= 4] = np.array([0.9, 0.88, 0.85], np.float32)
    tiles = _tiles(image, _hole())
    PatchMatch(lattice_strength=2.0).inpaint(tiles)
    assert not any("stripes along" in note for note in tiles.notes)
    assert any("continued across the hole" in note for note in tiles.notes)


def test_a_line_that_ends_in_the_hole_leaves_the_planks_to_the_stripes(rng):
    """An object's edge across the planks that ends in the hole (on a joint, at a corner)
    does not part the floor as a kerb does: the stripes still take the hole (St Fagans' large
    cap at mask seed 1 was left to the plain search by two bench edges ending on a joint).
    The same edge continued across the hole keeps them off."""
    image, hole = _planks(rng), _hole()
    centre = np.full(2, (SIZE - 1) / 2)
    start = centre - (HOLE_RADIUS + 4) * ACROSS
    ending = Line(start, ACROSS, 2.0, end=HOLE_RADIUS / 2)
    line = stripes_line(image, hole, DOWN, None, [ending])
    assert line is not None
    assert abs(line.direction @ ALONG) > np.cos(np.radians(5.0))
    crossing = Line(centre, ACROSS, 2.0)
    assert stripes_line(image, hole, DOWN, None, [ending, crossing]) is None


def test_the_stripes_fill_takes_its_coarse_band_from_the_plain_search():
    """Copies along planks bring the light of where they came from; the fill's coarse band is
    the plain search's (measured: 0.011 from it with the step, 0.032 without)."""
    image, _, _ = _plank_floor(np.random.default_rng(3))
    mask = nadir_mask(256, 512, 40)
    along = inpaint(image, mask, generator=PatchMatch())
    assert any("stripes along" in note for note in along.report.notes)
    plain = inpaint(image, mask, generator=PatchMatch(stripes=False)).image

    def coarse(a: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(a.mean(axis=-1), (0, 0), 0.04 * 128)

    assert np.abs(coarse(along.image) - coarse(plain))[mask].mean() < 0.02


def test_the_stripes_light_of_a_large_face_is_searched_on_reduced_tiles():
    """On a face of 1024 px the plain search behind the light runs on faces of 256 px (the band
    it gives is a blur of 41 px), its tiles and their six-face context alike, and comes back at
    full size; a reduced pixel holding any hole pixel is hole."""
    face, pad = 1024, 16
    side = face + 2 * pad
    rng = np.random.default_rng(0)
    image = rng.random((1, side, side, 3), dtype=np.float32)
    mask = np.zeros((1, side, side), bool)
    mask[0, 500:530, 500:530] = True
    mask[0, 7, 9] = True  # one hole pixel alone
    six = CubeTiles(np.repeat(image, 6, axis=0), np.repeat(mask, 6, axis=0), tuple(range(6)),
                    face, pad)
    tiles = CubeTiles(image.copy(), mask, (DOWN,), face, pad, context=lambda: six)
    searched = []

    def plain_fill(small):
        context = small.context()
        searched.append((small.face_size, small.pad, small.mask.shape, context.face_size,
                         bool(small.mask[0, 7 // 4, 9 // 4])))
        return small.values.copy()

    out = image.copy()
    stripes_light(tiles, out, {0: mask[0]}, plain_fill, log=False)
    assert searched == [(256, 4, (1, 264, 264), 256, True)]
    # The plain "fill" here is the tiles themselves, so the light moves them little.
    assert out.shape == image.shape
    assert np.abs(out - image)[mask].mean() < 0.05


def test_the_stripes_fill_reports_its_progress_once():
    """The light's second, plain solve does not run the fill's progress from 0 again."""
    image, _, _ = _plank_floor(np.random.default_rng(3))
    seen: list[float] = []
    result = inpaint(image, nadir_mask(256, 512, 40), generator=PatchMatch(),
                     progress=lambda fraction, stage: seen.append(fraction))
    assert any("stripes along" in note for note in result.report.notes)
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_the_stripes_light_of_linear_values_is_bounded_by_black_pixels(rng):
    """HDR tiles are corrected in :class:`LogBrightness`, where black is 0: a few black pixels
    among those filled along the planks (a dark joint copied) leave the others' light as the
    plain search's. (In a plain log with a floor of 1e-6 each black pixel was a gap of +13 in
    the blurred correction: 10% of them made the others 2-3 times brighter.)"""
    values = 4.0 * _planks(rng)
    hole = _hole()
    blanked = values.copy()
    blanked[hole] = 0
    tiles = CubeTiles(blanked[None], hole[None], (DOWN,), FACE, PAD,
                      values=blanked[None].copy())
    tiles.image = np.clip(tiles.values / 4.0, 0, 1)  # the bounded proxy the search matches on
    plain = PatchMatch(stripes=False).inpaint(tiles)
    black = hole & (rng.random(hole.shape) < 0.1)
    out = plain.copy()
    out[0][black] = 0.0
    stripes_light(tiles, out, {0: hole}, PatchMatch(stripes=False).inpaint, log=True)
    rest = hole & ~black
    ratio = out[0][rest].mean(axis=-1) / np.maximum(plain[0][rest].mean(axis=-1), 1e-6)
    assert np.median(ratio) == pytest.approx(1.0, abs=0.15)


_BLOB_CENTRE = (-15.0, -20.0)  # (y, x) from the tile's centre
_BLOB_RADIUS = 16.0


def _relit(rng: np.random.Generator, log: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Planks around a nadir-sized hole, filled with their own pixels, after
    :func:`stripes_light` with a plain search that lights the hole's right part a third
    brighter and puts a dark green blob in its left part (St Fagans' 40-degree cap): the
    planks ``(P, P, C)``, the relit fill ``(P, P, C)`` and each pixel's distance from the
    blob's centre ``(P, P)``; display-referred values or linear ones (``log``)."""
    planks, hole = _planks(rng), _hole()
    scale = 4.0 if log else 1.0
    values = scale * planks
    tiles = CubeTiles(np.where(hole[..., None], 0, values)[None], hole[None], (DOWN,), FACE,
                      PAD, values=np.where(hole[..., None], 0, values)[None])
    tiles.image = np.clip(tiles.values / scale, 0, 1)
    y, x = _grid()
    centre = (SIZE - 1) / 2
    sunlit = (x > centre + 10) & hole
    from_blob = np.hypot(y - centre - _BLOB_CENTRE[0], x - centre - _BLOB_CENTRE[1])
    blob = (from_blob < _BLOB_RADIUS) & hole

    def plain_fill(_tiles: CubeTiles) -> np.ndarray:
        fill = values.copy()
        fill[sunlit] *= 1.35
        fill[blob] = scale * np.array([0.12, 0.3, 0.1], np.float32)  # dark green
        return fill[None]

    out = values[None].copy()
    stripes_light(tiles, out, {0: hole}, plain_fill, log=log)
    return values, out[0], from_blob


@pytest.mark.parametrize("log", [False, True])
def test_the_stripes_light_takes_a_change_of_light_but_not_a_foreign_piece(rng, log):
    """The plain search's coarse band is taken where it changes the fill's brightness (a
    sunlit half of the hole, a third brighter) and left where it changes its hue (a dark green
    blob from elsewhere: St Fagans' 40-degree cap), in display-referred values and in log
    brightness alike. Without the hue test the blob came in (green over red 3.1 times the
    planks', measured)."""
    values, out, from_blob = _relit(rng, log)
    y, x = _grid()
    centre = (SIZE - 1) / 2
    lit = _hole() & (x > centre + 25)  # away from the sunlit part's edge (the band's blur)
    gain = out[lit].mean(axis=-1) / values[lit].mean(axis=-1)
    assert np.median(gain) > 1.2
    inner = from_blob < 6
    before = values[inner].mean(axis=0)
    after = out[inner].mean(axis=0)
    assert (after[1] / after[0]) / (before[1] / before[0]) < 1.1


@pytest.mark.parametrize("log", [False, True])
def test_the_stripes_light_leaves_out_a_foreign_piece_rim(rng, log):
    """The blurred band darkens a ring around the dark green blob while turning its hue less
    than the gate holds out: that rim is the blob's, not a light's, and the planks there keep
    their brightness (St Fagans' 40-degree cap at mask seed 0: a dark green rim and a yellow
    spot around the blob the gate held out). Taken as a light, the rim darkened the planks
    by 9% (display-referred) and 11% (linear), measured."""
    values, out, from_blob = _relit(rng, log)
    rim = (from_blob > _BLOB_RADIUS) & (from_blob < _BLOB_RADIUS + 8) & _hole()
    brightness = out[rim].mean() / values[rim].mean()
    assert brightness > 0.97


def _one_shift(shift: tuple[float, float], along: bool, other: tuple[float, float] | None = None
               ) -> Lattice:
    offsets = [shift, (-shift[0], -shift[1])] + ([other, (-other[0], -other[1])] if other else [])
    count = len(offsets)
    return Lattice(np.array(offsets, np.float64), np.full(count, 0.7), np.full(count, along))


def test_lattice_stripes_run_along_a_single_shift_on_a_valley():
    """A lattice of one shift along which the texture matches itself all the way (stripes,
    planks) is also stripes along that shift, on a tile that sees its floor or ceiling from
    above; a shift only at whole steps (along False), a lattice of two shifts (tiles, bricks)
    or a side face's perspective view is not."""
    shift = (44.3, 13.9)
    line = lattice_stripes(_one_shift(shift, True), DOWN, None, SIZE)
    assert line is not None and line.sure
    assert abs(line.direction @ np.array(shift)) == pytest.approx(np.hypot(*shift))
    assert lattice_stripes(_one_shift(shift, True), UP, None, SIZE) is not None
    assert lattice_stripes(_one_shift(shift, False), DOWN, None, SIZE) is None
    assert lattice_stripes(_one_shift(shift, True, (5.0, -30.0)), DOWN, None, SIZE) is None
    assert lattice_stripes(_one_shift(shift, True), FRONT, None, SIZE) is None


WORKSHOP_FACE, WORKSHOP_PAD = 656, 82


def _workshop_down_tile(width: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """The workshop's painted floor under a 50-degree nadir cap at 2048 px, on its down face's
    tile (656 px, padded by 82): the cap takes the whole face and more, and the known ring
    (about 20 px at the middle of each edge) is thinner than the step of the lattice found in
    it (about 46 px along the stripes). At 1024 px the tile is 328 px, padded by 41."""
    face, pad = WORKSHOP_FACE * width // 2048, WORKSHOP_PAD * width // 2048
    image = render_scene("workshop_stripes", width, supersample=1).astype(np.float32) / 255
    mask = nadir_mask(width // 2, width, 50).astype(np.float32)
    tile = erp_to_cube(image, face, pad=pad, face_ids=["D"])[0]
    hole = erp_to_cube(mask, face, pad=pad, face_ids=["D"], interpolation="nearest")[0] > 0.5
    # Grown by 3 px, as the pipeline grows a hole by its resampling's reach
    # (``pipeline.footprint.sampling_hole``).
    return tile, cv2.dilate(hole.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0


def test_the_stripes_of_a_lattice_fill_what_its_whole_steps_leave(monkeypatch):
    """Under a cap wider than the face the lattice's whole steps jump over the thin ring from
    most pixels; what they leave is filled along the stripes (the lattice's shift lies on a
    valley), so the stripes cross the whole cap in place. Without that step the plain search
    fills that part and the hole's error is 1.3 times as large. (Not the far ring's whole steps
    either, ``lattice_far_ring``, off for the comparison: from the ring out to the corners'
    stretch they fill that part about as well, 0.064 against the stripes' 0.065.)"""
    from pano_inpaint.generators.patchmatch import generator

    tile, hole = _workshop_down_tile()

    def fill() -> tuple[float, list[str]]:
        return _fill_tile(tile, hole, WORKSHOP_FACE, WORKSHOP_PAD)

    error, notes = fill()
    assert any("filled along the lattice and the stripes of the lattice" in n for n in notes)
    monkeypatch.setattr(generator, "lattice_stripes", lambda *args: None)
    error_without, notes_without = _fill_tile(tile, hole, WORKSHOP_FACE, WORKSHOP_PAD,
                                              lattice_far_ring=False)
    assert not any("stripes of the lattice" in n for n in notes_without)
    assert error < 0.85 * error_without, (error, error_without)


def _fill_tile(tile: np.ndarray, hole: np.ndarray, face: int, pad: int, **params: object
               ) -> tuple[float, list[str]]:
    """The down tile's hole filled alone (``params``: the generator's): the RMS error in the
    hole and the notes."""
    blanked = np.where(hole[..., None], 0, tile)
    tiles = CubeTiles(blanked[None], hole[None], (DOWN,), face, pad)
    out = PatchMatch(**params).inpaint(tiles)[0]
    return float(np.sqrt(np.mean((out[hole] - tile[hole]) ** 2))), tiles.notes


def test_a_tile_with_no_source_within_the_stretch_limit_copies_its_pattern_from_its_ring(
        monkeypatch):
    """At 1024 px the workshop's 50-degree cap leaves the down tile a ring of about 10 px,
    all of it stretched 2.4 times or more, where the search takes no source (``max_scale``
    2.5 less a patch): the lattice step copies from the ring up to the stretch of the face's
    corners, and the stripes cross the cap; held to the search's limit it finds no source, and
    the plain search fills the cap with fog (1.4 times the error)."""
    from pano_inpaint.generators.patchmatch import generator

    tile, hole = _workshop_down_tile(1024)
    face, pad = WORKSHOP_FACE // 2, WORKSHOP_PAD // 2
    error, notes = _fill_tile(tile, hole, face, pad)
    assert any("of its hole filled along the lattice" in n for n in notes), notes
    monkeypatch.setattr(generator, "_CORNER_STRETCH", PatchMatch().params.max_scale)
    error_held, notes_held = _fill_tile(tile, hole, face, pad)
    assert not any("filled along" in n for n in notes_held)
    assert error < 0.8 * error_held, (error, error_held)

"""The finishing step of PatchMatch fills: smooth structure at the hole border, detail energy
matched to the surroundings, nothing outside the hole touched."""

from __future__ import annotations

import tracemalloc

import cv2
import numpy as np
import pytest

from pano_inpaint.generators.patchmatch import _finish
from pano_inpaint.generators.patchmatch._finish import FinishScales, finish_fill
from pano_inpaint.generators.patchmatch._finish_kernels import disc_max, upsample_window
from tests.synthetic import gradient_energy

SIZE = 96


def _without_layers(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ring reads as layered (:func:`_finish._along_layers` off): for tests of the steps
    it would otherwise stand in for."""
    monkeypatch.setattr(_finish, "_ORIENTED_COHERENCE", (2.0, 3.0))


def _noise_tile(seed: int = 0, amplitude: float = 0.2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.linspace(0.3, 0.7, SIZE, dtype=np.float32)[None, :, None]
    tile = base + amplitude * (rng.random((SIZE, SIZE, 3), dtype=np.float32) - 0.5)
    return np.repeat(tile[None], 1, axis=0).astype(np.float32)


def _disc(radius: float) -> np.ndarray:
    yy, xx = np.mgrid[:SIZE, :SIZE]
    return ((yy - SIZE / 2) ** 2 + (xx - SIZE / 2) ** 2 < radius**2)[None]


def _detail_energy(tile: np.ndarray, where: np.ndarray, sigma: float) -> float:
    detail = tile - cv2.GaussianBlur(tile, (0, 0), sigma).reshape(tile.shape)
    return float(np.mean(detail[where] ** 2))


def test_only_hole_pixels_change():
    tiles, hole = _noise_tile(), _disc(20)
    tiles[hole] = 0.5
    before = tiles.copy()
    finish_fill(tiles, hole, FinishScales.of(SIZE, 0.02, 0.05, 1.5), 1.0)
    assert np.array_equal(tiles[~hole], before[~hole])
    assert not np.array_equal(tiles[hole], before[hole])


def test_weak_detail_is_raised_towards_the_surroundings_but_capped():
    truth = _noise_tile()
    hole = _disc(24)
    faint = truth.copy()
    faint[hole] = 0.5 + 0.1 * (truth[hole] - 0.5)  # the same texture, at a tenth of its contrast
    scales = FinishScales.of(SIZE, 0.01, 0.0, 1.5)
    out = faint.copy()
    finish_fill(out, hole, scales, 1.0)
    deep = _disc(24 - 4 * scales.sigma)[0]  # where the band sees only hole pixels
    before = _detail_energy(faint[0], deep, scales.sigma)
    after = _detail_energy(out[0], deep, scales.sigma)
    assert after == pytest.approx(1.5**2 * before, rel=0.05)  # capped at gain_max


def test_detail_as_strong_as_the_surroundings_is_left_alone():
    tiles, hole = _noise_tile(), _disc(20)
    out = tiles.copy()
    finish_fill(out, hole, FinishScales.of(SIZE, 0.01, 0.0, 3.0), 1.0)
    # Same statistics inside and out: the gain is 1 up to sampling noise.
    ratio = _detail_energy(out[0], hole[0], 1.0) / _detail_energy(tiles[0], hole[0], 1.0)
    assert ratio == pytest.approx(1.0, abs=0.1)


@pytest.mark.parametrize("agreement", [0.0, 0.1])
def test_thin_holes_take_the_smooth_structure(agreement):
    """A thin stripe filled with a wrong grey comes back close to the smooth continuation of
    its surroundings (a ramp), while its detail band is kept; however far the copy is from the
    smooth fill (a thin hole's smooth fill interpolates between its two sides)."""
    tiles = np.repeat(np.linspace(0.2, 0.8, SIZE, dtype=np.float32)[None, None, :, None], 3,
                      axis=-1).repeat(SIZE, axis=1)
    hole = np.zeros((1, SIZE, SIZE), bool)
    hole[0, :, 40:44] = True
    wrong = tiles.copy()
    wrong[hole] = 0.9
    finish_fill(wrong, hole, FinishScales.of(SIZE, 0.02, 0.2, 1.0, agreement=agreement), 1.0)
    assert np.abs(wrong[hole] - tiles[hole]).max() < 0.05


@pytest.mark.parametrize("layers", [False, True])
def test_an_edge_along_the_border_does_not_glow_into_a_wide_hole(monkeypatch, layers):
    """A bright sky meets textured ground right at the top of a round hole in the ground (a
    horizon tangent to it) and the hole holds a true copy of the ground. The harmonic smooth
    fill carries the sky into the hole's top rows; where it disagrees with the copy that much,
    a wide hole keeps the copy's structure. The horizon makes the ring layered, so the smooth
    structure runs along it (``layers``) and brings no sky in even without that test; without
    the layers, the agreement test alone holds the glow out."""
    if not layers:
        _without_layers(monkeypatch)
    rng = np.random.default_rng(0)
    truth = np.full((1, SIZE, SIZE, 3), 0.85, np.float32)
    truth[0, 40:] = 0.3 + 0.1 * (rng.random((SIZE - 40, SIZE, 3), dtype=np.float32) - 0.5)
    yy, xx = np.mgrid[:SIZE, :SIZE]
    hole = ((yy - 53.6) ** 2 + (xx - 48) ** 2 < 14.5**2)[None]
    assert not hole[0, :40].any() and hole[0, 40].any()  # tangent below the horizon
    top = hole[0] & (yy < 50)
    errors = {}
    for agreement in (0.0, 0.1):
        out = truth.copy()
        finish_fill(out, hole, FinishScales.of(SIZE, 0.02, 0.08, 1.0, bands=0,
                                               agreement=agreement), 1.0)
        errors[agreement] = float(np.abs(out[0][top] - truth[0][top]).mean())
    if layers:
        assert errors[0.0] < 0.02
    else:
        assert errors[0.0] > 0.05  # the glow, without the agreement test
    assert errors[0.1] < 0.02


def test_values_are_clipped_to_the_domain():
    tiles, hole = np.clip(_noise_tile(amplitude=0.9), 0, 1), _disc(20)
    tiles[hole] = 0.5 + 0.2 * (tiles[hole] - 0.5)
    finish_fill(tiles, hole, FinishScales.of(SIZE, 0.01, 0.05, 4.0), 1.0)
    assert tiles.min() >= 0.0 and tiles.max() <= 1.0


def _sky_over_land(size: int) -> np.ndarray:
    """``(1, size, size, 3)``: a plain sky (0.8) over textured land from row 40 down."""
    rng = np.random.default_rng(0)
    land = cv2.GaussianBlur(rng.standard_normal((size, size)).astype(np.float32), (0, 0), 1.5)
    truth = np.full((1, size, size, 3), 0.8, np.float32)
    truth[0, 40:] = (0.35 + 0.08 * land / land.std())[40:, :, None]
    return truth


def test_a_thin_holes_coarse_bands_keep_the_layout_across_it():
    """A person standing on the horizon: a thin hole (16 px) from a plain sky down into
    textured land, filled with the truth. A band whose blur spans the hole side to side holds
    the layout across it (sky above land), not texture; brought down to the ring's energy it
    pulled the sky part towards the land (a grey, head-shaped haze above Puy de Sancy's
    horizon: the sky here 0.03 darker). Only bands the hole is deep enough for are matched."""
    truth = _sky_over_land(SIZE)
    hole = np.zeros((1, SIZE, SIZE), bool)
    hole[0, 16:80, 40:56] = True
    out = truth.copy()
    finish_fill(out, hole, FinishScales.of(SIZE, 0.02, 0.0, 1.3, band_depth=2.0), 1.0)
    error = np.abs(out[0] - truth[0])
    assert error[16:36, 40:56].mean() < 0.002  # the sky part stays sky
    assert error[46:80, 40:56].mean() < 0.006  # the land keeps its texture


def test_a_thin_hole_keeps_its_layout_beside_a_deep_one():
    """The person of the test above with a deep hole in the land beside it, in one tile (a
    hiker beside a tripod's cap): each hole is as deep as itself, not as the deepest in the
    tile. Measured on the tile's deepest hole, the thin one's coarse bands were lowered too and
    its sky part came out 0.03 darker, the haze the depth check is there to keep out."""
    size = 2 * SIZE
    truth = _sky_over_land(size)
    hole = np.zeros((1, size, size), bool)
    hole[0, 16:80, 40:56] = True
    hole[0, 110:180, 100:170] = True  # 35 px deep: every band is lowered there
    out = truth.copy()
    finish_fill(out, hole, FinishScales.of(SIZE, 0.02, 0.0, 1.3, band_depth=2.0), 1.0)
    error = np.abs(out[0] - truth[0])
    assert error[16:36, 40:56].mean() < 0.002  # the sky part stays sky

def _lake_at_dusk(size: int) -> np.ndarray:
    """``(1, size, size, 3)``: layers seen level: a plain sky (0.7), a bright band above the
    horizon (0.9), a tree line 4 px tall on it (0.15), water below (about 0.45, its ripples
    drawn out along the rows)."""
    rng = np.random.default_rng(1)
    ripples = cv2.GaussianBlur(rng.standard_normal((size, size)).astype(np.float32), (0, 0),
                               sigmaX=4.0, sigmaY=0.8)
    truth = np.full((1, size, size, 3), 0.7, np.float32)
    truth[0, 40:48] = 0.9
    truth[0, 48:52] = 0.15
    truth[0, 52:] = (0.45 + 0.05 * ripples / ripples.std())[52:, :, None]
    return truth


def test_a_thin_hole_carries_the_layers_of_its_ring_across():
    """A person standing on a lake's horizon: a thin hole (20 px) across layers that run along
    the rows, filled with the truth. The smooth structure near the border was a harmonic
    fill, which carries a stripe narrower than the hole only part of the way in: the tree line
    came out grey, the bright band dimmed (a washed-out block with hard sides at 4K). Where
    the ring's gradients all point one way, the smooth structure runs along its layers."""
    truth = _lake_at_dusk(SIZE)
    hole = np.zeros((1, SIZE, SIZE), bool)
    hole[0, 20:90, 38:58] = True
    out = truth.copy()
    finish_fill(out, hole, FinishScales.of(SIZE, 0.02, 0.1, 1.3), 1.0)
    error = np.abs(out[0] - truth[0])
    assert error[48:52, 38:58].mean() < 0.05  # the tree line stays dark
    assert error[40:48, 38:58].mean() < 0.03  # the bright band stays bright


def test_the_ring_direction_is_found_only_where_its_gradients_agree():
    """Stripes at 30 degrees read as one direction along them; noise as none."""
    yy, xx = np.mgrid[:SIZE, :SIZE]
    angle = np.radians(30.0)
    along = np.array([np.sin(angle), np.cos(angle)])  # (dy, dx)
    stripes = 0.5 + 0.3 * np.sin((yy * along[1] - xx * along[0]) / 2.0)
    hole = _disc(15)[0]
    outside = cv2.distanceTransform((~hole).astype(np.uint8), cv2.DIST_L2, 3)
    direction, coherence = _finish._orientation(stripes[..., None].repeat(3, -1), hole,
                                                outside, 30.0, 1.0)
    assert coherence > 0.9
    assert abs(float(direction @ along)) > 0.99
    noise = np.random.default_rng(0).random((SIZE, SIZE, 3), dtype=np.float32)
    _, coherence = _finish._orientation(noise, hole, outside, 30.0, 1.0)
    assert coherence < 0.1


@pytest.mark.parametrize("degrees", [0.0, 30.0, 75.0, 120.0])
def test_a_hole_in_straight_stripes_is_filled_along_them_at_any_angle(degrees):
    """Filled along the stripes' direction, a hole in straight stripes gets the stripes back;
    a run longer than ``longest`` (along a thin hole's length) is left to the smooth fill."""
    yy, xx = np.mgrid[:SIZE, :SIZE]
    angle = np.radians(degrees)
    along = np.array([np.sin(angle), np.cos(angle)])  # (dy, dx)
    stripes = (0.5 + 0.3 * np.sin((yy * along[1] - xx * along[0]) / 2.0)).astype(np.float32)
    tile = np.repeat(stripes[..., None], 3, axis=-1)
    hole = _disc(15)[0]
    filled = _finish._oriented_fill(tile, hole, along, 0.5, longest=40.0)
    assert not np.isnan(filled[hole]).any()
    assert np.abs(filled[hole] - tile[hole]).mean() < 0.03
    assert np.array_equal(filled[~hole], tile[~hole])
    assert np.isnan(_finish._oriented_fill(tile, hole, along, 0.5, longest=10.0)[hole]).any()


def test_a_thin_stroke_beside_a_deep_hole_is_not_filled_along_its_length():
    """Upright stripes, darker below a level edge; one tile holds a deep disc and a thin
    upright stroke (3 px) across the edge. Along the layers a run may span 3 widths of its own
    hole: read with the disc's width, the stroke was filled from its top end to its bottom
    end, the edge drawn out along it as a ramp (mean error 0.058 on the stroke), not 0.022."""
    yy, xx = np.mgrid[:SIZE, :SIZE]
    stripes = 0.5 + 0.15 * np.sin(xx / 1.5) - 0.25 * (yy >= 48)
    truth = np.repeat(stripes[None, ..., None], 3, axis=-1).astype(np.float32)
    hole = ((yy - 48) ** 2 + (xx - 25) ** 2 < 14**2)[None]
    hole[0, 20:76, 70:73] = True
    out = truth.copy()
    finish_fill(out, hole, FinishScales.of(SIZE, 0.02, 0.1, 1.3), 1.0)
    assert np.abs(out[0] - truth[0])[20:76, 70:73].mean() < 0.03


@pytest.mark.parametrize("shape", ["disc", "stroke"])
def test_the_fill_along_the_layers_turns_only_the_window_around_the_hole(shape):
    """Turned at 45 degrees, a box needs a canvas twice its area; only the window around the
    turned hole is made, and the runs are filled where they are, not over the whole canvas
    (an 8K nadir cap of 50 degrees: 1121 MiB at its peak and 5.4 s, now 380 MiB and 1.2 s).
    The peak stays under 6 times the tile's bytes (it was 9.5 for both)."""
    size = 300
    yy, xx = np.mgrid[:size, :size]
    tile = np.random.default_rng(0).random((size, size, 3), dtype=np.float32)
    if shape == "disc":
        hole, direction = (yy - 150) ** 2 + (xx - 150) ** 2 < 140**2, np.array([1.0, 1.0])
    else:  # a thin stroke across layers at right angles to it
        hole, direction = np.abs(yy - xx) < 3, np.array([1.0, -1.0])
    tracemalloc.start()
    try:
        filled = _finish._oriented_fill(tile, hole, direction / np.sqrt(2), 1.0, 1e9)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 6 * tile.nbytes
    assert not np.isnan(filled[hole][:, 0]).all()


def _two_pieces(offset: float) -> tuple[np.ndarray, np.ndarray, tuple]:
    """A ramp panorama tile whose hole was filled from two sources: the left half copied
    exactly, the right half copied ``offset`` too bright. Returns tile, hole, field."""
    ramp = np.repeat(np.linspace(0.2, 0.8, SIZE, dtype=np.float32)[None, :, None], 3, axis=-1)
    tile = np.repeat(ramp, SIZE, axis=0)
    hole = np.zeros((SIZE, SIZE), bool)
    hole[30:66, 30:66] = True
    ys, xs = np.mgrid[:SIZE, :SIZE]
    k = np.zeros((SIZE, SIZE), np.int32)
    k[:, 48:] = 1  # the right half copies from another bank tile
    nnf = (k, ys.astype(np.int32), xs.astype(np.int32))
    filled = tile.copy()
    filled[hole & (xs >= 48)] += offset
    return filled, hole, nnf


def test_stitching_removes_the_offset_between_pieces():
    from pano_inpaint.generators.patchmatch._finish import _seamless, piece_edges

    truth, _, _ = _two_pieces(0.0)
    filled, hole, nnf = _two_pieces(0.1)
    bank = np.stack([truth, truth + 0.1])  # each piece's source, the second one brighter
    across, down = piece_edges(nnf)
    out = _seamless(filled, hole, across, down, bank, nnf)
    assert np.abs(out - truth).max() < 1e-3  # the ramp comes back, offset gone
    assert np.array_equal(out[~hole], filled[~hole])


def test_piece_offsets_remove_an_offset_a_vote_spread_over_the_pieces():
    """An EM vote of two pieces offset from each other ramps from one to the other over a
    patch: a stitch of the voted estimate keeps most of the ramp (the pieces' own steps); the
    offsets of the copy it was voted from, voted the same way, take it out."""
    truth, _, _ = _two_pieces(0.0)
    filled, hole, nnf = _two_pieces(0.1)

    def vote(x: np.ndarray) -> np.ndarray:  # a patch of 7 around each pixel, equal weights
        return cv2.blur(x, (7, 7), borderType=cv2.BORDER_REPLICATE)

    voted = np.where(hole[..., None], vote(filled), filled)
    bank = np.stack([truth, truth + 0.1])
    offsets = _finish.piece_offsets(voted, hole, nnf, bank)
    assert not offsets[~hole].any()
    assert np.abs(voted + vote(offsets) - truth)[hole].max() < 0.01
    stitched = _finish._seamless(voted, hole, None, None, bank, nnf)
    assert np.abs(stitched - truth)[hole].max() > 0.03


def test_stitching_keeps_a_fill_that_has_no_offsets():
    from pano_inpaint.generators.patchmatch._finish import _seamless

    filled, hole, nnf = _two_pieces(0.0)
    none = np.zeros((SIZE, SIZE), bool)
    out = _seamless(filled, hole, none, none, np.stack([filled, filled]), nnf)
    assert np.allclose(out, filled, atol=1e-5)


def test_stitching_keeps_an_edge_that_one_sides_source_continues():
    """A copy of a dark stripe meets a copy of plain ground at the stripe's edge: the stripe's
    source continued across makes the edge, the ground's makes none. The fill is right as it
    is; the mean of the two steps (half the edge) would spread the other half as a glow."""
    from pano_inpaint.generators.patchmatch._finish import _seamless, piece_edges

    ys, xs = np.mgrid[:SIZE, :SIZE]
    ground = np.full((SIZE, SIZE, 3), 0.5, np.float32)
    truth = ground.copy()
    truth[(xs >= 36) & (xs < 48)] = 0.2  # the stripe ends at column 47, inside the hole
    hole = np.zeros((SIZE, SIZE), bool)
    hole[30:66, 30:66] = True
    k = (xs >= 48).astype(np.int32)  # the right part copies plain ground from bank tile 1
    nnf = (k, ys.astype(np.int32), xs.astype(np.int32))
    across, down = piece_edges(nnf)
    out = _seamless(truth.copy(), hole, across, down, np.stack([truth, ground]), nnf)
    assert np.abs(out - truth).max() < 1e-3


def test_stitching_large_holes_on_blocks_still_removes_the_offset(monkeypatch):
    monkeypatch.setattr(_finish, "_MAX_UNKNOWNS", 200)  # force the block solve
    truth, _, _ = _two_pieces(0.0)
    filled, hole, nnf = _two_pieces(0.1)
    across, down = _finish.piece_edges(nnf)
    out = _finish._seamless(filled, hole, across, down, np.stack([truth, truth + 0.1]), nnf)
    before = np.abs(filled - truth)[hole].mean()
    after = np.abs(out - truth)[hole].mean()
    assert after < 0.25 * before


def _sky_over_ground(seed: int = 0) -> np.ndarray:
    """A smooth vertical gradient (sky) over a noise texture (ground) meeting at row SIZE/2."""
    rng = np.random.default_rng(seed)
    rows = np.linspace(0.3, 0.7, SIZE, dtype=np.float32)[:, None, None]
    tile = np.broadcast_to(rows, (SIZE, SIZE, 3)).copy()
    ground = slice(SIZE // 2, SIZE)
    tile[ground] += 0.2 * (rng.random((SIZE // 2, SIZE, 3), dtype=np.float32) - 0.5)
    return tile[None]


def test_copied_texture_fades_where_the_surroundings_are_smooth_and_stays_where_not():
    """A hole across the horizon filled with the ground's texture everywhere (what copies
    from the ground bring into a sky): the sky part loses it, the ground part keeps it."""
    truth = _sky_over_ground()
    hole = np.zeros((1, SIZE, SIZE), bool)
    hole[0, 20:76, 24:72] = True
    rng = np.random.default_rng(1)
    filled = truth.copy()
    texture = 0.2 * (rng.random(truth.shape, dtype=np.float32) - 0.5)
    filled[hole] = (truth + np.where(np.arange(SIZE)[:, None, None] < SIZE // 2, texture, 0)
                    )[hole]  # the ground part of the hole keeps the truth's own texture
    out = filled.copy()
    scales = FinishScales.of(SIZE, 0.01, 0.0, 1.3)
    finish_fill(out, hole, scales, 1.0)
    sky = np.zeros((SIZE, SIZE), bool)
    sky[20:32, 28:68] = True  # 16 px and more from the horizon (regions blend over ~12 px)
    ground = np.zeros((SIZE, SIZE), bool)
    ground[60:76, 28:68] = True
    before = _detail_energy(filled[0], sky, 1.0)
    after = _detail_energy(out[0], sky, 1.0)
    assert after < 0.05 * before  # the copied texture is gone from the sky
    kept = _detail_energy(out[0], ground, 1.0) / _detail_energy(filled[0], ground, 1.0)
    assert 0.7 < kept < 1.4  # the ground's texture, as strong as around it, stays


def test_bands_off_leaves_the_copied_texture():
    truth = _sky_over_ground()
    hole = np.zeros((1, SIZE, SIZE), bool)
    hole[0, 20:40, 24:72] = True
    filled = truth.copy()
    filled[hole] += 0.1 * (np.random.default_rng(2).random((int(hole.sum()), 3)) - 0.5)
    out = filled.copy()
    finish_fill(out, hole, FinishScales.of(SIZE, 0.01, 0.0, 1.0, bands=0), 1.0)
    assert np.allclose(out, filled, atol=1e-5)


def test_copied_detail_fades_in_with_depth():
    """Copied detail of the right energy but a foreign phase (another noise draw): in a thin
    stripe it is mostly dropped, so the fill is nearer the truth than with the detail kept
    whole; deep inside a large hole it stays."""
    truth = _noise_tile(seed=1)
    other = _noise_tile(seed=2)
    stripe = np.zeros((1, SIZE, SIZE), bool)
    stripe[0, :, 40:44] = True
    disc = _disc(30)
    errors = {}
    for tau in (0.0, 0.03):
        scales = FinishScales.of(SIZE, 0.01, 0.05, 1.0, detail_depth=tau)
        out = truth.copy()
        out[stripe] = other[stripe]
        finish_fill(out, stripe, scales, 1.0)
        errors[tau] = float(np.mean((out[stripe] - truth[stripe]) ** 2))
        deep = truth.copy()
        deep[disc] = other[disc]
        finish_fill(deep, disc, scales, 1.0)
        core = _disc(12)[0]
        kept = _detail_energy(deep[0], core, 1.0) / _detail_energy(other[0], core, 1.0)
        assert kept > 0.8
    assert errors[0.03] < 0.7 * errors[0.0]


@pytest.mark.parametrize("with_holes", [False, True])
def test_source_steps_match_a_step_by_step_reading_of_the_sources(with_holes):
    """Each cut step gets the mean of the steps its copied sides' sources make (none: 0),
    sides whose source step leaves the bank tile, or reads one of the bank's hole pixels (what
    is there is not the scene: the object being removed, or a blank), skipped; known pixels
    (k < 0) never read."""
    from pano_inpaint.generators.patchmatch._finish import _source_step

    rng = np.random.default_rng(5)
    size = 12
    bank = rng.random((2, size, size, 3), dtype=np.float32)
    bank_hole = rng.random((2, size, size)) < 0.3 if with_holes else None
    if with_holes:
        bank[bank_hole] = 50.0  # a hole's content must never reach a step
    k = rng.integers(-1, 2, (size, size)).astype(np.int32)
    sy = rng.integers(-1, size + 1, (size, size)).astype(np.int32)
    sx = rng.integers(-1, size + 1, (size, size)).astype(np.int32)
    cut = rng.random((size, size)) < 0.7
    for dy, dx in ((0, 1), (1, 0)):
        c = cut.copy()
        c[size - dy:, :] = False
        c[:, size - dx:] = False
        got = _source_step(bank, (k, sy, sx), c, dy, dx, bank_hole)
        for row, (y, x) in enumerate(zip(*np.nonzero(c), strict=True)):
            sides = []
            for kk, y0, x0 in ((k[y, x], sy[y, x], sx[y, x]),
                               (k[y + dy, x + dx], sy[y + dy, x + dx] - dy,
                                sx[y + dy, x + dx] - dx)):
                y1, x1 = y0 + dy, x0 + dx
                if kk >= 0 and 0 <= min(y0, y1) and max(y0, y1) < size and 0 <= min(
                        x0, x1) and max(x0, x1) < size and not (
                        with_holes and (bank_hole[kk, y0, x0] or bank_hole[kk, y1, x1])):
                    sides.append(bank[kk, y0, x0] - bank[kk, y1, x1])
            want = np.mean(sides, axis=0) if sides else np.zeros(3)
            assert np.allclose(got[row], want, atol=1e-6)


@pytest.mark.parametrize("blocks", [False, True])
def test_stitching_works_on_the_holes_box_only(monkeypatch, blocks):
    """The solve sees the hole's box and one pixel (block) more, not the whole tile, and the
    fill is the one a solve on that box alone gives (known pixels beyond it are not read)."""
    from pano_inpaint.generators.patchmatch import _finish

    if blocks:
        monkeypatch.setattr(_finish, "_MAX_UNKNOWNS", 200)  # 36 x 36 hole: blocks of 3
    shapes = []
    solve = _finish._poisson
    monkeypatch.setattr(_finish, "_poisson",
                        lambda values, *rest: shapes.append(values.shape[:2]) or solve(
                            values, *rest))
    filled, hole, nnf = _two_pieces(0.1)  # the hole: rows and columns 30..65
    bank = np.stack([filled, filled + 0.1])
    out = _finish._seamless(filled, hole, *_finish.piece_edges(nnf), bank, nnf)
    # Blocks of 3 from the tile's corner: the hole covers blocks 10..21, the box 9..22.
    assert shapes == ([(14, 14)] if blocks else [(38, 38)])
    box = (slice(27, 69),) * 2 if blocks else (slice(29, 67),) * 2
    alone = _finish._seamless(filled[box], hole[box], *_finish.piece_edges(
        tuple(a[box] for a in nnf)), bank, tuple(a[box] for a in nnf))
    assert np.allclose(out[box], alone, atol=1e-6)
    # The piece edges found on the box alone (what finish_fill asks for): the same fill.
    assert np.array_equal(_finish._seamless(filled, hole, None, None, bank, nnf), out)
    outside = np.ones(hole.shape, bool)
    outside[box] = False
    assert np.array_equal(out[outside], filled[outside])


@pytest.mark.parametrize("sigma", [1.5, 5.0])  # blurs at full resolution / on coarser grids
def test_finish_works_on_the_holes_box_and_keeps_the_fill(monkeypatch, sigma):
    """What is kept pixel by pixel (the fill's bands, gains, the smooth structure) is worked out
    on the hole's box, the known bands on the box of the widest ring; the fill is the one
    worked out on the whole crop."""
    from pano_inpaint.generators.patchmatch import _finish

    size = 160
    rng = np.random.default_rng(3)
    tile = (0.5 + 0.2 * (rng.random((1, size, size, 3), dtype=np.float32) - 0.5))
    yy, xx = np.mgrid[:size, :size]
    hole = ((yy - 80) ** 2 + (xx - 70) ** 2 < 10**2)[None]  # box: rows 71..89, columns 61..79
    tile[hole] = 0.5
    scales = FinishScales(sigma, 4 * sigma, 3 * sigma, 1.5, 4, 2 * sigma)
    seen = {"bands": [], "blur": []}
    bands, blur = _finish._bands, _finish._blur
    monkeypatch.setattr(_finish, "_bands", lambda x, where, sigmas, box: seen["bands"].append(
        x[box].shape[:2]) or bands(x, where, sigmas, box))
    monkeypatch.setattr(_finish, "_blur", lambda t, s: seen["blur"].append(t.shape[:2]) or blur(
        t, s))
    out = tile.copy()
    finish_fill(out, hole, scales, 1.0)
    ring = int(np.ceil(max(scales.ring, 16 * sigma) / 0.955))  # the widest ring's reach, at most
    assert seen["bands"][0] == (19, 19)
    assert 19 < seen["bands"][1][0] <= min(19 + 2 * ring, size)
    reach = int(np.ceil(4 * sigma)) + 2
    assert seen["blur"][-1] == (19 + 2 * reach,) * 2
    # Undone: every box within the crop is the whole crop.
    box = _finish._box
    monkeypatch.setattr(_finish, "_box", lambda h, margin: box(h, margin) if margin > 12 * sigma
                        else (slice(0, h.shape[0]), slice(0, h.shape[1])))
    whole = tile.copy()
    finish_fill(whole, hole, scales, 1.0)
    assert np.array_equal(out, whole)


def _gnomonic_noise(face_size: int, pad: int, seed: int = 0, per_pixel: float = 1.3,
                    blur: float = 0.8) -> np.ndarray:
    """``(1, P, P, 3)`` a padded down face seeing a ground texture of one fixed angular grain:
    noise drawn on an azimuthal-equidistant grid (pixels per radian constant, ``per_pixel``
    noise pixels per face pixel at the centre; blurred at ``blur`` noise pixels, 0: none) and
    sampled through the gnomonic projection, so the face shows it sharp at its centre and
    magnified (blurred) towards its rim, as a real panorama's nadir face does."""
    rng = np.random.default_rng(seed)
    per_radian = per_pixel * face_size / 2
    side = int(2 * per_radian * 1.2) + 8
    noise = rng.random((side, side), dtype=np.float32)
    if blur > 0:
        noise = cv2.GaussianBlur(noise, (0, 0), blur)
    noise = 0.5 + 0.3 * (noise - noise.mean()) / noise.std()
    size = face_size + 2 * pad
    a = 2 * (np.arange(size) - pad + 0.5) / face_size - 1
    bb, aa = np.meshgrid(a, a, indexing="ij")
    r = np.hypot(aa, bb)
    theta = np.arctan(r)
    scale = np.where(r > 0, theta / np.maximum(r, 1e-12), 1.0) * per_radian
    map_x = (side / 2 + aa * scale).astype(np.float32)
    map_y = (side / 2 + bb * scale).astype(np.float32)
    face = cv2.remap(noise, map_x, map_y, cv2.INTER_CUBIC)
    return np.repeat(face[None, ..., None], 3, axis=3).astype(np.float32)


def _centred_disc(size: int, radius: float) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size]
    return ((yy - size / 2 + 0.5) ** 2 + (xx - size / 2 + 0.5) ** 2 < radius**2)[None]


@pytest.mark.parametrize("geometry", [True, False])
def test_a_true_fill_of_a_cap_keeps_its_detail_when_the_ring_is_seen_magnified(geometry):
    # A 40-degree nadir cap filled with the truth itself: the ring around it is seen magnified
    # by the gnomonic face (~1.6x radially), so its finest band is weaker than the centre's.
    # Compared at equal scale on the sphere the truth is left about as it is; compared pixel
    # for pixel (flat tiles) it is dulled to the ring's look, the fog of a large cap.
    face_size, pad = 128, 16
    truth = _gnomonic_noise(face_size, pad)
    size = truth.shape[1]
    hole = _centred_disc(size, np.tan(np.radians(40)) * face_size / 2)
    inner = _centred_disc(size, 0.4 * face_size / 2)
    tiles = truth.copy()
    scales = FinishScales.of(face_size, 0.01, 0.0, 1.3, bands=4,
                             pad=pad if geometry else None)
    finish_fill(tiles, hole, scales, 1.0)
    kept = _detail_energy(tiles[0], inner[0], 1.5) / _detail_energy(truth[0], inner[0], 1.5)
    if geometry:
        assert 0.9 < kept < 1.15
    else:
        assert kept < 0.8


def _scale_free_noise(size: int, seed: int = 0) -> np.ndarray:
    """``(size, size)`` float32 noise with the same energy in every octave (power ``1 / f^2``,
    as natural images nearly have), RMS 1."""
    rng = np.random.default_rng(seed)
    f = np.hypot(*np.meshgrid(np.fft.fftfreq(size), np.fft.fftfreq(size), indexing="ij"))
    f[0, 0] = np.inf
    noise = np.real(np.fft.ifft2(np.fft.fft2(rng.standard_normal((size, size))) / f))
    return (noise / noise.std()).astype(np.float32)


@pytest.mark.parametrize("sigma", [1.0, 2.0, 4.0])
def test_the_finest_band_holds_the_octaves_a_scale_free_texture_puts_in_it(sigma):
    # The two bands' energies on a scale-free texture, over its energy per octave (the second
    # band's over its share), as _band_octaves works them out (on a disc of frequencies: the
    # square's corners add up to ~16% at 1 px).
    noise = _scale_free_noise(512)[..., None]
    bands = _finish._bands(noise, np.ones(noise.shape[:2], bool), [sigma, 2 * sigma],
                           (slice(None), slice(None)))
    inside = (slice(64, -64), slice(64, -64))
    finest, second = (float(np.mean(b[inside] ** 2)) for b in bands[:2])
    finest_span, second_span = _finish._band_octaves(sigma)
    assert finest / second == pytest.approx(finest_span / second_span, rel=0.2)


def _kept_in_a_caps_middle(truth: np.ndarray, face_size: int, pad: int) -> float:
    """A 40-degree cap of ``truth`` ``(1, P, P, C)`` filled with the truth itself: the finish's
    detail energy over the truth's in the middle of the cap (1 = kept)."""
    size = face_size + 2 * pad
    hole = _centred_disc(size, np.tan(np.radians(40)) * face_size / 2)
    inner = _centred_disc(size, 0.4 * face_size / 2)
    tiles = truth.copy()
    finish_fill(tiles, hole, FinishScales.of(face_size, 0.01, 0.0, 1.3, bands=4, pad=pad), 1.0)
    return _detail_energy(tiles[0], inner[0], 1.5) / _detail_energy(truth[0], inner[0], 1.5)


def test_a_true_fill_of_a_cap_in_a_scale_free_texture_keeps_the_rings_energy():
    # A texture drawn on the face itself with the same energy in every octave: a pixel that
    # spans more of the sphere sees no more of it, so the middle of a 40-degree cap keeps the
    # ring's finest band. (Read as a slope per octave, the ratio of the two finest bands'
    # energies is about 2 on such a texture: the middle got 1.3 times the truth's detail.)
    face_size, pad = 128, 16
    size = face_size + 2 * pad
    truth = np.repeat(0.5 + 0.1 * _scale_free_noise(size)[None, ..., None], 3, axis=3)
    assert 0.85 < _kept_in_a_caps_middle(truth, face_size, pad) < 1.15


@pytest.mark.parametrize("seed", [0, 1])
def test_a_true_fill_of_a_cap_in_grain_as_fine_as_the_panorama_keeps_its_energy(seed):
    # Grain as fine as the panorama's pixels, seen by a face that samples it natively at its
    # centre (as the pipeline's face size does): towards the rim the face interpolates the
    # grain, so the ring's finest band holds less than a scale-free texture's octaves would
    # leave there and the octaves' cap read from it undershoots the middle (0.75 of the truth's
    # detail); the slope from the second band, floored, does not.
    face_size, pad = 128, 16
    truth = _gnomonic_noise(face_size, pad, seed, per_pixel=1.0, blur=0.0)
    assert 0.9 < _kept_in_a_caps_middle(truth, face_size, pad) < 1.2


def test_a_true_fill_of_a_cap_in_a_striped_floor_keeps_the_rings_energy():
    # Painted stripes on a floor seen straight down: every pixel of the face sees them at one
    # scale, and the ring's second band holds their edges, not a texture's octave. Taken as
    # texture per octave, the octaves a coarser pixel adds would give the middle 1.3 times
    # the truth's detail; the slope from the second band to the finest does not.
    face_size, pad = 128, 16
    size = face_size + 2 * pad
    x = np.arange(size)
    stripes = (np.sin(2 * np.pi * (x[None, :] + 0.3 * x[:, None]) / 16) > 0).astype(np.float32)
    floor = 0.3 + 0.4 * cv2.GaussianBlur(stripes, (0, 0), 0.7) + 0.01 * _scale_free_noise(size)
    truth = np.repeat(floor[None, ..., None], 3, axis=3)
    assert 0.85 < _kept_in_a_caps_middle(truth, face_size, pad) < 1.15


# ------------------------------------------------------------------ smooth trend, quantisation

def _bump_sky(size: int = SIZE) -> np.ndarray:
    """A smooth sky, darker and bluer towards the tile's centre (a zenith; 0.045 darker in
    blue there than at the middle of the tile's edges), ``(1, S, S, 3)``."""
    yy, xx = np.mgrid[:size, :size].astype(np.float32)
    r2 = ((yy - size / 2 + 0.5) ** 2 + (xx - size / 2 + 0.5) ** 2) / (size / 2) ** 2
    colour = np.array([0.30, 0.45, 0.78], np.float32)
    horizon = np.array([0.75, 0.82, 0.90], np.float32)
    return (colour + (horizon - colour) * (0.1 * r2)[..., None])[None]


def _blobs(seed: int, sigma: float, amplitude: float, size: int = SIZE) -> np.ndarray:
    """Noise blurred at ``sigma``, scaled to an RMS of ``amplitude``, ``(S, S, 3)``."""
    noise = np.random.default_rng(seed).standard_normal((size, size, 3)).astype(np.float32)
    blurred = cv2.GaussianBlur(noise, (0, 0), sigma)
    return amplitude * blurred / blurred.std()


def _laid_out_wrong(truth: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """``truth`` with its hole filled the way a copy fills a plain sky: the right shading
    plus pieces of texture, fine and coarse, brought from elsewhere."""
    filled = truth.copy()
    wrong = _blobs(3, 6.0, 0.06) + _blobs(4, 1.0, 0.02)
    filled[hole] += wrong[hole[0]]
    return filled


def _sky_with_a_tree_top() -> tuple[np.ndarray, np.ndarray]:
    """:func:`_bump_sky` with a patch of foliage (strong fine texture) in the ring left of a
    disc hole of radius 24."""
    truth = _bump_sky()
    truth[0, 40:56, 12:24] = 0.25 + _blobs(5, 0.7, 0.12)[40:56, 12:24]
    return truth, _disc(24)


def _rms_error(out: np.ndarray, truth: np.ndarray, where: np.ndarray) -> float:
    return float(np.sqrt(np.mean((out - truth)[where] ** 2)))


def test_a_smooth_sky_takes_the_rings_trend_and_a_textured_ring_keeps_the_copy():
    """In a plain sky the copy's layout (its coarse pieces) is noise the band gains cannot
    remove: where the ring is smooth the fill follows the sky's trend (its darker zenith
    included), also beside a tree top in the ring; a textured surrounding keeps the copy."""
    truth, hole = _sky_with_a_tree_top()
    filled = _laid_out_wrong(truth, hole)
    results = {}
    for level in (0.0, 0.006):
        out = filled.copy()
        finish_fill(out, hole, FinishScales.of(SIZE, 0.01, 0.0, 1.3, trend_level=level), 1.0)
        results[level] = out
    far = hole & (np.arange(SIZE)[None, None, :] >= 44)  # the half away from the tree top
    without, with_trend = (_rms_error(results[lv], truth, far) for lv in (0.0, 0.006))
    assert with_trend < 0.35 * without
    # The copy's pieces are gone, not only turned down.
    rough = [_detail_energy(results[lv][0], far[0], 4.0) for lv in (0.0, 0.006)]
    assert rough[1] < 0.25 * rough[0]

    # A textured surrounding (ground): the trend is not used at all.
    ground = truth + _blobs(6, 0.8, 0.08)[None]
    filled = _laid_out_wrong(ground, hole)
    outs = []
    for level in (0.0, 0.006):
        out = filled.copy()
        finish_fill(out, hole, FinishScales.of(SIZE, 0.01, 0.0, 1.3, trend_level=level), 1.0)
        outs.append(out)
    assert np.array_equal(outs[0], outs[1])


def test_the_distance_to_the_hole_is_worked_out_once_for_the_gains_and_the_trend(monkeypatch):
    """The band gains and the smooth trend both measure the ring by each known pixel's
    distance to the hole: one distance transform of the known pixels per tile, not one each."""
    from pano_inpaint.generators.patchmatch import _finish

    truth, hole = _sky_with_a_tree_top()
    out = _laid_out_wrong(truth, hole)
    seen: list[bool] = []  # per distance transform: was it of the known pixels (most of them)?
    transform = cv2.distanceTransform
    trends = []
    smooth_trend = _finish._smooth_trend

    def counting(src, *args, **kwargs):
        seen.append(float(src.mean()) > 0.5)  # the hole is a fifth of the tile
        return transform(src, *args, **kwargs)

    def tracing(*args, **kwargs):
        trends.append(True)
        return smooth_trend(*args, **kwargs)

    monkeypatch.setattr(_finish.cv2, "distanceTransform", counting)
    monkeypatch.setattr(_finish, "_smooth_trend", tracing)
    finish_fill(out, hole, FinishScales.of(SIZE, 0.01, 0.0, 1.3, trend_level=0.006), 1.0)
    assert trends  # the trend was fitted
    assert sum(seen) == 1


def test_pixels_a_structure_step_filled_keep_the_copy_in_a_smooth_surrounding():
    """A dark line continued through a hole in a plain sky (a structure step's band): those
    pixels come out as they would without the trend, while the rest of the hole follows it;
    without the mask the same step moves them too."""
    truth = _bump_sky()
    yy = np.arange(SIZE)[:, None]
    line = np.broadcast_to(np.abs(yy - SIZE / 2) <= 1.5, (SIZE, SIZE))
    truth[0][line] = 0.1
    hole = _disc(24)
    filled = _laid_out_wrong(truth, hole)
    along = hole[0] & line
    filled[0][along] = truth[0][along]
    outs = {}
    for name, level, mask in (("off", 0.0, None), ("kept", 0.006, {0: along}),
                              ("lost", 0.006, None)):
        out = filled.copy()
        scales = FinishScales.of(SIZE, 0.01, 0.0, 1.3, trend_level=level)
        finish_fill(out, hole, scales, 1.0, along=mask)
        outs[name] = out[0]
    assert np.array_equal(outs["kept"][along], outs["off"][along])
    assert np.abs(outs["lost"][along] - outs["off"][along]).mean() > 0.005
    away = (hole[0] & (np.abs(yy - SIZE / 2) >= 8))[None]
    assert _rms_error(outs["kept"][None], truth, away) < 0.7 * _rms_error(
        outs["off"][None], truth, away)


def test_the_inputs_quantisation_noise_is_not_copied_as_detail():
    """An 8-bit sky's ring holds only quantisation noise in its finest band; the output's own
    quantisation brings it back, so a copy's fine grain of that energy is lowered, not kept."""
    ramp = np.linspace(0.45, 0.6, SIZE, dtype=np.float32)[None, :, None]  # a gentle gradient
    sky = np.broadcast_to(ramp + np.array([0.0, 0.1, 0.3], np.float32), (1, SIZE, SIZE, 3))
    hole = _disc(24)
    filled = np.round(sky * 255) / 255
    filled[hole] = sky[hole] + _blobs(7, 0.6, 0.002)[hole[0]]  # grain as strong as 8-bit steps
    energies = []
    for quantum in (0.0, 1 / 255):
        out = filled.copy()
        finish_fill(out, hole, FinishScales.of(SIZE, 0.01, 0.0, 1.3, quantum=quantum), 1.0)
        energies.append(_detail_energy(out[0] - sky[0], hole[0], 1.0))
    assert energies[1] < 0.5 * energies[0]


@pytest.mark.parametrize("angle", [0.4, 1.2, 2.0])
def test_a_plain_8bit_skys_fill_is_no_rougher_than_the_sky_once_quantised(angle):
    """A copy into a plain 8-bit sky brings its source's 8-bit contours: the right shading with
    a staircase running another way. The ring's finest band holds nothing but its own
    staircase, which the output's quantisation draws again on the fill: the copy's must go,
    or the 8-bit output has more steps than the sky (it had 1.8-1.9 times the truth's
    gradient energy while half the ring's quantisation noise was taken for texture)."""
    def quantised(values: np.ndarray) -> np.ndarray:
        return np.round(values * 255) / 255

    sky = _bump_sky()
    truth = quantised(sky)
    hole = _disc(24)
    yy, xx = np.mgrid[:SIZE, :SIZE].astype(np.float32)
    elsewhere = sky[0] + (0.5 / 255) * (np.cos(angle) * xx + np.sin(angle) * yy)[..., None] / 4
    filled = truth.copy()
    filled[hole] = (sky[0] + quantised(elsewhere) - elsewhere)[hole[0]]
    out = filled.copy()
    finish_fill(out, hole, FinishScales.of(SIZE, 0.02, 0.0, 1.3, quantum=1 / 255), 1.0)
    ratio = gradient_energy(quantised(out[0]), hole[0]) / gradient_energy(truth[0], hole[0])
    assert ratio < 1.3
    # Nearer the sky too: what went was no texture of it.
    assert _rms_error(out, sky, hole) < 0.8 * _rms_error(filled, sky, hole)


def test_stitch_solve_matches_a_dense_solve_with_fixed_neighbours():
    """The iterative stitch solve against numpy's dense solve of the same least-squares system
    on a random hole of a small grid: the fixed (known) neighbours enter the right-hand side
    and the diagonal, and the solve runs to its tolerance, not a few iterations."""
    from pano_inpaint.generators.patchmatch import _finish

    rng = np.random.default_rng(5)
    height, width, channels = 11, 13, 3
    unknown = rng.random((height, width)) < 0.6
    values = rng.random((height, width, channels))
    across = rng.normal(0, 0.3, (height, width, channels))
    down = rng.normal(0, 0.3, (height, width, channels))
    ys, xs = np.nonzero(unknown)
    index = {(y, x): i for i, (y, x) in enumerate(zip(ys, xs, strict=True))}
    matrix = np.zeros((ys.size, ys.size))
    rhs = np.zeros((ys.size, channels))
    for i, (y, x) in enumerate(zip(ys, xs, strict=True)):
        for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
            qy, qx = y + dy, x + dx
            if not (0 <= qy < height and 0 <= qx < width):
                continue  # Neumann: no step to leave the grid
            steps = across if dx else down
            rhs[i] += steps[min(y, qy), min(x, qx)] * (1 if dy + dx > 0 else -1)
            matrix[i, i] += 1
            if (qy, qx) in index:
                matrix[i, index[qy, qx]] -= 1
            else:
                rhs[i] += values[qy, qx]
    want = values.copy()
    want[ys, xs] = np.linalg.solve(matrix, rhs)
    got = _finish._poisson(values, unknown, across, down)
    assert np.abs(got - want).max() < 1e-5
    assert np.array_equal(got[~unknown], values[~unknown])


@pytest.mark.parametrize("radius", [1, 3, 8, 21])
def test_disc_max_is_opencvs_elliptic_dilation_where_asked(radius):
    """The finish's width test (``_agreement``) takes the deepest hole pixel within a disc by
    sparse-table row maxima instead of ``cv2.dilate``: the same values, exactly, at every
    pixel asked for (windows cut by the image's edges included); the others keep theirs."""
    rng = np.random.default_rng(radius)
    for shape in [(1, 1), (5, 70), (64, 64), (37, 90)]:
        image = (rng.random(shape, dtype=np.float32) * (rng.random(shape) < 0.3)).astype(
            np.float32)
        need = rng.random(shape) < 0.6
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1,) * 2)
        out = disc_max(image, radius, need)
        assert np.array_equal(out[need], cv2.dilate(image, disc)[need]), shape
        assert np.array_equal(out[~need], image[~need])


def test_upsample_window_is_opencvs_linear_resize_on_the_window():
    """The finish brings its coarse blurs back to full resolution on the hole's box only: the
    values of ``cv2.resize(..., INTER_LINEAR)`` there (up to rounding: OpenCV may use IPP),
    windows touching the edges and inner ones, with and without channels."""
    rng = np.random.default_rng(5)
    for coarse_shape, size, window in [((7, 9), (100, 61), (slice(0, 61), slice(0, 100))),
                                       ((13, 11, 3), (97, 120), (slice(17, 58), slice(5, 96))),
                                       ((4, 30, 1), (301, 37), (slice(30, 37), slice(0, 13))),
                                       ((25, 25), (251, 251), (slice(100, 101), slice(250, 251)))]:
        coarse = rng.random(coarse_shape, dtype=np.float32)
        full = cv2.resize(coarse, size, interpolation=cv2.INTER_LINEAR).reshape(
            size[::-1] + coarse_shape[2:])
        out = upsample_window(coarse, size, window)
        assert out.shape == full[window].shape
        np.testing.assert_allclose(out, full[window], rtol=0, atol=2e-6)


@pytest.mark.parametrize("sigma", [1.5, 5.0])  # blurs at full resolution / on coarser grids
def test_bands_on_the_holes_box_are_the_whole_crops_cut_to_it(sigma):
    """The octave bands worked out on the hole's box only (the wide blurs brought back to full
    resolution there only) are the ones worked out on the whole crop and cut to the box, for a
    hole of an odd shape off the crop's centre, seen through its own pixels and the others."""
    from pano_inpaint.generators.patchmatch._finish import _bands, _box

    rng = np.random.default_rng(11)
    size = 150
    tile = cv2.GaussianBlur(rng.random((size, size + 7, 3), dtype=np.float32), (0, 0), 1.0)
    yy, xx = np.mgrid[:size, :size + 7]
    hole = (((yy - 60) / 14) ** 2 + ((xx - 95) / 25) ** 2 < 1) | (
        (abs(yy - 80) < 3) & (xx > 40) & (xx < 101))
    sigmas = [sigma * 2.0**k for k in range(4)]
    for where, box in [(hole, _box(hole, 0)), (~hole, _box(hole, int(4 * sigma)))]:
        whole = _bands(tile, where, sigmas, (slice(None), slice(None)))
        cut = _bands(tile, where, sigmas, box)
        for a, b in zip(cut, whole, strict=True):
            assert a.shape == b[box].shape
            np.testing.assert_allclose(a, b[box], rtol=0, atol=1e-5)


def test_bands_are_the_differences_of_the_blurs_on_any_thread_count():
    """The blurs of ``_bands`` run on OpenCV's threads and each band is written over the blur
    it no longer needs: every band is exactly the difference of two consecutive normalised
    blurs (the first of the input and the first blur, the last the coarsest blur), whatever the
    thread count, and the input is left as it was."""
    from pano_inpaint.generators.patchmatch._finish import _bands, _box, _normalised

    rng = np.random.default_rng(12)
    tile = cv2.GaussianBlur(rng.random((120, 131, 3), dtype=np.float32), (0, 0), 1.0)
    before = tile.copy()
    hole = np.zeros(tile.shape[:2], bool)
    hole[40:90, 30:70] = True
    sigmas = [1.5 * 2.0**k for k in range(4)]
    box = _box(hole, 6)
    weight = (~hole).astype(np.float32)
    lows = [tile[box]] + [_normalised(tile * weight[..., None], weight, s, box) for s in sigmas]
    want = [a - b for a, b in zip(lows[:-1], lows[1:], strict=True)] + [lows[-1]]
    threads = cv2.getNumThreads()
    try:
        for count in (1, 2, 4):
            cv2.setNumThreads(count)
            bands = _bands(tile, ~hole, sigmas, box)
            assert len(bands) == len(want)
            for band, expected in zip(bands, want, strict=True):
                assert np.array_equal(band, expected)
            assert np.array_equal(tile, before)
    finally:
        cv2.setNumThreads(threads)


def _ground(seed: int, detail: float = 0.1, layout: float = 0.06) -> np.ndarray:
    """Stochastic ground, ``(S, S, 3)``: fine grain of RMS ``detail`` over a coarse layout of
    lighter and darker patches of RMS ``layout``, on a gentle slope of shading."""
    slope = np.linspace(0.35, 0.6, SIZE, dtype=np.float32)[None, :, None]
    return slope + _blobs(seed, 0.8, detail) + _blobs(seed + 1, 8.0, layout)


def _low_error(out: np.ndarray, truth: np.ndarray, where: np.ndarray) -> float:
    low = cv2.GaussianBlur(out[0] - truth[0], (0, 0), 4.0)
    return float(np.sqrt(np.mean(low[where[0]] ** 2)))


def _layout_fills(truth: np.ndarray, filled: np.ndarray, hole: np.ndarray,
                  runs: dict) -> dict:
    """``filled`` finished once per ``name: (layout_depth, along)`` of ``runs``."""
    outs = {}
    for name, (depth, along) in runs.items():
        out = filled.copy()
        scales = FinishScales.of(SIZE, 0.01, 0.03, 1.3, trend_level=0.006, layout_depth=depth,
                                 layout_sigma=0.04)
        finish_fill(out, hole, scales, 1.0, along=along)
        outs[name] = out
    return outs


def test_deep_in_textured_ground_the_copys_layout_gives_way_to_the_smooth_one():
    """A copy of stochastic ground brings its source's layout (patches lighter and darker
    than the truth's there): deep in the hole it moves towards the smooth fill's, so the
    layout's error falls, while the copied grain stays. Nothing moves where a structure step
    filled the hole (a line or a lattice continued), where the ground's detail is weak beside
    its layout (the match pins the copy's layout there) or where the ring is a smooth sky."""
    hole = _disc(30)
    deep = _disc(18)
    truth = _ground(10)[None]
    filled = truth.copy()
    filled[hole] = _ground(20)[hole[0]]  # the same kind of ground, from elsewhere
    # (The structure step's pixels also keep the smooth structure Navier-Stokes near them: the
    # lattice's fill is compared with the step off on the same pixels.)
    outs = _layout_fills(truth, filled, hole, {"off": (0.0, None), "on": (0.3, None),
                                               "lattice": (0.3, {0: hole[0]}),
                                               "lattice off": (0.0, {0: hole[0]})})
    assert _low_error(outs["on"], truth, deep) < 0.95 * _low_error(outs["off"], truth, deep)
    grain = [_detail_energy(outs[name][0], deep[0], 1.0) for name in ("off", "on")]
    assert grain[1] > 0.9 * grain[0]
    assert np.array_equal(outs["lattice"], outs["lattice off"])

    soft = _ground(10, detail=0.02, layout=0.1)[None]
    filled = soft.copy()
    filled[hole] = _ground(20, detail=0.02, layout=0.1)[hole[0]]
    outs = _layout_fills(soft, filled, hole, {"off": (0.0, None), "on": (0.3, None)})
    assert np.array_equal(outs["on"], outs["off"])

    sky, hole = _bump_sky(), _disc(24)
    outs = _layout_fills(sky, _laid_out_wrong(sky, hole), hole,
                         {"off": (0.0, None), "on": (0.3, None)})
    assert np.array_equal(outs["on"], outs["off"])


def _grain_tile(seed: int) -> np.ndarray:
    """A ramp under a grain a few pixels wide (white noise blurred at 1.2 px, RMS 0.08): each
    pixel is correlated with its neighbours, as a photograph's texture is."""
    rng = np.random.default_rng(seed)
    grain = cv2.GaussianBlur(rng.standard_normal((SIZE, SIZE, 3)).astype(np.float32), (0, 0),
                             1.2)
    grain *= 0.08 / grain.std()
    return (np.linspace(0.3, 0.7, SIZE, dtype=np.float32)[None, :, None] + grain)[None]


def _stroke_finished(rim_depth: float, structure: bool = False
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A stroke 6 px wide through :func:`_grain_tile`'s grain, filled with another draw of it
    and finished with ``rim_depth`` (with ``structure``: as filled by a structure step, the
    finish's ``along``): the truth, the hole and the fill."""
    truth, copy = _grain_tile(0), _grain_tile(1)
    hole = np.zeros((1, SIZE, SIZE), bool)
    hole[0, :, 40:46] = True
    out = truth.copy()
    out[hole] = copy[hole]
    finish_fill(out, hole, FinishScales.of(SIZE, 0.04, 0.2, 1.0, detail_depth=0.02,
                                           rim_depth=rim_depth), 1.0,
                along={0: hole[0]} if structure else None)
    return truth, hole, out


def test_a_thin_holes_rim_takes_the_grain_its_border_predicts():
    """A stroke 6 px wide copied from another draw of the same grain (right statistics, the
    wrong phase): with ``rim_depth`` the pixels next to the border take a full-resolution
    smooth fill's finest band, which the border's own grain predicts, and its structure (the
    fill ``sigma`` coarser, 3 px here, smears it), so the fill is nearer the truth and no
    duller than without it (error 0.82 of it with the band alone, 0.87 with the structure
    alone, 0.72 with both)."""
    truth, hole, without = _stroke_finished(0.0)
    with_rim = _stroke_finished(0.02)[2]

    def gradient_energy(tile: np.ndarray) -> float:
        return float(np.mean(np.diff(tile[0], axis=0)[hole[0][:-1]] ** 2))

    assert np.array_equal(with_rim[~hole], truth[~hole])
    error = [float(np.mean((out[hole] - truth[hole]) ** 2)) for out in (without, with_rim)]
    assert error[1] < 0.76 * error[0]
    assert gradient_energy(with_rim) > 1.1 * gradient_energy(without)


def test_a_wide_holes_rim_keeps_the_coarse_smooth_structure():
    """In a wide hole (a disc 30 px in radius) the rim step adds the full-resolution fill's
    finest band only: the smooth structure near the border stays the coarse fill's (a
    full-resolution diffusion carries the border's edges in as streaks there). What the step
    changes is detail, not a shift of the structure (RMS of its blur at 4 px 0.16 of its
    own; 0.26 with the full-resolution structure)."""
    truth, copy = _grain_tile(0), _grain_tile(1)
    hole = _disc(30)

    def finished(rim_depth: float) -> np.ndarray:
        out = truth.copy()
        out[hole] = copy[hole]
        finish_fill(out, hole, FinishScales.of(SIZE, 0.04, 0.03, 1.0, detail_depth=0.02,
                                               agreement=0.15, rim_depth=rim_depth), 1.0)
        return out[0]

    change = finished(0.02) - finished(0.0)
    low = cv2.GaussianBlur(change, (0, 0), 4.0)
    assert np.sqrt(np.mean(low[hole[0]] ** 2)) < 0.2 * np.sqrt(np.mean(change[hole[0]] ** 2))


def test_a_rim_a_structure_step_filled_takes_no_grain_from_the_smooth_fill():
    """Where a structure step filled (``along``: a line or lattice continued, in the truth's
    phase already) the rim step adds no finest band: on the stroke of
    :func:`test_a_thin_holes_rim_takes_the_grain_its_border_predicts`, filled along a
    structure, what the step changes is mostly the smooth structure."""
    _, hole, without = _stroke_finished(0.0, structure=True)
    with_rim = _stroke_finished(0.02, structure=True)[2]
    change = with_rim[0] - without[0]
    fine = change - cv2.GaussianBlur(change, (0, 0), 1.5)
    # (0.27 of it here, the blur's reach across the hole's edge; 0.50 with the band added)
    assert np.sqrt(np.mean(fine[hole[0]] ** 2)) < 0.35 * np.sqrt(np.mean(change[hole[0]] ** 2))


def test_a_line_continued_through_a_hole_keeps_its_cross_section_where_lined():
    """A dark rail through a hole in faint texture, copied right (the line step's band): the
    known ring holds the rail only where it crosses it, so the band gains faded the rail in the
    hole's middle; handed as a line, it keeps the contrast it was copied with, while what
    varies along it (a copy's texture) is still matched to the ring."""
    truth = _noise_tile(amplitude=0.05)
    yy, xx = np.mgrid[:SIZE, :SIZE]
    across = np.abs(yy - SIZE / 2 + 0.5)
    rail = across <= 1.5
    truth[0][rail] = 0.1
    hole = _disc(24)
    middle = (np.abs(xx - SIZE / 2) <= 8) & hole[0]
    contrasts = {}
    line = [(np.array([0.0, 1.0]), hole[0] & (across <= 3.5))]
    for name, lined in (("lowered", None), ("kept", {0: line})):
        out = truth.copy()
        finish_fill(out, hole, FinishScales.of(SIZE, 0.01, 0.0, 1.3), 1.0, lined=lined)
        contrasts[name] = (out[0][middle & ~rail & (across <= 8)].mean()
                           - out[0][middle & rail].mean())
    known = truth[0][middle & ~rail & (across <= 8)].mean() - truth[0][middle & rail].mean()
    assert contrasts["lowered"] < 0.8 * known
    assert contrasts["kept"] > 0.95 * known


def test_what_varies_along_a_line_is_still_matched_to_the_ring():
    """A bright spot copied onto the rail in the hole's middle (a copy from elsewhere along a
    line, not its cross-section): handed as a line or not, the band gains lower it where the
    ring has no such spots."""
    truth = _noise_tile(amplitude=0.05)
    yy, xx = np.mgrid[:SIZE, :SIZE]
    across = np.abs(yy - SIZE / 2 + 0.5)
    truth[0][across <= 1.5] = 0.1
    hole = _disc(24)
    filled = truth.copy()
    spot = (across <= 1.5) & (np.abs(xx - SIZE / 2) <= 3)
    filled[0][spot] = 0.9
    line = [(np.array([0.0, 1.0]), hole[0] & (across <= 3.5))]
    outs = {}
    for name, lined in (("plain", None), ("line", {0: line})):
        out = filled.copy()
        finish_fill(out, hole, FinishScales.of(SIZE, 0.01, 0.0, 1.3), 1.0, lined=lined)
        outs[name] = out[0][spot].mean() - 0.1
    assert outs["line"] < 0.8 * (0.9 - 0.1)
    assert outs["line"] < outs["plain"] + 0.1


def test_the_smooth_structure_is_the_harmonic_fill_of_the_border():
    """The smooth fill the finish takes its structure from solves Laplace's equation inside the
    hole (each pixel the mean of its four neighbours): for a texture of power ``1 / f^2`` the
    border's best guess. A Navier-Stokes fill carries the ring's isophotes in as streaks and
    is farther from the truth (over five draws of a scale-free texture, a disc of 14 px)."""
    hole = _disc(14)[0]
    inside = hole[1:-1, 1:-1]
    errors = []
    for seed in range(5):
        truth = np.repeat(0.5 + 0.1 * _scale_free_noise(SIZE, seed)[..., None], 3, axis=2)
        tile = truth.copy()
        tile[hole] = 0.0
        smooth = _finish._smooth(tile, hole, 1)
        laplacian = (4 * smooth[1:-1, 1:-1] - smooth[:-2, 1:-1] - smooth[2:, 1:-1]
                     - smooth[1:-1, :-2] - smooth[1:-1, 2:])
        assert np.abs(laplacian[inside]).max() < 1e-4
        assert np.abs(smooth[~hole] - tile[~hole]).max() < 1e-6
        streaky = tile.copy()
        _finish.smooth_fill(streaky[None], hole[None])
        errors.append([float(np.mean((f[hole] - truth[hole]) ** 2)) for f in (smooth, streaky)])
    harmonic, navier_stokes = np.mean(errors, axis=0)
    assert harmonic < 0.95 * navier_stokes  # 0.89 of it


def test_beside_a_line_a_structure_step_continued_the_smooth_structure_keeps_it_sharp(
        monkeypatch):
    """A wall's foot across a wide hole, continued by a structure step (``along``: its band):
    near it the smooth structure is Navier-Stokes, which carries the edge's isophotes through
    the rim, not the harmonic fill, which blurs the edge there. The fill's error near the edge
    is smaller with the line's band given than without. (The lone edge makes the ring layered,
    and the smooth structure along the layers carries it as well either way: off here.)"""
    _without_layers(monkeypatch)
    yy, xx = np.mgrid[:SIZE, :SIZE].astype(np.float32)
    offset = yy - (SIZE / 2 + 0.3 * (xx - SIZE / 2))
    truth = np.repeat(np.where(offset < 0, 0.3, 0.7).astype(np.float32)[None, ..., None], 3,
                      axis=3)
    hole = _disc(24)
    band = hole[0] & (np.abs(offset) <= 3)
    copy = truth.copy()
    copy[hole] = 0.5  # a copy with no edge: the smooth structure sets it near the border
    copy[0][band] = truth[0][band]
    scales = FinishScales.of(SIZE, 0.02, 0.2, 1.0)
    near = hole[0] & (np.abs(offset) <= 8)
    errors = []
    for along in (None, {0: band}):
        out = copy.copy()
        finish_fill(out, hole, scales, 1.0, along=along)
        errors.append(float(np.mean((out[0][near] - truth[0][near]) ** 2)))
    assert errors[1] < 0.8 * errors[0]  # 0.66 of it


@pytest.mark.parametrize("rim", [0, 1])
def test_a_smooth_fill_with_no_known_pixel_on_its_grid_stays_in_the_tile_s_range(rng, rim):
    """A tile wholly in the hole (inside a cap wider than the padded face), or whose known
    rim is thinner than the grid's step: Laplace's equation has no border there, so the
    smooth fill stays the Navier-Stokes guess instead of drifting off (it reached -408..81 on
    a tile of 0.2-0.6)."""
    tile = (0.5 + 0.1 * rng.random((SIZE, SIZE, 3))).astype(np.float32)
    hole = np.ones((SIZE, SIZE), bool)
    hole[:rim] = False
    smooth = _finish._smooth(tile, hole, 4)
    assert smooth.min() >= 0.5 - 1e-3 and smooth.max() <= 0.6 + 1e-3


def test_a_plain_floors_step_of_light_between_pieces_is_levelled():
    # A smoothly lit floor whose hole came back as two copied pieces, each with the light of
    # where it was: the left half darker, the right half lighter, meeting in a straight step.
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[:SIZE, :SIZE].astype(np.float32)
    floor = 0.45 + 0.001 * xx + 0.01 * rng.standard_normal((SIZE, SIZE)).astype(np.float32)
    tiles = np.repeat(floor[None, ..., None], 3, axis=-1)
    hole = _disc(32)
    copied = tiles.copy()
    copied[hole & (xx < SIZE / 2)[None]] -= 0.06
    copied[hole & (xx >= SIZE / 2)[None]] += 0.06
    scales = FinishScales.of(SIZE, 0.02, 0.05, 1.3)

    def step(plain: bool) -> float:
        out = copied.copy()
        finish_fill(out, hole, scales, 1.0, plain=plain)
        rows = slice(SIZE // 2 - 16, SIZE // 2 + 16)
        light = out[0, rows].mean(axis=(0, 2))
        return float(light[SIZE // 2 + 2:SIZE // 2 + 5].mean()
                     - light[SIZE // 2 - 5:SIZE // 2 - 2].mean())

    # The floor's own light rises 0.005 over those 5 px; the pieces add 0.12, of which the
    # finish without the levelling leaves a third (0.041), with it 0.018.
    assert step(False) > 0.03
    assert step(True) < 0.6 * step(False)
    levelled, kept = copied.copy(), copied.copy()
    finish_fill(levelled, hole, scales, 1.0, plain=True)
    finish_fill(kept, hole, scales, 1.0)
    assert np.array_equal(levelled[~hole], copied[~hole])
    # The grain stays as copied: only the straight step's light goes.
    deep = _disc(24)[0]
    assert _detail_energy(levelled[0], deep, 2.0) == pytest.approx(
        _detail_energy(kept[0], deep, 2.0), rel=0.1)


def _lamp_at_a_hole(continued: bool) -> tuple[np.ndarray, np.ndarray, tuple, np.ndarray]:
    """A plain ceiling (0.45, a little grain) and a lamp (a white bar, 4 px high) along the top
    rim of a square hole, ending above it; the fill is a true copy of plain ceiling (bank tile
    1) but for a sliver of the lamp's end (4 px of the hole's top row, copied from the lamp:
    St Fagans' fill holds one). ``continued``: the lamp runs down through the hole's middle
    instead and the fill copies it. Returns the tiles, the hole, the field (the sliver's or
    the continued lamp's pixels copy from bank tile 0) and the bank."""
    rng = np.random.default_rng(3)
    ceiling = 0.45 + 0.01 * (rng.random((SIZE, SIZE, 3), dtype=np.float32) - 0.5)
    yy, xx = np.mgrid[:SIZE, :SIZE]
    hole = (np.abs(yy - 56) < 16) & (np.abs(xx - 48) < 16)  # rows 41-71, columns 33-63
    if continued:
        lamp = (xx >= 46) & (xx < 51)
        copied = hole & lamp
        rows = yy
    else:
        lamp = (yy >= 37) & (yy < 41) & (xx >= 8) & (xx < 54)
        copied = hole & (yy == 41) & (xx >= 50) & (xx < 54)  # the sliver
        rows = np.where(copied, yy - 1, yy)
    truth = ceiling.copy()
    truth[lamp] = 1.0
    k = np.where(copied, 0, 1).astype(np.int32)
    nnf = (k, rows.astype(np.int32), xx.astype(np.int32))
    bank = np.stack([truth, ceiling])
    tile = truth.copy()
    tile[hole] = bank[k, rows, xx][hole]  # the fill
    return tile[None], hole[None], nnf, bank


# The finish's default scales (PatchMatchParams) on a face of SIZE.
_DEFAULT_SCALES = FinishScales.of(SIZE, 0.006, 0.03, 1.3, detail_depth=0.008, pad=0,
                                  trend_level=0.0045, agreement=0.15, rim_depth=0.004,
                                  band_depth=2.0)


def test_a_lamp_ending_at_the_hole_does_not_glow_into_its_plain_fill():
    """St Fagans' ceiling at mask seed 1: a fluorescent lamp ends at the hole's rim and the copy
    is the plain ceiling the truth holds there, but the stitch held the copy to the lamp's
    pixels on the border and spread them into the hole as a round glow (-3.2 dB against the
    copy as it was). A known pixel far brighter than the ring whose fill facing it does not
    continue it is a light the fill ends there: capped for the finish. Measured off the sliver,
    the mean error 0.081 with no cap, 0.031 capped unless the fill holds a light within the
    ring's reach (the sliver holds most of the lamp's side), 0.010 now."""
    tiles, hole, nnf, bank = _lamp_at_a_hole(continued=False)
    out = tiles.copy()
    finish_fill(out, hole, _DEFAULT_SCALES, 1.0, {0: nnf}, bank)
    plain = hole[0] & (nnf[0] == 1)
    error = np.abs(out[0] - tiles[0])[plain]
    assert error.mean() < 0.015 and np.percentile(error, 90) < 0.04
    assert np.array_equal(out[0][~hole[0]], tiles[0][~hole[0]])


def test_a_lamp_the_fill_continues_through_the_hole_is_no_light_to_cap(monkeypatch):
    """The lamp runs through the hole and the fill continues it: its pixels on the border face
    the lamp's copy, so the finish reads them as they are (the same fill as with no cap at
    all). Capped where the lamp's own neighbours in the fill did not continue it (its pixels
    a few rows up from the rim), the fill's lamp came out at a mean of 0.84, not 0.90."""
    tiles, hole, nnf, bank = _lamp_at_a_hole(continued=True)
    out = tiles.copy()
    finish_fill(out, hole, _DEFAULT_SCALES, 1.0, {0: nnf}, bank)
    monkeypatch.setattr(_finish, "cap_lights", lambda image, *args, **kwargs: image)
    uncapped = tiles.copy()
    finish_fill(uncapped, hole, _DEFAULT_SCALES, 1.0, {0: nnf}, bank)
    lamp = hole[0] & (tiles[0].mean(axis=-1) > 0.9)
    assert lamp.sum() > 100
    assert np.array_equal(out, uncapped)


@pytest.mark.parametrize("transposed", [False, True])
def test_a_capped_lamp_leaves_no_dark_blot_where_the_copy_came_from_beside_a_lamp(transposed):
    """St Fagans' ceiling, a hole drawn beside a fluorescent lamp: the copy came from the
    ceiling beside a lamp, so the sources' steps across the rim below the lamp go from the
    lamp's white down to the ceiling. With the lamp capped to the ring's bright end and those
    steps kept, the stitch set the fill below it a lamp's step under the capped value: a dark
    blot (QA: the hole's mean 0.398 against a ring of 0.417, 0.426 uncapped). A capped pixel
    is a stand-in for the light: the step to it is the fill's own. Here the copy is the truth
    (plain ceiling); mean error below the lamp 0.26 with the steps kept (the fill down to 0.02),
    0.008 without. ``transposed``: the lamp beside the hole's left rim, its steps across the
    rim along rows (fails when only the steps down the columns are set to 0)."""
    tiles, hole, _, bank = _lamp_at_a_hole(continued=False)
    if transposed:
        tiles, hole, bank = (np.ascontiguousarray(np.swapaxes(a, 1, 2))
                             for a in (tiles, hole, bank))
    yy, xx = np.mgrid[:SIZE, :SIZE]
    nnf = (np.zeros((SIZE, SIZE), np.int32), yy.astype(np.int32), xx.astype(np.int32))
    truth = bank[0]
    tiles[0][hole[0]] = truth[hole[0]]  # the copy is the truth, taken from beside the lamp
    out = tiles.copy()
    finish_fill(out, hole, _DEFAULT_SCALES, 1.0, {0: nnf}, bank)
    below = (yy < 47) & (xx < 54)  # the rows under the lamp's end
    below = hole[0] & (below.T if transposed else below)
    error = np.abs(out[0] - truth)[below]
    assert error.mean() < 0.02 and np.percentile(error, 90) < 0.05
    assert (out[0][hole[0]].mean(axis=-1) > 0.4).all()  # no pixel of the fill goes dark


def _red_lamp_at_a_hole(red: float) -> tuple[np.ndarray, ...]:
    """A grey ceiling (0.45) with a red lamp (``red`` in R, the ceiling's G and B) ending at a
    hole's top rim, as in :func:`_lamp_at_a_hole`; the fill a copy of the ceiling 0.05 too
    bright (an offset the stitch removes). Returns the tiles, the hole, the field and the bank."""
    rng = np.random.default_rng(3)
    ceiling = 0.45 + 0.01 * (rng.random((SIZE, SIZE, 3), dtype=np.float32) - 0.5)
    yy, xx = np.mgrid[:SIZE, :SIZE]
    hole = (np.abs(yy - 56) < 16) & (np.abs(xx - 48) < 16)  # rows 41-71, columns 33-63
    lamp = (yy >= 37) & (yy < 41) & (xx >= 8) & (xx < 54)
    tile = ceiling.copy()
    tile[lamp, 0] = red
    nnf = (np.where(hole, 0, -1).astype(np.int32), yy.astype(np.int32), xx.astype(np.int32))
    bank = (ceiling + 0.05)[None]
    tile[hole] = bank[0][hole]
    return tile[None], hole[None], nnf, bank


@pytest.mark.parametrize("stitch_only", [True, False])
def test_a_red_lamp_capped_in_red_leaves_the_stitch_in_green_and_blue_as_with_no_lamp(
        monkeypatch, stitch_only):
    """A coloured light is capped only in the channels it stands out in: a red lamp's green
    and blue are the ceiling's own, so the stitch meets them as any known pixel (the cut's
    step takes the copy's offset out), not as a stand-in whose step is the fill's own. Marked
    in every channel when any was capped, the fill below the lamp kept the copy's offset in G
    and B: 0.046 above the lamp-free fill at most with the stitch alone (0.028 with the whole
    finish), under 1e-6 (0.0023) per channel. ``stitch_only``: no bands, no smooth structure,
    so the finish is the stitch and its G and B must be the lamp-free ones to the solve's
    tolerance. (The lamp's bar makes the ring layered; the smooth structure along it would
    mend the red steps as well: off here.)"""
    _without_layers(monkeypatch)
    scales = _DEFAULT_SCALES
    if stitch_only:
        scales = FinishScales(scales.sigma, 0.0, scales.ring, 1.0, bands=0)
    outs = []
    for red in (1.0, 0.45):  # the red lamp, then no lamp at all
        tiles, hole, nnf, bank = _red_lamp_at_a_hole(red)
        out = tiles.copy()
        finish_fill(out, hole, scales, 1.0, {0: nnf}, bank)
        outs.append(out[0][hole[0]])
    lamp, plain = outs
    assert np.abs(lamp[:, 0] - plain[:, 0]).max() > 0.04  # red: capped, the fill's own steps
    assert np.abs(lamp[:, 1:] - plain[:, 1:]).max() < (1e-5 if stitch_only else 0.005)

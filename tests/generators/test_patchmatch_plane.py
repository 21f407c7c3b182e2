"""Floor rectification (``_plane``): the tile-to-floor homography checked by its properties, and
a tiled floor seen in perspective by a side face, whose tiles the fill continues across a hole
along the lattice found on the floor seen from above.

The floor is drawn by casting each tile pixel's ray onto the plane one unit below the camera
(3 x 3 samples a pixel): square tiles turned by 40 degrees on the floor, alternately light and
dark, with dark grout lines; the sky above the horizon is plain. The panorama's up is tilted a
degree away from the cube's, as when the cube is turned to centre a hole.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from pano_inpaint.generators import CubeTiles
from pano_inpaint.generators.patchmatch import PatchMatch, _plane, generator
from pano_inpaint.generators.patchmatch._lines import LinesFound, lines_and_edges
from pano_inpaint.generators.patchmatch._offsets import (
    Lattice,
    _msd_map,
    find_lattice,
)
from pano_inpaint.generators.patchmatch._plane import (
    _plane_basis,
    _stretch,
    apply_homography,
    colour_distance,
    holds_across,
    homography_parts,
    nearer_point,
    rectify,
    repeats_across,
    tile_to_plane,
)
from pano_inpaint.geometry.conventions import FACE_CENTER, FACE_DOWN, FACE_RIGHT

FACE, PAD = 160, 16
SIZE = FACE + 2 * PAD  # 192
FRONT, DOWN = 0, 5
CELL = 0.5  # tile side on the floor, in camera heights
TURN = np.radians(40)


def _up(degrees: float = 1.0) -> np.ndarray:
    t = np.radians(degrees)
    return np.array([np.sin(t), np.cos(t), 0.0])


def _floor(up: np.ndarray, face: int = FRONT, samples: int = 3, cell: float = CELL,
           ground: bool = False, random_tones: bool = False, stripe: float | None = None
           ) -> np.ndarray:
    """``(SIZE, SIZE, 3)`` the tiled floor (and sky) as tile ``face`` sees it; with
    ``ground``, a floor without tiles: smooth noise of the same contrast on the plane; with
    ``random_tones``, each tile light or dark at random instead of alternately; with
    ``stripe``, a dark stripe painted along the tiles' rows, ``_STRIPE`` tiles wide, its
    middle ``stripe`` tiles across them (one stripe: the lattice's steps do not repeat it)."""
    e1, e2, _ = _plane_basis(FRONT, -up)  # the floor's own axes, whichever face looks
    grey = np.zeros((SIZE, SIZE))
    c = (2 * (np.arange(SIZE) - PAD) + 1) / FACE - 1
    for oy in range(samples):
        for ox in range(samples):
            a = c + (ox - (samples - 1) / 2) * 2 / FACE / samples
            b = c + (oy - (samples - 1) / 2) * 2 / FACE / samples
            ray = (FACE_CENTER[face] + a[None, :, None] * FACE_RIGHT[face]
                   + b[:, None, None] * FACE_DOWN[face])
            down = -(ray @ up)
            with np.errstate(divide="ignore", invalid="ignore"):
                point = ray / np.where(down > 1e-3, down, np.nan)[..., None]
            x, y = point @ e1, point @ e2
            u = (np.cos(TURN) * x + np.sin(TURN) * y) / cell
            v = (-np.sin(TURN) * x + np.cos(TURN) * y) / cell
            if ground:  # smooth noise, 8 grains a tile, which no shift repeats
                at = [np.nan_to_num(8 * w % _GRAIN.shape[0]).astype(np.float32) for w in (u, v)]
                value = 0.55 + cv2.remap(_GRAIN, *at, cv2.INTER_LINEAR,
                                         borderMode=cv2.BORDER_WRAP)
            else:
                fu, fv = u - np.floor(u), v - np.floor(v)
                light = (np.floor(u) + np.floor(v)) % 2
                if random_tones:  # a fixed random bit per tile
                    cells = np.nan_to_num(np.floor(u) * 7919 + np.floor(v) * 104729)
                    light = np.sin(cells.astype(np.float64)) * 43758.5453 % 1 > 0.5
                grout = (np.minimum(fu, 1 - fu) < 0.05) | (np.minimum(fv, 1 - fv) < 0.05)
                value = np.where(grout, 0.2, 0.45 + 0.3 * np.nan_to_num(light))
                if stripe is not None:
                    value = np.where(np.abs(v - stripe) < _STRIPE / 2, 0.05, value)
            grey += np.where(down > 1e-3, value, 0.85)
    grey /= samples**2
    return np.stack([grey, 0.95 * grey, 0.9 * grey + 0.05], axis=-1).astype(np.float32)


_STRIPE = 0.12
_GRAIN = cv2.GaussianBlur(np.random.default_rng(5).normal(0, 0.4, (256, 256)).astype(
    np.float32), (0, 0), 1.0)


def _hole(row: float = 0.72, radius: float = 0.15) -> np.ndarray:
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    return np.hypot(y - SIZE * row, x - SIZE / 2) <= radius * SIZE


def _tile_pixel(face: int, point: np.ndarray) -> np.ndarray:
    """Tile pixel ``(x, y)`` (float) where ``face`` sees the 3-D ``point``."""
    depth = point @ FACE_CENTER[face]
    a, b = point @ FACE_RIGHT[face] / depth, point @ FACE_DOWN[face] / depth
    return np.array([(a + 1) * FACE / 2 - 0.5 + PAD, (b + 1) * FACE / 2 - 0.5 + PAD])


# --------------------------------------------------------------------------------- geometry


def test_a_floor_point_maps_to_the_same_plane_point_from_two_faces(rng):
    up = _up(7.0)
    normal = -up
    for _ in range(20):
        # Rays between the front and the down face, seen by both (the padding overlaps).
        ray = np.array([rng.uniform(-0.5, 0.5), -1.0, 1.0 + rng.uniform(-0.08, 0.08)])
        point = ray / (ray @ normal)  # on the floor, one unit below the camera
        seen = []
        for face in (FRONT, DOWN):
            pixel = _tile_pixel(face, point)
            assert (pixel >= 0).all() and (pixel <= SIZE - 1).all()
            (u, v), w = apply_homography(tile_to_plane(face, FACE, PAD, normal), pixel)
            assert w > 0
            e1, e2, n = _plane_basis(face, normal)
            seen.append(u * e1 + v * e2 + n)
        np.testing.assert_allclose(seen[0], point, atol=1e-9)
        np.testing.assert_allclose(seen[1], point, atol=1e-9)


def test_tile_to_grid_and_back_is_the_identity(rng):
    up = _up()
    rect = rectify(_floor(up), _hole(), FRONT, FACE, PAD, tuple(up))
    assert rect is not None
    points = rng.uniform(0, SIZE - 1, (500, 2))
    on_grid, w = apply_homography(rect.to_grid, points)
    keep = w > 0
    back, _ = apply_homography(rect.from_grid, on_grid[keep])
    assert keep.mean() > 0.4  # the floor below the horizon
    assert np.abs(back - points[keep]).max() < 0.01


def test_the_floor_seen_from_above_repeats_with_one_shift_where_the_tile_does_not():
    up = _up()
    image, hole = _floor(up), _hole()
    assert find_lattice(image, ~hole) is None  # perspective: no constant shift on the tile
    rect = rectify(image, hole, FRONT, FACE, PAD, tuple(up))
    lattice = find_lattice(rect.image, rect.known)
    assert lattice is not None
    # Square tiles: the lattice's reduced basis (the two shortest shifts spanning it) is two
    # shifts as long as each other and at right angles (the sharpest shift found may be a
    # tile's diagonal).
    a, b, _ = lattice.basis()
    assert b is not None
    assert np.hypot(*b) == pytest.approx(np.hypot(*a), rel=0.1)
    assert abs(a @ b) / (np.hypot(*a) * np.hypot(*b)) < 0.1


def test_no_rectification_at_the_horizon_or_looking_down_at_the_floor():
    up = _up()
    image = _floor(up)
    assert rectify(image, _hole(row=0.5, radius=0.1), FRONT, FACE, PAD, tuple(up)) is None
    level = np.array([0.0, 1.0, 0.0])  # the down face sees the floor without perspective
    assert rectify(_floor(level, DOWN), _hole(0.5), DOWN, FACE, PAD, tuple(level)) is None


def test_a_ceiling_is_the_plane_above():
    up = _up()
    # Turned upside down, the same view is a ceiling above the camera.
    rect = rectify(_floor(up), _hole(), FRONT, FACE, PAD, tuple(-up))
    assert rect is not None and rect.ceiling
    assert not rectify(_floor(up), _hole(), FRONT, FACE, PAD, tuple(up)).ceiling


def test_float_lattice_vectors_are_the_whole_ones_unrounded():
    lattice = Lattice(np.array([[3.3, 7.6], [-3.3, -7.6], [8.1, -2.2], [-8.1, 2.2]]),
                      np.full(4, 0.8), np.zeros(4, bool))
    whole, exact = lattice.vectors(40.0), lattice.vectors(40.0, whole=False)
    assert whole.dtype == np.int64 and exact.dtype == np.float64
    nearest = np.abs(whole[:, None, :] - exact[None]).max(axis=-1).min(axis=1)
    assert nearest.max() <= 0.5


# ---------------------------------------------------------- the same values, computed cheaper


def _stacked_stretch(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Jacobian's singular values as written on the stacked ``(N, N, 2)`` map: what
    ``_stretch`` computes on the two coordinates apart."""
    with np.errstate(over="ignore", invalid="ignore"):
        du, dv = np.gradient(points, axis=1), np.gradient(points, axis=0)
        a, b, c = (du * du).sum(-1), (du * dv).sum(-1), (dv * dv).sum(-1)
        mean, spread = 0.5 * (a + c), np.sqrt(0.25 * (a - c) ** 2 + b * b)
        largest, smallest = np.sqrt(mean + spread), np.sqrt(np.maximum(mean - spread, 0))
    finite = np.isfinite(largest)
    return np.where(finite, largest, np.inf), np.where(finite, smallest, 0.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_stretch_of_the_coordinates_apart_is_the_stacked_maps_bit_for_bit(rng, dtype):
    """``rectify`` measures the stretch on the two coordinates apart (numpy sums a last axis
    of two slowly): the same bits as on the stacked map, also beyond the horizon (inf)."""
    up = _up()
    h = np.diag([0.1, 0.1, 1.0]) @ tile_to_plane(FRONT, FACE, PAD, -up)
    coords = np.arange(SIZE, dtype=np.float64)
    x, y, w = homography_parts(h, coords[None], coords[:, None])
    x[w <= 0], y[w <= 0] = np.inf, -np.inf  # rays beyond the horizon
    x, y = x.astype(dtype), y.astype(dtype)
    assert (w <= 0).any() and (w > 0).any()
    for got, want in zip(_stretch(x, y), _stacked_stretch(np.stack([x, y], axis=-1)),
                         strict=True):
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
    noisy = rng.normal(0, 50, (2, 37, 41)).astype(dtype)
    for got, want in zip(_stretch(*noisy), _stacked_stretch(np.moveaxis(noisy, 0, -1)),
                         strict=True):
        assert got.tobytes() == want.tobytes()


def test_homography_parts_on_broadcast_coordinates_are_the_full_grids_bit_for_bit():
    """``rectify`` maps its grids from a row and a column of coordinates (broadcast), not from
    two full meshgrids: the same bits, and the homography's dehomogenised product."""
    up = _up()
    h = tile_to_plane(FRONT, FACE, PAD, -up)
    coords = np.arange(0, SIZE, 3, dtype=np.float64)
    x, y, w = homography_parts(h, coords[None], coords[:, None])
    grid_x, grid_y = np.meshgrid(coords, coords)
    full = homography_parts(h, grid_x, grid_y)
    assert x.shape == y.shape == w.shape == grid_x.shape
    for got, want in zip((x, y, w), full, strict=True):
        assert got.tobytes() == want.tobytes()
    product = np.einsum("ij,abj->abi", h, np.stack([grid_x, grid_y, np.ones_like(grid_x)], -1))
    np.testing.assert_allclose(w, product[..., 2], rtol=1e-12)
    keep = w > 0
    np.testing.assert_allclose(x[keep], (product[..., 0] / product[..., 2])[keep], rtol=1e-9)
    np.testing.assert_allclose(y[keep], (product[..., 1] / product[..., 2])[keep], rtol=1e-9)
    points, weights = apply_homography(h, np.stack([grid_x, grid_y], axis=-1))
    assert points[..., 0].tobytes() == x.tobytes() and weights.tobytes() == w.tobytes()


def _shifted_msd(detail: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``_msd_map``'s correlations centred by ``np.fft.fftshift`` and sliced, as it was
    written before they were copied straight into place."""
    size = detail.shape[0]
    n = cv2.getOptimalDFTSize(2 * size)
    m = known.astype(np.float64)
    middle = slice(n // 2 - size + 1, n // 2 + size)

    def correlate(fa, fb):
        return np.fft.fftshift(np.fft.irfft2(np.conj(fa) * fb, (n, n)))[middle, middle]

    fm = np.fft.rfft2(m, (n, n))
    overlap = correlate(fm, fm)
    x = detail[..., 0].astype(np.float64) * m
    fx, fx2 = np.fft.rfft2(x, (n, n)), np.fft.rfft2(x * x, (n, n))
    total = np.zeros_like(overlap) + (correlate(fx2, fm) + correlate(fm, fx2)
                                      - 2 * correlate(fx, fx))
    return total / np.maximum(overlap, 1.0), overlap


@pytest.mark.parametrize("size", [9, 40, 51, 64])
def test_the_msd_map_is_centred_on_the_zero_shift_and_as_before_bit_for_bit(rng, size):
    detail = rng.random((size, size, 1)).astype(np.float32)
    known = rng.random((size, size)) > 0.3
    msd, overlap = _msd_map(detail, known)
    assert msd.shape == overlap.shape == (2 * size - 1, 2 * size - 1)
    want_msd, want_overlap = _shifted_msd(detail, known)
    assert msd.tobytes() == want_msd.tobytes() and overlap.tobytes() == want_overlap.tobytes()
    centre = size - 1
    x = np.where(known, detail[..., 0], 0).astype(np.float64)
    for dy, dx in [(0, 0), (3, -5), (-size + 1, size - 1), (size - 2, 1)]:
        # by definition: sum over pixels known at x and x + d, at the map's centre + d
        a = np.zeros((3 * size, 3 * size))
        ka = np.zeros((3 * size, 3 * size))
        a[size:2 * size, size:2 * size], ka[size:2 * size, size:2 * size] = x, known
        b = np.roll(a, (-dy, -dx), axis=(0, 1))
        kb = np.roll(ka, (-dy, -dx), axis=(0, 1))
        both = ka * kb
        assert overlap[centre + dy, centre + dx] == pytest.approx(both.sum(), abs=1e-6)
        want = (both * (a - b) ** 2).sum() / max(both.sum(), 1.0)
        assert msd[centre + dy, centre + dx] == pytest.approx(want, abs=1e-9)


# ------------------------------------------------------------------------------------- fill


def _fill(monkeypatch: pytest.MonkeyPatch | None, truth: np.ndarray | None = None,
          hole: np.ndarray | None = None, part: np.ndarray | None = None
          ) -> tuple[float, list[str]]:
    """Correlation of the fill with the truth in the hole (in its pixels in ``part``), and
    the fill's notes; with ``monkeypatch``, the floor step is skipped (rectify finds no
    plane)."""
    up = _up()
    truth = _floor(up) if truth is None else truth
    hole = _hole() if hole is None else hole
    if monkeypatch is not None:
        monkeypatch.setattr(_plane, "rectify", lambda *args, **kwargs: None)
    blanked = truth.copy()
    blanked[hole] = 0
    tiles = CubeTiles(blanked[None], hole[None], (FRONT,), FACE, PAD, up=tuple(up))
    out = PatchMatch().inpaint(tiles)[0]
    scored = hole if part is None else hole & part
    return float(np.corrcoef(out.mean(-1)[scored], truth.mean(-1)[scored])[0, 1]), tiles.notes


def test_a_perspective_tiled_floor_continues_across_the_hole(monkeypatch):
    along, notes = _fill(None)
    plain, plain_notes = _fill(monkeypatch)
    # Measured: 0.89 along the floor's lattice (0.75 with the peel's coherence, see below),
    # 0.39 without the floor step, 0.32 with the lattice's shifts taken on the tile (the
    # kernel given the identity for the homography; measured with the coherence).
    assert along >= 0.45
    assert along >= plain + 0.2
    assert any("floor lattice of strength" in note for note in notes)
    assert any("filled along" in note and "floor lattice" in note for note in notes)
    assert not any("floor lattice" in note for note in plain_notes)


@pytest.mark.parametrize("case, least", [("below", 0.85), ("nearer", 0.6), ("straddling", 0.6)])
def test_a_floor_lattice_s_copies_keep_their_joints_in_step_across_the_hole(case, least):
    """A step along the floor's lattice is longer on the tile near the camera than far from it.
    The peel's coherence (a pixel continuing its filled neighbour's copy one tile pixel on)
    ignored that and brought the joints back 1-3 px out of step: each pixel takes its own step
    on a plane. Measured, correlation with the truth in the hole (on its floor part where it
    straddles the horizon): 0.89 / 0.68 / 0.68, and 0.75 / 0.49 / 0.52 with the coherence."""
    up = _up()
    truth, hole = {"below": (_floor(up), _hole()),
                   "nearer": (_floor(up, cell=0.25), _hole(row=0.6, radius=0.06)),
                   "straddling": (_floor(up), _hole(row=0.57, radius=0.14))}[case]
    rect = rectify(truth, hole, FRONT, FACE, PAD, tuple(up))
    assert rect is not None
    along, notes = _fill(None, truth, hole, rect.region)
    assert any("filled along" in note and "floor lattice" in note for note in notes)
    assert along >= least


def test_a_floor_seen_a_little_tilted_is_filled_along_its_lattice_seen_from_above():
    """A face turned to centre a hole off the nadir (a photographer's shadow) sees the floor
    25 degrees off straight above: at the hole only 1.1 times foreshortened, but the floor's
    scale still changes across the tile, so that no shift repeats it there and the tile's own
    lattice search finds nothing. The floor seen from above has the lattice (measured: the
    fill's correlation with the truth 0.70 along it, 0.47 with the lines alone)."""
    up = _up(25.0)
    truth, hole = _floor(up, DOWN), _hole(row=0.5)
    assert find_lattice(truth, ~hole) is None
    rect = rectify(truth, hole, DOWN, FACE, PAD, tuple(up))
    assert rect is not None
    blanked = truth.copy()
    blanked[hole] = 0
    tiles = CubeTiles(blanked[None], hole[None], (DOWN,), FACE, PAD, up=tuple(up))
    out = PatchMatch().inpaint(tiles)[0]
    assert any("floor lattice of strength" in note for note in tiles.notes)
    assert np.corrcoef(out.mean(-1)[hole], truth.mean(-1)[hole])[0, 1] >= 0.56


def test_a_floor_seen_nearly_from_above_is_not_looked_for_nearer_the_camera(monkeypatch):
    """The search nearer the camera is for floors near the horizon, blurred on the hole's
    view; from a hole seen 25 degrees off straight above (1.1 times foreshortened) the face
    sees the floor no larger anywhere, and the search only cost time (0.26 s at 4K) where the
    floor has no lattice."""
    calls = []
    real = _plane._nearer_lattice
    monkeypatch.setattr(_plane, "_nearer_lattice",
                        lambda *args: calls.append(1) or real(*args))
    up = _up(25.0)
    ground, hole = _floor(up, DOWN, ground=True), _hole(row=0.5)
    assert _plane.floor_lattice(ground, hole, DOWN, FACE, PAD, tuple(up),
                                min_strength=0.3) is None
    assert not calls
    far_up = _up()  # the front face's view of the floor: near the horizon, searched nearer
    assert _plane.floor_lattice(_floor(far_up, ground=True), _hole(), FRONT, FACE, PAD,
                                tuple(far_up), min_strength=0.3) is None
    assert calls


def test_a_tilted_floor_s_lattice_seen_from_above_beats_a_weaker_one_on_the_tile(monkeypatch):
    """The tile of a floor seen 25 degrees off straight above may find a weak lattice of its
    own (a shift that holds near the middle of the view only; here a made-up one of strength
    0.31): the floor's own lattice seen from above, which repeats more sharply, is taken."""
    up = _up(25.0)
    truth, hole = _floor(up, DOWN), _hole(row=0.5)
    weak = Lattice(np.array([[0.0, 23.0], [0.0, -23.0], [23.0, 0.0], [-23.0, 0.0]]),
                   np.array([0.31, 0.31, 0.30, 0.30]), np.zeros(4, bool))
    monkeypatch.setattr(generator, "find_lattice", lambda *args, **kwargs: weak)
    monkeypatch.setattr(generator, "tone_lattice", lambda image, known, lattice: lattice)
    blanked = truth.copy()
    blanked[hole] = 0
    tiles = CubeTiles(blanked[None], hole[None], (DOWN,), FACE, PAD, up=tuple(up))
    out = PatchMatch().inpaint(tiles)[0]
    assert any("floor lattice of strength" in note for note in tiles.notes)
    assert not any("face D: lattice of strength 0.31" in note for note in tiles.notes)
    assert np.corrcoef(out.mean(-1)[hole], truth.mean(-1)[hole])[0, 1] >= 0.56


def test_a_floor_hole_shallower_than_the_lattice_step_is_filled_along_it():
    """On the floor's grid the copies' reach (twice the hole's depth and a patch, 30 px here)
    is shorter than the tone lattice's step (36 px): the lattice's own cell still gives each
    hole pixel its steps (the plaza's wrap object from 2K up; with the plain reach 40% of
    this hole was filled along the floor, correlation 0.57 against 0.70)."""
    up = _up()
    truth, hole = _floor(up, cell=0.8), _hole(radius=0.07)
    blanked = truth.copy()
    blanked[hole] = 0
    tiles = CubeTiles(blanked[None], hole[None], (FRONT,), FACE, PAD, up=tuple(up))
    out = PatchMatch().inpaint(tiles)[0]
    assert any("100% of its hole filled along" in note and "floor lattice" in note
               for note in tiles.notes)
    assert np.corrcoef(out.mean(-1)[hole], truth.mean(-1)[hole])[0, 1] >= 0.65


def test_a_failing_floor_step_stops_the_line_search(monkeypatch):
    """The floor step runs while the lines are searched beside it: when it fails (or Ctrl-C
    lands in it) the search is told to stop, as when the tile's own lattice search fails."""
    stops = []
    lines_and_edges = generator.lines_and_edges

    def recording(*args, stop, **kwargs):
        stops.append(stop)
        return lines_and_edges(*args, stop=stop, **kwargs)

    def failing(*args):
        raise RuntimeError("rectify failed")

    monkeypatch.setattr(generator, "lines_and_edges", recording)
    monkeypatch.setattr(_plane, "rectify", failing)
    up = _up()
    hole = _hole()
    blanked = _floor(up)
    blanked[hole] = 0
    with pytest.raises(RuntimeError, match="rectify failed"):
        PatchMatch().inpaint(CubeTiles(blanked[None], hole[None], (FRONT,), FACE, PAD,
                                       up=tuple(up)))
    assert len(stops) == 1 and stops[0].is_set()


def test_a_lattice_is_reduced_to_its_shortest_basis():
    """The strongest two dips need not be a reduced pair: one tile and one tile plus the next
    one (the 4K plaza's floor: 194 and 275 px)."""
    a, c = np.array([85.1, -174.6]), np.array([174.6, 85.1])
    lattice = Lattice(np.array([a, -a, a + c, -(a + c)]), np.full(4, 0.5), np.zeros(4, bool))
    first, second, _ = lattice.basis()
    assert sorted([np.hypot(*first), np.hypot(*second)]) == pytest.approx(
        [np.hypot(*a), np.hypot(*c)])
    assert lattice.cell() == pytest.approx(np.hypot(*(a + c)))
    assert any(np.allclose(v, c, atol=0.01) for v in lattice.vectors(200.0, whole=False))


def test_a_floor_near_the_horizon_takes_its_lattice_from_nearer_the_camera(monkeypatch):
    """Small tiles and a hole a few degrees below the horizon: on the hole's grid the tiles are
    a few blurred pixels and no lattice is found there; the same floor half way to the tile's
    bottom shows them large enough, and its lattice, scaled to the hole's grid, fills it."""
    up = _up()
    truth, hole = _floor(up, cell=0.25), _hole(row=0.6, radius=0.06)
    rect = rectify(truth, hole, FRONT, FACE, PAD, tuple(up))
    assert rect is not None and rect.whole
    assert find_lattice(rect.image, rect.known) is None
    along, notes = _fill(None, truth, hole)
    with monkeypatch.context() as patch:
        patch.setattr(_plane, "_nearer_lattice", lambda *args: None)
        near_only, near_notes = _fill(None, truth, hole)
    # Measured: 0.68 along the lattice found nearer the camera, 0.02 without it.
    assert along >= 0.35
    assert along >= near_only + 0.25
    assert any("floor lattice of strength" in note and "nearer the camera" in note
               for note in notes)
    assert not any("floor lattice" in note for note in near_notes)


def test_the_nearer_grid_shows_the_same_lattice_scaled_by_the_steps():
    up = _up()
    image, hole = _floor(up), _hole()
    rect = rectify(image, hole, FRONT, FACE, PAD, tuple(up))
    at = nearer_point(image, hole, FRONT, FACE, PAD, tuple(up), rect.ceiling)
    assert at is not None and not hole[int(at[1]), int(at[0])]
    near = rectify(image, hole, FRONT, FACE, PAD, tuple(up), at=at, ceiling=rect.ceiling)
    assert near is not None and near.step < rect.step  # nearer the camera: finer
    here, there = find_lattice(rect.image, rect.known), find_lattice(near.image, near.known)
    assert here is not None and there is not None
    # In camera heights on the floor, each shift is one of the floor's: a tile (CELL) along a
    # side or across the diagonal (the nearer grid finds only the diagonal here).
    for lattice, grid in ((here, rect), (there, near)):
        lengths = np.hypot(*lattice.offsets.T) * grid.step / CELL
        assert np.abs(lengths[:, None] - np.array([1, np.sqrt(2)])).min(axis=1).max() < 0.05


def test_a_hole_straddling_the_horizon_fills_its_floor_part_along_the_lattice(monkeypatch):
    up = _up()
    truth, hole = _floor(up), _hole(row=0.57, radius=0.14)
    rect = rectify(truth, hole, FRONT, FACE, PAD, tuple(up))
    assert rect is not None and not rect.whole  # 50-90% of it lies on the floor
    along, notes = _fill(None, truth, hole, rect.region)
    plain, _ = _fill(monkeypatch, truth, hole, rect.region)
    # Measured on the floor part: 0.68 along the floor's lattice, 0.11 without the step.
    assert along >= 0.35
    assert along >= plain + 0.2
    assert any("floor lattice of strength" in note for note in notes)


def test_a_lattice_holds_across_a_floor_whatever_pair_of_its_dips_came_first():
    """The two shortest shifts are judged (the reduced basis), not the strongest two dips: one
    tile and two tiles plus one of the next span the same floor lattice (the 4K plaza's
    strongest dips were an unreduced pair too), and with the longer shift judged the floor's
    lattice was refused."""
    up = _up()
    hole = _hole(row=0.57, radius=0.14)
    floor = rectify(_floor(up), hole, FRONT, FACE, PAD, tuple(up))
    a, b, _ = find_lattice(floor.image, floor.known).basis()
    long = 2 * a + b
    lattice = Lattice(np.array([a, -a, long, -long]), np.full(4, 0.5), np.zeros(4, bool))
    assert holds_across(floor, lattice, 0.15)


def test_a_lattice_holds_across_a_floor_but_not_across_a_wall_taken_for_one():
    up = _up()
    hole = _hole(row=0.57, radius=0.14)
    floor = rectify(_floor(up), hole, FRONT, FACE, PAD, tuple(up))
    lattice = find_lattice(floor.image, floor.known)
    assert lattice is not None and holds_across(floor, lattice, 0.15)
    # Tiles on a wall facing the camera (a plain checkerboard on the tile), taken for the
    # floor below the horizon: their scale on the floor's grid grows with the distance, so the
    # shift found on the grid as a whole is no dip near the camera or far from it.
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    light = ((y // 8 + x // 8) % 2).astype(np.float32)
    grout = (y % 8 == 0) | (x % 8 == 0)
    wall = np.repeat(np.where(grout, 0.2, 0.45 + 0.3 * light)[..., None], 3, -1).astype(
        np.float32)
    rect = rectify(wall, hole, FRONT, FACE, PAD, tuple(up))
    assert rect is not None
    found = find_lattice(rect.image, rect.known)
    assert found is not None and not holds_across(rect, found, 0.15)


@pytest.mark.parametrize(("row", "radius"), [(0.6, 0.06), (0.72, 0.15), (0.57, 0.14)])
def test_a_floor_without_tiles_gets_no_lattice(row, radius):
    up = _up()
    _, notes = _fill(None, _floor(up, ground=True), _hole(row=row, radius=radius))
    assert not any("floor lattice" in note for note in notes)


@pytest.mark.parametrize("size", [192, 410, 600])
def test_a_ring_of_the_plane_s_own_colours_is_at_about_one_at_every_tile_size(size):
    """A noisy floor's ring is as near the plane's colours as the plane's own pixels are:
    about 1 on a 1K tile (410 px) as on a 2K one. With one sample of the plane for both, on
    discs of fewer than 3000 pixels (tiles below ~500 px), each plane pixel found itself and
    the ratio was 8.5 at 192 px and 5.5 at 410 (a real floor near the guard's 6), 0.99 at 600."""
    rng = np.random.default_rng(0)
    image = rng.uniform(0.3, 0.7, (size, size, 3)).astype(np.float32)
    y, x = np.mgrid[0:size, 0:size]
    hole = np.hypot(y - 0.4 * size, x - size / 2) <= 0.06 * size
    assert colour_distance(image, hole, (size / 2, 0.8 * size)) == pytest.approx(1.0, abs=0.2)


def test_the_ring_around_a_hole_on_a_wall_is_not_the_floor_s_colours():
    up = _up()
    image, hole = _floor(up, cell=0.25), _hole(row=0.6, radius=0.06)
    rect = rectify(image, hole, FRONT, FACE, PAD, tuple(up))
    at = nearer_point(image, hole, FRONT, FACE, PAD, tuple(up), rect.ceiling)
    assert colour_distance(image, hole, at) < _plane._SAME_SURFACE  # measured: 1.8
    # The same floor with a beige wall standing on it around the hole.
    wall = image.copy()
    ring = cv2.dilate(hole.astype(np.uint8), np.ones((11, 11), np.uint8)).astype(bool)
    wall[ring] = (0.6, 0.55, 0.4)
    assert colour_distance(wall, hole, at) > _plane._SAME_SURFACE
    with np.errstate(invalid="ignore"):  # the correlation is not what is looked at here
        _, notes = _fill(None, wall, hole)
    assert not any("nearer the camera" in note for note in notes)


def test_tiles_of_random_tones_near_the_horizon_take_their_lattice_from_nearer_the_camera(
        monkeypatch):
    """Tiles of random tones a few blurred pixels on the hole's grid: the lattice found nearer
    the camera continues their joints across the hole (the tile tones step then gives the
    tiles the hole cuts their known parts' tones); refused before session 59, when each
    tile's tone was a copy's guess (a parquet's boards round a cube-corner object: +2.16 dB).
    Measured, correlation with the truth in the hole: 0.21 with it, 0.08 without."""
    up = _up()
    truth, hole = _floor(up, cell=0.25, random_tones=True), _hole(row=0.6, radius=0.06)
    along, notes = _fill(None, truth, hole)
    with monkeypatch.context() as patch:
        patch.setattr(_plane, "_nearer_lattice", lambda *args: None)
        without, without_notes = _fill(None, truth, hole)
    assert any("nearer the camera" in note for note in notes)
    assert not any("nearer the camera" in note for note in without_notes)
    assert along >= without + 0.08


def test_the_floor_s_own_lines_repeat_one_step_across_and_a_kerb_does_not():
    """The grout lines that the line step finds around a hole in the tiled floor repeat one
    step of the floor's lattice across them (left to the lattice: drawn as lines first, each
    band was copied along its line without the joints that cross it, and a ceiling grid's
    joints broke where two met); a dark kerb drawn across the same floor does not, and stays
    a line."""
    up = _up()
    floor, hole = _floor(up), _hole()
    rect, lattice, _ = _plane.floor_lattice(floor, hole, FRONT, FACE, PAD, tuple(up),
                                            min_strength=0.3)
    crossing = [line for line in lines_and_edges(floor, hole, FACE).lines if line.end is None]
    assert crossing
    assert all(repeats_across(rect, lattice, line.point, line.direction, line.half_width)
               for line in crossing)
    kerbed = floor.copy()
    cv2.line(kerbed, (0, 112), (SIZE - 1, 160), (0.08, 0.08, 0.08), 4)
    rect, lattice, _ = _plane.floor_lattice(kerbed, hole, FRONT, FACE, PAD, tuple(up),
                                            min_strength=0.3)
    kerbs = lines_and_edges(kerbed, hole, FACE).lines
    assert kerbs
    assert not any(repeats_across(rect, lattice, line.point, line.direction, line.half_width)
                   for line in kerbs)


def _fill_the_tiled_floor(**params) -> str:
    """The notes of a ``PatchMatch(**params)`` fill of the synthetic tiled floor, its hole
    seen from a side face."""
    up = _up()
    truth, hole = _floor(up, cell=0.35), _hole(0.7, 0.15)
    blanked = truth.copy()
    blanked[hole] = 0
    tiles = CubeTiles(blanked[None], hole[None], (FRONT,), FACE, PAD, up=tuple(up))
    PatchMatch(**params).inpaint(tiles)
    return " ".join(tiles.notes)


@pytest.mark.parametrize("own_lines", [True, False])
def test_the_floor_step_leaves_its_own_lines_to_its_lattice(own_lines):
    """The generator drops the grout lines the floor's lattice repeats from the line step's
    plan (``floor_own_lines``) and says so; without, they are drawn as lines first."""
    notes = _fill_the_tiled_floor(floor_own_lines=own_lines)
    assert "floor lattice" in notes
    assert ("of the pattern left to its lattice" in notes) == own_lines
    assert ("continued across the hole" in notes) != own_lines


def _notes_with_joint_and(monkeypatch, others) -> str:
    """:func:`_notes_with_lines` of one of the grout's joints and ``others(joint)``, every one
    of them scored as repeating one lattice step across."""
    return _notes_with_lines(monkeypatch, lambda joint: [joint, *others(joint)], repeats=True)


def test_a_boundary_on_the_floor_is_never_left_to_its_lattice(monkeypatch):
    """A line between two regions (a ceiling's junction with a wall: ``Line.boundary``) stays
    a line even where the floor across its wide band repeats one lattice step on (the
    workshop's ceiling at mask seed 2: 0.88, and the lattice's copies carried the wall into
    the ceiling); a joint beside it is left to the lattice."""
    notes = _notes_with_joint_and(monkeypatch, lambda joint: [
        dataclasses.replace(joint, boundary=True, half_width=8.0)])
    assert "1 line(s) of the pattern left to its lattice" in notes
    assert "1 line(s) continued across the hole" in notes and "1 between two regions" in notes


def test_a_line_turning_in_a_corner_of_the_hole_is_never_left_to_its_lattice(monkeypatch):
    """A line that turns in the hole, meeting another where both end (a ceiling's junction
    with two walls in a room's corner: ``Line.corner``), is not one of a lattice's joints,
    which cross: it stays a line even where the floor across it repeats one lattice step on
    (the loft's ceiling at mask seed 2: 0.61, and the copies drew the junction jagged). A
    joint that only ends on a line (a grid on its junction with a wall) is left to the
    lattice like one crossing the hole."""
    notes = _notes_with_joint_and(monkeypatch, lambda joint: [
        dataclasses.replace(joint, end=20.0),
        dataclasses.replace(joint, end=20.0, corner=True)])
    assert "2 line(s) of the pattern left to its lattice" in notes
    assert "1 continued up to the corner where they meet in the hole" in notes
    assert "continued across the hole" not in notes and "a line it ends on" not in notes


def _notes_with_lines(monkeypatch, lines_of, repeats: bool = False, **params) -> str:
    """:func:`_fill_the_tiled_floor`'s notes where the line step finds ``lines_of(joint)``
    (``joint``: one of the grout's joints it finds), every one of them scored as repeating one
    lattice step across or, by default, none (a running bond's joints between bricks of random
    tones: 0.24-0.50)."""
    up = _up()
    truth, hole = _floor(up, cell=0.35), _hole(0.7, 0.15)
    joint = next(line for line in lines_and_edges(truth, hole, FACE).lines if line.end is None)
    monkeypatch.setattr(generator, "lines_and_edges",
                        lambda *args, **kwargs: LinesFound(lines_of(joint), []))
    monkeypatch.setattr(generator, "repeats_across", lambda *args: repeats)
    return _fill_the_tiled_floor(**params)


def _turned(line, degrees: float, **changes):
    turn = np.radians(degrees)
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    return dataclasses.replace(line, direction=rotation @ line.direction, **changes)


@pytest.mark.parametrize("on", [True, False])
def test_a_line_a_floor_lattice_s_step_runs_along_is_copied_by_that_step(monkeypatch, on):
    """A joint that does not repeat one step across (scored so here) but that one of the
    lattice's steps runs along has its band copied by the steps along it, as the pattern's own
    lines' are (``lines_along_lattice``); drawn along itself instead, a running bond's row
    joints came back as bands of jumbled bricks. A boundary parallel to it stays a line."""
    def lines_of(joint):
        normal = np.array([-joint.direction[1], joint.direction[0]])
        return [joint, dataclasses.replace(joint, point=joint.point + 30 * normal,
                                           boundary=True, half_width=8.0)]

    notes = _notes_with_lines(monkeypatch, lines_of, lines_along_lattice=on)
    assert ("1 line(s) along the lattice copied by its steps along them" in notes) == on
    assert ("floor lattice's own line" in notes) == on
    assert ("2 line(s) continued across the hole" in notes) != on
    assert "1 between two regions" in notes


@pytest.mark.parametrize("on", [True, False])
def test_an_unsure_line_near_the_lattice_s_direction_along_none_of_its_steps_is_left_to_it(
        monkeypatch, on):
    """An unsure line 6 degrees off the grout's joints on the grid (the yard's bricks' ends
    in echelon, 5-8 degrees off its rows) is the pattern's edges lined up by chance: left to
    the lattice. A sure line there, and an unsure one 25 degrees off every direction of the
    lattice, stay lines."""
    notes = _notes_with_lines(monkeypatch, lambda joint: [
        _turned(joint, 6.0, sure=False), _turned(joint, 6.0), _turned(joint, 25.0, sure=False)],
        lines_along_lattice=on)
    assert ("1 unsure line(s) near the lattice's directions left to it" in notes) == on
    assert f"{2 if on else 3} line(s) continued across the hole" in notes


@pytest.mark.parametrize("power", [0.0, 2.0])
def test_a_floor_lattice_s_copies_are_weighed_by_how_finely_they_show_the_floor(
        monkeypatch, power):
    """The floor lattice's peel gets ``lattice_magnification``, so a copy from where the tile
    shows the floor finer than at its target (farther off), a blur there, costs more
    (``_offset_kernels.lattice_peel``)."""
    calls = []
    real = generator.lattice_peel

    def peel(*args):
        calls.append(args[13])
        real(*args)

    monkeypatch.setattr(generator, "lattice_peel", peel)
    assert "floor lattice" in _fill_the_tiled_floor(lattice_magnification=power)
    assert set(calls) == {power}


def test_a_line_left_to_the_floor_lattice_is_copied_only_along_the_steps_along_it():
    """The part of a floor lattice in the band of one of its own lines (``_along_own_line``)
    copies by the lattice's steps that run along that line on the floor's grid, both ways,
    and by no other; a line that no step runs along (20 degrees off the joint, with the
    steps of one cell: its sides and diagonals) gets no part of its own."""
    up = _up()
    floor, hole = _floor(up, cell=0.35), _hole(0.7, 0.15)
    rect, lattice, _ = _plane.floor_lattice(floor, hole, FRONT, FACE, PAD, tuple(up),
                                            min_strength=0.3)
    part = generator._Along(lattice.vectors(lattice.cell() + 1.0, whole=False), rect.region,
                            "floor lattice", rect, lattice)
    joint = next(line for line in lines_and_edges(floor, hole, FACE).lines
                 if line.end is None)
    along = generator._along_own_line(joint, part)
    assert along is not None
    assert along.plane is rect and along.lattice is None
    assert not (along.region & ~(joint.band(hole.shape) & part.region)).any()
    assert along.region.any()
    # On the grid the joint runs along each vector kept, which are lattice vectors.
    points = joint.point[None] + np.array([[0.0], [1.0]]) * joint.direction[None]
    u, v, _ = homography_parts(rect.to_grid, points[:, 1], points[:, 0])
    course = np.array([v[1] - v[0], u[1] - u[0]])
    course /= np.hypot(*course)
    sine = np.abs(np.cross(along.vectors, course)) / np.hypot(*along.vectors.T)
    assert (sine <= np.sin(np.radians(3.0))).all()
    assert all(any(np.allclose(kept, vector) for vector in part.vectors)
               for kept in along.vectors)
    assert (along.vectors @ course > 0).any() and (along.vectors @ course < 0).any()
    turned = _turned(joint, np.degrees(0.35))
    assert generator._along_own_line(turned, part) is None


@pytest.mark.parametrize("stripe", [2.4, 2.5])
@pytest.mark.parametrize("along", [True, False])
def test_a_line_left_to_the_floor_lattice_runs_on_through_the_hole(monkeypatch, along, stripe):
    """A line left to the floor's lattice (scored here as one of the pattern's own: a single
    dark stripe painted along the tiles' rows, which the lattice's steps across do not
    repeat) has its band filled first by the steps along it (``own_lines_along``), and runs on
    through the hole; copied by every step of the lattice, it broke into a dark blob where
    the steps across brought tiles into its band (the workshop's floor stripes). Measured,
    correlation with the truth around the paint in the hole: 0.88 / 0.84 against 0.54 / 0.48
    (stripe 2.4 / 2.5 tiles across the rows)."""
    up = _up()
    truth, hole = _floor(up, cell=0.35, stripe=stripe), _hole(0.7, 0.15)
    paint = truth.mean(-1) != _floor(up, cell=0.35).mean(-1)
    around = (cv2.dilate(paint.astype(np.uint8), np.ones((5, 5))) > 0) & hole
    monkeypatch.setattr(generator, "repeats_across", lambda *args: True)
    blanked = truth.copy()
    blanked[hole] = 0
    tiles = CubeTiles(blanked[None], hole[None], (FRONT,), FACE, PAD, up=tuple(up))
    out = PatchMatch(own_lines_along=along).inpaint(tiles)[0]
    kept = float(np.corrcoef(out.mean(-1)[around], truth.mean(-1)[around])[0, 1])
    notes = " ".join(tiles.notes)
    assert "of the pattern left to its lattice" in notes
    assert ("floor lattice's own line" in notes) == along
    assert (kept >= 0.75) == along

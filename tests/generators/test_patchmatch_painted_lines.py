"""Lines on a tile's own lattice of a colour the ring seldom shows: paint on a floor of boards
seen from above (a sports hall's), a ceiling grid's dark joints on its white tiles. A line that
crosses the hole along one of the lattice's steps and stands out so (``_lines.paint_contrast``)
is copied first by those steps only, and kept as a line by the finish (``lattice_lines``); the
joints of boards and paving (the ground's own colours) are left to the lattice, as every line
on a tile's own lattice was before."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from pano_inpaint.eval.scenes import render_scene
from pano_inpaint.generators import CubeTiles
from pano_inpaint.generators.patchmatch import PatchMatch, generator
from pano_inpaint.generators.patchmatch._lines import lines_and_edges, paint_contrast
from pano_inpaint.geometry.cubemap import erp_to_cube

DOWN, UP = 5, 4
WIDTH = 1024
FACE = 328  # the pipeline's face at 1024 px (W / pi, up to a multiple of 8)
PAD = FACE // 8


def _down_face(scene: str, face: int = DOWN) -> tuple[np.ndarray, np.ndarray]:
    """``scene``'s down face (or ``face``; padded) at 1024 px and a hole of 0.3 faces' radius
    in its middle."""
    erp = render_scene(scene, WIDTH, seed=0).astype(np.float32) / 255
    tile = np.clip(erp_to_cube(erp, FACE, pad=PAD, interpolation="bicubic",
                               face_ids=[face])[0], 0, 1).astype(np.float32)
    size = tile.shape[0]
    y, x = np.mgrid[0:size, 0:size]
    return tile, np.hypot(y - size / 2, x - size / 2) <= 0.3 * FACE


@pytest.fixture(scope="module")
def court() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sports court's down face, its hole, and the blue paint's pixels (blue well above
    the mean of red and green)."""
    tile, hole = _down_face("sports_court")
    return tile, hole, _blue(tile) > 0.25


def _blue(image: np.ndarray) -> np.ndarray:
    return image[..., 2] - image[..., :2].mean(axis=-1)


def test_paint_stands_out_from_the_ring_and_the_boards_joints_do_not(court):
    """The blue line's two edges found around the hole read as paint (2.2-2.7 times the
    distance within which 90% of the ring's colours lie); the loft's planks' joints, the
    ground's own colour a little darker, read under 1 (0.18-0.21 measured)."""
    tile, hole, paint = court
    lines = [line for line in lines_and_edges(tile, hole, FACE).lines if line.crossing]
    painted = [line for line, contrast in zip(lines, paint_contrast(tile, ~hole, lines),
                                              strict=True) if contrast > 1.5]
    assert painted
    ys, xs = np.nonzero(paint & ~hole)
    assert all(np.median(line.distance(ys, xs)) < 4.0 for line in painted)  # along the paint
    planks, hole = _down_face("loft_planks")
    joints = [line for line in lines_and_edges(planks, hole, FACE).lines if line.crossing]
    assert joints
    assert all(contrast < 1.0 for contrast in paint_contrast(planks, ~hole, joints))


@pytest.mark.parametrize("on", [True, False])
def test_a_painted_line_on_boards_keeps_its_paint_across_the_hole(court, on):
    """With ``lattice_lines`` the blue line runs through the hole at the truth's colour (its
    blue kept at 0.98 of the truth's over the paint's pixels in the hole); without, the
    boards' lattice's copies carry it but the finish matches its band to the ring's energy,
    and it comes back faded and broken (0.66)."""
    tile, hole, paint = court
    blanked = tile.copy()
    blanked[hole] = 0
    tiles = CubeTiles(blanked[None], hole[None], (DOWN,), FACE, PAD)
    out = PatchMatch(lattice_lines=on).inpaint(tiles)[0]
    inside = paint & hole
    kept = float(_blue(out)[inside].mean() / _blue(tile)[inside].mean())
    assert ("lattice's painted line" in " ".join(tiles.notes)) == on
    assert (kept >= 0.85) == on


@pytest.mark.parametrize("on", [True, False])
def test_a_ceiling_grid_s_dark_joints_keep_their_darkness_across_the_hole(on):
    """The loft's ceiling seen from below (its up face: a grid of white tiles, a lattice of
    two directions): its dark joints stand out from the ring (1.95-2.63) and are copied along
    the grid's steps first; they keep 0.89 of their darkness below the ring's median over the
    joints' pixels in the hole, against 0.76 where the lattice's copies alone fade them at
    their crossing."""
    tile, hole = _down_face("loft_planks", UP)
    grey = tile.mean(axis=-1)
    y, x = np.mgrid[0:hole.shape[0], 0:hole.shape[1]]
    centre = hole.shape[0] / 2
    ring = ~hole & (np.hypot(y - centre, x - centre) <= 0.3 * FACE + 20)
    median = np.median(grey[ring])
    joints = hole & (grey < median - 0.08)
    blanked = tile.copy()
    blanked[hole] = 0
    tiles = CubeTiles(blanked[None], hole[None], (UP,), FACE, PAD)
    out = PatchMatch(lattice_lines=on).inpaint(tiles)[0]
    kept = float((median - out.mean(axis=-1)[joints]).mean() / (median - grey[joints]).mean())
    assert ("lattice's painted line" in " ".join(tiles.notes)) == on
    assert (kept >= 0.83) == on


def _red(image: np.ndarray) -> np.ndarray:
    return image[..., 0] - image[..., 1]  # the court's red paint 0.59, its maple boards 0.18


@pytest.mark.parametrize("on", [True, False])
def test_a_circle_s_paint_is_copied_only_along_the_circle(court, on):
    """The court's red circle crosses the hole beside the blue line; the boards' lattice fills
    around the circle's band, and with ``paint_in_own_band`` never copies the circle's red
    from where the ring shows it: no red pixel in the hole lies more than 3 px from the
    truth's paint (0 measured). Without, the boards' copies carried short red dashes from
    where the circle enters the hole (111 such pixels)."""
    tile, hole, _ = court
    paint = _red(tile) > 0.3
    blanked = tile.copy()
    blanked[hole] = 0
    tiles = CubeTiles(blanked[None], hole[None], (DOWN,), FACE, PAD)
    out = PatchMatch(paint_in_own_band=on).inpaint(tiles)[0]
    near = ndimage.binary_dilation(paint, iterations=3)
    stray = int((hole & (_red(out) > 0.3) & ~near).sum())
    assert "curved line(s) continued" in " ".join(tiles.notes)
    assert (paint & hole).sum() > 500  # the circle crosses the hole
    assert (stray <= 10) == on


def _painted_across(scene: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``scene``'s down face and hole (``_down_face``) with a white stripe 7 px wide painted
    across its pattern through the hole (along the ring's mean gradient: across boards, at a
    slant to bricks), and the stripe's pixels."""
    tile, hole = _down_face(scene)
    grey = tile.mean(axis=-1)
    gy, gx = np.gradient(grey)
    angle = 0.5 * np.arctan2(2 * (gx * gy).sum(), (gx * gx - gy * gy).sum())
    y, x = np.mgrid[0:hole.shape[0], 0:hole.shape[1]].astype(np.float64)
    centre = hole.shape[0] / 2
    distance = np.abs((x - centre - 7) * -np.sin(angle) + (y - centre) * np.cos(angle))
    cover = np.clip(3.5 - distance, 0, 1)[..., None].astype(np.float32)
    painted = tile * (1 - cover) + np.array([0.9, 0.9, 0.85], np.float32) * cover
    return painted.astype(np.float32), hole, cover[..., 0] > 0.5


@pytest.mark.parametrize("on", [True, False])
@pytest.mark.parametrize("scene", ["loft_planks", "yard_bricks", "hall_tiles"])
def test_a_stripe_painted_across_a_floor_s_pattern_runs_through_the_hole(scene, on):
    """A white stripe painted across the loft's planks made the ring's strongest valley: the
    planks' lattice was dropped with it, the plain search smeared the boards round its band
    and the boundaries' bands broke it (0.42 of its pixels in the hole white; the yard's
    bricks 0.04). On the hall's tiles the tiles' lattice is kept and the stripe was left to
    it, whose copies do not run along it (0.03). With ``lines_across_lattice`` the floor keeps
    its lattice (found on the ring without the stripe, or kept), the stripe's edges are drawn
    first along themselves, and no other part copies its paint: 0.89, 0.90 and 0.95 white."""
    painted, hole, paint = _painted_across(scene)
    blanked = painted.copy()
    blanked[hole] = 0
    tiles = CubeTiles(blanked[None], hole[None], (DOWN,), FACE, PAD)
    out = PatchMatch(lines_across_lattice=on).inpaint(tiles)[0]
    inside = paint & hole
    assert inside.sum() > 800
    white = float((out.mean(axis=-1)[inside] > 0.8).mean())
    notes = " ".join(tiles.notes)
    assert ("painted across its lattice" in notes) == on
    assert "lattice of strength" in notes or not on
    assert (white >= 0.8) == on


def test_a_line_runs_along_a_lattice_only_along_its_own_directions():
    """``_along_own_line(..., own_directions=True)`` keeps the lattice's vectors along a line
    only where the line runs along one of the lattice's own directions (its dominant shifts,
    its basis's sum and difference): a grid of 7 px cells has long combinations pointing every
    way (5 steps one way and one the other is 11 degrees off an axis, within 3 degrees of many
    lines), and a stripe painted across the pattern at such an angle was taken for paint along
    it, copied along one of them, sideways a few px a step (without the flag: the session-51
    reading, which a floor's own lines keep)."""
    from pano_inpaint.generators.patchmatch._lines import Line
    from pano_inpaint.generators.patchmatch._offsets import Lattice

    lattice = Lattice(np.array([[7.0, 0.0], [-7.0, 0.0], [0.0, 7.0], [0.0, -7.0]]),
                      np.full(4, 0.6), np.zeros(4, bool))
    region = np.ones((120, 120), bool)
    part = generator._Along(lattice.vectors(100.0), region, "lattice", lattice=lattice)

    def line(dy: float, dx: float) -> Line:
        direction = np.array([dy, dx]) / np.hypot(dy, dx)
        return Line(np.array([60.0, 60.0]), direction, 2.0)

    combination = line(1.0, 5.0)  # along 5 cells one way and 1 the other
    course = combination.direction
    sine = np.abs(part.vectors[:, 0] * course[1] - part.vectors[:, 1] * course[0])
    assert (sine <= np.sin(np.radians(3.0)) * np.hypot(*part.vectors.T)).any()  # a long one
    assert generator._along_own_line(combination, part, own_directions=True) is None
    assert generator._along_own_line(combination, part) is not None
    for dy, dx in ((0.0, 1.0), (1.0, 0.0), (1.0, 1.0), (1.0, -1.0)):
        kept = generator._along_own_line(line(dy, dx), part, own_directions=True)
        assert kept is not None and len(kept.vectors) >= 2


def test_a_stripe_s_two_edges_are_found_and_a_lone_edge_is_not():
    """``_painted_stripe_edges``: two sure boundaries crossing the hole, parallel and a stripe's
    width apart, are a lone stripe's edges; a boundary with no such partner (an edge between
    two regions) is not, and a pair with other lines parallel to it farther off is a pattern's
    joints (a family), not a lone stripe."""
    from pano_inpaint.generators.patchmatch._lines import Line

    along = np.array([0.6, 0.8])

    def edge(offset: float, boundary: bool = True) -> Line:
        normal = np.array([-along[1], along[0]])
        return Line(np.array([100.0, 100.0]) + offset * normal, along, 2.0,
                    boundary=boundary)

    stripe = [edge(0.0), edge(6.0)]
    found = generator._painted_stripe_edges(stripe, FACE)
    assert [id(line) for line in found] == [id(line) for line in stripe]
    assert generator._painted_stripe_edges([edge(0.0)], FACE) == []  # no partner
    assert generator._painted_stripe_edges([edge(0.0), edge(40.0)], FACE) == []
    assert generator._painted_stripe_edges([*stripe, edge(46.0), edge(52.0)], FACE) == []
    assert generator._painted_stripe_edges([*stripe, edge(80.0, False)], FACE) == []

"""Circular arcs across a hole: found as two pieces of one circle, continued along it."""

from __future__ import annotations

import numpy as np

from pano_inpaint import inpaint, nadir_mask
from pano_inpaint.generators.patchmatch import PatchMatch
from pano_inpaint.generators.patchmatch._arcs import Arc, arc_sources, find_arcs
from tests.synthetic import erp_directions

P = 200  # tile side
S = 160  # its face size


def _grain(seed: int) -> np.ndarray:
    """``(P, P)`` a wood-like grain around 0.6: smooth noise, no edges of its own to speak of."""
    rng = np.random.default_rng(seed)
    coarse = rng.normal(0.0, 1.0, (P // 8, P // 8)).astype(np.float32)
    import cv2

    return 0.6 + 0.04 * cv2.resize(coarse, (P, P), interpolation=cv2.INTER_CUBIC)


def _ring_tile(centre=(40.0, 60.0), radius=90.0, width=5.0, hole_radius=45.0, seed=0):
    """A tile with a dark stripe painted along a circle, and a round hole across the stripe."""
    ys, xs = np.mgrid[0:P, 0:P].astype(np.float64) + 0.5
    grey = _grain(seed)
    off = np.abs(np.hypot(xs - centre[0], ys - centre[1]) - radius)
    paint = np.clip(width / 2 - off + 0.5, 0, 1)
    grey = grey + (0.2 - grey) * paint
    hole = np.hypot(xs - 100, ys - 100) < hole_radius
    image = np.repeat(grey[..., None], 3, axis=2).astype(np.float32)
    image[hole] = 0
    return image, hole


def test_a_painted_circle_across_the_hole_is_found_where_it_is():
    image, hole = _ring_tile()
    arcs = find_arcs(image, hole, S)
    assert len(arcs) == 1
    arc = arcs[0]
    assert np.allclose(arc.centre, (40.0, 60.0), atol=1.5)
    assert abs(arc.radius - 90.0) < 1.5 and 2.0 <= arc.half_width <= 5.0
    band = arc.band(hole)
    assert band.any() and not (band & ~hole).any()
    # The band follows the stripe through the hole: every band pixel is near the circle.
    ys, xs = np.nonzero(band)
    assert np.abs(np.hypot(xs + 0.5 - 40.0, ys + 0.5 - 60.0) - 90.0).max() <= 5.5


def test_each_band_pixel_s_exact_source_lies_on_the_arc_as_far_across_as_it_does():
    """The copies along an arc take whole pixels as sources; where each exact source lies
    beyond its whole pixel comes with it (``subpixel_copies`` samples there), so that a copy
    sits as far across the arc as its target does, not up to half a pixel off."""
    image, hole = _ring_tile()
    arc = find_arcs(image, hole, S)[0]
    band = arc.band(hole)
    ys, xs, sy, sx, beyond_y, beyond_x = arc_sources(arc, band, ~hole, 3)
    assert ys.size > 100 and np.abs(beyond_y).max() <= 0.5 and np.abs(beyond_x).max() <= 0.5
    _, across = arc.coordinates(ys.astype(np.float64), xs.astype(np.float64))
    _, whole = arc.coordinates(sy.astype(np.float64), sx.astype(np.float64))
    _, exact = arc.coordinates(sy + beyond_y.astype(np.float64), sx + beyond_x.astype(np.float64))
    assert np.abs(whole - across).max() > 0.2  # the whole pixels are off across the arc
    assert np.abs(exact - across).max() < 1e-3


def test_the_band_measured_on_its_box_is_the_band_over_the_whole_hole():
    """``Arc.band`` looks only inside the band's box: the same pixels as every hole pixel's
    coordinates give, for arcs inside the tile, leaving it, whole circles and a thin gap."""
    rng = np.random.default_rng(3)
    hole = rng.random((P, P)) < 0.7
    ys, xs = np.nonzero(hole)
    checked = 0
    for _ in range(40):
        arc = Arc(rng.uniform(-100, 300, 2), float(rng.uniform(5, 400)),
                  float(rng.uniform(0.5, 8)), np.sort(rng.uniform(-4, 4, 2)))
        if rng.random() < 0.2:
            arc = Arc(arc.centre, arc.radius, arc.half_width,
                      np.array([arc.gap[0], arc.gap[0] + 2 * np.pi]))
        theta, offset = arc.coordinates(ys.astype(np.float64), xs.astype(np.float64))
        keep = (np.abs(offset) <= arc.half_width) & (
            np.mod(theta - arc.gap[0], 2 * np.pi) <= arc.gap[1] - arc.gap[0])
        whole = np.zeros_like(hole)
        whole[ys[keep], xs[keep]] = True
        np.testing.assert_array_equal(arc.band(hole), whole)
        y0, y1, x0, x1 = arc.box(hole.shape)
        checked += whole.any() and (y1 - y0) * (x1 - x0) < P * P
    assert checked >= 5  # enough of them inside the tile, with a box smaller than it


def test_an_arc_s_course_holds_its_whole_circle_s_band_and_little_more():
    """``Arc.course`` (measured a few rows at a time, inside the circle's box): the pixels
    within ``half_width + margin`` of the whole circle, on either side of the gap, as every
    pixel's offset across the circle gives them."""
    rng = np.random.default_rng(5)
    ys, xs = np.mgrid[0:P, 0:P].astype(np.float64)
    for _ in range(20):
        arc = Arc(rng.uniform(-100, 300, 2), float(rng.uniform(5, 400)),
                  float(rng.uniform(0.5, 8)), np.sort(rng.uniform(-4, 4, 2)))
        margin = float(rng.uniform(0, 2))
        course = arc.course((P, P, 3), margin)
        offset = np.abs(arc.coordinates(ys, xs)[1])
        assert course.shape == (P, P)
        np.testing.assert_array_equal(course, offset <= arc.half_width + margin)


def test_a_straight_stripe_or_plain_grain_makes_no_arc():
    """A straight stripe is the line step's; grain alone has no curve to continue."""
    image, hole = _ring_tile(radius=1e5, centre=(100.0 - 1e5, 100.0))  # a straight stripe
    assert find_arcs(image, hole, S) == []
    for seed in range(3):
        grey = _grain(seed)
        image = np.repeat(grey[..., None], 3, axis=2).astype(np.float32)
        hole = np.hypot(*(np.mgrid[0:P, 0:P] - 100.0)) < 45.0
        assert find_arcs(image, hole, S) == []


def _court(height: int) -> tuple[np.ndarray, np.ndarray]:
    """A floor of grain 1 m under the camera with a dark circle painted on it (radius 1 m,
    its centre 0.75 m away): a panorama and where the paint is."""
    d = erp_directions(height, 2 * height)
    down = np.maximum(-d[..., 1], 1e-6)
    u, v = d[..., 0] / down, d[..., 2] / down
    rng = np.random.default_rng(3)
    ripple = 0.6 + 0.03 * np.sin(11 * u + rng.uniform(0, 6)) * np.sin(9 * v)
    off = np.abs(np.hypot(u - 0.75, v) - 1.0)
    paint = (off < 0.04) & (d[..., 1] < -0.2)
    grey = np.where(d[..., 1] < -0.05, np.where(paint, 0.15, ripple), 0.85)
    return np.repeat(grey[..., None], 3, axis=2).astype(np.float32), paint


def test_the_fill_continues_a_painted_circle_across_a_nadir_cap():
    """Under a 35-degree cap the circle's stripe comes back dark along the circle (with the
    arcs step off, the plain search leaves it out)."""
    erp, paint = _court(256)
    mask = nadir_mask(256, 512, 35)
    on = paint & mask
    assert on.sum() > 100
    filled = inpaint(erp, mask, generator=PatchMatch()).image
    without = inpaint(erp, mask, generator=PatchMatch(arcs=False)).image
    assert filled[on].mean() < 0.35 < without[on].mean()
    assert np.abs(filled[mask & ~paint].mean() - 0.6) < 0.05  # the grain is not darkened


def test_the_arcs_band_keeps_its_cross_section_through_the_finish(monkeypatch):
    """The finish's band gains would fade the copied stripe towards the floor (a red circle to
    pink): its pieces keep their cross-section as a line's do."""
    from pano_inpaint.generators.patchmatch import _arcs

    erp, paint = _court(256)
    mask = nadir_mask(256, 512, 35)
    on = paint & mask
    kept = inpaint(erp, mask, generator=PatchMatch()).image[on].mean()
    monkeypatch.setattr(_arcs.Arc, "pieces", lambda self, region, length=16.0: [])
    faded = inpaint(erp, mask, generator=PatchMatch()).image[on].mean()
    assert kept < faded - 0.02

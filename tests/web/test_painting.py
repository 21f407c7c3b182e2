"""Brush strokes on a perspective view -> equirectangular pixels: exact against independent
maps (the library's spherical caps; brute force over every pixel)."""

import numpy as np
import pytest

from pano_inpaint.geometry.perspective import PerspectiveView
from pano_inpaint.geometry.sphere import erp_pixel_to_lonlat
from pano_inpaint.masks import cap_mask
from pano_inpaint.web.painting import stroke_blocks
from tests.web.strokes import brute_force_stroke


def _paint(height, width, view, points, radius):
    mask = np.zeros((height, width), bool)
    for block in stroke_blocks(height, width, view, points, radius):
        mask[block.rows, block.cols] |= block.covered
    return mask


@pytest.mark.parametrize(("yaw", "pitch"), [(0, -90), (30, 10), (179.9, 0), (-100, 60), (0, 90),
                                            (45, -85)])
def test_dab_at_view_centre_is_a_spherical_cap(yaw, pitch):
    # A disc of radius r around the principal point is the cone of half-angle atan(r / f).
    view = PerspectiveView(np.radians(yaw), np.radians(pitch), np.radians(80), 640, 480)
    radius = 40
    painted = _paint(256, 512, view, [[320, 240]], radius)
    cap = cap_mask(256, 512, yaw, pitch, np.degrees(np.arctan(radius / view.focal)))
    assert cap.sum() > 100
    assert np.array_equal(painted, cap)


def test_strokes_match_brute_force(rng):
    height, width = 128, 256
    for _ in range(10):
        view = PerspectiveView(rng.uniform(-np.pi, np.pi), rng.uniform(-np.pi / 2, np.pi / 2),
                               np.radians(rng.uniform(30, 120)), rng.uniform(200, 900),
                               rng.uniform(200, 700))
        n = int(rng.integers(1, 30))
        points = np.stack([rng.uniform(-50, view.width + 50, n),
                           rng.uniform(-50, view.height + 50, n)], axis=1)
        radius = rng.uniform(2, 80)
        painted = _paint(height, width, view, points, radius)
        expected, distance = brute_force_stroke(height, width, view, points, radius)
        ties = np.abs(distance - radius) < 1e-9
        assert not ((painted != expected) & ~ties).any()


def test_stroke_across_the_wrap_line_paints_both_edges():
    view = PerspectiveView(np.pi, 0.0, np.radians(60), 400, 300)  # looking at lon = +-180
    painted = _paint(128, 256, view, [[150, 150], [250, 150]], 10)
    assert painted[:, :5].any() and painted[:, -5:].any()
    assert not painted[:, 100:156].any()


def test_brush_is_clipped_to_the_viewport():
    view = PerspectiveView(0.0, 0.0, np.radians(60), 400, 300)
    edge = _paint(128, 256, view, [[0, 150]], 30)  # half of the dab is off screen
    whole = _paint(128, 256, view, [[30, 150]], 30)
    assert 0.3 < edge.sum() / whole.sum() < 0.7


def test_nothing_behind_the_camera():
    # A huge brush on a narrow view cannot reach the half of the sphere behind it.
    view = PerspectiveView(0.0, 0.0, np.radians(20), 100, 100)
    painted = _paint(64, 128, view, [[50, 50]], 2000)
    lon, _ = erp_pixel_to_lonlat(np.arange(128), 0, 64, 128)
    assert not painted[:, np.abs(lon) > np.pi / 2].any()


def test_stroke_cost_does_not_grow_with_the_sphere():
    # Only pixels near the stroke are projected: the boxes of a small dab on a large mask hold
    # a few times the dab's pixels, not the whole panorama.
    view = PerspectiveView(0.3, 0.2, np.radians(75), 1200, 800)
    blocks = stroke_blocks(2048, 4096, view, [[600, 400], [640, 420]], 10)
    covered = sum(int(b.covered.sum()) for b in blocks)
    looked_at = sum(b.covered.size for b in blocks)
    assert covered > 0 and looked_at < 20 * covered


def test_the_largest_stroke_the_page_sends_is_mapped_in_one_pass(rng):
    """1,000 points of the page's largest brush (200) at its widest view (fov 140), a point
    every quarter brush: each mask pixel is looked at once, not once per run of segments near
    it (which took 52 s of CPU on a 4096 x 2048 mask), and the hole is still exact."""
    view = PerspectiveView(0.4, 0.1, np.radians(140), 1280, 720)
    points = [np.array([640.0, 360.0])]
    while len(points) < 1000:
        angle = rng.uniform(0, 2 * np.pi)
        p = points[-1] + rng.uniform(50, 300) * np.array([np.cos(angle), np.sin(angle)])
        if 0 <= p[0] <= view.width and 0 <= p[1] <= view.height:
            points.append(p)
    blocks = stroke_blocks(128, 256, view, points, 200)
    assert sum(b.covered.size for b in blocks) <= 128 * 256
    expected, distance = brute_force_stroke(128, 256, view, points, 200)
    painted = _paint(128, 256, view, points, 200)
    assert expected.sum() > 0.2 * expected.size
    assert not ((painted != expected) & ~(np.abs(distance - 200) < 1e-9)).any()


def test_thin_strokes_far_off_screen_or_piled_up_stay_exact(rng):
    """A thin brush on long segments that leave the view far behind, drawn over itself:
    the pixels left undecided by the view's distance grid are measured exactly."""
    view = PerspectiveView(-2.0, 0.5, np.radians(120), 900, 500)
    line = [[-1e6, 250], [1e6, 260], [450, -3e5], [460, 3e5], [0, 0], [900, 500]]
    points = np.concatenate([line] * 20) + rng.normal(0, 0.5, (120, 2))
    for radius in (2, 2.5, 7):
        painted = _paint(128, 256, view, points, radius)
        expected, distance = brute_force_stroke(128, 256, view, points, radius)
        assert expected.sum() > 100
        assert not ((painted != expected) & ~(np.abs(distance - radius) < 1e-9)).any()

@pytest.mark.parametrize(("points", "radius", "match"), [
    ([], 5, "non-empty"), ([[1, 2, 3]], 5, r"\(n, 2\)"), ([[np.nan, 1]], 5, "finite"),
    ([[1, 2]], 0, "radius"), ([[1, 2]], np.inf, "radius"),
])
def test_invalid_stroke(points, radius, match):
    view = PerspectiveView(0.0, 0.0, 1.0, 100, 100)
    with pytest.raises(ValueError, match=match):
        stroke_blocks(64, 128, view, points, radius)

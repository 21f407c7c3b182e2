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


@pytest.mark.parametrize(("points", "radius", "match"), [
    ([], 5, "non-empty"), ([[1, 2, 3]], 5, r"\(n, 2\)"), ([[np.nan, 1]], 5, "finite"),
    ([[1, 2]], 0, "radius"), ([[1, 2]], np.inf, "radius"),
])
def test_invalid_stroke(points, radius, match):
    view = PerspectiveView(0.0, 0.0, 1.0, 100, 100)
    with pytest.raises(ValueError, match=match):
        stroke_blocks(64, 128, view, points, radius)

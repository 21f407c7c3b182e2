"""The nadir view: the padded down face, and values mapped back onto the panorama."""

import numpy as np
import pytest

from pano_inpaint.geometry import erp_to_cube
from pano_inpaint.geometry.nadir import NadirView
from tests.synthetic import erp_directions, smooth_rgb, sphere_function_erp


def test_the_view_is_the_padded_down_face():
    erp = sphere_function_erp(64)
    view = NadirView(16, 8)
    np.testing.assert_array_equal(view.from_erp(erp), erp_to_cube(erp, 16, pad=8)[5])


def test_directions_match_what_the_view_samples():
    # The view's pixel directions, fed to the analytic field, equal the sampled view.
    view = NadirView(32, 16)
    y, x = np.mgrid[0 : view.size, 0 : view.size].astype(np.float64)
    expected = smooth_rgb(view.xyz(x, y))
    sampled = view.from_erp(sphere_function_erp(256))
    assert np.abs(sampled - expected).max() < 0.01


def test_view_to_panorama_round_trip_within_the_view():
    height = 128
    erp = sphere_function_erp(height)
    view = NadirView(64, 32)
    back = view.to_erp(view.from_erp(erp), height, 2 * height)
    polar = np.degrees(np.arccos(np.clip(-erp_directions(height, 2 * height)[..., 1], -1, 1)))
    inside = polar < view.edge_degrees - 1
    assert np.abs(back - erp)[inside].max() < 0.02
    # Nothing beyond the corners of the view; everything up to its edges.
    ones = view.to_erp(np.ones((view.size, view.size), np.float32), height, 2 * height)
    assert (ones[polar > view.max_degrees + 1] == 0).all()
    assert (ones[polar < view.edge_degrees - 1] == 1).all()


def test_angles_and_extent():
    view = NadirView(32, 16)
    assert view.extent == 2.0
    assert view.edge_degrees == pytest.approx(np.degrees(np.arctan(2)))
    degrees = view.degrees_from_nadir()
    assert degrees.min() < 3 and degrees.max() == pytest.approx(view.max_degrees, abs=1.5)


@pytest.mark.parametrize("face_size, pad", [(0, 1), (8, -1), (8, 1.5)])
def test_invalid_views(face_size, pad):
    with pytest.raises(ValueError):
        NadirView(face_size, pad)


def test_invalid_values_shape():
    with pytest.raises(ValueError, match=r"\(32, 32"):
        NadirView(16, 8).to_erp(np.zeros((10, 10), np.float32), 32, 64)

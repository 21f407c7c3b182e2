import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pano_inpaint.geometry import face_pixel_to_xyz, rotation_matrix, xyz_to_lonlat
from pano_inpaint.geometry.perspective import PerspectiveView, view_pixel_to_xyz, xyz_to_view_pixel

views = st.builds(
    PerspectiveView,
    yaw=st.floats(-np.pi, np.pi),
    pitch=st.floats(-np.pi / 2, np.pi / 2),
    fov=st.floats(0.2, 2.8),
    width=st.floats(10, 3000),
    height=st.floats(10, 3000),
)


@settings(max_examples=60, deadline=None)
@given(views, st.floats(0, 1), st.floats(0, 1))
def test_view_pixel_round_trip(view, u, v):
    x, y = u * view.width, v * view.height
    xyz = view_pixel_to_xyz(x, y, view)
    assert np.isclose(np.linalg.norm(xyz), 1.0)
    back_x, back_y, front = xyz_to_view_pixel(xyz, view)
    assert front
    assert np.allclose([back_x, back_y], [x, y], atol=1e-6 * max(view.width, view.height))


@pytest.mark.parametrize(("yaw", "pitch"), [(0.0, 0.0), (0.7, 0.3), (-2.5, -1.2), (3.0, np.pi / 2)])
def test_square_90_degree_view_is_the_rotated_front_face(yaw, pitch):
    # The viewer's map and the cube's map are one convention: a square 90-degree view is face F
    # of the cube rotated by R(yaw, pitch), pixel centre for pixel centre.
    size = 16
    view = PerspectiveView(yaw, pitch, np.pi / 2, size, size)
    ys, xs = np.mgrid[0:size, 0:size]
    seen = view_pixel_to_xyz(xs + 0.5, ys + 0.5, view)
    face = face_pixel_to_xyz(0, xs, ys, size) @ rotation_matrix(yaw, pitch).T
    face /= np.linalg.norm(face, axis=-1, keepdims=True)
    assert np.allclose(seen, face, atol=1e-12)


def test_view_centre_looks_at_yaw_and_pitch():
    view = PerspectiveView(1.1, -0.4, 1.0, 640, 480)
    lon, lat = xyz_to_lonlat(view_pixel_to_xyz(320.0, 240.0, view))
    assert np.allclose([lon, lat], [1.1, -0.4])
    # Right of the centre is towards +lon, above it towards +lat.
    lon_r, _ = xyz_to_lonlat(view_pixel_to_xyz(420.0, 240.0, view))
    _, lat_up = xyz_to_lonlat(view_pixel_to_xyz(320.0, 140.0, view))
    assert lon_r > lon and lat_up > lat


def test_focal_length_gives_the_field_of_view():
    view = PerspectiveView(0.0, 0.0, np.radians(60), 400, 300)
    top = view_pixel_to_xyz(200.0, 0.0, view)
    bottom = view_pixel_to_xyz(200.0, 300.0, view)
    assert np.isclose(np.degrees(np.arccos(top @ bottom)), 60)


def test_directions_behind_the_camera_are_not_in_the_view():
    view = PerspectiveView(0.0, 0.0, 1.5, 100, 100)
    x, y, front = xyz_to_view_pixel(np.array([[0.0, 0.0, -1.0], [1.0, 0.0, 0.0]]), view)
    assert not front.any()
    assert np.isnan(x[0]) and np.isnan(y[0])


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"fov": 0.0}, "fov"), ({"fov": np.pi}, "fov"), ({"pitch": 2.0}, "pitch"),
    ({"width": 0.0}, "viewport"), ({"yaw": np.nan}, "finite"),
])
def test_invalid_view(kwargs, match):
    params = {"yaw": 0.0, "pitch": 0.0, "fov": 1.0, "width": 10.0, "height": 10.0, **kwargs}
    with pytest.raises(ValueError, match=match):
        PerspectiveView(**params)

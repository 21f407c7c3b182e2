import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pano_inpaint.geometry import (
    FACE_CENTER,
    FACE_DOWN,
    FACE_RIGHT,
    erp_pixel_to_lonlat,
    face_pixel_to_xyz,
    lonlat_to_erp_pixel,
    lonlat_to_xyz,
    rotation_matrix,
    rotation_to_angles,
    rotation_to_center,
    xyz_to_face,
    xyz_to_face_pixel,
    xyz_to_lonlat,
)
from pano_inpaint.geometry.rotation import as_rotation

lons = st.floats(-np.pi + 1e-6, np.pi - 1e-6)
lats = st.floats(-np.pi / 2 + 1e-3, np.pi / 2 - 1e-3)


@given(lons, lats)
def test_lonlat_xyz_round_trip(lon, lat):
    xyz = lonlat_to_xyz(np.array(lon), np.array(lat))
    assert np.isclose(np.linalg.norm(xyz), 1.0)
    lon2, lat2 = xyz_to_lonlat(xyz)
    assert np.isclose(lon2, lon, atol=1e-9) and np.isclose(lat2, lat, atol=1e-9)


@given(st.floats(-0.5, 127.49), st.floats(-0.5, 63.49))
def test_erp_pixel_round_trip(x, y):
    lon, lat = erp_pixel_to_lonlat(np.array(x), np.array(y), 64, 128)
    assert -np.pi <= lon < np.pi and -np.pi / 2 <= lat <= np.pi / 2
    x2, y2 = lonlat_to_erp_pixel(lon, lat, 64, 128)
    assert np.isclose(x2, x) and np.isclose(y2, y)


def test_erp_pixel_centres_match_convention():
    lon, lat = erp_pixel_to_lonlat(np.array([0, 63.5, 127]), np.array([0, 31.5, 63]), 64, 128)
    assert np.allclose(lon, [-np.pi + np.pi / 128, 0, np.pi - np.pi / 128])
    assert np.allclose(lat, [np.pi / 2 - np.pi / 128, 0, -np.pi / 2 + np.pi / 128])


@settings(max_examples=200)
@given(st.integers(0, 5), st.floats(-3, 18), st.floats(-3, 18), st.integers(0, 3))
def test_face_pixel_round_trip(face, x, y, pad):
    xyz = face_pixel_to_xyz(face, np.array(x), np.array(y), 16, pad)
    x2, y2 = xyz_to_face_pixel(xyz, face, 16, pad)
    assert np.isclose(x2, x) and np.isclose(y2, y)


def test_direction_to_pixel_to_direction_through_erp_and_face(rng):
    xyz = rng.normal(size=(500, 3))
    xyz /= np.linalg.norm(xyz, axis=1, keepdims=True)
    lon, lat = xyz_to_lonlat(xyz)
    x, y = lonlat_to_erp_pixel(lon, lat, 512, 1024)
    back = lonlat_to_xyz(*erp_pixel_to_lonlat(x, y, 512, 1024))
    assert np.allclose(back, xyz)
    face = xyz_to_face(xyz)
    fx, fy = xyz_to_face_pixel(xyz, face, 64)
    assert fx.min() >= -0.5 and fx.max() <= 63.5 and fy.min() >= -0.5 and fy.max() <= 63.5
    seen = face_pixel_to_xyz(face, fx, fy, 64)
    assert np.allclose(seen / np.linalg.norm(seen, axis=1, keepdims=True), xyz)


def test_faces_are_consistently_oriented_views_from_inside():
    # No face is mirrored: right x down points back at the viewer for every face.
    for c, r, d in zip(FACE_CENTER, FACE_RIGHT, FACE_DOWN, strict=True):
        assert np.allclose(np.cross(r, d), -c)
        assert np.isclose(np.dot(r, c), 0) and np.isclose(np.dot(d, c), 0)


def test_face_of_its_own_pixels():
    ys, xs = np.mgrid[0:8, 0:8]
    for face in range(6):
        assert (xyz_to_face(face_pixel_to_xyz(face, xs, ys, 8)) == face).all()


def test_behind_face_plane_is_not_finite():
    x, y = xyz_to_face_pixel(np.array([0.0, 0.0, -1.0]), 0, 8)
    assert not np.isfinite(x) and not np.isfinite(y)


@given(st.floats(-3, 3), st.floats(-1.5, 1.5), st.floats(-3, 3))
def test_rotation_angles_round_trip(yaw, pitch, roll):
    r = rotation_matrix(yaw, pitch, roll)
    assert np.allclose(r @ r.T, np.eye(3)) and np.isclose(np.linalg.det(r), 1)
    assert np.allclose(rotation_matrix(*rotation_to_angles(r)), r, atol=1e-8)


def test_rotation_matrix_points_view_at_yaw_and_pitch():
    r = rotation_matrix(0.7, -0.3, 1.1)
    lon, lat = xyz_to_lonlat(r @ [0.0, 0.0, 1.0])
    assert np.isclose(lon, 0.7) and np.isclose(lat, -0.3)


@given(st.floats(-1, 1), st.floats(-1, 1), st.floats(-1, 1), st.sampled_from([None, 0, 2, 4, 5]))
def test_rotation_to_center_centres_direction(x, y, z, face):
    d = np.array([x, y, z])
    if np.linalg.norm(d) < 1e-3:
        return
    r, f = rotation_to_center(d, face)
    assert face is None or f == face
    assert np.allclose(r @ FACE_CENTER[f], d / np.linalg.norm(d), atol=1e-9)
    assert np.allclose(r @ r.T, np.eye(3)) and np.isclose(np.linalg.det(r), 1)


def test_rotation_to_center_is_identity_for_the_nadir():
    r, f = rotation_to_center(np.array([0.0, -2.0, 0.0]))
    assert f == 5 and np.allclose(r, np.eye(3))


def test_invalid_rotations():
    with pytest.raises(ValueError, match="3x3 matrix or"):
        as_rotation(np.zeros(4))
    with pytest.raises(ValueError, match="orthonormal"):
        as_rotation(np.diag([1.0, 1.0, -1.0]))
    with pytest.raises(ValueError, match="non-zero"):
        rotation_to_center(np.zeros(3))

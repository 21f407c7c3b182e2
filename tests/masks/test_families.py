import numpy as np
import pytest

from pano_inpaint.geometry import erp_pixel_to_xyz, lonlat_to_erp_pixel, xyz_to_face
from pano_inpaint.masks import MASK_FAMILIES, list_families, make_mask, mask_fraction

H, W = 64, 128


def _directions(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return erp_pixel_to_xyz(xs, ys, *mask.shape)


@pytest.mark.parametrize("family", list_families())
def test_deterministic_non_empty_and_sane(family):
    for seed in range(4):
        mask = make_mask(family, H, W, "pano.png", seed)
        assert mask.dtype == np.bool_ and mask.shape == (H, W)
        np.testing.assert_array_equal(mask, make_mask(family, H, W, "pano.png", seed))
        assert mask.any()
        # large-cap goes up to a 50-degree cap: 1 - cos(50) over 2 of the sphere
        assert mask_fraction(mask) < (0.18 if family == "large-cap" else 0.15)


@pytest.mark.parametrize("family", list_families())
def test_depends_on_image_and_seed(family):
    masks = [make_mask(family, 128, 256, name, seed) for name in ("a", "b") for seed in (0, 1)]
    assert len({m.tobytes() for m in masks}) > 1


def test_tripod_legs_reach_past_the_down_face():
    for seed in range(4):
        xyz = _directions(make_mask("tripod", H, W, "x", seed))
        polar = np.degrees(np.arccos(np.clip(-xyz[:, 1], -1, 1)))
        assert polar.max() > 50
        assert (xyz_to_face(xyz) != 5).sum() > 0  # some leg pixels are on side faces
        assert polar.min() < 2  # and the cap covers the nadir


@pytest.mark.parametrize("family", ["monopod", "shadow"])
def test_nadir_objects_leave_the_down_face(family):
    xyz = _directions(make_mask(family, H, W, "x", 0))
    polar = np.degrees(np.arccos(np.clip(-xyz[:, 1], -1, 1)))
    assert polar.min() < 2 and polar.max() > 40


def test_wrap_objects_touch_both_edges():
    for seed in range(4):
        mask = make_mask("wrap", H, W, "x", seed)
        assert mask[:, 0].any() and mask[:, -1].any()


def test_large_caps_are_30_to_50_degrees():
    for seed in range(6):
        xyz = _directions(make_mask("large-cap", H, W, "x", seed))
        polar = np.degrees(np.arccos(np.clip(-xyz[:, 1], -1, 1)))
        assert 30 - 1 <= polar.max() <= 50 + 1


def test_caps_cover_their_pole():
    assert make_mask("nadir", H, W, "x")[-1].all()
    assert make_mask("zenith", H, W, "x")[0].all()
    assert not make_mask("zenith", H, W, "x")[-1].any()


def test_cube_edge_objects_span_two_faces():
    for seed in range(4):
        faces = set(xyz_to_face(_directions(make_mask("cube-edge", H, W, "x", seed))).tolist())
        assert len(faces) >= 2


def test_cube_corner_objects_cover_a_corner():
    corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], float)
    lon = np.arctan2(corners[:, 0], corners[:, 2])
    lat = np.arcsin(corners[:, 1] / np.sqrt(3))
    xs, ys = lonlat_to_erp_pixel(lon, lat, H, W)
    for seed in range(4):
        mask = make_mask("cube-corner", H, W, "x", seed)
        assert mask[np.round(ys).astype(int), np.round(xs).astype(int) % W].any()
        assert len(set(xyz_to_face(_directions(mask)).tolist())) == 3


def test_a_passer_by_stands_on_the_ground_and_crosses_the_horizon():
    # Feet below the horizon, the head just above it, taller than wide, at any azimuth: the hole
    # cuts the horizon (a person removed from a view, not an object floating in the sky).
    centres = []
    for seed in range(8):
        mask = make_mask("passer-by", 256, 512, "x", seed)
        xyz = _directions(mask)
        lat = np.degrees(np.arcsin(np.clip(xyz[:, 1], -1, 1)))
        lon = np.degrees(np.arctan2(xyz[:, 0], xyz[:, 2]))
        assert -40 < lat.min() < -10 and 0.3 < lat.max() < 6
        spread = np.degrees(np.ptp(np.unwrap(np.radians(lon))))
        assert spread < (lat.max() - lat.min()) / 2
        centres.append(float(np.degrees(np.angle(np.exp(1j * np.radians(lon)).mean()))))
    assert np.ptp(centres) > 90


def test_invalid_family_and_size():
    with pytest.raises(KeyError, match="known"):
        make_mask("tripods", H, W)
    with pytest.raises(ValueError, match="W == 2"):
        make_mask("nadir", H, H)
    assert "strokes" in MASK_FAMILIES

from __future__ import annotations

import numpy as np
import pytest

from pano_inpaint.geometry.cubemap import erp_to_cube
from pano_inpaint.geometry.sphere import erp_pixel_to_lonlat
from samples.render import SamplePanorama, TripodGeometry, make_sample_panorama

HEIGHT = 128


@pytest.fixture(scope="module")
def sample() -> SamplePanorama:
    return make_sample_panorama(HEIGHT, seed=0)


def _lonlat_deg(height: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:height, 0 : 2 * height]
    lon, lat = erp_pixel_to_lonlat(x, y, height, 2 * height)
    return np.degrees(lon), np.degrees(lat)


def test_shapes_and_dtypes(sample: SamplePanorama) -> None:
    assert sample.clean.shape == sample.image.shape == (HEIGHT, 2 * HEIGHT, 3)
    assert sample.clean.dtype == sample.image.dtype == np.uint8
    assert sample.mask.shape == (HEIGHT, 2 * HEIGHT)
    assert sample.mask.dtype == np.bool_
    assert isinstance(sample.tripod_degrees, float)


def test_deterministic(sample: SamplePanorama) -> None:
    again = make_sample_panorama(HEIGHT, seed=0)
    np.testing.assert_array_equal(again.clean, sample.clean)
    np.testing.assert_array_equal(again.image, sample.image)
    np.testing.assert_array_equal(again.mask, sample.mask)
    assert again.tripod_degrees == sample.tripod_degrees
    other = make_sample_panorama(HEIGHT, seed=1)
    assert np.abs(other.clean.astype(int) - sample.clean).mean() > 5


def test_image_equals_clean_outside_mask(sample: SamplePanorama) -> None:
    np.testing.assert_array_equal(sample.image[~sample.mask], sample.clean[~sample.mask])
    # The tripod is really drawn: most mask pixels changed, and it is dark.
    changed = np.any(sample.image != sample.clean, axis=-1)
    assert changed[sample.mask].mean() > 0.5
    assert sample.image[changed].mean() < 0.6 * sample.clean[changed].mean()


def test_mask_within_tripod_degrees_and_past_down_face(sample: SamplePanorama) -> None:
    _, lat = _lonlat_deg(HEIGHT)
    from_nadir = 90.0 + lat
    assert sample.mask.any()
    # Every mask pixel, to its edge half a row away, lies within tripod_degrees.
    assert from_nadir[sample.mask].max() + 90.0 / HEIGHT <= sample.tripod_degrees + 1e-9
    assert sample.tripod_degrees < 60.0
    # The legs spread past the down cube face (45 degrees from the nadir along its axes) ...
    assert lat[sample.mask].max() > -45.0
    # ... so the hole is on side faces too, not only on the down face.
    faces = erp_to_cube(sample.mask.astype(np.uint8), HEIGHT // 2, interpolation="nearest")
    assert faces[5].any()
    assert sum(bool(face.any()) for face in faces[:4]) >= 2
    assert not faces[4].any()
    # The nadir itself is covered (the tripod head is right below the camera).
    assert sample.mask[-1].all()


def test_mask_touches_three_leg_azimuths(sample: SamplePanorama) -> None:
    lon, lat = _lonlat_deg(HEIGHT)
    row = int(np.argmin(np.abs(lat[:, 0] + 60.0)))  # a ring 30 degrees from the nadir
    ring_lon, ring_mask = lon[row], sample.mask[row]
    first = TripodGeometry().leg_azimuth_deg
    for k in range(3):
        azimuth = first + 120.0 * k
        offset = (ring_lon - azimuth + 180.0) % 360.0 - 180.0  # signed difference in degrees
        assert ring_mask[np.abs(offset) < 4.0].all(), f"leg at {azimuth} deg not masked"
        assert not ring_mask[np.abs(np.abs(offset) - 60.0) < 10.0].any(), "gap between legs"


def test_ground_below_camera_is_textured(sample: SamplePanorama) -> None:
    _, lat = _lonlat_deg(HEIGHT)
    nadir = lat < -70.0  # within 20 degrees of the nadir, under the tripod
    luma = sample.clean.astype(np.float64).mean(axis=-1)
    assert luma[nadir].std() > 8.0
    # Gradient energy, not only slow shading: a blurry fill would score far lower.
    rows = np.abs(np.diff(luma, axis=0))[nadir[1:] & nadir[:-1]]
    assert rows.mean() > 3.0


@pytest.mark.parametrize("seed", [0, 3])
def test_wraparound_is_continuous(seed: int) -> None:
    sample = make_sample_panorama(64, seed=seed)
    for erp in (sample.clean, sample.image):
        erp = erp.astype(np.int64)
        neighbours = np.abs(np.diff(erp, axis=1)).mean()
        seam = np.abs(erp[:, 0] - erp[:, -1]).mean()
        assert seam < 2.0 * neighbours


def test_mask_dilation_covers_antialiased_edges(sample: SamplePanorama) -> None:
    changed = np.any(sample.image != sample.clean, axis=-1)
    # Every mask pixel is near a changed pixel: the dilation is a few pixels, not more.
    from scipy.ndimage import binary_dilation

    near_changed = binary_dilation(changed, iterations=3)
    assert (sample.mask & ~near_changed).sum() < 0.02 * sample.mask.sum()


def test_compact_tripod_stays_on_down_face() -> None:
    compact = make_sample_panorama(64, tripod=TripodGeometry(foot_distance=0.8))
    # atan(0.8 / 1.6) = 26.6 degrees: inside the down face.
    assert 26.0 < compact.tripod_degrees < 40.0


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        make_sample_panorama(8)
    with pytest.raises(TypeError, match="height"):
        make_sample_panorama(64.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="seed"):
        make_sample_panorama(64, seed="0")  # type: ignore[arg-type]

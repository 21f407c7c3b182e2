import numpy as np
import pytest

from pano_inpaint.masks import cap_mask, mask_fraction, nadir_mask, zenith_mask


def test_nadir_and_zenith_are_row_bands():
    m = nadir_mask(90, 180, 30)
    assert m[-15:].all() and not m[:-15].any()
    z = zenith_mask(90, 180, 10)
    assert z[:5].all() and not z[5:].any()


def test_cap_area_matches_the_spherical_cap():
    m = cap_mask(512, 1024, 40, 20, 30)
    expected = (1 - np.cos(np.radians(30))) / 2
    assert abs(mask_fraction(m) - expected) < 0.002


def test_cap_on_the_wrap_line_touches_both_edges():
    m = cap_mask(64, 128, -180, 0, 10)
    assert m[:, 0].any() and m[:, -1].any()


def test_cap_at_the_pole_equals_a_nadir_cap():
    assert np.array_equal(cap_mask(64, 128, 0, -90, 20), nadir_mask(64, 128, 20))


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: nadir_mask(64, 100, 10), r"W == 2 \* H"),
        (lambda: nadir_mask(64, 128, 200), r"\[0, 180\]"),
        (lambda: cap_mask(0, 0, 0, 0, 10), "height"),
    ],
)
def test_invalid_mask_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()

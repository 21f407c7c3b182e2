import numpy as np
import pytest

from pano_inpaint.masks import cap_mask, dilate_mask, mask_fraction, nadir_mask, zenith_mask


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


def test_dilation_wraps_the_columns():
    mask = np.zeros((16, 32), bool)
    mask[8, 0] = True
    grown = dilate_mask(mask, 2)
    assert grown[8, 30] and grown[8, 31] and grown[8, 2] and not grown[8, 3]


def test_dilation_grows_over_the_poles_onto_the_opposite_meridian():
    height, width = 16, 32
    for row, over in ((0, slice(0, 2)), (height - 1, slice(height - 2, height))):
        mask = np.zeros((height, width), bool)
        mask[row, 5] = True
        grown = dilate_mask(mask, 2)
        # the pixel's neighbours across the pole are half a turn away, in the rows beside it
        assert grown[over, 5 + width // 2].all()
        assert not grown[over, 5 + width // 4].any()


@pytest.mark.parametrize("seed", range(4))
def test_dilation_commutes_with_yaw_and_with_flipping_the_poles(seed):
    rng = np.random.default_rng(seed)
    mask = rng.random((24, 48)) < 0.01
    mask[0, rng.integers(48)] = mask[-1, rng.integers(48)] = True
    grown = dilate_mask(mask, 3)
    assert grown.sum() > mask.sum()
    np.testing.assert_array_equal(dilate_mask(np.roll(mask, 7, axis=1), 3),
                                  np.roll(grown, 7, axis=1))
    np.testing.assert_array_equal(dilate_mask(mask[::-1], 3), grown[::-1])


def test_dilation_of_nothing_or_by_nothing_is_the_mask():
    mask = nadir_mask(16, 32, 20)
    assert dilate_mask(mask, 0) is mask
    empty = np.zeros((16, 32), bool)
    assert not dilate_mask(empty, 3).any()


def test_a_dilation_farther_than_the_sphere_reaches_is_all_of_it_and_cheap():
    """--dilate 16384 on a 64-high mask grew it through a 32769-wide kernel and a band as
    large (24 GB); past the farthest two pixels can be, the answer is every pixel, and the
    largest dilation below that already gives it."""
    import tracemalloc

    mask = np.zeros((32, 64), bool)
    mask[30, 5] = True
    assert dilate_mask(mask, 32 + 32 - 1).all()  # the long way, just below the shortcut
    tracemalloc.start()
    try:
        grown = dilate_mask(mask, 16384)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert grown.all() and grown.dtype == bool and peak < 2**20

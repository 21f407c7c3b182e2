import warnings

import numpy as np
import pytest

from pano_inpaint import inpaint
from pano_inpaint.values import ToneMap, from_values, is_hdr, to_values


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_to_values_round_trips_and_writes_in_place(dtype, rng):
    top = {np.uint8: 255, np.uint16: 65535, np.float32: 40.0}[dtype]
    native = (rng.random((6, 9, 3)) * top).astype(dtype)
    values = to_values(native)
    assert values.dtype == np.float32 and values.max() <= (1 if dtype != np.float32 else top)
    out = np.full(native.shape, -1, np.float32)
    assert to_values(native, out=out) is out and np.array_equal(out, values)
    np.testing.assert_array_equal(from_values(values, dtype), native)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_a_large_array_converted_in_parts_is_converted_as_a_whole(dtype, rng, monkeypatch):
    """Above ``_PARALLEL_ELEMENTS`` values the conversion is split over OpenCV's threads: every
    part (and the seams between them) holds what one conversion of the whole gives, returned or
    written into ``out``; a strided ``out`` is written whole too."""
    import cv2

    from pano_inpaint import values as module

    monkeypatch.setattr(module, "_PARALLEL_ELEMENTS", 1000)
    native = rng.integers(0, np.iinfo(dtype).max, (70, 103, 3), dtype=dtype, endpoint=True)
    whole = native.astype(np.float32) * np.float32(1 / np.iinfo(dtype).max)
    threads = cv2.getNumThreads()
    try:
        for count in (1, 2, 3):
            cv2.setNumThreads(count)
            assert np.array_equal(to_values(native), whole)
            out = np.full(native.shape, -1, np.float32)
            assert to_values(native, out=out) is out and np.array_equal(out, whole)
            strided = np.full((70, 206, 3), -1, np.float32)[:, ::2]
            to_values(native, out=strided)
            assert np.array_equal(strided, whole)
    finally:
        cv2.setNumThreads(threads)


def test_hdr_tone_map_is_inverted_exactly_enough():
    hdr = np.array([[[0.0, 0.5, 1.0], [4.0, 60.0, 900.0]]], np.float32)
    tone = ToneMap.for_image(hdr, hdr=True)
    proxy = tone.to_proxy(hdr)
    assert proxy.min() >= 0 and proxy.max() < 1
    np.testing.assert_allclose(tone.from_proxy(proxy), hdr, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("value", [np.inf, np.nan])
def test_an_hdr_image_without_a_finite_lit_pixel_gets_a_finite_exposure(value):
    """All +inf (a broken render) or NaN beside inf: the median of no pixel made the exposure
    NaN, with numpy's 'Mean of empty slice' in the web server's log as it was opened."""
    image = np.full((8, 16, 3), value, np.float32)
    image[0, 0] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tone = ToneMap.for_image(image, hdr=True)
    assert np.isfinite(tone.exposure)


def test_hdr_is_decided_on_every_pixel():
    image = np.full((1024, 2048, 3), 0.5, np.float32)
    assert not is_hdr(image)
    image[513, 1999, 2] = 7.0  # one small highlight on one row, one channel
    assert is_hdr(image)
    image[0, 0] = np.nan  # undefined pixels neither decide nor hide anything
    assert is_hdr(image)
    assert not is_hdr(np.where(image > 1, np.float32(np.nan), image))
    assert not is_hdr(image, "off") and is_hdr(np.zeros((2, 4), np.float32), "on")
    assert not is_hdr(np.full((4, 8), 60000, np.uint16))  # integers are display-referred


def test_a_highlight_is_filled_in_linear_hdr_not_clipped():
    """A lamp's glow on three rows that a scan of every fourth row skips: the image is HDR
    all the same, and the fill continues the glow above 1 instead of clipping it."""
    height = 2048
    image = np.full((height, 2 * height, 3), 0.4, np.float32)
    image[1201:1204, 1800:2200] = 6.0
    mask = np.zeros((height, 2 * height), bool)
    mask[1202, 1990:2010] = True
    damaged = image.copy()
    damaged[mask] = 0
    out = inpaint(damaged, mask, generator="telea").image
    assert out[mask].max() > 1.5


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("source", [np.float32, np.float64])
def test_from_values_rounds_half_to_even_and_clips_like_the_plain_formula(dtype, source):
    rng = np.random.default_rng(6)
    top = np.iinfo(dtype).max
    values = np.concatenate([rng.uniform(-0.2, 1.2, 5000),
                             (np.arange(0, top + 1, dtype=np.float64) + 0.5) / top,  # halves
                             [-np.inf, np.inf, 0.0, -0.0, 1.0]]).astype(source).reshape(-1, 1)
    want = np.clip(np.rint(values * top), 0, top).astype(dtype)
    out = from_values(values, dtype)
    assert out.dtype == dtype and np.array_equal(out, want)
    assert from_values(np.array([[3, 0, 1]]), dtype).tolist() == [[top, 0, top]]


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_every_integer_comes_back_exactly_through_the_proxy(dtype):
    """What lets the pipeline skip converting back pixels it did not change."""
    native = np.arange(np.iinfo(dtype).max + 1, dtype=np.int64).astype(dtype)[:, None]
    tone = ToneMap(False)
    back = from_values(tone.from_proxy(tone.to_proxy(to_values(native))), dtype)
    assert np.array_equal(back, native)


def test_an_out_of_the_wrong_shape_is_refused_even_with_the_right_size(monkeypatch):
    from pano_inpaint import values as module

    monkeypatch.setattr(module, "_PARALLEL_ELEMENTS", 10)  # the parts path works on flat views
    native = np.zeros((8, 12, 3), np.uint8)
    with pytest.raises(ValueError, match="shape"):
        to_values(native, out=np.zeros((12, 8, 3), np.float32))
    with pytest.raises(ValueError, match="float32"):
        to_values(native, out=np.zeros((8, 12, 3), np.float64))

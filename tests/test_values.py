import numpy as np
import pytest

from pano_inpaint.values import ToneMap, from_values, to_values


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_to_values_round_trips_and_writes_in_place(dtype, rng):
    top = {np.uint8: 255, np.uint16: 65535, np.float32: 40.0}[dtype]
    native = (rng.random((6, 9, 3)) * top).astype(dtype)
    values = to_values(native)
    assert values.dtype == np.float32 and values.max() <= (1 if dtype != np.float32 else top)
    out = np.full(native.shape, -1, np.float32)
    assert to_values(native, out=out) is out and np.array_equal(out, values)
    np.testing.assert_array_equal(from_values(values, dtype), native)


def test_hdr_tone_map_is_inverted_exactly_enough():
    hdr = np.array([[[0.0, 0.5, 1.0], [4.0, 60.0, 900.0]]], np.float32)
    tone = ToneMap.for_image(hdr, hdr=True)
    proxy = tone.to_proxy(hdr)
    assert proxy.min() >= 0 and proxy.max() < 1
    np.testing.assert_allclose(tone.from_proxy(proxy), hdr, rtol=1e-3, atol=1e-5)

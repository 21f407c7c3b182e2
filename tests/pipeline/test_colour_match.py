"""The pipeline's colour matching converts back only the rows the matching changed, with the
result of converting the whole band."""

import numpy as np
import pytest

from pano_inpaint.blend import match_boundary_colour
from pano_inpaint.masks import nadir_mask
from pano_inpaint.pipeline import run
from pano_inpaint.values import ToneMap, from_values, to_values


def _whole_band(out: np.ndarray, hole: np.ndarray, tone: ToneMap, feather: int) -> None:
    """The plain formula: every hole pixel of the band converted back and copied."""
    rows = np.flatnonzero(hole.any(axis=1))
    r0, r1 = max(0, rows[0] - 2 * feather), min(hole.shape[0], rows[-1] + 2 * feather + 1)
    band = out[r0:r1]
    work = tone.to_proxy(to_values(band))
    match_boundary_colour(work, hole[r0:r1], feather)
    np.copyto(band, from_values(tone.from_proxy(work), out.dtype), where=hole[r0:r1, :, None])


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_colour_matching_equals_the_whole_band_conversion(dtype, rng, monkeypatch):
    height, feather = 96, 4
    top = np.iinfo(dtype).max if dtype != np.float32 else 1.0
    image = (rng.random((height, 2 * height, 3)) * top).astype(dtype)
    hole = nadir_mask(height, 2 * height, 40)
    image[hole] = (0.3 * top) if dtype != np.float32 else np.float32(1.2)  # a shade off
    want = image.copy()
    _whole_band(want, hole, ToneMap(False), feather)
    converted = []
    monkeypatch.setattr(run, "from_values",
                        lambda values, d:
                        converted.append(values.shape[0]) or from_values(values, d))
    got = image.copy()
    run._finish_band(got, hole, ToneMap(False), feather, follow_rows=False)
    assert np.array_equal(got, want)
    assert not np.array_equal(got, image)  # the matching did change something
    band_rows = height - np.flatnonzero(hole.any(axis=1))[0] + 2 * feather
    if dtype == np.float32:  # clipped by the proxy: every hole row goes back
        assert converted == [band_rows]
    else:  # only the rows within the feather of the edge
        assert 0 < converted[0] <= feather + 1 < band_rows

import importlib.util

import numpy as np
import pytest

from pano_inpaint.eval.methods import (
    PEERS,
    default_generators,
    generator_method,
    select_methods,
)
from pano_inpaint.masks import cap_mask, nadir_mask
from tests.synthetic import sphere_function_erp

H = 32
W = 2 * H


def _inputs(dtype, scale=1.0):
    erp = sphere_function_erp(H, dtype=dtype, scale=scale)
    mask = nadir_mask(H, W, 25) | cap_mask(H, W, 180, 0, 15)
    source = erp.copy()
    source[mask] = 0
    return erp, source, mask


PEER_NAMES = [n for n in PEERS if n != "erp-pypatchmatch"]
if importlib.util.find_spec("patchmatch") is not None:
    PEER_NAMES.append("erp-pypatchmatch")


@pytest.mark.parametrize("name", PEER_NAMES)
@pytest.mark.parametrize("dtype,scale", [(np.uint8, 1), (np.uint16, 1), (np.float32, 8.0)])
def test_peers_keep_known_pixels_and_fill_the_hole(name, dtype, scale):
    erp, source, mask = _inputs(dtype, scale)
    out = PEERS[name].fn(source, mask).image
    assert out.shape == erp.shape and out.dtype == erp.dtype
    np.testing.assert_array_equal(out[~mask], source[~mask])
    # A smooth panorama: the fill is close to the truth, nothing like the blank hole.
    err = np.abs(out[mask].astype(np.float64) - erp[mask]).mean()
    blank = np.abs(erp[mask].astype(np.float64)).mean()
    assert err < 0.25 * blank


def test_generators_report_their_cube_frames():
    _, source, _ = _inputs(np.uint8)
    hole = cap_mask(H, W, 45, 0, 15)  # on a cube edge: filled on a rotated cube
    out = generator_method("telea").fn(source, hole)
    assert out.rotations and out.rotations[0] is not None
    assert out.rotations[0].shape == (3, 3)


def test_select_methods():
    methods, forced = select_methods(None, "none")
    assert [m.name for m in methods] == default_generators()
    assert "mean" not in default_generators()
    methods, forced = select_methods(["telea"], ["faces-telea"])
    assert [m.name for m in methods] == ["telea", "faces-telea"] and forced == {"faces-telea"}
    with pytest.raises(KeyError, match="registered"):
        select_methods(["nope"], "none")
    with pytest.raises(KeyError, match="unknown peer"):
        select_methods([], ["nope"])


@pytest.mark.skipif(importlib.util.find_spec("patchmatch") is None, reason="no pypatchmatch")
def test_pypatchmatch_by_short_name_is_forced():
    methods, forced = select_methods([], ["pypatchmatch"])
    assert [m.name for m in methods] == ["erp-pypatchmatch"]
    assert forced == {"erp-pypatchmatch"}

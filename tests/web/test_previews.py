"""The viewer's previews (`web.previews`)."""

import warnings

import numpy as np

from pano_inpaint.web.previews import _display_rgb


def test_an_hdr_preview_shows_nan_as_black_and_inf_as_white():
    # An HDR with a stitcher's unseen (NaN) pixels and a +inf one: the preview is made without
    # numpy's warnings in the server's log, NaN black and +inf white, the rest as before.
    rng = np.random.default_rng(0)
    hdr = (4.0 * rng.random((16, 32, 3))).astype(np.float32)
    clean = _display_rgb(hdr)
    hdr[-1, :8] = np.nan
    hdr[0, 0] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shown = _display_rgb(hdr)
    assert (shown[-1, :8] == 0).all() and (shown[0, 0] == 255).all()
    assert np.abs(shown[1:-1].astype(int) - clean[1:-1]).max() <= 1

"""Feathered colour matching: a fill a shade off is pulled towards its surroundings within
``feather`` of the hole's edge, and nothing else moves."""

from __future__ import annotations

import numpy as np

from pano_inpaint.blend.colour import match_boundary_colour


def test_only_the_hole_pixels_within_the_feather_are_corrected():
    feather = 8
    band = np.full((90, 200, 3), 0.5, np.float32)
    hole = np.zeros((90, 200), bool)
    hole[20:70] = True  # edges at rows 20 and 69, a deep middle between them
    band[hole] = 0.7  # a fill a shade off
    out = match_boundary_colour(band.copy(), hole, feather)
    np.testing.assert_array_equal(out[~hole], band[~hole])  # known pixels never change
    for edge_row in (20, 69):  # both edges, the bottom one far from the band's first rows
        assert np.all(np.abs(out[edge_row] - 0.5) < 0.1), edge_row
    deep = np.zeros_like(hole)
    deep[20 + feather + 1 : 69 - feather] = True
    np.testing.assert_array_equal(out[deep], band[deep])  # out of reach: exactly as filled


def _plain_rings(holes: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1,) * 2)
    outer = (cv2.dilate(holes, kernel) & ~holes & 1).astype(np.float32)
    inner = (holes & ~cv2.erode(holes, kernel, borderType=cv2.BORDER_REPLICATE) & 1)
    return outer, inner.astype(np.float32)


def test_edge_rings_are_those_of_the_whole_band_worked_out_near_the_edges(monkeypatch):
    import cv2

    from pano_inpaint.blend import colour

    rng = np.random.default_rng(5)
    shapes = []
    for width in (1, 3, 10):
        for kind in range(8):
            holes = np.zeros((120, 90), np.uint8)
            if kind == 0:
                holes[70:] = 1  # a cap: one edge row
            elif kind == 1:
                holes[:3] = 1  # an edge at the first rows
            elif kind == 2:
                holes[117:] = 1  # ... and at the last
            elif kind == 3:
                holes[30:60, 20:50] = 1  # a box
            elif kind == 4:
                holes[10:20] = 1
                holes[100:110] = 1  # two bands far apart
            else:
                holes = (rng.random((120, 90)) < 0.02 * kind).astype(np.uint8)
            want = _plain_rings(holes, width)
            dilate = cv2.dilate
            monkeypatch.setattr(colour.cv2, "dilate",
                                lambda x, *a, dilate=dilate, **k:
                                shapes.append(x.shape[0]) or dilate(x, *a, **k))
            got = colour._edge_rings(holes, width)
            monkeypatch.undo()
            assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
            assert got[0].dtype == got[1].dtype == np.float32
    assert shapes[0] == 2 + 4 * 1  # the two rows either side of the cap's edge, twice the reach


def test_edge_rings_wider_than_the_band_are_cheap_and_the_same():
    """blend.feather=16384 on a 128-wide panorama took a disc 10923 pixels wide (4.4 s at
    feather 4096, 0.6 s now, the same result): a disc wider than the band gives the rings of
    any wider one."""
    import tracemalloc

    from pano_inpaint.blend import colour

    holes = np.zeros((40, 60), np.uint8)
    holes[25:, 10:50] = 1
    tracemalloc.start()
    try:
        got = colour._edge_rings(holes, 3000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    want = _plain_rings(holes, 40 + 60)  # as _plain_rings(holes, 3000), which takes 10 s
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    assert peak < 2**20

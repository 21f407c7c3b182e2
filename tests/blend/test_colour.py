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

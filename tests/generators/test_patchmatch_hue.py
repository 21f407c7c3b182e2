"""The stitch of a pattern's copies: it may change their light, not their colour balance.

A lattice's copies bring the pattern's own colours. The gradient-domain stitch that removes the
offsets between them is held by the ring, and where two copies meet a pixel apart along a
painted stripe's edge, or many cuts between bricks of varied tones leave residues, the solve
turns the colours far from the floor's (a blue haze beside a yellow stripe, a red brick floor
gone olive). Deeper in than a tenth of the face that turn is limited
(``_finish._PATTERN_HUE``, ``_PATTERN_HUE_REACH``)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pano_inpaint.generators.patchmatch._light import limit_hue_turn


def _turn(change: np.ndarray) -> np.ndarray:
    colour = change[..., :3]
    return np.sqrt(((colour - colour.mean(axis=-1, keepdims=True)) ** 2).sum(axis=-1))


def test_a_change_s_turn_of_the_colours_is_limited_and_its_light_kept():
    change = np.array([[0.10, -0.05, 0.02], [0.004, -0.002, 0.0], [0.3, 0.3, 0.3]], np.float32)
    limited = limit_hue_turn(change, 0.01)
    assert _turn(limited) == pytest.approx([0.01, _turn(change)[1], 0.0], abs=1e-6)
    # brighter or darker as much as before
    np.testing.assert_allclose(limited.mean(axis=-1), change.mean(axis=-1), atol=1e-7)
    # a change within the limit, and one of light alone, are kept as they are
    np.testing.assert_allclose(limited[1:], change[1:], atol=1e-7)
    # the turn keeps its direction, only shortened
    turn = change[0] - change[0].mean()
    kept = limited[0] - limited[0].mean()
    assert float(turn @ kept) / (np.linalg.norm(turn) * np.linalg.norm(kept)) == pytest.approx(1.0)


def test_alpha_and_grey_images_are_left_as_they_are():
    rgba = np.array([[0.2, -0.1, 0.0, 0.7]], np.float32)
    limited = limit_hue_turn(rgba, 0.01)
    assert limited[0, 3] == pytest.approx(0.7)
    assert _turn(limited) == pytest.approx([0.01], abs=1e-6)
    grey = np.array([[0.3], [-0.2]], np.float32)
    np.testing.assert_array_equal(limit_hue_turn(grey, 0.01), grey)


def test_a_brick_floor_under_a_large_cap_keeps_its_colour():
    """The yard's red bricks (scene seed 3) under a 45-degree nadir cap at 1024 px: filled
    along their lattice, the stitch turned the cap's middle olive (its colour balance, blurred,
    0.078 off the truth's at the 99th percentile; 0.038 with the turn limited)."""
    from pano_inpaint.eval.scenes import render_scene
    from pano_inpaint.geometry.cubemap import erp_to_cube
    from pano_inpaint.masks import nadir_mask
    from pano_inpaint.pipeline.run import inpaint

    truth = render_scene("yard_bricks", 1024, seed=3)
    mask = nadir_mask(512, 1024, 45)
    fill = inpaint(truth, mask, generator="patchmatch").image

    def down(a: np.ndarray) -> np.ndarray:
        return erp_to_cube(np.ascontiguousarray(a, np.float32), 256, face_ids=["D"])[0]

    def balance(a: np.ndarray) -> np.ndarray:
        blurred = cv2.GaussianBlur(down(a) / 255, (0, 0), 6)
        return blurred - blurred.mean(axis=-1, keepdims=True)

    hole = down(mask.astype(np.float32)[..., None])[..., 0] > 0.5
    inner = cv2.erode(hole.astype(np.uint8), np.ones((15, 15), np.uint8)).astype(bool)
    off = np.sqrt(((balance(fill) - balance(truth)) ** 2).sum(axis=-1))[inner]
    assert np.percentile(off, 99) < 0.05


def test_planks_filled_along_their_stripes_are_a_pattern_and_a_line_s_band_is_not(monkeypatch):
    """The stripes step's copies (planks seen from above) reach the finish as a pattern's; a
    kerb across the planks, continued by the lines step, does not: a line may part two regions
    of two colours, whose stitch must turn them."""
    from pano_inpaint.generators.patchmatch import PatchMatch
    from pano_inpaint.generators.patchmatch import generator as patchmatch
    from tests.generators.test_patchmatch_stripes import ALONG, SIZE, _grid, _hole, _planks, _tiles

    seen = []
    real = patchmatch.finish_fill

    def recording(*args, **kwargs):
        seen.append(kwargs.get("patterned"))
        return real(*args, **kwargs)

    monkeypatch.setattr(patchmatch, "finish_fill", recording)
    hole = _hole()
    image = _planks(np.random.default_rng(11))
    tiles = _tiles(image, hole)
    PatchMatch(lattice_strength=2.0).inpaint(tiles)
    assert any("stripes along" in note for note in tiles.notes)
    # the fill's own finish (a second, plain solve follows for the planks' light)
    patterned = seen[0]
    assert patterned is not None and 0 in patterned
    assert patterned[0][hole].mean() > 0.9
    seen.clear()

    y, x = _grid()
    centre = (SIZE - 1) / 2
    along = (y - centre) * ALONG[0] + (x - centre) * ALONG[1]
    kerb = np.abs(along - 6) <= 4
    image[kerb] = np.array([0.9, 0.88, 0.85], np.float32)
    tiles = _tiles(image, hole)
    PatchMatch(lattice_strength=2.0).inpaint(tiles)
    assert any("continued across the hole" in note for note in tiles.notes)
    assert all(not patterned or not patterned[0][hole & kerb].any() for patterned in seen)

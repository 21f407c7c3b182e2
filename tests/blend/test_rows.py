"""A fill across smooth ground follows the rows: each hole run of a row whose two ends are
smooth known pixels is moved onto the line between them where the fill lies near it, and
nothing else moves (an edge the fill holds, a textured end, the known pixels)."""

from __future__ import annotations

import numpy as np
import pytest

from pano_inpaint.blend.rows import follow_smooth_rows
from pano_inpaint.config import load_config
from pano_inpaint.eval import metrics
from pano_inpaint.pipeline import inpaint
from pano_inpaint.values import to_values

NEAR, FAR = 3 / 255, 6 / 255


def _sky(height: int = 48, width: int = 96) -> np.ndarray:
    """``(h, w, 3)`` float32: a clear sky's gradient, a function of the row alone, bluer and
    brighter towards the horizon (the last row), with a faint slope along the rows too."""
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    cols = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :, None]
    base = np.array([0.35, 0.5, 0.8], np.float32) + 0.08 * rows * np.array([1, 1, 0.3])
    return (base + 0.004 * cols).astype(np.float32)


def _blotches(hole: np.ndarray, rng: np.random.Generator, size: float) -> np.ndarray:
    """``(h, w, 1)`` smooth blotches of about ``size`` (a fill's 1-3 levels off its truth)."""
    import cv2

    noise = cv2.GaussianBlur(rng.standard_normal(hole.shape).astype(np.float32), (0, 0), 3.0)
    return (noise / np.abs(noise).max() * size)[..., None] * hole[..., None]


def _box(truth: np.ndarray) -> np.ndarray:
    """``(h, w)`` bool: a box hole of 20 rows and 30 columns in the middle of ``truth``."""
    hole = np.zeros(truth.shape[:2], bool)
    hole[10:30, 30:60] = True
    return hole


def _assert_kept(truth: np.ndarray, rng: np.random.Generator, blotch: float) -> None:
    """A blotchy fill of a box hole in ``truth`` comes back exactly as it was."""
    hole = _box(truth)
    work = truth + _blotches(hole, rng, blotch)
    filled = work.copy()
    assert not follow_smooth_rows(work, hole, NEAR, FAR).any()
    np.testing.assert_array_equal(work, filled)


def test_a_blotchy_sky_fill_is_moved_onto_its_rows(rng):
    truth = _sky()
    hole = _box(truth)
    work = truth + _blotches(hole, rng, 2.5 / 255)
    before = np.abs(work - truth)[hole].max()
    changed = follow_smooth_rows(work, hole, NEAR, FAR)
    assert np.abs(work - truth)[hole].max() < 0.1 * before
    np.testing.assert_array_equal(work[~hole], truth[~hole])
    assert changed.tolist() == hole.any(axis=1).tolist()


def test_a_run_across_the_wrap_line_is_one_run(rng):
    truth = _sky()
    hole = np.zeros(truth.shape[:2], bool)
    hole[10:30, :12] = hole[10:30, -12:] = True
    work = truth + _blotches(hole, rng, 2.5 / 255)
    follow_smooth_rows(work, hole, NEAR, FAR)
    # The slope along the rows jumps at the wrap line (0.004 over the row), so the line
    # between the two ends is off the truth by up to about that, no more.
    assert np.abs(work - truth)[hole].max() < 0.0045


def test_a_fill_that_holds_an_edge_keeps_it():
    truth = _sky()
    hole = _box(truth)
    work = truth.copy()
    work[10:30, 44:46] = 0.1  # a dark pole the fill continued: far from the line
    filled = work.copy()
    follow_smooth_rows(work, hole, NEAR, FAR)
    np.testing.assert_array_equal(work[10:30, 44:46], filled[10:30, 44:46])


def test_a_run_with_a_textured_end_keeps_its_fill(rng):
    truth = _sky()
    truth[:, 60:] += rng.uniform(-0.05, 0.05, truth[:, 60:].shape).astype(np.float32)  # grass
    _assert_kept(truth, rng, 2.5 / 255)


@pytest.mark.parametrize("follow", [True, False])
def test_an_object_against_a_clear_sky_is_filled_with_the_sky_s_own_rows(follow):
    """Through the whole pipeline: a smooth sky's gradient (a function of elevation) round a
    hole above the horizon. The faces' fill comes within a few levels (their copies come from
    other elevations); following the rows brings it to the rounding of the 8-bit output."""
    truth, mask, out = _sky_filled(np.uint8, follow)
    np.testing.assert_array_equal(out[~mask], truth[~mask])
    error = np.abs(out.astype(int) - truth.astype(int))[mask].max()
    assert (error <= 1) == follow, error
    score = metrics.ws_psnr(to_values(out), to_values(truth), mask)
    assert (score > 55) == follow, score


@pytest.mark.parametrize("follow", [True, False])
def test_an_hdr_sky_follows_its_rows_in_log_brightness(follow):
    """The same in linear HDR values (the step works in log brightness there)."""
    truth, mask, out = _sky_filled(np.float32, follow)
    relative = (np.abs(out - truth) / truth)[mask].mean()
    assert (relative < 0.001) == follow, relative


def _sky_filled(dtype: type, follow: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 256 x 128 panorama of a clear sky whose colour depends on the row alone (8-bit, or
    linear HDR up to about 4.6), a round hole above the horizon, and its fill (Telea, with
    the rows followed or not)."""
    height, width = 128, 256
    rows = np.linspace(0.0, 1.0, height)[:, None, None]
    sky = np.array([0.24, 0.43, 0.78]) + np.array([0.35, 0.27, 0.12]) * rows ** 2
    if dtype == np.uint8:
        truth = np.broadcast_to(sky * 255, (height, width, 3)).round().astype(np.uint8)
    else:
        truth = np.broadcast_to(sky * 4.0, (height, width, 3)).astype(np.float32)
    yy, xx = np.mgrid[0:height, 0:width]
    truth, mask = np.ascontiguousarray(truth), np.hypot(yy - 40, xx - 100) < 10
    blanked = truth.copy()
    blanked[mask] = 0
    config = load_config(overrides=[f"blend.follow_rows={str(follow).lower()}"])
    return truth, mask, inpaint(blanked, mask, generator="telea", config=config).image


def test_a_sky_that_curves_along_the_rows_keeps_its_fill(rng):
    """A dawn sky brighter over the hole's middle columns than at its ends: the rows beside
    the hole do not run straight there, and the line would be darker than the truth (the
    faces' copies hold the curve), so the fill stays."""
    truth = _sky()
    cols = np.arange(truth.shape[1], dtype=np.float32)
    truth += (4 / 255 * np.exp(-(((cols - 45) / 12) ** 2)))[None, :, None]
    _assert_kept(truth, rng, 1.0 / 255)

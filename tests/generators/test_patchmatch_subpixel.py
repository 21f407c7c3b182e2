"""The structure steps' copies at their exact sources: a lattice step of no whole number of
pixels lands between pixels, and each copy shows its source sampled there, not the nearest
whole pixel (``PatchMatchParams.subpixel_copies``)."""

from __future__ import annotations

import numpy as np
import pytest

from pano_inpaint.generators import CubeTiles
from pano_inpaint.generators.patchmatch import PatchMatch
from pano_inpaint.generators.patchmatch.generator import _at_exact_sources, _Field

SIZE = 64
FACE, PAD = 88, 8
DOWN = 5


def _wave(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """A smooth pattern (values 0.2-0.8) that bicubic sampling reproduces closely."""
    return 0.5 + 0.3 * np.sin(2 * np.pi * (0.07 * x + 0.05 * y))


def _copies(rng: np.random.Generator) -> tuple[np.ndarray, _Field, np.ndarray, np.ndarray,
                                                np.ndarray, np.ndarray]:
    """A bank of one tile showing ``_wave``; a target whose middle copies it from 10 px up
    and 7 px left, each copy's exact source up to half a pixel beyond its whole one: ``(bank,
    field, residual, out, exact, done)``, ``out`` holding the whole pixels' values and
    ``exact`` the wave where each copy's source truly lies."""
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    bank = np.repeat(_wave(y, x)[None, ..., None], 3, axis=-1).astype(np.float32)
    done = np.zeros((SIZE, SIZE), bool)
    done[20:44, 20:44] = True
    field = _Field.empty(SIZE)
    field.nnf[0][done] = 0
    field.nnf[1][done] = (y[done] - 10).astype(np.int32)
    field.nnf[2][done] = (x[done] - 7).astype(np.int32)
    residual = np.zeros((SIZE, SIZE, 2), np.float32)
    residual[done] = rng.uniform(-0.5, 0.5, (int(done.sum()), 2))
    out = bank[0].copy()
    out[done] = bank[0][field.nnf[1][done], field.nnf[2][done]]  # the nearest whole pixels
    exact = _wave(y - 10 + residual[..., 0], x - 7 + residual[..., 1])
    return bank, field, residual, out, np.where(done, exact, 0.0), done


def test_each_copy_shows_its_source_where_its_steps_truly_land(rng):
    bank, field, residual, out, exact, done = _copies(rng)
    before = out.copy()
    error_before = np.abs(out[done][:, 0] - exact[done]).max()
    _at_exact_sources(done, field, residual, (bank, out, 1.0))
    assert error_before > 0.05  # the nearest pixels were up to half a pixel off the pattern
    # (OpenCV samples at 1/32 px: within 0.015 of the wave, whose slope reaches 0.16 a px)
    assert np.abs(out[done][:, 0] - exact[done]).max() < 0.015
    np.testing.assert_array_equal(out[~done], before[~done])  # only the copies move


@pytest.mark.parametrize("high", [1.0, np.inf])
def test_a_copy_at_its_whole_source_and_a_bright_one_stay_in_range(rng, high):
    """Display-referred copies stay within [0, 1]; HDR ones (no upper bound) keep their
    highlights above 1 and lose only negatives."""
    bank, field, residual, out, _, done = _copies(rng)
    residual[:30] = 0.0  # these copies' steps land on whole pixels
    bank[0, :, :, 1] = bank[0, :, :, 1] * 4.0 - 1.0  # a channel from -1 to 2.2
    out[..., 1] = np.clip(out[..., 1] * 4.0 - 1.0, 0.0, high)
    before = out.copy()
    _at_exact_sources(done, field, residual, (bank, out, high))
    np.testing.assert_array_equal(out[:30], before[:30])
    assert out.min() >= 0.0
    if np.isfinite(high):
        assert out.max() <= high
    else:
        assert out[done].max() > 1.5


@pytest.mark.parametrize("subpixel", [True, False])
def test_thin_lines_a_fraction_of_a_pixel_apart_stay_in_phase_across_a_large_hole(subpixel):
    """Dark lines 2 px wide every 9.5 px at 30 degrees (no lattice step is a whole number of
    pixels) under a hole as wide as the face: copied at their exact sources the lines in the
    hole lie where the truth's do; copied from the nearest whole pixels each was up to half a
    pixel off, jagged and doubled (hole RMSE 0.052 against 0.048). The tile is padded wide (a
    ring of 60 px beyond the face): where the padding is thin the known pixels lie mostly near
    the tile's own border, whose false edges put the measured step 0.01-0.15 px off the lines'
    period (``_offsets.edge_strength``), and the copies' error is the step's, not theirs."""
    pad = 60
    size = FACE + 2 * pad
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    normal = np.array([np.sin(np.radians(30)), np.cos(np.radians(30))])
    phase = (y * normal[0] + x * normal[1]) / 9.5
    line = np.clip(1.5 - np.abs(phase - np.round(phase)) * 9.5, 0.0, 1.0)
    clean = 0.7 - 0.45 * line
    noisy = clean + 0.01 * np.random.default_rng(0).standard_normal((size, size))
    image = np.repeat(noisy[..., None], 3, axis=-1).astype(np.float32)
    centre = (size - 1) / 2
    hole = np.hypot(y - centre, x - centre) <= 44
    blanked = image.copy()
    blanked[hole] = 0
    tiles = CubeTiles(blanked[None], hole[None], (DOWN,), FACE, pad)
    out = PatchMatch(subpixel_copies=subpixel).inpaint(tiles)[0]
    assert any("filled along the lattice first" in note for note in tiles.notes)
    error = float(np.sqrt(np.mean((out[hole][:, 0] - clean[hole]) ** 2)))
    if subpixel:
        assert error < 0.050
    else:
        assert error > 0.050

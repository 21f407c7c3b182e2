"""Thin hole parts are sampled without the kernel's margin (``pipeline.footprint``)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pano_inpaint import cap_mask, inpaint, nadir_mask
from pano_inpaint.config import PipelineConfig
from pano_inpaint.geometry.rotation import as_rotation
from pano_inpaint.masks import dilate_mask
from pano_inpaint.pipeline.cube import RegionCube
from pano_inpaint.pipeline.footprint import prefill_ring, sampling_hole, thick_part
from tests.synthetic import sphere_function_erp, wavy_rgb

H = 64


def _stroke(height: int, rows: tuple[int, int], cols: tuple[int, int]) -> np.ndarray:
    mask = np.zeros((height, 2 * height), bool)
    mask[rows[0] : rows[1], cols[0] : cols[1]] = True
    return mask


def test_thin_parts_are_not_grown_and_wide_ones_are():
    cap = cap_mask(H, 2 * H, 40, 10, 15)
    stroke = _stroke(H, (40, 43), (100, 2 * H)) | _stroke(H, (40, 43), (0, 10))  # wraps
    grown, thin = sampling_hole(cap | stroke, 1, 4)
    assert thin
    full = dilate_mask(cap | stroke, 1, footprint="square")
    np.testing.assert_array_equal(grown[:, 15:60], full[:, 15:60])  # the cap: grown as before
    np.testing.assert_array_equal(grown[38:46, 100:], stroke[38:46, 100:])  # the stroke: not
    np.testing.assert_array_equal(grown[38:46, :8], stroke[38:46, :8])  # across the wrap line
    # Only wide parts (a nadir cap is wide over the pole): exactly the grown hole, no prefill.
    wide = nadir_mask(H, 2 * H, 15) | cap
    grown, thin = sampling_hole(wide, 1, 4)
    assert not thin
    np.testing.assert_array_equal(grown, dilate_mask(wide, 1, footprint="square"))
    assert sampling_hole(stroke, 1, 0)[1] is False  # thin_depth 0: every part grown


@pytest.mark.parametrize("interpolation", ["bicubic", "lanczos"])
def test_known_tile_pixels_read_nothing_of_the_hole_beyond_the_prefilled_rings(interpolation):
    """Two panoramas that differ inside the hole give the same known tile pixels once their
    rings are prefilled: the rings depend on the known pixels alone."""
    rng = np.random.default_rng(0)
    mask = _stroke(H, (30, 33), (20, 90)) | cap_mask(H, 2 * H, 200, -20, 25)
    a = (rng.random((H, 2 * H, 3)) * 255).astype(np.uint8)
    b = a.copy()
    b[mask] = rng.integers(0, 256, (int(mask.sum()), 3))
    for rotation in (None, as_rotation((0.3, -0.7, 1.1))):
        cube = RegionCube(rotation, list(range(6)), 40, 6, interpolation)
        grown, thin = sampling_hole(mask, cube.reach, 4)
        assert thin
        for image in (a, b):
            prefill_ring(image, mask, cube.reach)
        hole = cube.hole_tiles(mask, cube.face_ids, grown=grown)
        differs = (cube.sample(a, cube.face_ids) != cube.sample(b, cube.face_ids)).any(axis=-1)
        assert differs.any()
        assert not (differs & ~hole).any()
        # Fewer unknown tile pixels than with the stroke grown by the kernel's reach.
        assert hole.sum() < cube.hole_tiles(mask, cube.face_ids).sum()


def test_prefill_ring_writes_the_mean_of_known_neighbours_ring_by_ring():
    erp = np.zeros((8, 16), np.float32)
    erp[:, :8] = 1.0
    mask = np.zeros((8, 16), bool)
    mask[2:6, 6:10] = True
    erp[mask] = 5.0  # what the hole held: never read
    prefill_ring(erp, mask, 1)
    assert erp[3, 6] == pytest.approx(1.0)  # known neighbours all 1
    assert erp[3, 9] == pytest.approx(0.0)
    assert erp[2, 7] == pytest.approx(2 / 3)  # 2 of its 3 known neighbours are 1
    assert erp[3, 8] == 5 and erp[4, 7] == 5  # deeper pixels untouched with reach 1
    prefill_ring(erp, mask, 2)
    assert erp[4, 7] == pytest.approx((3 + 2 / 3 + 1 / 3) / 5)  # the second ring from the first


def test_prefill_ring_reads_the_neighbours_over_the_pole():
    """A hole on the top row: its neighbours above are the top row's pixels half a turn away
    (fails with rows clamped at the pole, which counts the row's own pixels twice instead)."""
    erp = np.zeros((8, 16), np.float32)
    erp[1] = 10.0
    erp[0, 9:14] = 50.0  # over the pole from columns 1..5
    mask = np.zeros((8, 16), bool)
    mask[0, 2:5] = True
    prefill_ring(erp, mask, 1)
    assert erp[0, 3] == pytest.approx((3 * 10 + 3 * 50) / 6)  # no known neighbour on its row
    assert erp[0, 2] == pytest.approx((3 * 10 + 3 * 50 + 0) / 7)  # and the known (0, 1)
    south = np.flipud(erp).copy()  # the same at the bottom row
    south[-1, 2:5] = 0.0
    prefill_ring(south, np.flipud(mask), 1)
    np.testing.assert_allclose(south[-1], erp[0])


def test_prefill_ring_starts_from_known_pixels_over_the_pole():
    """A pole row's hole pixels whose only known neighbours are half a turn away are in the
    first ring (with the ring found on the flat band they were left as the hole held them)."""
    erp = np.zeros((8, 16), np.float32)
    erp[0, 8:] = 40.0
    mask = np.zeros((8, 16), bool)
    mask[:2, :8] = True  # the top two rows' first half: known across the pole only on row 0
    erp[mask] = 5.0  # what the hole held: never read
    prefill_ring(erp, mask, 1)
    assert erp[0, 4] == pytest.approx(40.0)  # its three neighbours over the pole
    assert erp[1, 4] == 0.0  # from the row below only (row 0 is written in the same ring)
    south, south_mask = np.flipud(erp).copy(), np.flipud(mask)
    south[south_mask] = 5.0
    prefill_ring(south, south_mask, 1)
    np.testing.assert_array_equal(south, np.flipud(erp))


def test_a_thin_stroke_is_filled_from_the_pixels_next_to_it():
    """A smooth fill of a 3-pixel stroke on a wavy field: with the stroke grown by the bicubic
    kernel's reach the fill spans about twice its width and misses the field's curvature
    there; sampled without that margin it is much closer to the truth."""
    erp = sphere_function_erp(128, wavy_rgb)
    mask = _stroke(128, (50, 53), (30, 150))
    damaged = erp.copy()
    damaged[mask] = 0.0  # what the fill must not see
    errors = []
    for thin_depth in (0.0, 8.0):
        config = PipelineConfig()
        config = dataclasses.replace(config, cube=dataclasses.replace(
            config.cube, interpolation="bicubic", thin_depth=thin_depth))
        out = inpaint(damaged, mask, generator="ns", config=config).image
        errors.append(float(np.sqrt(np.mean((out[mask] - erp[mask]) ** 2))))
    assert errors[1] < 0.7 * errors[0], errors
    # What the hole held is never read: the rings next to the stroke are the known pixels'.
    damaged[mask] = 1.0
    again = inpaint(damaged, mask, generator="ns", config=config).image
    np.testing.assert_array_equal(again, out)


def test_the_pipeline_scales_thin_depth_with_the_width(monkeypatch):
    """``cube.thin_depth`` is an angle given in pixels at 1024 wide: the pipeline asks for the
    thin parts at the panorama's own scale (fails with the config's 8 px passed at any
    width: a stroke 16 px wide at 2048 was grown as a wide hole)."""
    import pano_inpaint.pipeline.run as run

    seen = []

    def spy(hole, reach, thin_depth):
        seen.append(thin_depth)
        return sampling_hole(hole, reach, thin_depth)

    monkeypatch.setattr(run, "sampling_hole", spy)
    for height in (128, 256):
        erp = sphere_function_erp(height, wavy_rgb)
        inpaint(erp, _stroke(height, (40, 44), (30, 90)), generator="ns")
    assert seen == [pytest.approx(2.0), pytest.approx(4.0)]


@pytest.mark.parametrize("shift", [0, 5, 13, 64])
def test_thick_part_is_the_same_wherever_the_wrap_line_falls(shift):
    """A hole 16 px wide (depth 8: thin at ``thin_depth`` 8) straddling the wrap line, beside a
    wide cap: rolling the panorama rolls the thick part, nothing of the strip is thick. (With
    the band wrapped by only ``margin`` columns the distance transform took its ends for hole
    and marked the strip's columns 0-2 thick.)"""
    strip = np.zeros((H, 2 * H), bool)
    strip[20:40, 2 * H - 13 :] = True
    strip[20:40, :3] = True
    mask = strip | cap_mask(H, 2 * H, 90, 0, 25)
    rolled = np.roll(mask, shift, axis=1)
    thick = thick_part(rolled, 8)
    assert not (np.roll(thick, -shift, axis=1) & strip).any()
    np.testing.assert_array_equal(thick, np.roll(thick_part(mask, 8), shift, axis=1))
    assert thick.any()

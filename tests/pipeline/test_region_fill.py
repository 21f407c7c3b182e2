"""The pipeline's second reconciliation is skipped only for tiles a generator reconciled itself."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest

from pano_inpaint import cap_mask, inpaint
from pano_inpaint.config import load_config
from pano_inpaint.generators import CubeTiles
from pano_inpaint.generators.patchmatch import PatchMatch
from pano_inpaint.pipeline import region_fill
from tests.synthetic import sphere_function_erp, wavy_rgb

H = 64


class _Mean:
    """Fills every hole with the tile's known mean; optionally says it reconciled the tiles."""

    name: ClassVar[str] = "test-mean"

    def __init__(self, declares: bool) -> None:
        self.declares = declares

    def inpaint(self, tiles: CubeTiles) -> np.ndarray:
        out = np.array(tiles.values, np.float32)
        for i in range(len(out)):
            out[i][tiles.mask[i]] = out[i][~tiles.mask[i]].mean(axis=0)
        tiles.reconciled = self.declares
        return out


@pytest.fixture
def reconcile_calls(monkeypatch) -> list[tuple[int, ...]]:
    calls: list[tuple[int, ...]] = []
    real = region_fill.reconcile_tiles

    def counting(tiles, hole, face_ids, pad):
        calls.append(tuple(face_ids))
        return real(tiles, hole, face_ids, pad)

    monkeypatch.setattr(region_fill, "reconcile_tiles", counting)
    return calls


def _across_faces() -> tuple[np.ndarray, np.ndarray]:
    erp = sphere_function_erp(H, wavy_rgb, dtype=np.uint8)
    return erp, cap_mask(H, 2 * H, 20, -10, 55)  # a large hole on several faces


# No padded face holds that hole whole: filled on all its faces at once only when not cut
# into parts (``face_parts``, one face each, nothing to reconcile).
_JOINT = load_config(overrides=["cube.split_wide=false"])


@pytest.mark.parametrize("declares", [False, True])
def test_the_pipeline_reconciles_unless_the_generator_did(reconcile_calls, declares):
    erp, mask = _across_faces()
    result = inpaint(erp, mask, generator=_Mean(declares), config=_JOINT)
    assert len(result.regions[0].faces) > 1
    assert bool(reconcile_calls) is not declares
    assert np.array_equal(result.image[~mask], erp[~mask])


def test_patchmatch_says_when_it_reconciled_its_tiles(monkeypatch):
    seen: list[bool] = []
    real = region_fill._agree_on_overlaps

    def spy(filled, tiles, reconcile):
        seen.append(tiles.reconciled)
        return real(filled, tiles, reconcile)

    monkeypatch.setattr(region_fill, "_agree_on_overlaps", spy)
    erp, mask = _across_faces()
    inpaint(erp, mask, generator=PatchMatch(), config=_JOINT)
    raw = PatchMatch(structure_depth=0.0, detail_bands=0, detail_depth=0.0, layout_depth=0.0,
                     rim_depth=0.0, stitch=False)  # no finishing
    inpaint(erp, mask, generator=raw, config=_JOINT)
    inpaint(erp, mask, generator=PatchMatch(seam_aware=False), config=_JOINT)  # faces alone
    assert seen == [True, False, False]


def test_the_context_holds_every_face_sampled_and_the_holes_where_they_reach():
    """The six-face context: the batch's faces as they are, each other face sampled from the
    panorama as a value tile of its own, hole maps only where the hole reaches."""
    from pano_inpaint.pipeline.cube import RegionCube
    from pano_inpaint.values import ToneMap, to_values

    erp = sphere_function_erp(64, wavy_rgb, dtype=np.uint8)
    hole = cap_mask(64, 128, 0, -90, 20)  # the nadir: the down face only
    cube = RegionCube(None, [5], 32, 4, "bicubic")
    tone = ToneMap.for_image(erp, hdr=False)
    tiles = region_fill._region_tiles(erp, hole, cube, tone, lambda f: None)
    context = tiles.context()
    assert context.face_ids == tuple(range(6))
    np.testing.assert_array_equal(context.values[5], tiles.values[0])
    np.testing.assert_array_equal(context.mask[5], tiles.mask[0])
    for face in range(5):
        np.testing.assert_array_equal(context.values[face],
                                      to_values(cube.sample(erp, [face])[0]))
        assert not context.mask[face].any()


def test_the_tiles_and_their_context_know_the_panoramas_up():
    """A panorama whose value is each direction's height: in the tiles the pipeline hands the
    generator (and in their six-face context) each known pixel's direction, dotted with the
    tiles' ``up``, gives that height back, whatever rotation the region's cube has."""
    from pano_inpaint.geometry.conventions import FACE_CENTER, FACE_DOWN, FACE_RIGHT
    from tests.synthetic import erp_directions

    seen: list[CubeTiles] = []

    class _Heights(_Mean):
        def inpaint(self, tiles: CubeTiles) -> np.ndarray:
            seen.extend([tiles, tiles.context()])
            return super().inpaint(tiles)

    erp = np.repeat(0.5 + 0.5 * erp_directions(H, 2 * H)[..., 1:2], 3, axis=2)
    _, mask = _across_faces()
    # Joint: a part filled after others knows their fills, which are no heights.
    inpaint(erp.astype(np.float32), mask, generator=_Heights(False), config=_JOINT)
    assert seen
    for tiles in seen:
        assert tiles.up is not None
        size = tiles.face_size
        ab = 2 * (np.arange(size + 2 * tiles.pad) - tiles.pad + 0.5) / size - 1
        for k, face in enumerate(tiles.face_ids):
            d = (FACE_CENTER[face] + ab[None, :, None] * FACE_RIGHT[face]
                 + ab[:, None, None] * FACE_DOWN[face])
            height = d @ np.array(tiles.up) / np.linalg.norm(d, axis=-1)
            known = ~tiles.mask[k]
            assert np.abs(height[known] - (2 * tiles.values[k][known][:, 0] - 1)).max() < 0.05


def _band(height: int, lat: float, half_height: float, half_width: float = 180.0) -> np.ndarray:
    lats = 90 - (np.arange(height) + 0.5) / height * 180
    lons = -180 + (np.arange(2 * height) + 0.5) / height * 180
    return (np.abs(lats - lat) <= half_height)[:, None] & (np.abs(lons) <= half_width)[None, :]


def test_a_band_around_the_horizon_is_cut_into_one_part_per_face():
    """No padded face holds a 360-degree band: its parts are its pixels on each side face,
    each once, largest first; each part after the first takes back a seam of the earlier
    ones next to its face, fading from 1 at the face's edge to 0 beyond."""
    from pano_inpaint.config import PipelineConfig
    from pano_inpaint.pipeline.regions import find_regions

    hole = _band(64, -10, 6)
    (region,) = find_regions(hole)
    parts = region_fill.face_parts(region, hole, 24, 6, PipelineConfig(), PatchMatch())
    assert parts is not None
    assert sorted(p.cube.face_ids[0] for p in parts) == [0, 1, 2, 3]  # F R B L
    r0, r1 = region.rows
    covered = np.sum([p.write for p in parts], axis=0)
    np.testing.assert_array_equal(covered, hole[r0:r1])  # every pixel in exactly one part
    assert parts[0].seam_rows.size == 0  # nothing filled before the first
    for part in parts[1:]:
        assert part.seam_rows.size > 0
        assert (part.seam_weight > 0).all() and (part.seam_weight <= 1).all()
        assert not part.write[part.seam_rows - r0, part.seam_cols].any()  # earlier parts' pixels
    assert (parts[-1].seam_weight > 0.75).any()  # at the face's edge: this part's fill


def test_regions_a_face_holds_are_not_cut():
    """A hole in one padded face, and a tripod: its legs leave the down face's padded tile,
    but that face holds nearly all of it (tips only beyond); and nothing with the cut off."""
    from pano_inpaint.config import PipelineConfig, load_config
    from pano_inpaint.masks.families import make_mask
    from pano_inpaint.pipeline.regions import find_regions, fits_one_tile

    hole = cap_mask(64, 128, 30, -20, 25)
    (region,) = find_regions(hole)
    assert region_fill.face_parts(region, hole, 24, 3, PipelineConfig(), PatchMatch()) is None
    tripod = make_mask("tripod", 64, 128, "test", 0)
    (region,) = find_regions(tripod)
    assert not fits_one_tile(region, 64, 128, 48, 6, None)
    assert region_fill.face_parts(region, tripod, 48, 6, PipelineConfig(), PatchMatch()) is None
    band = _band(64, 0, 5)
    (region,) = find_regions(band)
    off = load_config(overrides=["cube.split_wide=false"])
    assert region_fill.face_parts(region, band, 24, 3, off, PatchMatch()) is None


def test_a_tilted_half_band_is_cut_on_a_cube_turned_about_the_vertical_only():
    """A half band above the horizon has its centroid above it: centred on it, the cube would
    be pitched and the band tilted on every face; its parts are cut on a cube turned about the
    vertical only (towards its longitude), so the side faces' edges stay meridians."""
    from pano_inpaint.config import PipelineConfig
    from pano_inpaint.pipeline.cube import RegionCube
    from pano_inpaint.pipeline.regions import find_regions

    hole = np.roll(_band(128, 5, 5, 100), 21, axis=1)  # centred on lon 30
    (region,) = find_regions(hole)
    planned = RegionCube.plan(region, hole.shape, 40, 5, PipelineConfig().cube, PatchMatch())
    assert abs(planned.up[1]) < 0.995  # centred on the centroid: pitched
    parts = region_fill.face_parts(region, hole, 40, 5, PipelineConfig(), PatchMatch())
    assert parts is not None
    for part in parts:
        np.testing.assert_allclose(part.cube.up, (0.0, 1.0, 0.0), atol=1e-9)
        assert part.cube.rotation is not None  # turned by 30 degrees


@pytest.mark.parametrize(("degrees", "wide"), [(50.0, True), (45.0, False), (30.0, False)])
def test_a_hole_covering_its_face_is_filled_on_tiles_padded_as_the_generator_asks(
        degrees, wide):
    """A nadir cap that covers nearly all of the down face (50 degrees: 0.95 of it) is filled
    on tiles padded by the generator's ``covered_face_pad_fraction`` of the face, where its
    tile knows more than a thin ring; a smaller cap (45: 0.79) keeps ``pad_fraction``'s. With
    ``cube.pad`` set, or a generator that names no such fraction, the pad is the usual one."""
    from pano_inpaint import nadir_mask
    from pano_inpaint.pipeline.cube import native_face_size

    pads: list[int] = []

    class _Wide(_Mean):
        pad_fraction: ClassVar[float] = 1 / 8
        covered_face_pad_fraction: ClassVar[float] = 1 / 4

        def inpaint(self, tiles: CubeTiles) -> np.ndarray:
            pads.append(tiles.pad)
            return super().inpaint(tiles)

    height = 128
    erp = sphere_function_erp(height, wavy_rgb, dtype=np.uint8)
    mask = nadir_mask(height, 2 * height, degrees)
    inpaint(erp, mask, generator=_Wide(False))
    inpaint(erp, mask, generator=_Wide(False), config=load_config(overrides=["cube.pad=5"]))
    plain = _Wide(False)
    plain.covered_face_pad_fraction = None
    inpaint(erp, mask, generator=plain)
    size = native_face_size(2 * height)
    assert pads == [size // 4 if wide else size // 8, 5, size // 8]

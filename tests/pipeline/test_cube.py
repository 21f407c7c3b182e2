"""The tiles a region is filled on: which of their pixels are unknown."""

from __future__ import annotations

import numpy as np
import pytest

from pano_inpaint import cap_mask, nadir_mask, zenith_mask
from pano_inpaint.geometry.rotation import as_rotation
from pano_inpaint.pipeline.cube import RegionCube, native_face_size
from tests.synthetic import erp_directions, gradient_energy

H = 64


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear", "bicubic", "lanczos"])
def test_no_known_tile_pixel_holds_any_of_the_hole(interpolation):
    """Two panoramas that differ only inside the hole give the same known tile pixels, for every
    kernel, on rotated cubes, with holes on a pole, across the wrap line and on cube edges."""
    rng = np.random.default_rng(0)
    mask = (nadir_mask(H, 2 * H, 12) | zenith_mask(H, 2 * H, 5) | cap_mask(H, 2 * H, 180, 0, 9)
            | cap_mask(H, 2 * H, 45, 35, 8))
    a = rng.random((H, 2 * H, 3)).astype(np.float32)
    b = a.copy()
    b[mask] = rng.random((int(mask.sum()), 3))
    for rotation in (None, as_rotation((0.3, -0.7, 1.1))):
        cube = RegionCube(rotation, list(range(6)), 40, 6, interpolation)
        hole = cube.hole_tiles(mask, cube.face_ids)
        differs = (cube.sample(a, cube.face_ids) != cube.sample(b, cube.face_ids)).any(axis=-1)
        assert differs.any()
        assert not (differs & ~hole).any()
        assert hole.mean() < 0.5  # and not everything is called unknown


@pytest.mark.parametrize("rotation", [None, (0.3, -0.7, 1.1)])
def test_prepare_builds_the_tile_and_hole_maps_from_one_set_of_directions(rotation, monkeypatch):
    from pano_inpaint.geometry import cubemap
    from pano_inpaint.geometry._cache import clear_map_cache

    rng = np.random.default_rng(1)
    erp = (rng.random((H, 2 * H, 3)) * 255).astype(np.uint8)
    mask = nadir_mask(H, 2 * H, 20) | cap_mask(H, 2 * H, 30, 10, 12)
    cube = RegionCube(as_rotation(rotation), [5, 0, 1], 40, 6, "bicubic")
    clear_map_cache()
    unprepared = cube.sample(erp, cube.face_ids), cube.hole_tiles(mask, cube.face_ids)
    clear_map_cache()
    calls = []
    lonlat = cubemap._strip_lonlat
    monkeypatch.setattr(cubemap, "_strip_lonlat",
                        lambda *a, **k: calls.append(a) or lonlat(*a, **k))
    try:
        cube.prepare(mask.shape, cube.face_ids)
        prepared = cube.sample(erp, cube.face_ids), cube.hole_tiles(mask, cube.face_ids)
    finally:
        clear_map_cache()
    strips = len(cubemap._strips(cube.tile_size, cube.tile_size))
    assert len(calls) == 3 * strips  # each face's directions once, for both interpolations
    assert np.array_equal(prepared[0], unprepared[0])
    assert np.array_equal(prepared[1], unprepared[1])
    cube.prepare(mask.shape, [])  # nothing to build


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic"])
def test_hole_tiles_are_the_pixels_weighing_on_the_grown_hole(interpolation):
    """Exactly the tile pixels whose bilinear sample of the hole, grown by the kernel's extra
    reach, has any weight: for holes away from the poles (only their rows are written) too."""
    from pano_inpaint.geometry import erp_to_cube
    from pano_inpaint.geometry._remap import margin_of
    from pano_inpaint.masks import dilate_mask

    mask = cap_mask(H, 2 * H, 45, 35, 8) | cap_mask(H, 2 * H, 200, -20, 6)
    cube = RegionCube(None, list(range(6)), 40, 6, interpolation)
    reach = margin_of(interpolation) - margin_of("bilinear")
    grown = dilate_mask(mask, reach, footprint="square").astype(np.float32)
    expected = erp_to_cube(grown, 40, pad=6, interpolation="bilinear") > 0
    hole = cube.hole_tiles(mask, cube.face_ids)
    assert hole.any()
    np.testing.assert_array_equal(hole, expected)


@pytest.mark.parametrize("rotation", [None, (0.3, -0.7, 1.1), (2.0, 0.4, -0.2)])
def test_up_is_the_panoramas_zenith_in_the_cube_frame(rotation):
    """A panorama whose value is each direction's height (its component towards the zenith),
    sampled on a rotated cube: each tile pixel's direction in the cube's frame, dotted with
    ``up``, gives that height back (the cube's rotation maps cube directions to the
    panorama's, so ``up`` is its row, not its column)."""
    from pano_inpaint.geometry.conventions import FACE_CENTER, FACE_DOWN, FACE_RIGHT

    erp = erp_directions(2 * H, 4 * H)[..., 1:2].astype(np.float32)
    cube = RegionCube(as_rotation(rotation), list(range(6)), 40, 6, "bilinear")
    tiles = cube.sample(erp, cube.face_ids)[..., 0]
    up = np.array(cube.up)
    assert np.linalg.norm(up) == pytest.approx(1.0)
    ab = 2 * (np.arange(cube.tile_size) - cube.pad + 0.5) / cube.face_size - 1
    for k, face in enumerate(cube.face_ids):
        d = (FACE_CENTER[face] + ab[None, :, None] * FACE_RIGHT[face]
             + ab[:, None, None] * FACE_DOWN[face])
        height = d @ up / np.linalg.norm(d, axis=-1)
        assert np.abs(height - tiles[k]).max() < 0.03


def test_the_fill_goes_back_with_the_generators_write_interpolation():
    """PatchMatch samples its tiles bicubic and writes the fill back with lanczos on ``auto``; a
    config that names a kernel uses it both ways; a generator naming none writes back as it
    samples; tiles padded too narrowly for lanczos fall back to the sampling kernel."""
    from pano_inpaint.config import CubeConfig
    from pano_inpaint.generators import get_generator
    from pano_inpaint.pipeline.cube import write_interpolation
    from pano_inpaint.pipeline.regions import find_regions

    patchmatch, telea = get_generator("patchmatch"), get_generator("telea")
    auto = CubeConfig()
    assert auto.interpolation == "auto"
    # Through the region's plan, as the pipeline asks (the choice must reach ``write_back``).
    (region,) = find_regions(nadir_mask(H, 2 * H, 20))
    for pad, wanted in ((16, "lanczos"), (3, "bicubic")):
        cube = RegionCube.plan(region, (H, 2 * H), 40, pad, auto, patchmatch)
        assert (cube.interpolation, cube.write_with) == ("bicubic", wanted)
    assert write_interpolation(auto, patchmatch, 16) == "lanczos"
    assert write_interpolation(auto, patchmatch, 3) == "bicubic"
    assert write_interpolation(CubeConfig(interpolation="bilinear"), patchmatch, 16) == "bilinear"
    assert write_interpolation(auto, telea, 16) == write_interpolation(auto, telea, 1)


def test_a_lanczos_write_back_keeps_more_of_the_tiles_detail():
    """The truth's own tiles (grain at the faces' scale, sampled bicubic) written back into a
    nadir cap: lanczos keeps at least 0.9 of the hole's gradient energy, bicubic visibly less
    (the reason PatchMatch writes back with lanczos)."""
    rng = np.random.default_rng(1)
    height = 128
    small = rng.random((height // 2, height, 3)).astype(np.float32)
    import cv2
    truth = cv2.resize(small, (2 * height, height), interpolation=cv2.INTER_CUBIC)
    mask = nadir_mask(height, 2 * height, 40)
    face_size = native_face_size(2 * height)
    kept = {}
    for back in ("bicubic", "lanczos"):
        cube = RegionCube(None, list(range(6)), face_size, 8, "bicubic", back)
        tiles = cube.sample(truth, cube.face_ids)
        out = truth.copy()
        out[mask] = 0
        cube.write_back(tiles, mask, out)
        kept[back] = gradient_energy(out, mask) / gradient_energy(truth, mask)
    assert kept["lanczos"] >= 0.9, kept
    assert kept["bicubic"] < kept["lanczos"] - 0.05, kept

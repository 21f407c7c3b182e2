"""Training cubes: shapes, determinism, exclusion, both kinds of source."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pano_inpaint.train.config import DataConfig
from pano_inpaint.train.data import CubeSampler, find_sources


def test_sources_split_and_exclude(data_dir: Path) -> None:
    sources = find_sources([data_dir], ("vrview_*",))
    assert sorted(s.path.name for s in sources) == ["pano.png", "photo.png"]
    assert [s.panorama for s in sorted(sources, key=lambda s: s.path.name)] == [True, False]
    with pytest.raises(FileNotFoundError):
        find_sources([data_dir / "missing"])


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_batches_are_deterministic_cubes_with_holes(data_dir: Path, share: float) -> None:
    sampler = CubeSampler(find_sources([data_dir], ("vrview_*",)),
                          DataConfig(panorama_share=share))
    a = sampler.batch(np.random.default_rng(3), 16, 2)
    b = sampler.batch(np.random.default_rng(3), 16, 2)
    assert a.image.shape == (12, 16, 16, 3) and a.image.dtype == np.float32
    assert a.mask.shape == (12, 16, 16) and a.mask.dtype == bool
    assert 0 <= a.image.min() and a.image.max() <= 1
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.mask, b.mask)
    assert a.families == b.families
    for cube in a.mask.reshape(2, 6, 16, 16):
        assert cube.any() and not cube.all()


def test_nadir_masks_land_on_the_down_face(data_dir: Path) -> None:
    config = DataConfig(families={"nadir": 1.0}, centre_hole=1.0)
    sampler = CubeSampler(find_sources([data_dir]), config)
    batch = sampler.batch(np.random.default_rng(0), 16, 3)
    share = batch.mask.reshape(3, 6, -1).mean(axis=2)
    assert (share.argmax(axis=1) == 5).all()


def test_unknown_family(data_dir: Path) -> None:
    with pytest.raises(ValueError, match="unknown mask families"):
        CubeSampler(find_sources([data_dir]), DataConfig(families={"blob": 1.0}))


def test_gathered_faces_equal_erp_to_cube(rng: np.random.Generator) -> None:
    """The vectorised gather is erp_to_cube's bilinear sampling (cv2's fixed-point weights
    differ by under one level in 255; the poles are clamped, not read across)."""
    from pano_inpaint.geometry.cubemap import erp_to_cube
    from pano_inpaint.train.data import random_rotation, sample_panorama
    from tests.synthetic import sphere_function_erp, wavy_rgb

    pano = sphere_function_erp(64, wavy_rgb, dtype=np.uint8)
    for _ in range(3):
        rotation = random_rotation(rng)
        gathered = sample_panorama(pano, rotation, 16)
        reference = erp_to_cube(pano, 16, rotation=rotation).astype(np.float32)
        assert gathered.shape == (6, 16, 16, 3) and gathered.dtype == np.float32
        assert np.abs(gathered - reference).max() <= 1.0


def test_photo_gather_is_the_mirrored_pseudo_panorama(data_dir: Path,
                                                      rng: np.random.Generator) -> None:
    """A photo cube equals the first sampler's pseudo-panorama (crop, flips, mirrored copy beside
    it), sampled without being built: here at the photo's own resolution."""
    from pano_inpaint.train.data import random_rotation, sample_panorama

    sampler = CubeSampler(find_sources([data_dir], ("vrview_*", "pano*")), DataConfig())
    photo = sampler.photos[0]
    side, y0, x0 = 100, 30, 50
    for flip_x, flip_y in ((False, False), (True, True)):
        sampler._photo_crop = lambda _rng, p=(photo, side, y0, x0, flip_x, flip_y): p
        rotation = random_rotation(rng)
        gathered = sampler._gather_photo(rng, 2 * side, rotation, 16)
        crop = photo.pixels[y0 : y0 + side, x0 : x0 + side]
        crop = crop[::-1] if flip_y else crop
        crop = crop[:, ::-1] if flip_x else crop
        tile = np.concatenate([crop, crop[:, ::-1]], axis=1)
        np.testing.assert_allclose(gathered, sample_panorama(tile, rotation, 16), atol=1e-3)


def test_gather_reads_the_pyramid_level_near_the_drawn_width(data_dir: Path) -> None:
    from pano_inpaint.train.data import _level_for, _pyramid

    levels = _pyramid(np.zeros((512, 1024, 3), np.uint8))
    assert [lv.shape[1] for lv in levels] == [1024, 512, 256, 128]
    assert _level_for(1024, 256, len(levels)) == 2  # 256 wide: within [256, 512)
    assert _level_for(1024, 300, len(levels)) == 1  # 512 wide: within [300, 600)
    assert _level_for(1024, 2000, len(levels)) == 0
    assert _level_for(1024, 10, len(levels)) == 3  # never past the smallest level

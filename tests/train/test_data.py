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

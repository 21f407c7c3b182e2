"""The structured test scenes: deterministic renders whose floors really are regular."""

from __future__ import annotations

import numpy as np
import pytest

from pano_inpaint.eval.scenes import SCENES, main, render_scene
from pano_inpaint.generators.patchmatch._offsets import find_lattice
from pano_inpaint.geometry import erp_to_cube
from pano_inpaint.masks import nadir_mask
from tests.conftest import files_under


@pytest.mark.parametrize("name", list(SCENES))
def test_scene_renders_deterministically(name):
    image = render_scene(name, 64, supersample=1)
    assert image.shape == (32, 64, 3) and image.dtype == np.uint8
    assert np.array_equal(image, render_scene(name, 64, supersample=1))
    assert image.std() > 5  # not a flat picture


def test_scenes_differ_and_seeds_change_them():
    renders = {name: render_scene(name, 64, supersample=1).tobytes() for name in SCENES}
    assert len(set(renders.values())) == len(SCENES)
    assert render_scene("hall_tiles", 64, supersample=1, seed=1).tobytes() != renders[
        "hall_tiles"]


def test_striped_floor_is_a_lattice_under_the_camera():
    image = render_scene("workshop_stripes", 512, supersample=2).astype(np.float32) / 255
    hole = erp_to_cube(nadir_mask(256, 512, 35).astype(np.uint8) * 255, 162, pad=20,
                       face_ids=[5])[0] > 0
    down = erp_to_cube(image, 162, pad=20, face_ids=[5])[0]
    assert find_lattice(down, ~hole) is not None


def test_bad_arguments():
    with pytest.raises(KeyError, match="unknown scene"):
        render_scene("moon", 64)
    with pytest.raises(ValueError, match="even"):
        render_scene("hall_tiles", 63)


def test_command_line_writes_pngs(tmp_path, capsys, written_whole):
    assert main([str(tmp_path), "--width", "64", "--scenes", "hall_tiles,yard_bricks"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hall_tiles.png", "yard_bricks.png"]
    assert files_under(tmp_path) <= written_whole
    assert main([str(tmp_path), "--scenes", "moon"]) == 2
    assert "unknown scene" in capsys.readouterr().err

"""The structured test scenes: deterministic renders whose floors really are regular."""

from __future__ import annotations

import numpy as np
import pytest

from pano_inpaint.eval.scenes import (
    HELD_OUT_SCENES,
    SCENES,
    _herringbone_boards,
    _Renderer,
    main,
    render_scene,
)
from pano_inpaint.generators.patchmatch._offsets import find_lattice
from pano_inpaint.geometry import erp_to_cube
from pano_inpaint.masks import nadir_mask
from tests.conftest import files_under


@pytest.mark.parametrize("name", list(SCENES) + list(HELD_OUT_SCENES))
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


def test_held_out_scenes_are_apart_from_the_default_set_and_differ(tmp_path):
    """The held-out floors render on request only: the evaluation's default set (what
    ``write_scenes`` writes without names) stays the five, so its tables stay comparable."""
    assert not set(HELD_OUT_SCENES) & set(SCENES)
    renders = {render_scene(name, 64, supersample=1).tobytes()
               for name in list(SCENES) + list(HELD_OUT_SCENES)}
    assert len(renders) == len(SCENES) + len(HELD_OUT_SCENES)
    assert main([str(tmp_path), "--width", "64", "--scenes", "square_cobbles"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["square_cobbles.png"]


def test_herringbone_boards_repeat_on_their_lattice_and_tile_the_floor():
    """Each board covers ``n`` unit cells in one line; the layout repeats by (1, 1) and (2n, 0)
    (boards onto boards, edges onto edges) but not by one cell along an axis."""
    n = 4
    y, x = np.mgrid[0:64, 0:64] + 0.5  # cell centres
    lying, ident, distance = _herringbone_boards(x.astype(np.float64), y.astype(np.float64), n)
    _, counts = np.unique(ident.reshape(-1, 2), axis=0, return_counts=True)
    inner = counts[counts == n].size
    assert inner > 0.8 * counts.size and counts.max() == n  # boards cut by the window aside
    assert np.allclose(distance, 0.5)  # every cell centre half a width from an edge
    fine_y, fine_x = np.mgrid[0:40, 0:40] / 5.0 + 0.1
    base = _herringbone_boards(fine_x, fine_y, n)
    for shift, repeats in (((1, 1), True), ((2 * n, 0), True), ((1, 0), False),
                           ((0, 1), False)):
        moved = _herringbone_boards(fine_x + shift[0], fine_y + shift[1], n)
        same = np.array_equal(moved[0], base[0]) and np.allclose(moved[2], base[2])
        assert same == repeats, shift


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


def test_street_kerb_has_three_grounds_along_a_straight_border():
    """Asphalt below ``b = 0`` (with its painted line 0.45 m out), the kerb's 18 cm, then the
    pavement's lighter slabs: each ground the same at every point along the border."""
    renderer = _Renderer(HELD_OUT_SCENES["street_kerb"], 0)
    a = np.linspace(-3.0, 3.0, 601)
    fine = np.full(a.shape, 1e-3)

    def grey(b: float) -> np.ndarray:
        return renderer._kerb(a, np.full(a.shape, b), fine).mean(axis=-1)

    road, paint, kerb, pavement = grey(-0.2), grey(-0.45), grey(0.09), grey(0.5)
    # The joints between kerb stones and slabs are dark, the paint worn in places: medians.
    assert road.max() < 0.4 and np.median(paint) > 0.8
    assert np.median(kerb) - road.max() > 0.1 and np.median(pavement) - np.median(kerb) > 0.05


def test_sports_court_paints_a_circle_and_a_line_on_maple():
    """The court's red circle (1.8 m about its centre) and blue line are painted over the maple
    boards wherever they run, and nowhere else."""
    renderer = _Renderer(HELD_OUT_SCENES["sports_court"], 2)
    ca, cb = renderer.court_centre
    angle = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    fine = np.full(angle.shape, 1e-3)
    on_circle = renderer._court(ca + 1.8 * np.cos(angle), cb + 1.8 * np.sin(angle), fine)
    off_circle = renderer._court(ca + 1.5 * np.cos(angle), cb + 1.5 * np.sin(angle), fine)
    away = np.abs(cb + 1.8 * np.sin(angle) - renderer.court_line) > 0.1  # not where they cross
    assert np.all(on_circle[away, 0] > 2 * on_circle[away, 2])  # red
    line = renderer._court(np.linspace(-5, 5, 200), np.full(200, renderer.court_line),
                           np.full(200, 1e-3))
    crossing = np.abs(np.hypot(np.linspace(-5, 5, 200) - ca, renderer.court_line - cb) - 1.8
                      ) < 0.1
    assert np.all(line[~crossing, 2] > line[~crossing, 0])  # blue
    plain = np.abs(cb + 1.5 * np.sin(angle) - renderer.court_line) > 0.1
    maple = off_circle[plain]
    assert np.all(maple[:, 0] > maple[:, 1]) and np.all(maple[:, 1] > maple[:, 2])  # wood

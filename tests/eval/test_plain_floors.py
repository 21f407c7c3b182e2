"""scripts/plain_floors.py: the plain-floor panoramas must exercise the fill's plain-floor gate the
way they were drawn to: a side light's ring around a hole at the nadir passes it (plain, its light
does not rise into the hole), a lamp over the nadir does not (plain too, but its light rises), and
the images are 2:1 and the same on every run."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pano_inpaint.generators.patchmatch.generator import (
    _PLAIN_RING,
    _RISING_RING,
    _ring_detail,
    _ring_rise,
)
from pano_inpaint.geometry.cubemap import erp_to_cube
from tests.scripts_helpers import load_script

WIDTH = 256  # the grain fades as at 1K's coarsest level, where the gate is taken
FACE = 48  # about the coarsest level's tile (51 px at 1K)
HOLE_RADIUS = 12.0  # px on the down face: a nadir cap

floors = load_script("plain_floors")


def _nadir_gate(image: np.ndarray) -> tuple[float, float]:
    """``(_ring_detail, _ring_rise)`` of uint8 panorama ``image`` ``(H, 2H, 3)`` around a round
    hole centred on the nadir, on the down face (display-referred, as the fill measures them)."""
    face = erp_to_cube(image.astype(np.float32) / 255, FACE, face_ids="D")  # (1, S, S, 3)
    y, x = np.mgrid[0:FACE, 0:FACE]
    hole = np.hypot(y - (FACE - 1) / 2, x - (FACE - 1) / 2) <= HOLE_RADIUS  # (S, S)
    return _ring_detail(face, hole[None]), _ring_rise(face, hole[None])


def _draw(name: str):
    spec = floors.FLOORS[name]
    return spec, floors.draw_floor(spec, np.random.default_rng([0, sum(map(ord, name))]))


SIDE = [n for n, s in floors.FLOORS.items() if s.light == "side"]
SPOTS = [n for n, s in floors.FLOORS.items() if s.light == "spots"]


@pytest.mark.parametrize("name", SIDE)
def test_a_side_lit_floor_passes_the_plain_gate(name: str) -> None:
    detail, rise = _nadir_gate(floors.render_floor(name, WIDTH))
    assert detail <= _PLAIN_RING  # 0.005-0.014 at 256 px
    assert abs(rise) < 0.8 * _RISING_RING  # -0.30 (sand_dune) to +0.24 (concrete_side)


@pytest.mark.parametrize("name", SPOTS)
def test_a_lamp_over_the_nadir_makes_the_ring_rise(name: str) -> None:
    """The same floor with its lamps replaced by one 2 m above the camera: still plain, so only
    the rise keeps its peel from the light-only stitch (which would darken the spot)."""
    spec, draw = _draw(name)
    lamp = dataclasses.replace(draw, lamps=np.array([[0.0, 0.0, 2.0]]))  # (1, 3): x, z, height
    detail, rise = _nadir_gate(floors.to_uint8(floors.shade_floor(spec, lamp, WIDTH)))
    assert detail <= _PLAIN_RING  # 0.013-0.016
    assert rise > _RISING_RING  # 0.98-1.0
    # The drawn lamps stand 0.5-3.5 m off the nadir: their rise there is lower.
    assert _nadir_gate(floors.render_floor(name, WIDTH))[1] < rise - 0.3


def test_images_are_2_to_1_and_deterministic() -> None:
    first = floors.render_floor("painted_spot", 64)
    assert first.shape == (32, 64, 3) and first.dtype == np.uint8
    assert np.array_equal(first, floors.render_floor("painted_spot", 64))
    assert not np.array_equal(first, floors.render_floor("painted_spot", 64, seed=1))
    assert not np.array_equal(first, floors.render_floor("epoxy_hall", 64))


def test_cli_writes_the_named_floors_and_rejects_unknown_ones(tmp_path, capsys) -> None:
    assert floors.main([str(tmp_path), "--width", "64", "--names", "snow_sun,clay_court"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clay_court_64px.png",
                                                          "snow_sun_64px.png"]
    assert floors.main([str(tmp_path / "x"), "--names", "marble"]) == 2
    assert "unknown floor 'marble'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="even"):
        floors.render_floor("snow_sun", 63)

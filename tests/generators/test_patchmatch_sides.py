"""A kerb between a paving and a road: the ring's valley along the kerb is sharper than the
paving's grid, which covers one side only, and the whole hole was copied along the kerb, the
paving's grid smeared into stripes. With ``side_lattices`` the paving side is filled along its
own lattice first, from beyond the kerb's stones (``_sides``)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from pano_inpaint.eval.scenes import render_scene
from pano_inpaint.generators import CubeTiles
from pano_inpaint.generators.patchmatch import PatchMatch, _sides
from pano_inpaint.generators.patchmatch._lines import lines_and_edges
from pano_inpaint.geometry.cubemap import erp_to_cube

DOWN = 5
FACE = 328  # the pipeline's face at 1024 px
PAD = FACE // 8
KERB = np.array([0.447, 0.894])  # the kerb's direction (dy, dx) on the down face, scene seed 1


def _kerb_tile(radius: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The street kerb's down face (scene seed 1) under a hole of ``radius`` of the face round
    its centre (0.5: a 45-degree nadir cap): the tile, the hole and each pixel's place across
    the kerb (px; the paving below -128, the kerb's stones -124 to -112, the gutter from
    -108)."""
    erp = render_scene("street_kerb", 1024, seed=1).astype(np.float32) / 255
    tile = np.clip(erp_to_cube(erp, FACE, pad=PAD, interpolation="bicubic",
                               face_ids=[DOWN])[0], 0, 1).astype(np.float32)
    size = tile.shape[0]
    y, x = np.mgrid[0:size, 0:size]
    hole = np.hypot(y - size / 2, x - size / 2) <= radius * FACE
    across = y * -KERB[1] + x * KERB[0]
    return tile, hole, across


@pytest.mark.parametrize("on", [True, False])
def test_a_paving_beside_a_kerb_keeps_its_grid_across_the_hole(on):
    """The paving's part of the hole (beyond the kerb's stones): its fine detail (the grid's
    joints) correlates 0.34 with the truth's with, 0.25 copied along the kerb; its joints keep
    0.63 of their darkness below their surroundings, 0.54 without."""
    tile, hole, across = _kerb_tile()
    grey = tile.mean(axis=-1)
    paving = hole & (across < -135)
    local = ndimage.median_filter(grey, 15)
    joints = paving & (grey < local - 0.06)
    assert joints.sum() > 1000
    blanked = tile.copy()
    blanked[hole] = 0
    tiles = CubeTiles(blanked[None], hole[None], (DOWN,), FACE, PAD)
    out = PatchMatch(side_lattices=on).inpaint(tiles)[0].mean(axis=-1)
    assert ("beside a boundary" in " ".join(tiles.notes)) == on

    def detail(image: np.ndarray) -> np.ndarray:
        return (image - ndimage.gaussian_filter(image, 4))[paving]

    correlation = float(np.corrcoef(detail(out), detail(grey))[0, 1])
    kept = float((local[joints] - out[joints]).mean() / (local[joints] - grey[joints]).mean())
    assert (correlation >= 0.3) == on, correlation
    assert (kept >= 0.6) == on, kept


def test_the_paving_s_side_starts_beyond_the_kerb_s_stones():
    """Under a 35-degree cap the boundary's band (half width 10 px) leaves part of the kerb's
    stones beside it (a band of another tone along the boundary): the side's region starts
    beyond them (10 px further out), and the valley's copies along the kerb fill them; the
    paving's lattice would cover them with its tiles (the 35-degree cap at scene seed 1
    through the pipeline: the stones gone, 23.41 dB against 23.68 with them left). The road's
    side has no lattice of two directions."""
    tile, hole, across = _kerb_tile(0.35)
    blanked = tile.copy()
    blanked[hole] = 0
    lines = lines_and_edges(blanked, hole, FACE)[0]
    sides = _sides.side_lattices(blanked, hole, 20 * KERB, lines, 0.3)
    assert len(sides) == 1
    region = sides[0].region
    stones = hole & (across > -122) & (across < -114)
    paving = hole & (across < -140)
    assert stones.sum() > 1000
    assert not (region & stones).any()
    assert (region & paving).sum() >= 0.99 * paving.sum()


@pytest.mark.parametrize("band", [True, False])
def test_a_band_of_another_tone_along_the_boundary_is_left_out(band):
    """Synthetic: a side textured by random noise whose first 15 px from the boundary are
    darker by 0.1 (or not): its texture starts 15 px out (or at once)."""
    rng = np.random.default_rng(0)
    size = 120
    grey = 0.6 + 0.03 * rng.standard_normal((size, size))
    away = np.broadcast_to(np.arange(size, dtype=np.float64), (size, size))
    if band:
        grey[:, :15] -= 0.1
    start = _sides._border_band(grey, np.ones((size, size), bool), away)
    assert start == (15.0 if band else 0.0)

"""A lattice step that lies on a valley of the ``msd`` (stripes: every shift along them matches
alike) is placed across the valley by the quadric through the nine ``msd`` around it, not by a
parabola along each axis (``_offsets._refine``, ``_offsets._across_valley``).

The stripes' tile is the size of the pipeline's at 1024 px (a 328 px face padded by 41) under a
45-degree nadir cap, so the ring holds the share of known pixels the lattice step sees there."""

from __future__ import annotations

import numpy as np
import pytest

from pano_inpaint.generators.patchmatch import _offsets

SIZE = 410
HOLE_RADIUS = 176
NORMAL = np.array([np.sin(np.radians(30)), np.cos(np.radians(30))])  # (y, x)


def _stripes(period: float) -> tuple[np.ndarray, np.ndarray]:
    """Dark lines (2 px, and a 1 px ramp either side) every ``period`` px across ``NORMAL`` on
    a grey floor with a little noise, ``(SIZE, SIZE, 3)``, and the known ring round a round
    hole."""
    y, x = np.mgrid[:SIZE, :SIZE].astype(np.float64)
    phase = (y * NORMAL[0] + x * NORMAL[1]) / period
    distance = np.abs(phase - np.round(phase)) * period
    line = np.clip(2.0 - distance, 0.0, 1.0)
    noise = 0.01 * np.random.default_rng(0).standard_normal((SIZE, SIZE))
    image = np.repeat((0.7 - 0.45 * line + noise)[..., None], 3, axis=2).astype(np.float32)
    known = np.hypot(y - SIZE / 2, x - SIZE / 2) >= HOLE_RADIUS
    return image, known


@pytest.mark.parametrize("period", [9.3, 10.0])
@pytest.mark.parametrize("start", [(1, 11), (3, 10), (6, 8), (8, 7), (-2, 13), (10, 6)])
def test_a_step_on_stripes_lands_on_their_period_across_them(period, start):
    """Started from a whole shift about one period across the stripes, the refined step's
    component across them is the period to 0.05 px (the parabolas along each axis: 0.13-0.17
    px off from some of these starts)."""
    image, known = _stripes(period)
    offset = np.rint(np.array(start, np.float64) * period / 10.0).astype(np.int64)
    step = _offsets.refine_shift(image, known, offset)
    assert abs(step @ NORMAL - period) <= 0.05


def _quadric(hessian: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """``(3, 3)`` values of ``(e - floor)^T hessian (e - floor)`` at the shifts ``e`` one
    pixel round the centre."""
    ey, ex = np.mgrid[-1:2, -1:2].astype(np.float64)
    dy, dx = ey - floor[0], ex - floor[1]
    return hessian[0, 0] * dy * dy + 2 * hessian[0, 1] * dy * dx + hessian[1, 1] * dx * dx


def test_a_valley_s_floor_is_found_across_it():
    """An msd that curves across ``NORMAL`` only, bottoming out 0.3 px across from the centre:
    the normal and that distance come back (each axis' parabola alone lands on the valley,
    the two together 0.25 px beyond it)."""
    hessian = np.outer(NORMAL, NORMAL)
    valley = _offsets._across_valley(_quadric(hessian, 0.3 * NORMAL))
    assert valley is not None
    normal, across = valley
    assert abs(abs(normal @ NORMAL) - 1.0) < 1e-9
    assert (across * normal) @ NORMAL == pytest.approx(0.3, abs=1e-9)


def test_a_bowl_is_no_valley():
    """Curving alike every way (a lattice point of tiles), or along one way a third as much
    as along the other, is no valley: the parabolas place it."""
    assert _offsets._across_valley(_quadric(np.eye(2), np.array([0.2, -0.1]))) is None
    stretched = np.diag([1.0, 1 / 3])
    assert _offsets._across_valley(_quadric(stretched, np.array([0.2, -0.1]))) is None


@pytest.mark.parametrize("slide", [0.3, -0.4, 1.3])
def test_long_steps_on_a_valley_move_a_step_across_it_only(slide):
    """A step measured over its multiples (``_offsets._long_step``) takes from them only what
    they place: on stripes, where the step lies, across them; along them every multiple
    matches alike, and its walk slid the step by 0.13-0.87 px from these starts (a grid's
    steps turned so: the workshop ceiling's by 0.2 px each under a 45-degree zenith cap)."""
    period = 10.0
    image, known = _stripes(period)
    along = np.array([-NORMAL[1], NORMAL[0]])
    shift = (period + 0.08) * NORMAL + slide * along
    step = _offsets._long_step(_offsets.edge_strength(image, known), shift)
    assert abs(step @ NORMAL - period) <= 0.03
    assert abs(step @ along - slide) <= 0.01

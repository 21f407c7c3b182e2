"""Synthetic rigs: every kind renders, composites leave the rest of the image alone, the true mask
is exactly what changed."""

import numpy as np
import pytest

from pano_inpaint.masks.rigs import (
    Box,
    Cylinder,
    ErpGrid,
    Lighting,
    RigScene,
    Sphere,
    composite,
    list_rig_kinds,
    make_rig,
    random_scene,
    render_layer,
    true_mask,
)
from pano_inpaint.masks.rigs.build import Rig
from tests.synthetic import erp_directions, ground_rgb, sphere_function_erp

H = 64


def _polar_degrees(height):
    return np.degrees(np.arccos(np.clip(-erp_directions(height, 2 * height)[..., 1], -1, 1)))


@pytest.mark.parametrize("kind", list_rig_kinds())
def test_every_kind_draws_something_at_the_nadir(kind):
    for seed in range(3):
        scene = random_scene(kind, np.random.default_rng(seed))
        layer = render_layer(scene, ErpGrid(H), (H, 2 * H))
        mask = true_mask(layer)
        assert mask.any(), f"{kind} seed {seed} drew nothing"
        assert (_polar_degrees(H)[mask] < 90).all()  # nothing above the horizon
        assert 0 <= layer.coverage.min() and layer.coverage.max() <= 1


def test_deterministic_per_seed():
    a = render_layer(random_scene("panohead", np.random.default_rng(3)), ErpGrid(H), (H, 2 * H))
    b = render_layer(random_scene("panohead", np.random.default_rng(3)), ErpGrid(H), (H, 2 * H))
    np.testing.assert_array_equal(a.coverage, b.coverage)
    np.testing.assert_array_equal(a.color, b.color)


def test_composite_changes_only_the_true_mask():
    ground = sphere_function_erp(H, ground_rgb)
    rng = np.random.default_rng(1)
    scene = random_scene("tripod", rng, artefacts=False)
    scene = RigScene(scene.rig, Lighting(sun=np.array([0.3, 0.8, 0.5]) / np.linalg.norm(
        [0.3, 0.8, 0.5]), shadow=0.6), 1.0)
    layer = render_layer(scene, ErpGrid(H), (H, 2 * H), rng=rng)
    image = composite(ground, layer)
    mask = true_mask(layer)
    changed = np.abs(image - ground).max(axis=-1)
    touched = (layer.coverage > 0) | (layer.shadow > 0)
    assert (changed[~touched] == 0).all()
    assert mask.sum() > 0 and (changed[mask] > 0).mean() > 0.95
    assert (layer.shadow > 0).any()  # the sun casts the rig's shadow on the ground


def test_shadow_falls_away_from_the_sun():
    # A pole standing 1 m in front of the camera, the sun low behind the camera.
    pole = Cylinder(np.array([0.0, -1.6, 1.0]), np.array([0.0, -0.6, 1.0]), 0.05)
    sun = np.array([0.0, 0.5, -1.0]) / np.linalg.norm([0.0, 0.5, -1.0])
    scene = RigScene(Rig("test", (pole,), 1.6), Lighting(sun=sun, shadow=0.5))
    layer = render_layer(scene, ErpGrid(128), (128, 256))
    shaded = np.argwhere(layer.shadow > 0.25)
    assert shaded.size
    xyz = erp_directions(128, 256)[shaded[:, 0], shaded[:, 1]]
    assert (xyz[:, 2] > 0).all()  # in front of the camera, beyond the pole (away from the sun)


def test_parts_intersect_like_their_geometry():
    rays = np.array([[0.0, -1.0, 0.0], [0.0, 1.0, 0.0]])
    for part in (Sphere(np.array([0.0, -2.0, 0.0]), 0.5),
                 Box(np.array([0.0, -2.0, 0.0]), np.array([0.5, 0.5, 0.5])),
                 Cylinder(np.array([0.0, -1.5, 0.0]), np.array([0.0, -3.0, 0.0]), 0.5)):
        t, normal = part.intersect(rays)
        assert t[0] == pytest.approx(1.5) and np.isinf(t[1])
        np.testing.assert_allclose(normal[0], [0.0, 1.0, 0.0], atol=1e-9)
        # The same ray from another origin (a shadow ray): half a metre lower.
        t, _ = part.intersect(rays[0], np.array([[0.0, -0.5, 0.0]]))
        assert t[0] == pytest.approx(1.0)


def test_unknown_kind():
    with pytest.raises(KeyError, match="tripod"):
        make_rig("ladder", np.random.default_rng(0))

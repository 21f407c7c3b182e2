"""A rig drawn over real ground, with the exact mask of what it changed.

A :class:`RigScene` is a rig, its light and two stitching artefacts: a *ghost* (the rig seen a
second time, turned by a degree or two and faint, where two lenses disagree) and a *seam cut*
(beyond a plane through the camera the rig is missing: the other lens saw the ground there).
:func:`render_layer` ray-casts it on any pixel grid (the panorama, the nadir view) into a
:class:`RigLayer` (coverage, colour, and the share of light its shadow takes from the ground);
:func:`composite` lays it over a background and :func:`true_mask` says which pixels it changed
enough to need filling: where the rig covers at least ``coverage_threshold`` of a pixel, or its
shadow takes at least ``shadow_threshold`` of the light.

The background is display-referred ``[0, 1]``; ``exposure`` scales the rig's light to the
scene's (a rig in a night scene is dark too).

Convention: see :mod:`pano_inpaint.geometry.conventions`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pano_inpaint.geometry.rotation import rotation_matrix
from pano_inpaint.geometry.sphere import erp_pixel_to_xyz
from pano_inpaint.masks.rigs.build import Rig, make_rig, transformed
from pano_inpaint.masks.rigs.render import Lighting, PixelGrid, RigRenderer

__all__ = [
    "COVERAGE_THRESHOLD",
    "SHADOW_THRESHOLD",
    "ErpGrid",
    "RigLayer",
    "RigScene",
    "composite",
    "random_lighting",
    "random_scene",
    "render_layer",
    "true_mask",
]

COVERAGE_THRESHOLD = 0.25  # a pixel a quarter covered by the rig is visibly changed
SHADOW_THRESHOLD = 0.2  # a shadow that takes a fifth of the light is visible


@dataclass(frozen=True)
class ErpGrid:
    """Pixels of an ``H x 2H`` equirectangular panorama as a :class:`PixelGrid`."""

    height: int

    @property
    def pixel_angle(self) -> float:
        return float(np.pi / self.height)

    def xyz(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return erp_pixel_to_xyz(x, y, self.height, 2 * self.height)


@dataclass(frozen=True)
class RigScene:
    """What is drawn: the rig, its light, its stitching artefacts, the exposure."""

    rig: Rig
    light: Lighting
    exposure: float = 1.0  # multiplies the rig's colour
    ghost: float = 0.0  # opacity of the ghost (0 = none)
    ghost_yaw_deg: float = 0.0  # how far the ghost is turned about the vertical
    cut_normal: np.ndarray | None = None  # rig directions d with d @ n < 0 are not seen


@dataclass
class RigLayer:
    """The rig on a grid: ``coverage`` ``(h, w)``, ``color`` ``(h, w, 3)``, ``shadow`` ``(h, w)``
    (share of the ground's light removed), float32."""

    coverage: np.ndarray
    color: np.ndarray
    shadow: np.ndarray


def random_lighting(rng: np.random.Generator) -> Lighting:
    """Sun from a random direction 15-80 degrees up; half of the time overcast (no shadow)."""
    elevation = np.radians(rng.uniform(15, 80))
    azimuth = rng.uniform(-np.pi, np.pi)
    sun = np.array([np.cos(elevation) * np.sin(azimuth), np.sin(elevation),
                    np.cos(elevation) * np.cos(azimuth)])
    sunny = rng.random() < 0.55
    return Lighting(
        sun=sun,
        ambient=rng.uniform(0.25, 0.5),
        sky=rng.uniform(0.3, 0.6),
        diffuse=rng.uniform(0.5, 1.0) if sunny else rng.uniform(0.05, 0.3),
        shadow=rng.uniform(0.3, 0.75) if sunny else 0.0,
        sun_radius=np.radians(rng.uniform(0.3, 3.0)),
    )


def random_scene(kind: str, rng: np.random.Generator, *, rig: Rig | None = None,
                 artefacts: bool = True) -> RigScene:
    """A random rig of ``kind`` (or the given ``rig``) under random light; with ``artefacts``,
    a ghost (15 %) or a seam cut (15 %)."""
    rig = rig or make_rig(kind, rng)
    light = random_lighting(rng)
    if "sun_azimuth_deg" in rig.notes:  # a low sun behind someone out of sight: their shadow
        elevation = np.radians(rng.uniform(18, 40))
        azimuth = np.radians(rig.notes["sun_azimuth_deg"] + rng.uniform(-20, 20))
        sun = np.array([np.cos(elevation) * np.sin(azimuth), np.sin(elevation),
                        np.cos(elevation) * np.cos(azimuth)])
        light = Lighting(sun=sun, ambient=light.ambient, sky=light.sky,
                         diffuse=rng.uniform(0.5, 1.0), shadow=rng.uniform(0.35, 0.75),
                         sun_radius=light.sun_radius)
    ghost, ghost_yaw, cut = 0.0, 0.0, None
    if artefacts:
        pick = rng.random()
        if pick < 0.15:
            ghost, ghost_yaw = rng.uniform(0.25, 0.6), rng.choice([-1, 1]) * rng.uniform(1, 5)
        elif pick < 0.3:
            a = rng.uniform(-np.pi, np.pi)
            cut = np.array([np.sin(a), rng.uniform(-0.3, 0.3), np.cos(a)])
            cut /= np.linalg.norm(cut)
    return RigScene(rig, light, rng.uniform(0.7, 1.3), ghost, ghost_yaw, cut)


def _coverage(scene: RigScene, parts, grid: PixelGrid, x: np.ndarray, y: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    renderer = RigRenderer(parts, scene.rig.camera_height, scene.light, grid.pixel_angle)
    coverage, rgb = renderer.render(grid, x, y)
    if scene.cut_normal is not None:
        coverage = coverage * (grid.xyz(x, y) @ scene.cut_normal >= 0)
    return coverage, rgb


def render_layer(scene: RigScene, grid: PixelGrid, shape: tuple[int, int], *, first_row: int = 0,
                 rng: np.random.Generator | None = None) -> RigLayer:
    """Render ``scene`` on rows ``first_row:`` of an ``(h, w)`` grid (rows above are empty).

    Example:
        >>> scene = random_scene("tripod", np.random.default_rng(1))
        >>> layer = render_layer(scene, ErpGrid(32), (32, 64))
        >>> bool(layer.coverage[-1].max() > 0.5), bool(layer.coverage[0].max() == 0)
        (True, True)
    """
    height, width = shape
    coverage = np.zeros(shape, np.float32)
    color = np.zeros((*shape, 3), np.float32)
    shadow = np.zeros(shape, np.float32)
    ys, xs = np.mgrid[first_row:height, 0:width]
    x, y = xs.ravel().astype(np.float64), ys.ravel().astype(np.float64)
    cov, rgb = _coverage(scene, scene.rig.parts, grid, x, y)
    if scene.ghost > 0:
        turn = rotation_matrix(np.radians(scene.ghost_yaw_deg))
        ghost_parts = [transformed(p, turn) for p in scene.rig.parts]
        g_cov, g_rgb = _coverage(scene, ghost_parts, grid, x, y)
        g_cov = g_cov * scene.ghost
        total = cov + g_cov * (1 - cov)
        rgb = (rgb * cov[:, None] + g_rgb * (g_cov * (1 - cov))[:, None]) / np.maximum(
            total, 1e-9)[:, None]
        cov = total
    renderer = RigRenderer(scene.rig.parts, scene.rig.camera_height, scene.light,
                           grid.pixel_angle)
    casters = (*scene.rig.parts, *scene.rig.shadow_only)
    shade = renderer.shadow(grid.xyz(x, y), casters, rng=rng) * scene.light.shadow
    rows = slice(first_row, height)
    coverage[rows] = cov.reshape(-1, width)
    color[rows] = (rgb * scene.exposure).reshape(-1, width, 3)
    shadow[rows] = (shade * (1 - cov)).reshape(-1, width)
    return RigLayer(coverage, np.clip(color, 0, 1), shadow)


def composite(background: np.ndarray, layer: RigLayer) -> np.ndarray:
    """``background`` ``(h, w, 3)`` float in ``[0, 1]`` darkened by the shadow, then covered by
    the rig: float32 ``(h, w, 3)``."""
    lit = background.astype(np.float32) * (1 - layer.shadow)[..., None]
    return lit + (layer.color - lit) * layer.coverage[..., None]


def true_mask(layer: RigLayer, *, coverage_threshold: float = COVERAGE_THRESHOLD,
              shadow_threshold: float = SHADOW_THRESHOLD) -> np.ndarray:
    """``(h, w)`` bool: the pixels the rig or its shadow visibly changed."""
    return (layer.coverage >= coverage_threshold) | (layer.shadow >= shadow_threshold)

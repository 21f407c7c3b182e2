"""Ray-cast a rig seen from the camera: anti-aliased coverage and colour, and its shadow.

A renderer works on any pixel grid whose pixels have directions (an equirectangular panorama, the
padded down face of a cube): :class:`PixelGrid` maps (sub-)pixel coordinates to directions and
says how wide a pixel is at most. Pixels whose centre ray hits a part shrunk by a pixel's reach are
inside it (shaded from the centre ray); pixels whose centre ray misses every part grown by as much
cannot be touched; only the pixels in between are supersampled (3 x 3 rays).

Shading is ambient sky light, a diffuse sun term and a highlight (Blinn-free mirror lobe). The
ground is the plane ``y = -camera_height``: it hides whatever sinks below it, and receives the
shadows of the parts (rays from each ground point towards jittered points of the sun's disc).

Convention: see :mod:`pano_inpaint.geometry.conventions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from pano_inpaint.masks.rigs.parts import Part

__all__ = ["Lighting", "PixelGrid", "RigRenderer", "shade"]

SUPERSAMPLE = 3  # edge pixels are anti-aliased with 3 x 3 rays


class PixelGrid(Protocol):
    """Pixels with directions: ``xyz(x, y)`` of (sub-)pixel coordinates (pixel centres at
    integers), unit vectors ``(..., 3)``; ``pixel_angle``: the largest angular size of a pixel
    (radians)."""

    pixel_angle: float

    def xyz(self, x: np.ndarray, y: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Lighting:
    """Light on the rig and its shadow on the ground.

    ``sun`` points towards the sun (unit). ``shadow`` is the share of the ground's light a full
    shadow removes (0: overcast, no shadow); ``sun_radius`` (radians) softens shadow edges.
    """

    sun: np.ndarray = field(default_factory=lambda: np.array([0.0, 1.0, 0.0]))
    ambient: float = 0.35
    sky: float = 0.45
    diffuse: float = 0.9
    shadow: float = 0.0
    sun_radius: float = 0.0


def shade(xyz: np.ndarray, normal: np.ndarray, color: np.ndarray, specular: np.ndarray,
          shininess: np.ndarray, light: Lighting) -> np.ndarray:
    """Colour ``(N, 3)`` of surface points seen along ``xyz`` ``(N, 3)`` with unit ``normal``,
    per-point ``color`` and ``specular`` ``(N, 3)`` and ``shininess`` ``(N,)``."""
    diffuse = np.clip(normal @ light.sun, 0.0, 1.0)
    sky = 0.5 + 0.5 * normal[:, 1]
    reflected = xyz - 2.0 * np.sum(xyz * normal, axis=1)[:, None] * normal
    highlight = np.clip(reflected @ light.sun, 0.0, 1.0) ** shininess
    level = light.ambient + light.sky * sky + light.diffuse * diffuse
    return color * level[:, None] + specular * highlight[:, None]


def _materials(parts: Sequence[Part]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    color = np.array([p.material.color for p in parts], dtype=np.float64).reshape(-1, 3)
    specular = np.array([p.material.specular for p in parts], dtype=np.float64).reshape(-1, 3)
    shininess = np.array([p.material.shininess for p in parts], dtype=np.float64)
    return color, specular, shininess


def _trace(parts: Sequence[Part], candidate: np.ndarray, rays: np.ndarray, camera_height: float,
           light: Lighting) -> tuple[np.ndarray, np.ndarray]:
    """Closest hit of camera ``rays`` ``(P, S, 3)``, testing part ``i`` on ``candidate[i]``.

    Returns:
        ``(hit, rgb)``: ``(P, S)`` bool (in front of the ground) and ``(P, S, 3)`` colour.
    """
    p, s = rays.shape[:2]
    t_best = np.full((p, s), np.inf)
    normal = np.zeros((p, s, 3))
    index = np.zeros((p, s), dtype=np.int64)
    for i, (part, chosen) in enumerate(zip(parts, candidate, strict=True)):
        sel = np.flatnonzero(chosen)
        if sel.size == 0:
            continue
        t, n = part.intersect(rays[sel].reshape(-1, 3))  # over (sel * S, 3) rays
        t = t.reshape(sel.size, s)
        closer = t < t_best[sel]
        t_best[sel] = np.where(closer, t, t_best[sel])
        normal[sel] = np.where(closer[..., None], n.reshape(sel.size, s, 3), normal[sel])
        index[sel] = np.where(closer, i, index[sel])
    # The ground (t = camera_height / -y along a ray) hides whatever sinks below it.
    hit = np.isfinite(t_best) & (t_best * -rays[..., 1] < camera_height)
    color, specular, shininess = _materials(parts)
    flat = index.ravel()
    rgb = shade(rays.reshape(-1, 3), normal.reshape(-1, 3), color[flat], specular[flat],
                shininess[flat], light)
    return hit, rgb.reshape(p, s, 3)


class RigRenderer:
    """Coverage and colour of ``parts`` on a :class:`PixelGrid`, and their shadow."""

    def __init__(self, parts: Sequence[Part], camera_height: float, light: Lighting,
                 pixel_angle: float) -> None:
        self.parts = list(parts)
        self.camera_height = camera_height
        self.light = light
        self.pix = pixel_angle
        # Every ray through a pixel is within ``pix`` of the pixel-centre ray, so it passes
        # within ``pix * distance`` of the centre ray. A centre ray that misses a part grown by
        # that much has no sub-pixel ray that hits it; one that hits the part shrunk by as much
        # has only sub-pixel rays that hit it (an interior pixel, shaded from its centre ray).
        margins = [1.05 * self.pix * part.reach() for part in self.parts]
        self.grown = [part.grown(m) for part, m in zip(self.parts, margins, strict=True)]
        self.shrunk = [
            part.grown(-m) if part.lowest() > -camera_height else None
            for part, m in zip(self.parts, margins, strict=True)
        ]

    def max_nadir_angle(self) -> float:
        """No pixel further than this from the nadir (radians) can show a part."""
        angles = [part.nadir_angle() for part in self.grown if part is not None]
        return max(angles, default=0.0)

    def render(self, grid: PixelGrid, x: np.ndarray, y: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        """Coverage ``(N,)`` in ``[0, 1]`` and colour ``(N, 3)`` of the pixels ``(x, y)``
        (each ``(N,)``, pixel-centre coordinates of ``grid``)."""
        centre = grid.xyz(x, y)  # (N, 3)
        count = centre.shape[0]
        candidate = np.zeros((len(self.parts), count), dtype=bool)
        interior = np.zeros(count, dtype=bool)
        for i, (big, small) in enumerate(zip(self.grown, self.shrunk, strict=True)):
            if big is None:
                continue
            near = np.flatnonzero(big.may_hit(centre))
            near = near[np.isfinite(big.intersect(centre[near])[0])]
            candidate[i, near] = True
            if small is not None:
                interior[near[np.isfinite(small.intersect(centre[near])[0])]] = True

        coverage = np.zeros(count)
        rgb = np.zeros((count, 3))
        inner = np.flatnonzero(interior)
        _, color = _trace(self.parts, candidate[:, inner], centre[inner, None],
                          self.camera_height, self.light)
        coverage[inner] = 1.0
        rgb[inner] = color[:, 0]

        edge = np.flatnonzero(candidate.any(axis=0) & ~interior)
        k = SUPERSAMPLE
        offsets = (np.arange(k) + 0.5) / k - 0.5
        dy, dx = np.meshgrid(offsets, offsets, indexing="ij")
        sub_rays = grid.xyz(x[edge, None] + dx.ravel(), y[edge, None] + dy.ravel())  # (E, k*k, 3)
        hit, color = _trace(self.parts, candidate[:, edge], sub_rays, self.camera_height,
                            self.light)
        hits = hit.sum(axis=1)
        coverage[edge] = hits / (k * k)
        rgb[edge] = (color * hit[..., None]).sum(axis=1) / np.maximum(hits, 1)[:, None]
        return coverage, rgb

    def shadow(self, xyz: np.ndarray, casters: Sequence[Part] | None = None,
               rng: np.random.Generator | None = None, samples: int = 4) -> np.ndarray:
        """Share ``(N,)`` of the sun's disc hidden by ``casters`` (default: the parts) from the
        ground points seen along ``xyz`` ``(N, 3)``; 0 for rays that miss the ground.

        With ``light.sun_radius > 0`` the sun is sampled at ``samples`` points of its disc
        (drawn from ``rng``), which softens the shadow's edges.
        """
        light = self.light
        out = np.zeros(xyz.shape[0])
        casters = self.parts if casters is None else list(casters)
        down = np.flatnonzero(xyz[:, 1] < -1e-6)
        if light.shadow <= 0 or light.sun[1] <= 0 or down.size == 0 or not casters:
            return out
        ground = xyz[down] * (self.camera_height / -xyz[down, 1])[:, None]  # (G, 3)
        suns = [light.sun]
        if light.sun_radius > 0 and samples > 1:
            rng = rng or np.random.default_rng(0)
            helper = np.array([1.0, 0.0, 0.0]) if abs(light.sun[0]) < 0.9 else np.eye(3)[1]
            t1 = np.cross(light.sun, helper)
            t1 /= np.linalg.norm(t1)
            t2 = np.cross(light.sun, t1)
            suns = []
            for _ in range(samples):
                r = light.sun_radius * np.sqrt(rng.random())
                a = rng.uniform(0, 2 * np.pi)
                sun = light.sun + np.tan(r) * (np.cos(a) * t1 + np.sin(a) * t2)
                suns.append(sun / np.linalg.norm(sun))
        bounds = [part.bounds() for part in casters]
        hidden = np.zeros(down.size)
        for sun in suns:
            # Ground points seen along the sun: a part can only shadow the points whose
            # projection on the plane across the sun falls within its bounding ball's.
            across = np.linalg.svd(sun[None])[2][1:]  # (2, 3) orthonormal, perpendicular to sun
            u, v = ground @ across[0], ground @ across[1]
            order = np.argsort(u)
            u_sorted = u[order]
            blocked = np.zeros(down.size, dtype=bool)
            for part, (centre, radius) in zip(casters, bounds, strict=True):
                cu, cv = centre @ across[0], centre @ across[1]
                lo, hi = np.searchsorted(u_sorted, [cu - radius, cu + radius])
                near = order[lo:hi]
                near = near[(np.abs(v[near] - cv) <= radius) & ~blocked[near]]
                if near.size == 0:
                    continue
                t, _ = part.intersect(sun, ground[near])
                blocked[near[np.isfinite(t)]] = True
            hidden += blocked
        out[down] = hidden / len(suns)
        return out

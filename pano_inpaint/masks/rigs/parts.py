"""Solid parts a camera rig is built from, and where rays meet them.

A part is a capped cylinder, a sphere or an oriented box with a :class:`Material`. Rays are
``origins + t * directions``; camera rays start at the origin (the camera), shadow rays on the
ground. Every part also offers cheap bounds (its reach, its lowest point, its largest angle from
the nadir, and a necessary condition for a camera ray to hit it) so renderers test only the rays
that can hit it, and ``grown`` copies that bound anti-aliasing (a ray that misses the part grown by
a pixel's reach misses it with every sub-pixel ray).

Convention: see :mod:`pano_inpaint.geometry.conventions` (x right, y up, z forward; the camera at
the origin).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Box", "Cylinder", "Material", "Part", "Sphere", "nadir_angle"]


@dataclass(frozen=True)
class Material:
    """Surface colour (linear-ish display values in ``[0, 1]``) and a specular highlight.

    ``specular`` is the highlight's colour (0 = matte); ``shininess`` its exponent.
    """

    color: np.ndarray = field(default_factory=lambda: np.array([0.1, 0.1, 0.1]))
    specular: np.ndarray = field(default_factory=lambda: np.array([0.2, 0.2, 0.2]))
    shininess: float = 24.0


def nadir_angle(point: np.ndarray, radius: float) -> float:
    """Largest angle (radians) between the nadir and a point of a ball around ``point``."""
    distance = float(np.linalg.norm(point))
    if distance <= radius:
        return np.pi
    return float(np.arccos(np.clip(-point[1] / distance, -1.0, 1.0)) + np.arcsin(radius / distance))


def _rays(origins: np.ndarray | None) -> np.ndarray:
    """Ray origins (``None``: the camera at the origin)."""
    return np.zeros(3) if origins is None else origins


@dataclass(frozen=True)
class Cylinder:
    """A solid capped cylinder from ``a`` to ``b``."""

    a: np.ndarray
    b: np.ndarray
    radius: float
    material: Material = field(default_factory=Material)

    def grown(self, margin: float) -> Cylinder | None:
        """Grown by ``margin`` in every direction (shrunk if negative); None if nothing is left."""
        length = float(np.linalg.norm(self.b - self.a))
        if self.radius + margin <= 0 or length + 2 * margin <= 0:
            return None
        u = (self.b - self.a) / length
        return Cylinder(self.a - margin * u, self.b + margin * u, self.radius + margin,
                        self.material)

    def reach(self) -> float:
        """Largest distance of a point of the part from the camera (bound)."""
        return max(np.linalg.norm(self.a), np.linalg.norm(self.b)) + self.radius

    def bounds(self) -> tuple[np.ndarray, float]:
        """A ball ``(centre, radius)`` holding the part."""
        return (self.a + self.b) / 2, float(np.linalg.norm(self.b - self.a)) / 2 + self.radius

    def lowest(self) -> float:
        return min(self.a[1], self.b[1]) - self.radius

    def nadir_angle(self) -> float:
        """Largest angle between the nadir and a point of the part (bound, radians)."""
        return max(nadir_angle(end, self.radius) for end in (self.a, self.b))

    def may_hit(self, xyz: np.ndarray) -> np.ndarray:
        """A cheap necessary condition for a camera ray to hit, as a bool per ray ``(N, 3)``.

        Every point of the solid lies within ``radius`` of the segment and at least ``near``
        from the camera, so its direction lies within ``radius / near`` of the plane through
        the camera and the segment (or, for a segment pointing at the camera, of its line).
        """
        ab = self.b - self.a
        along = np.clip(-(self.a @ ab) / (ab @ ab), 0.0, 1.0)
        near = float(np.linalg.norm(self.a + along * ab)) - self.radius
        if near <= self.radius:
            return np.ones(xyz.shape[0], dtype=bool)
        slack = self.radius / near
        normal = np.cross(self.a, self.b)
        if np.linalg.norm(normal) > 1e-9 * np.linalg.norm(ab):
            return np.abs(xyz @ (normal / np.linalg.norm(normal))) <= slack
        far_end = self.a if np.linalg.norm(self.a) > np.linalg.norm(self.b) else self.b
        return xyz @ (far_end / np.linalg.norm(far_end)) >= np.sqrt(1.0 - slack**2)

    def intersect(self, xyz: np.ndarray, origins: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
        """First hit distance (inf on a miss) and unit normal of rays ``origins + t xyz``.

        Args:
            xyz: ``(N, 3)`` unit directions, or ``(3,)`` for one direction shared by all rays.
            origins: ``(N, 3)`` ray origins; ``None`` = the camera.

        Returns:
            ``(N,)`` distances and ``(N, 3)`` normals.
        """
        length = float(np.linalg.norm(self.b - self.a))
        u = (self.b - self.a) / length
        w = _rays(origins) - self.a  # ray origins relative to a
        du = xyz @ u  # (N,)
        wu = w @ u  # the origins' positions along the axis, from a
        d_perp = xyz - np.multiply.outer(du, u)
        w_perp = w - np.multiply.outer(wu, u)
        qa = np.sum(d_perp * d_perp, axis=-1)
        qb = 2.0 * np.sum(d_perp * w_perp, axis=-1)
        qc = np.sum(w_perp * w_perp, axis=-1) - self.radius**2
        disc = qb * qb - 4.0 * qa * qc
        with np.errstate(divide="ignore", invalid="ignore"):
            t_side = (-qb - np.sqrt(np.maximum(disc, 0.0))) / (2.0 * qa)
            along = wu + t_side * du
            side = (disc >= 0) & (t_side > 0) & (along >= 0) & (along <= length)
            t = np.where(side, t_side, np.inf)
            t = np.broadcast_to(t, np.broadcast_shapes(np.shape(t), np.shape(w)[:-1]))
            hit_t = np.where(side, t_side, 0.0)[..., None]
            axis_point = self.a + np.where(side, along, 0.0)[..., None] * u  # (N, 3)
            normal = (_rays(origins) + hit_t * xyz - axis_point) / self.radius
            for centre, outward in ((self.a, -u), (self.b, u)):
                t_cap = ((centre - _rays(origins)) @ u) / du
                offset = (_rays(origins) + np.where(np.isfinite(t_cap), t_cap, 0.0)[..., None]
                          * xyz - centre)
                cap = (t_cap > 0) & (np.sum(offset * offset, axis=-1) <= self.radius**2)
                cap &= t_cap < t
                t = np.where(cap, t_cap, t)
                normal = np.where(cap[..., None], outward, normal)
        return t, normal


@dataclass(frozen=True)
class Sphere:
    """A solid ball."""

    center: np.ndarray
    radius: float
    material: Material = field(default_factory=Material)

    def grown(self, margin: float) -> Sphere | None:
        if self.radius + margin <= 0:
            return None
        return Sphere(self.center, self.radius + margin, self.material)

    def reach(self) -> float:
        return float(np.linalg.norm(self.center)) + self.radius

    def bounds(self) -> tuple[np.ndarray, float]:
        return self.center, self.radius

    def lowest(self) -> float:
        return self.center[1] - self.radius

    def nadir_angle(self) -> float:
        return nadir_angle(self.center, self.radius)

    def may_hit(self, xyz: np.ndarray) -> np.ndarray:
        distance = float(np.linalg.norm(self.center))
        if distance <= self.radius:
            return np.ones(xyz.shape[0], dtype=bool)
        return xyz @ (self.center / distance) >= np.sqrt(1.0 - (self.radius / distance) ** 2)

    def intersect(self, xyz: np.ndarray, origins: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`Cylinder.intersect`."""
        if origins is None:
            proj = xyz @ self.center
            disc = proj * proj - (self.center @ self.center - self.radius**2)
            t = proj - np.sqrt(np.maximum(disc, 0.0))
            start = np.zeros(3)
        else:
            oc = origins - self.center
            half_b = np.sum(xyz * oc, axis=-1)
            disc = half_b * half_b - (np.sum(oc * oc, axis=-1) - self.radius**2)
            t = -half_b - np.sqrt(np.maximum(disc, 0.0))
            start = origins
        t = np.where((disc >= 0) & (t > 0), t, np.inf)
        hit_t = np.where(np.isfinite(t), t, 0.0)
        normal = (start + hit_t[..., None] * xyz - self.center) / self.radius
        return t, normal


@dataclass(frozen=True)
class Box:
    """A solid box: ``center``, ``half`` extents along its local axes, the columns of ``axes``."""

    center: np.ndarray
    half: np.ndarray
    axes: np.ndarray = field(default_factory=lambda: np.eye(3))
    material: Material = field(default_factory=Material)

    def _radius(self) -> float:
        return float(np.linalg.norm(self.half))

    def grown(self, margin: float) -> Box | None:
        half = self.half + margin
        if (half <= 0).any():
            return None
        return Box(self.center, half, self.axes, self.material)

    def reach(self) -> float:
        return float(np.linalg.norm(self.center)) + self._radius()

    def bounds(self) -> tuple[np.ndarray, float]:
        return self.center, self._radius()

    def lowest(self) -> float:
        return float(self.center[1] - np.abs(self.axes[1]) @ self.half)

    def nadir_angle(self) -> float:
        return nadir_angle(self.center, self._radius())

    def may_hit(self, xyz: np.ndarray) -> np.ndarray:
        return Sphere(self.center, self._radius()).may_hit(xyz)

    def intersect(self, xyz: np.ndarray, origins: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`Cylinder.intersect` (slab test in the box's frame)."""
        d_local = xyz @ self.axes  # directions in box coordinates
        o_local = (_rays(origins) - self.center) @ self.axes
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / np.where(d_local == 0.0, 1e-300, d_local)
            t0 = (-self.half - o_local) * inv
            t1 = (self.half - o_local) * inv
        t_near = np.minimum(t0, t1)
        t_far = np.maximum(t0, t1).min(axis=-1)
        axis = t_near.argmax(axis=-1)
        t_in = np.take_along_axis(t_near, axis[..., None], axis=-1)[..., 0]
        t = np.where((t_in <= t_far) & (t_in > 0.0), t_in, np.inf)
        sign = -np.sign(np.take_along_axis(np.broadcast_to(d_local, t_near.shape),
                                           axis[..., None], axis=-1)[..., 0])
        normal = self.axes[:, axis].T * sign[..., None]
        return t, normal


Part = Cylinder | Sphere | Box

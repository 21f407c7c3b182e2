"""Pinhole (perspective) views from the centre of the sphere: what a 360 viewer shows.

Convention: see :mod:`pano_inpaint.geometry.conventions`. A view looks along
``R @ (0, 0, 1)`` with ``R = rotation_matrix(yaw, pitch)`` (no roll: the horizon stays level),
so ``yaw`` is the longitude and ``pitch`` the latitude of the view centre. Viewport pixel
coordinates are continuous: ``x`` grows to the right and ``y`` downwards from the viewport's
top-left corner, pixel ``(i, j)`` spans ``[i, i + 1] x [j, j + 1]`` (its centre is at ``+ 0.5``).
With the focal length ``f = (height / 2) / tan(fov / 2)`` (``fov`` is the vertical field of
view), the point ``(x, y)`` looks along ``R @ ((x - width / 2) / f, (height / 2 - y) / f, 1)``.
A square viewport with ``fov = 90`` degrees is exactly the front face of the cube rotated by
``R`` (``erp_to_cube(..., rotation=R)``), pixel for pixel.

The web viewer's shader implements :func:`view_pixel_to_xyz`; the painted mask uses
:func:`xyz_to_view_pixel`, so the hole is exactly what was painted on screen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pano_inpaint.geometry.rotation import rotation_matrix

__all__ = ["PerspectiveView", "view_pixel_to_xyz", "xyz_to_view_pixel"]


@dataclass(frozen=True)
class PerspectiveView:
    """An upright pinhole view.

    Attributes:
        yaw: longitude of the view centre, radians.
        pitch: latitude of the view centre, radians, in ``[-pi/2, pi/2]``.
        fov: vertical field of view, radians, in ``(0, pi)``.
        width, height: viewport size in pixels (may be fractional, e.g. CSS pixels).
    """

    yaw: float
    pitch: float
    fov: float
    width: float
    height: float

    def __post_init__(self) -> None:
        values = (self.yaw, self.pitch, self.fov, self.width, self.height)
        if not all(np.isfinite(v) for v in values):
            raise ValueError(f"view parameters must be finite, got {values}")
        if not 0 < self.fov < np.pi:
            raise ValueError(f"fov must be within (0, pi) radians, got {self.fov}")
        if abs(self.pitch) > np.pi / 2 + 1e-9:
            raise ValueError(f"pitch must be within [-pi/2, pi/2] radians, got {self.pitch}")
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"viewport must be positive, got {self.width}x{self.height}")

    @property
    def rotation(self) -> np.ndarray:
        """``(3, 3)`` camera-to-panorama rotation ``R``."""
        return rotation_matrix(self.yaw, self.pitch)

    @property
    def focal(self) -> float:
        """Focal length in pixels."""
        return self.height / 2 / np.tan(self.fov / 2)


def view_pixel_to_xyz(x: np.ndarray, y: np.ndarray, view: PerspectiveView) -> np.ndarray:
    """Viewport points -> unit directions on the sphere.

    Args:
        x, y: ``(...)`` continuous viewport coordinates (pixel centres at ``i + 0.5``).
        view: the view.

    Returns:
        ``(..., 3)`` float64 unit vectors.

    Convention: see :mod:`pano_inpaint.geometry.perspective`.

    Example:
        >>> v = PerspectiveView(0.0, -np.pi / 2, np.pi / 2, 100, 100)
        >>> view_pixel_to_xyz(50.0, 50.0, v).round(6).tolist()  # the centre looks straight down
        [0.0, -1.0, 0.0]
    """
    x, y = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(y, np.float64))
    f = view.focal
    camera = np.stack(
        [(x - view.width / 2) / f, (view.height / 2 - y) / f, np.ones_like(x)], axis=-1
    )  # (..., 3)
    camera /= np.linalg.norm(camera, axis=-1, keepdims=True)
    return camera @ view.rotation.T


def xyz_to_view_pixel(
    xyz: np.ndarray, view: PerspectiveView
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Directions -> viewport points; inverse of :func:`view_pixel_to_xyz`.

    Args:
        xyz: ``(..., 3)`` directions (need not be unit length).
        view: the view.

    Returns:
        ``(x, y, in_front)``, each ``(...)``: viewport coordinates (NaN behind the camera) and
        whether the direction is in front of the camera (a point of the image plane).

    Convention: see :mod:`pano_inpaint.geometry.perspective`.

    Example:
        >>> v = PerspectiveView(0.0, 0.0, np.pi / 2, 200, 100)
        >>> x, y, front = xyz_to_view_pixel(np.array([0.0, 0.0, 1.0]), v)
        >>> float(x), float(y), bool(front)
        (100.0, 50.0, True)
    """
    camera = np.asarray(xyz, np.float64) @ view.rotation  # (..., 3): R^T @ xyz per vector
    depth = camera[..., 2]
    in_front = depth > 0
    f = view.focal
    with np.errstate(divide="ignore", invalid="ignore"):
        safe = np.where(in_front, depth, np.nan)
        x = view.width / 2 + f * camera[..., 0] / safe
        y = view.height / 2 - f * camera[..., 1] / safe
    return x, y, in_front

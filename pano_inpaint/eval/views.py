"""Undistorted views of a hole: the cube centred on it (for metrics) and perspective crops (report).

Metrics that look at texture or sharpness must not be measured on the equirectangular image,
whose rows are stretched by ``1 / cos(lat)`` (a nadir cap is a smeared band there). They are
measured on gnomonic cube faces of a cube whose front face is centred on the hole, at the
panorama's native resolution (``S = W / 4``); every hole pixel falls on one of the faces, however
large or spread out the hole is.

Convention: see :mod:`pano_inpaint.geometry.conventions`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pano_inpaint.geometry.cubemap import erp_to_cube
from pano_inpaint.geometry.rotation import rotation_matrix
from pano_inpaint.geometry.sphere import erp_pixel_to_lonlat, lonlat_to_xyz, xyz_to_lonlat

__all__ = ["HoleView", "hole_centre", "hole_radius_degrees", "perspective_view"]

_MAX_FACE = 512


def _pixel_directions(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit directions ``(n, 3)`` of the hole pixels and their solid-angle weights ``(n,)``."""
    height, width = mask.shape
    ys, xs = np.nonzero(mask)
    lon, lat = erp_pixel_to_lonlat(xs, ys, height, width)
    return lonlat_to_xyz(lon, lat), np.cos(lat)


def hole_centre(mask: np.ndarray) -> np.ndarray:
    """Area-weighted mean direction of the hole, ``(3,)`` unit vector (front if undefined).

    Example:
        >>> from pano_inpaint.masks import nadir_mask
        >>> (hole_centre(nadir_mask(32, 64, 20)).round(3) + 0.0).tolist()
        [0.0, -1.0, 0.0]
    """
    if not mask.any():
        return np.array([0.0, 0.0, 1.0])
    xyz, weights = _pixel_directions(mask)
    mean = weights @ xyz
    norm = np.linalg.norm(mean)
    return mean / norm if norm > 1e-6 else np.array([0.0, 0.0, 1.0])


def hole_radius_degrees(mask: np.ndarray, centre: np.ndarray, quantile: float = 0.98) -> float:
    """Angular distance from ``centre`` within which ``quantile`` of the hole pixels lie."""
    if not mask.any():
        return 0.0
    xyz, _ = _pixel_directions(mask)
    angles = np.degrees(np.arccos(np.clip(xyz @ centre, -1.0, 1.0)))
    return float(np.quantile(angles, quantile))


def _facing(direction: np.ndarray) -> np.ndarray:
    """Upright rotation (no roll) whose front face looks along ``direction``."""
    lon, lat = xyz_to_lonlat(np.asarray(direction, dtype=np.float64))
    return rotation_matrix(float(lon), float(lat))


@dataclass(frozen=True)
class HoleView:
    """The faces of a hole-centred cube that see the hole, and where the hole is on them.

    Attributes:
        rotation: cube frame (front face centred on the hole).
        face_ids: the faces holding hole pixels.
        face_size: ``S``.
        hole: ``(k, S, S)`` bool, the hole on those faces.
        weights: ``(S, S)`` float32 solid angle of each face pixel relative to the face centre's.
    """

    rotation: np.ndarray
    face_ids: tuple[int, ...]
    face_size: int
    hole: np.ndarray
    weights: np.ndarray

    @classmethod
    def of(cls, mask: np.ndarray, face_size: int | None = None) -> HoleView:
        """The view of ``mask`` (``(H, W)`` bool); ``face_size`` defaults to ``min(W/4, 512)``."""
        height, width = mask.shape
        size = face_size or max(8, min(width // 4, _MAX_FACE))
        rotation = _facing(hole_centre(mask))
        holes = erp_to_cube(mask.astype(np.uint8), size, rotation=rotation,
                            interpolation="nearest") > 0
        face_ids = tuple(int(f) for f in np.flatnonzero(holes.any(axis=(1, 2))))
        a = 2 * (np.arange(size) + 0.5) / size - 1
        weights = (1 + a[None, :] ** 2 + a[:, None] ** 2) ** -1.5  # gnomonic solid angle
        return cls(rotation, face_ids, size, holes[list(face_ids)], weights.astype(np.float32))

    def sample(self, image: np.ndarray) -> np.ndarray:
        """``(k, S, S, C)`` float32 faces of ``image`` (``(H, W[, C])`` float values)."""
        faces = erp_to_cube(np.ascontiguousarray(image, dtype=np.float32), self.face_size,
                            rotation=self.rotation, face_ids=self.face_ids)
        return faces[..., None] if faces.ndim == 3 else faces


def perspective_view(
    image: np.ndarray, direction: np.ndarray, fov_degrees: float, size: int
) -> np.ndarray:
    """A ``size x size`` pinhole view of ``image`` looking along ``direction``, upright.

    Args:
        image: ``(H, W[, C])`` panorama (any supported dtype; kept).
        direction: ``(3,)`` view direction.
        fov_degrees: horizontal (and vertical) field of view, below 170.
        size: output side in pixels.

    Returns:
        ``(size, size[, C])`` view, same dtype as ``image``.

    Example:
        >>> perspective_view(np.zeros((32, 64, 3), np.uint8), np.array([0, 0, 1.0]), 100, 40).shape
        (40, 40, 3)
    """
    half = np.tan(np.radians(min(max(fov_degrees, 10.0), 170.0)) / 2)
    face_size = max(4, int(round(size / half)))
    pad = max(0, -(-(size - face_size) // 2))
    face = erp_to_cube(image, face_size, pad=pad, rotation=_facing(direction), face_ids=[0])[0]
    offset = (face.shape[0] - size) // 2
    return face[offset : offset + size, offset : offset + size]

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

__all__ = ["HoleView", "hole_centre", "hole_depth_degrees", "hole_radius_degrees",
           "perspective_view"]

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


def hole_depth_degrees(mask: np.ndarray, max_width: int = 512) -> np.ndarray:
    """``(H, W)`` float32: the angle on the sphere from each hole pixel to the nearest known
    pixel (0 outside the hole). Distances run across the wrap line and over the poles. Wider
    masks are measured on every ``W / max_width``-th pixel and the depths spread to their
    neighbours (to about that many pixels' accuracy).

    Example:
        >>> from pano_inpaint.masks import nadir_mask
        >>> depth = hole_depth_degrees(nadir_mask(90, 180, 30))
        >>> 28 < float(depth.max()) < 32
        True
    """
    from scipy.spatial import cKDTree

    height, width = mask.shape
    step = max(1, -(-width // max_width))
    if step > 1 and width % step == 0 and height % step == 0:
        coarse = hole_depth_degrees(mask[step // 2 :: step, step // 2 :: step], max_width)
        up = np.repeat(np.repeat(coarse, step, axis=0), step, axis=1)
        return np.where(mask, up, 0).astype(np.float32)
    depth = np.zeros(mask.shape, np.float32)
    if not mask.any() or mask.all():
        return depth
    # The known pixels that touch the hole (4-neighbours, columns wrapping) are the nearest
    # known pixels of every hole pixel.
    hole = mask.astype(bool)
    near = np.zeros_like(hole)
    near[1:] |= hole[:-1]
    near[:-1] |= hole[1:]
    near |= np.roll(hole, 1, axis=1) | np.roll(hole, -1, axis=1)
    ys, xs = np.nonzero(near & ~hole)
    if not ys.size:  # the hole reaches every row of a pole cap: use the known pixels
        ys, xs = np.nonzero(~hole)
    border = lonlat_to_xyz(*erp_pixel_to_lonlat(xs, ys, height, width))
    inside, _ = _pixel_directions(hole)
    chord, _ = cKDTree(border).query(inside)
    depth[hole] = np.degrees(2 * np.arcsin(np.clip(chord / 2, 0.0, 1.0)))
    return depth


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
        inner: ``(k, S, S)`` bool, the hole's inner half: the half of its solid angle that lies
            deepest (farthest from any known pixel, on the sphere). The middle of a large hole
            is where a fill fades to a blur first, so it is measured on its own.
    """

    rotation: np.ndarray
    face_ids: tuple[int, ...]
    face_size: int
    hole: np.ndarray
    weights: np.ndarray
    inner: np.ndarray

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
        holes = holes[list(face_ids)]
        depth = erp_to_cube(hole_depth_degrees(mask), size, rotation=rotation,
                            face_ids=face_ids, interpolation="nearest")
        inner = np.zeros_like(holes)
        if holes.any():
            solid = np.broadcast_to(weights, holes.shape)[holes]
            order = np.argsort(depth[holes])
            cumulative = np.cumsum(solid[order])
            median = depth[holes][order][np.searchsorted(cumulative, cumulative[-1] / 2)]
            inner = holes & (depth >= median)
        return cls(rotation, face_ids, size, holes, weights.astype(np.float32), inner)

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

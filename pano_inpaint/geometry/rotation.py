"""Sphere rotations: yaw/pitch/roll matrices, and the rotation that centres a hole on a cube face.

Convention: see :mod:`pano_inpaint.geometry.conventions` ("Rotation"). A rotation ``R`` maps
cube-frame directions to panorama directions; its inverse is ``R.T``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pano_inpaint.geometry.conventions import FACE_CENTER

__all__ = [
    "RotationLike",
    "as_rotation",
    "rotation_matrix",
    "rotation_to_angles",
    "rotation_to_center",
]

RotationLike = np.ndarray | Sequence[float] | None


def rotation_matrix(yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0) -> np.ndarray:
    """``R = Ry(yaw) @ Rx(pitch) @ Rz(roll)`` (radians).

    ``R @ (0, 0, 1)`` is the direction at ``lon = yaw``, ``lat = pitch``.

    Convention: see :mod:`pano_inpaint.geometry.conventions`.

    Example:
        >>> (rotation_matrix(np.pi / 2) @ [0, 0, 1]).round(6).tolist()
        [1.0, 0.0, 0.0]
    """
    cy, sy = np.cos(yaw), np.sin(yaw)
    cp, sp = np.cos(pitch), np.sin(pitch)
    cr, sr = np.cos(roll), np.sin(roll)
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, sp], [0, -sp, cp]])
    rz = np.array([[cr, sr, 0], [-sr, cr, 0], [0, 0, 1]])
    return ry @ rx @ rz


def rotation_to_angles(rotation: np.ndarray) -> tuple[float, float, float]:
    """``(yaw, pitch, roll)`` of a rotation matrix; inverse of ``rotation_matrix`` (away from
    ``pitch = +-pi/2``, where yaw and roll are one degree of freedom and roll is returned as 0).

    Example:
        >>> np.round(rotation_to_angles(rotation_matrix(0.3, -0.2, 0.1)), 6).tolist()
        [0.3, -0.2, 0.1]
    """
    r = np.asarray(rotation, dtype=np.float64)
    pitch = float(np.arcsin(np.clip(r[1, 2], -1.0, 1.0)))
    if abs(r[1, 2]) < 1 - 1e-12:
        yaw = float(np.arctan2(r[0, 2], r[2, 2]))
        roll = float(np.arctan2(-r[1, 0], r[1, 1]))
    else:
        yaw = float(np.arctan2(-r[2, 0], r[0, 0]))
        roll = 0.0
    return yaw, pitch, roll


def as_rotation(rotation: RotationLike) -> np.ndarray | None:
    """Normalise a rotation argument: ``None`` (identity), a 3x3 matrix, or ``(yaw, pitch, roll)``.

    Returns:
        A read-only float64 ``(3, 3)`` matrix, or ``None`` for the identity.

    Raises:
        ValueError: if the argument is neither shape, or the matrix is not a proper rotation.

    Example:
        >>> as_rotation((0.0, 0.0, 0.0)) is None
        True
    """
    if rotation is None:
        return None
    r = np.asarray(rotation, dtype=np.float64)
    if r.shape == (3,):
        r = rotation_matrix(*r)
    elif r.shape != (3, 3):
        raise ValueError(
            f"rotation must be a 3x3 matrix or (yaw, pitch, roll) in radians, got shape {r.shape}"
        )
    if not np.allclose(r @ r.T, np.eye(3), atol=1e-6) or np.linalg.det(r) < 0:
        raise ValueError("rotation matrix must be orthonormal with determinant +1")
    if np.allclose(r, np.eye(3), atol=1e-12):
        return None
    r = r.copy()
    r.setflags(write=False)
    return r


def rotation_to_center(direction: np.ndarray, face: int | None = None) -> tuple[np.ndarray, int]:
    """The smallest rotation that puts ``direction`` at the centre of a cube face.

    Args:
        direction: ``(3,)`` panorama direction (need not be unit length), e.g. a hole's centroid.
        face: the face to centre it on; by default the face the direction already falls on,
            which makes the rotation as small as possible.

    Returns:
        ``(R, face)`` with ``R @ FACE_CENTER[face]`` parallel to ``direction``.

    Raises:
        ValueError: for a zero or non-finite direction.

    Example:
        >>> r, f = rotation_to_center(np.array([0.0, -1.0, 0.0]))
        >>> f, np.allclose(r, np.eye(3))
        (5, True)
    """
    d = np.asarray(direction, dtype=np.float64).reshape(3)
    norm = np.linalg.norm(d)
    if not np.isfinite(norm) or norm == 0:
        raise ValueError(f"direction must be a finite non-zero 3-vector, got {d.tolist()}")
    d = d / norm
    if face is None:
        face = int(np.argmax(FACE_CENTER @ d))
    c = FACE_CENTER[face]
    axis = np.cross(c, d)
    sin_angle = np.linalg.norm(axis)
    cos_angle = float(np.dot(c, d))
    if sin_angle < 1e-12:
        if cos_angle > 0:
            return np.eye(3), face
        # Opposite direction: any half turn about an axis perpendicular to c.
        perp = np.cross(c, [1.0, 0.0, 0.0] if abs(c[0]) < 0.9 else [0.0, 1.0, 0.0])
        axis, sin_angle, cos_angle = perp / np.linalg.norm(perp), 0.0, -1.0
    else:
        axis = axis / sin_angle
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    # Rodrigues' formula
    r = np.eye(3) + sin_angle * k + (1 - cos_angle) * (k @ k)
    return r, face

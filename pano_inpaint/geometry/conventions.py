"""The one written convention for directions, equirectangular pixels and cube faces.

Axes
    ``x`` right, ``y`` up, ``z`` forward (the centre of the front face and of the equirectangular
    image). This is the camera-style frame py360convert uses; note that, with ``z`` pointing *into*
    the scene, it is left-handed. Unit vectors are ``xyz`` arrays of shape ``(..., 3)``.

Longitude / latitude (radians)
    ``lon = atan2(x, z)`` in ``[-pi, pi)``, zero at the image centre column and increasing to the
    right; ``lat = asin(y)`` in ``[-pi/2, pi/2]``, ``+pi/2`` (zenith) at the top row. So
    ``xyz = (cos(lat) sin(lon), sin(lat), cos(lat) cos(lon))``.

Equirectangular pixels
    An ``(H, W)`` image with ``W == 2 * H``. Pixel ``(x, y)`` (column, row) has its centre at
    ``lon = ((x + 0.5) / W - 0.5) * 2 pi`` and ``lat = (0.5 - (y + 0.5) / H) * pi``. Column
    ``-1`` is column ``W - 1`` (the wrap-around line sits between them), and the rows above the
    top row are the top rows again, rolled by ``W / 2`` (over the pole).

Cube faces
    Six gnomonic faces of ``S x S`` pixels in ``FACE_ORDER = "FRBLUD"`` (front, right, back, left,
    up, down); order and orientation equal py360convert's ``e2c(..., cube_format="list")``. Face
    ``f`` has a centre direction ``FACE_CENTER[f]`` and in-plane unit vectors ``FACE_RIGHT[f]``
    (columns grow along it) and ``FACE_DOWN[f]`` (rows grow along it). Face pixel ``(x, y)`` has
    plane coordinates ``a = 2 (x + 0.5) / S - 1`` and ``b = 2 (y + 0.5) / S - 1`` (so the face
    spans ``[-1, 1]`` edge to edge) and looks along ``CENTER + a RIGHT + b DOWN``. A face padded by
    ``p`` pixels is the same gnomonic view with the plane extended to ``|a|, |b| <= 1 + 2 p / S``.

Rotation
    A rotation ``R`` (3 x 3, orthonormal) maps cube-frame directions to panorama directions:
    ``erp_to_cube(erp, S, rotation=R)`` shows, on face ``f``, the panorama around
    ``R @ FACE_CENTER[f]``. ``rotation_matrix(yaw, pitch, roll)`` builds ``R = Ry(yaw) Rx(pitch)
    Rz(roll)``: yaw turns the view right (towards +lon), pitch tilts it up (towards +lat), roll
    turns it clockwise about the view axis.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

__all__ = [
    "FACE_CENTER",
    "FACE_DOWN",
    "FACE_NAMES",
    "FACE_ORDER",
    "FACE_RIGHT",
    "Face",
]


class Face(IntEnum):
    """Index of each cube face in ``FACE_ORDER``."""

    FRONT = 0
    RIGHT = 1
    BACK = 2
    LEFT = 3
    UP = 4
    DOWN = 5


FACE_ORDER = "FRBLUD"
FACE_NAMES = ("front", "right", "back", "left", "up", "down")

# Rows follow FACE_ORDER. Chosen so that erp_to_cube matches py360convert's e2c face by face.
FACE_CENTER = np.array(
    [[0, 0, 1], [1, 0, 0], [0, 0, -1], [-1, 0, 0], [0, 1, 0], [0, -1, 0]], dtype=np.float64
)
FACE_RIGHT = np.array(
    [[1, 0, 0], [0, 0, -1], [-1, 0, 0], [0, 0, 1], [1, 0, 0], [1, 0, 0]], dtype=np.float64
)
FACE_DOWN = np.array(
    [[0, -1, 0], [0, -1, 0], [0, -1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], dtype=np.float64
)
for _array in (FACE_CENTER, FACE_RIGHT, FACE_DOWN):
    _array.setflags(write=False)

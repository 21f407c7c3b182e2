"""Pure maps between directions, longitude/latitude, equirectangular pixels and cube-face pixels.

Convention: see :mod:`pano_inpaint.geometry.conventions`. Every function here is array in, array
out, broadcast over leading ``...`` dimensions, and has its inverse beside it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from pano_inpaint.geometry.conventions import FACE_CENTER, FACE_DOWN, FACE_RIGHT

# Face index for (major axis, axis negative): +x R, -x L, +y U, -y D, +z F, -z B.
_FACE_OF_AXIS = np.array([[1, 3], [4, 5], [0, 2]])

__all__ = [
    "erp_directions",
    "erp_pixel_to_lonlat",
    "erp_pixel_to_xyz",
    "face_pixel_components",
    "face_pixel_to_xyz",
    "lonlat_to_erp_pixel",
    "lonlat_to_xyz",
    "xyz_to_erp_pixel",
    "xyz_to_face",
    "xyz_to_face_pixel",
    "xyz_to_lonlat",
]


def lonlat_to_xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Unit direction of a longitude/latitude pair.

    Args:
        lon: ``(...)`` longitude in radians.
        lat: ``(...)`` latitude in radians.

    Returns:
        ``(..., 3)`` unit vectors.

    Convention: see :mod:`pano_inpaint.geometry.conventions`.

    Example:
        >>> lonlat_to_xyz(np.array(0.0), np.array(0.0)).round(6).tolist()
        [0.0, 0.0, 1.0]
    """
    lon, lat = np.broadcast_arrays(np.asarray(lon), np.asarray(lat))
    cos_lat = np.cos(lat)
    return np.stack([cos_lat * np.sin(lon), np.sin(lat), cos_lat * np.cos(lon)], axis=-1)


def xyz_to_lonlat(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitude in ``[-pi, pi]`` and latitude of (not necessarily unit) directions.

    Args:
        xyz: ``(..., 3)`` directions; need not be normalised.

    Returns:
        ``(lon, lat)``, each ``(...)``.

    Convention: see :mod:`pano_inpaint.geometry.conventions`.

    Example:
        >>> lon, lat = xyz_to_lonlat(np.array([1.0, 0.0, 0.0]))
        >>> round(float(lon), 6), round(float(lat), 6)
        (1.570796, 0.0)
    """
    xyz = np.asarray(xyz)
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    return np.arctan2(x, z), np.arctan2(y, np.hypot(x, z))


def erp_pixel_to_lonlat(
    x: np.ndarray, y: np.ndarray, height: int, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude of equirectangular pixel coordinates (pixel centres at integers).

    Args:
        x: ``(...)`` column coordinate.
        y: ``(...)`` row coordinate.
        height: panorama height ``H``.
        width: panorama width ``W``.

    Returns:
        ``(lon, lat)`` in radians, each ``(...)``.

    Convention: see :mod:`pano_inpaint.geometry.conventions`.

    Example:
        >>> lon, lat = erp_pixel_to_lonlat(np.array(1.5), np.array(0.5), 2, 4)
        >>> float(lon), float(lat)
        (0.0, 0.0)
    """
    lon = ((np.asarray(x) + 0.5) / width - 0.5) * (2 * np.pi)
    lat = (0.5 - (np.asarray(y) + 0.5) / height) * np.pi
    return lon, lat


def lonlat_to_erp_pixel(
    lon: np.ndarray, lat: np.ndarray, height: int, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """Equirectangular pixel coordinates of longitude/latitude (inverse of ``erp_pixel_to_lonlat``).

    Args:
        lon: ``(...)`` longitude in radians (any range; not wrapped).
        lat: ``(...)`` latitude in radians.
        height: panorama height ``H``.
        width: panorama width ``W``.

    Returns:
        ``(x, y)`` column and row coordinates, each ``(...)``.

    Convention: see :mod:`pano_inpaint.geometry.conventions`.

    Example:
        >>> x, y = lonlat_to_erp_pixel(np.array(0.0), np.array(0.0), 2, 4)
        >>> float(x), float(y)
        (1.5, 0.5)
    """
    x = (np.asarray(lon) / (2 * np.pi) + 0.5) * width - 0.5
    y = (0.5 - np.asarray(lat) / np.pi) * height - 0.5
    return x, y


def erp_pixel_to_xyz(x: np.ndarray, y: np.ndarray, height: int, width: int) -> np.ndarray:
    """Unit direction of equirectangular pixel coordinates (pixel centres at integers).

    Args: as for :func:`erp_pixel_to_lonlat`.

    Returns:
        ``(..., 3)`` float64 unit vectors.

    Convention: see :mod:`pano_inpaint.geometry.conventions`.

    Example:
        >>> erp_pixel_to_xyz(np.array(1.5), np.array(0.5), 2, 4).round(6).tolist()
        [0.0, 0.0, 1.0]
    """
    return lonlat_to_xyz(*erp_pixel_to_lonlat(x, y, height, width))


def xyz_to_erp_pixel(xyz: np.ndarray, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Equirectangular pixel coordinates of directions (inverse of ``erp_pixel_to_xyz``).

    Args:
        xyz: ``(..., 3)`` directions; need not be normalised.
        height: panorama height ``H``.
        width: panorama width ``W``.

    Returns:
        ``(x, y)`` column and row coordinates, each ``(...)``; ``x`` in ``[-0.5, W - 0.5]``.

    Convention: see :mod:`pano_inpaint.geometry.conventions`.

    Example:
        >>> x, y = xyz_to_erp_pixel(np.array([0.0, 0.0, 1.0]), 2, 4)
        >>> float(x), float(y)
        (1.5, 0.5)
    """
    return lonlat_to_erp_pixel(*xyz_to_lonlat(xyz), height, width)


@lru_cache(maxsize=4)
def erp_directions(height: int, width: int) -> np.ndarray:
    """Unit directions of every pixel centre of an ``H x W`` panorama, built once and cached.

    Returns:
        ``(H, W, 3)`` float32, read-only (shared between callers).

    Convention: see :mod:`pano_inpaint.geometry.conventions`.

    Example:
        >>> erp_directions(2, 4)[0, 1].astype(float).round(3).tolist()  # up and to the left
        [-0.5, 0.707, 0.5]
    """
    ys, xs = np.mgrid[0:height, 0:width]
    xyz = erp_pixel_to_xyz(xs, ys, height, width).astype(np.float32)  # (H, W, 3)
    xyz.setflags(write=False)
    return xyz


def face_pixel_to_xyz(
    face: np.ndarray | int, x: np.ndarray, y: np.ndarray, face_size: int, pad: int = 0
) -> np.ndarray:
    """Direction (not normalised) seen by a pixel of a (padded) cube face.

    Args:
        face: ``(...)`` face index in ``FACE_ORDER``.
        x: ``(...)`` column in the padded face, ``0 .. S + 2 pad - 1`` (may go beyond).
        y: ``(...)`` row in the padded face.
        face_size: ``S``, the unpadded face size.
        pad: padding ``p`` in pixels; pixel ``(p, p)`` is the first pixel of the face proper.

    Returns:
        ``(..., 3)`` directions ``CENTER + a RIGHT + b DOWN`` with plane coordinates ``a, b``.

    Convention: see :mod:`pano_inpaint.geometry.conventions`.

    Example:
        >>> face_pixel_to_xyz(0, np.array(0.5), np.array(0.5), 2).tolist()
        [0.0, 0.0, 1.0]
    """
    return np.stack(np.broadcast_arrays(*face_pixel_components(face, x, y, face_size, pad)),
                    axis=-1)


def face_pixel_components(
    face: np.ndarray | int, x: np.ndarray, y: np.ndarray, face_size: int, pad: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``face_pixel_to_xyz`` as three components, each only as large as it needs to be.

    For one face (an ``int``) a component whose face axes ignore ``x`` (or ``y``) keeps the
    shape of the other coordinate: with coordinates given as a row ``(1, n)`` and a column
    ``(m, 1)``, the front face's ``x`` and ``z`` are rows, its ``y`` a column. The values are
    exactly those of ``face_pixel_to_xyz`` (a term left out is a signed zero added to a
    non-zero number or to ``+0``, which changes nothing).

    Returns:
        ``(x, y, z)``, arrays broadcastable to ``face_pixel_to_xyz``'s ``(...)``.

    Example:
        >>> parts = face_pixel_components(0, np.arange(2.0)[None], np.arange(2.0)[:, None], 2)
        >>> [p.shape for p in parts]
        [(1, 2), (2, 1), ()]
    """
    face = np.asarray(face)
    x, y = np.asarray(x), np.asarray(y)
    # float32 coordinates give float32 directions (fast map building); anything else float64.
    dtype = np.float32 if x.dtype == np.float32 and y.dtype == np.float32 else np.float64
    a = (2 * (x.astype(dtype) - dtype(pad - 0.5)) / dtype(face_size) - 1).astype(dtype)
    b = (2 * (y.astype(dtype) - dtype(pad - 0.5)) / dtype(face_size) - 1).astype(dtype)
    parts = []
    for i in range(3):
        # Component by component, so coordinates given as broadcastable rows and columns
        # (np.ogrid) only become full-size arrays where the face's axes mix them.
        centre = FACE_CENTER[face, i].astype(dtype)
        right, down = FACE_RIGHT[face, i].astype(dtype), FACE_DOWN[face, i].astype(dtype)
        part = centre if face.ndim == 0 and right == 0 else centre + a * right
        if face.ndim or down != 0:
            part = part + b * down
        parts.append(np.asarray(part, dtype))
    return parts[0], parts[1], parts[2]


def xyz_to_face(xyz: np.ndarray) -> np.ndarray:
    """The cube face a direction falls on (its major axis), as an index in ``FACE_ORDER``.

    Args:
        xyz: ``(..., 3)`` directions.

    Returns:
        ``(...)`` int64 face indices.

    Convention: see :mod:`pano_inpaint.geometry.conventions`.

    Example:
        >>> xyz_to_face(np.array([[0, -1.0, 0.2], [0.1, 0.2, -0.9]])).tolist()
        [5, 2]
    """
    xyz = np.asarray(xyz)
    axis = np.argmax(np.abs(xyz), axis=-1)  # 0: x (R/L), 1: y (U/D), 2: z (F/B)
    negative = np.take_along_axis(xyz, axis[..., None], axis=-1)[..., 0] < 0
    return _FACE_OF_AXIS[axis, negative.astype(np.int64)]


def xyz_to_face_pixel(
    xyz: np.ndarray, face: np.ndarray | int, face_size: int, pad: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates where directions project onto the (extended) plane of a face.

    Inverse of ``face_pixel_to_xyz``. Directions behind the face plane give non-finite values.

    Args:
        xyz: ``(..., 3)`` directions.
        face: ``(...)`` face index (broadcast against ``xyz[..., 0]``).
        face_size: ``S``.
        pad: coordinates are returned in a face padded by ``pad`` pixels.

    Returns:
        ``(x, y)`` column and row coordinates, each ``(...)``.

    Convention: see :mod:`pano_inpaint.geometry.conventions`.

    Example:
        >>> x, y = xyz_to_face_pixel(np.array([0.0, 0.0, 1.0]), 0, 2)
        >>> float(x), float(y)
        (0.5, 0.5)
    """
    xyz = np.asarray(xyz)
    face = np.asarray(face)

    # Face axes are signed unit vectors: each dot product is one signed component of xyz.
    def component(table: np.ndarray) -> np.ndarray:
        axis = np.argmax(np.abs(table), axis=1)[face]
        sign = table[np.arange(6), np.argmax(np.abs(table), axis=1)][face].astype(xyz.dtype)
        if axis.ndim == 0:  # one face: one component for every direction
            return xyz[..., int(axis)] * sign
        index = np.broadcast_to(axis, xyz.shape[:-1])[..., None]
        return np.take_along_axis(xyz, index, axis=-1)[..., 0] * sign

    depth = component(FACE_CENTER)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_depth = np.where(depth > 0, 1 / depth, np.nan).astype(depth.dtype)
    half = xyz.dtype.type(face_size / 2) if xyz.dtype == np.float32 else face_size / 2
    offset = half - 0.5 + pad
    a = component(FACE_RIGHT) * inv_depth
    b = component(FACE_DOWN) * inv_depth
    return a * half + offset, b * half + offset

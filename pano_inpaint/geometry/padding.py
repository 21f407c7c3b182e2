"""Cube padding: each face extended with context from its neighbours, as a wider gnomonic view.

Convention: see :mod:`pano_inpaint.geometry.conventions`.

A face padded by ``p`` pixels must show what the same gnomonic camera with a wider field of view
(plane extended to ``|a|, |b| <= 1 + 2p/S``) would see. So each border ("ring") pixel is mapped
through its direction onto the face that direction falls on, and sampled there; near the 8 cube
corners this reaches two different neighbours, split along the diagonal, exactly as the wider view
does. Samples are clamped half a pixel inside the source face, which is within interpolation error.

The same source table (:func:`cube_pad_plan`) drives the numpy padding here and the torch
``CubePad`` module (:mod:`pano_inpaint.geometry.torch_padding`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from pano_inpaint._checks import check_dtype
from pano_inpaint.geometry._cache import map_cache
from pano_inpaint.geometry._remap import CV_LIMIT, PointSampler, check_interpolation
from pano_inpaint.geometry.conventions import FACE_ORDER
from pano_inpaint.geometry.sphere import face_pixel_to_xyz, xyz_to_face, xyz_to_face_pixel

__all__ = [
    "CubePadPlan",
    "canvas_shape",
    "check_face_ids",
    "cube_pad_plan",
    "face_grid_origin",
    "faces_canvas",
    "pad_cube_faces",
    "repad_cube_faces",
]


def check_face_ids(face_ids: Sequence[int | str] | None) -> list[int]:
    """Face indices from indices or letters of ``FACE_ORDER``; ``None`` means all six."""
    if face_ids is None:
        return list(range(6))
    ids = [FACE_ORDER.index(f) if isinstance(f, str) and f in FACE_ORDER else f for f in face_ids]
    if not ids or any(isinstance(f, (str, bool)) or not 0 <= int(f) < 6 for f in ids):
        raise ValueError(
            f"face ids must be indices 0..5 or letters of {FACE_ORDER!r}, got {face_ids!r}"
        )
    return [int(f) for f in ids]


def face_grid_origin(face: np.ndarray | int, tile: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-left ``(row, col)`` of ``face`` in a canvas of ``tile``-sized faces.

    The canvas is one column of six tiles where cv2 allows it (< 32767 rows), else 2 x 3 tiles.
    """
    per_row = 1 if 6 * tile < CV_LIMIT else 3
    return (face // per_row) * tile, (face % per_row) * tile


def canvas_shape(tile: int) -> tuple[int, int]:
    return (6 * tile, tile) if 6 * tile < CV_LIMIT else (2 * tile, 3 * tile)


def faces_canvas(faces: np.ndarray, face_ids: Sequence[int] | None = None) -> np.ndarray:
    """Faces ``(6, S, S, C)`` laid out on one canvas for cv2 (a free view when contiguous).

    Tiles not in ``face_ids`` are zero.
    """
    size = faces.shape[1]
    if face_ids is None and 6 * size < CV_LIMIT and faces.flags.c_contiguous:
        return faces.reshape(6 * size, size, faces.shape[3])
    canvas = np.zeros((*canvas_shape(size), faces.shape[3]), dtype=faces.dtype)
    for face in range(6) if face_ids is None else face_ids:
        r, c = face_grid_origin(face, size)
        canvas[r : r + size, c : c + size] = faces[face]
    return canvas


@dataclass(frozen=True)
class CubePadPlan:
    """Where every ring pixel of a padded face comes from.

    Attributes:
        face_size: ``S``.
        pad: ``p``.
        ring_y, ring_x: ``(N,)`` positions of the ring pixels in a padded ``(S+2p, S+2p)`` face.
        src_face: ``(6, N)`` face each ring pixel of each face is sampled from.
        src_x, src_y: ``(6, N)`` float pixel coordinates in that (unpadded) source face, clamped
            to ``[0, S - 1]``.
    """

    face_size: int
    pad: int
    ring_y: np.ndarray
    ring_x: np.ndarray
    src_face: np.ndarray
    src_x: np.ndarray
    src_y: np.ndarray


@lru_cache(maxsize=32)
def cube_pad_plan(face_size: int, pad: int) -> CubePadPlan:
    """Source table for padding ``S``-pixel faces by ``pad`` pixels (cached).

    Example:
        >>> plan = cube_pad_plan(4, 1)
        >>> plan.ring_y.shape, plan.src_face.shape
        ((20,), (6, 20))
    """
    size = face_size + 2 * pad
    ring = np.ones((size, size), dtype=bool)
    ring[pad : pad + face_size, pad : pad + face_size] = False
    ring_y, ring_x = np.nonzero(ring)
    faces = np.arange(6)[:, None]
    xyz = face_pixel_to_xyz(faces, ring_x[None], ring_y[None], face_size, pad)  # (6, N, 3)
    src_face = xyz_to_face(xyz)
    src_x, src_y = xyz_to_face_pixel(xyz, src_face, face_size)
    arrays = [
        ring_y, ring_x, src_face,
        np.clip(src_x, 0, face_size - 1), np.clip(src_y, 0, face_size - 1),
    ]
    for a in arrays:
        a.setflags(write=False)
    return CubePadPlan(face_size, pad, *arrays)


def _ring_sampler(face_size: int, pad: int, interpolation: str) -> PointSampler:
    def build() -> PointSampler:
        plan = cube_pad_plan(face_size, pad)
        row, col = face_grid_origin(plan.src_face, face_size)
        return PointSampler.build(col + plan.src_x, row + plan.src_y, interpolation)

    return map_cache.get_or_build(("cube_pad", face_size, pad, interpolation), build)


_OPPOSITE = (2, 3, 0, 1, 5, 4)  # in FACE_ORDER: F-B, R-L, U-D


def _adjacent(a: int, b: int) -> bool:
    """Faces share an edge unless they are the same or opposite."""
    return a != b and _OPPOSITE[a] != b


def _check_faces(faces: np.ndarray) -> None:
    if not isinstance(faces, np.ndarray):
        raise TypeError(f"faces must be a numpy array, got {type(faces).__name__}")
    if faces.ndim not in (3, 4) or faces.shape[0] != 6 or faces.shape[1] != faces.shape[2]:
        raise ValueError(f"faces must have shape (6, S, S) or (6, S, S, C), got {faces.shape}")
    check_dtype(faces, "faces")


def _check_pad(pad: object, face_size: int) -> int:
    if isinstance(pad, bool) or not isinstance(pad, (int, np.integer)) or pad < 0:
        raise ValueError(f"pad must be an integer >= 0, got {pad!r}")
    if pad > face_size:
        raise ValueError(f"pad ({pad}) must not exceed the face size ({face_size})")
    return int(pad)


def pad_cube_faces(
    faces: np.ndarray,
    pad: int,
    *,
    face_ids: Sequence[int | str] | None = None,
    interpolation: str = "bilinear",
    out: np.ndarray | Sequence[np.ndarray] | None = None,
) -> np.ndarray | Sequence[np.ndarray]:
    """Pad cube faces with context taken from their neighbouring faces.

    Args:
        faces: ``(6, S, S)`` or ``(6, S, S, C)`` faces in ``FACE_ORDER``; uint8, uint16, float32.
        pad: border ``p`` in pixels, ``0 <= p <= S``.
        face_ids: which faces to return padded (default all six); all six are used as context.
        interpolation: ``"nearest"`` or ``"bilinear"`` (others are accepted and behave alike).
        out: optional ``(k, S + 2p, S + 2p, C)`` array, or a sequence of ``k`` arrays (views)
            of ``(S + 2p, S + 2p, C)``, to write into.

    Returns:
        ``(k, S + 2p, S + 2p[, C])`` padded faces, same dtype; the centre is a copy of the face.

    Raises:
        ValueError: bad shape or pad. TypeError: unsupported dtype.

    Convention: see :mod:`pano_inpaint.geometry.conventions`.

    Example:
        >>> pad_cube_faces(np.zeros((6, 8, 8), np.uint8), 2).shape
        (6, 12, 12)
    """
    _check_faces(faces)
    face_size = faces.shape[1]
    pad = _check_pad(pad, face_size)
    check_interpolation(interpolation)
    ids = check_face_ids(face_ids)
    squeeze = faces.ndim == 3
    src = faces[..., None] if squeeze else faces
    size = face_size + 2 * pad
    shape = (size, size, src.shape[3])
    if out is None:
        out = np.empty((len(ids), *shape), dtype=faces.dtype)
        result = out[..., 0] if squeeze else out
    else:
        result = out
        if len(out) != len(ids) or any(o.shape != shape or o.dtype != faces.dtype for o in out):
            raise ValueError(f"out must hold {len(ids)} arrays of {shape} {faces.dtype}")
    for k, face in enumerate(ids):
        out[k][pad : pad + face_size, pad : pad + face_size] = src[face]
    if pad:
        plan = cube_pad_plan(face_size, pad)
        values = _ring_sampler(face_size, pad, interpolation)(faces_canvas(src))
        values = values.reshape(6, plan.ring_y.size, src.shape[3])
        for k, face in enumerate(ids):
            out[k][plan.ring_y, plan.ring_x] = values[face]
    return result


def repad_cube_faces(
    padded: np.ndarray,
    face_ids: Sequence[int | str],
    pad: int,
    *,
    interpolation: str = "bilinear",
) -> np.ndarray:
    """Refresh, in place, the borders of padded faces from the current centres of each other.

    After a generator has filled the faces independently, this makes every border pixel that looks
    into another face of the set equal to (a resampling of) that face's own fill, so the faces agree
    across shared edges. Border pixels looking into faces outside ``face_ids`` are left as they are
    (typically sampled straight from the panorama, whose content there did not change).

    Args:
        padded: ``(k, S + 2p, S + 2p[, C])`` padded faces, modified in place.
        face_ids: the face index of each of the ``k`` padded faces.
        pad: ``p``.

    Returns:
        ``padded``.

    Example:
        >>> faces = pad_cube_faces(np.random.rand(6, 8, 8).astype(np.float32), 2)
        >>> before = faces.copy()
        >>> np.array_equal(repad_cube_faces(faces, range(6), 2), before)
        True
    """
    ids = check_face_ids(face_ids)
    if padded.ndim not in (3, 4) or padded.shape[0] != len(ids):
        raise ValueError(
            f"padded must have shape (k, S+2p, S+2p[, C]) with k == len(face_ids) == {len(ids)}, "
            f"got {padded.shape}"
        )
    if len(set(ids)) != len(ids):
        raise ValueError(f"face_ids must not repeat, got {ids}")
    face_size = padded.shape[1] - 2 * pad
    if face_size < 1 or padded.shape[1] != padded.shape[2]:
        raise ValueError(f"padded faces {padded.shape[1:3]} do not fit pad={pad}")
    check_interpolation(interpolation)
    # Only a face's four neighbours reach into its border: with no two neighbours in the set
    # (a single face, or two opposite ones) there is nothing to refresh.
    if pad == 0 or not any(_adjacent(a, b) for a in ids for b in ids):
        return padded
    src = padded[..., None] if padded.ndim == 3 else padded
    cores = np.zeros((6, face_size, face_size, src.shape[3]), dtype=padded.dtype)
    cores[ids] = src[:, pad : pad + face_size, pad : pad + face_size]
    plan = cube_pad_plan(face_size, pad)
    values = _ring_sampler(face_size, pad, interpolation)(faces_canvas(cores))
    values = values.reshape(6, plan.ring_y.size, src.shape[3])
    in_set = np.isin(plan.src_face, ids)
    for k, face in enumerate(ids):
        take = in_set[face]
        src[k, plan.ring_y[take], plan.ring_x[take]] = values[face, take]
    return padded

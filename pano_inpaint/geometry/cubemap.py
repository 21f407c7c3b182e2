"""Equirectangular <-> cubemap resampling with cached maps, sphere rotation and masked write-back.

Convention: see :mod:`pano_inpaint.geometry.conventions`.

Both directions build their sampling maps once per geometry (sizes, padding, rotation,
interpolation), convert them to cv2's fixed-point format and keep them in a byte-bounded cache
(:mod:`pano_inpaint.geometry._cache`). Everything is processed in strips of about a million
pixels, so temporaries stay small; above 8K the maps are not kept at all (they would outweigh
the image) and each strip's maps live only while it is resampled.

``erp_to_cube`` samples the panorama in place, with cv2 wrapping the columns at the wrap-around
line; the few face pixels whose kernel reaches over a pole are sampled from a small copy of the
rows around it, continued over the pole (rolled by ``W / 2``), so interpolation is right there too.

``cube_to_erp`` samples a canvas holding the faces with a few pixels of cube padding each (as
many as the interpolation kernel reaches), so a sample between two faces interpolates across the
edge. With ``mask`` it computes only the masked pixels: work follows the mask's rows, and only
the faces those pixels fall on are padded.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from pano_inpaint._checks import check_dtype, check_erp, check_mask, check_positive_int
from pano_inpaint._threads import thread_map
from pano_inpaint.geometry._cache import map_cache
from pano_inpaint.geometry._remap import (
    CV_LIMIT,
    FixedMaps,
    PointSampler,
    check_interpolation,
    margin_of,
    remap,
    to_fixed_maps,
)
from pano_inpaint.geometry.padding import (
    canvas_shape,
    check_face_ids,
    face_grid_origin,
    pad_cube_faces,
)
from pano_inpaint.geometry.rotation import RotationLike, as_rotation
from pano_inpaint.geometry.sphere import (
    erp_pixel_to_lonlat,
    face_pixel_components,
    face_pixel_to_xyz,
    lonlat_to_erp_pixel,
    xyz_to_face,
    xyz_to_face_pixel,
    xyz_to_lonlat,
)

__all__ = [
    "cube_to_erp", "erp_pixel_faces", "erp_to_cube", "prepare_erp_to_cube", "rotation_key",
    "tiles_to_erp", "write_back_pad",
]

_STRIP_PIXELS = 1 << 20
_POLAR_FACES = (4, 5)  # up, down (FACE_ORDER)
# Maps of bigger panoramas cost more memory than the image itself (16K: ~1.4 GB for a round
# trip), so they are computed strip by strip for each call and never kept.
_MAX_CACHED_PIXELS = 8192 * 4096


def rotation_key(rotation: np.ndarray | None) -> tuple[float, ...] | None:
    """Hashable key for a normalised rotation (``None`` = identity)."""
    return None if rotation is None else tuple(np.round(rotation, 12).ravel().tolist())


def _strips(rows: int, cols: int) -> list[tuple[int, int]]:
    step = max(1, _STRIP_PIXELS // max(cols, 1))
    return [(r, min(r + step, rows)) for r in range(0, rows, step)]


def _as_hwc(image: np.ndarray) -> np.ndarray:
    return image[..., None] if image.ndim == 2 else image


# ----------------------------------------------------------------------------------- ERP -> cube


@dataclass(frozen=True)
class _PoleWindow:
    """Rows ``[r0, r1)`` around a pole, full width plus ``margin`` wrapped columns each side;
    rows past the pole continue on the other side (rolled by ``W / 2``)."""

    r0: int
    r1: int
    margin: int

    def read(self, erp: np.ndarray) -> np.ndarray:
        height, width = erp.shape[:2]
        cols = np.arange(-self.margin, width + self.margin) % width
        over = (cols + width // 2) % width
        out = np.empty((self.r1 - self.r0, cols.size, erp.shape[2]), erp.dtype)
        for i, row in enumerate(range(self.r0, self.r1)):
            if row < 0:
                out[i] = erp[-1 - row][over]
            elif row >= height:
                out[i] = erp[2 * height - 1 - row][over]
            else:
                out[i] = erp[row][cols]
        return out


@dataclass(frozen=True)
class _FaceStrip:
    """Maps of some rows of a face into the whole panorama (columns wrap in cv2), plus the few
    pixels within the kernel's reach of a pole, sampled from a small window over that pole."""

    rows: tuple[int, int]  # output rows of the padded face
    maps: FixedMaps
    pole_pixels: tuple[np.ndarray, ...] = ()  # flat pixel indices in the strip, per window
    pole_windows: tuple[_PoleWindow, ...] = ()
    pole_samplers: tuple[PointSampler, ...] = ()

    @property
    def nbytes(self) -> int:
        return self.maps.nbytes + sum(p.nbytes + s.nbytes for p, s in
                                      zip(self.pole_pixels, self.pole_samplers, strict=True))

    def resample(self, erp: np.ndarray, dst: np.ndarray) -> None:
        """Write this strip of the face into ``dst`` ``(rows, S + 2p, C)``."""
        remap(erp, self.maps, dst, border=cv2.BORDER_WRAP)
        flat = dst.reshape(-1, dst.shape[-1])
        for pixels, window, sampler in zip(self.pole_pixels, self.pole_windows,
                                           self.pole_samplers, strict=True):
            flat[pixels] = sampler(window.read(erp))


@functools.cache
def _polar_latitudes_are_negatives() -> bool:
    """Whether this platform's float32 ``hypot`` ignores its arguments' signs and ``arctan2`` is
    odd in its first argument, over the values the polar faces' directions take (C libraries
    compute both on magnitudes and set the sign last; a vectorised one is checked too)."""
    parts = np.linspace(-2.5, 2.5, 201, dtype=np.float32)  # 40,401 pairs: 3 ms
    flat = np.hypot(parts[None, :], parts[:, None])
    return bool(np.array_equal(flat, np.hypot(np.abs(parts)[None, :], np.abs(parts)[:, None]))
                and np.array_equal(np.arctan2(np.float32(-1), flat),
                                   -np.arctan2(np.float32(1), flat)))


def _polar_latitude(
    face: int, x: np.ndarray, y: np.ndarray, z: np.ndarray, face_size: int, pad: int,
    rows: tuple[int, int],
) -> np.ndarray:
    """``arctan2(y, hypot(x, z))`` of rows of the unrotated up or down face.

    The two faces see the same ``|x|`` and ``|z|`` at every pixel and ``y = +1`` against
    ``-1``, so one's latitudes are exactly the other's negated: the first face built leaves its
    latitudes in the map cache, and the other takes them from there instead of computing a
    full-size hypot and arctangent (0.1 CPU s of a 4K cube, 0.45 s at 8K)."""
    key = ("polar latitude", face_size, pad, rows)
    if _polar_latitudes_are_negatives():
        other = map_cache.pop((*key, 9 - face))  # up 4 <-> down 5
        if other is not None:
            return -other
    lat = np.arctan2(y, np.hypot(x, z))
    if _polar_latitudes_are_negatives():
        map_cache.get_or_build((*key, face), lambda: lat)
    return lat


def _strip_lonlat(
    face: int, face_size: int, pad: int, rotation: np.ndarray | None, rows: tuple[int, int],
    shared: dict | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude seen by rows ``[r0, r1)`` of a padded face (broadcastable to
    ``(r1 - r0, S + 2p)``).

    Without rotation the face's axes are cube axes, so its direction components are rows,
    columns or constants (:func:`face_pixel_components`): a side face's longitude and
    ``hypot(x, z)`` are one row, and only its latitude takes a full-size arctangent. That
    latitude is the same for the four side faces whenever their rows of ``hypot(x, z)`` are
    equal, and ``shared`` (a dict kept across the faces of one strip) then lends it from the
    face built before. The up and down faces' latitudes are each other's negatives
    (``_polar_latitude``). The values are exactly those of ``xyz_to_lonlat`` on the full
    directions."""
    size = face_size + 2 * pad
    ys = np.arange(rows[0], rows[1], dtype=np.float32)[:, None]
    xs = np.arange(size, dtype=np.float32)[None, :]
    # float32 is ample here: 1e-7 rad is 3e-4 px at 16K, far below the 1/32 px of the maps.
    if rotation is not None:
        xyz = face_pixel_to_xyz(face, xs, ys, face_size, pad)  # (rows, size, 3), cube frame
        return xyz_to_lonlat(xyz @ rotation.T.astype(np.float32))
    x, y, z = face_pixel_components(face, xs, ys, face_size, pad)
    if face in _POLAR_FACES:
        return np.arctan2(x, z), _polar_latitude(face, x, y, z, face_size, pad, rows)
    lon, flat = np.arctan2(x, z), np.hypot(x, z)  # as xyz_to_lonlat, on the parts' shapes
    seen = [] if shared is None else shared.setdefault("lat", [])
    for y_seen, flat_seen, lat_seen in seen:
        if (y_seen.shape == y.shape and flat_seen.shape == flat.shape
                and np.array_equal(y_seen, y) and np.array_equal(flat_seen, flat)):
            return lon, lat_seen
    lat = np.arctan2(y, flat)
    seen.append((y, flat, lat))
    return lon, lat


def _face_strips(
    height: int, width: int, face: int, face_size: int, pad: int,
    rotation: np.ndarray | None, interpolations: Sequence[str], rows: tuple[int, int],
    shared: dict | None = None,
) -> list[_FaceStrip]:
    """Rows ``rows`` of a face's plan for each of ``interpolations``; the directions are
    computed once for all of them (they differ only in the pixels sampled over a pole), and
    the rows of the panorama once for faces sharing their latitudes (``_strip_lonlat``)."""
    lon, lat = _strip_lonlat(face, face_size, pad, rotation, rows, shared)
    map_x, _ = lonlat_to_erp_pixel(lon, 0.0, height, width)
    # The panorama rows of these latitudes, once per latitude array (faces sharing one hold the
    # same array), matched by identity with the array held. Keyed by ``id``, a polar face's
    # latitudes (not kept in ``shared``) were freed after its face; the other polar face's
    # could get the same id and its rows: the down face sampled the up face's part.
    lent = [] if shared is None else shared.setdefault("rows", [])
    map_y = next((rows_y for lat_seen, rows_y in lent if lat_seen is lat), None)
    if map_y is None:
        map_y = lonlat_to_erp_pixel(0.0, lat, height, width)[1]
        lent.append((lat, map_y))
    shape = (rows[1] - rows[0], face_size + 2 * pad)
    map_x, map_y = np.broadcast_to(map_x, shape), np.broadcast_to(map_y, shape)
    return [_strip_from_maps(map_x, map_y, height, interpolation, rows)
            for interpolation in interpolations]


def _strip_from_maps(
    map_x: np.ndarray, map_y: np.ndarray, height: int, interpolation: str,
    rows: tuple[int, int],
) -> _FaceStrip:
    margin = margin_of(interpolation)
    # cv2 wraps columns itself (BORDER_WRAP) but would wrap rows too, which is wrong over a pole:
    # pixels whose kernel reaches past the first or last row are sampled from a pole window.
    pixels, windows, samplers = [], [], []
    for near, r0, r1 in ((map_y < margin - 1, -margin, margin + 1),
                         (map_y > height - margin, height - margin - 1, height + margin)):
        if near.any():
            flat = np.flatnonzero(near)
            window = _PoleWindow(r0, r1, margin)
            pixels.append(flat)
            windows.append(window)
            samplers.append(PointSampler.build(map_x.ravel()[flat] + margin,
                                               map_y.ravel()[flat] - r0, interpolation))
            map_y = np.where(near, np.clip(map_y, margin, height - 1 - margin), map_y)
    maps = to_fixed_maps(map_x, map_y, interpolation)
    return _FaceStrip(rows, maps, tuple(pixels), tuple(windows), tuple(samplers))


def _cacheable(height: int, width: int) -> bool:
    return height * width <= _MAX_CACHED_PIXELS


def _face_key(
    height: int, width: int, face: int, face_size: int, pad: int,
    rotation: np.ndarray | None, interpolation: str,
) -> tuple:
    return ("erp_to_cube", height, width, face, face_size, pad, rotation_key(rotation),
            interpolation)


def _face_plan(
    height: int, width: int, face: int, face_size: int, pad: int,
    rotation: np.ndarray | None, interpolation: str,
) -> Iterable[_FaceStrip]:
    size = face_size + 2 * pad
    strips = (
        _face_strips(height, width, face, face_size, pad, rotation, (interpolation,), rows)[0]
        for rows in _strips(size, size)
    )
    if not _cacheable(height, width):
        return strips  # computed one strip at a time, never all held
    key = _face_key(height, width, face, face_size, pad, rotation, interpolation)
    return map_cache.get_or_build(key, lambda: list(strips))


def _prebuild_plans(
    height: int, width: int, faces: Sequence[int], face_size: int, pad: int,
    rotation: np.ndarray | None, interpolations: Sequence[str],
) -> dict[tuple[int, str], list[_FaceStrip]]:
    """Build (and cache) the plans of ``faces`` x ``interpolations`` that are not cached yet,
    keyed ``(face, interpolation)``, their strips spread over OpenCV's thread count: the maps'
    arctangents are most of a first call's geometry time and numpy releases the GIL in them.
    Each strip is computed exactly as it would be alone; a face's interpolations share its
    directions, and the side faces of an unrotated cube, built together, their latitudes."""
    missing: dict[int, list[str]] = {}
    for f in dict.fromkeys(faces):
        for interpolation in dict.fromkeys(interpolations):
            key = _face_key(height, width, f, face_size, pad, rotation, interpolation)
            if map_cache.peek(key) is None:
                missing.setdefault(f, []).append(interpolation)
    if not missing:
        return {}
    size = face_size + 2 * pad
    # Unrotated side faces share their latitudes (see _strip_lonlat): one job builds them all;
    # the up and down faces too (one takes the other's negated).
    sides = [f for f in missing if f < 4] if rotation is None else []
    polar = [f for f in missing if f in _POLAR_FACES] if rotation is None else []
    groups = [group for group in (sides, polar) if group] + [
        [f] for f in missing if f not in sides and f not in polar]
    jobs = [(group, rows) for rows in _strips(size, size) for group in groups]

    def build(job: tuple[list[int], tuple[int, int]]) -> list[list[_FaceStrip]]:
        group, rows = job
        shared: dict = {}
        return [_face_strips(height, width, f, face_size, pad, rotation, missing[f], rows,
                             shared) for f in group]

    built = thread_map(build, jobs)
    face_strips: dict[tuple[int, str], list[_FaceStrip]] = {}
    for (group, _), per_face in zip(jobs, built, strict=True):
        for f, strips in zip(group, per_face, strict=True):
            for interpolation, strip in zip(missing[f], strips, strict=True):
                face_strips.setdefault((f, interpolation), []).append(strip)
    plans = {}
    for (f, interpolation), strips in face_strips.items():
        key = _face_key(height, width, f, face_size, pad, rotation, interpolation)
        plans[f, interpolation] = map_cache.get_or_build(key, lambda strips=strips: strips)
    return plans


def prepare_erp_to_cube(
    height: int, width: int, face_size: int, *, pad: int = 0, rotation: RotationLike = None,
    interpolations: Sequence[str] = ("bilinear",), face_ids: Sequence[int | str] | None = None,
) -> None:
    """Build the sampling maps later ``erp_to_cube`` calls with these arguments will use, for
    several interpolations at once: each face's directions are computed once for all of them.

    Nothing happens for panoramas too large for the map cache (above 8K), whose maps are
    never kept.

    Example:
        >>> prepare_erp_to_cube(64, 128, 32, pad=4, interpolations=("bicubic", "bilinear"))
    """
    for interpolation in interpolations:
        check_interpolation(interpolation)
    if _cacheable(height, width):
        _prebuild_plans(height, width, check_face_ids(face_ids), face_size, pad,
                        as_rotation(rotation), tuple(interpolations))


def erp_to_cube(
    erp: np.ndarray,
    face_size: int,
    *,
    pad: int = 0,
    rotation: RotationLike = None,
    interpolation: str = "bilinear",
    face_ids: Sequence[int | str] | None = None,
) -> np.ndarray:
    """Resample an equirectangular panorama onto (padded) gnomonic cube faces.

    Args:
        erp: ``(H, W)`` or ``(H, W, C)`` panorama, ``W == 2 * H``; uint8, uint16 or float32
            (HDR values are never clipped with ``nearest``/``bilinear``).
        face_size: ``S``, face width in pixels (``W // 4`` keeps the native resolution).
        pad: extra border ``p``: each face is the wider gnomonic view covering ``S + 2p`` pixels.
        rotation: ``None``, a 3x3 matrix or ``(yaw, pitch, roll)`` radians; face ``f`` then
            shows the panorama around ``R @ FACE_CENTER[f]``.
        interpolation: ``"nearest"``, ``"bilinear"``, ``"bicubic"`` or ``"lanczos"``.
        face_ids: faces to compute (indices or letters of ``"FRBLUD"``), default all six.

    Returns:
        ``(k, S + 2p, S + 2p, C)`` (or ``(k, S + 2p, S + 2p)`` for 2-D input), same dtype, faces
        in ``FACE_ORDER`` (or in the order of ``face_ids``).

    Raises:
        ValueError: bad shape, ``W != 2 * H``, ``face_size < 1``, ``pad < 0``, unknown options.
        TypeError: unsupported dtype.

    Convention: see :mod:`pano_inpaint.geometry.conventions`.

    Example:
        >>> erp = np.zeros((64, 128, 3), np.uint8)
        >>> erp_to_cube(erp, 32, pad=2).shape
        (6, 36, 36, 3)
    """
    height, width, channels = check_erp(erp)
    face_size = check_positive_int(face_size, "face_size")
    if isinstance(pad, bool) or not isinstance(pad, (int, np.integer)) or pad < 0:
        raise ValueError(f"pad must be an integer >= 0, got {pad!r}")
    check_interpolation(interpolation)
    ids = check_face_ids(face_ids)
    size = face_size + 2 * pad
    if size >= CV_LIMIT:
        raise ValueError(f"face_size + 2 * pad must be below {CV_LIMIT}, got {size}")
    rot = as_rotation(rotation)
    src = _as_hwc(erp)
    out = np.empty((len(ids), size, size, channels), dtype=erp.dtype)
    built = (_prebuild_plans(height, width, ids, face_size, pad, rot, (interpolation,))
             if _cacheable(height, width) else {})
    for k, face in enumerate(ids):
        plan = built.get((face, interpolation))
        if plan is None:
            plan = _face_plan(height, width, face, face_size, pad, rot, interpolation)
        for strip in plan:
            strip.resample(src, out[k, strip.rows[0] : strip.rows[1]])
    return out[..., 0] if erp.ndim == 2 else out


# ----------------------------------------------------------------------------------- cube -> ERP


@dataclass(frozen=True)
class _ErpBlock:
    maps: FixedMaps
    row_faces: np.ndarray  # (rows,) uint8 bit set of the faces each row samples

    @property
    def nbytes(self) -> int:
        return self.maps.nbytes + self.row_faces.nbytes


def _faces_and_pixels(
    xyz: np.ndarray, face_size: int, pad: int,
    row_sizes: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``xyz_to_face`` and ``xyz_to_face_pixel`` of ``(rows, cols, 3)`` directions.

    ``row_sizes``, for an unrotated block: per row ``|y|`` and the largest ``|x|`` and ``|z|``.
    A row whose ``|y|`` beats both (ties as argmax breaks them: x before y before z) lies
    wholly on the up or the down face, so its face is known without comparing every pixel,
    and its face pixels come from fixed components; the values are the same."""
    if row_sizes is None:
        face = xyz_to_face(xyz)
        return (face, *xyz_to_face_pixel(xyz, face, face_size, pad=pad))
    size_y, widest_x, widest_z = row_sizes
    polar = (size_y > widest_x) & (size_y >= widest_z)
    if not polar.any():
        face = xyz_to_face(xyz)
        return (face, *xyz_to_face_pixel(xyz, face, face_size, pad=pad))
    face = np.empty(xyz.shape[:2], np.int64)
    x = np.empty(xyz.shape[:2], xyz.dtype)
    y = np.empty(xyz.shape[:2], xyz.dtype)
    down = xyz[:, 0, 1] < 0
    for rows, whole in ((np.flatnonzero(~polar), None), (np.flatnonzero(polar & ~down), 4),
                        (np.flatnonzero(polar & down), 5)):
        if rows.size:
            part = xyz[rows]
            face[rows] = xyz_to_face(part) if whole is None else whole
            x[rows], y[rows] = xyz_to_face_pixel(part, face[rows] if whole is None else whole,
                                                 face_size, pad=pad)
    return face, x, y


def _block_xyz(
    height: int, width: int, rotation: np.ndarray | None, rows: tuple[int, int],
    cols: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cube-frame directions ``(rows, cols, 3)`` float32 of a block of panorama pixels, with
    the block's ``lon`` (cols,) and ``cos(lat)`` (rows, 1) they were made of."""
    ys = np.arange(rows[0], rows[1], dtype=np.float64)
    xs = np.arange(cols[0], cols[1], dtype=np.float64)
    lon, _ = erp_pixel_to_lonlat(xs, 0.0, height, width)
    _, lat = erp_pixel_to_lonlat(0.0, ys, height, width)
    cos_lat = np.cos(lat).astype(np.float32)[:, None]
    xyz = np.empty((ys.size, xs.size, 3), np.float32)  # float32: see _strip_lonlat
    xyz[..., 0] = cos_lat * np.sin(lon).astype(np.float32)
    xyz[..., 1] = np.sin(lat).astype(np.float32)[:, None]
    xyz[..., 2] = cos_lat * np.cos(lon).astype(np.float32)
    if rotation is not None:
        # panorama frame -> cube frame: R^T v, written for row vectors
        xyz = xyz @ rotation.astype(np.float32)
    return xyz, lon, cos_lat


def erp_pixel_faces(
    height: int, width: int, rows: tuple[int, int], *, rotation: RotationLike = None
) -> np.ndarray:
    """The face each panorama pixel of rows ``[r0, r1)`` is written back from
    (:func:`tiles_to_erp`, :func:`cube_to_erp`): ``(r1 - r0, W)`` int64 in ``FACE_ORDER``.

    The directions are the write-back's own (float32), so a pixel on a cube edge is given to
    the face that writes it.

    Convention: see :mod:`pano_inpaint.geometry.conventions`.

    Example:
        >>> erp_pixel_faces(4, 8, (1, 3)).tolist()
        [[2, 3, 3, 0, 0, 1, 1, 2], [2, 3, 3, 0, 0, 1, 1, 2]]
    """
    height, width = _check_erp_size(height, width)
    xyz, _, _ = _block_xyz(height, width, as_rotation(rotation), rows, (0, width))
    return xyz_to_face(xyz)


def _erp_block(
    height: int, width: int, face_size: int, rotation: np.ndarray | None, interpolation: str,
    rows: tuple[int, int], cols: tuple[int, int],
) -> _ErpBlock:
    xyz, lon, cos_lat = _block_xyz(height, width, rotation, rows, cols)
    pad = write_back_pad(interpolation)
    face, x, y = _faces_and_pixels(xyz, face_size, pad, None if rotation is not None else (
        np.abs(xyz[:, 0, 1]), cos_lat[:, 0] * np.abs(np.sin(lon).astype(np.float32)).max(),
        cos_lat[:, 0] * np.abs(np.cos(lon).astype(np.float32)).max()))
    tile = face_size + 2 * pad
    origin_row, origin_col = face_grid_origin(face, tile)
    # The major-axis face always holds the point; the clip only guards rounding at cube edges.
    map_x = origin_col + np.clip(x, 0, tile - 1)
    map_y = origin_row + np.clip(y, 0, tile - 1)
    row_faces = np.bitwise_or.reduce(np.left_shift(1, face).astype(np.uint8), axis=1)
    return _ErpBlock(to_fixed_maps(map_x, map_y, interpolation), row_faces)


def _erp_plan(
    height: int, width: int, face_size: int, rotation: np.ndarray | None, interpolation: str
) -> Iterable[tuple[tuple[int, int], _ErpBlock]]:
    blocks = (
        (rows, _erp_block(height, width, face_size, rotation, interpolation, rows, (0, width)))
        for rows in _strips(height, width)
    )
    if not _cacheable(height, width):
        return blocks
    key = ("cube_to_erp", height, width, face_size, rotation_key(rotation), interpolation)
    return map_cache.get_or_build(key, lambda: list(blocks))


def write_back_pad(interpolation: str) -> int:
    """Cube padding a tile needs so an ``interpolation`` kernel sampling it never reads past its
    border: the least ``pad`` :func:`tiles_to_erp` accepts.

    Example:
        >>> write_back_pad("bicubic"), write_back_pad("lanczos")
        (2, 4)
    """
    return max(1, margin_of(interpolation) - 1)


def _canvas_from(padded: np.ndarray, face_ids: Sequence[int], pad: int) -> np.ndarray:
    """Canvas of the given faces, each ``padded`` by ``pad``; tiles of other faces left unset."""
    tile = padded.shape[1]
    canvas = np.empty((*canvas_shape(tile), padded.shape[3]), dtype=padded.dtype)
    for face, tile_image in zip(face_ids, padded, strict=True):
        r, c = face_grid_origin(face, tile)
        canvas[r : r + tile, c : c + tile] = tile_image
    return canvas


def _faces_in(bits: int) -> list[int]:
    return [f for f in range(6) if bits >> f & 1]


def _masked_row_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Runs ``[r0, r1)`` of rows holding any masked pixel (scans 8 pixels per step)."""
    if mask.shape[1] % 8 == 0 and mask.flags.c_contiguous:
        any_row = mask.view(np.uint64).max(axis=1) > 0
    else:
        any_row = mask.any(axis=1)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], any_row.view(np.int8), [0]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _faces_under(maps: FixedMaps, where: np.ndarray, tile: int) -> list[int]:
    """Faces whose canvas tiles the maps sample at the pixels ``where``."""
    per_row = 1 if 6 * tile < CV_LIMIT else 3
    xy = maps.xy[where]  # (n, 2) integer canvas coordinates
    face = (xy[:, 1].astype(np.int64) // tile) * per_row + xy[:, 0] // tile
    return [int(f) for f in np.flatnonzero(np.bincount(face, minlength=6))]


def _check_faces_array(faces: np.ndarray, name: str) -> None:
    if not isinstance(faces, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(faces).__name__}")
    if faces.ndim not in (3, 4) or faces.shape[1] != faces.shape[2]:
        raise ValueError(f"{name} must have shape (k, S, S) or (k, S, S, C), got {faces.shape}")
    check_dtype(faces, name)


def _output(
    out: np.ndarray | None, height: int, width: int, channels: int, dtype: np.dtype,
    squeeze: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """``(out, target)``: what is returned and its ``(H, W, C)`` view."""
    if out is None:
        target = np.zeros((height, width, channels), dtype=dtype)
        return (target[..., 0] if squeeze else target), target
    expected = (height, width) if squeeze else (height, width, channels)
    if out.shape != expected or out.dtype != dtype:
        raise ValueError(
            f"out must have shape {expected} and dtype {dtype}, got {out.shape} {out.dtype}"
        )
    return out, _as_hwc(out)


def _check_erp_size(height: int, width: int) -> tuple[int, int]:
    height = check_positive_int(height, "height")
    width = check_positive_int(width, "width")
    if width != 2 * height:
        raise ValueError(f"output must be 2:1 (W == 2 * H), got {width}x{height}")
    if width >= CV_LIMIT:
        raise ValueError(f"output width must be below {CV_LIMIT}, got {width}")
    return height, width


def _write_erp(
    canvas_for: Callable[[list[int]], np.ndarray],
    target: np.ndarray,
    face_size: int,
    rotation: np.ndarray | None,
    interpolation: str,
    mask: np.ndarray | None,
) -> None:
    """Resample a face canvas into ``target`` ``(H, W, C)``: everywhere, or only where ``mask``.

    ``canvas_for(face_ids)`` returns the canvas with (at least) those faces padded in place.
    """
    height, width = target.shape[:2]
    key = ("cube_to_erp", height, width, face_size, rotation_key(rotation), interpolation)
    if mask is None:
        canvas = canvas_for(list(range(6)))
        for (r0, r1), block in _erp_plan(height, width, face_size, rotation, interpolation):
            remap(canvas, block.maps, target[r0:r1])
        return

    runs = _masked_row_runs(mask)
    if not runs:
        return
    cached = map_cache.peek(key)
    # Pieces: (rows, cols, maps, face bits, whether every pixel of the piece is masked).
    pieces: list[tuple[int, int, int, int, FixedMaps, int, bool]] = []
    for r0, r1 in runs:
        full = _all_true(mask[r0:r1])
        if full:
            c0, c1 = 0, width
        else:
            cols = np.flatnonzero(mask[r0:r1].any(axis=0))
            c0, c1 = int(cols[0]), int(cols[-1]) + 1
        if cached is not None:
            for a, b, maps, bits in _cached_pieces(cached, r0, r1, c0, c1):
                pieces.append((a, b, c0, c1, maps, bits, full))
            continue

        def build(r0: int = r0, r1: int = r1, c0: int = c0, c1: int = c1) -> _ErpBlock:
            return _erp_block(height, width, face_size, rotation, interpolation,
                              (r0, r1), (c0, c1))

        block = (map_cache.get_or_build((*key, "band", r0, r1, c0, c1), build)
                 if _cacheable(height, width) else build())
        bits = int(np.bitwise_or.reduce(block.row_faces))
        pieces.append((r0, r1, c0, c1, block.maps, bits, full))
    tile = face_size + 2 * write_back_pad(interpolation)
    needed: set[int] = set()
    for r0, r1, c0, c1, maps, bits, full in pieces:
        # Row bits cover whole rows; a partial band is resolved from the maps themselves.
        needed |= set(_faces_in(bits) if full else
                      _faces_under(maps, mask[r0:r1, c0:c1], tile))
    canvas = canvas_for(sorted(needed))
    for r0, r1, c0, c1, maps, _, full in pieces:
        dst = target[r0:r1, c0:c1]
        if full:
            remap(canvas, maps, dst)
        else:
            np.copyto(dst, remap(canvas, maps), where=mask[r0:r1, c0:c1, None])


def _all_true(mask: np.ndarray) -> bool:
    """``mask.all()``, eight pixels per step where the layout allows."""
    if mask.shape[1] % 8 == 0 and mask.flags.c_contiguous:
        return bool((mask.view(np.uint64) == np.uint64(0x0101010101010101)).all())
    return bool(mask.all())


def cube_to_erp(
    faces: np.ndarray,
    height: int,
    width: int,
    *,
    rotation: RotationLike = None,
    interpolation: str = "bilinear",
    mask: np.ndarray | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Resample six cube faces back to an equirectangular panorama.

    Args:
        faces: ``(6, S, S)`` or ``(6, S, S, C)`` unpadded faces in ``FACE_ORDER``; uint8, uint16
            or float32.
        height: output height ``H``.
        width: output width ``W == 2 * H``.
        rotation: the rotation the faces were made with (see ``erp_to_cube``).
        interpolation: ``"nearest"``, ``"bilinear"``, ``"bicubic"`` or ``"lanczos"``.
        mask: optional ``(H, W)`` bool; only pixels where it is True are computed and written.
            Work is proportional to the rows the mask touches, not to the panorama.
        out: optional ``(H, W[, C])`` array to write into (same dtype as ``faces``); pixels
            outside ``mask`` are left as they are. By default a new zeroed array.

    Returns:
        ``(H, W)`` or ``(H, W, C)`` panorama (``out`` if given), same dtype as ``faces``.

    Raises:
        ValueError: bad shapes or sizes, ``W != 2 * H``, mask or ``out`` of the wrong shape.
        TypeError: unsupported dtype.

    Convention: see :mod:`pano_inpaint.geometry.conventions`.

    Example:
        >>> faces = np.ones((6, 16, 16, 3), np.float32)
        >>> cube_to_erp(faces, 32, 64).shape
        (32, 64, 3)
    """
    _check_faces_array(faces, "faces")
    if faces.shape[0] != 6:
        raise ValueError(f"faces must have shape (6, S, S) or (6, S, S, C), got {faces.shape}")
    height, width = _check_erp_size(height, width)
    check_interpolation(interpolation)
    face_size = faces.shape[1]
    pad = write_back_pad(interpolation)
    if 3 * (face_size + 2 * pad) >= CV_LIMIT:
        raise ValueError(f"face size {face_size} is too large (at most {CV_LIMIT // 3 - 10})")
    squeeze = faces.ndim == 3
    src = faces[..., None] if squeeze else faces
    out, target = _output(out, height, width, src.shape[3], faces.dtype, squeeze)
    if mask is not None:
        mask = check_mask(mask, height, width)

    def canvas_for(ids: list[int]) -> np.ndarray:
        tile = face_size + 2 * pad
        if 6 * tile >= CV_LIMIT:
            return _canvas_from(pad_cube_faces(src, pad, face_ids=ids), ids, pad)
        # One column of tiles: pad each face straight into its place, no second copy.
        canvas = np.empty((6, tile, tile, src.shape[3]), dtype=src.dtype)
        pad_cube_faces(src, pad, face_ids=ids, interpolation=interpolation,
                       out=[canvas[face] for face in ids])
        return canvas.reshape(6 * tile, tile, src.shape[3])

    _write_erp(canvas_for, target, face_size, as_rotation(rotation), interpolation, mask)
    return out


def tiles_to_erp(
    tiles: np.ndarray,
    face_ids: Sequence[int | str],
    pad: int,
    height: int,
    width: int,
    *,
    rotation: RotationLike = None,
    interpolation: str = "bilinear",
    mask: np.ndarray,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Write masked panorama pixels from cube-padded tiles of some faces (no re-padding).

    The tiles' own borders serve as the context across each cube edge, so tiles whose borders
    were refreshed with ``repad_cube_faces`` are written back exactly as they agree.

    Args:
        tiles: ``(k, S + 2 pad, S + 2 pad[, C])`` padded faces.
        face_ids: the face of each tile.
        pad: the tiles' padding; at least what ``interpolation`` reaches (1 for bilinear).
        height, width: panorama size.
        rotation: the rotation the tiles were made with.
        interpolation: as in ``cube_to_erp``.
        mask: ``(H, W)`` bool: pixels to write. They must all fall on the given faces.
        out: array to write into (``(H, W[, C])``, tiles' dtype); new zeroed array if None.

    Returns:
        ``out``.

    Raises:
        ValueError: bad shapes, too little padding, or masked pixels on faces not given.

    Example:
        >>> from pano_inpaint.masks import nadir_mask
        >>> tiles = np.ones((1, 20, 20), np.uint8)
        >>> int(tiles_to_erp(tiles, [5], 2, 32, 64, mask=nadir_mask(32, 64, 30)).sum())
        320
    """
    _check_faces_array(tiles, "tiles")
    ids = check_face_ids(face_ids)
    if len(ids) != tiles.shape[0] or len(set(ids)) != len(ids):
        raise ValueError(f"need one distinct face id per tile, got {ids} for {tiles.shape[0]}")
    height, width = _check_erp_size(height, width)
    check_interpolation(interpolation)
    need = write_back_pad(interpolation)
    face_size = tiles.shape[1] - 2 * pad
    if pad < need or face_size < 1:
        raise ValueError(f"{interpolation} write-back needs tiles padded by >= {need}, got {pad}")
    squeeze = tiles.ndim == 3
    src = tiles[..., None] if squeeze else tiles
    out, target = _output(out, height, width, src.shape[3], tiles.dtype, squeeze)
    mask = check_mask(mask, height, width)
    crop = slice(pad - need, pad + face_size + need)

    def canvas_for(wanted: list[int]) -> np.ndarray:
        missing = sorted(set(wanted) - set(ids))
        if missing:
            raise ValueError(
                f"masked pixels fall on faces {missing} that have no tile (tiles: {ids})"
            )
        order = [ids.index(f) for f in wanted]
        return _canvas_from(src[order][:, crop, crop], wanted, need)

    _write_erp(canvas_for, target, face_size, as_rotation(rotation), interpolation, mask)
    return out


def _cached_pieces(
    plan: list[tuple[tuple[int, int], _ErpBlock]], r0: int, r1: int, c0: int, c1: int
) -> list[tuple[int, int, FixedMaps, int]]:
    """Views of a cached full plan covering rows ``[r0, r1)`` x cols ``[c0, c1)``: one piece
    per cached strip, so nothing is copied."""
    pieces = []
    for (s0, s1), block in plan:
        a, b = max(r0, s0), min(r1, s1)
        if a < b:
            maps = block.maps.crop(slice(a - s0, b - s0), slice(c0, c1))
            bits = int(np.bitwise_or.reduce(block.row_faces[a - s0 : b - s0]))
            pieces.append((a, b, maps, bits))
    return pieces

"""The padded cube one hole region is filled on: its rotation, faces, size and resampling.

Convention: see :mod:`pano_inpaint.geometry.conventions`. ``rotation`` maps panorama directions
to the cube frame as in :func:`pano_inpaint.geometry.cubemap.erp_to_cube`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pano_inpaint.config import ConfigError, CubeConfig
from pano_inpaint.generators.base import COVERED_FACE, Generator, padding_of
from pano_inpaint.geometry._remap import margin_of
from pano_inpaint.geometry.cubemap import (
    erp_to_cube,
    prepare_erp_to_cube,
    tiles_to_erp,
    write_back_pad,
)
from pano_inpaint.masks import dilate_mask
from pano_inpaint.pipeline.regions import Region, face_cover, plan_cube

__all__ = [
    "RegionCube", "check_write_back_pad", "covered_face_pad", "cube_interpolation",
    "face_size_and_pad",
    "kernel_reach", "native_face_size", "write_interpolation",
]

_DEFAULT_PAD_FRACTION = 1 / 8
_DEFAULT_INTERPOLATION = "bilinear"
_HOLE_INTERPOLATION = "bilinear"  # hole maps: any weight on the grown hole marks a pixel


def native_face_size(width: int) -> int:
    """Face size whose centre pixels span the same angle as the panorama's pixels: ``W / pi``
    (a face is 2 tangent units across, an equirectangular pixel ``2 pi / W`` radians), rounded
    up to a multiple of 8.

    Example:
        >>> native_face_size(4096)
        1304
    """
    return int(np.ceil(width / np.pi / 8) * 8)


def face_size_and_pad(config: CubeConfig, width: int, generator: Generator) -> tuple[int, int]:
    """Face size and cube padding for a panorama ``width`` wide: the config's, or on ``auto``
    the native face size and the generator's preferred padding (``pad_fraction`` of the face).

    Raises:
        ValueError: a face smaller than 8 pixels.
        ConfigError: a face larger than the panorama is wide, a ``cube.pad`` larger than the
            face size, or narrower than the write-back's kernel reaches (found here, not after
            the first region's fill).
    """
    face_size = native_face_size(width) if config.face_size == "auto" else int(config.face_size)
    if face_size < 8:
        raise ValueError(f"face size {face_size} is too small (panorama width {width})")
    if face_size > width:  # 16384 on a 128-wide panorama: minutes and 19 GB of faces
        raise ConfigError(f"cube.face_size={face_size} is larger than the {width}-pixel-wide "
                          f"panorama (its faces are {native_face_size(width)} at native "
                          f"resolution): they would only be enlarged; use at most {width}, "
                          "or 'auto'")
    if config.pad == "auto":
        fraction = float(getattr(generator, "pad_fraction", _DEFAULT_PAD_FRACTION))
        return face_size, padding_of(face_size, fraction)
    if config.pad > face_size:
        raise ConfigError(f"cube.pad={config.pad} is larger than the face size {face_size} of a "
                          f"{width}-pixel-wide panorama; use at most {face_size}, or 'auto'")
    check_write_back_pad(config, generator)
    return face_size, int(config.pad)


def covered_face_pad(region: Region, rotation: np.ndarray | None, face_ids: Sequence[int],
                     face_size: int, pad: int, config: CubeConfig, generator: Generator) -> int:
    """The padding of a region's cube: ``pad``, or the generator's ``covered_face_pad_fraction``
    of the face where that is wider, ``cube.pad`` is ``auto`` and the region covers
    ``COVERED_FACE`` of its main face (``face_ids[0]``) or more. Its tile then knows only what
    the padding holds: a 50-degree nadir cap leaves the down face a ring about 1.3 degrees wide
    at S / 8, 6 at S / 4."""
    fraction = getattr(generator, "covered_face_pad_fraction", None)
    if config.pad != "auto" or fraction is None or not face_ids:
        return pad
    wider = min(face_size, int(round(face_size * float(fraction))))
    if wider <= pad or face_cover(region, rotation, face_ids[0]) < COVERED_FACE:
        return pad
    return wider


def check_write_back_pad(config: CubeConfig, generator: Generator) -> None:
    """Refuse a ``cube.pad`` narrower than the write-back's kernel reaches: it depends on the
    generator, not on the panorama, so it is checked where the generator is built
    (:func:`pano_inpaint.batch.build_generator`), before any work.

    Raises:
        ConfigError: naming the pad, the kernel and the least pad it needs.
    """
    if config.pad == "auto":
        return
    pad = int(config.pad)
    kernel = write_interpolation(config, generator, pad)
    if pad < write_back_pad(kernel):
        raise ConfigError(f"cube.pad={pad} is too narrow for the {kernel} write-back; use at "
                          f"least {write_back_pad(kernel)}, or 'auto'")


def cube_interpolation(config: CubeConfig, generator: Generator) -> str:
    """The config's resampling, or on ``auto`` the generator's preference."""
    if config.interpolation == "auto":
        return getattr(generator, "interpolation", _DEFAULT_INTERPOLATION)
    return config.interpolation


def write_interpolation(config: CubeConfig, generator: Generator, pad: int) -> str:
    """The resampling of the filled tiles back into the panorama: the config's, or on ``auto``
    the generator's ``write_interpolation`` (its sampling's if it names none, or if tiles padded
    by ``pad`` are too narrow for that kernel)."""
    sampling = cube_interpolation(config, generator)
    if config.interpolation != "auto":
        return sampling
    wanted = getattr(generator, "write_interpolation", sampling)
    return wanted if pad >= write_back_pad(wanted) else sampling


def kernel_reach(interpolation: str) -> int:
    """Panorama pixels an ``interpolation`` kernel reaches beyond the bilinear 2 x 2."""
    return margin_of(interpolation) - margin_of("bilinear")


@dataclass(frozen=True)
class RegionCube:
    """Where one region is filled: the cube rotated to put it at a face centre, the faces (in
    ``FACE_ORDER`` numbers) whose padded tiles it touches, and how pixels are resampled: to the
    tiles with ``interpolation``, back with ``write_with`` (the same if None)."""

    rotation: np.ndarray | None
    face_ids: list[int]
    face_size: int
    pad: int
    interpolation: str
    write_with: str | None = None

    @classmethod
    def plan(cls, region: Region, shape: tuple[int, int], face_size: int, pad: int,
             config: CubeConfig, generator: Generator) -> RegionCube:
        """The cube for ``region`` of an ``(H, W)`` panorama (see :func:`plan_cube`), padded by
        ``pad``, or wider where the region covers nearly all of its face
        (:func:`covered_face_pad`)."""
        rotation, face_ids = plan_cube(
            region, *shape, face_size, pad,
            rotate=config.rotate, min_rotation_degrees=config.min_rotation_degrees,
        )
        wider = covered_face_pad(region, rotation, face_ids, face_size, pad, config, generator)
        if wider > pad:
            # The faces in the same order, those the wider tiles reach after them: a generator
            # may fill the same tiles cut back to ``pad`` first (PatchMatch), as it would have.
            _, reached = plan_cube(
                region, *shape, face_size, wider,
                rotate=config.rotate, min_rotation_degrees=config.min_rotation_degrees,
            )
            pad, face_ids = wider, face_ids + [f for f in reached if f not in face_ids]
        return cls(rotation, face_ids, face_size, pad, cube_interpolation(config, generator),
                   write_interpolation(config, generator, pad))

    @property
    def tile_size(self) -> int:
        return self.face_size + 2 * self.pad

    @property
    def up(self) -> tuple[float, float, float]:
        """The panorama's up direction (+y, towards the zenith) in the cube's frame: the
        rotation maps cube directions to the panorama's, so it is the rotation's second row."""
        if self.rotation is None:
            return (0.0, 1.0, 0.0)
        row = np.asarray(self.rotation, np.float64)[1]
        return (float(row[0]), float(row[1]), float(row[2]))

    def prepare(self, shape: tuple[int, int], face_ids: Sequence[int], *,
                holes: bool = True) -> None:
        """Build the maps both :meth:`sample` and :meth:`hole_tiles` (or with ``holes=False``
        :meth:`sample` only) will use on ``face_ids`` of an ``(H, W)`` panorama in one go:
        their directions are computed once, the faces' strips spread over threads."""
        if not face_ids:
            return
        interpolations = (self.interpolation, _HOLE_INTERPOLATION) if holes else (
            self.interpolation,)
        prepare_erp_to_cube(*shape, self.face_size, pad=self.pad, rotation=self.rotation,
                            interpolations=interpolations, face_ids=face_ids)

    def sample(self, erp: np.ndarray, face_ids: Sequence[int]) -> np.ndarray:
        """``(k, P, P, C)`` padded tiles of ``erp`` (native dtype) for ``face_ids``."""
        tiles = erp_to_cube(erp, self.face_size, pad=self.pad, rotation=self.rotation,
                            face_ids=face_ids, interpolation=self.interpolation)
        return tiles[..., None] if tiles.ndim == 3 else tiles

    @property
    def reach(self) -> int:
        """Panorama pixels the interpolation kernel reaches beyond the bilinear 2 x 2."""
        return kernel_reach(self.interpolation)

    def hole_tiles(self, hole: np.ndarray, face_ids: Sequence[int], *,
                   grown: np.ndarray | None = None) -> np.ndarray:
        """``(k, P, P)`` bool: tile pixels whose interpolation kernel touches a hole pixel of
        ``hole`` (``(H, W)`` bool): their sampled values hold some of the hole, so they are
        unknown too.

        Exactly those: a bilinear kernel reaches the 2 x 2 panorama pixels around a sample
        point, a wider one ``reach`` pixels further each way, so the hole is grown by that reach
        in the panorama (a square, across the wrap line and the poles) and sampled bilinearly;
        a pixel is marked wherever any weight falls on the grown hole (sampled as float, so no
        small weight is rounded away). ``grown``: that grown hole, worked out by the caller
        (:func:`~pano_inpaint.pipeline.footprint.sampling_hole` leaves thin parts ungrown).
        """
        if grown is None:
            grown = dilate_mask(hole, self.reach, footprint="square")
        # As float, written on the grown hole's rows only: np.zeros leaves the other rows to
        # the system's zero pages, which the faces away from the hole never touch.
        rows = np.flatnonzero(grown.any(axis=1))
        as_float = np.zeros(grown.shape, np.float32)
        if rows.size:
            as_float[rows[0] : rows[-1] + 1] = grown[rows[0] : rows[-1] + 1]
        weight = erp_to_cube(as_float, self.face_size, pad=self.pad,
                             rotation=self.rotation, face_ids=face_ids,
                             interpolation=_HOLE_INTERPOLATION)
        return weight > 0

    def write_back(self, tiles: np.ndarray, mask: np.ndarray, out: np.ndarray) -> None:
        """Resample ``(k, P, P, C)`` native ``tiles`` into the pixels of ``out`` (``(H, W)`` or
        ``(H, W, C)``, in place) where ``mask`` is True; no other pixel is written."""
        height, width = mask.shape
        target = out[..., None] if out.ndim == 2 else out
        tiles_to_erp(tiles, self.face_ids, self.pad, height, width, rotation=self.rotation,
                     interpolation=self.write_with or self.interpolation, mask=mask, out=target)

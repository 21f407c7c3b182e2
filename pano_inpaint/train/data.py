"""Training cubes: six faces of a randomly turned panorama, with holes from the evaluation's mask
families, drawn the way the pipeline will later present them to the network.

Sources. Every image in the data folders whose width is twice its height is a panorama; every other
image (at least ``MIN_PHOTO_SIZE`` on its short side) is an ordinary photo. A photo becomes a
pseudo-panorama: a random crop, mirrored side by side so the width wraps around without a step,
stretched to 2:1. Its geometry is wrong (the poles pinch its first and last rows), but locally it is
natural texture, continuous across every cube edge, which is what the network must learn to extend.
Files matching ``DataConfig.exclude`` (the training configs name the ``vrview_*`` panoramas of
``../shared``, whose nadirs are old smeared fills) are never read.

One cube. A mask family is drawn (weights in the config) and the hole is drawn on the sphere in the
scene frame (nadir = down). The scene is the panorama turned by a random yaw, or with probability
``content_rotation`` by a random rotation, so ground holes mostly land on ground, but not always;
a photo's pseudo-panorama is always turned at random, so its pinched poles rarely meet the hole.
The cube frame is, with probability ``centre_hole``, the pipeline's own choice (the rotation that
puts the hole's centroid at the centre of a face, :func:`rotation_to_center`), otherwise random.
Faces are sampled with ``erp_to_cube`` from a copy of the panorama reduced to ``4 S k`` columns,
``k`` uniform in ``[min_scale, max_scale]`` (area averaging, no aliasing); the hole is every face
pixel that interpolates a hole pixel, as in the pipeline.

Everything random comes from one ``numpy.random.Generator``, so a seed fixes the whole stream.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatch
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from pano_inpaint.geometry.cubemap import erp_to_cube
from pano_inpaint.geometry.rotation import rotation_to_center
from pano_inpaint.geometry.sphere import erp_directions, face_pixel_to_xyz, xyz_to_erp_pixel
from pano_inpaint.io import list_images, read_rgb
from pano_inpaint.masks import MASK_FAMILIES
from pano_inpaint.train.config import DataConfig
from pano_inpaint.values import ToneMap

__all__ = [
    "MIN_PHOTO_SIZE",
    "CubeBatch",
    "CubeSampler",
    "Source",
    "find_sources",
    "random_rotation",
    "sample_panorama",
]

log = logging.getLogger(__name__)

MIN_PHOTO_SIZE = 256
_MAX_PANORAMA_WIDTH = 2048  # panoramas are kept in memory at most this wide
_WIDTH_STEP = 64  # reduced copies are cached at multiples of this width


@dataclass
class Source:
    """One training image, kept in memory as 8-bit RGB."""

    path: Path
    pixels: np.ndarray  # (H, W, 3) uint8
    panorama: bool


@dataclass
class CubeBatch:
    """``B`` cubes: ``image`` ``(B*6, S, S, 3)`` float32 in [0, 1], ``mask`` ``(B*6, S, S)`` bool
    (True = hole), faces in ``FACE_ORDER``; ``families`` names the mask family of each cube."""

    image: np.ndarray
    mask: np.ndarray
    families: list[str]


def _to_uint8(pixels: np.ndarray) -> np.ndarray:
    if pixels.dtype == np.uint8:
        return pixels
    if pixels.dtype == np.uint16:
        return (pixels >> 8).astype(np.uint8)
    # float: the pipeline's own tone map, so the network sees HDR as the pipeline shows it
    proxy = ToneMap.for_image(pixels, hdr=True).to_proxy(pixels)
    return np.clip(proxy * 255 + 0.5, 0, 255).astype(np.uint8)


def find_sources(dirs: list[str | Path], exclude: tuple[str, ...] = ()) -> list[Source]:
    """Read every usable image directly inside ``dirs``.

    Raises:
        FileNotFoundError: a folder that does not exist, or no usable image at all.
    """
    sources: list[Source] = []
    for folder in dirs:
        for path in list_images(folder):
            if any(fnmatch(path.name, pattern) for pattern in exclude):
                log.info("excluded %s", path.name)
                continue
            try:
                pixels = _to_uint8(read_rgb(path))
            except (OSError, ValueError) as exc:
                log.warning("skipping %s: %s", path.name, exc)
                continue
            height, width = pixels.shape[:2]
            panorama = width == 2 * height
            if panorama and width > _MAX_PANORAMA_WIDTH:
                size = (_MAX_PANORAMA_WIDTH, _MAX_PANORAMA_WIDTH // 2)
                pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
            elif not panorama and min(height, width) < MIN_PHOTO_SIZE:
                log.info("skipping %s: smaller than %d px", path.name, MIN_PHOTO_SIZE)
                continue
            sources.append(Source(path, np.ascontiguousarray(pixels), panorama))
    if not sources:
        raise FileNotFoundError(f"no usable training image in {', '.join(map(str, dirs))}")
    return sources


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A uniformly random rotation matrix (QR of a Gaussian matrix, sign-fixed).

    Example:
        >>> q = random_rotation(np.random.default_rng(0))
        >>> bool(np.allclose(q @ q.T, np.eye(3))), bool(np.isclose(np.linalg.det(q), 1.0))
        (True, True)
    """
    q, r = np.linalg.qr(rng.standard_normal((3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def _yaw(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


@lru_cache(maxsize=8)
def _cube_directions(face_size: int) -> np.ndarray:
    """Directions of every pixel centre of the six faces, ``(6, S, S, 3)`` float32 (cached)."""
    ys, xs = np.mgrid[0:face_size, 0:face_size].astype(np.float32)
    faces = np.arange(6)[:, None, None]
    xyz = face_pixel_to_xyz(faces, xs[None], ys[None], face_size)  # (6, S, S, 3)
    xyz.setflags(write=False)
    return xyz


def _pyramid(pixels: np.ndarray, smallest: int = _WIDTH_STEP) -> list[np.ndarray]:
    """``pixels`` and its area-halved copies while both sides stay >= ``smallest``."""
    levels = [pixels]
    while min(levels[-1].shape[:2]) >= 2 * smallest:
        h, w = levels[-1].shape[:2]
        levels.append(cv2.resize(levels[-1], (w // 2, h // 2), interpolation=cv2.INTER_AREA))
    return levels


def _level_for(width: float, wanted: float, levels: int) -> int:
    """The pyramid level whose width is in ``[wanted, 2 wanted)`` (level 0 when narrower)."""
    return int(np.clip(np.floor(np.log2(max(width / wanted, 1.0))), 0, levels - 1))


def _bilinear(image: np.ndarray, rows: Callable[[np.ndarray], np.ndarray],
              cols: Callable[[np.ndarray], np.ndarray], y: np.ndarray, x: np.ndarray
              ) -> np.ndarray:
    """Bilinear samples of ``image`` ``(H, W, C)`` at float pixel coordinates ``y, x``
    (``(...)``, pixel centres at integers); ``rows``/``cols`` map integer coordinates into the
    image (wrap, mirror, clamp). Returns ``(..., C)`` float32 in the image's units."""
    y0, x0 = np.floor(y), np.floor(x)
    fy, fx = (y - y0).astype(np.float32)[..., None], (x - x0).astype(np.float32)[..., None]
    y0, x0 = y0.astype(np.int64), x0.astype(np.int64)
    r0, r1, c0, c1 = rows(y0), rows(y0 + 1), cols(x0), cols(x0 + 1)
    width = image.shape[1]
    flat = image.reshape(-1, image.shape[2])

    def at(r: np.ndarray, c: np.ndarray) -> np.ndarray:
        return flat[r * width + c].astype(np.float32)

    top = at(r0, c0) * (1 - fx) + at(r0, c1) * fx
    bottom = at(r1, c0) * (1 - fx) + at(r1, c1) * fx
    return top * (1 - fy) + bottom * fy


def sample_panorama(pixels: np.ndarray, rotation: np.ndarray, face_size: int) -> np.ndarray:
    """The six faces of a panorama seen from a turned cube, by one vectorised bilinear gather.

    Args:
        pixels: ``(H, W, C)`` panorama (any dtype), ``W == 2 H``.
        rotation: ``(3, 3)``: face ``f`` shows the panorama around ``rotation @ FACE_CENTER[f]``
            (as :func:`~pano_inpaint.geometry.cubemap.erp_to_cube`).
        face_size: ``S``.

    Returns:
        ``(6, S, S, C)`` float32. Columns wrap around; rows are clamped at the poles (the
        kernel's half pixel over a pole reads the pole row, where ``erp_to_cube`` reads across
        it: the only difference from ``erp_to_cube(..., interpolation="bilinear")``).

    Convention: see :mod:`pano_inpaint.geometry.conventions`.
    """
    height, width = pixels.shape[:2]
    xyz = _cube_directions(face_size) @ rotation.T.astype(np.float32)  # (6, S, S, 3)
    x, y = xyz_to_erp_pixel(xyz, height, width)
    return _bilinear(pixels.reshape(height, width, -1), lambda r: np.clip(r, 0, height - 1),
                     lambda c: np.mod(c, width), y, x)


class CubeSampler:
    """Draws :class:`CubeBatch` es from the sources (deterministic given the generator).

    ``render="gather"`` (default) samples each cube in one vectorised bilinear gather from a
    per-source area pyramid (the level whose width is within 2x of the drawn ``4 S k``), photos
    mirrored and cropped by index arithmetic, never copied. ``render="remap"`` is the first
    version (a reduced copy of the scene, then ``erp_to_cube``), kept as the benchmark's
    reference.
    """

    def __init__(self, sources: list[Source], config: DataConfig, *,
                 render: str = "gather") -> None:
        unknown = sorted(set(config.families) - set(MASK_FAMILIES))
        if unknown:
            raise ValueError(f"unknown mask families {unknown}; known: {', '.join(MASK_FAMILIES)}")
        if render not in ("gather", "remap"):
            raise ValueError(f"render must be 'gather' or 'remap', got {render!r}")
        self.config, self.render = config, render
        self.panoramas = [s for s in sources if s.panorama]
        self.photos = [s for s in sources if not s.panorama]
        names = [n for n, w in config.families.items() if w > 0]
        weights = np.array([config.families[n] for n in names], np.float64)
        self.family_names, self.family_weights = names, weights / weights.sum()
        self._reduced: dict[tuple[int, int], np.ndarray] = {}
        # built here, once: worker processes forked later share them instead of each building
        # its own (and run no OpenCV thread pool after the fork)
        self._pyramids = {id(s): _pyramid(s.pixels) for s in sources} if render == "gather" else {}

    def _pyramid_of(self, source: Source) -> list[np.ndarray]:
        return self._pyramids[id(source)]

    def _panorama_at(self, index: int, width: int) -> np.ndarray:
        key = (index, width)
        if key not in self._reduced:
            pixels = self.panoramas[index].pixels
            if pixels.shape[1] != width:
                interp = cv2.INTER_AREA if pixels.shape[1] > width else cv2.INTER_CUBIC
                pixels = cv2.resize(pixels, (width, width // 2), interpolation=interp)
            self._reduced[key] = pixels
        return self._reduced[key]

    def _photo_crop(self, rng: np.random.Generator) -> tuple[Source, float, int, int, bool, bool]:
        photo = self.photos[int(rng.integers(len(self.photos)))]
        height_px, width_px = photo.pixels.shape[:2]
        side = int(min(height_px, width_px) * rng.uniform(0.5, 1.0))
        y0 = int(rng.integers(height_px - side + 1))
        x0 = int(rng.integers(width_px - side + 1))
        flip_x, flip_y = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
        return photo, side, y0, x0, flip_x, flip_y

    def _photo_panorama(self, rng: np.random.Generator, width: int) -> np.ndarray:
        photo, side, y0, x0, flip_x, flip_y = self._photo_crop(rng)
        crop = photo.pixels[y0 : y0 + side, x0 : x0 + side]
        if flip_x:
            crop = crop[:, ::-1]
        if flip_y:
            crop = crop[::-1]
        tile = np.concatenate([crop, crop[:, ::-1]], axis=1)  # wraps around without a step
        return cv2.resize(np.ascontiguousarray(tile), (width, width // 2),
                          interpolation=cv2.INTER_AREA if side > width // 2 else cv2.INTER_CUBIC)

    def _scene_width(self, rng: np.random.Generator, face_size: int) -> int:
        scale = rng.uniform(self.config.min_scale, self.config.max_scale)
        return max(_WIDTH_STEP, int(round(4 * face_size * scale / _WIDTH_STEP)) * _WIDTH_STEP)

    def _use_panorama(self, rng: np.random.Generator) -> bool:
        return bool(self.panoramas) and (not self.photos
                                         or rng.random() < self.config.panorama_share)

    def _scene(self, rng: np.random.Generator, face_size: int) -> tuple[np.ndarray, bool]:
        width = self._scene_width(rng, face_size)
        if self._use_panorama(rng):
            return self._panorama_at(int(rng.integers(len(self.panoramas))), width), True
        return self._photo_panorama(rng, width), False

    def _gather_panorama(self, rng: np.random.Generator, width: int, rotation: np.ndarray,
                         face_size: int) -> np.ndarray:
        levels = self._pyramid_of(self.panoramas[int(rng.integers(len(self.panoramas)))])
        level = levels[_level_for(levels[0].shape[1], width, len(levels))]
        return sample_panorama(level, rotation, face_size)

    def _gather_photo(self, rng: np.random.Generator, width: int, rotation: np.ndarray,
                      face_size: int) -> np.ndarray:
        """The photo's pseudo-panorama (crop, flips, mirrored copy beside it: a ``side`` x
        ``2 side`` tile stretched to 2:1) sampled without building it: tile coordinates are
        mapped back into the photo's pyramid level."""
        photo, side, y0, x0, flip_x, flip_y = self._photo_crop(rng)
        levels = self._pyramid_of(photo)
        index = _level_for(2 * side, width, len(levels))
        level, shrink = levels[index], 2**index
        side_l = max(1, side // shrink)
        y0_l = min(y0 // shrink, level.shape[0] - side_l)
        x0_l = min(x0 // shrink, level.shape[1] - side_l)
        xyz = _cube_directions(face_size) @ rotation.T.astype(np.float32)  # (6, S, S, 3)
        x, y = xyz_to_erp_pixel(xyz, side_l, 2 * side_l)  # tile coordinates

        def rows(r: np.ndarray) -> np.ndarray:
            r = np.clip(r, 0, side_l - 1)
            return y0_l + (side_l - 1 - r if flip_y else r)

        def cols(c: np.ndarray) -> np.ndarray:
            c = np.mod(c, 2 * side_l)
            c = np.where(c < side_l, c, 2 * side_l - 1 - c)  # the mirrored half
            return x0_l + (side_l - 1 - c if flip_x else c)

        return _bilinear(level, rows, cols, y, x)

    def _cube_frame(self, rng: np.random.Generator, hole: np.ndarray) -> np.ndarray:
        """Cube-to-scene rotation: the pipeline's hole-centring one, or a random one."""
        if rng.random() >= self.config.centre_hole or not hole.any():
            return random_rotation(rng)
        xyz = erp_directions(*hole.shape)
        weight = np.cos(np.arcsin(np.clip(xyz[..., 1], -1, 1)))[hole]
        centroid = (xyz[hole] * weight[:, None]).sum(axis=0)
        if np.linalg.norm(centroid) < 1e-6:
            return np.eye(3)
        rotation, _ = rotation_to_center(centroid)
        return rotation

    def cube(self, rng: np.random.Generator, face_size: int) -> tuple[np.ndarray, np.ndarray, str]:
        """One cube: ``(6, S, S, 3)`` float32, ``(6, S, S)`` bool, mask family."""
        family = str(rng.choice(self.family_names, p=self.family_weights))
        mask_height = 2 * face_size
        hole = MASK_FAMILIES[family](mask_height, 2 * mask_height, rng)
        frame = self._cube_frame(rng, hole)
        content = _yaw(rng.uniform(-np.pi, np.pi))
        if self.render == "remap":
            scene, panorama = self._scene(rng, face_size)
            # a photo's pseudo-panorama pinches at its poles: turn them away from the hole
            if not panorama or rng.random() < self.config.content_rotation:
                content = random_rotation(rng)
            faces = erp_to_cube(scene, face_size, rotation=content @ frame)
            holes = erp_to_cube(hole.view(np.uint8) * np.uint8(255), face_size,
                                rotation=frame) > 0
            return faces.astype(np.float32) * np.float32(1 / 255), holes, family
        width = self._scene_width(rng, face_size)
        panorama = self._use_panorama(rng)
        if not panorama or rng.random() < self.config.content_rotation:
            content = random_rotation(rng)
        gather = self._gather_panorama if panorama else self._gather_photo
        faces = gather(rng, width, content @ frame, face_size)
        holes = sample_panorama(hole.view(np.uint8), frame, face_size)[..., 0] > 0
        return faces * np.float32(1 / 255), holes, family

    def batch(self, rng: np.random.Generator, face_size: int, batch_size: int) -> CubeBatch:
        cubes = [self.cube(rng, face_size) for _ in range(batch_size)]
        return CubeBatch(
            np.concatenate([c[0] for c in cubes]),  # (B*6, S, S, 3)
            np.concatenate([c[1] for c in cubes]),  # (B*6, S, S)
            [c[2] for c in cubes],
        )

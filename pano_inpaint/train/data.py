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
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import cv2
import numpy as np

from pano_inpaint.geometry.cubemap import erp_to_cube
from pano_inpaint.geometry.rotation import rotation_to_center
from pano_inpaint.geometry.sphere import erp_directions
from pano_inpaint.io import list_images, read_rgb
from pano_inpaint.masks import MASK_FAMILIES
from pano_inpaint.train.config import DataConfig
from pano_inpaint.values import ToneMap

__all__ = ["MIN_PHOTO_SIZE", "CubeBatch", "CubeSampler", "Source", "find_sources"]

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


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A uniformly random rotation matrix (QR of a Gaussian matrix, sign-fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def _yaw(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


class CubeSampler:
    """Draws :class:`CubeBatch` es from the sources (deterministic given the generator)."""

    def __init__(self, sources: list[Source], config: DataConfig) -> None:
        unknown = sorted(set(config.families) - set(MASK_FAMILIES))
        if unknown:
            raise ValueError(f"unknown mask families {unknown}; known: {', '.join(MASK_FAMILIES)}")
        self.config = config
        self.panoramas = [s for s in sources if s.panorama]
        self.photos = [s for s in sources if not s.panorama]
        names = [n for n, w in config.families.items() if w > 0]
        weights = np.array([config.families[n] for n in names], np.float64)
        self.family_names, self.family_weights = names, weights / weights.sum()
        self._reduced: dict[tuple[int, int], np.ndarray] = {}

    def _panorama_at(self, index: int, width: int) -> np.ndarray:
        key = (index, width)
        if key not in self._reduced:
            pixels = self.panoramas[index].pixels
            if pixels.shape[1] != width:
                interp = cv2.INTER_AREA if pixels.shape[1] > width else cv2.INTER_CUBIC
                pixels = cv2.resize(pixels, (width, width // 2), interpolation=interp)
            self._reduced[key] = pixels
        return self._reduced[key]

    def _photo_panorama(self, rng: np.random.Generator, width: int) -> np.ndarray:
        photo = self.photos[int(rng.integers(len(self.photos)))].pixels
        height_px, width_px = photo.shape[:2]
        side = int(min(height_px, width_px) * rng.uniform(0.5, 1.0))
        y0 = int(rng.integers(height_px - side + 1))
        x0 = int(rng.integers(width_px - side + 1))
        crop = photo[y0 : y0 + side, x0 : x0 + side]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        if rng.random() < 0.5:
            crop = crop[::-1]
        tile = np.concatenate([crop, crop[:, ::-1]], axis=1)  # wraps around without a step
        return cv2.resize(np.ascontiguousarray(tile), (width, width // 2),
                          interpolation=cv2.INTER_AREA if side > width // 2 else cv2.INTER_CUBIC)

    def _scene(self, rng: np.random.Generator, face_size: int) -> tuple[np.ndarray, bool]:
        scale = rng.uniform(self.config.min_scale, self.config.max_scale)
        width = max(_WIDTH_STEP, int(round(4 * face_size * scale / _WIDTH_STEP)) * _WIDTH_STEP)
        use_panorama = self.panoramas and (not self.photos
                                           or rng.random() < self.config.panorama_share)
        if use_panorama:
            return self._panorama_at(int(rng.integers(len(self.panoramas))), width), True
        return self._photo_panorama(rng, width), False

    def _cube_frame(self, rng: np.random.Generator, hole: np.ndarray) -> np.ndarray:
        """Cube-to-scene rotation: the pipeline's hole-centring one, or a random one."""
        if rng.random() >= self.config.centre_hole or not hole.any():
            return _random_rotation(rng)
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
        scene, panorama = self._scene(rng, face_size)
        # a photo's pseudo-panorama pinches at its poles: turn them away from the hole
        if not panorama or rng.random() < self.config.content_rotation:
            content = _random_rotation(rng)
        faces = erp_to_cube(scene, face_size, rotation=content @ frame)
        holes = erp_to_cube(hole.view(np.uint8) * np.uint8(255), face_size, rotation=frame) > 0
        return faces.astype(np.float32) * np.float32(1 / 255), holes, family

    def batch(self, rng: np.random.Generator, face_size: int, batch_size: int) -> CubeBatch:
        cubes = [self.cube(rng, face_size) for _ in range(batch_size)]
        return CubeBatch(
            np.concatenate([c[0] for c in cubes]),  # (B*6, S, S, 3)
            np.concatenate([c[1] for c in cubes]),  # (B*6, S, S)
            [c[2] for c in cubes],
        )

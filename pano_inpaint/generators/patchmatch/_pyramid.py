"""Scale levels of padded cube tiles, and the source bank each level searches.

A level keeps the tile's geometry: face size ``S / 2^l`` and padding ``pad / 2^l`` (rounded), so
a coarse tile is still a gnomonic view with the same field of view and can be re-padded with
:func:`~pano_inpaint.geometry.padding.repad_cube_faces` like the full-size one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from pano_inpaint._threads import thread_map
from pano_inpaint.geometry._remap import PointSampler
from pano_inpaint.geometry.conventions import FACE_CENTER, FACE_DOWN, FACE_RIGHT
from pano_inpaint.geometry.padding import cube_pad_plan

__all__ = [
    "Bank",
    "Downsampler",
    "Level",
    "RingLinks",
    "build_bank",
    "face_coords",
    "face_frames",
    "level_plan",
    "valid_box",
    "with_texture_features",
]


@dataclass(frozen=True)
class Level:
    """Geometry of one scale: ``size = face_size + 2 * pad``."""

    face_size: int
    pad: int

    @property
    def size(self) -> int:
        return self.face_size + 2 * self.pad


def level_plan(face_size: int, pad: int, count: int) -> list[Level]:
    """``count`` levels, finest first, halving the face size and padding each time."""
    return [Level(max(1, round(face_size / 2**k)), round(pad / 2**k)) for k in range(count)]


class Downsampler:
    """``(N, P, P, C)`` float32 tiles, or ``(N, P, P)`` bool hole masks, area-resampled to the
    levels of a pyramid.

    Each tile is converted for resampling once for all the levels asked for at a time
    (:meth:`levels`): split into contiguous groups of at most four channels (what
    ``cv2.resize`` takes), a mask converted to float32, a mask tile without a hole skipped (its
    levels are all known). At 8K the conversions cost as much CPU as the resizing itself, every
    level. Only one tile's conversion per thread is held at a time: kept for all six tiles
    until the last level, they were as large as the tiles themselves (16K: 1.5 GB at the second
    level). The tiles are resampled on OpenCV's thread count, one tile per thread (8K: the
    levels' main-thread CPU 1.8 -> 0.4 s; the work moves to the pool, so the wall time gained is
    what a free core takes).
    """

    def __init__(self, tiles: np.ndarray) -> None:
        self.tiles = tiles
        self.is_mask = tiles.ndim == 3

    def _parts(self, i: int) -> list[np.ndarray] | None:
        """Tile ``i`` ready to resize: its float32 mask (None without a hole), or its channel
        groups."""
        tile = self.tiles[i]
        if self.is_mask:
            return [tile.astype(np.float32)] if tile.any() else None
        return [np.ascontiguousarray(tile[..., c0 : c0 + 4])
                for c0 in range(0, tile.shape[2], 4)]

    def levels(self, sizes: Sequence[int]) -> dict[int, np.ndarray]:
        """The tiles at each of ``sizes``: area-resampled values, or masks in which a pixel is
        a hole if any pixel under it is (new arrays); at their own size, the tiles themselves
        (not a copy: the solve only reads a level's tiles, and at 8K a copy of the six source
        tiles' second level cost 0.5 CPU s)."""
        n, own = self.tiles.shape[0], self.tiles.shape[1]
        out: dict[int, np.ndarray] = {}
        for size in dict.fromkeys(sizes):
            if size == own:
                out[size] = self.tiles
            elif self.is_mask:
                out[size] = np.zeros((n, size, size), bool)
            else:
                out[size] = np.empty((n, size, size, self.tiles.shape[3]), np.float32)
        smaller = {size: level for size, level in out.items() if size != own}
        if smaller:
            thread_map(lambda i: self._resize_tile(i, smaller), range(n))
        return out

    def _resize_tile(self, i: int, levels: dict[int, np.ndarray]) -> None:
        """Tile ``i`` of each of ``levels`` (``size: tiles``), written in place from one
        conversion of the tile (dropped on return)."""
        parts = self._parts(i)
        if parts is None:
            return
        for size, level in levels.items():
            if self.is_mask:
                level[i] = cv2.resize(parts[0], (size, size), interpolation=cv2.INTER_AREA) > 0
                continue
            for c0, part in zip(range(0, self.tiles.shape[3], 4), parts, strict=True):
                small = cv2.resize(part, (size, size), interpolation=cv2.INTER_AREA)
                level[i, ..., c0 : c0 + part.shape[2]] = small.reshape(size, size, part.shape[2])

    def resize(self, size: int) -> np.ndarray:
        """The tiles at ``size`` (see :meth:`levels`)."""
        return self.levels([size])[size]


def face_coords(level: Level) -> np.ndarray:
    """``(P,)`` the face-plane coordinate of each column (or row) of a padded tile's pixels:
    -1 and 1 at the face's edges, beyond them in the padding."""
    return 2 * (np.arange(level.size) - level.pad + 0.5) / level.face_size - 1


def local_scale(level: Level) -> np.ndarray:
    """``(P, P)`` gnomonic stretch ``1 + a^2 + b^2`` of each pixel of a padded tile: how much
    finer than at the face centre the tile samples the sphere there (radially; the tangential
    factor is its square root). Far into the padding the tile is an upsampled, blurred view."""
    a = face_coords(level)
    return 1 + a[:, None] ** 2 + a[None, :] ** 2


@dataclass(frozen=True)
class Bank:
    """Source tiles of one level.

    Attributes:
        image: ``(K, P, P, C)`` float32 proxy the patch distance is measured on.
        valid: ``(K, P, P)`` bool, where a source patch may be centred.
        boxes: ``(K, 4)`` int64 ``(y0, y1, x0, x1)`` bounding box of ``valid`` per tile (empty
            tiles get a 1-pixel box and are left out of ``usable``).
        usable: indices of the tiles holding at least one valid centre.
        geo: ``(3,)`` float64 ``(locality, face_size, pad)`` for the search prior, followed by
            ``(level, up_x, up_y, up_z)`` where the level prior applies (``_kernels._prior``).
        frames: ``(K, 3, 3)`` float64 centre, right and down vectors of each tile's face.
    """

    image: np.ndarray
    valid: np.ndarray
    boxes: np.ndarray
    usable: np.ndarray
    geo: np.ndarray
    frames: np.ndarray

    def frames_for(self, face: int) -> np.ndarray:
        """``(K + 1, 3, 3)``: the bank's frames with the target face's appended."""
        return np.concatenate([self.frames, face_frames([face])])


def face_frames(face_ids: Sequence[int]) -> np.ndarray:
    """``(k, 3, 3)`` float64 rows ``FACE_CENTER, FACE_RIGHT, FACE_DOWN`` of each face."""
    ids = list(face_ids)
    return np.ascontiguousarray(np.stack([FACE_CENTER[ids], FACE_RIGHT[ids], FACE_DOWN[ids]],
                                         axis=1))


def build_bank(
    image: np.ndarray, hole: np.ndarray, face_ids: Sequence[int], level: Level, radius: int,
    max_scale: float, locality: float, level_prior: Sequence[float] = (),
) -> Bank:
    """Bank of a level: a centre is valid if its whole patch is known and inside the tile and
    the tile's stretch there is at most ``max_scale``. ``level_prior``: ``(weight, up_x,
    up_y, up_z)`` of the level prior (see ``_kernels._prior``), or empty: none."""
    size = level.size
    side = 2 * radius + 1
    kernel = np.ones((side, side), np.uint8)
    inside = np.zeros((size, size), bool)
    inside[radius : size - radius, radius : size - radius] = True
    inside &= local_scale(level) <= max_scale
    valid = np.empty(hole.shape, bool)
    boxes = np.zeros((hole.shape[0], 4), np.int64)
    usable = []
    for k, h in enumerate(hole):
        # Erosion with a constant-1 border: outside the tile counts as known, `inside` cuts it.
        known = cv2.erode((~h).astype(np.uint8), kernel, borderType=cv2.BORDER_CONSTANT,
                          borderValue=1)
        valid[k] = known.astype(bool) & inside
        boxes[k] = valid_box(valid[k])
        if valid[k].any():
            usable.append(k)
    geo = np.array([locality, level.face_size, level.pad, *level_prior], np.float64)
    return Bank(image, valid, boxes, np.array(usable, np.int64), geo, face_frames(face_ids))


def valid_box(valid: np.ndarray) -> tuple[int, int, int, int]:
    """``(y0, y1, x0, x1)``: the bounding box of a tile's ``(P, P)`` bool ``valid`` centres, or
    a 1-pixel box where it has none (the tile is then left out of the bank's ``usable``)."""
    rows = np.flatnonzero(valid.any(axis=1))
    cols = np.flatnonzero(valid.any(axis=0))
    if not rows.size:
        return 0, 1, 0, 1
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def with_texture_features(
    image: np.ndarray, hole: np.ndarray, width: int, weight: float, guide: bool = False
) -> np.ndarray:
    """``(N, P, P, C + 2)``: the tiles plus ``weight`` times their local texture energy.

    The two extra channels are the mean absolute horizontal and vertical luminance differences
    over a ``width``-pixel box, from known pixels only (Newson et al., "Non-local patch-based
    image inpainting", IPOL 2017). Downsampled, a leafy and a bare patch of ground look alike;
    with these channels the coarse scales still tell them apart, so the fill keeps the texture
    around it instead of drifting to the smoothest sources.

    In the hole the features are unknown: zeros, or with ``guide`` a smooth interpolation of
    the known ones around it. The generator keeps that guide fixed while the colours change, so
    every target patch asks for as much texture as its surroundings have (votes, which average,
    would otherwise let the expected texture fade along with the fill).
    """
    n, size = image.shape[:2]
    out = np.zeros((n, size, size, image.shape[3] + 2), np.float32)
    if weight <= 0:
        out[..., : image.shape[3]] = image
        return out
    box = (max(1, width),) * 2
    channels = image.shape[3]

    def features(i: int) -> None:
        out[i, ..., :channels] = image[i]  # on the tile's thread: a strided copy, 8K 0.3 s
        # The channel mean, summed as ``mean`` sums fewer than 8 channels (in order), at a
        # fifth of its cost.
        luma = image[i][..., 0].copy()
        for c in range(1, channels):
            luma += image[i][..., c]
        luma /= channels
        known = (~hole[i]).astype(np.float32)
        for c, axis in enumerate((1, 0)):
            step = np.abs(np.diff(luma, axis=axis, append=np.take(luma, [-1], axis=axis)))
            both = known * np.roll(known, -1, axis=axis)  # both ends of the step known
            num = cv2.boxFilter(step * both, -1, box, normalize=False)
            den = cv2.boxFilter(both, -1, box, normalize=False)
            num *= weight  # in place: weight * num / max(den, 1e-6), without temporaries
            num /= np.maximum(den, 1e-6, out=den)
            out[i, ..., channels + c] = num
        out[i][hole[i], channels:] = 0
        if guide and hole[i].any():
            out[i, ..., channels:] = _smooth_guide(out[i, ..., channels:], hole[i])

    # One tile per thread, writing only its own tile: each is computed as it would be alone,
    # so the features do not depend on the thread count.
    thread_map(features, range(n))
    return out


def _smooth_guide(features: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """``features`` with the hole filled by a smooth (Navier-Stokes) interpolation, run on a
    ~64-pixel copy. Not Telea: OpenCV's Telea on float32 input leaves wild values in the hole."""
    size = features.shape[0]
    small = max(16, min(size, 64))
    coarse = cv2.resize(features, (small, small), interpolation=cv2.INTER_AREA)
    coarse_hole = cv2.resize(hole.astype(np.float32), (small, small),
                             interpolation=cv2.INTER_AREA) > 0.5
    if coarse_hole.all():
        return features
    for c in range(coarse.shape[2]):
        coarse[..., c] = cv2.inpaint(np.ascontiguousarray(coarse[..., c]),
                                     coarse_hole.astype(np.uint8), 3, cv2.INPAINT_NS)
    up = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_LINEAR)
    out = features.copy()
    out[hole] = up[hole]
    return out


@dataclass(frozen=True)
class RingLinks:
    """Where the hole pixels of each tile's border look into another tile of the batch.

    ``links`` holds ``(i, ys, xs, j, sampler)``: border pixels ``(ys, xs)`` of tile ``i`` see the
    core of tile ``j`` at the points ``sampler`` samples (bilinear, the samples
    :func:`~pano_inpaint.geometry.padding.repad_cube_faces` takes). Refreshing only these is all
    a re-padding changes in a fill (known border pixels stay known), at a fraction of the cost.
    """

    links: tuple[tuple[int, np.ndarray, np.ndarray, int, PointSampler], ...]

    @classmethod
    def build(cls, face_ids: Sequence[int], level: Level, hole: np.ndarray) -> RingLinks:
        if level.pad == 0 or len(face_ids) < 2:
            return cls(())
        plan = cube_pad_plan(level.face_size, level.pad)
        links = []
        for i, face in enumerate(face_ids):
            open_ring = hole[i, plan.ring_y, plan.ring_x]
            for j, other in enumerate(face_ids):
                sel = open_ring & (plan.src_face[face] == other)
                if j != i and sel.any():
                    sampler = PointSampler.build(level.pad + plan.src_x[face, sel],
                                                 level.pad + plan.src_y[face, sel], "bilinear")
                    links.append((i, plan.ring_y[sel], plan.ring_x[sel], j, sampler))
        return cls(tuple(links))

    def refresh(self, tiles: np.ndarray) -> None:
        """Copy, in place, each linked border pixel from the core it looks into."""
        for i, ys, xs, j, sampler in self.links:
            tiles[i, ys, xs] = sampler(tiles[j])

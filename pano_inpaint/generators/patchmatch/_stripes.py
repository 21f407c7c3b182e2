"""One-direction textures (planks, stripes, decking, furrows) around a hole seen from above.

A plank floor repeats across its planks (their width) but not along them: the joints fall at
random, so ``_offsets`` finds no lattice (a valley of weak dips at most) and the plain search
fills the hole with pieces copied at other orientations, laying planks across each other
(St Fagans under a 40-degree cap; its search restricted to the down face's own tile, as a test,
laid them one way: the crossing pieces come from the other faces' floor). Such a texture is
straight on a face that looks at its plane from straight above (the down face for a floor, the
up face for a ceiling), and any shift along the planks keeps them in place;
:func:`find_stripes` finds the direction on the known ring around a hole, and the fill then
copies only along it (the same onion peel as along a line, ``Line.vectors``), from both ends of
each plank.

The guard. The orientation is measured with the structure tensor: each known pixel's local
tensor (gradients of the detail band, smoothed over a few pixels) normalised by its trace is
a vector ``(Txx - Tyy, 2 Txy) / (Txx + Tyy)`` whose length is how oriented the pixel's
surroundings are and whose angle is twice the gradient's. The ring's mean vector is long only
where the pixels are oriented and agree: measured on the harness's down faces, wooden floors
(St Fagans, Lebombo) 0.44-0.54, natural ground, paving, gravel, grass and water 0.01-0.12.
The ring is cut into sectors around the hole, and the texture must show the same orientation
on most of them, on every side of the hole (an object beside the hole gives one sector its
own). Finally the direction is refined: the known texture compared with itself shifted
along it by a fair share of the hole, over a few pixels across it, at two lengths; where both
find a clear best offset and agree, the direction through it (the tensor's angle is a few
degrees off: 2.6 on the test's planks), else the tensor's. On most of the photographs' floors
at 1K the planks are too faint for a clear offset and the tensor's angle is kept.
"""

from __future__ import annotations

import cv2
import numpy as np

from pano_inpaint.generators.patchmatch._offsets import _pair_msd, channel_mean

__all__ = ["find_stripes"]

_MIN_COHERENCE = 0.3  # the ring's mean orientation vector (wood 0.44-0.54, ground <= 0.12)
_SECTORS = 8  # around the hole's centre
_SECTOR_AGREE = 0.15  # a sector's vector projected on the ring's orientation ...
_SECTOR_SHARE = 0.75  # ... on at least this share of the sectors with enough ring in them
_MIN_SECTOR = 50  # ring pixels a sector needs to count
# The direction's refinement: a scan this many px each way across it, whose best offset must
# match this much better than the scan's median, at two lengths that agree within _AGREE.
_SCAN = 4
_MIN_DIP = 0.03
_AGREE = np.radians(1.5)
# Tiles wider than this are looked at reduced to it (by whole factors): the guard's and the
# refinement's widths are pixels of a 1K panorama's tile (410 px), and the detail band's mean
# (a blur of a 32nd of the tile) cost 9 of an 8K fill's 20 s at full size, to find no planks.
_WORK_SIZE = 512


def _detail(image: np.ndarray, known: np.ndarray) -> np.ndarray:
    """``(P, P)`` float32 luminance less its local mean over the known pixels (0 elsewhere)."""
    sigma = max(1.0, image.shape[0] / 32)
    weight = known.astype(np.float32)
    luma = channel_mean(image).astype(np.float32, copy=False)
    low = (cv2.GaussianBlur(luma * weight, (0, 0), sigma)
           / np.maximum(cv2.GaussianBlur(weight, (0, 0), sigma), 1e-6))
    return np.where(known, luma - low, 0).astype(np.float32)


def _orientation(detail: np.ndarray) -> np.ndarray:
    """``(P, P)`` complex64: each pixel's normalised structure tensor as ``(Txx - Tyy) + 2i Txy``
    over ``Txx + Tyy`` (angle: twice the gradient's, length: how oriented)."""
    gx = cv2.Sobel(detail, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(detail, cv2.CV_32F, 0, 1)
    txx = cv2.GaussianBlur(gx * gx, (0, 0), 2.0)
    tyy = cv2.GaussianBlur(gy * gy, (0, 0), 2.0)
    txy = cv2.GaussianBlur(gx * gy, (0, 0), 2.0)
    return ((txx - tyy) + 2j * txy) / np.maximum(txx + tyy, 1e-12)


def find_stripes(image: np.ndarray, hole: np.ndarray) -> np.ndarray | None:
    """The direction ``(dy, dx)`` (unit, float64) of a one-direction texture that surrounds
    ``hole`` (``(P, P)`` bool) on ``image`` ``(P, P, C)`` and continues across it, or None
    where the ring is not oriented, or not alike on every side of the hole. A tile wider than
    :data:`_WORK_SIZE` is judged reduced to it (a direction keeps its angle)."""
    factor = -(-hole.shape[0] // _WORK_SIZE)
    if factor > 1:
        size = (hole.shape[1] // factor, hole.shape[0] // factor)
        image = cv2.resize(np.ascontiguousarray(image, dtype=np.float32), size,
                           interpolation=cv2.INTER_AREA).reshape(size[1], size[0], -1)
        # A reduced pixel that holds any hole pixel is hole (never known, as the ring must be).
        hole = cv2.resize(hole.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0
    return _find_stripes(image, hole)


def _find_stripes(image: np.ndarray, hole: np.ndarray) -> np.ndarray | None:
    """:func:`find_stripes` on a tile of at most :data:`_WORK_SIZE` px (or any, unreduced)."""
    known = ~hole
    inside = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)
    outside = cv2.distanceTransform(known.astype(np.uint8), cv2.DIST_L2, 3)
    ring = (outside > 3) & (outside <= max(12.0, 0.5 * float(inside.max())))
    ring &= cv2.erode(known.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    if ring.sum() < _SECTORS * _MIN_SECTOR:
        return None
    detail = _detail(image, known)
    vectors = _orientation(detail)
    mean = complex(vectors[ring].mean())
    if abs(mean) < _MIN_COHERENCE:
        return None
    ys, xs = np.nonzero(hole)
    yy, xx = np.nonzero(ring)
    sector = (((np.arctan2(yy - ys.mean(), xx - xs.mean()) + np.pi) / (2 * np.pi) * _SECTORS)
              .astype(np.int64) % _SECTORS)
    along = (vectors[yy, xx] * np.exp(-1j * np.angle(mean))).real
    counts = np.bincount(sector, minlength=_SECTORS)
    sums = np.bincount(sector, weights=along, minlength=_SECTORS)
    used = counts >= _MIN_SECTOR
    agree = (sums[used] / counts[used]) >= _SECTOR_AGREE
    if not used.any() or agree.mean() < _SECTOR_SHARE:
        return None
    gradient = 0.5 * np.angle(mean)  # from the columns towards the rows
    direction = np.array([np.cos(gradient), -np.sin(gradient)])  # (dy, dx), across the gradient
    extent = float(np.ptp(ys * direction[0] + xs * direction[1])) + 1.0
    lengths = [min(max(low, share * extent), 0.4 * hole.shape[0])
               for low, share in ((32.0, 0.25), (56.0, 0.4))]
    refined = [_refine(detail, known, direction, length) for length in lengths]
    if all(r is not None for r in refined) and refined[0] @ refined[1] > np.cos(_AGREE):
        mean_direction = refined[0] + refined[1]
        return mean_direction / np.hypot(*mean_direction)
    return direction


def _refine(detail: np.ndarray, known: np.ndarray, direction: np.ndarray, length: float
            ) -> np.ndarray | None:
    """``direction`` turned to where the known texture best matches itself shifted by
    ``length`` px along it (a scan of whole pixels across it, to a fraction of a pixel), or
    None where no offset matches clearly better than the scan's median. The tensor's angle is
    off by a few degrees (Sobel's bias, the joints across the planks): 2.6 on the test's
    planks, which a copy 50 px away turns into 2 px off the plank."""
    normal = np.array([direction[1], -direction[0]])
    offsets = np.arange(-_SCAN, _SCAN + 1)
    step = max(1, int(np.sqrt(known.sum() / 60_000)))
    msd = np.array([_pair_msd(detail[..., None], known,
                              *np.rint(length * direction + o * normal).astype(int), step)
                    for o in offsets])
    if not np.isfinite(msd).all():
        return None
    best = int(np.argmin(msd))
    if not 0 < best < len(offsets) - 1 or 1.0 - msd[best] / np.median(msd) < _MIN_DIP:
        return None
    curvature = msd[best - 1] + msd[best + 1] - 2 * msd[best]
    shift = float(offsets[best])
    if curvature > 0:
        shift += float(np.clip(0.5 * (msd[best - 1] - msd[best + 1]) / curvature, -0.5, 0.5))
    turned = length * direction + shift * normal
    return turned / np.hypot(*turned)

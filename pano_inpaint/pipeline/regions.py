"""Split a hole mask into regions on the sphere and plan the cube each one is filled on.

Connected components are found on a coarse copy of the mask (about 1024 columns; a coarse cell
holds any hole pixel below it), so a 16K mask costs milliseconds. Components that meet across the
wrap-around line, or around a pole (every pixel of the first row borders every other one across
the pole), are one region. Holes closer than ``gap_degrees`` are grouped, since their fills would
see each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pano_inpaint.geometry.conventions import FACE_CENTER
from pano_inpaint.geometry.cubemap import erp_to_cube
from pano_inpaint.geometry.rotation import rotation_to_center
from pano_inpaint.geometry.sphere import erp_pixel_to_lonlat, erp_pixel_to_xyz, lonlat_to_xyz

__all__ = [
    "Region", "coarse_mask", "face_cover", "faces_near_hole", "find_regions", "fits_one_tile",
    "plan_cube",
]

_COARSE_WIDTH = 1024
_COVER_FACE = 64  # the face size a face's cover is measured at


@dataclass(frozen=True)
class Region:
    """One connected hole on the sphere.

    Attributes:
        index: 1-based region number.
        coarse: ``(h, w)`` bool: the coarse cells of this region (before grouping dilation).
        factor: coarse cell size in full-resolution pixels.
        rows: full-resolution rows ``[r0, r1)`` spanned by the region.
        centroid: ``(3,)`` unit direction of its area-weighted centre.
        area: share of the sphere covered by its coarse cells.
    """

    index: int
    coarse: np.ndarray
    factor: int
    rows: tuple[int, int]
    centroid: np.ndarray
    area: float

    def full_mask_band(self, mask: np.ndarray) -> np.ndarray:
        """``mask[r0:r1]`` restricted to this region (other regions' pixels removed)."""
        r0, r1 = self.rows
        f = self.factor
        cr0, cr1 = r0 // f, -(-r1 // f)
        cells = self.coarse[cr0:cr1]
        up = np.repeat(np.repeat(cells, f, axis=0), f, axis=1)
        up = up[r0 - cr0 * f : r1 - cr0 * f, : mask.shape[1]]
        return mask[r0:r1] & up


def coarse_mask(mask: np.ndarray, width: int = _COARSE_WIDTH) -> tuple[np.ndarray, int]:
    """Max-pool ``mask`` so it is at most ``width`` columns wide; returns ``(coarse, factor)``."""
    height, full_width = mask.shape
    factor = max(1, full_width // width)
    if factor == 1:
        return mask.copy(), 1
    h, w = -(-height // factor), -(-full_width // factor)
    padded = mask
    if (h * factor, w * factor) != mask.shape:
        padded = np.zeros((h * factor, w * factor), bool)
        padded[:height, :full_width] = mask
    # Rows first (whole rows ORed together), then every factor-th column of what is left: the
    # same cells as any() over both axes of the (h, f, w, f) view, without its slow reduction.
    rows = np.logical_or.reduce(padded.reshape(h, factor, w * factor), axis=1)  # (h, w * f)
    coarse = rows[:, ::factor].copy()
    for k in range(1, factor):
        coarse |= rows[:, k::factor]
    return coarse, factor


def _union_find_merge(labels: np.ndarray, count: int) -> np.ndarray:
    """Relabel so components touching across the wrap line or around a pole share a label."""
    parent = np.arange(count)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    h = labels.shape[0]
    left, right = labels[:, 0], labels[:, -1]
    for y in range(h):  # 8-connected across the wrap line
        if left[y]:
            for dy in (-1, 0, 1):
                if 0 <= y + dy < h and right[y + dy]:
                    union(int(left[y]), int(right[y + dy]))
    for row in (labels[0], labels[-1]):  # one point: the pole
        ids = np.unique(row[row > 0])
        for other in ids[1:]:
            union(int(ids[0]), int(other))
    roots = np.array([find(i) for i in range(count)])
    return roots[labels]


def find_regions(mask: np.ndarray, gap_degrees: float = 2.0) -> list[Region]:
    """Connected hole regions of an ``(H, W)`` mask, wrap-around and poles included.

    Example:
        >>> from pano_inpaint.masks import cap_mask, nadir_mask
        >>> m = nadir_mask(64, 128, 20) | cap_mask(64, 128, 180, 0, 10)
        >>> [r.rows for r in find_regions(m)]
        [(28, 36), (57, 64)]
    """
    height, width = mask.shape
    coarse, factor = coarse_mask(mask)
    h, w = coarse.shape
    gap = int(np.ceil(gap_degrees / 360 * w))
    grouped = coarse.astype(np.uint8)
    if gap > 0:
        kernel = np.ones((2 * gap + 1, 2 * gap + 1), np.uint8)
        wrapped = np.concatenate([grouped[:, -gap:], grouped, grouped[:, :gap]], axis=1)
        grouped = cv2.dilate(wrapped, kernel)[:, gap : gap + w]
    count, labels = cv2.connectedComponents(grouped, connectivity=8)
    if count <= 1:
        return []
    labels = _union_find_merge(labels, count)
    labels[~coarse] = 0

    ys = np.arange(h) * factor + (factor - 1) / 2
    xs = np.arange(w) * factor + (factor - 1) / 2
    lon, _ = erp_pixel_to_lonlat(xs, 0.0, height, width)
    _, lat = erp_pixel_to_lonlat(0.0, ys, height, width)
    xyz = lonlat_to_xyz(lon[None, :], lat[:, None])  # (h, w, 3)
    weight = np.cos(lat)[:, None] * np.ones((1, w))
    total = weight.sum()

    regions = []
    for index, label in enumerate(np.unique(labels[labels > 0]), start=1):
        cells = labels == label
        rows = np.flatnonzero(cells.any(axis=1))
        r0, r1 = int(rows[0]) * factor, min(height, (int(rows[-1]) + 1) * factor)
        wsum = weight[cells]
        centre = (xyz[cells] * wsum[:, None]).sum(axis=0)
        if np.linalg.norm(centre) < 1e-9:  # e.g. a full latitude band: no meaningful centre
            centre = np.array([0.0, np.sign(np.mean(lat[rows])) or -1.0, 0.0])
        centre = centre / np.linalg.norm(centre)
        regions.append(Region(index, cells, factor, (r0, r1), centre, float(wsum.sum() / total)))
    return regions


def _cell_directions(coarse: np.ndarray, factor: int, height: int, width: int) -> np.ndarray:
    """Directions of the corners and centres of the ``True`` cells of a coarse mask: ``(n, 3)``."""
    ys, xs = np.nonzero(coarse)
    f = factor
    pts = [(ys * f + dy * f - 0.5, xs * f + dx * f - 0.5)
           for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1), (0.5, 0.5))]
    y = np.clip(np.concatenate([p[0] for p in pts]), -0.5, height - 0.5)
    x = np.concatenate([p[1] for p in pts])
    return erp_pixel_to_xyz(x, y, height, width)


def _hits_per_face(xyz: np.ndarray, limit: float) -> list[int]:
    """How many of the directions ``(n, 3)`` (cube frame) fall in each face's square
    ``|a|, |b| <= limit`` of its tangent plane (1 = the face itself).

    A face's axes are signed cube axes, so ``a`` and ``b`` are the other two components over
    the face's own, up to sign: one division per axis serves both faces on it (the counts are
    those of dividing the dot products with the face axes)."""
    parts = np.ascontiguousarray(np.asarray(xyz, np.float64).T)  # (3, n)
    counts = [0] * 6
    with np.errstate(divide="ignore", invalid="ignore"):
        for axis in range(3):
            size = np.abs(parts[axis])
            inside = np.ones(parts.shape[1], bool)
            for other in {0, 1, 2} - {axis}:
                inside &= np.abs(parts[other]) / size <= limit
            for face in range(6):
                centre = FACE_CENTER[face]
                if centre[axis] != 0:
                    ahead = parts[axis] > 0 if centre[axis] > 0 else parts[axis] < 0
                    counts[face] = int(np.count_nonzero(inside & ahead))
    return counts


def faces_near_hole(mask: np.ndarray, face_size: int, pad: int, rotation: np.ndarray | None,
                    margin_px: float) -> set[int]:
    """Faces whose padded tile, grown by ``margin_px`` tile pixels, may hold a pixel of ``mask``.

    Conservative: the test runs on the corners and centres of a max-pooled copy of the mask, with
    the tile grown by the cells' angular size (stretched by the gnomonic scale at the tile's
    edge), so a face left out holds no hole pixel. Faces without holes need no hole map.
    """
    height, width = mask.shape
    coarse, factor = coarse_mask(mask)
    if not coarse.any():
        return set()
    xyz = _cell_directions(coarse, factor, height, width)
    if rotation is not None:
        xyz = xyz @ rotation  # panorama frame -> cube frame
    limit = 1 + 2 * (pad + margin_px) / face_size
    cell_angle = factor * 2 * np.pi / width  # a coarse cell's side, in radians at most
    limit += 2 * (1 + limit**2) * cell_angle  # d tan / d angle is 1 + tan^2: generous
    return {face for face, count in enumerate(_hits_per_face(xyz, limit)) if count}


def plan_cube(
    region: Region,
    height: int,
    width: int,
    face_size: int,
    pad: int,
    *,
    rotate: bool = True,
    min_rotation_degrees: float = 5.0,
) -> tuple[np.ndarray | None, list[int]]:
    """The rotation that centres ``region`` on a face, and the faces whose padded tiles it touches.

    Returns:
        ``(rotation or None, face_ids)``; faces sorted by how much of the region they hold.
    """
    rotation = None
    if rotate:
        r, face = rotation_to_center(region.centroid)
        angle = np.degrees(np.arccos(np.clip(FACE_CENTER[face] @ region.centroid, -1, 1)))
        if angle >= min_rotation_degrees:
            rotation = r
    xyz = _cell_directions(region.coarse, region.factor, height, width)
    if rotation is not None:
        xyz = xyz @ rotation  # panorama frame -> cube frame
    counts = _hits_per_face(xyz, 1 + 2 * pad / face_size)
    faces = [f for f in np.argsort(counts)[::-1] if counts[f] > 0]
    return rotation, [int(f) for f in faces]


def face_cover(region: Region, rotation: np.ndarray | None, face: int) -> float:
    """The share of face ``face``'s core (its square without padding), on the cube ``rotation``
    makes, that ``region``'s coarse cells cover (sampled on a face of ``_COVER_FACE`` px)."""
    cells = erp_to_cube(region.coarse.astype(np.float32), _COVER_FACE, rotation=rotation,
                        face_ids=[face])[0]
    return float((cells >= 0.5).mean())


def fits_one_tile(region: Region, height: int, width: int, face_size: int, pad: int,
                  rotation: np.ndarray | None) -> bool:
    """Whether the whole of ``region`` lies in one face's padded tile of the cube ``rotation``
    makes (as :func:`plan_cube` tests it: corners and centres of its coarse cells).

    A region that does not (a band around the horizon, a stroke longer than a face) is filled
    on several faces whose holes meet at their shared edges.
    """
    xyz = _cell_directions(region.coarse, region.factor, height, width)
    if rotation is not None:
        xyz = xyz @ rotation  # panorama frame -> cube frame
    return max(_hits_per_face(xyz, 1 + 2 * pad / face_size)) == len(xyz)

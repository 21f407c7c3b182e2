"""A tile's view of a level floor (or ceiling) as seen from straight above: perspective undone.

A regular floor seen by a side face near the horizon has no constant lattice on the tile: its
tiles shrink towards the horizon, so the shift that repeats them near the camera is several
times the one that repeats them a few degrees higher. In a levelled panorama the floor is a
plane with normal ``up``, and a gnomonic tile maps to that plane by a homography (both are
central projections from the camera), so the floor's lattice is a constant translation in the
plane's coordinates. :func:`rectify` resamples the known surroundings of a hole onto a regular
grid of the plane whose pixel matches the tile's footprint at the hole; the lattice is looked
for there (``_offsets``), and a hole pixel ``p`` copies what ``from_grid(to_grid(p) + t)``
shows for its lattice vectors ``t`` (``_offset_kernels.lattice_peel``).

Near the horizon a floor's tiles are a few pixels on the tile, blurred on the hole's grid: the
lattice is then looked for on a second grid placed where the tile sees the floor more from
above (:func:`nearer_point`) and scaled to the hole's grid by the ratio of the two grids' steps
(both are the plane's coordinates along the same axes). A hole straddling the horizon (half of
it or more on the plane) has its part on the plane filled so, when the lattice found on its
grid is a dip of the edges both nearer the camera and farther (:func:`holds_across`; a wall
below the horizon taken for the floor has no such shift).

Convention: tile pixel ``(x, y)`` (column, row) of a tile padded by ``pad`` looks along
``FACE_CENTER + a FACE_RIGHT + b FACE_DOWN`` with ``a = (2 (x - pad) + 1) / S - 1`` (``b``
likewise from ``y``; see ``geometry.conventions``). The plane lies at unit distance from the
camera along its normal ``n`` (``-up`` for a floor, ``up`` for a ceiling); its coordinates
``(u, v)`` are taken along two unit vectors ``e1, e2`` perpendicular to ``n``. Homographies
act on homogeneous column vectors ``(x, y, 1)``; ``tile_to_plane``'s third output is ``d . n``
times a positive factor, so it is positive exactly for the rays that meet the plane.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pano_inpaint.generators.patchmatch._offsets import (
    Lattice,
    edge_strength,
    find_lattice,
    pair_msd,
    sample_step,
    tone_lattice,
)
from pano_inpaint.geometry.conventions import FACE_CENTER, FACE_DOWN, FACE_RIGHT

__all__ = [
    "Rectified", "apply_homography", "colour_distance", "floor_lattice", "holds_across",
    "homography_parts", "nearer_point", "rectify", "repeat_correlation", "repeats_across",
    "tile_to_plane"]

_MIN_ELEVATION = np.radians(4.0)  # hole pixels closer to the horizon are not on the plane
_ON_PLANE = 0.9  # the share of a hole that must be on the plane for it to be rectified
_ON_PLANE_PART = 0.5  # or, its part on the plane filled alone, when the lattice holds there
# Below this foreshortening at the hole the tile sees the plane from straight above, and its
# own lattice search (which runs first) covers it. Only a little above it the floor's scale
# still changes across the tile (a face turned 30 degrees off the nadir to centre a shadow:
# 1.15 at the hole, more than ten times across the tile), so that no one shift repeats the tiles
# there; at 1.25 such holes were filled with no lattice (a terrace's hexagons under a
# photographer's shadow: fog, 22.40 dB; seen from above, 23.94).
_MIN_FORESHORTENING = 1.02
# The floor is looked for nearer the camera (:func:`_nearer_lattice`) only from a hole seen at
# least this foreshortened: one seen nearly from above sees the floor as large and sharp as the
# face does anywhere (and the search cost a monopod's fill at 4K 0.26 s).
_NEARER_FORESHORTENING = 1.25
_COARSEST = 3.0  # grid pixels one tile pixel may cover for the grid pixel to count as known
_GRID_PER_HOLE = 3.0  # the grid's side in units of the hole's extent on it (at most the tile's)
_MIN_GRID = 64
_NEAR_GRID = 512  # the side of the largest grid (``rectify(at=...)``)
_PLACING = 512  # tile pixels a side the grid's place is judged on (every k-th of larger tiles)
_PART_STRENGTH = 0.15  # the dip a partly-on-the-plane hole's lattice keeps near and far
# Above: the ring around a hole is not the surface the lattice was found on nearer the camera
# (:func:`colour_distance`; measured on the scenes: 2.1-3.5 for the plaza's paving and the
# yard's bricks, hazier near the horizon; 9 and 26 for holes half or mostly on a wall above
# the floor's kerb).
_SAME_SURFACE = 6.0
# The nearer grid's pixel must be this much finer than the hole's for its lattice to be taken.
_NEARER = 0.67
# A line the lines step finds on a plane with a lattice is the pattern's own (a grout line, a
# ceiling's grid: left to the lattice) where the floor across it correlates this well with the
# floor one lattice step further across (``repeat_correlation``). Measured on the 1K scenes
# (mask seed 0): the workshop's and the hall's ceiling grids 0.86-0.95, the plaza's grout
# 0.67-0.82; the workshop's wall-to-floor edge 0.04, a plaza kerb 0.24, the yard's bricks'
# joints 0.09-0.52 (a running bond: the step across lands beside them), the loft's boards
# -0.43..0.06.
_OWN_LINE = 0.6


def _tile_matrix(face: int, face_size: int, pad: int) -> np.ndarray:
    """``(3, 3)`` ``M`` with ``M @ (x, y, 1)`` the ray of tile pixel ``(x, y)`` (columns:
    the ray's change per column, per row, and the ray of pixel ``(0, 0)``)."""
    k = (1 - 2 * pad) / face_size - 1
    return np.stack([2 * FACE_RIGHT[face] / face_size, 2 * FACE_DOWN[face] / face_size,
                     FACE_CENTER[face] + k * (FACE_RIGHT[face] + FACE_DOWN[face])], axis=1)


def _plane_basis(face: int, normal: np.ndarray) -> np.ndarray:
    """``(3, 3)`` rows ``e1, e2, n``: ``e1`` the face's right (or down, whichever lies more
    in the plane) made perpendicular to ``n``, ``e2 = n x e1``."""
    axes = [a - (a @ normal) * normal for a in (FACE_RIGHT[face], FACE_DOWN[face])]
    e1 = max(axes, key=np.linalg.norm)
    e1 = e1 / np.linalg.norm(e1)
    return np.stack([e1, np.cross(normal, e1), normal])


def tile_to_plane(face: int, face_size: int, pad: int, normal: np.ndarray) -> np.ndarray:
    """``(3, 3)`` homography from tile pixels to the coordinates ``(u, v)`` of the plane at
    unit distance along the unit ``normal`` (see the module's convention)."""
    normal = np.asarray(normal, np.float64)
    return _plane_basis(face, normal) @ _tile_matrix(face, face_size, pad)


def homography_parts(h: np.ndarray, x: np.ndarray, y: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`apply_homography` of the points ``(x, y)`` (float64 arrays of one shape, or
    broadcasting to one) as three arrays: the columns, the rows and the weights (unstacked:
    ``rectify`` works on the two coordinates apart, and stacking and slicing them again cost
    it more than the sums)."""
    w = h[2, 0] * x + h[2, 1] * y + h[2, 2]
    safe = np.where(np.abs(w) > 1e-12, w, 1e-12)
    return ((h[0, 0] * x + h[0, 1] * y + h[0, 2]) / safe,
            (h[1, 0] * x + h[1, 1] * y + h[1, 2]) / safe, w)


def apply_homography(h: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(h @ (x, y, 1))`` dehomogenised, and its third component: ``xy`` ``(..., 2)``
    float64 → ``(..., 2)`` points and ``(...)`` weights (points with weight <= 0 lie behind
    the plane or the face)."""
    u, v, w = homography_parts(h, xy[..., 0], xy[..., 1])
    return np.stack([u, v], axis=-1), w


@dataclass(frozen=True)
class Rectified:
    """A tile's plane around its hole, resampled on a regular grid.

    Attributes:
        image: ``(N, N, C)`` float32 the tile resampled on the grid (``N <= P``).
        known: ``(N, N)`` bool, grid pixels that show known tile pixels sampled finely enough.
        hole: ``(N, N)`` bool, grid pixels inside the tile's hole.
        to_grid: ``(3, 3)`` homography from tile pixels to grid pixels ``(column, row)``.
        from_grid: ``(3, 3)`` its inverse.
        region: ``(P, P)`` bool, the hole's pixels whose rays meet the plane above
            ``_MIN_ELEVATION`` (the ones to fill along the plane).
        ceiling: the plane lies above the camera.
        foot: ``(2,)`` grid pixel ``(column, row)`` of the plane's point straight below (or
            above) the camera: distances from it are distances from the camera.
        whole: the region holds at least ``_ON_PLANE`` of the hole (else only a part of it
            lies on the plane, the rest near the horizon or beyond).
        step: the plane's units (camera heights) a grid pixel spans.
        foreshortening: how many times longer than wide a tile pixel's footprint on the
            plane is at the hole (at ``at``, where given).
    """

    image: np.ndarray
    known: np.ndarray
    hole: np.ndarray
    to_grid: np.ndarray
    from_grid: np.ndarray
    region: np.ndarray
    ceiling: bool
    foot: np.ndarray | None = None
    whole: bool = True
    step: float = 1.0
    foreshortening: float = 1.0


def _stretch(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(N, N)`` largest and smallest singular values of the Jacobian of a map of points
    given by its ``(N, N)`` coordinates ``x`` and ``y``: how far apart the neighbours of each
    point land along the map's most and least stretched directions (inf and 0 where it is not
    finite, as beyond the horizon). The coordinates are taken apart, not as one ``(N, N, 2)``
    array: numpy sums a last axis of two one element at a time (the same sums, a third of
    ``rectify``'s time)."""
    with np.errstate(over="ignore", invalid="ignore"):  # rays beyond the horizon: inf
        ux, uy = np.gradient(x, axis=1), np.gradient(y, axis=1)
        vx, vy = np.gradient(x, axis=0), np.gradient(y, axis=0)
        a, b, c = ux * ux + uy * uy, ux * vx + uy * vy, vx * vx + vy * vy
        mean, spread = 0.5 * (a + c), np.sqrt(0.25 * (a - c) ** 2 + b * b)
        largest, smallest = np.sqrt(mean + spread), np.sqrt(np.maximum(mean - spread, 0))
    finite = np.isfinite(largest)
    return np.where(finite, largest, np.inf), np.where(finite, smallest, 0.0)


def _window(usable: np.ndarray, hole: np.ndarray, middle: float, size: int) -> float:
    """Where a window ``size`` long on one axis starts: over all of ``hole`` (coordinates)
    where it fits, there covering most of ``usable``; centred on ``middle`` where it does
    not."""
    if not hole.size or not usable.size or hole.max() - hole.min() >= size - 1:
        return middle - size / 2
    low, high = float(hole.min()), float(hole.max())
    starts = np.arange(np.floor(high - size + 1), np.floor(low) + 1)
    ordered = np.sort(usable)
    covered = np.searchsorted(ordered, starts + size) - np.searchsorted(ordered, starts)
    return float(starts[int(np.argmax(covered))])


def rectify(image: np.ndarray, hole: np.ndarray, face: int, face_size: int, pad: int,
            up: tuple[float, float, float], *, at: tuple[float, float] | None = None,
            ceiling: bool | None = None) -> Rectified | None:
    """The plane (floor below, ceiling above, whichever most of the hole looks at) around
    ``hole`` seen from straight above, or None where less than half the hole lies on it more
    than ``_MIN_ELEVATION`` from the horizon or the tile sees the plane almost from above
    already (its own lattice search covers that).

    Args:
        image: ``(P, P, C)`` float32 padded tile.
        hole: ``(P, P)`` bool.
        face: the tile's face (``FACE_ORDER``) in the cube's frame.
        face_size, pad: tile geometry (``P = face_size + 2 pad``).
        up: the panorama's up in the cube's frame (unit).
        at: instead of the hole's, the tile pixel ``(x, y)`` whose footprint sets the grid's
            pixel, on the largest grid (``N = P``, at most ``_NEAR_GRID``, its pixel as many
            times larger as ``P`` is) over it and as much of the known plane as fits (the hole
            stays unknown; see :func:`nearer_point`).
        ceiling: the plane to take (default: the one most of the hole looks at).

    Returns:
        A :class:`Rectified` on an ``N x N`` grid (``N <= P``, a few times the hole's size)
        over the hole and as much of the known plane as fits, one grid pixel as large as a
        tile pixel's footprint at the hole's centroid (``sqrt`` of its area; for a hole only
        partly on the plane, its part's centroid).
    """
    size = hole.shape[0]
    up_ = np.asarray(up, np.float64)
    ys, xs = np.nonzero(hole)
    if not ys.size:
        return None
    rays = _tile_matrix(face, face_size, pad)
    hole_rays = np.stack([xs, ys, np.ones_like(xs)], axis=-1).astype(np.float64) @ rays.T
    elevation = (hole_rays @ up_) / np.linalg.norm(hole_rays, axis=-1)  # its sine
    # The plane most of the hole looks at; the hole's part on it (away from the horizon).
    if ceiling is None:
        ceiling = bool((elevation > 0).sum() * 2 > ys.size)
    normal = up_ if ceiling else -up_
    on = (elevation if ceiling else -elevation) >= np.sin(_MIN_ELEVATION)
    whole = bool(on.sum() >= _ON_PLANE * ys.size)
    if not on.sum() >= _ON_PLANE_PART * ys.size:  # mostly near the horizon or beyond
        return None
    # A hole straddling the horizon has its centroid where one tile pixel covers far too much
    # of the plane: the footprint and the grid's place are its part's on the plane then.
    cy, cx = (ys.mean(), xs.mean()) if whole else (ys[on].mean(), xs[on].mean())
    if at is not None:
        cx, cy = at
    h = tile_to_plane(face, face_size, pad, normal)
    # The footprint of one tile pixel at the hole's centroid: its Jacobian on the plane.
    points, _ = apply_homography(h, np.array([[cx, cy], [cx + 1, cy], [cx, cy + 1]]))
    jacobian = np.stack([points[1] - points[0], points[2] - points[0]], axis=1)
    stretch = np.linalg.svd(jacobian, compute_uv=False)
    if not np.isfinite(stretch).all() or (
            at is None and not stretch[0] >= _MIN_FORESHORTENING * stretch[1]):
        return None
    region = np.zeros_like(hole)
    region[ys, xs] = on
    step = float(np.sqrt(stretch[0] * stretch[1]))
    if at is not None and size > _NEAR_GRID:
        # The same stretch of floor on at most _NEAR_GRID pixels a side: the lattice search
        # works on 512 anyway, and the grid's remap and edges grow with its area (8K: 2.4K
        # a side).
        step *= size / _NEAR_GRID
    scaled = np.diag([1 / step, 1 / step, 1.0]) @ h
    # Where the grid goes, judged on every ``stride``-th tile pixel (enough to place it).
    stride = max(1, -(-size // _PLACING))
    coords = np.arange(0, size, stride, dtype=np.float64)
    # (p, p) grid pixels, up to a shift, of the tile's columns and rows (broadcast)
    grid_x, grid_y, w = homography_parts(scaled, coords[None], coords[:, None])
    fine = (w > 0) & (_stretch(grid_x, grid_y)[0] <= _COARSEST * stride)
    sampled = hole[::stride, ::stride]
    usable, seen = fine & ~sampled, fine & sampled  # the hole's part beyond is no help either
    middle, _ = apply_homography(scaled, np.array([cx, cy]))
    # A grid a few times the hole's size: the lattice search needs a good share of it known.
    extent = (np.maximum(np.ptp(grid_x[seen]), np.ptp(grid_y[seen])) if seen.any()
              else size)
    n = int(np.clip(np.ceil(_GRID_PER_HOLE * extent), min(_MIN_GRID, size), size))
    if at is not None:  # the largest grid, over ``at`` and as much of the plane as fits
        n, seen_at = min(size, _NEAR_GRID), middle[None]
    corner = [_window(on_grid[usable], on_grid[seen] if at is None else seen_at[:, axis],
                      middle[axis], n)
              for axis, on_grid in enumerate((grid_x, grid_y))]
    to_grid = np.array([[1, 0, -corner[0]], [0, 1, -corner[1]], [0, 0, 1]]) @ scaled
    from_grid = np.linalg.inv(to_grid)
    cells = np.arange(n, dtype=np.float64)
    at_x, at_y, w = homography_parts(from_grid, cells[None], cells[:, None])  # (n, n)
    map_x, map_y = at_x.astype(np.float32), at_y.astype(np.float32)
    inside = (w > 0) & (map_x >= 0) & (map_x <= size - 1) & (map_y >= 0) & (map_y <= size - 1)
    # Far out towards the horizon one tile pixel is smeared over many grid pixels, which is no
    # texture to measure.
    finest = _stretch(map_x, map_y)[1]  # tile pixels per grid pixel
    rect = cv2.remap(np.ascontiguousarray(image, np.float32), map_x, map_y, cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE).reshape(n, n, -1)
    # A grid pixel is known only if no hole pixel is among the four it interpolates.
    in_hole = cv2.remap(hole.astype(np.float32), map_x, map_y, cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_CONSTANT, borderValue=1.0) > 0
    known = inside & ~in_hole & (finest >= 1 / _COARSEST)
    return Rectified(rect, known, inside & in_hole, to_grid, from_grid, region, ceiling,
                     np.array([-corner[0], -corner[1]]), whole, step,
                     float(stretch[0] / stretch[1]))


def _margin(size: int) -> int:
    """Known pixels all around :func:`nearer_point`'s pixel, this far, on a tile of ``size``."""
    return max(2, size // 16)


def nearer_point(image: np.ndarray, hole: np.ndarray, face: int, face_size: int, pad: int,
             up: tuple[float, float, float], ceiling: bool) -> tuple[float, float] | None:
    """The tile pixel ``(x, y)`` half way (in angle from the horizon) between the hole and
    the known pixel that sees the plane most nearly from above (below, for a ceiling), with
    known pixels all around it; None where the tile has no such place.

    Near the horizon a floor's tiles are a few pixels on the tile and blurred on the hole's
    grid, too little for the lattice search; nearer the camera the same floor shows them large
    and sharp. Half way, a grid whose pixel is the footprint there still spans many tiles (at
    the steepest view, at the tile's border, it spanned two rows of the plaza's)."""
    size = hole.shape[0]
    margin = _margin(size)
    rays = _tile_matrix(face, face_size, pad)
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    ray = np.stack([x, y, np.ones_like(x)], axis=-1) @ rays.T
    sine = (ray @ np.asarray(up, np.float64)) / np.linalg.norm(ray, axis=-1)
    facing = sine if ceiling else -sine
    usable = (~hole & (facing >= np.sin(_MIN_ELEVATION))).astype(np.uint8)
    usable = cv2.erode(usable, np.ones((2 * margin + 1,) * 2, np.uint8),
                       borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
    if not usable.any():
        return None
    # Half way (in angle) from the hole to the steepest view: the grid's pixel is the tile's
    # footprint there, and the grid spans the floor from there to the camera and beyond.
    angle = np.arcsin(np.clip(facing, -1, 1))
    ys, xs = np.nonzero(hole)
    target = 0.5 * (angle[usable].max() + np.median(angle[ys, xs]))
    score = np.abs(angle - target) + np.hypot(y - ys.mean(), x - xs.mean()) / size * 1e-3
    best = np.argmin(np.where(usable, score, np.inf))
    return float(best % size), float(best // size)


def holds_across(rect: Rectified, lattice: Lattice, min_strength: float) -> bool:
    """Whether ``lattice``'s two shortest shifts (its reduced basis, found on ``rect``) are
    dips of the edges' ``msd`` both on the known grid nearer the camera than its median
    distance and beyond it.

    A floor's lattice is the same shift all over its grid. A wall taken for the floor (or for
    the ceiling) is not a plane with normal ``up``: its texture's scale on the grid changes
    with the distance, so a shift that repeats it near the camera does not far away; nor does
    a chance dip of natural ground repeat in both halves."""
    if rect.foot is None:
        return True
    edges, inside = edge_strength(rect.image, rect.known)
    n = rect.image.shape[0]
    yy, xx = np.mgrid[0:n, 0:n]
    distance = np.hypot(xx - rect.foot[0], yy - rect.foot[1])
    if not inside.any():
        return False
    median = np.median(distance[inside])
    a, b, _ = lattice.basis()
    ring = [np.array([3 * np.sin(t), 3 * np.cos(t)]) for t in np.arange(8) * np.pi / 4]
    for half in (inside & (distance <= median), inside & (distance > median)):
        step = sample_step(half)
        for shift in (a, b):
            if shift is None:
                continue
            values = [pair_msd(edges, half, int(d[0]), int(d[1]), step) for d in
                      np.rint([shift, *(shift + r for r in ring)]).astype(int)]
            at, around = values[0], [m for m in values[1:] if np.isfinite(m)]
            if len(around) < 4 or not np.isfinite(at):
                return False
            if 1 - at / max(float(np.median(around)), 1e-12) < min_strength:
                return False
    return True


def _every(values: np.ndarray, count: int) -> np.ndarray:
    """At most about ``count`` of ``values`` (rows), evenly spaced."""
    return values[:: max(1, values.shape[0] // count)]


def colour_distance(image: np.ndarray, hole: np.ndarray, at: tuple[float, float],
                    samples: int = 1500) -> float:
    """How far the colours of the known ring around ``hole`` lie from those of the plane
    around ``at`` (both on the tile), in units of the plane's own spread: the median distance
    of a ring pixel's colour to the nearest of the plane's, over that of the plane's other
    pixels (about 1: the ring shows the plane's colours; many: another surface, as the wall
    a hole below the horizon may lie on).

    Args:
        image: ``(P, P, C)`` the tile (its first three channels are compared).
        hole: ``(P, P)`` bool.
        at: the tile pixel ``(x, y)`` the plane's lattice was found around
            (:func:`nearer_point`, which keeps the disc compared here known).
        samples: colours taken (evenly) from each set.
    """
    size = hole.shape[0]
    depth = np.sqrt(hole.sum() / np.pi)
    apart = cv2.distanceTransform((~hole).astype(np.uint8), cv2.DIST_L2, 3)
    ring = ~hole & (apart <= max(3.0, 0.5 * depth))
    y, x = np.mgrid[0:size, 0:size]
    disc = ~hole & (np.hypot(x - at[0], y - at[1]) <= _margin(size))
    colours = image[..., :3].reshape(-1, 3)
    plane = colours[disc.reshape(-1)]
    if not ring.any() or plane.shape[0] < 2:
        return np.inf
    # Two disjoint samples of the plane (interleaved): with one sample for both, as where the
    # disc held fewer than twice ``samples`` pixels, each of the plane's own pixels found itself
    # at 0 and the ratio was the ring's distance over the floor below alone.
    stride = max(2, plane.shape[0] // samples)
    reference, others = plane[::stride], plane[stride // 2 :: stride]
    mine = _every(colours[ring.reshape(-1)], samples)

    def nearest(points: np.ndarray) -> float:
        gaps = ((points[:, None, :] - reference[None]) ** 2).sum(-1)
        return float(np.median(np.sqrt(gaps.min(axis=1))))

    # A floor of a few flat colours matches itself exactly: distances count from a fiftieth of
    # its colours' spread.
    floor = 0.02 * float(np.sqrt(plane.var(axis=0).sum())) + 1e-6
    return (nearest(mine) + floor) / (nearest(others) + floor)


def _nearer_lattice(image: np.ndarray, hole: np.ndarray, face: int, face_size: int, pad: int,
                    up: tuple[float, float, float], rect: Rectified, min_strength: float
                    ) -> Lattice | None:
    """The plane's lattice found on a grid placed half way (in angle) from the hole to where
    the tile sees the plane most nearly from above (:func:`nearer_point`), in units of
    ``rect``'s grid; None where it has none or where the colours around the hole are not
    that plane's."""
    args = (image, hole, face, face_size, pad, up)
    at = nearer_point(*args, rect.ceiling)
    if at is None:
        return None
    near = rectify(*args, at=at, ceiling=rect.ceiling)
    if near is None or near.step > _NEARER * rect.step:
        # Not much nearer: a hole at the bottom of the tile already sees the floor there
        # (a monopod's top on a side face: a sliver of Lebombo's planks).
        return None
    lattice = find_lattice(near.image, near.known, min_strength=min_strength,
                           long_steps=False)
    if lattice is None:
        return None
    # Tiles of random tones too (a parquet's boards, the yard's bricks): the grout's lattice
    # continues the joints and the tile tones step gives the tiles cut by the hole their
    # known parts' tones (refused until session 59, measured before that step; now the
    # held-out parquet's cube-corner object +2.16 dB, the yard's cube corners +1.35 and +1.47
    # at mask seeds 0 and 3, the plaza's cube-edge object -0.65).
    lattice = tone_lattice(near.image, near.known, lattice)
    if colour_distance(image, hole, at) > _SAME_SURFACE:
        # The hole's surroundings are not that floor: a wall below the horizon, which the
        # floor's lattice smeared (the workshop's and the hall's wrap objects).
        return None
    # Both grids are the plane's coordinates along the same axes, scaled by their step.
    return Lattice(lattice.offsets * (near.step / rect.step), lattice.strength,
                   lattice.along)


def floor_lattice(image: np.ndarray, hole: np.ndarray, face: int, face_size: int, pad: int,
                  up: tuple[float, float, float], *, min_strength: float
                  ) -> tuple[Rectified, Lattice, bool] | None:
    """The lattice of the floor (or ceiling) ``hole`` lies on, found on the plane seen from
    straight above (:func:`rectify`, ``_offsets.find_lattice`` with ``min_strength``).

    Args:
        image: ``(P, P, C)`` the tile (face ``face`` of the cube, padded by ``pad``).
        hole: ``(P, P)`` bool.
        face, face_size, pad: the tile's place on the cube.
        up: the panorama's up in the cube's frame.
        min_strength: see ``_offsets.find_lattice``.

    Returns:
        The hole's grid on the plane, the lattice on it (shifts of that grid), and whether the
        lattice was found nearer the camera (:func:`_nearer_lattice`); None where the hole is
        not on a plane seen in perspective or the plane has no lattice of two directions.
    """
    rect = rectify(image, hole, face, face_size, pad, up)
    if rect is None:
        return None
    lattice = find_lattice(rect.image, rect.known, min_strength=min_strength,
                           long_steps=False)
    if lattice is not None:
        if not rect.whole and not holds_across(rect, lattice, _PART_STRENGTH):
            # A hole only partly on the plane: its lower part may be a wall's (or a
            # kerb's), which a lattice found on the plane's grid would cover with floor.
            return None
        lattice = tone_lattice(rect.image, rect.known, lattice)
    nearer = False
    if (lattice is None or len(lattice.offsets) < 4) and rect.whole and (
            rect.foreshortening >= _NEARER_FORESHORTENING):
        # Near the horizon the floor's tiles are a few blurred pixels on the hole's grid:
        # its lattice is looked for where the tile sees the floor larger and sharper.
        lattice = _nearer_lattice(image, hole, face, face_size, pad, up, rect, min_strength)
        nearer = True
    if lattice is None or len(lattice.offsets) < 4:
        # One shift is stripes, which the lines step continues; copied along it, the fine
        # rows of Potsdamer's paving carried its stains across a cube corner (-1.7 dB).
        return None
    return rect, lattice, nearer


def repeats_across(rect: Rectified, lattice: Lattice, point: np.ndarray,
                   direction: np.ndarray, half_width: float) -> bool:
    """Whether the line through tile pixel ``point`` (``(y, x)``) along unit ``direction``
    (``(dy, dx)``) is one of the plane's pattern's own lines: its :func:`repeat_correlation`
    is at least ``_OWN_LINE``. A ceiling's grid or a tiled floor's joints repeat; a kerb, a
    skirting board or a rug's edge do not."""
    return repeat_correlation(rect, lattice, point, direction, half_width) >= _OWN_LINE


def repeat_correlation(rect: Rectified, lattice: Lattice, point: np.ndarray,
                       direction: np.ndarray, half_width: float) -> float:
    """How alike the known floor across a line (see :func:`repeats_across`; ``half_width``
    tile px each side of it, and as much again) is on ``rect``'s grid to the floor one step of
    ``lattice`` further across, either way: the Pearson correlation of the two profiles,
    averaged along the line's known part (the better way). -1 where the line has too little
    known on the grid or no step of the lattice crosses it."""
    size = rect.image.shape[0]
    grey = rect.image.mean(axis=-1).astype(np.float32)
    reach = float(rect.region.shape[0])  # the tile's side, each way along the line
    t = np.arange(-reach, reach + 1.0, 1.0)  # tile px; the grid's known part is kept below
    ys, xs = point[0] + t * direction[0], point[1] + t * direction[1]
    u, v, w = homography_parts(rect.to_grid, xs, ys)
    u2, v2, _ = homography_parts(rect.to_grid, xs + direction[1], ys + direction[0])
    inside = (w > 0) & (u >= 0) & (u <= size - 1) & (v >= 0) & (v <= size - 1)
    if inside.sum() < 8:
        return -1.0
    u, v, u2, v2 = u[inside], v[inside], u2[inside], v2[inside]
    along = np.stack([u2 - u, v2 - v], axis=-1)  # (n, 2) (du, dv): the line on the grid
    scale = np.hypot(along[:, 0], along[:, 1])  # grid px per tile px along the line
    along /= np.maximum(scale, 1e-12)[:, None]
    normal = np.stack([-along[:, 1], along[:, 0]], axis=-1)
    a, b, _ = lattice.basis()
    steps = [s for s in (a, b) if s is not None]
    # (dy, dx) shifts on the grid as (du, dv); the one most across the line.
    shifts = [np.array([s[1], s[0]], np.float64) for s in steps]
    mean_normal = normal.mean(axis=0)
    step = max(shifts, key=lambda s: abs(s @ mean_normal))
    if abs(step @ mean_normal) < 0.5 * np.hypot(*step):
        return -1.0  # no step of the pattern crosses the line
    width = 2.0 * max(half_width, 1.0) * float(np.median(scale))
    across = np.linspace(-width, width, 9)
    pu = u[:, None] + across[None] * normal[:, :1]
    pv = v[:, None] + across[None] * normal[:, 1:]
    here = _sample(grey, rect.known, pu, pv)
    there = _sample(grey, rect.known, pu + step[0], pv + step[1])
    there_back = _sample(grey, rect.known, pu - step[0], pv - step[1])
    best = -1.0
    for other in (there, there_back):
        both = np.isfinite(here).all(axis=1) & np.isfinite(other).all(axis=1)
        if both.sum() < 8:
            continue
        h, o = here[both], other[both]
        h = h - h.mean(axis=1, keepdims=True)
        o = o - o.mean(axis=1, keepdims=True)
        num = (h * o).sum(axis=1)
        den = np.sqrt((h * h).sum(axis=1) * (o * o).sum(axis=1))
        ok = den > 1e-9
        if ok.sum() < 8:
            continue
        best = max(best, float(np.mean(num[ok] / den[ok])))
    return best


def _sample(grey: np.ndarray, known: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``grey`` at grid points ``(u, v)`` (bilinear), NaN where off the grid or not known."""
    size = grey.shape[0]
    ui = np.rint(u).astype(np.int64)
    vi = np.rint(v).astype(np.int64)
    inside = (ui >= 0) & (ui < size) & (vi >= 0) & (vi < size)
    out = np.full(u.shape, np.nan, np.float32)
    uc, vc = np.clip(ui, 0, size - 1), np.clip(vi, 0, size - 1)
    ok = inside & known[vc, uc]
    values = cv2.remap(grey, u.astype(np.float32), v.astype(np.float32), cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
    out[ok] = values[ok]
    return out

"""Straight lines that cross a hole: found in the known ring around it, paired across it.

A cube face is a gnomonic view, so a straight edge in the world (a kerb, a skirting board, the
rail on a wall, the edge of a painted stripe) is a straight segment on the tile wherever the
tile looks. A line that enters the hole on one side and leaves it on the other is found as two
collinear segments, one on each side: segments are detected with OpenCV's line segment detector
(LSD: R. Grompone von Gioi, J. Jakubowicz, J.-M. Morel, G. Randall, "LSD: a fast line segment
detector with a false detection control", TPAMI 2010) on the known pixels, and a segment pointing
into the hole is kept only if another segment beyond the hole continues it: nearly parallel,
with the same polarity (the dark side on the same side), and every end point of both within a
pixel or two of the line fitted through them. The fill then copies along each line first
(structure propagation, J. Sun, L. Yuan, J. Jia, H.-Y. Shum, "Image completion with structure
propagation", SIGGRAPH 2005: the curves first, the rest constrained by them): each pixel of a
thin band around the line copies a pixel of the same band translated along the line, from the
known part of it.

A segment touching the hole's border is the border itself (the hole is blank), not a line of
the scene: segments running along the border are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pano_inpaint.generators.patchmatch._offsets import channel_mean

__all__ = ["Line", "find_lines"]

_MAX_ANGLE = np.radians(3.0)  # two segments of one line differ by at most this much in angle
_DETECT_SIZE = 800  # tiles larger than this are searched on a reduced copy


@dataclass(frozen=True)
class Line:
    """A straight line crossing a hole, in tile pixels.

    Attributes:
        point: ``(2,)`` float64 ``(y, x)``, a point on the line.
        direction: ``(2,)`` float64 unit ``(dy, dx)``.
        half_width: half the width of the band filled along it.
    """

    point: np.ndarray
    direction: np.ndarray
    half_width: float

    def band(self, shape: tuple[int, int]) -> np.ndarray:
        """``shape`` bool: the pixels within ``half_width`` of the line."""
        ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]]
        normal = np.array([-self.direction[1], self.direction[0]])
        offset = (ys - self.point[0]) * normal[0] + (xs - self.point[1]) * normal[1]
        return np.abs(offset) <= self.half_width

    def vectors(self, reach: float) -> np.ndarray:
        """``(n, 2)`` int64 shifts along the line up to ``reach`` pixels, shortest first."""
        steps = np.arange(1, int(reach) + 1, dtype=np.float64)
        steps = np.stack([steps, -steps], axis=1).ravel()
        shifts = np.rint(steps[:, None] * self.direction[None]).astype(np.int64)
        _, first = np.unique(shifts, axis=0, return_index=True)
        return np.ascontiguousarray(shifts[np.sort(first)])


def _segments(image: np.ndarray, known: np.ndarray, min_length: float) -> np.ndarray:
    """``(n, 4)`` float64 ``(y0, x0, y1, x1)`` LSD segments of the known pixels at least
    ``min_length`` long, the hole's own border left out."""
    size = image.shape[0]
    factor = max(1, int(np.ceil(size / _DETECT_SIZE)))
    grey = channel_mean(image)
    fill = float(np.median(grey[known])) if known.any() else 0.5
    grey = np.where(known, grey, fill).astype(np.float32, copy=False)
    if factor > 1:
        small = (size // factor, size // factor)
        grey = cv2.resize(grey, small, interpolation=cv2.INTER_AREA)
    found = cv2.createLineSegmentDetector().detect(
        np.clip(grey * 255 + 0.5, 0, 255).astype(np.uint8))[0]
    if found is None:
        return np.zeros((0, 4))
    segments = found.reshape(-1, 4)[:, [1, 0, 3, 2]].astype(np.float64) * factor
    length = np.hypot(segments[:, 2] - segments[:, 0], segments[:, 3] - segments[:, 1])
    segments = segments[length >= min_length]
    # Drop segments lying along the hole's border (the blank hole makes an edge there).
    border = cv2.distanceTransform(known.astype(np.uint8), cv2.DIST_L2, 3) <= 2 + factor
    keep = []
    for y0, x0, y1, x1 in segments:
        t = np.linspace(0, 1, 9)
        ys = np.clip(np.rint(y0 + t * (y1 - y0)).astype(int), 0, size - 1)
        xs = np.clip(np.rint(x0 + t * (x1 - x0)).astype(int), 0, size - 1)
        keep.append(border[ys, xs].mean() < 0.3)
    return segments[np.array(keep, bool)] if keep else np.zeros((0, 4))


def _march(hole: np.ndarray, start: np.ndarray, direction: np.ndarray, gap: float
           ) -> tuple[float, float] | None:
    """From ``start`` along ``direction``, in steps of a pixel: the distances at which the ray
    enters and leaves the hole, or None if it does not enter within ``gap`` or leaves the tile
    inside it."""
    size = hole.shape[0]
    steps = np.arange(0.0, 2.0 * size)
    points = np.rint(start[None] + steps[:, None] * direction[None]).astype(np.int64)  # (n, 2)
    inside = ((points >= 0) & (points < size)).all(axis=1)
    count = int(np.argmin(inside)) if not inside.all() else inside.size
    on_hole = hole[points[:count, 0], points[:count, 1]]
    entries = np.flatnonzero(on_hole)
    if not entries.size or steps[entries[0]] > gap:
        return None
    exits = np.flatnonzero(~on_hole[entries[0]:])
    if not exits.size:
        return None
    return float(steps[entries[0]]), float(steps[entries[0] + exits[0]])


def _fit(points: np.ndarray) -> tuple[Line, float]:
    """The line through ``points`` (``(n, 2)`` ``(y, x)``: total least squares) and the largest
    distance of a point from it."""
    centre = points.mean(axis=0)
    _, _, vt = np.linalg.svd(points - centre)
    direction = vt[0] / np.linalg.norm(vt[0])
    normal = np.array([-direction[1], direction[0]])
    return Line(centre, direction, 0.0), float(np.abs((points - centre) @ normal).max())


def find_lines(image: np.ndarray, hole: np.ndarray, face_size: int, *,
               max_lines: int = 12) -> list[Line]:
    """Straight lines crossing ``hole`` on one tile (see the module docstring).

    Args:
        image: ``(P, P, C)`` float32 tile in ``[0, 1]`` (hole pixels ignored).
        hole: ``(P, P)`` bool.
        face_size: ``S``; lengths and tolerances are shares of it.
        max_lines: keep the longest this many.

    Returns:
        The lines, longest evidence first (empty when none crosses the hole).
    """
    known = ~hole
    min_length = max(6.0, 0.03 * face_size)
    gap = 3.0 + 0.02 * face_size
    segments = _segments(image, known, min_length)
    if len(segments) < 2:
        return []
    starts, ends = segments[:, :2], segments[:, 2:]
    directions = ends - starts
    lengths = np.hypot(directions[:, 0], directions[:, 1])
    directions /= lengths[:, None]
    tolerance = 1.5 + 0.004 * face_size
    found: list[tuple[float, Line]] = []
    for i in range(len(segments)):
        for sign, tip in ((1.0, ends[i]), (-1.0, starts[i])):  # leave by either end
            u = sign * directions[i]
            crossing = _march(hole, tip, u, gap)
            if crossing is None:
                continue
            far = tip + crossing[1] * u
            # Another segment beyond the hole, nearly parallel (a short segment's angle is
            # known to about half a pixel over its length) and with the same polarity (LSD
            # orients a segment by its gradient: the same edge has the dark side on the same
            # side of it; the other edge of a painted line has it on the other) ...
            slack = np.arctan2(0.5, np.minimum(lengths, lengths[i]))
            parallel = directions @ directions[i] >= np.cos(_MAX_ANGLE + slack)
            beyond = np.minimum((starts - far) @ u, (ends - far) @ u) >= -gap
            candidates = np.flatnonzero(parallel & beyond)
            best = None
            for j in candidates[candidates != i]:
                # ... and on one line with it: every end point within ``tolerance`` of the
                # line fitted through both segments.
                line, residual = _fit(np.stack([starts[i], ends[i], starts[j], ends[j]]))
                if residual <= tolerance and (best is None or lengths[j] > best[0]):
                    best = (float(lengths[j]), line)
            if best is not None:
                found.append((lengths[i] + best[0], Line(best[1].point, best[1].direction,
                                                         1.0 + 0.004 * face_size)))
    found.sort(key=lambda item: -item[0])
    lines: list[Line] = []
    for _, line in found:  # the same line found from both of its segments: keep one
        if any(abs(line.direction @ other.direction) >= np.cos(_MAX_ANGLE)
               and abs((line.point - other.point) @ np.array(
                   [-other.direction[1], other.direction[0]])) <= tolerance
               for other in lines):
            continue
        lines.append(line)
        if len(lines) >= max_lines:
            break
    return lines

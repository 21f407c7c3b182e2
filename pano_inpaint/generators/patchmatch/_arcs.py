"""Circular arcs that cross a hole: found in the known ring as two pieces of one circle.

A painted circle on a floor (a court's centre circle, a roundabout's ring, a round rug's border)
is a circle on the down face, which sees the floor square on (a nadir cap's face). The line step
continues straight edges only: such a curve stopped at the hole's edge, and the plain search
left a few dashes of its colour inside (a held-out sports court under 35-45 degree caps, at
every scene seed). A circle seen at a slant (on a side face) is an ellipse, which this step
does not fit: two short pieces of an ellipse fit one of many, a circle is one check more.

Edges are found with Canny on the known ring around the hole (its own border left out; the
thresholds well above the ring's own texture), cut into connected curves, each long enough,
reaching the hole and smooth. Two curves are one arc where a single circle fits both
(``_FIT_RMS``), turns by ``_TURN`` at least across the hole between them (else a line's two ends,
the line step's), runs through the hole there, and shows the same colours on its two sides at
both (a painted stripe is one paint on one floor). The two edges of one stripe give two such
circles a stripe's width apart: they are drawn as one band.

An arc is filled by copies along it: each pixel of its band in the hole takes the pixel at the
same offset across the circle a little way along it from the nearer end, out in the known ring
(``arc_sources``); the copies repeat the ring's stretch of the arc, as a line's do.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pano_inpaint.generators.patchmatch._offsets import channel_mean

__all__ = ["Arc", "arc_sources", "find_arcs"]

_RING = 0.15  # the known ring searched for curves: this share of the face (and 12 px) wide
_BORDER = 2.5  # px: edges this close to the hole are its blank border's, not the scene's
_MIN_CURVE = 0.05  # a curve is at least this share of the face long (and 12 px) ...
_REACH = 4.0  # ... and comes within this many px of the hole
_WIGGLE = 0.7  # px RMS off its own circle at most: a smooth curve
_FIT_RMS = 0.8  # px RMS of both curves off one circle at most
_MAX_RADIUS = 3.0  # a circle wider than this many faces is a line (the line step's)
_MIN_RADIUS = 0.05  # ... smaller than this share of the face is a blob's outline
_TURN = np.radians(8.0)  # the curve turns by at least this much across the hole (else a line)
_THROUGH = 0.7  # the circle's part between the two curves lies this much in the hole
_SIDES = 0.1  # the two curves' colours beside them differ by at most this (grey levels)
_SAME_STRIPE = 3.0  # two arcs' radii this many band half widths apart or less: one stripe
_GRADIENT = 8.0  # OpenCV's Canny compares 3x3 Sobel responses: 8 times a central difference
_DETECT_SIZE = 800  # tiles larger than this are searched on a copy reduced by a whole factor
_PIECE = 16.0  # px: the arc's band is kept as straight pieces this long (``Arc.pieces``)
_COURSE_ROWS = 256  # rows of a tile measured at a time (``Arc.course``)


@dataclass(frozen=True)
class Arc:
    """A circular arc crossing a hole, in tile pixels.

    Attributes:
        centre: ``(2,)`` float64 ``(x, y)`` of the circle's centre.
        radius: its radius, px.
        half_width: half the width of the band filled along it, px.
        gap: ``(2,)`` float64: the angles where the arc enters and leaves the hole, the hole
            lying from ``gap[0]`` to ``gap[1]`` counter-clockwise.
    """

    centre: np.ndarray
    radius: float
    half_width: float
    gap: np.ndarray

    def coordinates(self, ys: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each pixel's angle about the centre and its offset across the circle (px)."""
        u = (xs - self.centre[0]) / self.radius
        v = (ys - self.centre[1]) / self.radius
        return np.arctan2(v, u), (np.hypot(u, v) - 1.0) * self.radius

    def band(self, hole: np.ndarray) -> np.ndarray:
        """``(P, P)`` bool: the pixels of ``hole`` within ``half_width`` of the arc, on its
        part across the hole (``gap``)."""
        out = np.zeros(hole.shape, bool)
        # Only the band's box is measured: the coordinates of every pixel of an 8K 50-degree
        # cap took about 0.5 GB for a band of a few thousand pixels.
        y0, y1, x0, x1 = self.box(hole.shape)
        ys, xs = np.nonzero(hole[y0:y1, x0:x1])
        ys, xs = ys + y0, xs + x0
        theta, offset = self.coordinates(ys.astype(np.float64), xs.astype(np.float64))
        keep = (np.abs(offset) <= self.half_width) & (
            np.mod(theta - self.gap[0], 2 * np.pi) <= self.gap[1] - self.gap[0])
        out[ys[keep], xs[keep]] = True
        return out

    def course(self, shape: tuple[int, ...], margin: float) -> np.ndarray:
        """``shape[:2]`` bool: the pixels within ``half_width + margin`` px of the whole
        circle, on the hole's side and beyond it alike (what its paint covers of the ring)."""
        out = np.zeros(shape[:2], bool)
        reach = self.radius + self.half_width + margin
        y0 = int(np.clip(np.floor(self.centre[1] - reach), 0, shape[0]))
        y1 = int(np.clip(np.ceil(self.centre[1] + reach) + 1, 0, shape[0]))
        x0 = int(np.clip(np.floor(self.centre[0] - reach), 0, shape[1]))
        x1 = int(np.clip(np.ceil(self.centre[0] + reach) + 1, 0, shape[1]))
        xs = np.arange(x0, x1, dtype=np.float64)[None, :]
        # A few rows at a time: the circle's box may be the whole tile (an 8K tile's pixel
        # coordinates take about 0.4 GB).
        for r0 in range(y0, y1, _COURSE_ROWS):
            ys = np.arange(r0, min(r0 + _COURSE_ROWS, y1), dtype=np.float64)[:, None]
            offset = np.hypot(xs - self.centre[0], ys - self.centre[1]) - self.radius
            out[r0:r0 + ys.shape[0], x0:x1] = np.abs(offset) <= self.half_width + margin
        return out

    def box(self, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
        """``(y0, y1, x0, x1)``: the pixels of a tile of ``shape`` that may lie in the band
        (its part across the gap, ``half_width`` either side), with a pixel to spare."""
        span = float(np.clip(self.gap[1] - self.gap[0], 0.0, 2 * np.pi))
        # Points at most a pixel apart along the band's outer edge bound it to a pixel.
        count = int(np.ceil(span * (self.radius + self.half_width))) + 2
        theta = self.gap[0] + np.linspace(0.0, span, count)
        ys, xs = zip(*(self.point(theta, np.full(count, side))
                       for side in (-self.half_width, self.half_width)), strict=True)
        ys, xs = np.concatenate(ys), np.concatenate(xs)
        y0 = int(np.clip(np.floor(ys.min()) - 1, 0, shape[0]))
        y1 = int(np.clip(np.ceil(ys.max()) + 2, 0, shape[0]))
        x0 = int(np.clip(np.floor(xs.min()) - 1, 0, shape[1]))
        x1 = int(np.clip(np.ceil(xs.max()) + 2, 0, shape[1]))
        return y0, y1, x0, x1

    def pieces(self, region: np.ndarray, length: float = _PIECE
               ) -> list[tuple[np.ndarray, np.ndarray]]:
        """``region`` (``(P, P)`` bool, pixels near the arc) cut into pieces about ``length`` px
        along it, each with the arc's unit tangent ``(dy, dx)`` at its middle: short enough to
        be straight lines (a piece of 16 px on a circle of 100 px bows by 0.3 px)."""
        ys, xs = np.nonzero(region)
        if not ys.size:
            return []
        theta, _ = self.coordinates(ys.astype(np.float64), xs.astype(np.float64))
        along = np.mod(theta - self.gap[0], 2 * np.pi) * self.radius
        index = np.floor(along / length).astype(np.int64)
        out = []
        for k in np.unique(index):
            mine = index == k
            middle = self.gap[0] + (k + 0.5) * length / self.radius
            step = 0.5 / self.radius
            y0, x0 = self.point(np.array([middle - step]), np.zeros(1))
            y1, x1 = self.point(np.array([middle + step]), np.zeros(1))
            tangent = np.array([y1[0] - y0[0], x1[0] - x0[0]])
            piece = np.zeros(region.shape, bool)
            piece[ys[mine], xs[mine]] = True
            out.append((tangent / np.linalg.norm(tangent), piece))
        return out

    def point(self, theta: np.ndarray, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(ys, xs)`` of the points at angle ``theta`` and ``offset`` across."""
        scale = 1.0 + offset / self.radius
        u, v = np.cos(theta) * self.radius * scale, np.sin(theta) * self.radius * scale
        return self.centre[1] + v, self.centre[0] + u


def _circle(points: np.ndarray) -> tuple[np.ndarray, float] | None:
    """The least-squares circle through ``points`` (``(n, 2)`` ``(x, y)``; Kasa's algebraic
    fit, on coordinates centred for conditioning) as ``(centre, radius)``."""
    if len(points) < 6:
        return None
    mean = points.mean(axis=0)
    x, y = (points - mean).T
    design = np.stack([x, y, np.ones_like(x)], axis=1)
    solution, *_ = np.linalg.lstsq(design, -(x * x + y * y), rcond=None)
    d, e, f = solution
    centre = np.array([-d / 2, -e / 2])
    squared = float(centre @ centre - f)
    if not np.isfinite(squared) or squared <= 0:
        return None
    return centre + mean, float(np.sqrt(squared))


def _off(points: np.ndarray, circle: tuple[np.ndarray, float]) -> np.ndarray:
    """Each point's distance off the circle (px; outside positive)."""
    return np.hypot(points[:, 0] - circle[0][0], points[:, 1] - circle[0][1]) - circle[1]


def _curves(grey: np.ndarray, known: np.ndarray, face_size: int) -> list[np.ndarray]:
    """The smooth edges of the known ring that reach the hole: per curve its ``(n, 2)`` float64
    ``(x, y)`` pixels."""
    distance = cv2.distanceTransform(known.astype(np.uint8), cv2.DIST_L2, 3)
    ring = (distance >= _BORDER) & (distance <= max(12.0, _RING * face_size))
    if not ring.any():
        return []
    blurred = cv2.GaussianBlur(grey, (0, 0), 1.0)
    gy, gx = np.gradient(blurred)
    magnitude = np.hypot(gx, gy)[ring]
    # Edges well above the ring's texture: its strongest percent, and five times its median.
    high = max(float(np.percentile(magnitude, 99)), 5.0 * float(np.median(magnitude)), 1e-3)
    scale = 255.0 * _GRADIENT
    edges = cv2.Canny(np.clip(blurred * 255, 0, 255).astype(np.uint8), 0.5 * high * scale,
                      high * scale, L2gradient=True) > 0
    edges &= ring
    count, labels = cv2.connectedComponents(edges.astype(np.uint8), connectivity=8)
    shortest = max(12.0, _MIN_CURVE * face_size)
    curves = []
    for label in range(1, count):
        ys, xs = np.nonzero(labels == label)
        if ys.size < shortest or distance[ys, xs].min() > _REACH:
            continue
        points = np.stack([xs, ys], axis=1).astype(np.float64)
        own = _circle(points)
        if own is not None and np.sqrt(np.mean(_off(points, own) ** 2)) > _WIGGLE:
            continue  # a wiggle (a straight edge's circle is huge and fits)
        curves.append(points)
    return curves


def _gap(circle: tuple[np.ndarray, float], first: np.ndarray,
         second: np.ndarray, hole: np.ndarray) -> np.ndarray | None:
    """The angles ``(enter, leave)`` (counter-clockwise, ``leave > enter``) of the circle's part
    from one curve to the other that runs through the hole (``_THROUGH`` of it in the hole, and
    no point of either curve on it); None where neither part does."""
    arc = Arc(*circle, 0.0, np.zeros(2))
    spans = []
    for points in (first, second):
        angles = arc.coordinates(points[:, 1], points[:, 0])[0]
        # The curve's span of angles: from its angle farthest clockwise, the widest step
        # between its sorted angles left out (a curve covers less than a half turn).
        order = np.sort(np.mod(angles, 2 * np.pi))
        steps = np.diff(np.concatenate([order, order[:1] + 2 * np.pi]))
        widest = int(np.argmax(steps))
        start = order[(widest + 1) % order.size]
        spans.append((start, start + 2 * np.pi - steps[widest]))
    best, share = None, _THROUGH
    for (_, end_a), (start_b, _) in ((spans[0], spans[1]), (spans[1], spans[0])):
        enter, leave = end_a, start_b + 2 * np.pi * np.ceil((end_a - start_b) / (2 * np.pi))
        if leave - enter >= 2 * np.pi or leave <= enter:
            continue
        samples = int(max(8, (leave - enter) * arc.radius))
        theta = np.linspace(enter, leave, samples)
        ys, xs = arc.point(theta, np.zeros_like(theta))
        ys, xs = np.rint(ys).astype(int), np.rint(xs).astype(int)
        on = (ys >= 0) & (ys < hole.shape[0]) & (xs >= 0) & (xs < hole.shape[1])
        if on.mean() < 0.5:
            continue
        inside = float(hole[ys[on], xs[on]].mean())
        if inside >= share:
            best, share = np.array([enter, leave]), inside
    return best


def _side_colours(image: np.ndarray, points: np.ndarray,
                  circle: tuple[np.ndarray, float]) -> np.ndarray:
    """``(2, C)``: the median colours 3 px inside and outside the circle at ``points``."""
    arc = Arc(*circle, 0.0, np.zeros(2))
    theta, _ = arc.coordinates(points[:, 1], points[:, 0])
    size = image.shape[0]
    out = []
    for offset in (-3.0, 3.0):
        ys, xs = arc.point(theta, np.full_like(theta, offset))
        ys = np.clip(np.rint(ys).astype(int), 0, size - 1)
        xs = np.clip(np.rint(xs).astype(int), 0, size - 1)
        out.append(np.median(image[ys, xs, : min(3, image.shape[2])], axis=0))
    return np.stack(out)


def find_arcs(image: np.ndarray, hole: np.ndarray, face_size: int) -> list[Arc]:
    """The circular arcs crossing ``hole`` (``(P, P)`` bool) on the tile ``image``
    (``(P, P, C)`` float32, hole pixels ignored), widest band first; see the module
    docstring."""
    if hole.all() or not hole.any():
        return []
    # Large tiles are searched reduced (as the line step's segments are): the curves' fit
    # needs no finer pixels, and the edge maps of a 16K tile took seconds.
    factor = max(1, int(np.ceil(hole.shape[0] / _DETECT_SIZE)))
    if factor > 1:
        reduced = hole.shape[0] // factor
        grey = cv2.resize(np.ascontiguousarray(channel_mean(image), np.float32),
                          (reduced, reduced), interpolation=cv2.INTER_AREA)
        hole = cv2.resize(hole.astype(np.float32), (reduced, reduced),
                          interpolation=cv2.INTER_AREA) > 0
        image = grey[..., None]
        face_size = face_size // factor
    arcs = _found(image, hole, face_size)
    if factor == 1:
        return arcs
    # A reduced pixel spans ``factor`` tile pixels; its centre lies (factor - 1) / 2 in.
    shift = (factor - 1) / 2
    return [Arc(arc.centre * factor + shift, arc.radius * factor, arc.half_width * factor,
                arc.gap) for arc in arcs]


def _found(image: np.ndarray, hole: np.ndarray, face_size: int) -> list[Arc]:
    """:func:`find_arcs` on a tile of at most ``_DETECT_SIZE`` px."""
    known = ~hole
    if not known.any():
        return []
    grey = np.ascontiguousarray(channel_mean(image), np.float32)
    grey[hole] = float(np.median(grey[known]))
    curves = _curves(grey, known, face_size)
    found: list[tuple[tuple[np.ndarray, float], np.ndarray]] = []
    for i in range(len(curves)):
        for j in range(i + 1, len(curves)):
            both = np.concatenate([curves[i], curves[j]])
            circle = _circle(both)
            if circle is None:
                continue
            radius = circle[1]
            if not _MIN_RADIUS * face_size <= radius <= _MAX_RADIUS * face_size:
                continue
            if np.sqrt(np.mean(_off(both, circle) ** 2)) > _FIT_RMS:
                continue
            sides = [_side_colours(image, c, circle) for c in (curves[i], curves[j])]
            if np.abs(sides[0] - sides[1]).max() > _SIDES:
                continue
            gap = _gap(circle, curves[i], curves[j], hole)
            # Across the hole the circle turns by _TURN at least (else a line's two ends, the
            # line step's).
            if gap is not None and gap[1] - gap[0] >= _TURN:
                found.append((circle, gap))
    # The two edges of one stripe: circles a stripe's width apart, one band between them.
    half = 1.0 + 0.004 * face_size
    arcs: list[Arc] = []
    used = [False] * len(found)
    for i, (circle, gap) in enumerate(found):
        if used[i]:
            continue
        group = [circle]
        for j in range(i + 1, len(found)):
            other = found[j][0]
            if (not used[j] and np.linalg.norm(other[0] - circle[0]) <= _SAME_STRIPE * half
                    and abs(other[1] - circle[1]) <= _SAME_STRIPE * half * 2):
                group.append(other)
                used[j] = True
        radii = [float(c[1]) for c in group]
        centre = np.mean([c[0] for c in group], axis=0)
        mean = float(np.mean(radii))
        spread = (max(radii) - min(radii)) / 2
        arcs.append(Arc(centre, mean, spread + half, gap))
    arcs.sort(key=lambda arc: -arc.half_width)
    return arcs


def arc_sources(arc: Arc, hole: np.ndarray, valid: np.ndarray, radius: int
                ) -> tuple[np.ndarray, ...]:
    """The hole pixels of ``arc``'s band and, for each, the known pixel it copies: at the same
    offset across the arc, from the nearer end of its gap a stretch of the arc outwards that
    repeats (the copies' arc length past the end, modulo the known stretch used); only those
    whose source is a ``valid`` patch centre (``(P, P)`` bool) are returned.

    Returns:
        ``(ys, xs, source_ys, source_xs)`` int64 and ``(beyond_y, beyond_x)`` float32, where
        each exact source on the arc lies beyond the whole pixel copied (within half a pixel).
    """
    ys, xs = np.nonzero(hole)
    theta, offset = arc.coordinates(ys.astype(np.float64), xs.astype(np.float64))
    near = np.abs(offset) <= arc.half_width
    ys, xs, theta, offset = ys[near], xs[near], theta[near], offset[near]
    enter, leave = arc.gap
    # Arc length (px) into the gap from each end.
    into = np.mod(theta - enter, 2 * np.pi)
    span = leave - enter
    inside = into <= span
    ys, xs, offset, into = ys[inside], xs[inside], offset[inside], into[inside]
    from_enter = into <= span / 2
    length = np.where(from_enter, into, span - into) * arc.radius
    start = 2.0 * radius + 1.0  # the first source whose patch lies wholly outside the gap
    stretch = max(4.0, 4.0 * radius)  # the known stretch of the arc the copies repeat
    back = (start + np.mod(length, stretch)) / arc.radius
    source_theta = np.where(from_enter, enter - back, leave + back)
    exact_y, exact_x = arc.point(source_theta, offset)
    sy, sx = np.rint(exact_y).astype(np.int64), np.rint(exact_x).astype(np.int64)
    size = hole.shape[0]
    ok = (sy >= 0) & (sy < size) & (sx >= 0) & (sx < size)
    ok[ok] = valid[sy[ok], sx[ok]]
    return (ys[ok].astype(np.int64), xs[ok].astype(np.int64), sy[ok], sx[ok],
            (exact_y - sy)[ok].astype(np.float32), (exact_x - sx)[ok].astype(np.float32))

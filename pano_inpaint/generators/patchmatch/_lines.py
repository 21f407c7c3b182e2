"""Straight lines that cross a hole: found in the known ring around it, paired across it.

A cube face is a gnomonic view, so a straight edge in the world (a kerb, a skirting board, the
rail on a wall, the edge of a painted stripe) is a straight segment on the tile wherever the
tile looks. A line that enters the hole on one side and leaves it on the other is found as two
collinear segments, one on each side: segments are detected with OpenCV's line segment detector
(LSD: R. Grompone von Gioi, J. Jakubowicz, J.-M. Morel, G. Randall, "LSD: a fast line segment
detector with a false detection control", TPAMI 2010) on the known pixels, and a segment pointing
into the hole is kept only if another segment beyond the hole continues it: nearly parallel,
with the same polarity (the dark side on the same side), and every end point of both within a
pixel or two of the line fitted through them; the segments on that line must also add up to a
fair share of the span it crosses (``_LINE_SUPPORT``), or a wide hole in a texture of short
edges gets lines drawn across it by chance alignments; where the tile's segments, turned a little
about their tips, still pair about as often (irregular paving beside a thin leg), a pair of short
segments in a direction they do not favour is such an alignment too
(``_without_chance_alignments``); and where it enters the hole and where it
leaves it, its cross-sections must be one edge's (``_ends_agree``): both show an edge, and the
dark side of a step does not turn over across the hole, unless by a step as large (a seam
between planks of varied tones), or two edges that happen to line up (a dark tile's edge and
the joint between two light tiles beyond it, a cloud's rim and another's far beyond) are
drawn across the hole as one. A faint line may be found on one side only
(LSD's threshold is a contrast against the texture around it): a segment of at least twice the
shortest length with no partner then looks for its own cross-section beyond the hole, along its
extension (``_trace``), and is kept where that profile continues for a long enough span there.
A long segment with neither may end inside the hole on one of the lines found crossing it (a
post on a rail, a parking stripe on the kerb it runs into: a T-junction); it is then continued
up to that line only (``_junctions``). Two such segments entering the hole from different sides
whose extensions meet inside it, with the same cross-section, are one line turning a corner there
(a rail or skirting board round the corner of a room behind the object, a window frame's corner):
each is continued up to where they meet (``_corners``). The two may come in by the line's two
edges (LSD finds both edges of a line a few pixels wide, and each arm may keep only one): where
both cross-sections are grooves (or ridges) they are matched moved across the line, and a corner
on a groove or ridge is drawn on its middle (unless the line's other edge turns the corner too).
The long segments left over, with no far side, line or corner, are returned as edges (``Edge``):
nothing is drawn along them, but where the plain search's fill continues one, the finish keeps
that continuation (``Edge.continued``).
The fill then copies along each line first
(structure propagation, J. Sun, L. Yuan, J. Jia, H.-Y. Shum, "Image completion with structure
propagation", SIGGRAPH 2005: the curves first, the rest constrained by them): each pixel of a
thin band around the line copies a pixel of the same band translated along the line, from the
known part of it; along a sure line (``Line.sure``) only by shifts that lie on the line itself.

A sure line between two different regions (a kerb between asphalt and paving, a skirting
board between wall and floor, a horizon) is a boundary (``_boundaries``): its two sides' colours
differ by more than they vary. Its band is wide, so that each region is continued along it
from its own side; with a thin band the plain search that fills the rest lets one region spill
across the continued edge into the other.

A segment touching the hole's border is the border itself (the hole is blank), not a line of
the scene: segments running along the border are dropped.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from pano_inpaint.generators.patchmatch._offsets import channel_mean

__all__ = ["Edge", "Line", "LinesFound", "find_lines", "lines_and_edges", "lines_note",
           "paint_contrast"]

_PAINT_RING = 24  # px: the ring whose colours a painted line's are compared with
_MAX_ANGLE = np.radians(3.0)  # two segments of one line differ by at most this much in angle
_TRACE_CORRELATION = 0.8  # a traced far side matches the segment's profile at least this well
# ... and keeps at least this share of its contrast (RMS about the profile's straight-line fit):
# a correlation ignores the amplitude, and a lamp strip ending at a hole in a ceiling (contrast
# 0.19) matched the plain ceiling's residue beyond it (0.0005) at 0.88 and was drawn across
# the hole. The faint far sides traced on the evaluation's scenes keep 0.14-0.84 of it.
_TRACE_CONTRAST = 0.02
# A segment is followed into the hole from up to this share of the face (plus 3 px) before it
# when another line crosses its extension on the way (LSD ends a grid line where another
# crosses it: 6-12 px short of the hole at S = 328 on a ceiling grid). Without a crossing the
# reach stays ``gap``: a longer one let texture edges pointing at the hole pair across it.
_CROSSED_REACH = 0.04
# ... crossing it at least this steeply (a line of the same family is not a crossing). The same
# angle tells lines alongside each other from crossing ones where a boundary's band stops half
# way to the next line (``_boundaries``), and drops an unsure pair (two edges that merely line
# up) crossing a sure line inside the hole at more than it: two structures cannot both run
# through one spot, and the sure one is the better evidence (Chichen Itza's tourists: a dirt
# edge paired with a balustrade's, drawn at 21 degrees across the pyramid's base and the grass
# strip, a zig-zag of steps). It was 30 degrees for the first two until session 25 gave the
# third 10 under the same name, which overrode it for all three: the figures since were
# measured at 10; 30 for the first two is untried.
_CROSSING_ANGLE = np.radians(10.0)
# ... and of two unsure pairs crossing inside the hole at more than this, the one with less
# evidence is dropped (after the chance pairs are gone, which would otherwise take lines they
# outrank with them). At 10 degrees two pairs along a court's planks, 10.5 degrees apart in
# perspective, lost one, and with it the lines that kept the stripes step off its floor
# (the court's tripod at mask seed 1: -2.95 dB); a fan or a star of chance pairs crosses
# more steeply (of a forest's five, one goes at 20 degrees, of a cobbled square's eight, five).
_UNSURE_CROSSING = np.radians(20.0)
# A pair of segments is a line only if the segments on it (both, and any others it passes
# through: LSD cuts a long line into pieces) add up to at least this share of the span it is
# drawn across the hole. Two short edges of a texture line up across a wide hole by chance:
# on grass under a 50-degree cap at 2K, pairs of 20-36 px segments 440-770 px apart (0.06-0.11)
# were drawn through the hole as streaks; the lines of the evaluation's scenes, Poly Haven
# interiors and kerbs reach 0.35 and more where no lattice takes over.
_LINE_SUPPORT = 0.3
# A cross-section is a step (one side darker, not a groove or ridge) where the difference of
# its two sides is at least this share of its range (``_side_step``).
_STEP_SHARE = 0.5
# ... and both ends show it: the contrast of each (RMS about its straight-line fit) at least this
# share of the other's. A cloud's rim lined up with another's far beyond a zenith cap (Chichen
# Itza at 2K) has flat sky where the line would leave the hole: 0.026 of the rim's contrast;
# the plaza's joints across its cube-edge hole keep 0.08-0.12, a lake's shore 0.3.
_END_CONTRAST = 0.05
# Steps dark on opposite sides at the two ends are one line turned over only where their sizes
# are within this factor of each other (a seam between planks of varied tones: 1.2-1.4 on the
# 2K loft); a dark tile's edge going on as the joint between two light tiles: 2.8-2.9.
_TURN_RATIO = 2.0
# ... but a groove (or a ridge) at both ends, dark (light) the same way, is one line whatever its
# sides do (a seam, a mortar joint, a crack between tones that vary along it): its centre (offsets
# within 2 px) beyond both sides' levels by at least this share of the cross-section's range
# (``_groove``).
_GROOVE_SHARE = 0.05
# A turn-over says two edges only where the weaker end is a clear edge itself, its contrast at
# least this much: a line fading into the texture beyond the hole (0.004-0.013: the 1K
# warehouse's floor edge, St Fagans' and the forest's monopod cases, the yard's bricks) turns
# over by chance; the plaza's joints beyond its dark tile keep 0.0165 and more. An absolute grey
# level of the search's display-referred values, not a share of the ends' own contrast.
_TURN_CONTRAST = 0.014
# A sure line copies only along shifts that are off it by at most this many pixels
# (``Line.vectors``): a step along it rounded to whole pixels can be off it by half a pixel,
# and copies of copies across a hole add those up into a line that drifts or blurs (grid
# lines on the scenes' cube corners: +0.3..+1.0 dB with these shifts).
_ON_LINE = 0.25
# An edge's extension counts as continued by the fill while its cross-section there correlates
# with the edge's own at least this well, with at least ``_CONTINUED_CONTRAST`` of its contrast;
# a single row below either does not end it, two in a row do.
_CONTINUED_CORRELATION = 0.4
_CONTINUED_CONTRAST = 0.2
# Edges into a hole within this angle of each other are a family, none of them kept.
_FAMILY_ANGLE = np.radians(20.0)
# A pair of segments in a direction the ring's segments do not favour is kept only where one
# of the two is long for the texture: at least ``_CHANCE_LONG`` times the median
# length of the ring's segments (a kerb or a pole's edge across grass), or the line is one of a
# family: the share of the segments' length within ``_CHANCE_ANGLE`` of its direction (either
# way round) at least ``_CHANCE_SHARE`` times what segments of every direction alike give.
# Paving of irregular stones has hundreds of short straight joints of every direction, and two
# of them line up across a tripod's leg by chance: at 1K a cobbled square's tripod had twelve
# lines drawn through its legs (streaks and a smear over a fifth of the hole), and random
# stones 14 px across beside a hole 10 px wide paired 10-12 times, up to 5 of them sure (their
# segments 8-24 px, the median 10.6).
_CHANCE_ANGLE = np.radians(6.0)
_CHANCE_SHARE = 2.0
_CHANCE_LONG = 3.0
# ... and only where chance explains the tile's pairs: its segments turned about their tips by
# these angles find partners (per turn) at least ``_CHANCE_RATE`` times as often as they do
# unturned, and they made at least ``_CHANCE_PAIRS`` pairs (a flood of them: the cobbled
# tripod's tile 27, turned 23 per turn). Where few pairs are made the rate says little (a
# warehouse ceiling's 3 pairs, 1.75 turned, held a sure line worth 2.8 dB at a cube corner;
# the forest floor's light and shade, 3-5 pairs at 0.33-0.65, help its fills as often as not).
_DECOY_TURNS = np.radians([-20.0, -10.0, 10.0, 20.0])
_CHANCE_RATE = 0.75
_CHANCE_PAIRS = 4
# Whatever the rate, a pair short for the texture and not sure is not drawn where its longer
# segment is shorter than this share of the hole's depth: the held-out cobbles' joints (20 px
# stones at 1K) paired across a 25-degree cap with segments 0.20-0.25 of its depth (five pairs,
# four lines: a diamond of streaks) and across a larger one at 0.11 (one pair: one long streak);
# a forest's unsure trunks across cube-edge, cube-corner and monopod holes are 0.39-0.98 of
# theirs, a cobbled tripod hub's chance pairs 0.34-0.44 (dropped by the rate).
_CHANCE_DEPTH = 0.3
_CONTINUED_SHIFT = 2  # px across: how far to one side a row's copy of the edge may lie
_DETECT_SIZE = 800  # tiles larger than this are searched on a reduced copy
# A sure line is a boundary between two regions where the mean colours of the known strips on its
# two sides differ by at least this many times their spread (RMS within a side), ...
_BOUNDARY_CONTRAST = 2.0
# ... and its band reaches this share of the face size to each side (strips as wide), or half
# the hole's depth, or half way to the nearest line alongside it. Potsdamer's paving beside
# asphalt under a 50-degree cap: a thin band continued the kerb, and the search filled a grey
# tongue across it (-3.0 dB at 1K); at 0.06 a grey blob was left past the band, at 0.5 the
# copies along the line streak.
_BOUNDARY_WIDTH = 0.1
_BOUNDARY_STRIDE = 400  # a tile is measured on a grid of (its size // this) px
# A segment ends on a line it meets at least this steeply. Converging lines of one family (the
# nosings of a flight of stairs in perspective) meet a line across them at shallow angles: at
# 20 degrees they were run on to a crossing line 26-31 degrees off (st_fagans wrap -0.8 dB).
_JUNCTION_ANGLE = np.radians(45.0)
# Two segments make a corner if the line turns there by at least the pairing's angle (less is
# one straight line, ``_MAX_ANGLE``) and at most this much: lines converging on a vanishing
# point inside the hole (a floor's joints, a stair's nosings) come from the same side and turn
# by nearly 180 degrees; a rail round a room's corner seen across it turns by 10-40, a frame's
# corner by 90.
_CORNER_TURN = np.radians(100.0)
# Two arms of one thin line (a groove or a ridge: a moulding, a seam) may come into the hole by
# its two edges, one on each side of it (LSD finds each edge of a line a few pixels wide, and an
# arm's other edge may stop short of the hole or fade): their cross-sections are then the line's
# moved across by its width. Where both are grooves (or both ridges) they are matched moved by
# up to this many samples either way (the hall's moulding round a room's corner at 1K: 3
# samples apart, correlation -0.21 as they lie and 0.98 moved).
_EDGE_SHIFT = 3
# Two sure lines along each other whose bands miss each other by at most this many px are a
# thin line's two edges (``_edges_met``).
_EDGE_GAP = 2.0


@dataclass(frozen=True)
class Line:
    """A straight line crossing a hole, in tile pixels.

    Attributes:
        point: ``(2,)`` float64 ``(y, x)``, a point on the line.
        direction: ``(2,)`` float64 unit ``(dy, dx)``.
        half_width: half the width of the band filled along it.
        traced: True where the far side was found by the segment's profile (``_trace``), not
            by a second segment.
        end: None for a line crossing the hole; for one that ends in it on another line
            (a T-junction), ``point`` is its segment's end next to the hole, ``direction``
            points into the hole and ``end`` is how far from ``point`` it stops.
        sure: its evidence is a line's: the fitted line runs along both of its segments, and
            what is seen of it covers a fair share of all it is drawn across unseen. Only a
            sure line copies along its exact direction (``vectors``); a pair that is only
            nearly one (two edges side by side, or a partner far beyond the hole) still
            orients the fill, as an edge of the texture continued, where exact copies would
            draw a hard line that is not there. A line without a second segment (``traced``,
            or one that ends) is sure.
        boundary: a sure line between two different regions, with a wide band
            (``_boundaries``).
        corner: a line that ends (``end`` set) where another one ending in the hole meets
            it, not on a line crossing the hole (``_corners``).
        slant: with ``sure``, the largest angle (radians) between a shift and the line
            (``vectors``); 0: none but ``_ON_LINE``'s.
    """

    point: np.ndarray
    direction: np.ndarray
    half_width: float
    traced: bool = False
    end: float | None = None
    sure: bool = True
    boundary: bool = False
    corner: bool = False
    slant: float = 0.0

    @property
    def crossing(self) -> bool:
        """A sure line crossing the hole whose band is its own: not a boundary, not one that
        ends in the hole."""
        return self.sure and not self.boundary and self.end is None

    def distance(self, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        """float64: the distance (px) from the line of the pixels at rows ``ys`` and columns
        ``xs`` (arrays that broadcast together)."""
        normal = _normal(self.direction)
        return np.abs((ys - self.point[0]) * normal[0] + (xs - self.point[1]) * normal[1])

    def band(self, shape: tuple[int, int]) -> np.ndarray:
        """``shape`` bool: the pixels within ``half_width`` of the line (of a line that
        ends, only from ``point`` to its ``end``)."""
        # A column of rows and a row of columns, broadcast: the same sums as on a full grid
        # of coordinates, without building one (two int64 arrays of the tile's size).
        band = self.distance(np.arange(shape[0])[:, None],
                             np.arange(shape[1])[None, :]) <= self.half_width
        if self.end is not None:
            ys, xs = np.arange(shape[0]) - self.point[0], np.arange(shape[1]) - self.point[1]
            along = (ys * self.direction[0])[:, None] + (xs * self.direction[1])[None, :]
            band &= (along >= -self.half_width) & (along <= self.end)
        return band

    def vectors(self, reach: float, tries: int = 16) -> np.ndarray:
        """``(n, 2)`` int64 shifts along the line up to ``reach`` pixels, shortest first (a
        line that ends copies from behind, where it comes from, only); a sure line's only
        those within ``_ON_LINE`` px of it and ``slant`` of its direction (where there are at
        least two; else all of them). A boundary's come in an order whose first ``tries`` (what
        a pixel compares) span the whole reach."""
        steps = np.arange(1, int(reach) + 1, dtype=np.float64)
        steps = -steps if self.end is not None else np.stack([steps, -steps], axis=1).ravel()
        shifts = np.rint(steps[:, None] * self.direction[None]).astype(np.int64)
        _, first = np.unique(shifts, axis=0, return_index=True)
        shifts = shifts[np.sort(first)]
        if self.sure:
            normal = np.array([-self.direction[1], self.direction[0]])
            off = np.abs(shifts @ normal)
            on_line = off <= _ON_LINE
            if self.slant > 0:
                on_line &= off <= np.tan(self.slant) * np.hypot(shifts[:, 0], shifts[:, 1])
            if on_line.sum() >= 2:
                shifts = shifts[on_line]
        if self.boundary and len(shifts) > tries:
            # A region's texture, not a line's profile: the first ``tries`` spread over the
            # whole reach. The nearest ones copy the source a pixel a few px back copied, so a
            # rust spot beside a beam came back every few px along it (warehouse ceiling).
            # A boundary crosses the hole, so its shifts come in pairs ``(+v, -v)`` (rounding
            # and the on-line test are symmetric): every ``every``-th pair first, both ways.
            every = -(-len(shifts) // tries)
            pairs = shifts.reshape(-1, 2, 2)
            order = np.concatenate([np.arange(k, len(pairs), every) for k in range(every)])
            shifts = pairs[order].reshape(-1, 2)
        return np.ascontiguousarray(shifts)


@dataclass(frozen=True)
class Edge:
    """A long segment entering a hole that the line step leaves alone: no second segment or
    traced far side beyond the hole, no line or corner to end on (``lines_and_edges``).

    Attributes:
        tip: ``(2,)`` float64 ``(y, x)``, the segment's end next to the hole.
        direction: ``(2,)`` float64 unit ``(dy, dx)``, from ``tip`` into the hole.
        length: the segment's length, px (behind ``tip``).
        enter: how far from ``tip`` along ``direction`` its extension enters the hole.
        leave: ... and leaves it.
    """

    tip: np.ndarray
    direction: np.ndarray
    length: float
    enter: float
    leave: float

    def continued(self, image: np.ndarray, hole: np.ndarray, face_size: int) -> np.ndarray:
        """``(P, P)`` bool: the hole pixels along the part of the edge's extension that the
        fill ``image`` (``(P, P, C)``, hole pixels filled) continues, from where it enters the
        hole: a band as wide as the cross-section compared, on as many rows as that
        cross-section matches the edge's own (``_CONTINUED_CORRELATION``,
        ``_CONTINUED_CONTRAST``) before two in a row do not, no further in than the segment is
        long. Empty where the segment is no confident profile or the fill does not continue
        it."""
        out = np.zeros(hole.shape, bool)
        grey = np.ascontiguousarray(channel_mean(image), np.float32)
        across = _across(face_size)
        profile = _profile(grey, ~hole, self.tip, self.direction, self.length, across)
        if profile is None:
            return out
        along = np.arange(self.enter, min(self.leave, self.enter + self.length))
        if along.size < 2:
            return out
        # The copies may carry the edge on a pixel or two to one side (pieces copied from
        # further along it): each row is compared at its best shift across, within the band.
        wide = np.arange(across[0] - _CONTINUED_SHIFT, across[-1] + _CONTINUED_SHIFT + 1.0)
        samples, _ = _sample(grey, ~hole, self.tip, self.direction, along, wide)  # (T, N + 2s)
        n = across.size
        shifted = np.stack([samples[:, k:k + n] for k in range(2 * _CONTINUED_SHIFT + 1)])
        match = _pearson(shifted, profile)  # (2s + 1, T)
        best = np.argmax(match, axis=0)
        rows = shifted[best, np.arange(along.size)]  # (T, N)
        contrast = np.sqrt(np.mean(_detrended(rows) ** 2, axis=1)) / max(_contrast(profile),
                                                                          1e-12)
        ok = (match.max(axis=0) >= _CONTINUED_CORRELATION) & (contrast >= _CONTINUED_CONTRAST)
        failed = np.flatnonzero(~ok[:-1] & ~ok[1:])
        count = int(failed[0]) if failed.size else int(ok.size - (not ok[-1]))
        if count < 2:
            return out
        band = Line(self.tip, self.direction, float(wide[-1]), end=float(along[count - 1]))
        return band.band(hole.shape) & hole


class LinesFound(NamedTuple):
    """What :func:`lines_and_edges` found: the lines to draw, the edges left over, and how many
    pairs were dropped as chance alignments of the texture's short edges."""

    lines: list[Line]
    edges: list[Edge]
    chance: int = 0


def _segments(image: np.ndarray, known: np.ndarray, min_length: float) -> np.ndarray:
    """``(n, 4)`` float64 ``(y0, x0, y1, x1)`` LSD segments of the known pixels at least
    ``min_length`` long, the hole's own border left out."""
    size = image.shape[0]
    factor = max(1, int(np.ceil(size / _DETECT_SIZE)))
    fill = _known_median(image, known)
    grey = channel_mean(image)  # a new array: the hole is filled in place
    grey[~known] = fill
    grey = grey.astype(np.float32, copy=False)
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
    near, (top, left) = _near_hole(known, 2 + factor)
    keep = []
    for y0, x0, y1, x1 in segments:
        t = np.linspace(0, 1, 9)
        ys = np.clip(np.rint(y0 + t * (y1 - y0)).astype(int), 0, size - 1) - top
        xs = np.clip(np.rint(x0 + t * (x1 - x0)).astype(int), 0, size - 1) - left
        inside = (ys >= 0) & (ys < near.shape[0]) & (xs >= 0) & (xs < near.shape[1])
        border = np.zeros(ys.shape, bool)
        border[inside] = near[ys[inside], xs[inside]]
        keep.append(border.mean() < 0.3)
    return segments[np.array(keep, bool)] if keep else np.zeros((0, 4))


_MEDIAN_ROWS = 256  # rows of grey levels made at a time for the median of the known ones


def _known_median(image: np.ndarray, known: np.ndarray) -> float:
    """``np.median(channel_mean(image)[known])`` (0.5 where nothing is known), the grey levels
    made a band of rows at a time into one array that the median then sorts in place: the
    whole grey image beside a copy of its known part and the median's own copy of that were
    the line search's peak (a 16K tile with a 25-degree cap: 290 MB of its 300)."""
    count = int(np.count_nonzero(known))
    if not count:
        return 0.5
    values = np.empty(count, channel_mean(image[:1, :1]).dtype)
    start = 0
    for row in range(0, image.shape[0], _MEDIAN_ROWS):
        band = channel_mean(image[row : row + _MEDIAN_ROWS])[known[row : row + _MEDIAN_ROWS]]
        values[start : start + band.size] = band
        start += band.size
    return float(np.median(values, overwrite_input=True))


# OpenCV's 3x3 approximation of the Euclidean distance (``DIST_L2``, mask 3) steps 0.955 px a
# pixel along the axes and 1.3693 diagonally: a pixel ``k`` rows or columns from the nearest
# hole pixel is at least ``0.955 k`` from it.
_CHAMFER_AXIS = 0.955


def _near_hole(known: np.ndarray, reach: float) -> tuple[np.ndarray, tuple[int, int]]:
    """Which pixels are within ``reach`` of the hole (``~known``) by OpenCV's distance map
    (``cv2.distanceTransform(known, DIST_L2, 3) <= reach``), on the hole's bounding box grown
    by what ``reach`` can span: the ``(h, w)`` bool map and its top left corner on the tile
    (an empty map where there is no hole); every pixel off the box is farther.

    The same values as the map of the whole tile, on a fraction of it (at 16K the whole map
    and its copies took 160 MB): the map's distance is a shortest path of axis and diagonal
    steps, which runs inside the box spanned by its two ends, and OpenCV takes the tile's
    outside as far from any hole, so a box holding the whole hole gives each of its pixels the
    same path."""
    rows, cols = np.flatnonzero(~known.all(axis=1)), np.flatnonzero(~known.all(axis=0))
    if not rows.size:
        return np.zeros((0, 0), bool), (0, 0)
    margin = int(np.ceil(reach / _CHAMFER_AXIS)) + 2
    top, left = max(0, rows[0] - margin), max(0, cols[0] - margin)
    bottom, right = rows[-1] + margin + 1, cols[-1] + margin + 1
    box = np.ascontiguousarray(known[top:bottom, left:right], np.uint8)
    return cv2.distanceTransform(box, cv2.DIST_L2, 3) <= reach, (int(top), int(left))


def _on_hole(hole: np.ndarray, start: np.ndarray, direction: np.ndarray, count: int
             ) -> np.ndarray:
    """Whether the points ``start + t * direction``, ``t = 0, 1, .. count - 1`` (rounded to
    pixels), lie on ``hole``; ``(n,)`` bool, ending where the ray leaves the tile."""
    size = hole.shape[0]
    steps = np.arange(0.0, count)
    points = np.rint(start[None] + steps[:, None] * direction[None]).astype(np.int64)  # (n, 2)
    inside = ((points >= 0) & (points < size)).all(axis=1)
    count = int(np.argmin(inside)) if not inside.all() else inside.size
    return hole[points[:count, 0], points[:count, 1]]


def _march(hole: np.ndarray, start: np.ndarray, direction: np.ndarray, gap: float
           ) -> tuple[float, float] | None:
    """From ``start`` along ``direction``, in steps of a pixel: the distances at which the ray
    enters and leaves the hole, or None if it does not enter within ``gap`` or leaves the tile
    inside it."""
    length = 2 * hole.shape[0]
    # Most rays do not meet the hole within ``gap``: those steps are looked at first, the
    # whole ray only for the others.
    if not _on_hole(hole, start, direction, min(int(np.floor(gap)) + 1, length)).any():
        return None
    on_hole = _on_hole(hole, start, direction, length)
    entries = np.flatnonzero(on_hole)
    exits = np.flatnonzero(~on_hole[entries[0]:])
    if not exits.size:
        return None
    return float(entries[0]), float(entries[0] + exits[0])


def _sample(grey: np.ndarray, known: np.ndarray, origin: np.ndarray, direction: np.ndarray,
            along: np.ndarray, across: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear samples of ``grey`` at ``origin + t * direction + n * normal`` for ``t`` in
    ``along`` (rows) and ``n`` in ``across`` (columns): ``(T, N)`` float32 values and ``(T, N)``
    bool, True where a sample reads known pixels only (outside the tile counts as unknown)."""
    normal = _normal(direction)
    points = (origin[None, None] + along[:, None, None] * direction[None, None]
              + across[None, :, None] * normal[None, None])  # (T, N, 2) (y, x)
    map_y = points[..., 0].astype(np.float32)
    map_x = points[..., 1].astype(np.float32)
    values = cv2.remap(grey, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    cover = cv2.remap(known.astype(np.float32), map_x, map_y, cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
    return values, cover >= 0.999


def _detrended(a: np.ndarray) -> np.ndarray:
    """The profiles ``a`` ``(..., N)`` less their straight-line fit along the last axis (shading
    that changes across the hole is not the line)."""
    ramp = np.linspace(-1.0, 1.0, a.shape[-1])
    ramp /= np.linalg.norm(ramp)
    a = a - a.mean(axis=-1, keepdims=True)
    return a - (a @ ramp)[..., None] * ramp


def _pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Correlation of the profiles ``a`` ``(..., N)`` with ``b`` ``(N,)`` along the last axis,
    each less its straight-line fit."""
    a, b = _detrended(a), _detrended(b)
    return (a @ b) / np.maximum(np.sqrt((a * a).sum(axis=-1) * (b @ b)), 1e-12)


def _contrast(profile: np.ndarray) -> float:
    """RMS of ``profile`` (``(N,)``) about its straight-line fit."""
    return float(np.sqrt(np.mean(_detrended(profile) ** 2)))


def _reduced(image: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """The tile's grey level and known pixels, reduced by the factor ``_segments`` uses."""
    size = image.shape[0]
    factor = max(1, int(np.ceil(size / _DETECT_SIZE)))
    grey = channel_mean(image).astype(np.float32, copy=False)
    if factor == 1:
        return grey, known, 1
    small = (size // factor, size // factor)
    grey = cv2.resize(grey[: small[0] * factor, : small[1] * factor], small,
                      interpolation=cv2.INTER_AREA)
    cover = cv2.resize(known[: small[0] * factor, : small[1] * factor].astype(np.float32), small,
                       interpolation=cv2.INTER_AREA)
    return grey, cover >= 0.999, factor


def _across(face_size: float) -> np.ndarray:
    """Offsets across a line at which its profile is sampled (``_profile``, ``_trace``), for
    tiles of faces ``face_size`` px wide."""
    half = np.ceil(2.0 + 0.01 * face_size)  # half the profile's width
    return np.arange(-half, half + 1.0)


def _profile(grey: np.ndarray, known: np.ndarray, tip: np.ndarray, u: np.ndarray,
             length: float, across: np.ndarray) -> np.ndarray | None:
    """The cross-section ``(N,)`` (at offsets ``across``) of a segment ending at ``tip``,
    ``length`` px long behind it along ``-u``, averaged along it; None unless the segment is a
    confident one: its profile stands out of the noise, the same along its length."""
    near_rows, near_known = _sample(grey, known, tip, u, -np.arange(0.0, length), across)
    near = near_rows[near_known.all(axis=1)]
    if len(near) < max(3.0, 0.5 * length):
        return None
    profile = near.mean(axis=0)
    noise = float(np.median(np.abs(np.diff(near, axis=1)))) / np.sqrt(len(near))
    thirds = np.stack([p.mean(axis=0) for p in np.array_split(near, 3)])
    if profile.std() < 4 * noise or _pearson(thirds, profile).min() < _TRACE_CORRELATION:
        return None
    return profile


def _trace(grey: np.ndarray, known: np.ndarray, tip: np.ndarray, u: np.ndarray,
           length: float, exit_at: float, face_size: float, profile: np.ndarray,
           across: np.ndarray) -> np.ndarray | None:
    """The far side of the line a segment starts: the segment ends at ``tip`` (``length`` px
    long, behind it), pointing along ``u`` into the hole, which it leaves ``exit_at`` px on;
    ``profile``: its confident cross-section at the offsets ``across`` (``_profile``).

    A faint line may be found on the near side only (LSD's threshold is a contrast against the
    texture around it). Its cross-section (the segment's profile across it, averaged along it)
    is looked for beyond the hole, along the segment's extension, shifted and turned as much as
    the segment's own direction allows. The match must correlate with the profile over a far
    span at least ``max(20, 0.06 S)`` px long and over each third of it; the longest such span
    from the hole on is taken (a line may fade or stop further on). Returns the far span's two
    end points ``(2, 2)`` ``(y, x)``, or None."""
    half = across[-1]  # half the profile's width
    # Candidates: the line's offset across at the hole's exit and its slope, on a strip
    # sampled once at half-pixel steps across.
    longest = min(length, 0.25 * face_size)
    shortest = int(max(20.0, 0.06 * face_size))
    # The segment's direction is known to about a pixel over its length: its extension may
    # turn by ``1 / length`` and be off by ``exit_at / length`` px across the hole, besides
    # the pairing's tolerance.
    shift_max = 1.5 + 0.004 * face_size + exit_at / length
    slope_max = 1.0 / length
    reach = half + shift_max + slope_max * (longest + 2 * half) + 1.0
    wide = np.arange(-np.ceil(reach), np.ceil(reach) + 0.25, 0.5)
    # Rows from the hole's exit on; the first may still reach into the hole where the line
    # leaves it obliquely (a row counts for a candidate only where all its samples are known).
    along = exit_at + 1.0 + np.arange(0.0, np.ceil(longest + 2 * half))
    count = len(along)
    if count < shortest:
        return None
    rows, row_known = _sample(grey, known, tip, u, along, wide)
    rows = np.where(row_known, rows, 0.0).astype(np.float32)
    shifts = np.arange(-shift_max, shift_max + 0.25, 0.5)
    slopes = np.linspace(-slope_max, slope_max, 2 * int(np.ceil(slope_max * count)) + 1)
    offset = shifts[:, None, None] + slopes[None, :, None] * (along - along[0])[None, None]
    offset = offset.reshape(-1, count)  # (K, T): each candidate's offset across, per row
    where = (offset[..., None] + across[None, None] - wide[0]) / 0.5  # (K, T, N) strip columns
    low = np.floor(where).astype(np.int64)
    frac = (where - low).astype(np.float32)
    row = np.arange(count)[None, :, None]
    values = rows[row, low] * (1 - frac) + rows[row, low + 1] * frac  # (K, T, N)
    valid = (row_known[row, low] & row_known[row, low + 1]).all(axis=2)  # (K, T)
    sums = np.concatenate([np.zeros_like(values[:, :1]),
                           np.cumsum(values * valid[..., None], axis=1)], axis=1)
    counts = np.concatenate([np.zeros((len(valid), 1), np.int64),
                             np.cumsum(valid, axis=1)], axis=1)
    normal = _normal(u)
    for end in np.unique(np.geomspace(shortest, count, 5).astype(int))[::-1]:
        spans = counts[:, end]
        usable = spans >= shortest
        if not usable.any():
            continue
        score = np.where(usable, _pearson(sums[:, end] / np.maximum(spans, 1)[:, None],
                                          profile), -1.0)
        best = int(np.argmax(score))
        if score[best] < _TRACE_CORRELATION:
            continue
        cuts = np.searchsorted(counts[best, : end + 1], spans[best] * np.arange(4) / 3)
        cuts[-1] = end
        thirds = (sums[best, cuts[1:]] - sums[best, cuts[:-1]]) / np.maximum(
            counts[best, cuts[1:]] - counts[best, cuts[:-1]], 1)[:, None]
        if _pearson(thirds, profile).min() < _TRACE_CORRELATION:
            continue
        if _contrast(sums[best, end] / spans[best]) < _TRACE_CONTRAST * _contrast(profile):
            continue
        rows_used = np.flatnonzero(valid[best, :end])[[0, -1]]
        return tip[None] + along[rows_used, None] * u[None] + (
            offset[best, rows_used, None] * normal[None])
    return None


def _side_step(profile: np.ndarray, across: np.ndarray) -> float:
    """How much brighter a cross-section ``profile`` (at offsets ``across``) is on the side of
    positive offsets than on the other, beyond the line itself (offsets of 2 px and more); 0
    where it is no step (a groove or a ridge: that difference under ``_STEP_SHARE`` of the
    profile's range)."""
    # Sides from 2 px here, from 3 in ``_groove``: a step's transition is the line's own pixels
    # (within 1 px of it), while a groove's centre holds a seam 2 px wide and its blur (within
    # 2 px), and its sides must lie beyond that. One offset for both changes what is paired:
    # read from 3 here, no test's pair changes but the 1K forest's cube-edge pair (mask seed 0)
    # is rejected (-0.7 dB in its hole); from 2 in ``_groove`` (its centre within 1 px), the
    # tests' seams between tones turned over are rejected.
    step = float(profile[across >= 2].mean() - profile[across <= -2].mean())
    return step if abs(step) >= _STEP_SHARE * float(np.ptp(profile)) else 0.0


def _groove(profile: np.ndarray, across: np.ndarray) -> float:
    """How far the centre of a cross-section ``profile`` (at offsets ``across``; offsets within
    2 px) lies beyond both of its sides (offsets of 3 px and more, each side's mean), as a share
    of the profile's range: negative for a dark groove, positive for a light ridge, 0 where it
    is neither (the centre between its sides' levels: a step) or less than ``_GROOVE_SHARE``."""
    centre = profile[np.abs(across) <= 2]
    sides = (float(profile[across <= -3].mean()), float(profile[across >= 3].mean()))
    dark = min(sides) - float(centre.min())
    light = float(centre.max()) - max(sides)
    depth = max(dark, light)  # neither is positive on a step that rises or falls across it
    if depth <= 0 or depth < _GROOVE_SHARE * float(np.ptp(profile)):
        return 0.0
    return (-dark if dark >= light else light) / float(np.ptp(profile))


def _ends_agree(reduced: tuple[np.ndarray, np.ndarray, int], line: Line, enter: np.ndarray,
                leave: np.ndarray, length: float, face_size: int) -> bool:
    """Whether the pair fitted as ``line`` is one edge on both sides of the hole, by its
    cross-sections where it enters the hole (``enter``, ``(2,)`` ``(y, x)`` on the tile) and
    where it leaves it (``leave``), each averaged over ``length`` px of known pixels along the
    line beyond the hole's border: both show the edge (the weaker end's contrast at least
    ``_END_CONTRAST`` of the stronger's), and a step dark on one side at one end is not one dark
    on the other side at the other end, unless the two steps are alike in size (within
    ``_TURN_RATIO``) or both ends are a groove dark the same way, or a ridge (``_groove``: a seam
    between tones that vary), or the weaker end too faint for its turn to mean anything
    (``_TURN_CONTRAST``).
    ``reduced``: the tile's grey level and known pixels as the search reduced them
    (``_reduced``). An end with fewer than 3 known rows says nothing against."""
    grey, known, factor = reduced
    centre = (factor - 1) / 2  # a reduced pixel's centre on the tile
    across = _across(face_size / factor)
    origin = (line.point - centre) / factor
    direction = line.direction if (leave - enter) @ line.direction >= 0 else -line.direction
    steps = np.arange(1.0, max(3.0, length / factor) + 1.0)
    profiles = []
    for at, way in ((enter, -1.0), (leave, 1.0)):  # away from the hole on each side
        start = ((at - centre) / factor - origin) @ direction  # the hole's border, along it
        rows, whole = _sample(grey, known, origin, direction, start + way * steps, across)
        rows = rows[whole.all(axis=1)]  # (T, N)
        if len(rows) < 3:
            return True
        profiles.append(rows.mean(axis=0))
    contrasts = [_contrast(profile) for profile in profiles]
    if min(contrasts) < _END_CONTRAST * max(contrasts):
        return False  # nothing on one side where the other shows an edge
    if _groove(profiles[0], across) * _groove(profiles[1], across) > 0:
        return True  # one seam or crack, whatever the tones beside it
    near, far = (_side_step(profile, across) for profile in profiles)
    if near * far >= 0 or min(contrasts) < _TURN_CONTRAST:
        return True
    return 1 / _TURN_RATIO <= abs(near) / abs(far) <= _TURN_RATIO


def _crossed(starts: np.ndarray, directions: np.ndarray, lengths: np.ndarray, i: int,
             tip: np.ndarray, u: np.ndarray, enter: float, slack: float,
             min_length: float) -> bool:
    """Whether another segment (``starts``, unit ``directions``, ``lengths``: ``(n, 2)``,
    ``(n, 2)``, ``(n,)``) crosses segment ``i``'s extension from ``tip`` along ``u`` before it
    enters the hole ``enter`` px on, at ``_CROSSING_ANGLE`` or more and at least
    ``min_length`` long: a grid line LSD ended where the other line crosses it (the short edges
    of a texture crossing it do not count). The crossing segment may itself stop up to
    ``slack`` px short of the crossing point (LSD may cut both lines there); the crossing may
    lie up to 2 px behind the tip."""
    normals = np.stack([-directions[:, 1], directions[:, 0]], axis=1)
    facing = normals @ u  # sin of the angle between u and each segment
    steep = (np.abs(facing) >= np.sin(_CROSSING_ANGLE)) & (lengths >= min_length)
    steep[i] = False
    if not steep.any():
        return False
    starts, directions, normals = starts[steep], directions[steep], normals[steep]
    lengths, facing = lengths[steep], facing[steep]
    # Where u's ray meets each segment's line: along u from the tip, and along the segment.
    at = ((starts - tip) * normals).sum(axis=1) / facing
    point = tip[None] + at[:, None] * u[None]
    along = ((point - starts) * directions).sum(axis=1)
    hit = (at >= -2.0) & (at <= enter) & (along >= -slack) & (along <= lengths + slack)
    return bool(np.any(hit))


def _support(line: Line, starts: np.ndarray, ends: np.ndarray, directions: np.ndarray,
             lengths: np.ndarray, reference: np.ndarray, slack: np.ndarray, tolerance: float
             ) -> float:
    """Total length of the segments (``starts``, ``ends``, unit ``directions``, ``lengths``)
    lying on ``line``, the line fitted through a segment and its partner: parallel to that
    segment's direction ``reference`` (``(2,)``, unit) within the pairing's angle
    (``_MAX_ANGLE`` plus each one's ``slack``), either way round (the pairing also asks the
    same polarity), with both ends within ``tolerance`` px of the line."""
    normal = np.array([-line.direction[1], line.direction[0]])
    parallel = np.abs(directions @ reference) >= np.cos(_MAX_ANGLE + slack)
    near = ((np.abs((starts - line.point) @ normal) <= tolerance)
            & (np.abs((ends - line.point) @ normal) <= tolerance))
    return float(lengths[parallel & near].sum())


def _fit(points: np.ndarray) -> tuple[Line, float]:
    """The line through ``points`` (``(n, 2)`` ``(y, x)``: total least squares) and the largest
    distance of a point from it."""
    centre = points.mean(axis=0)
    _, _, vt = np.linalg.svd(points - centre)
    direction = vt[0] / np.linalg.norm(vt[0])
    normal = np.array([-direction[1], direction[0]])
    return Line(centre, direction, 0.0), float(np.abs((points - centre) @ normal).max())


def _runs_along(line: Line, directions: np.ndarray, slack: float) -> bool:
    """Whether ``line`` runs along every segment of unit ``directions`` ``(n, 2)`` (within
    ``_MAX_ANGLE`` plus ``slack``, either way round). A line fitted through the ends of two
    parallel edges a few pixels apart across (a stair nosing beside a sign's top edge) passes
    near all four ends yet crosses both at several degrees."""
    return bool(np.all(np.abs(directions @ line.direction) >= np.cos(_MAX_ANGLE + slack)))


def _found_already(line: Line, others: list[Line], tolerance: float) -> bool:
    """Whether one of ``others`` is ``line`` again: within ``_MAX_ANGLE`` of its direction and
    its point within ``tolerance`` px of the other's line (a line is found from each of its
    two segments, an edge from both of its sides)."""
    return any(abs(line.direction @ other.direction) >= np.cos(_MAX_ANGLE)
               and abs((line.point - other.point) @ np.array(
                   [-other.direction[1], other.direction[0]])) <= tolerance
               for other in others)


def find_lines(image: np.ndarray, hole: np.ndarray, face_size: int, *,
               depth: float | None = None, max_lines: int = 12,
               stop: threading.Event | None = None) -> list[Line]:
    """The lines of :func:`lines_and_edges` without its edges."""
    return lines_and_edges(image, hole, face_size, depth=depth, max_lines=max_lines,
                           stop=stop)[0]


def lines_and_edges(image: np.ndarray, hole: np.ndarray, face_size: int, *,
                    depth: float | None = None, max_lines: int = 12,
                    stop: threading.Event | None = None, sure_ends: bool = False
                    ) -> LinesFound:
    """Straight lines crossing ``hole`` on one tile, those ending in it on one of them, and
    pairs of lines meeting in it at a corner (see the module docstring).

    Args:
        image: ``(P, P, C)`` float32 tile in ``[0, 1]`` (hole pixels ignored).
        hole: ``(P, P)`` bool.
        face_size: ``S``; lengths and tolerances are shares of it.
        depth: the hole's depth (largest distance, px, from a hole pixel to a known one) where
            the caller has measured it; None: measured here. It caps a boundary's band.
        max_lines: at most this many in all, the crossing ones first.
        stop: once set (from another thread: the caller no longer wants the lines), the
            search returns ``[]`` at its next step (after the segment detection, or between
            two segments).
        sure_ends: a segment may end only on a sure line (``Line.sure``): the caller will not
            draw the unsure ones (a thin hole), and one ending on a line never drawn would stop
            at nothing.

    Returns:
        The lines crossing the hole, longest evidence first (the boundaries after the
        others), then those ending in it on one of them (``Line.end`` set), longest segment
        first, then the corners' pairs (``Line.corner``), best matched first; a corner needs
        no line crossing the hole. Beside them the edges: the long confident segments into
        the hole that none of those continues (``Edge``), longest first; and the count of
        pairs dropped as chance alignments (``_without_chance_alignments``).
    """
    known = ~hole
    min_length = max(6.0, 0.03 * face_size)
    gap = 3.0 + 0.02 * face_size
    crossed_reach = 3.0 + _CROSSED_REACH * face_size
    segments = _segments(image, known, min_length)
    if len(segments) < 2 or (stop is not None and stop.is_set()):
        return LinesFound([], [])
    starts, ends = segments[:, :2], segments[:, 2:]
    directions = ends - starts
    lengths = np.hypot(directions[:, 0], directions[:, 1])
    directions /= lengths[:, None]
    tolerance = 1.5 + 0.004 * face_size
    half_width = 1.0 + 0.004 * face_size  # of the band filled along a line
    found: list[tuple[float, float, Line]] = []  # (both segments' length, longer's, line)
    # long segments into the hole without a far side: (length, tip, u, crossing, profile)
    dangling: list[_Dangling] = []
    reduced: list[tuple[np.ndarray, np.ndarray, int]] = []  # _reduced's, made once if asked

    def crossing_of(i: int, tip: np.ndarray, u: np.ndarray) -> tuple[float, float] | None:
        """Where the extension of segment ``i`` from ``tip`` along ``u`` enters and leaves
        the hole, if it reaches the hole soon enough (see ``_crossed``)."""
        crossing = _march(hole, tip, u, max(gap, crossed_reach))
        if crossing is None or (crossing[0] > np.floor(gap) and not _crossed(
                starts, directions, lengths, i, tip, u, crossing[0], gap, 3 * min_length)):
            return None
        return crossing

    def partner(i: int, tip: np.ndarray, u: np.ndarray, along: np.ndarray, near: np.ndarray,
                crossing: tuple[float, float]) -> tuple[tuple | None, bool]:
        """``((length, line, False), sure)``: the longest segment continuing segment ``i``
        (its end points ``near``, its direction ``along``; ``tip`` its end at the hole, ``u``
        pointing in) beyond the hole, or ``(None, True)``."""
        far = tip + crossing[1] * u
        # Another segment beyond the hole, nearly parallel (a short segment's angle is
        # known to about half a pixel over its length) and with the same polarity (LSD
        # orients a segment by its gradient: the same edge has the dark side on the same
        # side of it; the other edge of a painted line has it on the other) ...
        slack = np.arctan2(0.5, np.minimum(lengths, lengths[i]))
        parallel = directions @ along >= np.cos(_MAX_ANGLE + slack)
        beyond = np.minimum((starts - far) @ u, (ends - far) @ u) >= -gap
        candidates = np.flatnonzero(parallel & beyond)
        best, sure, unseen = None, True, 0.0
        for j in candidates[candidates != i]:
            # ... and on one line with it: every end point within ``tolerance`` of the
            # line fitted through both segments.
            line, residual = _fit(np.stack([near[0], near[1], starts[j], ends[j]]))
            if residual <= tolerance and (best is None or lengths[j] > best[0]):
                best = (float(lengths[j]), line, False)
                sure = _runs_along(line, np.stack([along, directions[j]]), slack[j])
                unseen = float(min((starts[j] - tip) @ u, (ends[j] - tip) @ u))
        if best is None:
            return None, True
        seen = _support(best[1], starts, ends, directions, lengths, along, slack, tolerance)
        if seen < _LINE_SUPPORT * (crossing[1] - crossing[0]):
            return None, True  # too little of it seen for the span drawn: a chance alignment
        if not reduced:
            reduced.append(_reduced(image, known))
        if not _ends_agree(reduced[0], best[1], tip + crossing[0] * u, tip + crossing[1] * u,
                           min_length, face_size):
            return None, True  # two edges lined up, not one across the hole
        return best, sure and seen >= _LINE_SUPPORT * unseen

    paired = 0  # segment ends that found a partner beyond the hole
    for i in range(len(segments)):
        if stop is not None and stop.is_set():
            return LinesFound([], [])
        for sign, tip in ((1.0, ends[i]), (-1.0, starts[i])):  # leave by either end
            u = sign * directions[i]
            crossing = crossing_of(i, tip, u)
            if crossing is None:
                continue
            best, sure = partner(i, tip, u, directions[i], segments[i].reshape(2, 2), crossing)
            paired += best is not None
            if best is None and lengths[i] >= 2 * min_length:
                # No segment beyond: if it is a line at all (a confident profile, not an edge
                # of the texture around it), look for its profile there ...
                if not reduced:
                    reduced.append(_reduced(image, known))
                grey, small_known, factor = reduced[0]
                centre = (factor - 1) / 2  # a reduced pixel's centre on the tile
                small_tip, small_length = (tip - centre) / factor, lengths[i] / factor
                across = _across(face_size / factor)
                profile = _profile(grey, small_known, small_tip, u, small_length, across)
                far_span = None if profile is None else _trace(
                    grey, small_known, small_tip, u, small_length, crossing[1] / factor,
                    face_size / factor, profile, across)
                if far_span is not None:
                    far_span = far_span * factor + centre
                    line, residual = _fit(np.concatenate([segments[i].reshape(2, 2), far_span]))
                    if residual <= tolerance and abs(line.direction @ u) >= np.cos(
                            _MAX_ANGLE + np.arctan2(0.5, lengths[i])):
                        best = (float(np.hypot(*(far_span[1] - far_span[0]))), line, True)
                        sure = True
                if best is None and profile is not None:
                    # ... else it may end on another line in the hole, or turn a corner.
                    dangling.append((float(lengths[i]), tip, u, crossing, profile))
            if best is not None:
                found.append((lengths[i] + best[0], max(lengths[i], best[0]),
                              Line(best[1].point, best[1].direction, half_width, best[2],
                                   sure=sure)))

    def decoys() -> float:
        """The partners found per turn of every segment end about its tip (``_DECOY_TURNS``):
        how many pairs chance alone makes of these segments beside this hole."""
        count = 0
        for i in range(len(segments)):
            if stop is not None and stop.is_set():
                return 0.0  # the lines are not wanted any more
            for sign, tip in ((1.0, ends[i]), (-1.0, starts[i])):
                for turn in _DECOY_TURNS:
                    c, s_ = np.cos(turn), np.sin(turn)
                    along = np.array([c * directions[i][0] - s_ * directions[i][1],
                                      s_ * directions[i][0] + c * directions[i][1]])
                    u = sign * along
                    crossing = crossing_of(i, tip, u)
                    if crossing is None:
                        continue
                    near = np.stack([tip, tip - lengths[i] * u])
                    count += partner(i, tip, u, along, near, crossing)[0] is not None
        return count / len(_DECOY_TURNS)
    found.sort(key=lambda item: -item[0])
    lines: list[Line] = []
    longest: dict[int, float] = {}  # id of a line: the longer of its two segments
    for _, length, line in found:  # the same line found from both of its segments: keep one
        if _found_already(line, lines, tolerance):
            continue
        lines.append(line)
        longest[id(line)] = length
        if len(lines) >= max_lines:
            break
    lines = _without_unsure_crossings(lines, hole)
    pairs = len(lines)
    if depth is None:
        depth = _hole_depth(hole)
    lines = _without_chance_alignments(lines, [longest[id(line)] for line in lines],
                                       directions, lengths, paired, decoys, depth)
    chance = pairs - len(lines)
    lines = _without_unsure_crossing_pairs(lines, hole)  # after: see ``_UNSURE_CROSSING``
    drawn = [line for line in lines if line.sure] if sure_ends else lines
    joined, rest = _junctions(dangling, drawn, tolerance, half_width, max_lines - len(drawn))
    corners, rest = _corners(rest, hole, half_width, max_lines - len(drawn) - len(joined),
                             reduced[0][2] if reduced else 1)
    # An edge with another one into the hole running nearly its way is one of a family (the
    # nosings of a flight of stairs, converging in perspective): where the search continues
    # those it runs them on past where they end (st_fagans wrap: -0.86 dB kept).
    along = np.array([item[2] for item in dangling]).reshape(-1, 2)
    edges = [Edge(tip, u, length, *crossing) for length, tip, u, crossing, _ in rest
             if (np.abs(along @ u) >= np.cos(_FAMILY_ANGLE)).sum() <= 1]
    return LinesFound(_edges_met(_boundaries(lines, image, known, face_size, depth))
                      + joined + corners, edges, chance)


def _hole_depth(hole: np.ndarray) -> float:
    """Largest distance (px) from a pixel of ``hole`` ``(P, P)`` to a known one."""
    return float(cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3).max())


def _crosses_in_hole(line: Line, others: list[Line], hole: np.ndarray,
                     angle: float = _CROSSING_ANGLE) -> bool:
    """Whether ``line`` crosses one of ``others`` inside ``hole`` (``(P, P)`` bool) at more
    than ``angle`` (radians)."""
    for other in others:
        if abs(float(line.direction @ other.direction)) > np.cos(angle):
            continue
        system = np.column_stack([line.direction, -other.direction])
        t, _ = np.linalg.solve(system, other.point - line.point)
        y, x = np.rint(line.point + t * line.direction).astype(int)
        if 0 <= y < hole.shape[0] and 0 <= x < hole.shape[1] and hole[y, x]:
            return True
    return False


def _without_unsure_crossings(lines: list[Line], hole: np.ndarray) -> list[Line]:
    """``lines`` less each unsure one (``Line.sure`` False) that crosses a sure one inside
    ``hole`` (``(P, P)`` bool) at more than ``_CROSSING_ANGLE``."""
    sure = [line for line in lines if line.sure]
    return [line for line in lines if line.sure or not _crosses_in_hole(line, sure, hole)]


def _without_unsure_crossing_pairs(lines: list[Line], hole: np.ndarray) -> list[Line]:
    """``lines`` (longest evidence first) less each unsure one that crosses an unsure one kept
    before it inside ``hole`` at more than ``_UNSURE_CROSSING``: two such pairs cannot both be
    one structure, and the other is the better evidence (a forest's fallen log paired with
    five edges beyond a bush, a fan of streaks through it; a star of eight through a cobbled
    square's nadir cap)."""
    kept: list[Line] = []
    for line in lines:
        earlier = [other for other in kept if not other.sure]
        if line.sure or not _crosses_in_hole(line, earlier, hole, _UNSURE_CROSSING):
            kept.append(line)
    return kept


def _without_chance_alignments(lines: list[Line], longest: list[float],
                               directions: np.ndarray, lengths: np.ndarray, paired: int,
                               decoys: Callable[[], float], depth: float) -> list[Line]:
    """``lines`` less the pairs that chance explains: where the segments (unit ``directions``
    ``(n, 2)``, ``lengths`` ``(n,)``) made at least ``_CHANCE_PAIRS`` pairs (``paired``) and,
    turned about their tips, find partners (``decoys()``, per turn) at least ``_CHANCE_RATE``
    times as often, each pair whose direction they do not favour and whose own segments (the
    longer of the two: ``longest``, one per line) are short for them (``_CHANCE_SHARE``,
    ``_CHANCE_LONG``). A traced line (no second segment) stays. Whatever the rate, a pair of
    those that is not sure (``Line.sure``) goes where its longer segment is shorter than
    ``_CHANCE_DEPTH`` of the hole's ``depth`` (px)."""
    total = float(lengths.sum())
    if total <= 0 or not lines:
        return lines
    uniform = 2 * _CHANCE_ANGLE / np.pi  # the share of every direction alike, mod 180 degrees
    long_enough = _CHANCE_LONG * float(np.median(lengths))

    def telling(line: Line, length: float) -> bool:
        if line.traced or length >= long_enough:
            return True
        along = np.abs(directions @ line.direction) >= np.cos(_CHANCE_ANGLE)
        return float(lengths[along].sum()) >= _CHANCE_SHARE * uniform * total  # a family

    doubtful = [not telling(line, length) for line, length in zip(lines, longest, strict=True)]
    short = [drop and not line.sure and length < _CHANCE_DEPTH * depth
             for line, length, drop in zip(lines, longest, doubtful, strict=True)]
    if any(doubtful) and paired >= _CHANCE_PAIRS and decoys() >= _CHANCE_RATE * paired:
        return [line for line, drop in zip(lines, doubtful, strict=True) if not drop]
    return [line for line, drop in zip(lines, short, strict=True) if not drop]


def _boundaries(lines: list[Line], image: np.ndarray, known: np.ndarray, face_size: int,
                depth: float | None = None) -> list[Line]:
    """``lines`` with each sure one between two different regions made a boundary: its band
    widened to ``_BOUNDARY_WIDTH`` of the face or half the hole's ``depth``, or half way to the
    nearest line alongside it (each part of a beam between its two edges continues along the
    nearer one). The regions are compared on the known strips as wide as that band on its two
    sides, within that distance of the hole. Boundaries come after the other crossing lines,
    so that their thin bands (a line crossing the boundary) keep their pixels; ``find_lines``
    puts the lines that end after them all (``depth``: the hole's, None to measure it here)."""
    if not any(line.sure for line in lines):
        return lines
    if depth is None:
        depth = _hole_depth(~known)
    # No wider than half the hole's depth: in a small hole (a tripod's hub) the search, with
    # the ring all around, places the regions itself; a band across all of it would make the
    # whole hole a copy along the line.
    reach = min(_BOUNDARY_WIDTH * face_size, depth / 2)
    # The strips are measured on a grid ``stride`` px wide: a full-size distance map of an 8K
    # tile added 30-60 MB to the fill's peak.
    stride = max(1, image.shape[0] // _BOUNDARY_STRIDE)
    sampled = np.ascontiguousarray(known[::stride, ::stride])
    near = stride * cv2.distanceTransform(sampled.astype(np.uint8), cv2.DIST_L2, 3) <= reach
    ys, xs = np.nonzero(near & sampled)
    ys, xs = ys * stride, xs * stride
    values = image[ys, xs].astype(np.float64)
    out = []
    for line in lines:
        normal = np.array([-line.direction[1], line.direction[0]])
        apart = [abs((other.point - line.point) @ normal) / 2 for other in lines
                 if other is not line
                 and abs(other.direction @ line.direction) >= np.cos(_CROSSING_ANGLE)]
        wide = min([reach, *apart])
        if line.sure and line.half_width < wide:
            across = (ys - line.point[0]) * normal[0] + (xs - line.point[1]) * normal[1]
            one = values[(across > line.half_width) & (across <= wide)]
            other = values[(across < -line.half_width) & (across >= -wide)]
            if len(one) >= 20 and len(other) >= 20:
                step = float(((one.mean(0) - other.mean(0)) ** 2).sum())
                spread = float((one.var(0) + other.var(0)).sum() / 2)
                if step >= _BOUNDARY_CONTRAST**2 * max(spread, 1e-8):
                    line = dataclasses.replace(line, half_width=wide, boundary=True)
        out.append(line)
    return sorted(out, key=lambda line: line.boundary)  # stable: thin bands first


def _edges_met(lines: list[Line]) -> list[Line]:
    """``lines`` with the bands of a thin line's two edges widened to meet in its middle.

    LSD finds both edges of a line a few pixels wide (a joint, a rail, a cable), each paired
    across the hole as a line of its own; their bands, centred on the edges, left the middle
    of a 3 px line to the search (a dashed row of its pixels that the fill took from beside the
    line: the line came back hatched and lighter in the hole). Two sure lines crossing the hole
    along each other (within ``_MAX_ANGLE``) whose bands miss each other by at most the
    ``_EDGE_GAP`` px are such a pair: each band reaches half a pixel past the middle (bands
    that already meet are left as they are)."""
    out = list(lines)
    for k, line in enumerate(lines):
        if not line.crossing:
            continue
        apart = [float(line.distance(*other.point)) for other in lines
                 if other is not line and other.crossing
                 and abs(other.direction @ line.direction) >= np.cos(_MAX_ANGLE)]
        apart = [d for d in apart if d <= 2 * line.half_width + _EDGE_GAP]
        if apart and min(apart) / 2 > line.half_width:
            out[k] = dataclasses.replace(line, half_width=min(apart) / 2 + 0.5)
    return out


_Dangling = tuple[float, np.ndarray, np.ndarray, tuple[float, float], np.ndarray]


def _junctions(dangling: list[_Dangling], lines: list[Line], tolerance: float, half_width: float,
               count: int) -> tuple[list[Line], list[_Dangling]]:
    """The long segments without a far side that end, inside the hole, on one of the
    ``lines`` crossing it (a post on the rail of a balustrade, a parking stripe on the kerb
    it runs into): each continued from where it enters the hole to that line, longest first,
    at most ``count``. A segment is taken to end on the first line its extension crosses
    inside the hole at an angle of at least ``_JUNCTION_ANGLE``, if that is no further into
    the hole than the segment is long (a longer run is more guess than evidence: on textured
    ground, an edge of the texture pointing at a kerb); one whose extension leaves the hole
    first is left to the plain search (nothing says where it ends), or to ``_corners``: the
    segments not ended on a line are returned beside the lines. Each continued segment's band
    is ``half_width`` wide, as the crossing lines' are."""
    joined: list[Line] = []
    rest: list[_Dangling] = []
    for item in sorted(dangling, key=lambda item: -item[0]):
        length, tip, u, (enter, leave), _ = item
        if len(joined) >= count:
            rest.append(item)
            continue
        stop = None
        for other in lines:
            normal = np.array([-other.direction[1], other.direction[0]])
            if abs(u @ normal) < np.sin(_JUNCTION_ANGLE):
                continue
            at = float((other.point - tip) @ normal / (u @ normal))  # along u from the tip
            if enter <= at <= leave and (stop is None or at < stop[0]):
                stop = (at, other.half_width / abs(u @ normal))
        if stop is None or stop[0] - enter > length:
            rest.append(item)  # no line to end on, or further in than the segment is long
            continue
        line = Line(tip, u, half_width, end=stop[0] + stop[1])
        if _found_already(line, joined, tolerance):
            continue  # the same edge found twice
        joined.append(line)
    return joined, rest


def _corners(dangling: list[_Dangling], hole: np.ndarray, half_width: float, count: int,
             factor: int = 1) -> tuple[list[Line], list[_Dangling]]:
    """Pairs of the long segments without a far side (``dangling``: length, tip, unit ``u``
    into the hole, where it enters and leaves it, cross-section) that are one line turning a
    corner inside the hole: their extensions meet on a hole pixel, each no further into the
    hole than its segment is long (as for ``_junctions``), the line turns there by between
    ``_MAX_ANGLE`` and ``_CORNER_TURN``, and the two cross-sections match (correlation at least
    ``_TRACE_CORRELATION``, contrasts within a factor of two; see ``_arms_match``). Followed
    round the corner, the side of the line on the left stays on the left, so the second
    segment's cross-section, taken across its own ``u`` (which points the other way along the
    path), is compared reversed. Where the two are the line's two edges (matched moved across),
    the second is taken moved onto the first's edge (``factor``: tile pixels per sample of the
    cross-sections, ``_reduced``'s): two edges of a line 3 px wide, meeting at 19 degrees, met
    9 px past its corner. A corner on a groove or ridge is drawn on its middle unless its other
    edge turns the corner too (``_twins``). Each pair gives two lines that end where they meet
    (``Line.corner``), with bands ``half_width`` wide; pairs are taken best match first, a
    segment in one pair at most, at most ``count`` lines in all. Returns them and the segments
    in no pair, in ``dangling``'s order."""
    if count < 2:
        return [], dangling  # a corner is two lines
    candidates = []
    for a in range(len(dangling)):
        for b in range(a + 1, len(dangling)):
            (len_a, tip_a, u_a, crossing_a, prof_a) = dangling[a]
            (len_b, tip_b, u_b, crossing_b, prof_b) = dangling[b]
            turn = float(np.arccos(np.clip(-(u_a @ u_b), -1.0, 1.0)))
            if not _MAX_ANGLE < turn <= _CORNER_TURN:
                continue
            match, shift = _arms_match(prof_a, prof_b[::-1])
            ratio = _contrast(prof_a) / max(_contrast(prof_b), 1e-12)
            if not (match >= _TRACE_CORRELATION and 0.5 <= ratio <= 2.0):
                continue
            # The second arm on the first's edge of the line: its reversed cross-section,
            # sampled across -normal, shows a's sample ``k + shift`` at its sample ``k``.
            tip_b = tip_b + shift * factor * _normal(u_b)
            meeting = _meeting(tip_a, u_a, len_a, crossing_a, tip_b, u_b, len_b, crossing_b,
                               hole)
            if meeting is not None:
                candidates.append((match, a, b, tip_a, tip_b, meeting))
    chosen = []
    used: set[int] = set()
    for _, a, b, tip_a, tip_b, meeting in sorted(candidates, key=lambda item: -item[0]):
        if a in used or b in used or 2 * (len(chosen) + 1) > count:
            continue
        used.update((a, b))
        chosen.append((a, b, tip_a, tip_b, meeting))
    arms = [(tip_a, dangling[a][2], tip_b, dangling[b][2]) for a, b, tip_a, tip_b, _ in chosen]
    corners: list[Line] = []
    for k, (a, b, tip_a, tip_b, meeting) in enumerate(chosen):
        u_a, u_b = arms[k][1], arms[k][3]
        middle = _groove_middle(dangling[a][4]) * factor
        # The line's other edge lies about twice as far from this one as its middle.
        reach = 2 * abs(middle) + factor
        if middle and not any(_twins(arms[k], arms[j], reach)
                              for j in range(len(chosen)) if j != k):
            # On the middle: on an edge, a band as wide as the line left its far side to the
            # search (the parlour's skirting round a room's corner: a grey smear over the
            # floor). Not where the other edge has its own corner: the two bands cover the
            # line together (a bright bar across a hole, on the middle both: a narrow one).
            moved_a, moved_b = tip_a + middle * _normal(u_a), tip_b - middle * _normal(u_b)
            moved = _meeting(moved_a, u_a, dangling[a][0], dangling[a][3], moved_b, u_b,
                             dangling[b][0], dangling[b][3], hole)
            if moved is not None:
                tip_a, tip_b, meeting = moved_a, moved_b, moved
        for tip, u, at in ((tip_a, u_a, meeting[0]), (tip_b, u_b, meeting[1])):
            corners.append(Line(tip, u, half_width, end=at + half_width, corner=True))
    return corners, [item for k, item in enumerate(dangling) if k not in used]


def paint_contrast(image: np.ndarray, known: np.ndarray, lines: list[Line]) -> list[float]:
    """For each of ``lines``, how far the colour of its known middle (within half its band's
    half width, at least 1 px) lies from the median colour of the known ring around the hole
    (``known`` ``(P, P)`` bool; pixels within ``_PAINT_RING`` px of the hole), in units of the
    distance within which 90% of the ring's colours lie: a line painted on boards (a colour the
    ring seldom shows) 1.7-2.7 on the sports court's, a board's joint (the ground's own colours,
    only darker) 0.18-0.21 on the loft's. 0 where the ring or the middle holds too few known
    pixels. The ring is measured once for all the lines."""
    if not lines:
        return []
    away = cv2.distanceTransform(known.astype(np.uint8), cv2.DIST_L2, 3)
    ring = image[known & (away < _PAINT_RING)]
    if ring.shape[0] < 50:
        return [0.0] * len(lines)
    centre = np.median(ring, axis=0)
    spread = max(float(np.quantile(np.sqrt(((ring - centre) ** 2).sum(axis=1)), 0.9)), 1e-6)
    ys, xs = np.nonzero(known)
    contrasts = []
    for line in lines:
        middle = line.distance(ys, xs) <= max(line.half_width * 0.5, 1.0)
        if middle.sum() < 10:
            contrasts.append(0.0)
            continue
        colour = image[ys[middle], xs[middle]].mean(axis=0)
        contrasts.append(float(np.sqrt(((colour - centre) ** 2).sum()) / spread))
    return contrasts


def _normal(u: np.ndarray) -> np.ndarray:
    """The unit normal across a line along unit ``u`` (``(dy, dx)``), the side a cross-section's
    positive offsets lie on (``_sample``)."""
    return np.array([-u[1], u[0]])


def _meeting(tip_a: np.ndarray, u_a: np.ndarray, len_a: float, crossing_a: tuple[float, float],
             tip_b: np.ndarray, u_b: np.ndarray, len_b: float, crossing_b: tuple[float, float],
             hole: np.ndarray) -> tuple[float, float] | None:
    """How far along ``u_a`` from ``tip_a`` and along ``u_b`` from ``tip_b`` the two rays meet,
    where that is inside the hole on both (between each one's ``crossing``, where it enters and
    leaves it), no further into it than each one's segment is long (``len_a``, ``len_b``), and
    on a hole pixel; else None."""
    cross = u_a[0] * u_b[1] - u_a[1] * u_b[0]
    delta = tip_b - tip_a
    s_at = float((delta[0] * u_b[1] - delta[1] * u_b[0]) / cross)
    t_at = float((delta[0] * u_a[1] - delta[1] * u_a[0]) / cross)
    if not (crossing_a[0] <= s_at <= crossing_a[1] and crossing_b[0] <= t_at <= crossing_b[1]):
        return None
    if s_at - crossing_a[0] > len_a or t_at - crossing_b[0] > len_b:
        return None  # further into the hole than the evidence is long
    meet = np.rint(tip_a + s_at * u_a).astype(np.int64)
    if not (0 <= meet[0] < hole.shape[0] and 0 <= meet[1] < hole.shape[1]
            and hole[meet[0], meet[1]]):
        return None
    return s_at, t_at


_Arms = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # tip_a, u_a, tip_b, u_b


def _twins(one: _Arms, other: _Arms, reach: float) -> bool:
    """Whether two corners are one line's two edges turning it: each arm of ``one`` has an arm
    of ``other`` along it (within ``_MAX_ANGLE``) and within ``reach`` px of its line."""
    others = ((other[0], other[1]), (other[2], other[3]))
    return all(
        any(u @ u2 >= np.cos(_MAX_ANGLE) and abs((tip2 - tip) @ _normal(u)) <= reach
            for tip2, u2 in others)
        for tip, u in ((one[0], one[1]), (one[2], one[3])))


def _arms_match(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    """How well two arms' cross-sections ``(N,)`` match (``b`` taken the way round ``a`` is),
    and by how many samples ``b`` is moved for it (``a[k + shift]`` matches ``b[k]``): their
    correlation as they lie, or, where both are grooves (or both ridges) dark (light) the same
    way, the best over moving one across the other by up to ``_EDGE_SHIFT`` samples (the arms'
    segments may be the line's two edges). A step is matched as it lies: its edge is the line
    itself."""
    best = (float(_pearson(a, b)), 0)
    across = np.arange(a.size, dtype=np.float64) - a.size // 2
    if _groove(a, across) * _groove(b, across) <= 0:
        return best
    # At most a quarter of the samples: the correlation of what still overlaps, less its
    # straight-line fit, means little over fewer (two sections 13 samples wide: 3).
    for shift in range(1, min(_EDGE_SHIFT, a.size // 4) + 1):
        for moved, near, far in ((shift, a[shift:], b[:-shift]),
                                 (-shift, a[:-shift], b[shift:])):
            match = float(_pearson(near, far))
            if match > best[0]:
                best = (match, moved)
    return best


def _groove_middle(profile: np.ndarray) -> float:
    """Where the middle of a groove (or ridge) lies across its cross-section ``(N,)``, in
    samples from the segment: its darkest (or lightest) sample within 2 of it, refined by a
    parabola through it and its neighbours; 0 for a step."""
    across = np.arange(profile.size, dtype=np.float64) - profile.size // 2
    groove = _groove(profile, across)
    if groove == 0:
        return 0.0
    centre = np.flatnonzero(np.abs(across) <= 2)
    values = profile[centre] if groove > 0 else -profile[centre]
    k = int(centre[np.argmax(values)])
    if not 0 < k < profile.size - 1:
        return float(across[k])
    sign = 1.0 if groove > 0 else -1.0
    left, mid, right = (sign * float(profile[j]) for j in (k - 1, k, k + 1))
    bend = left - 2 * mid + right
    step = 0.0 if bend >= 0 else float(np.clip(0.5 * (left - right) / bend, -0.5, 0.5))
    return float(across[k]) + step


def lines_note(lines: list[Line]) -> str:
    """What the line step does on one tile, for the report: the lines it continues across the
    hole (how many of them were found beyond it by their profile) and, apart from them, those
    it continues only up to a line they end on inside the hole (T-junctions) or up to where
    two of them meet in a corner.

    Example:
        >>> across = Line(np.zeros(2), np.array([1.0, 0.0]), 2.0)
        >>> traced = Line(np.zeros(2), np.array([1.0, 0.0]), 2.0, traced=True)
        >>> ending = Line(np.zeros(2), np.array([0.0, 1.0]), 2.0, end=9.0)
        >>> lines_note([across, traced, ending])  # doctest: +NORMALIZE_WHITESPACE
        '2 line(s) continued across the hole (1 found beyond it by their profile),
         1 continued up to a line it ends on in the hole'
        >>> kerb = Line(np.zeros(2), np.array([1.0, 0.0]), 30.0, boundary=True)
        >>> lines_note([kerb])
        '1 line(s) continued across the hole (1 between two regions, each continued along it)'
        >>> turning = Line(np.zeros(2), np.array([0.0, 1.0]), 2.0, end=9.0, corner=True)
        >>> lines_note([turning, turning])
        '2 continued up to the corner where they meet in the hole'
    """
    corners = sum(line.corner for line in lines)
    ending = sum(line.end is not None for line in lines) - corners
    traced = sum(line.traced for line in lines if line.end is None)
    boundaries = sum(line.boundary for line in lines)
    parts = []
    if len(lines) > ending + corners:
        said = [f"{traced} found beyond it by their profile"] if traced else []
        said += [f"{boundaries} between two regions, each continued along it"] if boundaries else []
        parts.append(f"{len(lines) - ending - corners} line(s) continued across the hole"
                     + (f" ({'; '.join(said)})" if said else ""))
    if ending:
        parts.append(f"{ending} continued up to a line it ends on in the hole")
    if corners:
        parts.append(f"{corners} continued up to the corner where they meet in the hole")
    return ", ".join(parts)

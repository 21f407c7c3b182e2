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

The light. Copies along a plank come from anywhere along it and bring the light of where they
were: :func:`stripes_light` then gives the pixels filled along the stripes the coarse band of a
plain search's fill of the same tiles, which lays out the light from all around the hole.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import cv2
import numpy as np

from pano_inpaint.generators.base import CubeTiles
from pano_inpaint.generators.patchmatch._light import fading, hue_change, log_change
from pano_inpaint.generators.patchmatch._lines import Line
from pano_inpaint.generators.patchmatch._offsets import (
    Lattice,
    pair_msd,
    ring_detail,
    sample_step,
    vertex_offset,
)
from pano_inpaint.geometry.conventions import FACE_CENTER
from pano_inpaint.values import LogBrightness

__all__ = ["across_tile", "find_stripes", "from_above", "lattice_stripes",
           "oriented_all_round", "stripes_light", "stripes_line"]

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
# The largest angle between a shift and the stripes. A pixel copies what the pixel one shift
# along copies, so the copies of a whole plank come from one source pixel per chain of shifts:
# a short shift within a quarter pixel of the planks may still turn 10 degrees off them (St
# Fagans' 40-degree cap, mask seed 0: (1, 1) px beside planks at 35 degrees), and its chains
# smeared the border's pixels across the planks in a wedge of the fill (a seventh of the fill's
# neighbouring pixels copied one and the same pixel).
_SLANT = np.radians(4.0)
# Tiles wider than this are looked at reduced to it (by whole factors): the guard's and the
# refinement's widths are pixels of a 1K panorama's tile (410 px), and the detail band's mean
# (a blur of a 32nd of the tile) cost 9 of an 8K fill's 20 s at full size, to find no planks.
_WORK_SIZE = 512
# The step runs on a tile whose centre is within ~25 degrees of the panorama's up or
# down: the tile sees its floor (or ceiling) from above, where parallel planks stay parallel.
_FROM_ABOVE = 0.9
# Lines found on such a tile within this angle of the stripes are their own joints (the
# joints of a synthetic plank floor were paired 2-8 degrees off the planks).
_ALONG_STRIPES = np.radians(15.0)
# The coarse band of a fill along stripes is the plain search's (a Gaussian of this share of
# the face size; see :func:`stripes_light`). On the harness's five plank-floor cases 0.02,
# 0.04 and 0.08 all beat the plain search on each (0.04: +0.2 to +1.0 dB); the wider, the more
# of the stripes' own layout is kept (a 40-degree cap beside a bench: +0.5, +1.0, +2.0 dB), and
# the more of their light (a nadir cap on a floor of even light: +0.8, +0.6, +0.1 dB).
_STRIPES_LIGHT = 0.04
# The plain search that gives that band runs on the tiles reduced to faces of about this many
# px (by a whole factor; none on a 1K panorama's 326 px faces): the band is a blur of 0.04 of
# the face (13 px at 1K, 52 at 4K), which a face 2-5 times smaller still holds. Three 1K plank
# floors upscaled to 4K (API fills): the light step's CPU 12.3 -> 4.0, 18.1 -> 4.4 and 5.7 ->
# 2.5 s, WS-PSNR +3.93 (lebombo's large cap), -0.39 (St Fagans' large cap), -0.02 (its nadir).
_STRIPES_LIGHT_FACE = 256
# A light changes a floor's brightness, not its hue: where the plain search's coarse band
# changes the hue of the fill along the stripes by more than this (log ratio between channels,
# from full weight to none), it brought a piece of something else, whose light is not taken.
# St Fagans' 40-degree cap: a dark green blob (0.2-0.34) in a floor whose light changes hue by
# at most 0.16 under its nadir cap and 0.07 under Lebombo's.
_FOREIGN_HUE = (0.15, 0.25)
# A foreign piece's change, blurred into the coarse band, reaches this many sigmas around it,
# where its hue change has faded below the gate's but its brightness has not: its edges came
# in as a light (St Fagans' 40-degree cap, mask seed 0: a dark green blob the gate held out
# left a blurred dark green rim and a yellow spot, 1/5 of the hole wide). Its pixels' change is
# left out of the band, and the band within this reach of them is not taken.
_FOREIGN_REACH = 3.0


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
    return _find_stripes(*_work_size(image, hole))


def _work_size(image: np.ndarray, hole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``image`` ``(P, P, C)`` and ``hole`` ``(P, P)`` reduced by a whole factor to at most
    :data:`_WORK_SIZE` px (as they are if already that small): the ring's orientation is judged
    at one scale whatever the tile's size, and an 8K tile's is not filtered at full size."""
    factor = -(-hole.shape[0] // _WORK_SIZE)
    if factor <= 1:
        return image, hole
    size = (hole.shape[1] // factor, hole.shape[0] // factor)
    image = cv2.resize(np.ascontiguousarray(image, dtype=np.float32), size,
                       interpolation=cv2.INTER_AREA).reshape(size[1], size[0], -1)
    # A reduced pixel that holds any hole pixel is hole (never known, as the ring must be).
    hole = cv2.resize(hole.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0
    return image, hole


def _ring(hole: np.ndarray) -> np.ndarray | None:
    """``(P, P)`` bool: the known ring around ``hole`` the orientation is judged on (None if
    too small)."""
    known = ~hole
    inside = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)
    outside = cv2.distanceTransform(known.astype(np.uint8), cv2.DIST_L2, 3)
    ring = (outside > 3) & (outside <= max(12.0, 0.5 * float(inside.max())))
    ring &= cv2.erode(known.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    return ring if ring.sum() >= _SECTORS * _MIN_SECTOR else None


def _sectors_along(vectors: np.ndarray, hole: np.ndarray, ring: np.ndarray,
                   mean: complex) -> float:
    """The share of the ring's sectors around ``hole`` (those holding enough of ``ring``) whose
    orientation ``vectors`` agree with ``mean``'s angle (``_SECTOR_AGREE``)."""
    ys, xs = np.nonzero(hole)
    yy, xx = np.nonzero(ring)
    sector = (((np.arctan2(yy - ys.mean(), xx - xs.mean()) + np.pi) / (2 * np.pi) * _SECTORS)
              .astype(np.int64) % _SECTORS)
    along = (vectors[yy, xx] * np.exp(-1j * np.angle(mean))).real
    counts = np.bincount(sector, minlength=_SECTORS)
    sums = np.bincount(sector, weights=along, minlength=_SECTORS)
    used = counts >= _MIN_SECTOR
    if not used.any():
        return 0.0
    return float(((sums[used] / counts[used]) >= _SECTOR_AGREE).mean())


def oriented_all_round(image: np.ndarray, hole: np.ndarray, direction: np.ndarray) -> bool:
    """Whether the texture of the known ring around ``hole`` (``(P, P)`` bool) on ``image``
    (``(P, P, C)``) runs along ``direction`` (``(dy, dx)``) on as many of its sectors as
    stripes must (``_SECTOR_SHARE``): stripes show it all round the hole, a lone line only
    where it enters and leaves it. Judged at :func:`find_stripes`' scale."""
    image, hole = _work_size(image, hole)
    ring = _ring(hole)
    if ring is None:
        return False
    vectors = _orientation(ring_detail(image, ~hole))
    unit = np.asarray(direction, np.float64) / np.hypot(*direction)
    # The gradient runs across the direction; the tensor's angle is twice the gradient's.
    gradient = np.arctan2(-unit[1], unit[0])
    return _sectors_along(vectors, hole, ring, complex(np.exp(2j * gradient))) >= _SECTOR_SHARE


def _find_stripes(image: np.ndarray, hole: np.ndarray) -> np.ndarray | None:
    """:func:`find_stripes` on a tile of at most :data:`_WORK_SIZE` px (or any, unreduced)."""
    known = ~hole
    ring = _ring(hole)
    if ring is None:
        return None
    detail = ring_detail(image, known)
    vectors = _orientation(detail)
    mean = complex(vectors[ring].mean())
    if abs(mean) < _MIN_COHERENCE:
        return None
    if _sectors_along(vectors, hole, ring, mean) < _SECTOR_SHARE:
        return None
    ys, xs = np.nonzero(hole)
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
    step = sample_step(known)
    msd = np.array([pair_msd(detail[..., None], known,
                              *np.rint(length * direction + o * normal).astype(int), step)
                    for o in offsets])
    if not np.isfinite(msd).all():
        return None
    best = int(np.argmin(msd))
    if not 0 < best < len(offsets) - 1 or 1.0 - msd[best] / np.median(msd) < _MIN_DIP:
        return None
    shift = float(offsets[best]) + vertex_offset(msd[best - 1], msd[best], msd[best + 1])
    turned = length * direction + shift * normal
    return turned / np.hypot(*turned)


def stripes_line(image: np.ndarray, hole: np.ndarray, face: int,
                 up: tuple[float, float, float] | None, lines: list[Line]) -> Line | None:
    """``hole`` filled along the one-direction texture around it, as a line as wide as the tile
    whose shifts spread over the whole reach; None where the tile does not look at its plane
    from straight above (on a side face the planks converge, and the floor step rectifies them
    first) or the ring is not one oriented texture on every side of the hole
    (:func:`find_stripes`), or one of the ``lines`` found crosses it (a kerb, a rug's edge: the
    lines step continues them). A line that ends in the hole (an object's edge, up to where
    it meets another line or turns a corner) says nothing against the stripes, which then
    take the whole hole, its end and all: two edges of a bench ending in St Fagans' large cap
    (mask seed 1) on a joint along the planks left the cap to the plain search, which smeared
    the bench's red into the hole and brought the planks back mottled (26.20 dB, 26.33 with
    the stripes).

    Args:
        image: ``(P, P, C)`` the tile.
        hole: ``(P, P)`` bool.
        face: the tile's face (``FACE_ORDER`` index).
        up: the panorama's up in the cube's frame (None: the cube's ``y``).
        lines: the lines found on the tile.
    """
    if not from_above(face, up):
        return None
    direction = find_stripes(image, hole)
    if direction is None:
        return None
    if any(line.end is None and abs(line.direction @ direction) < np.cos(_ALONG_STRIPES)
           for line in lines):
        return None  # a line across the planks (a kerb, a rug's edge): the lines step's
    return across_tile(direction, hole.shape[1])


def lattice_stripes(lattice: Lattice, face: int, up: tuple[float, float, float] | None,
                    size: int) -> Line | None:
    """Stripes along ``lattice``'s one shift, as a line as wide as the ``size`` px tile, where
    the lattice is stripes seen from above: a single shift that lies on a valley of matches
    (``Lattice.along``: the texture matches itself all along it, not only at its whole
    multiples) on a tile that looks at its floor or ceiling from straight above (parallel
    stripes stay parallel); None otherwise (a lattice of two shifts: tiles and bricks repeat
    only at whole steps).

    A copy a whole step away keeps the stripes in place and brings a sharp piece of the same
    phase, but under a cap about as wide as the face the known ring is thinner than the step:
    the whole steps from most pixels jump over it and out of the tile (the workshop's stripes
    under a 50-degree cap at 2048 px: a step of 46 px, a ring of about 20, 30% of the hole
    reached). A shift of any length along the stripes reaches the ring from every pixel.
    """
    a, b, _ = lattice.basis()
    if b is not None or not lattice.along[0]:
        return None
    if not from_above(face, up):
        return None
    return across_tile(np.asarray(a, np.float64) / np.hypot(*a), size)


def from_above(face: int, up: tuple[float, float, float] | None) -> bool:
    """Whether ``face`` looks at the panorama's floor or ceiling from (nearly) straight above
    (``up``: the panorama's up in the cube's frame; None: the cube's ``y``)."""
    vertical = np.array(up if up is not None else (0.0, 1.0, 0.0))
    return bool(abs(FACE_CENTER[face] @ vertical) >= _FROM_ABOVE * np.linalg.norm(vertical))


def across_tile(direction: np.ndarray, size: int) -> Line:
    """Stripes along unit ``direction`` as a line as wide as the ``size`` px tile. Sure: only
    the shifts within a quarter pixel of the direction, so copies of copies keep the stripes in
    place; a boundary's order: the first tries span the reach, so a pixel compares both ends
    of its stripe, not the same few pixels beside the border."""
    return Line(np.array([size / 2, size / 2]), direction, float(size), sure=True,
                boundary=True, slant=_SLANT)


def _reduced(tiles: CubeTiles, factor: int) -> CubeTiles:
    """``tiles`` (and their six-face context) with faces ``factor`` times smaller, the padding
    in proportion (rounded); a reduced pixel holding any hole pixel is hole. The tiles' scale
    is off the cube's by under one reduced pixel at the rim: for a band far coarser than that."""
    size, pad = tiles.face_size // factor, max(1, round(tiles.pad / factor))
    side = size + 2 * pad

    def shrink(stack: np.ndarray, hole: bool = False) -> np.ndarray:
        out = [cv2.resize(t.astype(np.float32), (side, side), interpolation=cv2.INTER_AREA)
               for t in stack]
        return np.stack(out) > 0 if hole else np.stack(out).reshape(len(out), side, side, -1)

    def reduce(t: CubeTiles) -> CubeTiles:
        image = shrink(t.image)
        values = image if t.values is t.image else shrink(t.values)
        return dataclasses.replace(t, image=image, mask=shrink(t.mask, hole=True), values=values,
                                   face_size=size, pad=pad, progress=None, notes=[],
                                   reconciled=False, context=None)

    small = reduce(tiles)
    if tiles.context is not None:
        context = tiles.context
        small.context = lambda: reduce(context())
    return small


def _enlarged(stack: np.ndarray, side: int) -> np.ndarray:
    """``(N, p, p, C)`` tiles resampled to ``(N, side, side, C)`` (bilinear)."""
    out = [cv2.resize(t, (side, side), interpolation=cv2.INTER_LINEAR) for t in stack]
    return np.stack(out).reshape(len(out), side, side, -1)


def _blurred(image: np.ndarray, sigma: float) -> np.ndarray:
    """``(P, P, C)`` float32 ``image`` blurred channel by channel (Gaussian of ``sigma`` px)."""
    return np.stack([cv2.GaussianBlur(np.ascontiguousarray(image[..., c]), (0, 0), sigma)
                     for c in range(image.shape[2])], axis=-1).astype(np.float32)  # (P, P, C)


def _light_only(mine_coarse: np.ndarray | None, gap: np.ndarray) -> np.ndarray:
    """``(P, P)`` float32 weight in ``[0, 1]`` of the coarse ``gap`` ``(P, P, C)`` to the plain
    search's fill: 1 where it changes the colours of ``mine_coarse`` (the fill along stripes,
    blurred as the gap is) alike, as a light does, falling to 0 where it changes their hue by
    ``_FOREIGN_HUE`` (log ratio between channels): there the plain search brought a piece of
    something else. ``mine_coarse`` is None in log brightness, where the gap is already a log
    ratio per channel."""
    ratio = gap if mine_coarse is None else log_change(mine_coarse, gap)
    return fading(hue_change(ratio), *_FOREIGN_HUE).astype(np.float32)


def _light_gap(mine: np.ndarray, theirs: np.ndarray, sigma: float, *, log: bool) -> np.ndarray:
    """``(P, P, C)`` the part of the coarse band of ``theirs - mine`` a light explains.

    Where the band turns the hue fully (:func:`_light_only` gives 0) the plain search brought
    a piece of something else; its change is left out before the blur, and the band within
    ``_FOREIGN_REACH`` sigmas of it (weight rising from 0 there to 1 at that distance) is not
    taken either, as it holds the piece's brightness with little of its hue."""
    change = theirs - mine
    gap = _blurred(change, sigma)
    if gap.shape[2] == 1:
        return gap
    mine_coarse = None if log else _blurred(mine, sigma)
    weight = _light_only(mine_coarse, gap)
    foreign = weight == 0
    if foreign.any():
        distance = cv2.distanceTransform((~foreign).astype(np.uint8), cv2.DIST_L2, 5)
        clear = np.clip(distance / (_FOREIGN_REACH * sigma), 0.0, 1.0).astype(np.float32)
        gap = _blurred(change * clear[..., None], sigma)
        weight = _light_only(mine_coarse, gap) * clear
    return gap * weight[..., None]


def stripes_light(tiles: CubeTiles, out: np.ndarray, stripes: dict[int, np.ndarray],
                  plain_fill: Callable[[CubeTiles], np.ndarray], *, log: bool) -> None:
    """Give the pixels filled along stripes (``stripes``: per tile, ``(P, P)`` bool) the
    coarse band (a Gaussian of ``_STRIPES_LIGHT`` of the face size) of the plain search's
    fill of the same tiles (``plain_fill``, run on tiles reduced to faces of about
    ``_STRIPES_LIGHT_FACE``), in place in ``out`` (in log brightness where ``log``).

    Copies along planks come from anywhere along them and bring the light of where they
    were: a sunlit patch of Lebombo's floor was drawn across a 40-degree cap along its
    boards (-0.9 dB against the plain search), a sunlit band of St Fagans' under the nadir
    cap (-1.5 dB), both all in the coarse band (RMS error below 6 px of the panorama
    +0.007 and +0.011, the finer band unchanged). The search's coarse levels lay out the
    light from the hole's whole surroundings; the stripes keep the planks. (The light of
    the two ends of each plank, mixed by distance, lost up to 4.6 dB: a bench's shadow or a
    sunlit end is carried along the plank just the same.) A second fill costs a second
    solve, on the few tiles a plank floor is found on."""
    # One fill reported: its notes, and its progress, which the second solve would run
    # from 0 again (a bar at 0.9 fell back to 0.02).
    notes, reconciled, progress = list(tiles.notes), tiles.reconciled, tiles.progress
    tiles.progress = None
    factor = max(1, tiles.face_size // _STRIPES_LIGHT_FACE)
    try:
        if factor == 1:
            search = plain_fill(tiles)
        else:
            search = _enlarged(plain_fill(_reduced(tiles, factor)), tiles.mask.shape[1])
    finally:
        tiles.notes[:] = notes
        tiles.reconciled, tiles.progress = reconciled, progress

    # Linear values are corrected where the HDR fill is finished (a plain log made each
    # black pixel a gap of +13 in the blurred correction).
    domain = LogBrightness.of(out, ~tiles.mask) if log else None
    sigma = _STRIPES_LIGHT * tiles.face_size
    for i, done in stripes.items():
        mine, theirs = ((out[i], search[i]) if domain is None else
                        (domain.forward(out[i]), domain.forward(search[i])))
        mine = mine + _light_gap(mine, theirs, sigma, log=domain is not None)
        if domain is not None:
            mine = domain.inverse(np.maximum(mine, 0.0))  # u < 0: negative values
        else:
            np.clip(mine, 0.0, 1.0, out=mine)
        out[i][done] = mine[done]

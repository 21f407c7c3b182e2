"""The lattice of each side of a boundary crossing the hole.

A floor of two materials (a paving beside a road, tiles beside a carpet) whose boundary crosses
the hole shows the ring a valley along the boundary (the kerb, the road's stripes match
themselves all along it) sharper than the paving's own grid, which covers only one side: the
tile's lattice is then the valley, and the whole hole was copied along the kerb, the paving
too, its grid smeared into stripes (the held-out kerb under a 45-degree cap, scene seed 1).
Each side beyond the boundaries is looked at alone, and a side whose known pixels repeat in two
directions is filled along its own lattice first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from pano_inpaint.generators.patchmatch._lines import Line
from pano_inpaint.generators.patchmatch._offsets import Lattice, find_lattice

# The boundaries and the valley run within this angle of each other (radians).
_PARALLEL = np.radians(3.0)
# A band along the boundaries (``_border_band``): tones across in 1-px steps of at least
# _BAND_COUNT known pixels, each the median over _BAND_SMOOTH steps; the side's texture starts
# where they stay within _BAND_TONE of its median for _BAND_SETTLED px on.
_BAND_COUNT = 8
_BAND_SMOOTH = 9
_BAND_TONE = 0.04
_BAND_SETTLED = 12
# px beyond the boundaries' bands that a side's known pixels start (a blurred edge is not the
# side's texture).
_SIDE_MARGIN = 3.0


@dataclass(frozen=True)
class Side:
    """One side of the boundaries: ``region`` ``(P, P)`` bool, the hole pixels beyond them on
    this side; ``known`` ``(P, P)`` bool, its known pixels (beyond the boundaries' bands);
    ``lattice`` their lattice (two directions)."""

    region: np.ndarray
    known: np.ndarray
    lattice: Lattice


def _two_directions(lattice: Lattice) -> bool:
    """A grid's repeat, not stripes nor two lines crossing."""
    _, b, b_along = lattice.basis()
    return b is not None and not (bool(lattice.along[0]) and b_along)


def side_lattices(image: np.ndarray, hole: np.ndarray, valley: np.ndarray,
                  lines: list[Line], min_strength: float) -> list[Side]:
    """The sides beyond the boundaries crossing ``hole`` along the ``valley`` direction
    (``(2,)`` ``(dy, dx)``) whose known pixels hold a lattice of two directions.

    Args:
        image: ``(P, P, C)`` float32 tile.
        hole: ``(P, P)`` bool.
        valley: the tile's lattice's one shift, along a valley.
        lines: the lines found crossing the hole (``lines_and_edges``).
        min_strength: least sharpness of a side's lattice (``find_lattice``).
    """
    direction = np.asarray(valley, np.float64) / max(np.hypot(*valley), 1e-9)
    bounds = [line for line in lines if line.boundary and line.end is None
              and abs(float(line.direction @ direction)) >= np.cos(_PARALLEL)]
    if not bounds:
        return []
    normal = np.array([-direction[1], direction[0]])
    place = np.arange(hole.shape[0])
    # (P, P) place across the boundaries; broadcast, not from an mgrid (two int64 tiles: 0.7
    # GB at 16K).
    across = np.add.outer(place * normal[0], place * normal[1])
    centres = np.array([line.point @ normal for line in bounds])
    widths = np.array([line.half_width for line in bounds])
    low, high = float(np.min(centres - widths)), float(np.max(centres + widths))
    grey = image[..., :3].mean(axis=-1) if image.shape[-1] >= 3 else image[..., 0]
    sides = []
    for beyond, away in ((across < low, low - across), (across > high, across - high)):
        known = beyond & ~hole & (away > _SIDE_MARGIN)
        start = _border_band(grey, known, away)
        region = beyond & hole & (away >= start)
        if not region.any():
            continue
        lattice = find_lattice(image, known, min_strength=min_strength)
        if lattice is not None and _two_directions(lattice):
            sides.append(Side(region, known, lattice))
    return sides


def _border_band(grey: np.ndarray, known: np.ndarray, away: np.ndarray) -> float:
    """How far from the boundaries (px, in ``away``, ``(P, P)``) the side's own texture starts
    on its ``known`` pixels: beyond a band along them of another tone (a kerb's stones along a
    paving, a rug's border), which its lattice would cover with its own tiles. The tone
    across is the known pixels' mean in 1-px steps, each the median over ``_BAND_SMOOTH`` px
    (a joint along the boundary is no band); the texture starts where it stays within
    ``_BAND_TONE`` of the side's median tone for ``_BAND_SETTLED`` px on."""
    steps = np.floor(away[known]).astype(np.int64)
    counts = np.bincount(steps)
    sums = np.bincount(steps, weights=grey[known])
    seen = counts >= _BAND_COUNT
    if seen.sum() < 2 * _BAND_SETTLED:
        return 0.0
    places = np.flatnonzero(seen)
    tone = ndimage.median_filter(sums[seen] / counts[seen], _BAND_SMOOTH, mode="nearest")
    level = np.median(tone)
    near = np.abs(tone - level) <= _BAND_TONE
    for k in range(places.size):
        span = places[k:] < places[k] + _BAND_SETTLED
        if near[k:][span].all():
            return float(places[k])
    return 0.0

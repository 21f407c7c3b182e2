"""The classical rig detector: what differs from the ground ring by ring, and runs towards the
nadir (no learned weights; the fallback and the baseline of the learned detector).

It looks at the panorama's bottom rows, which are a polar image of the ground around the nadir
(a row is a ring at a fixed angle from the nadir, a column one azimuth), reduced to
``POLAR_HEIGHT`` rows for the half sphere:

* Each ring's typical colour is its median over the azimuth and its spread the median absolute
  deviation; the ground's colour is the median of the rings 40-60 degrees out.
* *Hub*: the rings from the nadir outwards whose typical colour is far from the ground's (a
  ball head, a plate or a monopod seen end-on covers whole rings).
* *Legs*: pixels far from their own ring's typical colour, averaged along the radius over
  ``LEG_RUN_DEGREES`` (a leg is long and radial; a stone or a crack is not), kept where the run
  starts next to the hub (legs converge on the nadir).

It finds dark or bright legs and hubs on even ground; it misses what looks like the ground,
shadows and soft edges, and it can take a long radial line of the ground (a kerb through the
nadir) for a leg. Its output is a probability on the panorama, like the learned detector's.

Convention: see :mod:`pano_inpaint.geometry.conventions`.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["POLAR_HEIGHT", "classical_probability"]

POLAR_HEIGHT = 256  # the panorama is reduced to this many rows (512 columns) first
MAX_DEGREES = 70.0  # rings beyond this are never part of the rig
GROUND_DEGREES = (40.0, 60.0)  # where the ground's reference colour is taken
HUB_DEVIATION = 2.5  # ring median this many ground spreads from the ground colour: hub
LEG_DEVIATION = 3.0  # mean deviation along a leg run, in ring spreads
LEG_RUN_DEGREES = 10.0


def _polar(erp: np.ndarray) -> np.ndarray:
    """Rings from the nadir outwards: ``(R, A, 3)`` float32, ring ``r`` at ``(r + 0.5)``
    row steps from the nadir."""
    small = cv2.resize(erp, (2 * POLAR_HEIGHT, POLAR_HEIGHT), interpolation=cv2.INTER_AREA)
    rings = int(round(MAX_DEGREES / 180 * POLAR_HEIGHT))
    return small[::-1][:rings].astype(np.float32)


def _runs_from_hub(mask: np.ndarray, start: int) -> np.ndarray:
    """Connected pieces of ``mask`` ``(R, A)`` (columns wrap) that reach ring ``start``."""
    padded = np.concatenate([mask, mask[:, :1]], axis=1).astype(np.uint8)
    count, labels = cv2.connectedComponents(padded, connectivity=8)
    labels[:, 0] = np.where(labels[:, -1] > 0, labels[:, -1], labels[:, 0])  # wrap
    labels = labels[:, :-1]
    keep = np.unique(labels[: max(start, 1)][labels[: max(start, 1)] > 0])
    return np.isin(labels, keep) & mask


def classical_probability(erp: np.ndarray) -> np.ndarray:
    """Rig probability of every pixel of a display-referred panorama.

    Args:
        erp: ``(H, W, 3)`` float32 in ``[0, 1]`` (a tone-mapped proxy for HDR), ``W == 2 H``;
            NaN pixels are left out (rings with none finite next to the nadir count as the
            rig's where something is found round them).

    Returns:
        ``(POLAR_HEIGHT, 2 POLAR_HEIGHT)`` float32 probability (resize it to the panorama).

    Example:
        >>> erp = np.full((64, 128, 3), 0.6, np.float32); erp[-6:] = 0.05  # a dark hub
        >>> p = classical_probability(erp)
        >>> bool(p[-1].min() > 0.5), bool(p[: POLAR_HEIGHT // 2].max() == 0)
        (True, True)
    """
    rings = _polar(erp)  # (R, A, 3)
    count = rings.shape[0]
    degrees = (np.arange(count) + 0.5) * 180.0 / POLAR_HEIGHT
    # NaN pixels (an HDR stitch's uncovered nadir) are left out of every statistic: a NaN ring
    # median stopped the hub at the first ring and NaN deviations hid every leg.
    seen = np.isfinite(rings).all(axis=2)  # (R, A)
    unseen = int(np.argmax(seen.any(axis=1))) if seen.any() else count  # rings from the nadir
    if seen.all():
        median = np.median(rings, axis=1)  # (R, 3)
        spread = np.median(np.abs(rings - median[:, None]).mean(axis=2), axis=1)  # (R,)
    else:
        rings = np.where(seen[..., None], rings, np.nan)
        some = seen.any(axis=1)  # rings with a finite pixel; the others keep 0 and no hub
        median = np.zeros((count, 3), np.float32)
        median[some] = np.nanmedian(rings[some], axis=1)
        spread = np.zeros(count, np.float32)
        spread[some] = np.nanmedian(np.abs(rings[some] - median[some, None]).mean(axis=2), axis=1)
    spread = np.maximum(spread, 0.01)
    ground_rings = (degrees >= GROUND_DEGREES[0]) & (degrees <= GROUND_DEGREES[1])
    ground_rings &= seen.any(axis=1)
    if not ground_rings.any():
        return np.zeros((POLAR_HEIGHT, 2 * POLAR_HEIGHT), np.float32)
    ground = np.median(median[ground_rings], axis=0)
    ground_spread = max(float(np.median(spread[ground_rings])), 0.02)

    ring_deviation = np.abs(median - ground).mean(axis=1) / ground_spread
    # Rings with no finite pixel next to the nadir are not seen: the hub is looked for past them
    # (from the nadir, their stand-in median 0 passed as hub only where the ground is far from
    # black; over a near-black ground the search stopped at once).
    hub_rings = unseen
    while hub_rings < count and ring_deviation[hub_rings] > HUB_DEVIATION \
            and degrees[hub_rings] < GROUND_DEGREES[0]:
        hub_rings += 1

    deviation = np.abs(rings - median[:, None]).mean(axis=2) / spread[:, None]  # (R, A)
    deviation[~seen] = 0.0  # a NaN pixel is no leg
    run = max(3, int(round(LEG_RUN_DEGREES / 180 * POLAR_HEIGHT)) | 1)
    along = cv2.blur(np.concatenate([deviation, deviation[:, :2]], axis=1), (1, run),
                     borderType=cv2.BORDER_REPLICATE)[:, :-2]
    legs = _runs_from_hub(along > LEG_DEVIATION, hub_rings + run // 2 + 1)
    legs &= deviation > 0.5 * LEG_DEVIATION  # the run's own pixels, not its averaged halo

    probability = np.zeros((POLAR_HEIGHT, 2 * POLAR_HEIGHT), np.float32)
    found = legs.astype(np.float32)
    found[:hub_rings] = 1.0
    if not found[unseen:].any():
        found[:unseen] = 0.0  # nothing seen round the unseen rings: no rig claimed there
    probability[::-1][:count] = found
    return probability

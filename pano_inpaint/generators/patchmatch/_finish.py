"""The last touch on a PatchMatch fill: smooth structure at the hole border, detail at full energy.

Copied texture has two failings that a pixel-wise view of the fill can correct without undoing
the copy:

* Structure near the border. Where the hole is thin (a tripod leg, the rim of a cap) the
  surroundings predict its low frequencies far better than any copied patch: a smooth
  (Navier-Stokes) fill gets the shading right and a copy gets it wrong. So below the band
  ``sigma`` the fill takes the smooth fill's structure near the border, fading to the copy's
  own structure with depth into the hole (weight ``exp(-depth / tau)``); the detail above that
  band is always the copy's.
* Detail energy. A patch distance prefers flat sources (a flat patch is never far from anything),
  so copies tend to hold less detail than the hole's surroundings. The detail band is scaled up
  until its energy in the hole equals that of the known ring around the hole, by at most
  ``gain_max``; a
  fill already as detailed as its surroundings is left as it is. This is Heeger and Bergen's
  band-energy matching (SIGGRAPH 1995) with the surroundings as the exemplar.

Both bands are measured with normalised convolution, the fill on hole pixels only and the ring
on known pixels only, so the step between a copy and its surroundings (a wrong grey in a thin
leg) counts as structure, which the smooth fill replaces, never as detail to keep or amplify.

Each tile is treated alone on its padded view (so the smooth fill sees across the face edges);
the caller re-pads the tiles afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["FinishScales", "finish_fill"]


@dataclass(frozen=True)
class FinishScales:
    """What :func:`finish_fill` does, in pixels of the tiles."""

    sigma: float  # Gaussian sigma splitting structure (below) from detail (above)
    tau: float  # depth into the hole over which the smooth structure fades (0: never used)
    ring: float  # width of the known ring the detail energy is matched to
    gain_max: float  # largest detail gain (1: none)

    @classmethod
    def of(cls, face_size: int, sigma: float, depth: float, gain_max: float) -> FinishScales:
        """Scales given as shares of the face size, so they follow the resolution."""
        return cls(max(0.5, sigma * face_size), depth * face_size, max(4.0, 0.05 * face_size),
                   gain_max)


def _blur(tile: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(tile, (0, 0), sigma).reshape(tile.shape)


def _smooth(tile: np.ndarray, hole: np.ndarray, step: int) -> np.ndarray:
    """A Navier-Stokes fill of ``hole`` computed ``step`` times coarser (only its low band is
    used), returned at full size."""
    size = tile.shape[0]
    small = max(8, size // step)
    known = cv2.resize(tile, (small, small), interpolation=cv2.INTER_AREA).reshape(
        small, small, -1)
    # Any hole pixel under a coarse pixel makes it a hole pixel: zeros must not leak in.
    holes = cv2.resize(hole.astype(np.float32), (small, small), interpolation=cv2.INTER_AREA) > 0
    filled = np.empty_like(known)
    h8 = holes.astype(np.uint8)
    for c in range(known.shape[2]):
        filled[..., c] = cv2.inpaint(np.ascontiguousarray(known[..., c]), h8, 3, cv2.INPAINT_NS)
    return cv2.resize(filled, (size, size), interpolation=cv2.INTER_LINEAR).reshape(tile.shape)


def _split(tile: np.ndarray, inside: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Structure and detail of ``tile`` using only the pixels ``inside`` (normalised
    convolution), so the step between a fill and its surroundings is in neither band's detail."""
    weight = inside.astype(np.float32)
    den = _blur(weight[..., None], sigma)
    low = _blur(tile * weight[..., None], sigma) / np.maximum(den, 1e-6)
    return low, tile - low


def finish_fill(filled: np.ndarray, hole: np.ndarray, params: FinishScales, high: float) -> None:
    """Correct the hole pixels of ``filled`` in place (see the module docstring).

    One detail gain serves every tile (measured over all of them), so tiles that meet at a cube
    edge keep equal detail there.

    Args:
        filled: ``(N, P, P, C)`` float32 tiles, hole pixels filled.
        hole: ``(N, P, P)`` bool.
        params: the scales, in pixels.
        high: upper bound of the values (1 for display-referred tiles, ``inf`` for HDR).
    """
    targets = [i for i in range(filled.shape[0]) if hole[i].any()]
    lows, details = {}, {}
    inside = around = 0.0
    count_in = count_around = 0
    for i in targets:
        h, x = hole[i], filled[i]
        low, detail = _split(x, h, params.sigma)
        if params.tau > 0:
            depth = cv2.distanceTransform(h.astype(np.uint8), cv2.DIST_L2, 3)
            weight = np.exp(-depth / params.tau)[..., None]
            smooth_low = _blur(_smooth(x, h, max(1, int(params.sigma))), params.sigma)
            low = weight * smooth_low + (1.0 - weight) * low
        lows[i], details[i] = low, detail
        if params.gain_max > 1.0:
            ring = ~h & (cv2.distanceTransform((~h).astype(np.uint8), cv2.DIST_L2, 3)
                         <= params.ring)
            _, known_detail = _split(x, ~h, params.sigma)
            inside += float(np.sum(detail[h] ** 2))
            count_in += int(h.sum())
            around += float(np.sum(known_detail[ring] ** 2))
            count_around += int(ring.sum())
    gain = 1.0
    if count_around >= 64 and inside > 0:
        ratio = (around / count_around) / (inside / count_in)
        gain = min(max(float(np.sqrt(ratio)), 1.0), params.gain_max)
    for i in targets:
        result = np.clip(lows[i] + gain * details[i], 0.0, high)
        filled[i][hole[i]] = result[hole[i]]

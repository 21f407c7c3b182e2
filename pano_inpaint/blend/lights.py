"""Lights on a hole's border, kept out of the smooth steps that read the border.

Every smooth step that continues the border into a hole takes the known pixels there as the
truth: the Poisson stitch holds the copy to them, a harmonic or Navier-Stokes fill diffuses
them in, a resampling kernel near the border weighs them, the colour matching raises the fill
to their mean. A light on the border (a sun of 10^4 beside a sky of 1.6) is a few pixels whose
brightness ends at their own rim; each of these steps spreads it into the hole as a glow, and
a sharp kernel's negative lobes dig a dark speck beside it. In log brightness a harmonic fill
from a border holding 10^4 next to 1.6 still puts their geometric mean some pixels in.

So, for those steps only, each channel of a known pixel is capped at the larger of the known
ring's bright end (a high quantile of it, raised by a multiple of its distance to the median)
and the brightest the fill holds near the pixel. A light the fill continues (a lamp cut by the
hole, a window frame across it) is held by the fill beside it and stays as it is; a border
brighter on one side than the other is the ring's bright end and stays too. The margin above
the quantile is measured in the values the caller passes, so the same ring is not capped
alike in linear values (the write-back) and in log brightness (the patchmatch finish, the
colour match): there the margin stands for a larger ratio, and fewer pixels are capped.

Not only suns: on a display-referred ceiling a fluorescent lamp (white beside grey) ending at
a hole's rim glowed into a plain fill through the patchmatch finish's stitch just the same. The
finish caps every fill's border, HDR or not, and asks of the fill right facing each pixel
(``nearest``) whether it continues the light: a sliver of the lamp's end in the fill no longer
holds the whole of its side along the rim.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["LIGHT_QUANTILE", "LIGHT_SPREAD", "cap_lights", "ring_width"]

# The quantile of the known ring taken as its bright end: a light must be rarer on the ring
# than this leaves (a sun touching a small hole: 5-15 % of a ring of its width).
LIGHT_QUANTILE = 0.9
# A light stands above that bright end by more than this many times the ring's spread (its
# bright end less its median): the top tenth of a textured ring's grain is no light, and capped
# at the bright end itself the stitch and the smooth fills lost it (the evaluation's HDR sunset,
# a large cap: gradient ratio 0.68 -> 0.61). A sun's halo fades through those values, so the
# fill keeps a little of it: QA's sun of 10^4 over a sky of 1.6 (the hole's truth: mean 1.61,
# max 3.4) fills at mean 1.39, max 4.0 with no spread, 1.55 / 6.2 at 1, 1.76 / 9.8 at 2, 2.30 /
# 23 at 4 (25 / 1500 uncapped).
LIGHT_SPREAD = 2.0
_WIDER = 4.0  # the ring the bright end is measured on, in ``reach``


def ring_width(face_size: int) -> float:
    """Width (pixels) of the known ring round a hole in a cube tile of ``face_size``: a
    twentieth of the face, at least 4 px. The patchmatch finish matches the fill's detail to
    this ring and caps its lights within it; the pipeline caps them within the same ring for
    the write-back, so both steps see the same lights.

    Example:
        >>> ring_width(64), ring_width(1024)
        (4.0, 51.2)
    """
    return max(4.0, 0.05 * face_size)


def _bridged(light: np.ndarray, hole: np.ndarray, reach: float) -> np.ndarray:
    """``(H, W)`` bool: the hole pixels in a narrow gap between two separate pieces of
    ``light`` (``(H, W)`` bool, the ring's pixels above its bright end), each within half of
    ``reach`` of the pixel and the gap closed by a disc of that radius: a lamp a thin hole (a
    cable) crosses, whose two ends the fill's smooth steps should join. A lamp that ends at
    the hole, or runs along its rim, is one piece and bridges nothing."""
    count, labels = cv2.connectedComponents(light.astype(np.uint8), connectivity=8)
    if count < 3:  # background and at most one piece
        return np.zeros_like(hole)
    radius = max(1, int(round(reach / 2)))
    # Worked out on the light's box and a margin of two discs and a pixel: nothing beyond it
    # is within a disc of the light or of what the closing adds, so the morphology there is
    # the whole tile's (the tile's own edges are kept) at a fraction of the cost.
    rows, cols = np.flatnonzero(light.any(axis=1)), np.flatnonzero(light.any(axis=0))
    margin = 2 * radius + 1
    box = (slice(max(rows[0] - margin, 0), rows[-1] + margin + 1),
           slice(max(cols[0] - margin, 0), cols[-1] + margin + 1))
    out = np.zeros_like(hole)
    light, hole, labels = light[box], hole[box], labels[box]
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    closed = cv2.morphologyEx(light.astype(np.uint8), cv2.MORPH_CLOSE, disc) > 0
    # The largest and the smallest piece label within reach: two pieces where they differ.
    labels = labels.astype(np.float32)
    top = cv2.dilate(labels, disc)
    bottom = count - cv2.dilate(np.where(light, count - labels, 0).astype(np.float32), disc)
    gap = hole & closed
    between = gap & (top > 0) & (bottom < top)
    if not between.any():
        return out
    # The whole of each closed gap that holds such a pixel, grown by the disc within the hole:
    # the hole pixels beside one end (which its light faces) are nearer that end than half of
    # ``reach`` from the other, and a closing narrows a strip's gap by its disc's curve.
    _, parts = cv2.connectedComponents(gap.astype(np.uint8), connectivity=8)
    joined = np.isin(parts, np.unique(parts[between])) & gap
    out[box] = hole & (cv2.dilate(joined.astype(np.uint8), disc) > 0)
    return out


def cap_lights(image: np.ndarray, hole: np.ndarray, reach: float, *,
               nearest: bool = False, outside: np.ndarray | None = None) -> np.ndarray:
    """``image`` with each colour channel of the known pixels within ``reach`` of ``hole`` (the
    ring) capped at the larger of the bright end of the known pixels within ``4 reach`` (their
    ``LIGHT_QUANTILE`` plus ``LIGHT_SPREAD`` times its distance to their median) and the
    brightest fill pixel within ``reach`` of the pixel (``nearest``: the brightest of the hole
    pixel nearest it and that pixel's four neighbours); ``image`` itself (no copy) where no
    pixel is above its cap.

    Args:
        image: ``(H, W, C)`` float32, non-negative, the hole filled; a 4th (alpha) channel is
            left alone.
        hole: ``(H, W)`` bool.
        reach: pixels; the ring's width and how far a known pixel looks for the fill.
        nearest: a light is kept only where the fill facing it continues it: a lamp whose side
            runs along the rim of a hole whose fill is plain is capped along all of it, though
            the fill holds a sliver of it within ``reach`` (where the lamp ends at the hole).
            A light facing a narrow gap between two pieces of light (a lamp a cable's hole
            crosses, which a thin hole's copy seldom carries) is kept, so the smooth steps
            join its ends.
        outside: ``(H, W)`` float32, each known pixel's distance to ``hole`` if the caller has
            it (OpenCV's 3x3 L2 distance transform of the known pixels).

    Example:
        >>> image = np.ones((24, 24, 1), np.float32)
        >>> image[7, 4] = 1e4  # a sun on the border of the hole below
        >>> hole = np.zeros((24, 24), bool)
        >>> hole[8:12, 4:12] = True
        >>> float(cap_lights(image, hole, 4.0)[7, 4, 0])
        1.0
    """
    known = ~hole
    if not hole.any() or not known.any():
        return image
    if outside is None:
        outside = cv2.distanceTransform(known.astype(np.uint8), cv2.DIST_L2, 3)
    ring = known & (outside <= reach)
    # The bright end is measured on a wider ring: on one as narrow as a resampling kernel or a
    # colour match's reach, a sun beside a small hole is more than a tenth of it.
    wide = known & (outside <= _WIDER * reach)
    radius = 1 if nearest else max(1, int(np.ceil(reach)))
    facing = None  # the flat index of the hole pixel nearest each pixel (``nearest``)
    bridged = None  # (light, what faces a bridge) of the last channel that asked (``nearest``)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    out = image
    for c in range(min(image.shape[2], 3)):
        channel = image[..., c]
        median, top = np.quantile(channel[wide], [0.5, LIGHT_QUANTILE])
        bright_end = np.float32(top + LIGHT_SPREAD * (top - median))
        if not (channel[ring] > bright_end).any():
            continue
        # The values are non-negative: 0 off the hole is "no fill here" for the dilation.
        fill = cv2.dilate(np.where(hole, channel, np.float32(0.0)).astype(np.float32), disc)
        if nearest:
            if facing is None:  # labels: one per hole pixel, carried outwards
                _, labels = cv2.distanceTransformWithLabels(
                    known.astype(np.uint8), cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
                facing = np.zeros(int(labels.max()) + 1, np.int64)
                facing[labels[hole]] = np.flatnonzero(hole)
                facing = facing[labels]  # (H, W)
            fill = fill.reshape(-1)[facing]
        cap = np.maximum(fill, bright_end)
        lit = ring & (channel > cap)
        if nearest and lit.any():
            # A grey light (a white lamp) is the same light in every channel: bridged once.
            light = ring & (channel > bright_end)
            if bridged is None or not np.array_equal(bridged[0], light):
                bridged = light, _bridged(light, hole, reach).reshape(-1)[facing]
            lit &= ~bridged[1]
        if lit.any():
            if out is image:
                out = np.array(image, np.float32)
            out[..., c][lit] = cap[lit]
    return out

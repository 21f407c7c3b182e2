"""One mask for a whole shoot: the rig stays where it is under the camera while the ground changes.

Panoramas taken with the same rig show it at the same place relative to the camera, up to a yaw
(the camera turned on its head, or the stitcher's heading). :func:`detect_shoot`:

1. runs the single-image detector on every panorama (coarse probabilities on the nadir view);
2. finds each shot's yaw relative to the first: the edges (gradient magnitude) of the nadir
   views are resampled to polar coordinates (a yaw is then a shift along the azimuth), each
   ring's mean removed, and correlated by FFT over all shifts: the rig's outline is the same in
   every shot, the ground's edges are not, so they only add noise (on synthetic shoots this found
   99 % of the yaws to within 3 degrees, where correlating the rig probabilities found 46 %);
   two more passes align every shot to the mean of the aligned shots;
3. takes, pixel by pixel in the aligned frame, the *median* probability over the shots: a part
   found in most shots is kept even where one shot missed it, a patch of ground one shot took
   for a rig is dropped;
4. gives every shot that shared mask turned back by its yaw, plus what its own detection found
   touching it (a shadow falls differently on every shot), and refines it on that shot's own
   full-resolution edges (:func:`~pano_inpaint.masks.auto.detect.detect_rig`'s step 2).

The median needs three shots to outvote one; :data:`MIN_SHOTS` is that. With fewer shots each
image keeps its own detection.

Convention: see :mod:`pano_inpaint.geometry.conventions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from pano_inpaint.config import AutoMaskConfig
from pano_inpaint.geometry.nadir import NadirView
from pano_inpaint.masks.auto.detect import (
    Detector,
    DisplayPanorama,
    RigDetection,
    get_detector,
    mask_from_probability,
)

__all__ = [
    "MIN_SHOTS", "ShootPlan", "ShootResult", "align_yaw", "detect_shoot", "rotate_view",
    "shared_probabilities",
]

MIN_SHOTS = 3
_AZIMUTHS = 360  # one-degree steps of the yaw search


def _centre(view: NadirView) -> tuple[float, float]:
    c = view.size / 2 - 0.5  # pixel centres at integers
    return c, c


def rotate_view(values: np.ndarray, view: NadirView, degrees: float) -> np.ndarray:
    """``values`` on ``view`` turned by ``degrees`` about the nadir (the view's centre): what
    the view shows after the panorama is turned by the same yaw.

    Example:
        >>> v = NadirView(16, 8); x = np.zeros((32, 32), np.float32); x[16, 28] = 1
        >>> np.argwhere(rotate_view(x, v, 90.0) > 0.5).tolist()  # +x (lon 90) turned to lon 180
        [[28, 15]]
    """
    # The down face's columns run along +x and its rows along -z, so a turn towards +lon
    # (from +z to +x) is a counter-clockwise turn of the image; cv2 turns counter-clockwise for
    # positive angles in its y-down frame.
    matrix = cv2.getRotationMatrix2D(_centre(view), -degrees, 1.0)
    return cv2.warpAffine(values, matrix, (view.size, view.size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT)


def _polar(values: np.ndarray, view: NadirView) -> np.ndarray:
    """``(360, R)``: row ``k`` is the ray at ``k`` degrees in the image from the centre."""
    radius = view.size / 2
    return cv2.warpPolar(values, (int(radius), _AZIMUTHS), _centre(view), radius,
                         cv2.WARP_POLAR_LINEAR | cv2.INTER_LINEAR)


def _edges(grey: np.ndarray) -> np.ndarray:
    """Gradient magnitude of a brightness view: the rig's outline is the same in every shot."""
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1)
    return np.sqrt(gx * gx + gy * gy)


def _features(edges: np.ndarray, view: NadirView) -> list[np.ndarray]:
    """The polar edge image with each ring's mean removed (what a yaw shifts)."""
    polar = _polar(edges, view)
    return [polar - polar.mean(axis=0)]


def align_yaw(reference: list[np.ndarray], moving: list[np.ndarray]) -> tuple[float, float]:
    """Yaw (degrees) that turns ``moving`` onto ``reference`` (lists of polar features), and the
    peak's height over the correlation's spread (how sure the alignment is)."""
    total = np.zeros(_AZIMUTHS)
    for ref, mov in zip(reference, moving, strict=True):
        spectrum = np.fft.rfft(ref, axis=0) * np.conj(np.fft.rfft(mov, axis=0))
        corr = np.fft.irfft(spectrum, n=_AZIMUTHS, axis=0).sum(axis=1)
        scale = np.abs(corr).max()
        if scale > 0:
            total += corr / scale
    k = int(np.argmax(total))
    # Sub-degree peak: a parabola through the peak and its two neighbours.
    left, mid, right = total[k - 1], total[k], total[(k + 1) % _AZIMUTHS]
    denom = left - 2 * mid + right
    offset = 0.5 * (left - right) / denom if denom < 0 else 0.0
    sharpness = float((mid - total.mean()) / (total.std() + 1e-9))
    # A ray at angle phi of ``moving`` lies at phi + shift in ``reference``; image angles turn
    # clockwise on screen (y down), i.e. against a turn towards +lon.
    return float((180 - (k + offset)) % 360 - 180), sharpness


@dataclass
class ShootPlan:
    """Per shot: the coarse probability to refine (the shared one turned back, plus what its
    own detection found touching it), its yaw relative to the first shot (degrees) and how sure
    that alignment is (the correlation peak over its spread); the shared median probability in
    the first shot's frame; warnings."""

    coarse: list[np.ndarray]
    yaw_degrees: list[float]
    alignment: list[float]
    shared: np.ndarray
    warnings: list[str]


@dataclass
class ShootResult:
    """Per image: its detection (``mask`` is the shoot's mask refined on that image), its yaw
    relative to the first image, how sure that alignment is; and the shoot's warnings."""

    detections: list[RigDetection]
    yaw_degrees: list[float]
    alignment: list[float]
    shared: np.ndarray  # (s, s) the median probability in the first image's frame
    warnings: list[str]


def shared_probabilities(probabilities: Sequence[np.ndarray], greys: Sequence[np.ndarray],
                         view: NadirView) -> ShootPlan:
    """Steps 2-4 of :func:`detect_shoot` on the shots' coarse probabilities and brightness on
    ``view`` (small arrays; the panoramas themselves are not needed).

    Raises:
        ValueError: no shots.
    """
    count = len(probabilities)
    if count == 0:
        raise ValueError("a shoot needs at least one panorama")
    warnings: list[str] = []
    if count < MIN_SHOTS:
        warnings.append(f"a shoot needs {MIN_SHOTS} or more panoramas to agree on a mask; with "
                        f"{count}, each keeps its own detection")
        return ShootPlan(list(probabilities), [0.0] * count, [0.0] * count,
                         np.asarray(probabilities[0]), warnings)
    edges = [_edges(np.asarray(g, np.float32)) for g in greys]
    features = [_features(e, view) for e in edges]
    yaws = [0.0] + [align_yaw(features[0], f)[0] for f in features[1:]]
    for _ in range(2):  # re-align every shot to the mean of the aligned shots
        mean = np.mean([rotate_view(e, view, -y) for e, y in zip(edges, yaws, strict=True)],
                       axis=0)
        aligned = [align_yaw(_features(mean, view), f) for f in features]
        yaws = [(a[0] - aligned[0][0] + 180) % 360 - 180 for a in aligned]
    stack = np.stack([rotate_view(p, view, -y) for p, y in zip(probabilities, yaws,
                                                                 strict=True)])
    shared = np.median(stack, axis=0)
    if not (shared >= 0.5).any():
        warnings.append("the shots share no rig: nothing was found in most of them")
    coarse = []
    for own, yaw in zip(probabilities, yaws, strict=True):
        mine = rotate_view(shared, view, yaw)
        coarse.append(np.maximum(mine, _touching(own, mine)))
    return ShootPlan(coarse, yaws, [a[1] for a in aligned], shared, warnings)


def detect_shoot(images: Sequence[np.ndarray], config: AutoMaskConfig | None = None, *,
                 detector: Detector | None = None) -> ShootResult:
    """Masks for panoramas of one shoot (same rig), all in memory: see the module docstring.

    Args:
        images: native panoramas (sizes may differ).
        config: as for :func:`~pano_inpaint.masks.auto.detect.detect_rig`.
        detector: use this detector instead of the configured one.

    Raises:
        ValueError: no images, or one is not a 2:1 panorama.
    """
    config = config or AutoMaskConfig()
    detector = detector or get_detector(config.detector, config.weights)
    view = detector.view
    panoramas = [DisplayPanorama.of(image) for image in images]
    plan = shared_probabilities([detector.probability(p) for p in panoramas],
                                [p.grey_view(view) for p in panoramas], view)
    detections = [mask_from_probability(p, coarse, view, config, detector.name)
                  for p, coarse in zip(panoramas, plan.coarse, strict=True)]
    return ShootResult(detections, plan.yaw_degrees, plan.alignment, plan.shared, plan.warnings)


def _touching(own: np.ndarray, shared: np.ndarray) -> np.ndarray:
    """``own`` probability where its connected pieces (p >= 0.5) touch the shared mask."""
    pieces = (own >= 0.5).astype(np.uint8)
    count, labels = cv2.connectedComponents(pieces, connectivity=8)
    near = cv2.dilate((shared >= 0.5).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    keep = np.unique(labels[near & (labels > 0)])
    return np.where(np.isin(labels, keep), own, 0.0).astype(np.float32)

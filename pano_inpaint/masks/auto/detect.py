"""Find the rig under the camera: a detector's coarse probability on the nadir view, refined to
the panorama's resolution along its edges, thresholded, grown a little, with a confidence.

Steps (:func:`detect_rig`):

1. A detector (:data:`DETECTORS`: ``learned``, the shipped network, or ``classical``, no
   weights; ``learned+classical``, the larger of the two; ``auto``, the default, is
   learned+classical when the network's weights exist, else classical) gives a rig probability
   on a :class:`~pano_inpaint.geometry.nadir.NadirView` at a modest resolution.
2. The probability is upsampled onto the nadir view at the panorama's native resolution (at most
   ``refine_face_max`` pixels a face) and refined by the guided filter with that view's brightness
   as the guide, so its edges land on the image's edges.
3. It is mapped onto the panorama, thresholded, and grown by ``grow_degrees`` on the sphere.
4. A detection with more undecided probability than found (confidence below 0.5) is kept
   only when the image backs it (:func:`image_evidence`): on a panorama without a rig, the
   learned detector often sees a faint blob at the nadir, where rigs usually are, on ground
   that looks like the ground around it. A real rig is an object or a shadow: much of it
   differs from the ground it stands on. Below ``min_evidence``, the mask is emptied and a
   warning says what was found.

The :class:`RigDetection` says how much of the sphere the mask takes, how it compares with the
usual 25-degree nadir cap, how sure the detector was (the share of the probability that is
undecided) and warns when nothing was found, when the detector is unsure, or when the rig runs
out of the detector's view.

Convention: see :mod:`pano_inpaint.geometry.conventions`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from pano_inpaint.config import AutoMaskConfig
from pano_inpaint.geometry.nadir import NadirView
from pano_inpaint.masks.auto.classical import classical_probability
from pano_inpaint.masks.auto.refine import guided_filter
from pano_inpaint.masks.sphere import dilate_mask, mask_fraction, nadir_mask
from pano_inpaint.values import ToneMap, is_hdr, to_values

__all__ = [
    "CAP_DEGREES",
    "DETECTORS",
    "DetectorError",
    "DisplayPanorama",
    "RigDetection",
    "detect_rig",
    "get_detector",
    "image_evidence",
    "mask_from_probability",
    "probability_stats",
]

CAP_DEGREES = 25.0  # the nadir cap users reach for without a detector, the reference size
WORK_VIEW = NadirView(128, 64)  # the detectors' view: 0.9 degree pixels, out to 63-70 degrees
_UNSURE = (0.2, 0.8)  # probabilities in this range are undecided
_MIN_CONFIDENCE = 0.6
# Below this (more undecided than found) a detection needs the image's evidence to be used.
_DOUBTFUL_CONFIDENCE = 0.5
_GROUND_RING = 6  # view pixels (about 5 degrees) of ground around a detection, its reference
_GROUND_SPREADS = 3.0  # a pixel this many robust spreads from that ground's median differs


@dataclass
class DisplayPanorama:
    """A panorama in the display-referred values detectors look at (HDR through the pipeline's
    tone map), sampled on demand so a 16K image is never converted whole."""

    pixels: np.ndarray  # (H, W[, C]) native
    tone: ToneMap

    @classmethod
    def of(cls, pixels: np.ndarray, hdr_mode: str = "auto") -> DisplayPanorama:
        return cls(pixels, ToneMap.for_image(pixels, hdr=is_hdr(pixels, hdr_mode)))

    @property
    def height(self) -> int:
        return self.pixels.shape[0]

    def _display(self, native: np.ndarray) -> np.ndarray:
        """Display values; NaN where the image is NaN (or +inf, in HDR): unseen, which the
        classical detector and the evidence leave out, and the network sees as black."""
        values = to_values(native[..., None] if native.ndim == 2 else native)
        values = np.repeat(values[..., :1], 3, axis=-1) if values.shape[-1] < 3 else values[..., :3]
        with np.errstate(invalid="ignore"):  # +inf: inf / inf, numpy's warning to the user
            return self.tone.to_proxy(values)

    def view(self, view: NadirView, *, rotation=None) -> np.ndarray:
        """``(size, size, 3)`` float32 in ``[0, 1]``."""
        return self._display(view.from_erp(self.pixels, rotation=rotation))

    def reduced(self, height: int) -> np.ndarray:
        """The whole panorama at ``height`` rows (area averaging), ``(h, 2h, 3)`` float32."""
        small = cv2.resize(self.pixels, (2 * height, height), interpolation=cv2.INTER_AREA)
        return self._display(small)

    def grey_view(self, view: NadirView) -> np.ndarray:
        """``(size, size)`` float32 brightness in ``[0, 1]``, the refinement's guide."""
        native = view.from_erp(self.pixels)
        if native.ndim == 3 and native.shape[2] >= 3 and native.dtype != np.float32:
            # Integer images: OpenCV's grey conversion on the native pixels, 10x cheaper.
            grey = cv2.cvtColor(np.ascontiguousarray(native[..., :3]), cv2.COLOR_RGB2GRAY)
            return to_values(grey)
        # NaN spread through the guided filter's boxes, taking the rig round a NaN nadir away.
        return np.nan_to_num(self._display(native).mean(axis=-1), nan=0.0)


class Detector:
    """What a detector provides: a rig probability ``(size, size)`` float32 on ``view``."""

    name = ""
    view = WORK_VIEW

    def probability(self, panorama: DisplayPanorama) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


class ClassicalDetector(Detector):
    """Ring statistics on the polar image of the ground (:mod:`.classical`); no weights."""

    name = "classical"

    def probability(self, panorama: DisplayPanorama) -> np.ndarray:
        from pano_inpaint.masks.auto.classical import POLAR_HEIGHT

        erp = classical_probability(panorama.reduced(POLAR_HEIGHT))
        return self.view.from_erp(erp)


class EitherDetector(Detector):
    """The larger of two detectors' probabilities: a pixel either one takes for rig is rig
    (the network misses some light legs on light ground that the ring statistics find)."""

    def __init__(self, first: Detector, second: Detector) -> None:
        if first.view != second.view:
            raise ValueError(f"{first.name} and {second.name} look at different views")
        self.first, self.second = first, second
        self.name, self.view = f"{first.name}+{second.name}", first.view

    def probability(self, panorama: DisplayPanorama) -> np.ndarray:
        return np.maximum(self.first.probability(panorama), self.second.probability(panorama))


def _learned(weights: str | None) -> Detector:
    from pano_inpaint.masks.auto.learned import LearnedDetector  # imports torch

    return LearnedDetector(weights)


def _learned_if_shipped(weights: str | None) -> Detector:
    """``auto``: learned+classical when the network has weights (given, or shipped with the
    package), else the classical detector alone. Weights that exist but do not load are an
    error, not a fallback. (On eval-mask the pair filled better than the network alone in every
    rig kind: it misses fewer legs, for a somewhat larger hole.)"""
    from pano_inpaint.masks.auto.learned import DEFAULT_WEIGHTS

    if weights is None and not DEFAULT_WEIGHTS.is_file():
        return ClassicalDetector()
    return EitherDetector(_learned(weights), ClassicalDetector())


DETECTORS: dict[str, Callable[[str | None], Detector]] = {
    "auto": _learned_if_shipped,
    "learned": _learned,
    "classical": lambda weights: ClassicalDetector(),
    "learned+classical": lambda weights: EitherDetector(_learned(weights), ClassicalDetector()),
}


class DetectorError(RuntimeError):
    """A detector that cannot be built (its weights are missing or not its own)."""


@functools.lru_cache(maxsize=4)
def get_detector(name: str, weights: str | None = None) -> Detector:
    """The detector called ``name`` (built once; the learned one loads its weights).

    Raises:
        KeyError: unknown name (the message lists the known ones).
        DetectorError: its weights cannot be loaded.
    """
    from pano_inpaint.weights_file import WeightsError

    if name not in DETECTORS:
        raise KeyError(f"unknown rig detector {name!r}; known: {', '.join(DETECTORS)}")
    try:
        return DETECTORS[name](weights)
    except WeightsError as exc:
        raise DetectorError(f"the {name} rig detector cannot load its weights: {exc}") from exc


@dataclass
class RigDetection:
    """A rig mask and how it was found.

    Attributes:
        mask: ``(H, W)`` bool, True = rig (the hole to fill).
        probability: ``(s, s)`` float32, the detector's coarse probability on ``view``.
        view: the detector's nadir view.
        sphere_fraction: the mask's share of the sphere.
        cap_ratio: the mask's area over a 25-degree nadir cap's.
        nadir_covered: share of the 25-degree nadir cap the mask covers.
        confidence: 1 - the undecided share of the detection (0.2 < p < 0.8), in ``[0, 1]``.
        warnings: what a user should check.
        evidence: share of the detection that looks unlike the ground around it
            (:func:`image_evidence`).
        rejected: ``(H, W)`` bool, a find not kept (a doubtful detection the image does not
            back; ``mask`` is then empty), or None: the preview outlines it, so a user can judge
            whether to force it.
    """

    mask: np.ndarray
    probability: np.ndarray
    view: NadirView
    sphere_fraction: float
    cap_ratio: float
    nadir_covered: float
    confidence: float
    warnings: list[str] = field(default_factory=list)
    detector: str = ""
    evidence: float = 1.0
    rejected: np.ndarray | None = None

    @property
    def rejected_fraction(self) -> float:
        """The share of the sphere found but not kept (``rejected``), 0 if none was."""
        return 0.0 if self.rejected is None else mask_fraction(self.rejected)

    @property
    def unsure(self) -> bool:
        """Something was found, but too much of it undecided to be trusted unseen."""
        return bool(self.mask.any()) and self.confidence < _MIN_CONFIDENCE

    def to_dict(self) -> dict:
        """The report's figures (no arrays)."""
        return {"detector": self.detector, "sphere_fraction": round(self.sphere_fraction, 5),
                "cap25_ratio": round(self.cap_ratio, 3),
                "nadir25_covered": round(self.nadir_covered, 3),
                "confidence": round(self.confidence, 3), "evidence": round(self.evidence, 3),
                "rejected_fraction": round(self.rejected_fraction, 5),
                "warnings": list(self.warnings)}


def probability_stats(probability: np.ndarray, view: NadirView) -> tuple[float, bool]:
    """``(confidence, reaches_edge)`` of a view probability: 1 - the undecided share of the
    detection (solid-angle weighted), and whether the rig touches the view's border."""
    size = view.size
    a = (2 * (np.arange(size) + 0.5) - size) / view.face_size  # plane coordinates
    weight = (1 + a[None, :] ** 2 + a[:, None] ** 2) ** -1.5  # gnomonic solid angle per pixel
    unsure = float((weight * ((probability > _UNSURE[0]) & (probability < _UNSURE[1]))).sum())
    found = float((weight * (probability >= 0.5)).sum())
    confidence = 1.0 if unsure + found == 0 else 1.0 - unsure / (unsure + found)
    border = np.concatenate([probability[0], probability[-1], probability[:, 0],
                             probability[:, -1]])
    return confidence, bool((border >= 0.5).mean() > 0.01)


def image_evidence(view_pixels: np.ndarray, probability: np.ndarray, *,
                   threshold: float = 0.5) -> float:
    """How much of a detection the image backs: the share of its view pixels (``p >= threshold``)
    whose colour lies more than 3 robust spreads (scaled median absolute deviations) from the
    median of the ground in a ring about 5 degrees wide around it, in some channel.

    Ground that merely continues around the detection gives a few percent (its texture's
    tails); a tripod, a hand or a shadow differs from the ground over most of its area.

    Args:
        view_pixels: ``(s, s, 3)`` float32 in ``[0, 1]``, the nadir view the probability is on.
        probability: ``(s, s)`` float32.
        threshold: the probability from which a pixel was found.

    Returns:
        The share in ``[0, 1]``: 0 when nothing was found, 1 when no ground is left around it.

    Example:
        >>> ground = np.full((64, 64, 3), 0.5, np.float32); p = np.zeros((64, 64), np.float32)
        >>> p[28:36, 28:36] = 1
        >>> dark = ground.copy(); dark[28:36, 28:36] = 0.1
        >>> image_evidence(ground, p), image_evidence(dark, p)
        (0.0, 1.0)
    """
    found = probability >= threshold
    if not found.any():
        return 0.0
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * _GROUND_RING + 1,) * 2)
    ring = (cv2.dilate(found.view(np.uint8), disc) > 0) & ~found
    if not ring.any():
        return 1.0
    ground = view_pixels[ring]  # (n, 3)
    ground = ground[np.isfinite(ground).all(axis=1)]  # a NaN made every statistic NaN
    if not len(ground):
        return 1.0
    median = np.median(ground, axis=0)
    spread = 1.4826 * np.median(np.abs(ground - median), axis=0) + 0.01  # 0.01: flat ground
    far = (np.abs(view_pixels[found] - median) / spread).max(axis=1) > _GROUND_SPREADS
    return float(far.mean())


def _refined(panorama: DisplayPanorama, probability: np.ndarray, view: NadirView,
             config: AutoMaskConfig) -> tuple[np.ndarray, NadirView]:
    """The probability upsampled onto a native-resolution nadir view and snapped to its edges."""
    width = 2 * panorama.height
    face = int(min(config.refine_face_max, max(view.face_size, width // 4)))
    fine = NadirView(face, int(round(face * view.pad / view.face_size)))
    up = cv2.resize(probability, (fine.size, fine.size), interpolation=cv2.INTER_LINEAR)
    if not config.refine or fine.size <= view.size:
        return up, fine
    radius = max(2, int(round(fine.size / view.size * 1.5)))
    return np.clip(guided_filter(panorama.grey_view(fine), up, radius, 1e-3), 0, 1), fine


def detect_rig(pixels: np.ndarray, config: AutoMaskConfig | None = None, *,
               detector: Detector | None = None) -> RigDetection:
    """The rig mask of one panorama.

    Args:
        pixels: ``(H, W[, C])`` native panorama (uint8, uint16 or float32, HDR allowed),
            ``W == 2 H``.
        config: detector, threshold, refinement and growth (default ``AutoMaskConfig()``).
        detector: use this detector instead of the configured one.

    Returns:
        The :class:`RigDetection`.

    Raises:
        ValueError: not a 2:1 panorama.

    Example:
        >>> erp = np.full((128, 256, 3), 150, np.uint8); erp[-8:] = 20  # a dark plate
        >>> found = detect_rig(erp, AutoMaskConfig(detector="classical"))
        >>> bool(found.mask[-1].all()), bool(found.mask[:64].any()), found.cap_ratio < 1
        (True, False, True)
    """
    from pano_inpaint._checks import check_erp

    check_erp(pixels, "panorama")
    config = config or AutoMaskConfig()
    detector = detector or get_detector(config.detector, config.weights)
    panorama = DisplayPanorama.of(pixels)
    return mask_from_probability(panorama, detector.probability(panorama), detector.view,
                                 config, detector.name)


def mask_from_probability(panorama: DisplayPanorama, probability: np.ndarray, view: NadirView,
                          config: AutoMaskConfig, name: str = "") -> RigDetection:
    """Steps 2-3 of :func:`detect_rig`: refine a coarse view ``probability`` on the panorama's
    own edges, map it onto the panorama, threshold and grow it."""
    height = panorama.height
    refined, fine = _refined(panorama, probability, view, config)
    mask = fine.to_erp(refined, height, 2 * height) >= config.threshold
    mask = dilate_mask(mask, int(round(config.grow_degrees / 180 * height)))
    evidence = (image_evidence(panorama.view(view), probability, threshold=config.threshold)
                if mask.any() else 0.0)
    return _detection(mask, probability, view, name, evidence, config.min_evidence)


def _detection(mask: np.ndarray, probability: np.ndarray, view: NadirView, name: str,
               evidence: float = 1.0, min_evidence: float = 0.0) -> RigDetection:
    height, width = mask.shape
    cap = nadir_mask(height, width, CAP_DEGREES)
    fraction = mask_fraction(mask)
    cap_fraction = mask_fraction(cap)
    confidence, reaches_edge = probability_stats(probability, view)
    rejected = None
    if mask.any() and confidence < _DOUBTFUL_CONFIDENCE and evidence < min_evidence:
        rejected, mask, fraction = mask, np.zeros_like(mask), 0.0
        reaches_edge = False
    warnings = []
    if rejected is not None:
        warnings.append(
            f"no rig taken: found {100 * mask_fraction(rejected):.2f}% of the sphere, doubtful "
            f"(confidence "
            f"{confidence:.2f}), and only {100 * evidence:.0f}% of it looks unlike the ground "
            f"around it (auto_mask.min_evidence {100 * min_evidence:.0f}%); nothing is filled. "
            "To use it anyway: --set auto_mask.min_evidence=0")
    elif not mask.any():
        warnings.append("nothing found: no rig, hand or shadow detected at the nadir")
    elif confidence < _MIN_CONFIDENCE:
        warnings.append(f"unsure: confidence {confidence:.2f}; check the mask")
    if reaches_edge:
        warnings.append(f"the rig reaches the edge of the detector's view ({view.edge_degrees:.0f}"
                        " degrees from the nadir): parts further out may be missed")
    return RigDetection(mask, probability, view, fraction, fraction / cap_fraction,
                        mask_fraction(mask & cap) / cap_fraction, confidence, warnings, name,
                        evidence, rejected)

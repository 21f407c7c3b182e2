"""Automatic rig masks: find the tripod, monopod, hand, plate or shadow at the nadir by itself.

* :func:`detect_rig` (:mod:`.detect`): one panorama -> :class:`RigDetection` (mask, coverage,
  confidence, warnings), with the learned detector (:mod:`.learned`, the shipped network) or the
  classical one (:mod:`.classical`, no weights), refined on the image's own edges
  (:mod:`.refine`).
* :func:`detect_shoot` (:mod:`.shoot`): panoramas of one shoot -> one shared mask, aligned in yaw
  and refined per image.
* :func:`preview_image` (:mod:`.preview`): the mask seen from the camera, for a user to check.
"""

from pano_inpaint.masks.auto.detect import (
    CAP_DEGREES,
    DETECTORS,
    RigDetection,
    detect_rig,
    get_detector,
)
from pano_inpaint.masks.auto.preview import preview_image
from pano_inpaint.masks.auto.shoot import MIN_SHOTS, ShootResult, detect_shoot

__all__ = [
    "CAP_DEGREES",
    "DETECTORS",
    "MIN_SHOTS",
    "RigDetection",
    "ShootResult",
    "detect_rig",
    "detect_shoot",
    "get_detector",
    "preview_image",
]

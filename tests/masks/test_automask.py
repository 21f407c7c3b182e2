"""The automatic rig mask: found, tight, with honest confidence; one mask for a whole shoot.

Each test would fail for a detector that finds nothing (IoU 0, "nothing found") and for one that
returns the usual 25-degree cap (area ratio 1, IoU far below the thresholds)."""

import warnings

import cv2
import numpy as np
import pytest

from pano_inpaint.config import AutoMaskConfig
from pano_inpaint.eval.metrics import sphere_weights
from pano_inpaint.masks import nadir_mask
from pano_inpaint.masks.auto import DETECTORS, detect_rig, detect_shoot
from pano_inpaint.masks.auto.detect import (
    WORK_VIEW,
    Detector,
    DisplayPanorama,
    _detection,
    get_detector,
)
from pano_inpaint.masks.auto.shoot import rotate_view, shared_probabilities
from pano_inpaint.masks.rigs import make_rig
from pano_inpaint.weights_file import WeightsError, file_sha256
from tests.synthetic import ground_rgb, rig_panorama, sphere_function_erp

H = 128
CLASSICAL = AutoMaskConfig(detector="classical")


def _iou_recall(found: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    w = sphere_weights(*truth.shape)
    both = float((w * (found & truth)).sum())
    return both / float((w * (found | truth)).sum()), both / float((w * truth).sum())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_classical_finds_a_tripod_tighter_than_a_cap(seed):
    image, truth = rig_panorama(H, "tripod", seed)
    found = detect_rig(image, CLASSICAL)
    iou, recall = _iou_recall(found.mask, truth)
    assert iou > 0.6 and recall > 0.75
    assert found.cap_ratio < 0.7
    cap_iou, _ = _iou_recall(nadir_mask(H, 2 * H, 25), truth)
    assert iou > cap_iou + 0.25
    assert found.confidence > 0.6 and not found.warnings


@pytest.mark.parametrize(("kind", "seed"), [("tripod", 0), ("tripod", 1), ("selfie", 2),
                                          ("panohead", 2), ("monopod", 0)])
def test_shipped_learned_detector_finds_rigs_tighter_than_a_cap(kind, seed):
    # Cases it gets right; on this test ground it also misses some (see the model card).
    image, truth = rig_panorama(H, kind, seed)
    found = detect_rig(image, AutoMaskConfig(detector="learned"))
    assert found.detector == "learned"
    iou, recall = _iou_recall(found.mask, truth)
    cap_iou, _ = _iou_recall(nadir_mask(H, 2 * H, 25), truth)
    assert iou > 0.75 and recall > 0.85
    assert iou > cap_iou + 0.2


def test_learned_plus_classical_keeps_what_either_finds():
    image, truth = rig_panorama(H, "monopod", 1)  # the network misses most of this stick
    found = {name: detect_rig(image, AutoMaskConfig(detector=name))
             for name in ("learned+classical", "learned", "classical")}
    assert found["learned+classical"].detector == "learned+classical"
    assert detect_rig(image, AutoMaskConfig()).detector == "learned+classical"  # the default
    recall = {name: _iou_recall(d.mask, truth)[1] for name, d in found.items()}
    assert recall["learned+classical"] > recall["learned"] + 0.3
    assert recall["learned+classical"] >= recall["classical"] - 0.02


def test_nothing_found_on_bare_ground_is_said():
    found = detect_rig(sphere_function_erp(H, ground_rgb, dtype=np.uint8), CLASSICAL)
    assert not found.mask.any()
    assert found.sphere_fraction == 0 and any("nothing found" in w for w in found.warnings)


def test_an_unsure_detection_is_flagged():
    # Half of what the view finds is undecided (probabilities between 0.2 and 0.8).
    view = WORK_VIEW
    probability = np.zeros((view.size, view.size), np.float32)
    middle = view.size // 2
    probability[middle - 8:middle + 8, middle - 8:middle] = 0.95
    probability[middle - 8:middle + 8, middle:middle + 8] = 0.45
    found = _detection(nadir_mask(H, 2 * H, 10), probability, view, "classical")
    assert found.unsure and any(w.startswith("unsure") for w in found.warnings)
    confident = _detection(nadir_mask(H, 2 * H, 10), np.where(probability > 0.9, 1.0, 0.0)
                           .astype(np.float32), view, "classical")
    assert not confident.unsure and not confident.warnings


def test_the_mask_is_refined_at_full_resolution_and_grown():
    # At 1024 x 512 the refinement works on a face twice the detector's (256 vs 128 px).
    image, truth = rig_panorama(4 * H, "monopod", 1)
    tight = detect_rig(image, AutoMaskConfig(detector="classical", grow_degrees=0.0))
    unrefined = detect_rig(image, AutoMaskConfig(detector="classical", refine=False,
                                                 grow_degrees=0.0))
    assert _iou_recall(tight.mask, truth)[0] > _iou_recall(unrefined.mask, truth)[0] + 0.01
    grown = detect_rig(image, AutoMaskConfig(detector="classical", grow_degrees=1.0))
    assert (grown.mask >= tight.mask).all() and grown.mask.sum() > 1.05 * tight.mask.sum()


def test_hdr_and_grey_inputs():
    image, truth = rig_panorama(H, "tripod", 0)
    linear = (image.astype(np.float32) / 255) ** 2.2 * 40.0  # an HDR scene
    iou_hdr, _ = _iou_recall(detect_rig(linear, CLASSICAL).mask, truth)
    assert iou_hdr > 0.5
    grey = image.mean(axis=-1).astype(np.uint8)
    assert detect_rig(grey, CLASSICAL).mask.shape == (H, 2 * H)


def test_not_a_panorama():
    with pytest.raises(ValueError, match="W == 2"):
        detect_rig(np.zeros((10, 30, 3), np.uint8), CLASSICAL)


def test_unknown_detector():
    with pytest.raises(KeyError, match="classical"):
        get_detector("magic")


def test_auto_is_the_learned_detector_when_its_weights_exist(tmp_path, monkeypatch):
    from pano_inpaint.masks.auto import learned
    from pano_inpaint.masks.auto.config import RigNetConfig
    from pano_inpaint.masks.auto.model import RigNet

    weights = tmp_path / "rignet.pt"
    learned.save_rignet(weights, RigNet(RigNetConfig(channels=(4, 4))))
    assert DETECTORS["auto"](str(weights)).name == "learned+classical"  # given weights
    monkeypatch.setattr(learned, "DEFAULT_WEIGHTS", weights)
    monkeypatch.setattr(learned, "DEFAULT_SHA256", file_sha256(weights))
    assert DETECTORS["auto"](None).name == "learned+classical"  # shipped weights
    monkeypatch.setattr(learned, "DEFAULT_WEIGHTS", tmp_path / "none.pt")
    assert DETECTORS["auto"](None).name == "classical"  # none: the fallback
    with pytest.raises(WeightsError):  # given but missing: an error, no fallback
        DETECTORS["auto"](str(tmp_path / "none.pt"))


# ------------------------------------------------------------------------------------- shoot


def _shoot(count: int, kind: str = "tripod", seed: int = 7):
    rig = make_rig(kind, np.random.default_rng(seed))
    rng = np.random.default_rng(seed + 1)
    shots = []
    for i in range(count):
        # Another place (the ground turned and shifted), the rig at another yaw.
        shift = int(rng.integers(0, 2 * H))
        ground_seed = 100 + i
        image, truth = rig_panorama(H, kind, ground_seed, rig=rig, yaw_columns=shift)
        shots.append((image, truth, shift * 360 / (2 * H)))
    return shots


def test_yaw_of_each_shot_is_found():
    shots = _shoot(5)
    result = detect_shoot([s[0] for s in shots], CLASSICAL)
    for (_, _, yaw), found in zip(shots, result.yaw_degrees, strict=True):
        expected = (yaw - shots[0][2] + 180) % 360 - 180
        assert abs((found - expected + 180) % 360 - 180) < 3


def test_shoot_masks_beat_single_images():
    shots = _shoot(6, "selfie", 3)
    single = [_iou_recall(detect_rig(s[0], CLASSICAL).mask, s[1])[0] for s in shots]
    result = detect_shoot([s[0] for s in shots], CLASSICAL)
    shared = [_iou_recall(d.mask, s[1])[0] for d, s in zip(result.detections, shots,
                                                            strict=True)]
    assert np.mean(shared) > np.mean(single) + 0.05
    assert min(shared) > 0.5


def test_median_outvotes_one_wrong_shot():
    view = get_detector("classical").view
    rig = np.zeros((view.size, view.size), np.float32)
    rig[120:136, 120:200] = 1  # a leg
    noise = np.zeros_like(rig)
    noise[20:40, 20:40] = 1  # ground one shot took for a rig
    probabilities = [rig, rig, rig + noise, rig * 0]  # and one shot missed the leg
    greys = [rig * 0.5 + 0.25] * 4
    plan = shared_probabilities(probabilities, greys, view)
    assert (plan.coarse[3][125:131, 130:190] >= 0.5).all()  # the missed leg is back
    assert (plan.coarse[2][20:40, 20:40] < 0.5).all()  # the stray patch is gone


def test_too_few_shots_keep_their_own_detection():
    shots = _shoot(2)
    result = detect_shoot([s[0] for s in shots], CLASSICAL)
    assert any("3 or more" in w for w in result.warnings)
    single = detect_rig(shots[1][0], CLASSICAL)
    np.testing.assert_array_equal(result.detections[1].mask, single.mask)


def test_rotate_view_is_a_yaw_of_the_panorama():
    view = get_detector("classical").view
    erp = sphere_function_erp(256, ground_rgb)
    turned = np.roll(erp, 64, axis=1)  # 45 degrees towards +lon
    grey = view.from_erp(erp).mean(axis=-1)
    expected = view.from_erp(turned).mean(axis=-1)
    inner = slice(40, view.size - 40)
    assert np.abs(rotate_view(grey, view, 45.0) - expected)[inner, inner].mean() < 0.01
    assert np.abs(rotate_view(grey, view, -45.0) - expected)[inner, inner].mean() > 0.03


def test_shipped_rignet_matches_its_model_card():
    import re

    from pano_inpaint.masks.auto.learned import DEFAULT_SHA256, DEFAULT_WEIGHTS, load_rignet

    assert DEFAULT_WEIGHTS.stat().st_size <= 2 * 2**20  # small: about 0.5 MB
    card = (DEFAULT_WEIGHTS.parent / "MODEL_CARD.md").read_text(encoding="utf-8")
    stated = re.search(r"sha256[^0-9a-f]*([0-9a-f]{64})", card)
    assert stated is not None and stated.group(1) == DEFAULT_SHA256 == file_sha256(DEFAULT_WEIGHTS)
    model, meta = load_rignet()
    assert meta["steps"] > 0 and "train-mask" in meta["command"]
    assert f"{sum(p.numel() for p in model.parameters()):,}" in card


class _FixedDetector(Detector):
    """A detector that sees ``probability`` in every panorama (a stand-in for a network's
    false or unsure detections)."""

    name = "fixed"

    def __init__(self, probability: np.ndarray) -> None:
        self.fixed = probability

    def probability(self, panorama: DisplayPanorama) -> np.ndarray:
        return self.fixed


def _doubtful_blob(centre: tuple[int, int], radius: int = 12) -> np.ndarray:
    """A sure core with a wider undecided halo around it: confidence about 0.25."""
    view = WORK_VIEW
    y, x = np.mgrid[0:view.size, 0:view.size]
    distance = np.hypot(y - centre[0], x - centre[1])
    return np.where(distance < radius / 2, 0.95, np.where(distance < radius, 0.45, 0.0)
                    ).astype(np.float32)


@pytest.mark.parametrize("where", ["nadir", "off-nadir"])
def test_a_doubtful_blob_on_bare_ground_is_not_taken(where):
    ground = sphere_function_erp(H, ground_rgb, dtype=np.uint8)
    middle = WORK_VIEW.size // 2
    centre = (middle, middle) if where == "nadir" else (middle + 40, middle - 25)
    detector = _FixedDetector(_doubtful_blob(centre))
    found = detect_rig(ground, CLASSICAL, detector=detector)
    assert not found.mask.any() and found.sphere_fraction == 0
    assert found.rejected_fraction > 0.0005 and found.evidence < 0.2
    assert any("no rig taken" in w and "auto_mask.min_evidence=0" in w
               for w in found.warnings)
    forced = detect_rig(ground, AutoMaskConfig(detector="classical", min_evidence=0),
                        detector=detector)
    assert forced.mask.any() and forced.confidence < 0.5 and forced.rejected_fraction == 0


def test_the_shipped_detector_takes_nothing_on_bare_ground():
    # Its nadir blob on rig-free ground (confidence 0.28) was filled before.
    found = detect_rig(sphere_function_erp(H, ground_rgb, dtype=np.uint8), AutoMaskConfig())
    assert not found.mask.any()


@pytest.mark.parametrize(("kind", "seed"), [("tripod", 0), ("monopod", 1), ("selfie", 2)])
def test_a_doubtful_detection_of_a_real_rig_is_still_taken(kind, seed):
    # The detector is as doubtful as on bare ground, but the image shows a rig where it looks.
    image, truth = rig_panorama(H, kind, seed)
    sure = WORK_VIEW.from_erp(truth.astype(np.float32))
    halo = cv2.dilate((sure > 0.5).astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
    probability = np.where(sure > 0.5, 0.95, np.where(halo, 0.45, 0.0)).astype(np.float32)
    found = detect_rig(image, CLASSICAL, detector=_FixedDetector(probability))
    assert found.confidence < 0.5 and found.evidence >= 0.2 and found.rejected_fraction == 0
    assert _iou_recall(found.mask, truth)[1] > 0.9


def test_min_evidence_is_a_share():
    with pytest.raises(ValueError, match="auto_mask.min_evidence"):
        AutoMaskConfig(min_evidence=1.5)


def test_the_evidence_ignores_non_finite_ground():
    """A float panorama's NaN pixels (which a fill replaces) in the ground ring made its median
    NaN and the evidence 0, so a doubtful rig there was not taken."""
    from pano_inpaint.masks.auto.detect import image_evidence

    view = np.full((64, 64, 3), 0.5, np.float32)
    probability = np.zeros((64, 64), np.float32)
    probability[28:36, 28:36] = 1
    view[28:36, 28:36] = 0.1  # a dark object on grey ground
    view[23, 30:34] = np.nan  # in the ring round it
    assert image_evidence(view, probability) == 1.0


@pytest.mark.parametrize("unseen", ["rows", "part of the rows"])
def test_classical_finds_a_tripod_round_a_nan_nadir(unseen):
    """An HDR stitch may leave its uncovered nadir NaN. The NaN rings' median stopped the hub at
    the first ring and NaN deviations hid every leg: nothing was found, with no word why."""
    image, truth = rig_panorama(H, "tripod", 0)
    erp = image.astype(np.float32) / 255 if image.dtype == np.uint8 else image.copy()
    erp[-3:, : (2 * H if unseen == "rows" else H // 2)] = np.nan
    found = detect_rig(erp, CLASSICAL)
    iou, recall = _iou_recall(found.mask, truth)
    assert iou > 0.6 and recall > 0.75


@pytest.mark.parametrize("detector", ["auto", "learned"])
def test_the_network_finds_a_tripod_round_non_finite_pixels(detector):
    """A few NaN or infinite pixels at the nadir (an HDR stitch's unseen nadir, a hot pixel)
    spread through the network's convolutions: the default detector found nothing (confidence
    1.00) over a plain tripod, and numpy warned of invalid values on the way."""
    image, truth = rig_panorama(H, "tripod", 0)
    erp = (image.astype(np.float32) / 255) ** 2.2 * 4.0  # an HDR scene
    clean = detect_rig(erp, AutoMaskConfig(detector=detector)).mask
    erp[-3:] = np.nan
    erp[-8:-5, 100:104] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        found = detect_rig(erp, AutoMaskConfig(detector=detector))
    iou, _ = _iou_recall(found.mask, clean)
    assert iou > 0.8


def test_the_refinements_guide_is_finite_round_a_nan_nadir():
    """The guided filter's boxes spread a NaN of its guide: on a 2048x1024 tripod with its 12
    nadir rows NaN the refined mask lost the hub and everything near it (IoU 0.38 with the
    mask found without the NaN; 1.00 now)."""
    from pano_inpaint.masks.auto.detect import WORK_VIEW, DisplayPanorama

    erp = sphere_function_erp(H, ground_rgb).astype(np.float32) * 4.0  # HDR: float values
    erp[-3:] = np.nan
    guide = DisplayPanorama.of(erp).grey_view(WORK_VIEW)
    assert np.isfinite(guide).all()


def test_classical_looks_for_the_hub_past_the_nan_rings_over_dark_ground():
    """The hub is looked for from the first seen ring, not from the nadir: the unseen rings'
    stand-in median (0) lies close to a near-black ground, so a search from the nadir stopped
    at once and the bright hub round a NaN nadir was not found (over grey ground the stand-in
    differs from the ground and the two starts agree, which is why this ground is dark)."""
    from pano_inpaint.masks.auto.classical import classical_probability

    erp = np.full((64, 128, 3), 0.03, np.float32)
    erp[-7:] = 0.6  # a bright hub 7 rows deep (28 polar rings) ...
    erp[-3:] = np.nan  # ... its innermost 3 rows unseen
    rings = classical_probability(erp)[::-1]  # (R, A), the nadir first
    assert rings[:26].min() == 1.0  # every ring to the hub's edge (0 from the nadir)
    assert rings[30:].max() == 0.0


def test_classical_claims_no_nan_nadir_with_nothing_round_it():
    """The unseen (NaN) rings next to the nadir count as the rig's only where a rig is found
    round them: plain ground over a NaN nadir is 'nothing found', not a rig of those rings."""
    erp = sphere_function_erp(H, ground_rgb).astype(np.float32)
    erp[-3:] = np.nan
    found = detect_rig(erp, CLASSICAL)
    assert not found.mask.any()
    assert any("nothing found" in warning for warning in found.warnings)

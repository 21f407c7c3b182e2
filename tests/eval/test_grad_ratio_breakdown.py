"""scripts/grad_ratio_breakdown.py: the gradient energy ratio split by the truth's strongest
pixels and by depth into the hole, on synthetic panoramas (the parts must add up to the
evaluation's own ratio, and a fill that misses one strong edge must show it there)."""

from __future__ import annotations

import numpy as np
import pytest

from pano_inpaint.eval.metrics import gradient_energy_ratio
from tests.scripts_helpers import load_script


def _script():
    return load_script("grad_ratio_breakdown")


def _case(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A 64 x 128 panorama of noise with one bright vertical line (a pixel wide) through a round
    hole."""
    h, w = 64, 128
    truth = (0.5 + 0.03 * rng.standard_normal((h, w, 3))).astype(np.float32)
    truth[:, 61] = 0.95
    y, x = np.mgrid[0:h, 0:w]
    mask = np.hypot(y - 32, x - 61) <= 14
    return truth, mask


def test_the_breakdown_adds_up_to_the_evaluations_ratio() -> None:
    truth, mask = _case(np.random.default_rng(0))
    fill = truth + 0.02 * np.random.default_rng(1).standard_normal(truth.shape).astype(np.float32)
    parts = _script().breakdown(truth, fill, mask)
    assert parts["ratio"] == pytest.approx(gradient_energy_ratio(fill, truth, mask), rel=1e-3)
    shares = [v for k, v in parts.items() if k.startswith("depth_") and k.endswith("_share")]
    assert sum(shares) == pytest.approx(1.0, abs=0.01)


def test_a_missed_strong_edge_shows_on_the_truths_strongest_pixels() -> None:
    """The line is left out of the fill (plain noise there): its pixels hold most of the truth's
    energy and the fill has little of it on them, far less than it has of the rest."""
    truth, mask = _case(np.random.default_rng(0))
    fill = truth.copy()
    plain = 0.5 + 0.03 * np.random.default_rng(2).standard_normal(truth.shape)
    fill[mask] = plain[mask]
    parts = _script().breakdown(truth, fill, mask)
    assert parts["truth_top5_share"] >= 0.4  # 0.49: the line, spread by the faces' sampling
    assert parts["fill_on_truth_top5"] <= 0.1  # 0.05
    assert parts["fill_on_truth_top5"] <= 0.25 * parts["rest_vs_rest"]  # 0.49 there
    same = _script().breakdown(truth, truth, mask)
    assert same["fill_on_truth_top5"] == same["rest_vs_rest"] == 1.0


def test_detail_of_the_wrong_phase_shows_as_uncorrelated_and_its_error_adds_up() -> None:
    """A fill of the truth's statistics but another draw (a copy from elsewhere) has the
    truth's gradient energy and finest detail uncorrelated with it at every depth; the truth
    with a little noise keeps the correlation high. The error shares cover the hole."""
    _, mask = _case(np.random.default_rng(0))
    # Noise only: the line would be in both fills' phase.
    truth = (0.5 + 0.03 * np.random.default_rng(0).standard_normal((*mask.shape, 3)))
    elsewhere = truth.copy()
    plain = 0.5 + 0.03 * np.random.default_rng(2).standard_normal(truth.shape)
    elsewhere[mask] = plain[mask]
    near = truth + 0.01 * np.random.default_rng(3).standard_normal(truth.shape)
    for fill, low, high in ((elsewhere, -0.2, 0.2), (near, 0.9, 1.0)):
        parts = _script().breakdown(truth.astype(np.float32), fill.astype(np.float32), mask)
        bands = [k[len("detail_corr_"):] for k in parts if k.startswith("detail_corr_")
                 and parts[f"depth_{k[len('detail_corr_'):]}_share"] > 0]
        assert len(bands) >= 3
        for band in bands:  # wrong phase: -0.05..0.11; the truth's own: 0.94-0.95
            assert low <= parts[f"detail_corr_{band}"] <= high
        shares = [v for k, v in parts.items() if k.startswith("err_")]
        assert sum(shares) == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize(("lo", "hi", "band"), [(0, 1, "0_2"), (4, 7, "4_8"), (10, 99, "8_16")])
def test_an_error_at_one_depth_is_that_depth_bands_share(lo, hi, band) -> None:
    """A fill equal to the truth but for a step on the hole pixels ``lo`` to ``hi`` px from its
    border (ERP px, the faces' scale at this hole): all of the squared error is that band's,
    none the others' (the shares summing to 1 would pass with the bands mislabelled)."""
    import cv2

    truth, mask = _case(np.random.default_rng(0))
    depth = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)  # 13.7 at the middle
    fill = truth.copy()
    fill[mask & (depth > lo) & (depth <= hi)] += 0.3
    parts = _script().breakdown(truth, fill, mask)
    shares = {k[len("err_"):-len("_share")]: v for k, v in parts.items() if k.startswith("err_")}
    assert shares.pop(band) >= 0.95  # 0.99-1.0: the faces' sampling spreads the step's edge
    assert max(shares.values()) <= 0.05  # 0.006 at most, in the next band


def test_the_command_fills_with_the_configured_generator(tmp_path, monkeypatch, capsys) -> None:
    """``--set generator.name=...`` picks the generator that fills the case (it was always
    patchmatch, with the other generator's params dropped)."""
    from pano_inpaint.io import write_image

    truth, _ = _case(np.random.default_rng(0))
    path = tmp_path / "pano.png"
    write_image(path, truth)
    script = _script()
    used = []
    real = script.generator_method

    def spy(name, config=None):
        used.append(name)
        return real(name, config)

    monkeypatch.setattr(script, "generator_method", spy)
    assert script.main([str(path), "wrap", "--set", "generator.name=telea"]) == 0
    assert used == ["telea"] and "fill_on_truth_top5" in capsys.readouterr().out

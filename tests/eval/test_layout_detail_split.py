"""scripts/layout_detail_split.py: a fill's gap to a smooth peer split into layout and detail,
on synthetic panoramas where the answer is known."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pano_inpaint.eval.metrics import ws_psnr
from tests.scripts_helpers import load_script


def _case() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 64 x 128 panorama (a smooth ramp under fine noise), a round hole, and a smooth peer:
    the truth blurred well past the split's sigma (the right layout, no detail)."""
    rng = np.random.default_rng(0)
    h, w = 64, 128
    ramp = np.linspace(0.2, 0.8, w, dtype=np.float32)[None, :, None].repeat(h, 0).repeat(3, 2)
    truth = (ramp + 0.05 * rng.standard_normal((h, w, 3))).astype(np.float32)
    y, x = np.mgrid[0:h, 0:w]
    mask = np.hypot(y - 32, x - 64) <= 16
    peer = np.where(mask[..., None], cv2.GaussianBlur(truth, (0, 0), 6), truth)
    return truth, mask, peer


def test_detail_out_of_step_shows_as_detail_not_layout() -> None:
    split = load_script("layout_detail_split").split
    truth, mask, peer = _case()
    noise = 0.05 * np.random.default_rng(1).standard_normal(truth.shape).astype(np.float32)
    # The right layout under detail of its own draw: blurring it beats the fill, and the peer's
    # layout under it scores as the fill does.
    fill = np.where(mask[..., None], peer + noise, truth)
    layout, swapped = split(truth, fill, peer, mask, 4.0)
    whole = ws_psnr(fill, truth, mask)
    assert layout > whole + 1.0
    assert abs(swapped - whole) < 0.5


def test_a_wrong_layout_shows_as_layout() -> None:
    split = load_script("layout_detail_split").split
    truth, mask, peer = _case()
    # The truth's own detail on a layout 0.2 too bright: the peer's layout under that detail
    # recovers far more than blurring the fill does.
    fill = np.where(mask[..., None], truth + 0.2, truth)
    layout, swapped = split(truth, fill, peer, mask, 4.0)
    assert swapped > layout + 6.0


def test_a_hole_across_the_wrap_around_line_is_split_as_anywhere_else() -> None:
    """Yaw moves nothing: the case turned half a turn, its hole now across the wrap-around line,
    splits as before (the blur mirrored the hole's own side at the image's edge instead)."""
    split = load_script("layout_detail_split").split
    truth, mask, peer = _case()
    noise = 0.05 * np.random.default_rng(1).standard_normal(truth.shape).astype(np.float32)
    fill = np.where(mask[..., None], peer + 0.1 + noise, truth)
    turned = [np.roll(a, 64, axis=1) for a in (truth, fill, peer, mask)]
    assert turned[3][:, 0].any() and turned[3][:, -1].any()
    np.testing.assert_allclose(split(*turned, 4.0), split(truth, fill, peer, mask, 4.0),
                               atol=1e-3)


def test_the_command_takes_a_peer_by_its_short_name(tmp_path, capsys) -> None:
    """``--peer ns`` names erp-ns as ``pano-inpaint eval --peers`` does (it stopped with a bare
    StopIteration: the peer was looked up by the name as typed)."""
    from pano_inpaint.io import write_image

    truth, _, _ = _case()
    path = tmp_path / "pano.png"
    write_image(path, truth)
    script = load_script("layout_detail_split")
    assert script.main([str(path), "wrap", "--peer", "ns", "--sigmas", "4",
                        "--set", "generator.name=telea"]) == 0
    out = capsys.readouterr().out
    assert "erp-ns layout + detail" in out, out


@pytest.mark.parametrize("sigmas", ["4,", "4,x", "0", "-2", "nan"])
def test_a_bad_sigma_stops_with_a_usage_error_before_the_panorama_is_read(sigmas, tmp_path,
                                                                          capsys) -> None:
    """A bad ``--sigmas`` stops as argparse's usage error (exit 2, one line naming the value),
    not a ValueError traceback after the fills: the panorama named here does not exist."""
    script = load_script("layout_detail_split")
    with pytest.raises(SystemExit) as stop:
        script.main([str(tmp_path / "missing.png"), "wrap", "--sigmas", sigmas])
    assert stop.value.code == 2
    assert "--sigmas" in capsys.readouterr().err

"""Losses: zero at the truth, blur is penalised by the anti-blur terms, GAN term runs."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402

from pano_inpaint.generators.net.layers import FacePad  # noqa: E402
from pano_inpaint.train import losses as L  # noqa: E402


def _case() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    truth = torch.rand(6, 3, 16, 16, generator=g)
    mask = torch.zeros(6, 1, 16, 16)
    mask[:, :, 4:12, 4:12] = 1
    mask[0, :, 4:12, 8:] = 1  # reaches the right edge of the front face
    return truth, mask


def test_all_terms_vanish_at_the_truth() -> None:
    truth, mask = _case()
    assert float(L.masked_l1(truth, truth, mask)[0]) == 0.0
    assert float(L.gradient_loss(truth, truth, mask)) == 0.0
    assert float(L.frequency_loss(truth, truth, mask)) == 0.0
    assert float(L.seam_loss(truth, truth, mask, FacePad(1))) == 0.0


def test_blur_costs_more_than_the_truth_in_gradient_and_frequency() -> None:
    truth, mask = _case()
    blurred = F.avg_pool2d(F.pad(truth, (2, 2, 2, 2), mode="replicate"), 5, stride=1)
    filled = mask * blurred + (1 - mask) * truth
    assert float(L.gradient_loss(filled, truth, mask)) > 0.01
    assert float(L.frequency_loss(filled, truth, mask)) > 0.01
    assert float(L.seam_loss(filled, truth, mask, FacePad(1))) > 0.0


def test_hinge_losses_train_both_sides() -> None:
    truth, mask = _case()
    fake = (truth * 0.5).requires_grad_(True)
    disc = L.PatchDiscriminator(8)
    d_loss, g_loss = L.hinge_losses(disc, fake, truth, mask)
    assert torch.isfinite(d_loss) and torch.isfinite(g_loss)
    (grad,) = torch.autograd.grad(g_loss, fake)
    assert float(grad.abs().sum()) > 0


def test_feature_matching_is_zero_on_the_truth_and_pulls_towards_it() -> None:
    from pano_inpaint.train.losses import PatchDiscriminator, feature_matching_loss

    torch.manual_seed(0)
    disc = PatchDiscriminator(8)
    real = torch.rand(6, 3, 16, 16)
    mask = torch.zeros(6, 1, 16, 16)
    mask[5, :, 4:12, 4:12] = 1
    assert float(feature_matching_loss(disc, real.clone(), real, mask).detach()) == 0
    fake = real.clone()
    fake[5, :, 4:12, 4:12] = 0.5
    fake.requires_grad_(True)
    loss = feature_matching_loss(disc, fake, real, mask)
    loss.backward()
    assert float(loss.detach()) > 0 and float(fake.grad.abs().sum()) > 0
    assert len(disc.features(real, mask)) == 4

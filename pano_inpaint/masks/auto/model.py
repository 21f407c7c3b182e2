"""The rig segmentation network: a small U-Net on the nadir view.

Input: the nadir view (the down face padded by half a face, 256 x 256 at the working
resolution) as display-referred RGB, plus one channel holding each pixel's angle from the nadir
(rigs converge on it; a network without it only knows where it is from its padding). Output: one
logit per pixel, the rig probability after a sigmoid.

Shape: a stride-2 stem (the network works at half the view's resolution: thin legs are a pixel
or two there, and the guided filter restores the edges afterwards), then ``len(channels) - 1``
stride-2 levels, each two 3 x 3 convolutions with batch norm and ReLU, and a decoder that
upsamples (bilinear), concatenates the encoder's features of that level and applies two more
convolutions; a 1 x 1 head and a bilinear upsampling to the input size. With the default widths
(16, 24, 32, 48, 64) it has 0.26 M parameters and costs about 0.4 GMAC on a 256 x 256 view.

The view has no cube edge in it (it is one gnomonic image), so plain zero padding is right here;
the cube padding that matters was done when the view was sampled.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from pano_inpaint.masks.auto.config import RigNetConfig

__all__ = ["RigNet", "network_input"]


def network_input(view_rgb: np.ndarray, degrees: np.ndarray) -> np.ndarray:
    """``(4, s, s)`` float32 network input: a view's RGB ``(s, s, 3)`` in ``[0, 1]`` channels
    first, then its angle from the nadir ``degrees`` ``(s, s)`` over 90."""
    angle = (degrees / np.float32(90)).astype(np.float32)
    return np.concatenate([view_rgb.transpose(2, 0, 1).astype(np.float32), angle[None]], axis=0)


def _block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class RigNet(nn.Module):
    """``(B, 4, S, S)`` (RGB in ``[0, 1]``, angle / 90 degrees) -> ``(B, 1, S, S)`` logits.

    Example:
        >>> net = RigNet(RigNetConfig(channels=(4, 8)))
        >>> net(torch.zeros(2, 4, 32, 32)).shape
        torch.Size([2, 1, 32, 32])
    """

    def __init__(self, config: RigNetConfig | None = None) -> None:
        super().__init__()
        self.config = config or RigNetConfig()
        c = list(self.config.channels)
        self.encoders = nn.ModuleList(
            [_block(self.config.in_channels, c[0], stride=2)]
            + [_block(c[i - 1], c[i], stride=2) for i in range(1, len(c))])
        self.decoders = nn.ModuleList(
            [_block(c[i + 1] + c[i], c[i]) for i in range(len(c) - 1)])
        self.head = nn.Conv2d(c[0], 1, 1)
        self.register_buffer("mean", torch.tensor([0.45, 0.45, 0.45, 0.5]).view(1, 4, 1, 1),
                             persistent=False)
        self.register_buffer("scale", torch.tensor([4.0, 4.0, 4.0, 2.0]).view(1, 4, 1, 1),
                             persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        h = (x - self.mean) * self.scale
        skips = []
        for encoder in self.encoders:
            h = encoder(h)
            skips.append(h)
        h = skips.pop()
        for decoder in reversed(self.decoders):
            skip = skips.pop()
            h = F.interpolate(h, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            h = decoder(torch.cat([h, skip], dim=1))
        return F.interpolate(self.head(h), size=size, mode="bilinear", align_corners=False)

"""``CubeInpaintNet``: a small LaMa-style encoder / FFC / decoder network over whole cubes.

Input: ``(B*6, 3, S, S)`` faces (proxy in ``[0, 1]``) and ``(B*6, 1, S, S)`` hole masks (1 =
hole), six consecutive faces per cube in ``FACE_ORDER``; ``S`` a multiple of ``2**downsamplings``.
Output: ``(B*6, 3, S, S)`` in ``(0, 1)``, meant for the hole pixels (known pixels are put back by
the caller, see :func:`composite`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pano_inpaint.generators.net.config import NetConfig
from pano_inpaint.generators.net.layers import (
    FFCBlock,
    PadConv,
    SmoothPrior,
    Upsample2x,
)

__all__ = ["CubeInpaintNet", "composite", "resolve_device"]


def resolve_device(name: str) -> torch.device:
    """``"auto"`` -> CUDA when present, else the CPU; any other name as torch reads it.

    Raises:
        ValueError: a name torch does not read (``gpu7`` was a RuntimeError traceback), or a
            CUDA device this machine does not have (the fill failed as "a bug": "Torch not
            compiled with CUDA enabled").
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device {name!r} is not a torch device; use cpu, cuda, cuda:N or "
                         "auto") from exc
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if (device.index or 0) >= count:
            have = f"{count} CUDA device(s)" if count else "no CUDA device"
            raise ValueError(f"device {name!r}: this machine has {have} (torch "
                             f"{torch.__version__}); use cpu or auto")
    return device


def composite(output: torch.Tensor, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The network's pixels in the holes, the input's elsewhere."""
    return mask * output + (1 - mask) * image


class CubeInpaintNet(nn.Module):
    """Encoder (strided convs) -> FFC residual blocks -> decoder (upsample + conv, additive skips).

    Every spatial layer pads through ``FacePad`` with ``config.pad_mode``. The network sees the
    masked faces, the mask and a parameter-free smooth fill (:class:`SmoothPrior`), and predicts a
    correction to that fill in logit space; its last layer starts at zero, so an untrained network
    returns the smooth fill.

    Example:
        >>> net = CubeInpaintNet(NetConfig(channels=4, blocks=1, max_channels=8))
        >>> net(torch.rand(6, 3, 16, 16), torch.zeros(6, 1, 16, 16)).shape
        torch.Size([6, 3, 16, 16])
    """

    def __init__(self, config: NetConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or NetConfig()
        mode = config.pad_mode
        self.prior = SmoothPrior(mode, config.prior_iterations)
        self.stem = PadConv(7, config.width(0), 7, pad_mode=mode)
        self.down = nn.ModuleList(
            PadConv(config.width(i), config.width(i + 1), 3, stride=2, pad_mode=mode)
            for i in range(config.downsamplings)
        )
        bottleneck = config.width(config.downsamplings)
        self.blocks = nn.ModuleList(
            FFCBlock(bottleneck, global_ratio=config.global_ratio, pad_mode=mode,
                     context=config.fft_context)
            for _ in range(config.blocks)
        )
        self.global_channels = self.blocks[0].first.global_channels
        self.upsample = Upsample2x(mode)
        self.up = nn.ModuleList(
            PadConv(config.width(i + 1), config.width(i), 3, pad_mode=mode)
            for i in reversed(range(config.downsamplings))
        )
        self.head = PadConv(config.width(0), 3, 3, pad_mode=mode)
        nn.init.zeros_(self.head.conv.weight)
        nn.init.zeros_(self.head.conv.bias)

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``image`` ``(B*6, 3, S, S)`` in ``[0, 1]``, ``mask`` ``(B*6, 1, S, S)`` (1 = hole)
        -> ``(B*6, 3, S, S)`` in ``(0, 1)``."""
        size = image.shape[-1]
        stride = self.config.stride
        if image.ndim != 4 or image.shape[0] % 6 or image.shape[1] != 3 or size % stride:
            raise ValueError(
                f"expected (B*6, 3, S, S) with S a multiple of {stride}, "
                f"got {tuple(image.shape)}"
            )
        known = 1 - mask
        masked = image * known
        base = self.prior(masked, known).clamp(1e-3, 1 - 1e-3)
        x = F.relu(self.stem(torch.cat([masked, mask, base], dim=1)))
        skips = [x]
        for layer in self.down:
            x = F.relu(layer(x))
            skips.append(x)
        x_local, x_global = x[:, : -self.global_channels], x[:, -self.global_channels :]
        for block in self.blocks:
            x_local, x_global = block(x_local, x_global)
        x = torch.cat([x_local, x_global], dim=1)
        skips.pop()
        for layer in self.up:
            x = F.relu(layer(self.upsample(x)) + skips.pop())
        delta = self.head(x)
        return torch.sigmoid(torch.logit(base) + delta)

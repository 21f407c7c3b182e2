"""Layers of the cube network. Every spatial operation pads through one :class:`FacePad`.

Tensors are ``(B*6, C, S, S)``: ``B`` cubes whose six faces are consecutive in ``FACE_ORDER``.
``pad_mode="cube"`` pads with the neighbouring faces' content (the geometry core's ``CubePad``);
``pad_mode="zeros"`` is the ablation: the same layers with ordinary zero padding, every face on
its own. No ``nn.Conv2d`` here pads by itself (``padding=0`` everywhere), so the padding mode of
the whole network is decided in one place.

References: L. Chi, B. Jiang, Y. Mu, "Fast Fourier convolution", NeurIPS 2020; R. Suvorov et al.,
"Resolution-robust large mask inpainting with Fourier convolutions" (LaMa), WACV 2022. Written for
this project from the papers; no code taken from elsewhere.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pano_inpaint.generators.net.config import PAD_MODES
from pano_inpaint.geometry.torch_padding import CubePad

__all__ = [
    "FFC",
    "FFCBlock",
    "FacePad",
    "FourierUnit",
    "PadConv",
    "SmoothPrior",
    "SpectralTransform",
    "Upsample2x",
]

class FacePad(nn.Module):
    """Pad faces by ``pad`` pixels: their neighbours' content (``cube``) or zeros (``zeros``).

    ``pad_by(x, p)`` pads by another amount with the same mode (for layers whose padding
    depends on the face size).

    Example:
        >>> FacePad(2)(torch.zeros(6, 3, 8, 8)).shape
        torch.Size([6, 3, 12, 12])
    """

    def __init__(self, pad: int, mode: str = "cube") -> None:
        super().__init__()
        if mode not in PAD_MODES:
            raise ValueError(f"pad mode must be one of {PAD_MODES}, got {mode!r}")
        if pad < 0:
            raise ValueError(f"pad must be >= 0, got {pad}")
        self.pad = int(pad)
        self.mode = mode
        self.cube = CubePad(self.pad) if mode == "cube" else None

    def pad_by(self, x: torch.Tensor, pad: int) -> torch.Tensor:
        if pad == 0:
            return x
        if self.cube is not None:
            return self.cube.pad_by(x, pad)
        return F.pad(x, (pad, pad, pad, pad))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pad_by(x, self.pad)

    def extra_repr(self) -> str:
        return f"pad={self.pad}, mode={self.mode!r}"


class PadConv(nn.Module):
    """``FacePad`` then an unpadded ``nn.Conv2d`` (odd kernel): a drop-in for a same-padded conv.

    With ``stride=2`` and an even face size the output is exactly half the size.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, *,
                 stride: int = 1, pad_mode: str = "cube", bias: bool = True) -> None:
        super().__init__()
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd, got {kernel_size}")
        self.pad = FacePad(kernel_size // 2, pad_mode)
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=0,
                              bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.pad(x))


class Upsample2x(nn.Module):
    """Bilinear x2 upsampling that reads across face edges.

    ``cube``: pad every face by one pixel of its neighbours, upsample, crop two pixels: the same
    sample positions as ``F.interpolate(scale_factor=2)`` but the border pixels interpolate
    towards the neighbouring face instead of repeating the face's own edge. ``zeros`` (the
    ablation) is the ordinary per-face ``F.interpolate``.
    """

    def __init__(self, pad_mode: str = "cube") -> None:
        super().__init__()
        self.pad = FacePad(1, pad_mode)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pad.mode != "cube":
            return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        up = F.interpolate(self.pad(x), scale_factor=2, mode="bilinear", align_corners=False)
        return up[..., 2:-2, 2:-2]


class FourierUnit(nn.Module):
    """A 1x1 convolution in the frequency domain of each face and its surroundings.

    Each face is first extended by ``context * S`` pixels on every side (``CubePad``: half of each
    neighbouring face), so the FFT sees a window twice the face's size; its implied periodicity
    joins the far borders of the neighbours, and that wrap-around seam lies in the margin, which
    is cropped away. Every position of the face thus mixes with every other position of the face
    and of the near half of its neighbours in one layer; stacked layers reach the whole cube.
    The frequency-domain weights are shared across frequencies (a 1x1 conv on the real and
    imaginary parts), so the layer does not depend on the face size.
    """

    def __init__(self, channels: int, *, pad_mode: str = "cube", context: float = 0.5) -> None:
        super().__init__()
        if not 0 <= context <= 1:
            raise ValueError(f"context must be in [0, 1] (a fraction of the face), got {context}")
        self.context = context
        self.pad = FacePad(0, pad_mode)
        self.conv = nn.Conv2d(2 * channels, 2 * channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-1]
        margin = int(round(self.context * size))
        window = self.pad.pad_by(x, margin)  # (N, C, S+2m, S+2m)
        # cuFFT/MKL want float32; keep half-precision callers working.
        spectrum = torch.fft.rfft2(window.float(), norm="ortho")  # (N, C, S+2m, (S+2m)//2+1)
        parts = torch.cat([spectrum.real, spectrum.imag], dim=1)  # (N, 2C, S+2m, (S+2m)//2+1)
        parts = F.relu(self.conv(parts.to(x.dtype)))
        real, imag = parts.float().chunk(2, dim=1)
        out = torch.fft.irfft2(torch.complex(real, imag), s=window.shape[-2:], norm="ortho")
        return out[..., margin : margin + size, margin : margin + size].to(x.dtype)


class SpectralTransform(nn.Module):
    """The global branch of an FFC: reduce channels, Fourier unit (plus skip), expand."""

    def __init__(self, channels: int, *, pad_mode: str = "cube", context: float = 0.5) -> None:
        super().__init__()
        half = max(1, channels // 2)
        self.reduce = nn.Conv2d(channels, half, 1, bias=False)
        self.fourier = FourierUnit(half, pad_mode=pad_mode, context=context)
        self.expand = nn.Conv2d(half, channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.reduce(x))
        return self.expand(x + self.fourier(x))


class FFC(nn.Module):
    """Fast Fourier convolution: local (3x3) and global (spectral) channel groups that exchange
    information both ways. Inputs and outputs are the pair ``(local, global)``."""

    def __init__(self, channels: int, *, global_ratio: float = 0.75, pad_mode: str = "cube",
                 context: float = 0.5) -> None:
        super().__init__()
        self.global_channels = int(round(channels * global_ratio))
        self.local_channels = channels - self.global_channels
        cl, cg = self.local_channels, self.global_channels
        if cl < 1 or cg < 1:
            raise ValueError(f"global_ratio {global_ratio} leaves an empty branch of {channels}")
        self.pad = FacePad(1, pad_mode)  # one padding per input, shared by the convs reading it
        self.local_to_local = nn.Conv2d(cl, cl, 3, padding=0)
        self.local_to_global = nn.Conv2d(cl, cg, 3, padding=0, bias=False)
        self.global_to_local = nn.Conv2d(cg, cl, 3, padding=0, bias=False)
        self.global_to_global = SpectralTransform(cg, pad_mode=pad_mode, context=context)

    def forward(self, x_local: torch.Tensor, x_global: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        padded_local, padded_global = self.pad(x_local), self.pad(x_global)
        y_local = self.local_to_local(padded_local) + self.global_to_local(padded_global)
        y_global = self.local_to_global(padded_local) + self.global_to_global(x_global)
        return y_local, y_global


class FFCBlock(nn.Module):
    """Residual block of two FFCs; the residual branch has a learned per-channel gain that
    starts small, which keeps a deep stack stable without normalisation layers."""

    def __init__(self, channels: int, *, global_ratio: float = 0.75, pad_mode: str = "cube",
                 context: float = 0.5, gain: float = 0.1) -> None:
        super().__init__()
        self.first = FFC(channels, global_ratio=global_ratio, pad_mode=pad_mode, context=context)
        self.second = FFC(channels, global_ratio=global_ratio, pad_mode=pad_mode,
                          context=context)
        self.gain_local = nn.Parameter(torch.full((self.first.local_channels, 1, 1), gain))
        self.gain_global = nn.Parameter(torch.full((self.first.global_channels, 1, 1), gain))

    def forward(self, x_local: torch.Tensor, x_global: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        y_local, y_global = self.first(x_local, x_global)
        y_local, y_global = self.second(F.relu(y_local), F.relu(y_global))
        return x_local + self.gain_local * y_local, x_global + self.gain_global * y_global


class SmoothPrior(nn.Module):
    """Parameter-free smooth fill of the holes (pull-push on the cube), the network's baseline.

    Pull: known colours and their weights are blurred (3x3 box, through ``FacePad``) and halved
    repeatedly, down to faces of one pixel, where faces with no known pixel at all take their
    neighbours' colour (cube) or the mean of the cube (zeros). Push: going back up, each level
    keeps its own normalised colour where it is well supported and takes the upsampled coarser
    estimate elsewhere, then relaxes it ``iterations`` times (Jacobi steps of the Laplace equation
    through ``FacePad``, known pixels held fixed), which turns the pull-push fill into a close
    approximation of the membrane (harmonic) fill: a coarse-to-fine solver in a few dozen cheap
    passes. The result equals the input on known pixels, is smooth in the holes, and is
    continuous across face edges in ``cube`` mode. The network predicts a
    correction on top of it, so training starts from a sensible fill instead of from grey.
    """

    def __init__(self, pad_mode: str = "cube", iterations: int = 0) -> None:
        super().__init__()
        self.pad = FacePad(1, pad_mode)
        self.upsample = Upsample2x(pad_mode)
        self.iterations = int(iterations)

    def _blur(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(self.pad(x), 3, stride=1)

    @torch.no_grad()
    def forward(self, image: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
        """``image`` ``(N, C, S, S)``, ``known`` ``(N, 1, S, S)`` in ``{0, 1}``; returns
        ``(N, C, S, S)``."""
        eps = 1e-6
        levels = [(image * known, known)]
        x, w = levels[0]
        while x.shape[-1] > 1 and x.shape[-1] % 2 == 0:
            x, w = F.avg_pool2d(self._blur(x), 2), F.avg_pool2d(self._blur(w), 2)
            levels.append((x, w))
        if self.pad.mode == "cube":
            for _ in range(3):  # empty coarsest faces borrow from their neighbours
                empty = w <= eps
                if not bool(empty.any()):
                    break
                x = torch.where(empty, self._blur(x), x)
                w = torch.where(empty, self._blur(w), w)
        cubes = x.shape[0] // 6
        x_sum = x.reshape(cubes, 6, *x.shape[1:]).sum(dim=(1, 3, 4), keepdim=True)  # (B,1,C,1,1)
        w_sum = w.reshape(cubes, 6, *w.shape[1:]).sum(dim=(1, 3, 4), keepdim=True)  # (B,1,1,1,1)
        mean = (x_sum / w_sum.clamp_min(eps)).expand(cubes, 6, *x.shape[1:2], 1, 1)
        mean = mean.reshape(cubes * 6, x.shape[1], 1, 1)  # (B*6, C, 1, 1)
        estimate = torch.where(w > eps, x / w.clamp_min(eps), mean)
        for x, w in reversed(levels[:-1]):
            own = x / w.clamp_min(eps)
            alpha = w.clamp(0, 1)
            estimate = alpha * own + (1 - alpha) * self.upsample(estimate)
            if self.iterations:
                # normalised blur: zero padding (the ablation) must not darken face borders
                support = self._blur(torch.ones_like(alpha))
            for _ in range(self.iterations):  # relax towards the membrane (harmonic) fill
                estimate = alpha * own + (1 - alpha) * self._blur(estimate) / support
        return estimate

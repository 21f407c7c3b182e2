"""The network's hyper-parameters, apart from the network: a training config is read and
checked without importing torch (a mistake in it, or a missing --data folder, is reported in a
fraction of a second, not after torch's import)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from pano_inpaint.dataclass_yaml import build_stored_config

__all__ = ["PAD_MODES", "NetConfig"]

PAD_MODES = ("cube", "zeros")


@dataclass(frozen=True)
class NetConfig:
    """Hyper-parameters of :class:`~pano_inpaint.generators.net.model.CubeInpaintNet` (stored
    with the weights)."""

    channels: int = 24  # width of the full-resolution stem; doubles at every downsampling
    downsamplings: int = 3  # total stride 2**d; the FFC blocks run at S / 2**d
    max_channels: int = 192  # cap on the width
    blocks: int = 6  # FFC residual blocks at the bottleneck
    global_ratio: float = 0.75  # share of bottleneck channels in the spectral (global) branch
    fft_context: float = 0.5  # cube context around each face before its FFT, fraction of S
    pad_mode: str = "cube"  # "cube" (CubePad everywhere) or "zeros" (the ablation)
    prior_iterations: int = 32  # Jacobi relaxations per level of the smooth prior (0 = pull-push)

    def __post_init__(self) -> None:
        if self.pad_mode not in PAD_MODES:
            raise ValueError(f"pad_mode must be one of {PAD_MODES}, got {self.pad_mode!r}")
        for name in ("channels", "downsamplings", "max_channels", "blocks"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    @property
    def stride(self) -> int:
        return 2**self.downsamplings

    def width(self, level: int) -> int:
        return min(self.channels * 2**level, self.max_channels)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> NetConfig:
        return build_stored_config(cls, data)

"""The network's hyper-parameters, apart from the network: a training config is read and
checked without importing torch (a mistake in it, or a missing --data folder, is reported in a
fraction of a second, not after torch's import)."""

from __future__ import annotations

import dataclasses
import math
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
        # Upper bounds far above any network this project trains (the shipped one: 24, 3, 192,
        # 6, 32), below what only fails later: 100000 blocks hung building the network before
        # its first step, a NaN or out-of-range share failed inside torch (exit 1).
        for name, low, high in (("channels", 1, 1024), ("downsamplings", 1, 8),
                                ("max_channels", 1, 4096), ("blocks", 1, 64),
                                ("prior_iterations", 0, 10_000)):
            if not low <= getattr(self, name) <= high:
                raise ValueError(f"{name} must be in [{low}, {high}], got {getattr(self, name)}")
        if not 0 <= self.fft_context <= 1:  # NaN too
            raise ValueError(f"fft_context must be in [0, 1] (a share of the face), got "
                             f"{self.fft_context}")
        bottleneck = self.width(self.downsamplings)
        spectral = round(bottleneck * self.global_ratio) if math.isfinite(self.global_ratio) else -1
        if not 0 < spectral < bottleneck:
            raise ValueError(f"global_ratio must leave both branches of the {bottleneck} "
                             f"bottleneck channels some (0 < ratio < 1, at least one channel "
                             f"each), got {self.global_ratio}")

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

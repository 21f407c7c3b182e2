"""The rig network's hyper-parameters, apart from the network: a training config is read and
checked without importing torch."""

from __future__ import annotations

from dataclasses import dataclass

from pano_inpaint.dataclass_yaml import build_stored_config

__all__ = ["RigNetConfig"]

_MAX_LEVELS = 8
_MAX_WIDTH = 1024
_IN_CHANNELS = 4


@dataclass(frozen=True)
class RigNetConfig:
    channels: tuple[int, ...] = (16, 24, 32, 48, 64)  # widths from the stem down
    in_channels: int = 4  # RGB + angle from the nadir

    def __post_init__(self) -> None:
        if len(self.channels) < 2 or any(int(c) < 1 for c in self.channels):
            raise ValueError(f"channels needs two or more positive widths, got {self.channels}")
        # Bounds far above the shipped network (five levels, 64 wide at most): a width of
        # 100000 failed in torch's allocator (exit 1, traceback), and the stride doubles a level.
        if len(self.channels) > _MAX_LEVELS or max(int(c) for c in self.channels) > _MAX_WIDTH:
            raise ValueError(f"channels needs at most {_MAX_LEVELS} widths of at most "
                             f"{_MAX_WIDTH}, got {list(self.channels)}")
        if self.in_channels != _IN_CHANNELS:  # what the data and the detector feed it
            raise ValueError(f"in_channels must be {_IN_CHANNELS} (RGB and the angle from the "
                             f"nadir), got {self.in_channels}")

    @property
    def stride(self) -> int:
        """The input size must be a multiple of this."""
        return 2 ** len(self.channels)

    def to_dict(self) -> dict:
        return {"channels": list(self.channels), "in_channels": self.in_channels}

    @classmethod
    def from_dict(cls, data: dict) -> RigNetConfig:
        return build_stored_config(cls, data)  # channels: a YAML list, a tuple here

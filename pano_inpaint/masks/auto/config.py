"""The rig network's hyper-parameters, apart from the network: a training config is read and
checked without importing torch."""

from __future__ import annotations

from dataclasses import dataclass

from pano_inpaint.dataclass_yaml import build_stored_config

__all__ = ["RigNetConfig"]


@dataclass(frozen=True)
class RigNetConfig:
    channels: tuple[int, ...] = (16, 24, 32, 48, 64)  # widths from the stem down
    in_channels: int = 4  # RGB + angle from the nadir

    def __post_init__(self) -> None:
        if len(self.channels) < 2 or any(int(c) < 1 for c in self.channels):
            raise ValueError(f"channels needs two or more positive widths, got {self.channels}")

    @property
    def stride(self) -> int:
        """The input size must be a multiple of this."""
        return 2 ** len(self.channels)

    def to_dict(self) -> dict:
        return {"channels": list(self.channels), "in_channels": self.in_channels}

    @classmethod
    def from_dict(cls, data: dict) -> RigNetConfig:
        return build_stored_config(cls, data)  # channels: a YAML list, a tuple here

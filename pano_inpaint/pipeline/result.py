"""What the pipeline hands back: the filled panorama, its consistency report, and per region how
it was filled."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from pano_inpaint.consistency import ConsistencyReport

__all__ = ["InpaintResult", "RegionReport"]


@dataclass
class RegionReport:
    """How one hole region was filled."""

    index: int
    area_fraction: float
    centre_lonlat_degrees: tuple[float, float]
    rotation_degrees: tuple[float, float, float] | None
    faces: list[str]
    face_size: int
    pad: int
    hole_pixels: int
    seconds: float
    notes: list[str] = field(default_factory=list)  # from the generator (CubeTiles.notes)


@dataclass
class InpaintResult:
    """The filled panorama (same shape and dtype as the input) and how it was made."""

    image: np.ndarray
    report: ConsistencyReport
    regions: list[RegionReport] = field(default_factory=list)
    generator: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "generator": self.generator,
            "seconds": self.seconds,
            "regions": [asdict(r) for r in self.regions],
            "consistency": self.report.to_dict(),
        }

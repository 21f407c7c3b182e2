"""cv2.remap plumbing shared by the cubemap and padding code: fixed-point maps, channels, points.

OpenCV's remap is the fastest resampler available here, but it limits images to 32767 pixels a
side and 4 channels, and it samples rectangles, not point lists. These helpers hide that.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "CV_LIMIT",
    "INTERPOLATIONS",
    "FixedMaps",
    "PointSampler",
    "check_interpolation",
    "margin_of",
    "remap",
    "to_fixed_maps",
]

INTERPOLATIONS = {
    "nearest": cv2.INTER_NEAREST,
    "bilinear": cv2.INTER_LINEAR,
    "bicubic": cv2.INTER_CUBIC,
    "lanczos": cv2.INTER_LANCZOS4,
}
# Source pixels an interpolation kernel reaches beyond the sample point (plus one for rounding).
_MARGIN = {"nearest": 1, "bilinear": 2, "bicubic": 3, "lanczos": 5}
CV_LIMIT = 32767  # cv2.remap: every side of src, dst and maps must be below SHRT_MAX
_POINT_ROW = 4096


def check_interpolation(interpolation: str) -> str:
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            f"interpolation must be one of {sorted(INTERPOLATIONS)}, got {interpolation!r}"
        )
    return interpolation


def margin_of(interpolation: str) -> int:
    return _MARGIN[interpolation]


@dataclass(frozen=True)
class FixedMaps:
    """cv2 fixed-point maps (``CV_16SC2`` + ``CV_16UC1``; the second is empty for nearest)."""

    xy: np.ndarray
    frac: np.ndarray | None
    interpolation: str

    @property
    def nbytes(self) -> int:
        return self.xy.nbytes + (0 if self.frac is None else self.frac.nbytes)

    @property
    def shape(self) -> tuple[int, int]:
        return self.xy.shape[:2]

    def rows(self, start: int, stop: int) -> FixedMaps:
        return FixedMaps(
            self.xy[start:stop], None if self.frac is None else self.frac[start:stop],
            self.interpolation,
        )

    def crop(self, rows: slice, cols: slice) -> FixedMaps:
        return FixedMaps(
            self.xy[rows, cols], None if self.frac is None else self.frac[rows, cols],
            self.interpolation,
        )


def to_fixed_maps(map_x: np.ndarray, map_y: np.ndarray, interpolation: str) -> FixedMaps:
    """Convert float pixel-coordinate maps ``(h, w)`` into read-only fixed-point maps.

    Fixed-point maps resolve 1/32 pixel and make remap about twice as fast as float maps.
    """
    nearest = interpolation == "nearest"
    xy, frac = cv2.convertMaps(
        np.ascontiguousarray(map_x, dtype=np.float32),
        np.ascontiguousarray(map_y, dtype=np.float32),
        cv2.CV_16SC2,
        nninterpolation=nearest,
    )
    xy.setflags(write=False)
    if nearest or frac is None or frac.size == 0:
        frac = None
    else:
        frac.setflags(write=False)
    return FixedMaps(xy, frac, interpolation)


def remap(
    src: np.ndarray, maps: FixedMaps, dst: np.ndarray | None = None,
    border: int = cv2.BORDER_REPLICATE,
) -> np.ndarray:
    """``dst[i, j] = src(maps[i, j])`` for ``src`` of shape ``(h, w, C)``; returns ``(H', W', C)``.

    ``src`` and ``dst`` may be strided views (cv2 reads and writes them in place); dtype is kept.
    ``border`` is the cv2 border mode for samples outside ``src``.
    """
    h, w = maps.shape
    channels = src.shape[2]
    if dst is None:
        dst = np.empty((h, w, channels), dtype=src.dtype)
    flag = INTERPOLATIONS[maps.interpolation]
    target = dst[..., 0] if channels == 1 else dst
    out = cv2.remap(src[..., 0] if channels == 1 else src, maps.xy, maps.frac, flag,
                    dst=target, borderMode=border)
    if not np.shares_memory(out, target):  # cv2 allocated a new array instead of writing in place
        target[...] = out
    return dst


@dataclass(frozen=True)
class PointSampler:
    """Samples an image at a list of ``N`` points (cv2 only samples rectangles of < 32767 a
    side)."""

    maps: FixedMaps
    count: int

    @classmethod
    def build(cls, x: np.ndarray, y: np.ndarray, interpolation: str) -> PointSampler:
        count = x.size
        width = max(1, min(_POINT_ROW, count))
        rows = -(-count // width)
        mx = np.zeros(rows * width, np.float32)
        my = np.zeros(rows * width, np.float32)
        mx[:count] = x.ravel()
        my[:count] = y.ravel()
        return cls(to_fixed_maps(mx.reshape(rows, width), my.reshape(rows, width), interpolation),
                   count)

    @property
    def nbytes(self) -> int:
        return self.maps.nbytes

    def __call__(self, src: np.ndarray, border: int = cv2.BORDER_REPLICATE) -> np.ndarray:
        """``(h, w, C)`` image -> ``(N, C)`` samples."""
        out = remap(src, self.maps, border=border)
        return out.reshape(-1, src.shape[2])[: self.count]

"""Value domains: native pixels <-> float values <-> the display-referred proxy generators see.

* native: what the file held (uint8, uint16, float32).
* values: float32; integers scaled to ``[0, 1]``, floats unchanged (HDR stays linear, unbounded).
* proxy: float32 in ``[0, 1]``; equal to values for display-referred input, and for HDR a global
  invertible tone map (exposure to a key grey, Reinhard ``x / (1 + x)``, gamma 1/2.2) so patch
  distances and smooth fills behave as they would on a photo. Fills made in the proxy are mapped
  back exactly with the inverse.
* log brightness (HDR only): ``log(1 + v / scale)``, where sums and differences of HDR values
  are made (:class:`LogBrightness`): unbounded like the values, but a step is a ratio.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pano_inpaint._threads import thread_count, thread_map

__all__ = ["LogBrightness", "ToneMap", "from_values", "is_hdr", "to_values"]

_GAMMA = 2.2
_PROXY_MAX = 1.0 - 1e-6  # keeps the inverse tone map finite
_DISPLAY_MAX = 1.0 + 1e-6  # display-referred floats stay below this
_SCAN_ELEMENTS = 1 << 22  # values per block of the HDR scan (16 MB of float32)
_PARALLEL_ELEMENTS = 1 << 22  # values from which to_values converts on several threads


def to_values(native: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Native pixels -> float32 values (integers scaled to ``[0, 1]``), into ``out`` if given
    (a float32 array of the same shape: saves a copy of a large face). A large contiguous array
    is converted in parts on OpenCV's thread count: the conversion is mostly first writes to
    new memory (an 8K cube face: 0.2 CPU s), and each part is what the whole would give."""
    scale = {np.dtype(np.uint8): 1 / 255, np.dtype(np.uint16): 1 / 65535}.get(native.dtype)
    if out is None:
        if scale is None:
            return native.astype(np.float32, copy=False)
        out = np.empty(native.shape, np.float32)
    elif out.shape != native.shape or out.dtype != np.float32:
        # The parts path works on flat views, where a wrong shape of the same size would pass.
        raise ValueError(f"out must be float32 of shape {native.shape}, got {out.dtype} "
                         f"{out.shape}")

    def convert(source: np.ndarray, target: np.ndarray) -> None:
        if scale is None:
            np.copyto(target, source, casting="same_kind")
        else:
            np.multiply(source, np.float32(scale), out=target, dtype=np.float32)

    threads = thread_count()
    if (native.size < _PARALLEL_ELEMENTS or threads < 2 or not native.flags.c_contiguous
            or not out.flags.c_contiguous):
        convert(native, out)
        return out
    source, target = native.reshape(-1), out.reshape(-1)
    bounds = np.linspace(0, native.size, threads + 1).astype(np.int64).tolist()
    thread_map(lambda k: convert(source[bounds[k] : bounds[k + 1]],
                                 target[bounds[k] : bounds[k + 1]]), range(threads))
    return out


def from_values(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Float values -> native dtype: integers rounded and clipped; floats only lose negatives
    (no negative radiance), never their highlights."""
    dtype = np.dtype(dtype)
    if dtype in (np.uint8, np.uint16):
        top = np.iinfo(dtype).max
        scaled = values * top  # one temporary, rounded and clipped in place (a 4K tile: 5x faster)
        if scaled.dtype.kind != "f":
            scaled = scaled.astype(np.float64)
        np.rint(scaled, out=scaled)
        np.clip(scaled, 0, top, out=scaled)
        return scaled.astype(dtype)
    return np.maximum(values, 0).astype(dtype, copy=False)


def is_hdr(image: np.ndarray, mode: str = "auto") -> bool:
    """Whether ``image`` is scene-referred HDR (``mode``: auto, on, off): on ``auto``, a float32
    image with any value above 1, anywhere.

    Every pixel is looked at, since one small highlight decides it (a sampled scan could miss
    it and the fill would then be clipped to ``[0, 1]``): blocks of rows with an early exit,
    NaN ignored, no copy; a 16K display-referred float image costs one pass (~0.3 s).

    Example:
        >>> image = np.full((1024, 2048, 3), 0.5, np.float32)
        >>> image[513, 7] = 40.0  # one bright pixel on one row
        >>> is_hdr(image), is_hdr(image.astype(np.uint16))
        (True, False)
    """
    if mode == "on":
        return True
    if mode == "off" or image.dtype != np.float32:
        return False
    rows = max(1, _SCAN_ELEMENTS // max(1, image[0].size))
    for top in range(0, image.shape[0], rows):
        if np.fmax.reduce(image[top : top + rows], axis=None) > _DISPLAY_MAX:
            return True
    return False


@dataclass(frozen=True)
class ToneMap:
    """Invertible global tone map for HDR values; the identity when ``hdr`` is False."""

    hdr: bool
    exposure: float = 1.0

    @classmethod
    def for_image(cls, image: np.ndarray, *, hdr: bool, key: float = 0.18) -> ToneMap:
        """Exposure that maps the median luminance of ``image`` to ``key`` (HDR only)."""
        if not hdr:
            return cls(False)
        step = max(1, image.shape[0] // 512)
        sample = image[::step, ::step].astype(np.float32)
        luminance = sample[..., :3].mean(axis=-1) if sample.ndim == 3 else sample
        # Finite and positive only: with none (an image all +inf, NaN or black) the median of
        # nothing was NaN (numpy warned), and so was the exposure.
        lit = luminance[np.isfinite(luminance) & (luminance > 0)]
        median = float(np.median(lit)) if lit.size else 1.0
        return cls(True, key / max(median, 1e-8))

    def to_proxy(self, values: np.ndarray) -> np.ndarray:
        """``(..., C)`` values -> proxy in ``[0, 1]``; a 4th (alpha) channel is only clipped."""
        if not self.hdr:
            return np.clip(values, 0, 1).astype(np.float32, copy=False)
        scaled = np.maximum(values, 0) * np.float32(self.exposure)
        out = np.power(scaled / (1 + scaled), 1 / _GAMMA).astype(np.float32)
        if values.shape[-1] == 4:
            out[..., 3] = np.clip(values[..., 3], 0, 1)
        return out

    def to_display(self, values: np.ndarray) -> np.ndarray:
        """``to_proxy`` for showing an image (the web app's previews) rather than filling it:
        NaN and -inf are shown as 0 and +inf as 1, without numpy's warnings. Through
        ``to_proxy`` they became NaN, cast to 8 bits as 0 with "invalid value encountered"
        warnings in the server's log, +inf black too. (The detectors keep NaN as unseen and
        blank it where they need to: ``DisplayPanorama``, ``LearnedDetector``.)

        Example:
            >>> ToneMap(True).to_display(np.array([[np.nan, np.inf, -np.inf]], np.float32))
            array([[0., 1., 0.]], dtype=float32)
        """
        with np.errstate(invalid="ignore"):  # +inf: inf / inf
            out = self.to_proxy(values)
        if not (np.isfinite(out.min()) and np.isfinite(out.max())):
            out = np.where(np.isposinf(values), np.float32(1), np.nan_to_num(out, nan=0.0))
        return out

    def from_proxy(self, proxy: np.ndarray) -> np.ndarray:
        """Inverse of ``to_proxy``."""
        if not self.hdr:
            return proxy.astype(np.float32, copy=False)
        p = np.power(np.clip(proxy, 0, _PROXY_MAX), _GAMMA)
        out = (p / (1 - p) / np.float32(self.exposure)).astype(np.float32)
        if proxy.shape[-1] == 4:
            out[..., 3] = proxy[..., 3]
        return out


@dataclass(frozen=True)
class LogBrightness:
    """Where HDR fills are corrected: ``u = log(1 + v / scale)`` of linear values ``v``, with
    ``scale`` the median of the known values.

    Linear values are the wrong place for a Poisson stitch, a smooth fill, a detail gain or a
    colour offset: a sun thousands of times the median beside a hole spreads its energy over the
    whole hole, and detail amplified next to it overshoots to negative values. The proxy is
    bounded but saturates: a pixel at 0.97 of it and its neighbour at 0.99 differ 3x in value,
    and near 1 the inverse is unbounded, so a small offset there maps back to a blaze of 10^4.
    In ``u`` a step above the median is a brightness ratio (a sun 2000x the median is a step
    of 7.6, not 2000), below it nearly a linear step, and an error ``e`` maps back to a factor
    of at most ``exp(e)``. Zero stays zero: black needs no floor.

    Example:
        >>> v = np.array([[0.0, 1.0, 2000.0]], np.float32)
        >>> domain = LogBrightness(1.0)
        >>> bool(np.allclose(domain.inverse(domain.forward(v)), v, rtol=1e-5))
        True
    """

    scale: float

    @classmethod
    def of(cls, values: np.ndarray, known: np.ndarray | None = None) -> LogBrightness:
        """``scale`` = median mean-of-channels value of the positive ``known`` pixels of
        ``(..., H, W, C)`` ``values`` (``known``: ``(..., H, W)`` bool; None: all)."""
        step = max(1, values.shape[-2] // 256)  # a strided sample is enough for a median
        sample = values[..., ::step, ::step, :3].mean(axis=-1)
        if known is not None:
            sample = sample[known[..., ::step, ::step]]
        positive = sample[sample > 0]
        return cls(float(np.median(positive)) if positive.size else 1.0)

    def forward(self, values: np.ndarray) -> np.ndarray:
        """``(..., C)`` linear values -> ``u`` (negatives as 0); a 4th (alpha) channel kept."""
        out = np.log1p(np.maximum(values, 0) * np.float32(1 / self.scale)).astype(np.float32)
        if values.shape[-1] == 4:
            out[..., 3] = values[..., 3]
        return out

    def inverse(self, u: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`forward`."""
        out = (np.expm1(u) * np.float32(self.scale)).astype(np.float32)
        if u.shape[-1] == 4:
            out[..., 3] = u[..., 3]
        return out

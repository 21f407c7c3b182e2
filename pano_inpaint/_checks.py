"""Validation at the public boundary: shapes, dtypes and masks, with messages that say what to
fix."""

from __future__ import annotations

import numpy as np

__all__ = [
    "MIN_PANORAMA_HEIGHT",
    "SUPPORTED_DTYPES",
    "all_finite",
    "check_dtype",
    "check_erp",
    "check_mask",
    "check_panorama_size",
    "finite_stand_in",
    "check_positive_int",
]

SUPPORTED_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32))
# Smallest panorama the pipeline and the consistency checks work on (32x16): their wrap, pole
# and seam measures need a few pixels on each side of every line they look across.
MIN_PANORAMA_HEIGHT = 16


def all_finite(array: np.ndarray) -> bool:
    """Whether every value is finite (integers always are): its minimum and maximum, which a
    NaN or an infinity anywhere carries, so no mask the size of the image is made.

    Example:
        >>> all_finite(np.array([1.0, np.inf], np.float32)), all_finite(np.zeros(3, np.uint8))
        (False, True)
    """
    if array.dtype.kind != "f" or not array.size:
        return True
    return bool(np.isfinite(array.min()) and np.isfinite(array.max()))


def check_dtype(array: np.ndarray, name: str) -> None:
    """Raise ``TypeError`` unless ``array`` is uint8, uint16 or float32."""
    if array.dtype not in SUPPORTED_DTYPES:
        raise TypeError(
            f"{name} has dtype {array.dtype}; supported are uint8, uint16 and float32 "
            "(convert float64 with .astype(np.float32))"
        )


def check_positive_int(value: object, name: str) -> int:
    """Return ``value`` as int if it is an integer >= 1, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def check_erp(erp: np.ndarray, name: str = "erp") -> tuple[int, int, int]:
    """Check an equirectangular image and return ``(H, W, C)`` (``C = 1`` for 2-D input).

    Raises:
        TypeError: not a numpy array, or unsupported dtype.
        ValueError: wrong number of dimensions, too many channels, ``W != 2 * H`` or ``H < 2``.
    """
    if not isinstance(erp, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(erp).__name__}")
    if erp.ndim not in (2, 3):
        raise ValueError(f"{name} must have shape (H, W) or (H, W, C), got shape {erp.shape}")
    check_dtype(erp, name)
    height, width = erp.shape[:2]
    channels = 1 if erp.ndim == 2 else erp.shape[2]
    if not 1 <= channels <= 4:
        raise ValueError(f"{name} must have 1 to 4 channels, got {channels} (shape {erp.shape})")
    # 2:1 first: a 200x1 strip was told its "width must be even and height >= 2" (cubemap,
    # check), where inpaint said it is not 2:1; an odd width is never 2:1.
    if width != 2 * height:
        raise ValueError(
            f"{name} is {width}x{height}: an equirectangular panorama needs W == 2 * H "
            "(a full 360x180 degree image); crop or pad it to 2:1 first"
        )
    if height < 2:
        raise ValueError(f"{name} height must be >= 2 for an equirectangular image, got "
                         f"{width}x{height}")
    return height, width, channels


def finite_stand_in(erp: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """A copy of ``erp`` the fill and the checks can read: +inf as the largest finite value,
    NaN and -inf as 0; ``bad`` is where ``erp`` is not finite.

    One NaN beside a hole (a stitcher's division by zero in an HDR) spreads through every blur,
    search and Poisson step of the fill: the whole hole came back NaN, with exit code 0."""
    # One copy of the image and nothing else full-size (16K float RGB: 1.6 GB an array).
    top = erp.max(where=~bad, initial=-np.inf)
    out = erp.copy()
    out[bad] = 0
    out[np.isposinf(erp)] = top if np.isfinite(top) else 0
    return out


def check_panorama_size(height: int, width: int) -> None:
    """Raise ``ValueError`` for a panorama too small to fill or measure (below 32x16)."""
    if height < MIN_PANORAMA_HEIGHT:
        raise ValueError(
            f"the panorama is {width}x{height}: too small to fill or check; panoramas must be "
            f"at least {2 * MIN_PANORAMA_HEIGHT}x{MIN_PANORAMA_HEIGHT}"
        )


def check_mask(mask: np.ndarray, height: int, width: int, name: str = "mask") -> np.ndarray:
    """Check a hole mask against an ``H x W`` image and return it as a bool array.

    Accepts bool, or integer/float masks whose non-zero pixels are holes.

    Raises:
        TypeError: not a numpy array.
        ValueError: wrong shape.
    """
    if not isinstance(mask, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(mask).__name__}")
    if mask.ndim == 3 and mask.shape[2] == 1:
        mask = mask[..., 0]
    if mask.shape != (height, width):
        raise ValueError(
            f"{name} has shape {mask.shape} but the panorama is {height}x{width} (H x W); "
            "masks must match the image size (resize the mask with nearest-neighbour first)"
        )
    return mask if mask.dtype == np.bool_ else mask != 0

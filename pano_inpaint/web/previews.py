"""What the viewer displays: a JPEG of a panorama and a PNG of its mask, at most ``MAX_WIDTH``
wide (a WebGL texture every browser can hold; the files themselves are never downscaled)."""

from __future__ import annotations

import cv2
import numpy as np

from pano_inpaint.values import ToneMap, is_hdr, to_values

__all__ = ["MAX_WIDTH", "display_jpeg", "mask_png"]

MAX_WIDTH = 4096


def _display_rgb(pixels: np.ndarray) -> np.ndarray:
    """``(H, W, C)`` pixels of any supported dtype -> ``(H, W, 3)`` uint8 sRGB for display.

    8-bit is shown as stored, 16-bit and display-referred float rounded to 8 bits, HDR through
    the pipeline's own tone map (the proxy generators see), alpha dropped.
    """
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    colour = pixels[..., :3] if pixels.shape[2] >= 3 else np.repeat(pixels[..., :1], 3, axis=2)
    if colour.dtype == np.uint8:
        return np.ascontiguousarray(colour)
    tone = ToneMap.for_image(colour, hdr=is_hdr(colour))
    proxy = tone.to_display(to_values(colour))
    return np.clip(np.rint(proxy * 255), 0, 255).astype(np.uint8)


def _shrunk(pixels: np.ndarray, max_width: int) -> np.ndarray:
    height, width = pixels.shape[:2]
    if width <= max_width:
        return pixels
    size = (max_width, max(1, round(height * max_width / width)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)


def display_jpeg(pixels: np.ndarray, max_width: int = MAX_WIDTH, quality: int = 90) -> bytes:
    """A display JPEG of a panorama, at most ``max_width`` wide.

    Example:
        >>> display_jpeg(np.zeros((8, 16, 3), np.uint16))[:3]
        b'\\xff\\xd8\\xff'
    """
    rgb = _shrunk(_display_rgb(pixels), max_width)
    # 4:4:4: full-resolution colour, so a fill's colour edges are judged as they are.
    params = [cv2.IMWRITE_JPEG_QUALITY, quality,
              cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444]
    ok, data = cv2.imencode(".jpg", np.ascontiguousarray(rgb[..., ::-1]), params)
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 RGB image
        raise RuntimeError("could not encode the preview")
    return data.tobytes()


def mask_png(mask: np.ndarray, max_width: int = MAX_WIDTH) -> bytes:
    """A grey PNG of a hole mask (255 = hole), at most ``max_width`` wide.

    When shrunk, a preview pixel is a hole if any pixel it stands for is, so a thin stroke on a
    16K panorama stays visible.

    Example:
        >>> m = np.zeros((4, 8), bool); m[1, 3] = True
        >>> import cv2; cv2.imdecode(np.frombuffer(mask_png(m, 4), np.uint8), 0).tolist()
        [[0, 255, 0, 0], [0, 0, 0, 0]]
    """
    height, width = mask.shape
    factor = -(-width // max_width)
    if factor > 1:
        rows, cols = -(-height // factor), -(-width // factor)
        padded = np.zeros((rows * factor, cols * factor), bool)
        padded[:height, :width] = mask
        mask = padded.reshape(rows, factor, cols, factor).any(axis=(1, 3))  # (rows, cols)
    ok, data = cv2.imencode(".png", mask.view(np.uint8) * np.uint8(255))
    if not ok:  # pragma: no cover
        raise RuntimeError("could not encode the mask preview")
    return data.tobytes()

"""Reading and writing image files: the only place that knows file formats and file dtypes.

Pixels are numpy ``(H, W, C)`` arrays, ``C`` in {1, 3, 4} (grey, RGB, RGBA; never BGR), with the
dtype the file holds. EXIF orientation is never applied: a panorama's rows and columns are its
latitudes and longitudes, so pixels are used as stored and the tag is kept.

============  ==========================  ================================  ====================
format        suffixes                    stored dtypes / channels          metadata kept
============  ==========================  ================================  ====================
JPEG          .jpg .jpeg .jpe             uint8; 1, 3                       EXIF, ICC, XMP
PNG           .png                        uint8, uint16; 1, 3, 4            EXIF, ICC, XMP, text
TIFF          .tif .tiff                  uint8, uint16, float16/32; 1,3,4  EXIF, ICC, XMP
WebP          .webp                       uint8; 3, 4                       EXIF, ICC, XMP
Radiance HDR  .hdr                        float32 (RGBE); 3                 none
OpenEXR       .exr                        float16/32; 1 (Y), 3, 4           XMP, attributes
============  ==========================  ================================  ====================

Reading detects the format from the file's content, not its suffix; other formats Pillow knows
(BMP, GIF...) are read too. Writing picks the format from the suffix and converts what a format
cannot store (see :func:`write_image`). Float data (TIFF, HDR, EXR) is linear and is never
clipped or tone-mapped here; half floats are read as float32 (``LoadedImage.half`` says so).

Writes are atomic: the file is encoded to a hidden temporary file in the target directory,
flushed to disk and then renamed over the target, so a crash or an encoder error never leaves a
half-written image (or a stray temporary file) behind.
"""

from __future__ import annotations

import errno
import logging
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from pano_inpaint._checks import all_finite, check_dtype, check_positive_int
from pano_inpaint.io.atomic import UnsearchableFolderError, atomic_write, target_kind
from pano_inpaint.io.headers import (
    DEFAULT_MAX_PIXELS,
    SUFFIX_KINDS,
    SUPPORTED_SUFFIXES,
    ImageFileError,
    ImageReadError,
    PathLike,
    as_path,
    corrupt_image_error,
    read_image_header,
)
from pano_inpaint.io.metadata import (
    ImageMetadata,
    embed_exif_in_tiff,
    exif_byte_order,
    jpeg_header,
    jpeg_with_segments,
    metadata_from_png,
    metadata_from_tiff,
    metadata_from_webp,
    png_with_metadata,
)
from pano_inpaint.masks.sphere import rows_over_the_poles

__all__ = [
    "ImageWriteError",
    "LoadedImage",
    "atomic_write_image",
    "check_storable",
    "derived_suffix",
    "encode_mask",
    "file_looks_like_mask",
    "looks_like_mask",
    "read_image",
    "read_mask",
    "write_image",
    "write_mask",
]

logger = logging.getLogger(__name__)


# ----------------------------------------------------------------------------------- errors


class ImageWriteError(ImageFileError):
    """An image file could not be written; nothing was left at (or changed in) the target.

    The message is one line, ``cannot write '<path>': <reason>; <what to do>``.
    """

    verb = "write"
    default_hint = "check the output path, permissions and free disk space"


# ----------------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False)
class LoadedImage:
    """An image as read from disk.

    Attributes:
        pixels: ``(H, W, C)`` array, ``C`` in {1, 3, 4} (grey, RGB, RGBA), dtype uint8, uint16 or
            float32 as stored in the file (float data is linear and unclipped).
        metadata: EXIF / ICC profile / XMP found in the file.
        path: the file read.
        format: detected container format: ``"jpeg"``, ``"png"``, ``"tiff"``, ``"webp"``,
            ``"hdr"``, ``"exr"``, or a lower-case Pillow format name (``"bmp"``...).
        half: the file stores 16-bit half floats (an OpenEXR of HALF channels, a float16
            TIFF), read as float32; :func:`write_image` with ``half=True`` stores them so again,
            the same values in half the bytes.
    """

    pixels: np.ndarray
    metadata: ImageMetadata
    path: Path
    format: str
    half: bool = False

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def channels(self) -> int:
        return int(self.pixels.shape[2])


# ----------------------------------------------------------------------------------- helpers

_UINT8, _UINT16, _FLOAT32 = np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32)


def _rgb_from_cv2(pixels: np.ndarray) -> np.ndarray:
    """OpenCV's ``(H, W)``, BGR or BGRA -> ``(H, W, C)`` grey, RGB or RGBA."""
    if pixels.ndim == 2:
        return pixels[..., None]
    return _swap_red_blue(pixels)


def _swap_red_blue(pixels: np.ndarray) -> np.ndarray:
    """BGR(A) <-> RGB(A), a new contiguous array (OpenCV's channel swap: 10 times cheaper than
    numpy's reversed-axis copy of an 8K panorama); other channel counts unchanged."""
    if pixels.shape[2] not in (3, 4):
        return pixels
    if pixels.dtype in (_UINT8, _UINT16, _FLOAT32):
        code = cv2.COLOR_BGR2RGB if pixels.shape[2] == 3 else cv2.COLOR_BGRA2RGBA
        return cv2.cvtColor(np.ascontiguousarray(pixels), code)
    order = [2, 1, 0] if pixels.shape[2] == 3 else [2, 1, 0, 3]
    return np.ascontiguousarray(pixels[..., order])


def _cv2_from_rgb(pixels: np.ndarray) -> np.ndarray:
    """``(H, W, C)`` grey, RGB or RGBA -> what OpenCV's encoders expect."""
    if pixels.shape[2] == 1:
        return np.ascontiguousarray(pixels[..., 0])
    return _swap_red_blue(pixels)


def _decode_cv2(data: bytes, flags: int = cv2.IMREAD_UNCHANGED) -> np.ndarray | None:
    # IMREAD_UNCHANGED keeps 16-bit samples and alpha and ignores EXIF orientation.
    return cv2.imdecode(np.frombuffer(data, np.uint8), flags)


# ----------------------------------------------------------------------------------- readers


def _read_encoded(path: Path, read_metadata: Callable[[bytes], ImageMetadata], name: str,
                  data: bytes | None = None) -> tuple[np.ndarray, ImageMetadata]:
    """A JPEG, PNG or WebP file (``data``: its bytes, if read already): its metadata (the JPEG
    and PNG parsers also reject truncated streams), then its pixels decoded by OpenCV. libpng
    (through OpenCV) expands palettes, grey+alpha (to RGBA) and 1-4 bit samples, and unlike
    Pillow keeps 16-bit colour."""
    data = path.read_bytes() if data is None else data
    metadata = read_metadata(data)
    pixels = _decode_cv2(data)
    if pixels is None:
        raise ValueError(f"the {name} decoder rejected the data")
    return _rgb_from_cv2(pixels), metadata


# Start-of-frame markers whose 8-bit three-component data OpenCV decodes straight to RGB:
# baseline, extended and progressive Huffman coding.
_RGB_DECODABLE_FRAMES = (0xC0, 0xC1, 0xC2)


def _read_jpeg(path: Path) -> tuple[np.ndarray, ImageMetadata]:
    """An 8-bit colour JPEG is decoded by libjpeg straight to RGB (the same pixels as its BGR
    decoding swapped, without the swap: 0.15-0.2 CPU s of an 8K read); others as
    :func:`_read_encoded` reads them (grey stays one channel, 12-bit samples 16-bit)."""
    data = path.read_bytes()
    metadata, frame = jpeg_header(data)
    if frame is None or frame[0] not in _RGB_DECODABLE_FRAMES or frame[1:] != (8, 3):
        return _read_encoded(path, lambda _: metadata, "JPEG", data)
    # As IMREAD_UNCHANGED reads it: the EXIF orientation is not applied.
    pixels = _decode_cv2(data, cv2.IMREAD_COLOR_RGB | cv2.IMREAD_IGNORE_ORIENTATION)
    if pixels is None:
        raise ValueError("the JPEG decoder rejected the data")
    return pixels, metadata


def _read_png(path: Path) -> tuple[np.ndarray, ImageMetadata]:
    return _read_encoded(path, metadata_from_png, "PNG")


def _read_webp(path: Path) -> tuple[np.ndarray, ImageMetadata]:
    return _read_encoded(path, metadata_from_webp, "WebP")


def _read_hdr(path: Path) -> tuple[np.ndarray, ImageMetadata]:
    pixels = _decode_cv2(path.read_bytes(), cv2.IMREAD_ANYDEPTH | cv2.IMREAD_COLOR)
    if pixels is None:
        raise ValueError("the Radiance HDR decoder rejected the data")
    return _rgb_from_cv2(pixels.astype(np.float32, copy=False)), ImageMetadata()


def _tiff_pixels(path: Path) -> np.ndarray:
    """Decode the first image of a TIFF to ``(H, W, C)`` RGB(A)/grey, keeping the sample type."""
    import tifffile

    with tifffile.TiffFile(path) as tif:
        if len(tif.pages) > 1:
            logger.info("'%s' holds %d images; reading the first", path, len(tif.pages))
        page = tif.pages.first
        photometric = int(page.photometric)
        colormap = page.colormap
        try:
            pixels = page.asarray()
        except ValueError as exc:
            if "imagecodecs" not in str(exc):
                raise
            # tifffile decodes LZW, JPEG and float predictors only with the optional imagecodecs
            # package; libtiff (through OpenCV) handles them.
            pixels = _decode_cv2(path.read_bytes())
            if pixels is None:
                raise ImageReadError(
                    path,
                    f"unsupported TIFF compression ({exc})",
                    "install imagecodecs (pip install imagecodecs)",
                ) from exc
            return _rgb_from_cv2(pixels)
        axes = page.axes
    if "S" in axes and axes.index("S") < axes.index("Y"):  # planar: samples first
        pixels = np.moveaxis(pixels, axes.index("S"), -1)
        axes = axes.replace("S", "") + "S"
    if axes not in ("YX", "YXS"):
        raise ImageReadError(
            path, f"unsupported TIFF layout (axes {axes})", "save a single 2-D image"
        )
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if photometric == 0:  # MINISWHITE: 0 is white
        if pixels.dtype == np.bool_:
            pixels = ~pixels
        elif pixels.dtype.kind == "u":
            pixels = np.iinfo(pixels.dtype).max - pixels
        else:
            raise ImageReadError(
                path,
                "unsupported float TIFF with inverted grey",
                "save it as normal (min-is-black) grey or RGB",
            )
    elif photometric == 3:  # PALETTE
        if colormap is None:
            raise ImageReadError(path, "palette TIFF without a colour map")
        colors = colormap.T  # (2**bits, 3) uint16
        if pixels.dtype == np.uint8:
            colors = np.rint(colors / 257).astype(np.uint8)  # 8-bit maps are stored x257
        pixels = colors[pixels[..., 0]]
    elif photometric not in (1, 2):
        names = {5: "CMYK", 6: "YCbCr", 8: "CIELab"}
        raise ImageReadError(
            path,
            f"unsupported TIFF colour space {names.get(photometric, photometric)}",
            "convert it to RGB",
        )
    if pixels.dtype == np.bool_:
        pixels = pixels.astype(np.uint8) * np.uint8(255)
    elif pixels.dtype == np.float64:
        pixels = pixels.astype(np.float32)  # (half floats stay half: read_image marks them)
    if photometric in (0, 1) and pixels.shape[2] == 2:  # grey + alpha -> RGBA
        pixels = pixels[..., [0, 0, 0, 1]]
    return pixels


def _read_tiff(path: Path) -> tuple[np.ndarray, ImageMetadata]:
    pixels = _tiff_pixels(path)
    try:
        with path.open("rb") as fh:
            metadata = metadata_from_tiff(fh)
    except (ValueError, OSError) as exc:
        logger.warning("ignoring unreadable metadata of '%s': %s", path, exc)
        metadata = ImageMetadata()
    return pixels, metadata


def _exr_layer(names: list[str]) -> str:
    """Channel-name prefix of the colour layer: ``""`` for plain R/G/B or Y, else the one layer
    (``"beauty."``) that has R, G and B."""
    if {"R", "G", "B"} <= set(names) or "Y" in names:
        return ""
    layers = {n.rsplit(".", 1)[0] + "." for n in names if n.endswith((".R", ".G", ".B"))}
    complete = [layer for layer in layers if all(layer + c in names for c in "RGB")]
    return complete[0] if len(complete) == 1 else ""


# OpenEXR header attributes that describe the file's layout (written anew for the output), or
# show the image (a preview would still show the removed tripod), or are the XMP (kept apart).
_EXR_LAYOUT = frozenset({
    "channels", "compression", "dataWindow", "displayWindow", "lineOrder", "type", "tiles",
    "chunkCount", "name", "view", "multiView", "version", "preview", "xmp", "envmap",
})


def _read_exr(path: Path) -> tuple[np.ndarray, ImageMetadata]:
    import OpenEXR

    exr = OpenEXR.File(str(path), separate_channels=True)
    if len(exr.parts) > 1:
        logger.info("'%s' holds %d parts; reading the first", path, len(exr.parts))
    header = exr.header()
    channels = {name: channel.pixels for name, channel in exr.channels().items()}
    names = sorted(channels)
    layer = _exr_layer(names)
    if all(layer + c in channels for c in "RGB"):
        order = [layer + c for c in "RGB"]
    elif layer + "Y" in channels:
        order = [layer + "Y"] * (3 if layer + "A" in channels else 1)  # Y+A -> RGBA
    elif len(names) == 1:
        order = names
    else:
        raise ImageReadError(
            path,
            f"unsupported OpenEXR channels {names}",
            "store the colour as R, G, B (and A) or Y channels",
        )
    if layer + "A" in channels:
        order.append(layer + "A")
    left = sorted(set(names) - set(order))
    if left:
        # Depth, normals, other render layers: nothing fills them, and a file that keeps them
        # unfilled would hold the removed object there. The user should know they are gone.
        logger.warning(
            "'%s': OpenEXR channels %s are not colour (%s): they are not filled and not "
            "written to the output", path, ", ".join(left), ", ".join(dict.fromkeys(order)),
        )
    planes = [channels[name] for name in order]
    if len({plane.shape for plane in planes}) != 1:
        raise ImageReadError(
            path,
            "sub-sampled OpenEXR channels are not supported",
            "save the EXR with full-resolution channels",
        )
    if any(plane.dtype.kind != "f" for plane in planes):
        raise ImageReadError(
            path, "unsupported OpenEXR UINT channels", "save the colour channels as HALF or FLOAT"
        )
    # HALF channels stay float16 here: read_image converts them and marks the image as half.
    dtype = np.float16 if all(plane.dtype == np.float16 for plane in planes) else np.float32
    pixels = np.stack([plane.astype(dtype, copy=False) for plane in planes], axis=-1)
    data_min, data_max = (np.asarray(v, dtype=np.int64) for v in header["dataWindow"])
    show_min, show_max = (np.asarray(v, dtype=np.int64) for v in header["displayWindow"])
    if not (np.array_equal(data_min, show_min) and np.array_equal(data_max, show_max)):
        # The image is the display window; pixels outside the data window are empty (zero,
        # transparent where there is alpha).
        width, height = (show_max - show_min + 1).tolist()
        canvas = np.zeros((height, width, pixels.shape[2]), pixels.dtype)
        x0, y0 = (data_min - show_min).tolist()
        src_y, src_x = max(0, -y0), max(0, -x0)
        dst_y, dst_x = max(0, y0), max(0, x0)
        rows = min(height - dst_y, pixels.shape[0] - src_y)
        cols = min(width - dst_x, pixels.shape[1] - src_x)
        if rows > 0 and cols > 0:
            canvas[dst_y : dst_y + rows, dst_x : dst_x + cols] = pixels[
                src_y : src_y + rows, src_x : src_x + cols
            ]
        pixels = canvas
    xmp = header.get("xmp")
    attributes = {k: v for k, v in header.items() if k not in _EXR_LAYOUT}
    return pixels, ImageMetadata(xmp=xmp if isinstance(xmp, str) else None,
                                 exr_attributes=attributes)


def _pillow_pixels(image) -> np.ndarray:
    """A Pillow image in any mode -> ``(H, W, C)`` grey / RGB / RGBA array."""
    mode = image.mode
    if mode in ("1", "L"):
        image = image.convert("L")  # bilevel -> 0 / 255
    elif mode.startswith("I;16"):
        return np.asarray(image).astype(np.uint16)[..., None]
    elif mode == "F":
        return np.asarray(image, dtype=np.float32)[..., None]
    elif mode in ("LA", "La", "PA", "RGBa") or (mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
    elif mode != "RGBA" and mode != "RGB":
        if mode == "I":
            raise ValueError("unsupported 32-bit integer samples")
        image = image.convert("RGB")  # palette, CMYK, YCbCr, Lab, HSV, RGBX
    pixels = np.asarray(image)
    return pixels[..., None] if pixels.ndim == 2 else pixels


def _read_pillow(path: Path) -> tuple[np.ndarray, ImageMetadata]:
    import warnings

    from PIL import Image

    with warnings.catch_warnings():  # the pixel limit was checked from the header
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image = Image.open(path)
    with image:
        image.load()
        xmp = image.info.get("xmp")
        metadata = ImageMetadata.lenient(
            exif=image.info.get("exif"),
            icc_profile=image.info.get("icc_profile"),
            xmp=xmp.decode("utf-8", "replace") if isinstance(xmp, bytes) else xmp,
        )
        try:
            pixels = _pillow_pixels(image)
        except ValueError as exc:
            raise ImageReadError(path, str(exc), "convert it to 8/16-bit or float RGB(A)") from exc
        return pixels, metadata


_READERS: dict[str, Callable[[Path], tuple[np.ndarray, ImageMetadata]]] = {
    "jpeg": _read_jpeg,
    "png": _read_png,
    "tiff": _read_tiff,
    "webp": _read_webp,
    "hdr": _read_hdr,
    "exr": _read_exr,
}


def _check_loaded(path: Path, pixels: np.ndarray) -> np.ndarray:
    if pixels.dtype not in (_UINT8, _UINT16, _FLOAT32):
        bits = pixels.dtype.itemsize * 8
        kind = {"i": "signed integer", "u": "unsigned integer", "f": "float"}.get(
            pixels.dtype.kind, str(pixels.dtype)
        )
        raise ImageReadError(
            path,
            f"unsupported {bits}-bit {kind} samples",
            "convert it to 8/16-bit unsigned integer or 32-bit float",
        )
    if pixels.ndim != 3 or pixels.shape[2] not in (1, 3, 4):
        channels = pixels.shape[2] if pixels.ndim == 3 else "?"
        raise ImageReadError(
            path, f"unsupported {channels}-channel image", "save it as grey, RGB or RGBA"
        )
    if 0 in pixels.shape:
        raise ImageReadError(path, "the image is empty")
    return pixels


def read_image(path: PathLike, *, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> LoadedImage:
    """Read an image file with its metadata.

    Args:
        path: the file. The format is detected from its content (the suffix does not matter).
        max_pixels: refuse a file whose header declares more pixels than this, before any
            pixel is decoded (a decompression bomb); None for no limit.

    Returns:
        The pixels ``(H, W, C)`` in the file's dtype (uint8, uint16 or float32), the metadata,
        the path and the detected format. Palette images become RGB (RGBA with transparency),
        grey+alpha becomes RGBA, bilevel becomes 0/255 uint8, half/double floats become float32
        (``half`` set for half floats).
        EXIF orientation is not applied.

    Raises:
        ImageReadError: missing, unreadable, corrupt or truncated file, a format, bit depth or
            channel layout that is not supported (e.g. 32-bit integer TIFF, more than 4
            channels), or more pixels than ``max_pixels``.
        TypeError: ``path`` is not a path.

    Example:
        >>> image = read_image(path)  # doctest: +SKIP
        >>> image.pixels.shape, image.pixels.dtype, image.format  # doctest: +SKIP
        ((4096, 8192, 3), dtype('uint8'), 'jpeg')
    """
    path = as_path(path)
    kind = read_image_header(path, max_pixels=max_pixels).format  # nothing decoded before
    try:
        if kind in _READERS:
            pixels, metadata = _READERS[kind](path)
        else:
            pixels, metadata = _read_pillow(path)
    except (ImageReadError, MemoryError, KeyboardInterrupt):
        raise
    except Exception as exc:  # decoders raise anything from OSError to struct.error
        raise corrupt_image_error(path, kind, exc) from exc
    half = pixels.dtype == np.float16
    if half:
        pixels = pixels.astype(np.float32)  # exact: every half value is a float32 value
    pixels = _check_loaded(path, pixels)
    orientation = metadata.orientation
    if orientation not in (None, 1):
        logger.warning(
            "'%s' has EXIF orientation %d: the pixels are used as stored (a panorama "
            "is never rotated) and the tag is kept",
            path,
            orientation,
        )
    return LoadedImage(pixels, metadata, path, kind, half)


# ----------------------------------------------------------------------------------- writers

_JPEG_SEGMENT = 65533  # largest payload of a JPEG marker segment
_XMP_JPEG_HEADER = 29  # b"http://ns.adobe.com/xap/1.0/\x00"


def _icc_for(metadata: ImageMetadata, channels: int, name: str) -> bytes | None:
    """The ICC profile if its colour space fits the pixels (RGB or grey), else ``None``."""
    icc = metadata.icc_profile
    if icc is None:
        return None
    wanted = b"GRAY" if channels in (1, 2) else b"RGB "
    if icc[16:20] != wanted:
        logger.warning(
            "not writing the ICC profile to the %s file: it is for %r data, the pixels are %s",
            name,
            icc[16:20].decode("latin-1").strip(),
            wanted.decode().strip(),
        )
        return None
    return icc


def jpeg_metadata_options(metadata: ImageMetadata, channels: int) -> dict[str, object]:
    """Pillow's JPEG ``save`` options that store ``metadata`` (EXIF, ICC profile, XMP): the
    one place deciding what a JPEG output carries (the lossless patch writer uses it too)."""
    options: dict[str, object] = {}
    if metadata.dpi is not None:
        options["dpi"] = metadata.dpi  # JFIF's density, per inch
    if metadata.exif is not None:
        if len(metadata.exif) + 6 > _JPEG_SEGMENT:
            logger.warning("dropping EXIF: %d bytes do not fit a JPEG segment", len(metadata.exif))
        else:
            options["exif"] = b"Exif\x00\x00" + metadata.exif
    icc = _icc_for(metadata, channels, "JPEG")
    if icc is not None:
        options["icc_profile"] = icc  # Pillow splits large profiles over several segments
    if metadata.xmp is not None:
        xmp = metadata.xmp.encode("utf-8")
        if len(xmp) + _XMP_JPEG_HEADER > _JPEG_SEGMENT:
            logger.warning(
                "dropping XMP: %d bytes do not fit a JPEG segment (extended XMP is not written)",
                len(xmp),
            )
        else:
            options["xmp"] = xmp
    return options


def _write_jpeg(tmp: Path, pixels: np.ndarray, metadata: ImageMetadata, quality: int) -> None:
    from PIL import Image

    image = Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels)
    # 4:4:4 chroma at high quality: thin structures (cables, filled seams) keep their colour.
    options = {"quality": quality, "subsampling": 0 if quality >= 90 else 2,
               **jpeg_metadata_options(metadata, pixels.shape[2])}
    image.save(tmp, format="JPEG", **options)
    if metadata.jpeg_extra_segments:  # a JPEG source's IPTC and comments: no Pillow option
        tmp.write_bytes(jpeg_with_segments(tmp.read_bytes(), metadata.jpeg_extra_segments))


def _write_webp(tmp: Path, pixels: np.ndarray, metadata: ImageMetadata, quality: int) -> None:
    from PIL import Image

    image = Image.fromarray(pixels)
    # quality=100 means lossless; exact=True keeps the colour under fully transparent pixels.
    options: dict[str, object] = {"quality": quality, "lossless": quality == 100, "exact": True}
    if metadata.exif is not None:
        options["exif"] = metadata.exif
    icc = _icc_for(metadata, pixels.shape[2], "WebP")
    if icc is not None:
        options["icc_profile"] = icc
    if metadata.xmp is not None:
        options["xmp"] = metadata.xmp.encode("utf-8")
    image.save(tmp, format="WEBP", **options)


def _write_png(tmp: Path, pixels: np.ndarray, metadata: ImageMetadata, quality: int) -> None:
    # zlib level 6: about a quarter smaller than OpenCV's default (1) at a modest time cost.
    ok, encoded = cv2.imencode(".png", _cv2_from_rgb(pixels), [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:
        raise ValueError("the PNG encoder failed")
    icc = _icc_for(metadata, pixels.shape[2], "PNG")
    keep = ImageMetadata(exif=metadata.exif, icc_profile=icc, xmp=metadata.xmp,
                         png_chunks=metadata.png_chunks)
    tmp.write_bytes(png_with_metadata(encoded.tobytes(), keep))


def _write_tiff(tmp: Path, pixels: np.ndarray, metadata: ImageMetadata, quality: int) -> None:
    import tifffile

    channels = pixels.shape[2]
    extratags = []
    if metadata.xmp is not None:
        xmp = metadata.xmp.encode("utf-8")
        extratags.append((700, 1, len(xmp), xmp))  # XMP tag, BYTE array
    exif = metadata.exif
    tifffile.imwrite(
        tmp,
        pixels[..., 0] if channels == 1 else pixels,
        photometric="minisblack" if channels == 1 else "rgb",
        extrasamples=("unassalpha",) if channels == 4 else None,
        compression="zlib",
        # tifffile has the integer (horizontal) predictor built in; the float one needs
        # imagecodecs, so float data is deflated as is.
        predictor=pixels.dtype.kind == "u",
        iccprofile=_icc_for(metadata, channels, "TIFF"),
        extratags=extratags,
        # EXIF values keep their byte order when moved into the file.
        byteorder=exif_byte_order(exif) if exif is not None else "<",
        metadata=None,  # no tifffile JSON in ImageDescription
        software=False,
    )
    if exif is not None:
        with tmp.open("r+b") as fh:
            try:
                embed_exif_in_tiff(fh, exif)
            except (ValueError, struct.error) as exc:
                # Nothing is written before the EXIF block is fully parsed: the file stays valid.
                logger.warning("dropping EXIF from the TIFF file: %s", exc)


def _write_hdr(tmp: Path, pixels: np.ndarray, metadata: ImageMetadata, quality: int) -> None:
    dropped = [name for name in ("exif", "icc_profile", "xmp") if getattr(metadata, name)]
    if dropped:
        # Losing EXIF or a profile deserves a warning; the GPano XMP every output carries does not.
        level = logging.INFO if dropped == ["xmp"] else logging.WARNING
        logger.log(level, "Radiance .hdr cannot store metadata; dropping %s", ", ".join(dropped))
    if np.any(pixels < 0):
        logger.warning("Radiance .hdr cannot store negative values; they are written as 0")
    ok, encoded = cv2.imencode(".hdr", _cv2_from_rgb(pixels))
    if not ok:
        raise ValueError("the Radiance HDR encoder failed")
    tmp.write_bytes(encoded.tobytes())


def _write_exr(tmp: Path, pixels: np.ndarray, metadata: ImageMetadata, quality: int) -> None:
    import OpenEXR

    dropped = [name for name in ("exif", "icc_profile") if getattr(metadata, name)]
    if dropped:
        logger.warning("OpenEXR output keeps only XMP; dropping %s", ", ".join(dropped))
    names = {1: "Y", 3: "RGB", 4: "RGBA"}[pixels.shape[2]]
    channels = {name: np.ascontiguousarray(pixels[..., i]) for i, name in enumerate(names)}
    height, width = pixels.shape[:2]
    header: dict[str, object] = {
        "compression": OpenEXR.ZIP_COMPRESSION,
        "type": OpenEXR.scanlineimage,
    }
    if width == 2 * height:
        header["envmap"] = OpenEXR.ENVMAP_LATLONG  # EXR's own tag for equirectangular maps
    if metadata.xmp is not None:
        header["xmp"] = metadata.xmp
    source = metadata.exr_attributes or {}  # an EXR source's: chromaticities, owner...
    try:
        OpenEXR.File(source | header, channels).write(str(tmp))
    except (RuntimeError, TypeError) as exc:
        # The binding reads some attribute types it cannot write (a Rational: 'unrecognized
        # type of attribute'): the pixels matter more than the source's attributes.
        if not source or "attribute" not in str(exc):
            raise
        logger.warning("dropping the source's OpenEXR attributes: %s", exc)
        OpenEXR.File(header, channels).write(str(tmp))


@dataclass(frozen=True)
class _Format:
    """What a format stores and how to write it."""

    name: str
    dtypes: tuple[np.dtype, ...]
    alpha: bool
    grey: bool  # stores a single channel (else grey is written as RGB)
    max_side: int
    write: Callable[[Path, np.ndarray, ImageMetadata, int], None]
    finite_only: bool = False  # cannot store NaN / infinity
    half: bool = False  # stores 16-bit half floats


_JPEG = _Format("JPEG", (_UINT8,), False, True, 65535, _write_jpeg)
_PNG = _Format("PNG", (_UINT8, _UINT16), True, True, 2**31 - 1, _write_png)
_TIFF = _Format("TIFF", (_UINT8, _UINT16, _FLOAT32), True, True, 2**32 - 1, _write_tiff,
                half=True)
_WEBP = _Format("WebP", (_UINT8,), True, False, 16383, _write_webp)
_HDR = _Format("Radiance HDR", (_FLOAT32,), False, False, 2**31 - 1, _write_hdr, True)
_EXR = _Format("OpenEXR", (_FLOAT32,), True, True, 2**31 - 1, _write_exr, half=True)

_KIND_FORMATS = {"jpeg": _JPEG, "png": _PNG, "tiff": _TIFF, "webp": _WEBP, "hdr": _HDR,
                 "exr": _EXR}
_SUFFIX_FORMATS = {suffix: _KIND_FORMATS[kind] for suffix, kind in SUFFIX_KINDS.items()}

# Display-referred floats may overshoot [0, 1] by filtering noise; beyond this they are HDR.
_DISPLAY_TOLERANCE = 1e-3


def _srgb_to_linear_lut(levels: int) -> np.ndarray:
    value = np.arange(levels, dtype=np.float64) / (levels - 1)
    linear = np.where(value <= 0.04045, value / 12.92, ((value + 0.055) / 1.055) ** 2.4)
    return linear.astype(np.float32)


def _to_linear_float(pixels: np.ndarray) -> np.ndarray:
    """Integer (display-referred, sRGB-encoded) pixels -> linear float32; alpha is only scaled."""
    levels = 256 if pixels.dtype == _UINT8 else 65536
    out = _srgb_to_linear_lut(levels)[pixels]
    if pixels.shape[2] == 4:
        out[..., 3] = pixels[..., 3] * np.float32(1 / (levels - 1))
    return out


def _check_display_range(pixels: np.ndarray, fmt: _Format) -> None:
    """Refuse float32 pixels outside ``[0, 1]`` (or not finite) for an integer format."""
    low, high = float(np.min(pixels)), float(np.max(pixels))
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(
            f"pixels hold NaN or infinite values, which a {fmt.name} file cannot "
            "store; write .exr or .tif, or fix the values"
        )
    if low < -_DISPLAY_TOLERANCE or high > 1 + _DISPLAY_TOLERANCE:
        raise ValueError(
            f"float32 pixels range over [{low:.4g}, {high:.4g}]: they are HDR (or not "
            f"display-referred [0, 1]) and a {fmt.name} file would clip them; write .exr, .hdr "
            "or .tif to keep HDR values, or tone-map to [0, 1] first"
        )


def _to_integer(pixels: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Display-referred float32 in ``[0, 1]`` (see :func:`_check_display_range`) -> rounded
    integers."""
    top = np.iinfo(dtype).max
    return np.rint(np.clip(pixels, 0, 1) * top).astype(dtype)


def _check_storable(pixels: np.ndarray, fmt: _Format) -> None:
    """Raise ValueError saying why ``fmt`` cannot store ``(H, W, C)`` pixels; converts nothing."""
    height, width, channels = pixels.shape
    if max(height, width) > fmt.max_side:
        raise ValueError(
            f"{fmt.name} images are limited to {fmt.max_side} pixels a side, got "
            f"{width}x{height}; write .png, .tif or .exr instead"
        )
    if channels == 4 and not fmt.alpha:
        raise ValueError(
            f"{fmt.name} has no alpha channel and the image has one; write .png, .webp, "
            ".tif or .exr to keep it, or flatten the image (remove its alpha) first"
        )
    if pixels.dtype == _FLOAT32 and _FLOAT32 not in fmt.dtypes:
        _check_display_range(pixels, fmt)
    elif pixels.dtype == _FLOAT32 and fmt.finite_only and not all_finite(pixels):
        raise ValueError(f"{fmt.name} cannot store NaN or infinite values; write .exr or .tif")


def check_storable(path: PathLike, pixels: np.ndarray) -> None:
    """Whether :func:`write_image` can store ``pixels`` at ``path``, without converting them:
    asked before a fill whose result keeps the input's shape and dtype, so an output format
    that cannot hold it fails before the work, not after.

    Raises:
        ValueError: unknown suffix, or pixels the format cannot store (the message says what
            to write instead).

    Example:
        >>> check_storable("out.jpg", np.zeros((16, 32, 4), np.uint8))
        Traceback (most recent call last):
        ValueError: JPEG has no alpha channel and the image has one; write .png, ...
    """
    fmt = _SUFFIX_FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise ValueError(
            f"cannot tell the image format of '{path}' from its suffix "
            f"{Path(path).suffix!r}; use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    _check_storable(_check_pixels(pixels), fmt)


def derived_suffix(pixels: np.ndarray, source: PathLike) -> str:
    """The suffix for images made from ``pixels`` (read from ``source``) when the user named
    none, so that they keep the input's range: ``.png`` for 8/16-bit pixels; for float32,
    ``source``'s own suffix when its format stores float (.exr, .hdr, .tif), else ``.exr``
    (PNG would refuse HDR values, or round display-referred floats to 16 bits).

    Example:
        >>> derived_suffix(np.zeros((16, 32, 3), np.float32), "sky.hdr")
        '.hdr'
        >>> derived_suffix(np.zeros((16, 32, 3), np.uint16), "sky.tif")
        '.png'
    """
    if pixels.dtype != _FLOAT32:
        return ".png"
    suffix = Path(source).suffix.lower()
    fmt = _SUFFIX_FORMATS.get(suffix)
    return suffix if fmt is not None and _FLOAT32 in fmt.dtypes else ".exr"


_HALF_MAX = float(np.finfo(np.float16).max)  # 65504


def _to_half(pixels: np.ndarray) -> np.ndarray:
    """float32 -> float16; finite values past half's range are clipped to it (they would become
    infinite), with a warning. NaN and infinities stay what they are."""
    finite = np.isfinite(pixels)
    beyond = finite & (np.abs(pixels) > _HALF_MAX)
    if beyond.any():
        logger.warning(
            "%d values beyond the half float range (+-%g) are written as +-%g",
            int(np.count_nonzero(beyond)), _HALF_MAX, _HALF_MAX,
        )
        pixels = np.where(beyond, np.clip(pixels, -_HALF_MAX, _HALF_MAX), pixels)
    return pixels.astype(np.float16)


def _prepare(pixels: np.ndarray, fmt: _Format, half: bool = False) -> np.ndarray:
    """Convert ``(H, W, C)`` pixels to what ``fmt`` stores, or explain why it cannot (integer
    pixels converted to float are finite: only float input is checked for NaN); ``half``:
    float32 as 16-bit half floats where ``fmt`` stores them."""
    _check_storable(pixels, fmt)
    channels = pixels.shape[2]
    dtype = pixels.dtype
    if dtype not in fmt.dtypes:
        if dtype == _FLOAT32:
            target = _UINT16 if _UINT16 in fmt.dtypes else _UINT8
            pixels = _to_integer(pixels, target)
        elif _FLOAT32 in fmt.dtypes:
            logger.info("writing %s pixels to %s as linear float (sRGB decoded)", dtype, fmt.name)
            pixels = _to_linear_float(pixels)
        else:  # uint16 into an 8-bit format
            logger.warning(
                "%s stores 8 bits per sample: 16-bit pixels are rounded to 8 bits", fmt.name
            )
            pixels = np.rint(pixels / np.float32(257)).astype(np.uint8)
    if channels == 1 and not fmt.grey:
        pixels = np.repeat(pixels, 3, axis=2)  # (H, W, 3)
    if half and fmt.half and pixels.dtype == _FLOAT32:
        pixels = _to_half(pixels)
    return pixels


def _check_pixels(pixels: np.ndarray) -> np.ndarray:
    if not isinstance(pixels, np.ndarray):
        raise TypeError(f"pixels must be a numpy array, got {type(pixels).__name__}")
    check_dtype(pixels, "pixels")
    if pixels.ndim == 2:
        pixels = pixels[..., None]  # (H, W, 1)
    if pixels.ndim != 3 or pixels.shape[2] not in (1, 3, 4):
        raise ValueError(
            f"pixels must have shape (H, W) or (H, W, C) with C in (1, 3, 4), got {pixels.shape}"
        )
    if 0 in pixels.shape:
        raise ValueError(f"pixels are empty, shape {pixels.shape}")
    return pixels


# ----------------------------------------------------------------------------------- atomic


def _exists_message(path: Path) -> str:
    return f"'{path}' already exists; pass --overwrite (overwrite=True) to replace it"


def _check_target(path: Path, overwrite: bool) -> None:
    """Refuse to write an image to ``path``: a folder (ImageWriteError), an existing file
    without ``overwrite`` (FileExistsError), or a path below a folder that cannot be searched
    (ImageWriteError, where it was a bare PermissionError)."""
    try:
        kind = target_kind(path)
    except UnsearchableFolderError as exc:
        raise ImageWriteError(path, exc.reason, exc.hint) from exc
    if kind == "folder":
        raise ImageWriteError(path, "it is a directory", "give a file name with a suffix")
    if kind is not None and not overwrite:
        raise FileExistsError(_exists_message(path))


def _write_error(path: Path, exc: BaseException) -> ImageWriteError:
    if isinstance(exc, PermissionError):
        return ImageWriteError(
            path, "permission denied", f"check that you may write to '{path.parent}'"
        )
    # OpenEXR's binding reports a full disk as a RuntimeError naming the temporary file.
    if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or (
            isinstance(exc, RuntimeError) and os.strerror(errno.ENOSPC) in str(exc)):
        return ImageWriteError(path, "no space left on the device", "free some disk space")
    if isinstance(exc, OSError) and exc.strerror:
        return ImageWriteError(path, exc.strerror)
    return ImageWriteError(path, f"the encoder failed ({type(exc).__name__}: {exc})")


def atomic_write_image(path: Path, write: Callable[[Path], None], *, overwrite: bool) -> None:
    """:func:`~pano_inpaint.io.atomic.atomic_write`, with its errors as ``ImageWriteError``
    (:func:`write_image` and :func:`~pano_inpaint.io.jpeg_patch.write_jpeg_patch`)."""
    directory = path.parent
    if not directory.is_dir():
        raise ImageWriteError(
            path,
            f"the directory '{directory}' does not exist",
            "create it first or choose another output path",
        )
    try:
        atomic_write(path, write, overwrite=overwrite)
    except (FileExistsError, ImageWriteError):
        raise
    except Exception as exc:
        raise _write_error(path, exc) from exc


def write_image(
    path: PathLike,
    pixels: np.ndarray,
    metadata: ImageMetadata | None = None,
    *,
    overwrite: bool = False,
    quality: int = 95,
    half: bool = False,
) -> Path:
    """Write pixels (and metadata) to an image file, atomically.

    The format comes from the suffix (see :data:`~pano_inpaint.io.headers.SUPPORTED_SUFFIXES`).
    What a format cannot store is converted or refused:

    * uint16 -> JPEG/WebP: rounded to 8 bits (logged as a warning).
    * float32 -> JPEG/WebP (8-bit) or PNG (16-bit): only display-referred values in ``[0, 1]``
      are accepted (rounded); HDR values raise ``ValueError`` (write .exr, .hdr or .tif).
    * float32 -> TIFF/HDR/EXR: unchanged, never clipped (but .hdr cannot hold negatives).
    * uint8/uint16 -> HDR/EXR: taken as sRGB-encoded and decoded to linear float.
    * grey -> WebP/HDR: written as RGB. Alpha -> JPEG/HDR: ``ValueError``.

    Metadata goes where the format can hold it (EXIF, ICC and XMP for JPEG, PNG, WebP and TIFF;
    XMP only for EXR; nothing for HDR); what is dropped is logged. An ICC profile whose colour
    space does not fit the pixels (RGB vs grey) is dropped.

    Args:
        path: output file.
        pixels: ``(H, W)`` or ``(H, W, C)``, ``C`` in {1, 3, 4}; uint8, uint16 or float32.
        metadata: EXIF / ICC / XMP to store, e.g. ``loaded.metadata.for_output(w, h)``.
        overwrite: replace an existing file.
        quality: 1-100, for JPEG and WebP (WebP at 100 is lossless); ignored otherwise.
        half: store float32 pixels as 16-bit half floats in .exr and .tif (as a file read
            with ``LoadedImage.half`` held them: the same values in half the bytes; finite
            values past +-65504 are clipped to it, with a warning); ignored otherwise.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is False.
        ImageWriteError: the file cannot be written (missing directory, permissions, disk full,
            encoder failure); no partial or temporary file is left behind.
        TypeError: ``pixels`` is not a uint8/uint16/float32 array, or ``metadata`` is not an
            :class:`ImageMetadata`.
        ValueError: unknown suffix, bad shape or quality, or pixels the format cannot store
            (HDR floats in an 8/16-bit format, alpha in JPEG/HDR, too large for the format).

    Example:
        >>> write_image(tmp_path / "out.png", np.zeros((32, 64, 3), np.uint8))  # doctest: +SKIP
        PosixPath('.../out.png')
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    path = Path(path)
    fmt = _SUFFIX_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"cannot tell the image format of '{path}' from its suffix "
            f"{path.suffix!r}; use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    pixels = _check_pixels(pixels)
    if (
        isinstance(quality, bool)
        or not isinstance(quality, (int, np.integer))
        or not (1 <= quality <= 100)
    ):
        raise ValueError(f"quality must be an integer from 1 to 100, got {quality!r}")
    if metadata is None:
        metadata = ImageMetadata()
    elif not isinstance(metadata, ImageMetadata):
        raise TypeError(f"metadata must be an ImageMetadata or None, got {type(metadata).__name__}")
    _check_target(path, overwrite)
    stored = _prepare(pixels, fmt, half)
    atomic_write_image(
        path, lambda tmp: fmt.write(tmp, stored, metadata, int(quality)), overwrite=overwrite
    )
    return path


# ----------------------------------------------------------------------------------- masks


# An alpha mask (see _mask_level) whose smaller part is larger than this share of it could be
# either: a hole this large is rare, but under the default mask.max_fraction (60% of the
# sphere) either part could be filled, so such a mask is refused rather than guessed.
_ALPHA_TIE = 2 / 5


def _half(pixels: np.ndarray) -> float | int:
    """The level above which a mask pixel is light: 127 (8-bit), 32767 (16-bit), 0.5 (float)."""
    return 0.5 if pixels.dtype == _FLOAT32 else np.iinfo(pixels.dtype).max // 2


def _mask_level(pixels: np.ndarray) -> tuple[np.ndarray, str | None]:
    """A mask image's ``(H, W, C)`` pixels -> the ``(H, W)`` level whose pixels above half
    (:func:`_half`) are the hole, and, when which part is the hole cannot be told, why (the
    level is then the colour's, as a look at the file takes it). See :func:`read_mask`.

    With alpha, transparent (at or below half) and opaque pixels both, and the opaque ones all
    light or all dark (strokes on a transparent layer, or a layer of one colour with the hole
    erased), the colour says nothing (an editor keeps any colour under an erased pixel) and the
    hole is the smaller of the two parts. Read by colour, a black layer with the hole erased
    had its opaque part taken for the hole and was refused as covering 95% of the sphere."""
    half = _half(pixels)
    colour = pixels[..., :3] if pixels.shape[2] >= 3 else pixels
    level = colour.max(axis=2)
    if pixels.shape[2] != 4:
        return level, None
    alpha = pixels[..., 3]
    opaque = alpha > half
    share = float(np.mean(opaque))
    if share in (0.0, 1.0):
        return level, None
    light = level[opaque] > half
    if light.any() and not light.all():
        return level, ("has transparent pixels and its visible ones are both light and dark, "
                       "so whether its colour or its transparency marks the hole cannot be "
                       "told; save it without alpha, white (the hole) on black")
    if _ALPHA_TIE < share < 1 - _ALPHA_TIE:
        return level, (f"is transparent over {1 - share:.0%} of it and opaque over the rest, "
                       "so which part is the hole cannot be told; save it without alpha, white "
                       "(the hole) on black")
    if share < 0.5:
        return alpha, None  # strokes on a transparent layer
    top = 1.0 if pixels.dtype == _FLOAT32 else np.iinfo(pixels.dtype).max
    return top - alpha, None  # the hole erased from an opaque layer


def _hole_of_level(level: np.ndarray) -> np.ndarray:
    """A mask's ``(H, W)`` level (:func:`_mask_level`) -> ``(H, W)`` bool, True = hole."""
    if level.dtype != _FLOAT32 and level.max() == 1:
        # A 0/1 mask (numpy, OpenCV and labelling tools write these): 1 is the hole, not a
        # nearly black pixel.
        logger.info("the mask holds only 0 and 1: taking 1 as the hole")
        return level > 0
    return level > _half(level)


def _hole_pixels(pixels: np.ndarray) -> np.ndarray:
    """``(H, W, C)`` mask image -> ``(H, W)`` bool, True = hole (see :func:`read_mask`); an
    alpha mask that could be either way is read by its colour (:func:`_mask_level`)."""
    return _hole_of_level(_mask_level(pixels)[0])


_SOFT_GREY = 1 / 8  # a rim pixel this light (32 of 255) is a soft edge, not JPEG noise
_SOFT_FAINT = 1 / 32  # a soft edge's colour still shows down to about this (8 of 255)
_SOFT_NEAR = 16  # pixels: grey is a rim when it comes this near the hole
_SOFT_GAP = 3  # pixels: a rim fades without a break; faint pixels past a gap this wide are not it
# A rim is measured out to at most this share of the height (22.5 degrees), or 64 px on a small
# mask: grey running on farther is a gradient, not a brush's fringe (and at 16K a distance
# transform as tall as the mask would take gigabytes).
_SOFT_WIDEST = 1 / 8


def _soft_widest(height: int) -> int:
    """The farthest (pixels) a soft rim is measured on a mask ``height`` rows tall."""
    return int(max(64, np.ceil(_SOFT_WIDEST * height)))


def _distance_to_hole(hole: np.ndarray, first: int, stop: int, reach: int) -> np.ndarray:
    """Distance (pixels) from each pixel of rows ``first .. stop - 1`` of ``hole`` to its nearest
    hole pixel, on the sphere as :func:`~pano_inpaint.masks.dilate_mask` grows a hole: columns
    wrap round, rows continue over the poles. Exact up to ``reach``; farther ones come out
    larger than ``reach``. Returns ``(stop - first, W)`` float32."""
    height, width = hole.shape
    reach = min(reach, height)  # rows_over_the_poles crosses a pole once at most
    band = rows_over_the_poles(hole, first - reach, stop + reach)
    pad = min(reach, width)
    band = np.pad(band, ((0, 0), (pad, pad)), mode="wrap")  # (stop - first + 2 reach, W + 2 pad)
    # Exact: the 3x3 chamfer reads a straight run of d pixels as 0.955 d, so a --dilate named
    # from it fell short of a rim wider than about 20 pixels.
    distance = cv2.distanceTransform(
        (~band).view(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE
    )
    return distance[reach:reach + stop - first, pad:pad + width]


class _Rim(NamedTuple):
    """A soft rim's measure (mask pixels): ``width`` is how far from the hole it reaches (0: a
    hard mask); ``runs_on`` says its faint grey runs on past the farthest measured (``_SOFT_WIDEST``
    of the height: a gradient, not a brush's fringe), and then ``width`` is how far its grey
    part (``_SOFT_GREY`` above the background) reaches, 0 if that runs on too."""

    width: int
    runs_on: bool = False


def _background_level(level: np.ndarray, hole: np.ndarray, far: int) -> float:
    """The level of a mask's own background (black, or a dark grey some tools save), measured
    on a sample of at most about 512 x 1024 pixels: the median of the known pixels more than
    ``far`` pixels from the hole, where no rim is measured. Where the hole leaves too few that
    far, the lower of the median of the known pixels and that of their farthest tenth: a soft
    rim is lighter than the background, and over a small known area it held most of the known
    pixels, so their median was a rim level and the rim was measured short."""
    step = max(1, hole.shape[0] // 512)
    sampled = np.ascontiguousarray(hole[::step, ::step])
    known = level[::step, ::step][~sampled]
    if not known.size:
        return 0.0
    # Columns wrap round: a rim across the wrap-around line is near the hole.
    pad = min(sampled.shape[1], -(-far // step) + 1)
    band = np.pad(sampled, ((0, 0), (pad, pad)), mode="wrap")
    distance = cv2.distanceTransform((~band).view(np.uint8), cv2.DIST_L2, 3)
    distance = distance[:, pad:pad + sampled.shape[1]][~sampled] * step  # (known,) mask px
    away = known[distance > far]
    if away.size >= max(64, known.size // 100):
        return float(np.median(away))
    farthest = known[distance >= np.quantile(distance, 0.9)]
    return float(min(np.median(known), np.median(farthest)))


def _rim_width(shells: np.ndarray) -> int:
    """The distance (pixels) out to which ``shells`` (the whole pixel distances from the hole
    where a rim's pixels lie, ascending) run on from the hole without a gap wider than
    ``_SOFT_GAP``."""
    shells = np.concatenate(([0], shells))
    breaks = np.flatnonzero(np.diff(shells) > _SOFT_GAP)
    return int(shells[breaks[0]] if breaks.size else shells[-1])


def _soft_rim_reach(level: np.ndarray, hole: np.ndarray) -> _Rim:
    """How far (pixels) a soft, anti-aliased rim reaches beyond ``hole`` (see :class:`_Rim`).

    A soft brush or a feathered selection leaves grey pixels at or below half round the hole:
    they are known pixels, yet they hold the object's fringe, which shows as a halo round the
    fill (a red disc's rim on a grey sky stayed a red ring). JPEG noise round a hard edge stays
    below ``_SOFT_GREY``, so it does not count. Distances are taken on the sphere, as the
    ``--dilate`` that covers the rim grows the hole (across the wrap-around line, over a pole)."""
    if level.dtype != _FLOAT32 and level.max() == 1:  # a 0/1 label image has no rim
        return _Rim(0)
    top = 1.0 if level.dtype == _FLOAT32 else float(np.iinfo(level.dtype).max)
    height = hole.shape[0]
    # The farthest the rim is measured. The doubling below stops here, not at the next power
    # of two past it (at 3000 rows a limit of 375 px was measured out to 512).
    widest = _soft_widest(height)
    # Levels above the mask's own background: faint counted from 0 on a background of 10/255
    # ran on from the hole over the whole mask.
    floor = _background_level(level, hole, widest)
    grey = (level > floor + _SOFT_GREY * top) & ~hole
    if np.count_nonzero(grey) < 16:
        return _Rim(0)
    faint = (level > floor + _SOFT_FAINT * top) & ~hole  # holds every grey pixel
    # Only rows that many rows from a hole row can hold the rim (a path over a pole is longer):
    # a faint speck far from the hole made the distance transform as tall as the mask.
    count = np.concatenate(([0], np.cumsum(hole.any(axis=1))))
    row = np.arange(height)
    near = count[np.minimum(height, row + widest + 1)] > count[np.maximum(0, row - widest)]
    rows = np.flatnonzero(faint.any(axis=1) & near)
    if rows.size == 0:
        return _Rim(0)
    first, stop = rows[0], rows[-1] + 1
    reach = _SOFT_NEAR
    distance = _distance_to_hole(hole, first, stop, reach)
    grey = grey[first:stop]
    if np.count_nonzero(grey & (distance <= _SOFT_NEAR)) < 16:
        return _Rim(0)
    faint = faint[first:stop]
    while True:
        # The rim is the faint pixels whose distances run on from the hole without a gap (grey
        # elsewhere in the mask lies past one). A feathered selection fades farther than
        # _SOFT_NEAR: measure again, twice as far, until the rim ends inside what was measured.
        width = _rim_width(np.unique(np.ceil(distance[faint & (distance <= reach)])))
        if width <= reach - _SOFT_GAP or reach >= widest:
            break
        reach = min(2 * reach, widest)
        distance = _distance_to_hole(hole, first, stop, reach)
    if width <= reach - _SOFT_GAP:
        return _Rim(width)
    # A gradient: its faint end lies past the limit, and a --dilate of the limit (22.5
    # degrees all round) would neither cover it nor leave a fill worth having. What shows as
    # a halo is where the mask is clearly grey (the object's share at least _SOFT_GREY).
    width = _rim_width(np.unique(np.ceil(distance[grey & (distance <= reach)])))
    return _Rim(width if width <= reach - _SOFT_GAP else 0, runs_on=True)


# A mask is flat: nearly all its pixels hold its background's colour or its hole's, up to a
# JPEG's noise (2 of 255), and the rest (a soft rim, a short gradient) lie near the hole. A
# photograph's pixels spread, a dark one's too: the shipped sample and the tone-mapped test
# panoramas kept 0.003-0.39 of their pixels flat; darkened to 4-15 % of the range, grey or not,
# at most 0.96, with at least 4 % of them off it and far from their few light pixels. Masks
# (hard, feathered, JPEG-saved, coloured, 0/1, one wire) kept 0.76-1 flat and none stray.
# Measured on at most about 256 rows.
_MASK_NOISE = 2 / 255
_MASK_FLAT = 1 / 2  # at least this share of a mask's pixels are flat
_MASK_STRAY = 1 / 100  # at most this share are neither flat nor within a rim's reach of the hole


def _flat_pixels(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The hole and the flat pixels (within ``_MASK_NOISE`` of their class's median colour)
    of a sample of about 256 rows of ``(H, W, C)`` pixels, each ``(h, w)`` bool; None when a
    value is not finite."""
    step = max(1, pixels.shape[0] // 256)
    sample = pixels[::step, ::step]  # (h, w, C)
    top = 1.0 if sample.dtype == _FLOAT32 else float(np.iinfo(sample.dtype).max)
    colour = (sample[..., :3] if sample.shape[2] >= 3 else sample).astype(np.float32) / top
    if not all_finite(colour):
        return None
    hole = _hole_pixels(sample)  # (h, w): the hole as read_mask will take it
    flat = np.zeros(hole.shape, bool)
    for part in (hole, ~hole):
        if part.any():
            centre = np.median(colour[part], axis=0)  # (c,)
            flat |= part & (np.abs(colour - centre).max(axis=2) <= _MASK_NOISE)
    return hole, flat


def looks_like_mask(pixels: np.ndarray) -> bool:
    """Whether an image's ``(H, W, C)`` pixels (as :func:`read_image` returns them) look like
    a hole mask's rather than a photograph's: at least half of them within ``_MASK_NOISE`` of
    the median colour of their class (the hole as :func:`read_mask` takes it, or not), and
    at most 1 % of them off it farther from the light pixels than a soft rim reaches (an eighth
    of the height). Grey, coloured (any light colour on black), 0/1, 16-bit, float and
    transparent-layer masks pass; a feathered edge or a short gradient passes, a gradient
    running on over the whole mask does not.

    Example:
        >>> looks_like_mask(np.zeros((16, 32, 1), np.uint8))
        True
    """
    found = _flat_pixels(pixels)
    if found is None:
        return False
    hole, flat = found
    if flat.mean() < _MASK_FLAT:
        return False
    reach = _SOFT_WIDEST * hole.shape[0]
    if hole.any():  # columns wrap round: a rim across the wrap-around line is near the hole
        pad = min(hole.shape[1], int(np.ceil(reach)) + 1)
        band = np.pad(hole, ((0, 0), (pad, pad)), mode="wrap")  # (h, w + 2 pad)
        distance = cv2.distanceTransform((~band).view(np.uint8), cv2.DIST_L2, 3)
        far = distance[:, pad:pad + hole.shape[1]] > reach
    else:
        far = np.ones(hole.shape, bool)
    return float(np.mean(far & ~flat)) <= _MASK_STRAY


_REDUCED_JPEG = ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4),
                 (2, cv2.IMREAD_REDUCED_COLOR_2))
_LOOK_ROWS = 512  # a reduced read keeps at least this many rows (the look samples about 256)


def _png_is_bilevel(path: Path) -> bool:
    """Whether a PNG's header declares 1-bit grey samples (colour type 0, bit depth 1)."""
    with open(path, "rb") as handle:
        head = handle.read(26)  # signature (8), IHDR length and type (8), size (8), depth, type
    return len(head) == 26 and head[12:16] == b"IHDR" and head[24:26] == b"\x01\x00"


def _reduced_jpeg(path: Path, height: int) -> np.ndarray | None:
    """A JPEG decoded at 1/2, 1/4 or 1/8 of its size by libjpeg (each pixel the mean of the
    block it stands for), at least :data:`_LOOK_ROWS` rows; None when it would not be smaller
    or the decoder refuses it (the full read says why)."""
    for scale, flags in _REDUCED_JPEG:
        if height // scale >= _LOOK_ROWS:
            return _decode_cv2(path.read_bytes(), flags | cv2.IMREAD_IGNORE_ORIENTATION)
    return None


def file_looks_like_mask(path: PathLike, *, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> bool:
    """:func:`looks_like_mask` of an image file's pixels, decoding less where that does not
    change the answer: a 1-bit grey PNG is decided from its header (black and white only, it
    always looks like a mask); a JPEG of 1024 rows or more is first decoded reduced, and a
    photo with too few flat pixels even there is not a mask (block means are flatter than the
    pixels they stand for: a photo only looks more like a mask reduced). Only the flat share is
    trusted reduced: a thin stroke averaged to grey far from the hole would count as stray. Any
    other file is read whole and decided as before (a dark, noisy photo is flat once averaged).
    A PNG has no reduced decoding: every row is inflated and unfiltered after the one above.
    A 1-bit PNG cut short after its header is a mask here too (nothing past the header is
    read): it fails where it is read as one (:func:`read_mask`: 'truncated PNG data', one line;
    exit code 3 on the command line).

    Raises:
        ImageReadError: the header cannot be read, or a file other than a 1-bit grey PNG
            cannot be decoded (as :func:`read_image`).
    """
    path = as_path(path)
    header = read_image_header(path, max_pixels=max_pixels)
    if header.format == "png" and _png_is_bilevel(path):
        return True
    if header.format == "jpeg":
        reduced = _reduced_jpeg(path, header.height)
        found = None if reduced is None else _flat_pixels(reduced)
        if found is not None and found[1].mean() < _MASK_FLAT / 2:  # a margin for averaging
            return False
    return looks_like_mask(read_image(path, max_pixels=max_pixels).pixels)


def read_mask(
    path: PathLike, height: int, width: int, *, resize: bool = False,
    max_pixels: int | None = DEFAULT_MAX_PIXELS, dilate: int | None = None,
) -> np.ndarray:
    """Read a hole mask for an image of ``width x height``.

    Rule: a pixel is a hole when it is light, i.e. its brightest colour channel is above half
    range (> 127 for 8-bit, > 32767 for 16-bit, > 0.5 for float), so white (or any non-black
    stroke) marks holes and JPEG noise around black does not. Exceptions: an image with
    transparent pixels (alpha at or below half) whose opaque pixels are all light or all dark
    (strokes on a transparent layer, or a layer with the hole erased) is read from its alpha:
    the hole is the smaller part, opaque or transparent, and parts of about the same size (the
    smaller over 40%) are refused, as is a mix of light and dark opaque pixels with transparent
    ones; an integer mask whose largest value is 1 (a 0/1 label image) takes 1 as the hole.

    Args:
        path: mask image, any format :func:`read_image` reads.
        height: image height the mask must match.
        width: image width the mask must match.
        resize: resize a mask of another size instead of failing: nearest-neighbour to a larger
            size; to a smaller one, a pixel is a hole when any mask pixel under it is (thin
            strokes are kept).
        max_pixels: pixel limit of the mask file (see :func:`read_image`).
        dilate: how far the caller grows the hole before filling it (``mask.dilate``); a
            soft, anti-aliased rim that reaches farther (its grey pixels at or below half are
            known pixels holding the object's fringe: a halo round the fill) is logged as a
            warning that names the ``--dilate`` that covers it (for a gradient, grey running on
            past an eighth of the height, the part of it an eighth above the background, or
            none). None: the mask is not for a fill (``check``, the web app's own strokes), no
            warning.

    Returns:
        ``(height, width)`` bool array, True = hole.

    Raises:
        ImageReadError: the file cannot be read.
        ValueError: the mask has another size and ``resize`` is False, its alpha leaves the
            hole unclear, or bad ``height``/``width``.

    Example:
        >>> hole = read_mask("tripod.png", 2048, 4096)  # doctest: +SKIP
        >>> hole.dtype, hole.shape  # doctest: +SKIP
        (dtype('bool'), (2048, 4096))
    """
    height = check_positive_int(height, "height")
    width = check_positive_int(width, "width")
    loaded = read_image(path, max_pixels=max_pixels)
    level, doubt = _mask_level(loaded.pixels)
    if doubt is not None:
        raise ValueError(f"mask '{path}' {doubt}")
    hole = _hole_of_level(level)
    mask_h, mask_w = hole.shape
    if dilate is not None and ((mask_h, mask_w) == (height, width) or resize):
        # Only for a mask about to be filled (a size refused first is the message to act on).
        rim = _soft_rim_reach(level, hole)
        reach = int(np.ceil(rim.width * width / mask_w))  # in the image's pixels
        limit = int(np.ceil(_soft_widest(mask_h) * width / mask_w))
        if not rim.runs_on and reach > dilate:
            logger.warning(
                "mask '%s' has soft edges: grey pixels up to %d px outside the hole are kept "
                "as known, and the object's fringe in them can show as a halo round the fill; "
                "--dilate %d (mask.dilate) covers them", path, reach, reach,
            )
        elif rim.runs_on and reach > dilate:
            logger.warning(
                "mask '%s' has soft edges that fade out farther than %d px from the hole (a "
                "gradient, not a brush's rim); its grey pixels are kept as known, and the "
                "object's fringe in the lighter ones, up to %d px outside the hole, can show "
                "as a halo round the fill; --dilate %d (mask.dilate) covers those",
                path, limit, reach, reach,
            )
        elif rim.runs_on and not reach and dilate < limit:
            logger.warning(
                "mask '%s' stays grey farther than %d px from the hole (a gradient, not a "
                "soft rim): its grey pixels are kept as known and no --dilate covers them; "
                "save the mask in black and white (the hole is where it is lighter than half)",
                path, limit,
            )
    if (mask_h, mask_w) == (height, width):
        return hole
    if not resize:
        raise ValueError(
            f"mask '{path}' is {mask_w}x{mask_h} but the image is {width}x{height}; pass "
            "--resize-mask (resize=True) to resize it, or make the mask at the image's size"
        )
    if abs(mask_w * height - width * mask_h) > 0.01 * width * mask_h:
        logger.warning(
            "mask '%s' (%dx%d) has another aspect ratio than the image (%dx%d); it is stretched",
            path,
            mask_w,
            mask_h,
            width,
            height,
        )
    if mask_w > width or mask_h > height:
        # Smaller: a pixel is a hole when any of the mask's pixels under it is. Sampling would
        # drop thin strokes: a 2 px wire on a 4096 px mask kept 405 of its 514 columns at 1024,
        # and the rest of the wire stayed in the picture as dashes.
        # (uint16: one mask pixel of 65535 still counts after a 256x smaller area mean.)
        covered = cv2.resize(hole.astype(np.uint16) * np.uint16(65535), (width, height),
                             interpolation=cv2.INTER_AREA)
        return covered > 0
    # NEAREST_EXACT samples pixel centres; plain NEAREST is shifted by half a pixel.
    resized = cv2.resize(
        hole.view(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST_EXACT
    )
    return resized.astype(bool)


def encode_mask(mask: np.ndarray) -> bytes:
    """A hole mask as the bytes of a 1-bit grey PNG (white = hole): what :func:`write_mask`
    writes, in memory (the web app's mask download).

    Args:
        mask: ``(H, W)`` bool, True = hole.

    Raises:
        TypeError: ``mask`` is not a bool array.
        ValueError: ``mask`` is not ``(H, W)`` and non-empty.

    Example:
        >>> encode_mask(np.zeros((16, 32), bool))[24:26]  # IHDR: bit depth 1, grey
        b'\\x01\\x00'
    """
    if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_:
        raise TypeError(f"mask must be a bool array, got {getattr(mask, 'dtype', type(mask))}")
    if mask.ndim != 2 or 0 in mask.shape:
        raise ValueError(f"mask must have shape (H, W), got {mask.shape}")
    # OpenCV's bilevel PNG: one bit a pixel, set where the byte (the bool) is non-zero.
    ok, encoded = cv2.imencode(".png", np.ascontiguousarray(mask).view(np.uint8), [
        cv2.IMWRITE_PNG_BILEVEL, 1, cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:
        raise ValueError("the PNG encoder failed")
    return encoded.tobytes()


def write_mask(path: PathLike, mask: np.ndarray, *, overwrite: bool = False) -> Path:
    """Write a hole mask as a 1-bit grey PNG (white = hole), atomically: lossless for a bool
    mask, read back by :func:`read_mask` as the same mask (decoded 0 / 255), and told from a
    photo by :func:`file_looks_like_mask` from its header alone (an 8-bit mask is decoded whole
    for that: 58 ms against 0.07 ms at 8192 x 4096 here). A rig mask of that size: 8 kB, not
    36 kB, and written in 60 ms, not 250.

    Args:
        path: output file, ``.png``.
        mask: ``(H, W)`` bool, True = hole.
        overwrite: replace an existing file.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is False.
        ImageWriteError: the file cannot be written (as :func:`write_image`).
        TypeError: ``mask`` is not a bool array.
        ValueError: ``path`` is not a ``.png``, or ``mask`` is not ``(H, W)`` and non-empty.

    Example:
        >>> write_mask(tmp_path / "a_mask.png", np.zeros((16, 32), bool))  # doctest: +SKIP
        PosixPath('.../a_mask.png')
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"a mask is written as PNG, got '{path}'")
    data = encode_mask(mask)  # checks the mask first: nothing is written for a bad one
    _check_target(path, overwrite)

    def write(tmp: Path) -> None:
        tmp.write_bytes(data)

    atomic_write_image(path, write, overwrite=overwrite)
    return path

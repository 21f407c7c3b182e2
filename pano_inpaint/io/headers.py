"""What an image file is and how large it says it is, from its header alone; the file names
(:data:`SUPPORTED_SUFFIXES`) and the read error (:class:`ImageReadError`) of the whole package.

Nothing here decodes pixels: a 3 MB PNG can declare 46000x23000 pixels and a few bytes of EXR
header a canvas of any size, and their decoders allocate what the header says before they find
out the data is not there. :func:`read_image <pano_inpaint.io.images.read_image>` checks the
declared size against a pixel limit first (:data:`DEFAULT_MAX_PIXELS`, the largest panorama the
pipeline supports), so such a file is refused in milliseconds without allocating anything.

This module imports neither numpy nor OpenCV, so a command that refuses a file from its header
(:func:`read_image_header`) does not pay for them.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import re
import stat
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "MASK_SUFFIXES",
    "SUFFIX_KINDS",
    "SUPPORTED_SUFFIXES",
    "ImageFileError",
    "ImageHeader",
    "ImageReadError",
    "as_path",
    "corrupt_image_error",
    "read_header",
    "read_image_header",
    "sniff_format",
    "webp_is_lossless",
]

# The largest panorama the pipeline supports (README "Limits"): 16384 x 8192.
DEFAULT_MAX_PIXELS = 16384 * 8192

# The file names this package reads and writes, and the format each one is written in.
SUFFIX_KINDS = {
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".jpe": "jpeg",
    ".png": "png",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".webp": "webp",
    ".hdr": "hdr",
    ".exr": "exr",
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(SUFFIX_KINDS)
# The file names a --mask folder's masks may have: those, and formats only read (read_mask
# reads whatever Pillow does) that paint programs and image tools save masks in.
MASK_SUFFIXES: tuple[str, ...] = (*SUPPORTED_SUFFIXES, ".bmp", ".gif", ".tga", ".pbm", ".pgm",
                                  ".ppm")

PathLike = str | os.PathLike[str]


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class ImageFileError(OSError):
    """An image file could not be read or written: one line,
    ``cannot <verb> '<path>': <reason>; <what to do>``.

    Attributes:
        path: the file.
        reason: what went wrong.
        hint: what the user can do about it (default: the subclass's ``default_hint``).
    """

    verb = "use"
    default_hint = "check the file"

    def __init__(self, path: PathLike, reason: str, hint: str | None = None) -> None:
        self.path = Path(path)
        self.reason = _one_line(reason)
        self.hint = _one_line(self.default_hint if hint is None else hint)
        super().__init__(f"cannot {self.verb} '{path}': {self.reason}; {self.hint}")

    def __str__(self) -> str:  # OSError would prefix "[Errno ...]" if errno were set
        return str(self.args[0])

    def __reduce__(self):  # keep the exception picklable (multiprocessing)
        return (type(self), (self.path, self.reason, self.hint))


class ImageReadError(ImageFileError):
    """An image file could not be read (``cannot read '<path>': <reason>; <what to do>``)."""

    verb = "read"
    default_hint = "check that the file is a complete, supported image"


@dataclass(frozen=True)
class ImageHeader:
    """Format and declared size of an image file.

    Attributes:
        format: ``"jpeg"``, ``"png"``, ``"tiff"``, ``"webp"``, ``"hdr"``, ``"exr"``, or a
            lower-case Pillow format name for other formats (``"bmp"``...).
        width: declared width in pixels.
        height: declared height in pixels.
        pixels: pixels the decoder would allocate (for EXR the larger of the data and the
            display window, which the reader fills from it).
        pixel_bytes: bytes a decoded pixel takes at least, from the channels and the bits
            a sample the header declares (3 where it declares neither).
    """

    format: str
    width: int
    height: int
    pixels: int
    pixel_bytes: int = 3


def sniff_format(head: bytes) -> str | None:
    """Container format from the first 16 bytes of a file, or None for any other format.

    Example:
        >>> sniff_format(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8))
        'png'
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith((b"#?RADIANCE", b"#?RGBE")):
        return "hdr"
    if head.startswith(b"v/1\x01"):
        return "exr"
    return None


# Size readers return (width, height, pixels, pixel_bytes): see ImageHeader.
_Size = tuple[int, int, int, int]


def _hdr_size(path: Path) -> _Size:
    """Radiance: text lines, a blank line, then the resolution (``-Y h +X w`` or, for an image
    stored by columns, ``+X w -Y h``). It decodes to float32 RGB: 12 bytes a pixel."""
    with path.open("rb") as fh:
        for _ in range(128):
            line = fh.readline(512)
            rows_first = re.match(rb"^[-+]Y\s+(\d+)\s+[-+]X\s+(\d+)\s*$", line)
            if rows_first:
                height, width = int(rows_first.group(1)), int(rows_first.group(2))
                return width, height, width * height, 12
            columns_first = re.match(rb"^[-+]X\s+(\d+)\s+[-+]Y\s+(\d+)\s*$", line)
            if columns_first:
                width, height = int(columns_first.group(1)), int(columns_first.group(2))
                return width, height, width * height, 12
    raise ValueError("no resolution line in the Radiance header")


def _exr_size(path: Path) -> _Size:
    """The windows' sizes; two bytes a channel (half floats: a header alone does not give
    the channels' types)."""
    import OpenEXR

    header = OpenEXR.File(str(path), header_only=True).header()
    sizes = []
    for window in ("displayWindow", "dataWindow"):
        (x0, y0), (x1, y1) = header[window]
        sizes.append((int(x1) - int(x0) + 1, int(y1) - int(y0) + 1))
    (width, height), data = sizes
    channels = max(1, len(header.get("channels", ())))
    return width, height, max(width * height, data[0] * data[1]), 2 * channels


@contextlib.contextmanager
def _quiet_logger(name: str):
    """Silence a library's log while only its header parser runs: it reports the data's
    problems (strip counts that do not fit a forged size) that no one needs before the size
    itself is checked; a full read still reports them."""
    library = logging.getLogger(name)
    before = library.disabled
    library.disabled = True
    try:
        yield
    finally:
        library.disabled = before


def _tiff_size(path: Path) -> _Size:
    import tifffile

    with _quiet_logger("tifffile"), tifffile.TiffFile(path) as tif:  # first directory only
        page = tif.pages.first
        width, height = int(page.imagewidth), int(page.imagelength)
        sample_bytes = max(1, (int(page.bitspersample) + 7) // 8)
        pixel_bytes = max(1, int(page.samplesperpixel)) * sample_bytes
    return width, height, width * height, pixel_bytes


def _webp_size(path: Path) -> _Size:
    """WebP's first chunk: the canvas of an extended file (VP8X, 24-bit sizes), else the frame
    of a lossy (VP8, 14-bit) or lossless (VP8L, 14-bit) image; RGBA where the chunk flags an
    alpha channel. (Pillow's WebP plugin decodes on opening and applies its own bomb limit.)"""
    with path.open("rb") as fh:
        head = fh.read(30)
    kind, body = head[12:16], head[20:30]
    if kind == b"VP8X" and len(body) >= 10:
        width = int.from_bytes(body[4:7], "little") + 1
        height = int.from_bytes(body[7:10], "little") + 1
        alpha = bool(body[0] & 0x10)
    elif kind == b"VP8 " and body[3:6] == b"\x9d\x01\x2a":
        width = int.from_bytes(body[6:8], "little") & 0x3FFF
        height = int.from_bytes(body[8:10], "little") & 0x3FFF
        alpha = False
    elif kind == b"VP8L" and body[:1] == b"\x2f":
        bits = int.from_bytes(body[1:5], "little")
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        alpha = bool(bits >> 28 & 1)
    else:
        raise ValueError(f"unknown WebP chunk {kind!r}")
    return width, height, width * height, 4 if alpha else 3


def webp_is_lossless(path: str | Path) -> bool:
    """Whether a WebP file's image is lossless (a VP8L chunk), walking its RIFF chunks (an
    extended file holds VP8X, ICCP, ALPH... before it); False for a lossy (VP8) one.

    Example:
        >>> webp_is_lossless(path)  # doctest: +SKIP
        True
    """
    with Path(path).open("rb") as fh:
        if fh.read(12)[8:12] != b"WEBP":
            return False
        while len(chunk := fh.read(8)) == 8:
            kind, size = chunk[:4], int.from_bytes(chunk[4:], "little")
            if kind in (b"VP8L", b"VP8 "):
                return kind == b"VP8L"
            fh.seek(size + (size & 1), 1)  # chunks are padded to an even size
    return False


# Bytes a sample of a Pillow mode takes where it is not one ("I;16" grey, "I" and "F" 32-bit).
_MODE_SAMPLE_BYTES = {"I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2, "I": 4, "F": 4}
# PNG's colour types: channels as decoded (a palette comes back RGB, or RGBA with tRNS: 3).
_PNG_CHANNELS = {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}


def _pixel_bytes(image) -> int:
    """Bytes a pixel of an opened (not decoded) Pillow image takes: its bands and their size."""
    return len(image.getbands()) * _MODE_SAMPLE_BYTES.get(image.mode, 1)


def _plugin_size(plugin: str, image_class: str) -> Callable[[Path], _Size]:
    """PNG and JPEG through Pillow's format plugins, which parse the header and stop.
    (``Image.open`` would add Pillow's own bomb check, whose fixed limit is not ours.)"""

    def size(path: Path) -> _Size:
        module = importlib.import_module(f"PIL.{plugin}")
        with getattr(module, image_class)(str(path)) as image:
            width, height = image.size
            pixel_bytes = _pixel_bytes(image)
        return width, height, width * height, pixel_bytes

    return size


def _png_size(path: Path) -> _Size:
    """Pillow's PNG header, with the bytes a pixel from IHDR's bit depth and colour type
    (bytes 24-25 of the file): Pillow's modes narrow 16-bit colour to 8, the reader does not."""
    width, height, pixels, _ = _plugin_size("PngImagePlugin", "PngImageFile")(path)
    with path.open("rb") as fh:
        depth, colour = (fh.read(26)[24:26] + b"\x08\x02")[:2]
    return width, height, pixels, _PNG_CHANNELS.get(colour, 3) * (2 if depth == 16 else 1)


def _pillow_size(path: Path) -> tuple[str, int, int, int, int]:
    """Any other format Pillow knows; its own bomb check applies on top of ours."""
    from PIL import Image

    with warnings.catch_warnings():  # our limit is checked by the caller
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as image:  # reads the header only
            width, height = image.size
            kind = (image.format or "image").lower()
            pixel_bytes = _pixel_bytes(image)
    return kind, width, height, width * height, pixel_bytes


def read_header(path: str | Path) -> ImageHeader:
    """Format and declared size of an image file, without decoding it.

    Raises:
        OSError: the file cannot be opened.
        ValueError, and whatever a header parser raises: an unreadable header. Pillow's
            ``DecompressionBombError`` for formats outside the six main ones when the size is
            beyond Pillow's own limit.

    Example:
        >>> header = read_header("pano.exr")  # doctest: +SKIP
        >>> header.format, header.width, header.height  # doctest: +SKIP
        ('exr', 8192, 4096)
    """
    path = Path(path)
    with path.open("rb") as fh:
        kind = sniff_format(fh.read(16))
    if kind is None:
        return ImageHeader(*_pillow_size(path))
    return ImageHeader(kind, *_SIZE_READERS[kind](path))


_SIZE_READERS: dict[str, Callable[[Path], _Size]] = {
    "jpeg": _plugin_size("JpegImagePlugin", "JpegImageFile"),
    "png": _png_size,
    "tiff": _tiff_size,
    "webp": _webp_size,
    "hdr": _hdr_size,
    "exr": _exr_size,
}


def as_path(path: PathLike) -> Path:
    """``path`` as a :class:`~pathlib.Path` (the readers' and writers' check of their argument).

    Raises:
        TypeError: ``path`` is not a str or ``os.PathLike``.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    return Path(path)


def corrupt_image_error(path: Path, kind: str | None, exc: BaseException) -> ImageReadError:
    """The error for a file of format ``kind`` whose data ``exc`` failed to parse (its header
    or, in :func:`~pano_inpaint.io.images.read_image`, its pixels)."""
    detail = _one_line(str(exc)) or type(exc).__name__
    return ImageReadError(path, f"corrupt or truncated {(kind or 'image').upper()} data "
                          f"({detail})", "re-export or re-download the file")


def _pixel_count(pixels: int) -> str:
    """``134 megapixels``; a count below ten million in full (a limit of 5000 was "0
    megapixels")."""
    return f"{pixels / 1e6:,.0f} megapixels" if pixels >= 10**7 else f"{pixels:,} pixels"


def _byte_count(size: int) -> str:
    """``1.2 GB``; in MB below 0.1 GB, in bytes below 1 MB (it was "0.0 GB")."""
    if size >= 10**8:
        return f"{size / 1e9:,.1f} GB"
    return f"{size / 1e6:,.1f} MB" if size >= 10**6 else f"{size:,} bytes"


def read_image_header(path: PathLike, *, max_pixels: int | None = DEFAULT_MAX_PIXELS
                      ) -> ImageHeader:
    """Format and declared size of an image file, checked as
    :func:`~pano_inpaint.io.images.read_image` checks them,
    without decoding any pixel (milliseconds, whatever the file declares).

    Raises:
        ImageReadError: missing, empty or unreadable file, an unrecognised format or a broken
            header, or more pixels than ``max_pixels``.
        TypeError: ``path`` is not a path.
    """
    from PIL import UnidentifiedImageError

    path = as_path(path)
    # Before the open: a pipe's open waits for a writer (check hung on one), a device reads
    # as endless bytes of no format.
    try:
        mode = path.stat().st_mode
    except OSError:  # missing, not allowed...: the open below says which
        mode = stat.S_IFREG
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise ImageReadError(path, "not a regular file (a device, pipe or socket)",
                             "pass an image file")
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        raise ImageReadError(
            path, "no such file", "check the path and the working directory"
        ) from None
    except IsADirectoryError:
        raise ImageReadError(path, "it is a directory", "pass an image file") from None
    except PermissionError:
        raise ImageReadError(path, "permission denied", "check the file's permissions") from None
    except OSError as exc:
        raise ImageReadError(path, exc.strerror or str(exc)) from exc
    if not head:
        raise ImageReadError(path, "the file is empty", "re-export or re-download it")
    kind = sniff_format(head)
    try:
        header = read_header(path)
    except UnidentifiedImageError:
        raise ImageReadError(
            path,
            "not a supported image (unrecognised content)",
            "supported formats are JPEG, PNG, TIFF, WebP, Radiance HDR and OpenEXR",
        ) from None
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as exc:  # header parsers raise anything from OSError to struct.error
        raise corrupt_image_error(path, kind, exc) from exc
    if max_pixels is not None and header.pixels > max_pixels:
        raise ImageReadError(
            path,
            f"it declares {header.width}x{header.height} pixels "
            f"({_pixel_count(header.pixels)}), more than the limit of "
            f"{_pixel_count(max_pixels)} (16384x8192 by default)",
            f"raise the limit (--max-pixels, or read_image(max_pixels=...)) only if the machine "
            f"has the memory: decoding alone needs at least "
            f"{_byte_count(header.pixels * header.pixel_bytes)}",
        )
    return header

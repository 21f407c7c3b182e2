"""Files coming in: uploads streamed to disk under a byte limit, and what a header says.

Nothing is decoded before :func:`check_image_file` has read the format and the pixel size from
the file's header, so a small file that declares a huge image (a decompression bomb) is refused
before any pixel is allocated.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request

from pano_inpaint.io.headers import DEFAULT_MAX_PIXELS, ImageHeader, read_header, sniff_format
from pano_inpaint.web.errors import Refused

__all__ = [
    "FORMAT_SUFFIX",
    "MAX_PIXELS",
    "check_image_file",
    "receive_upload",
    "safe_name",
]

MAX_PIXELS = DEFAULT_MAX_PIXELS  # the largest panorama the pipeline supports: 16384 x 8192

# Formats the panorama reader and writer both know, by content, with the suffix results get.
FORMAT_SUFFIX = {"jpeg": ".jpg", "png": ".png", "tiff": ".tif", "webp": ".webp",
                 "hdr": ".hdr", "exr": ".exr"}


def safe_name(name: str, default: str = "upload") -> str:
    """A file name without folders or odd characters (an upload's name is only a label)."""
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._ -]", "_", base).strip(" .")
    return cleaned[:120] or default


def _size(count: int) -> str:
    """``count`` bytes in the largest unit that says it exactly (a 256 KiB limit was "0 MB").

        >>> _size(1 << 30), _size(256 * 1024), _size(1000)
        ('1024 MB', '256 KB', '1000 bytes')
    """
    for unit, size in (("MB", 2**20), ("KB", 2**10)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return f"{count} bytes"


async def _limited(stream: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    total = 0
    async for chunk in stream:
        total += len(chunk)
        if total > limit:
            raise Refused(f"the upload is larger than the limit of {_size(limit)}", 413)
        yield chunk


async def receive_upload(request: Request, destination: Path, max_bytes: int) -> tuple[str, Path]:
    """Stream the ``file`` field of a multipart upload into ``destination`` (a new folder).

    Stops reading as soon as more than ``max_bytes`` arrived (before, when Content-Length says
    so). Returns the sent file name and the stored file.

    Raises:
        Refused: too large (413), not a multipart upload with a ``file`` field, or cut off
            by the client (400).
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes + 64 * 1024:
        raise Refused(f"the upload is larger than the limit of {_size(max_bytes)}", 413)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Refused("send the file as multipart/form-data in a field named 'file'")
    parser = MultiPartParser(request.headers, _limited(request.stream(), max_bytes),
                             max_files=1, max_fields=4)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise Refused(f"malformed upload: {exc.message}") from exc
    except ClientDisconnect:
        # A closed tab or a stopped upload: the server log showed it as a failure (500), with
        # two tracebacks, though nothing is wrong but the upload being given up.
        raise Refused("the upload was cut off before it ended; send it again") from None
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile):
            raise Refused("the upload has no file in a field named 'file'")
        name = safe_name(upload.filename or "")
        destination.mkdir(parents=True, exist_ok=True)
        target = destination / name
        with target.open("wb") as out:
            shutil.copyfileobj(upload.file, out, 1 << 20)
        return name, target
    finally:
        await form.close()


def image_header(path: Path) -> ImageHeader:
    """Format and size of an image file from its header alone (no pixels are decoded).

    Raises:
        Refused: not a panorama format this tool reads and writes, or an unreadable header.
    """
    with path.open("rb") as fh:
        start = fh.read(16)
        if not start:  # not "not a JPEG, PNG...": an interrupted copy or upload
            raise Refused(f"{path.name} is empty (0 bytes); send or save it again")
        if sniff_format(start) not in FORMAT_SUFFIX:
            raise Refused(f"{path.name} is not a JPEG, PNG, TIFF, WebP, Radiance HDR or "
                          "OpenEXR image", 415)
    try:
        header = read_header(path)
    except Exception as exc:  # Pillow, OpenEXR: anything from OSError to its own bomb error
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "exceeds limit" in message or "decompression bomb" in message.lower():
            raise Refused(f"{path.name} declares more pixels than the limit of "
                          f"{MAX_PIXELS:,}", 413) from exc
        raise Refused(f"{path.name}: unreadable image header ({message})") from exc
    return header


def check_image_file(path: Path, max_pixels: int = MAX_PIXELS) -> ImageHeader:
    """Refuse a file that is not a supported image or declares more than ``max_pixels``.

    The one place an opened or uploaded file is vetted before it is decoded.
    """
    header = image_header(path)
    if header.pixels > max_pixels:
        raise Refused(
            f"{path.name} is {header.width}x{header.height}, more than the limit of "
            f"{max_pixels:,} pixels", 413)
    return header

"""Decompression bombs: small files whose headers declare huge images, one per format.

Each is a valid small file of its format whose declared size is then rewritten, so everything
but the size is what a real encoder wrote. Used by the tests and ``benchmarks/bench_bombs.py``.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np

__all__ = ["BOMB_WRITERS", "write_bomb"]


def _png(path: Path, width: int, height: int) -> None:
    """1-bit grey rows of zeros, deflated: 100000x50000 is 0.6 MB of IDAT."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I",
                                                                          zlib.crc32(kind + data))

    row = bytes(1 + (width + 7) // 8)  # filter byte + packed bits
    packer = zlib.compressobj(9)
    with path.open("wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n")
        fh.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)))
        rows_per_block = max(1, (1 << 24) // len(row))
        for start in range(0, height, rows_per_block):
            block = row * min(rows_per_block, height - start)
            fh.write(chunk(b"IDAT", packer.compress(block)))
        fh.write(chunk(b"IDAT", packer.flush()))
        fh.write(chunk(b"IEND", b""))


def _jpeg(path: Path, width: int, height: int) -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    path.write_bytes(bytes(data))


def _tiff(path: Path, width: int, height: int) -> None:
    import tifffile

    tifffile.imwrite(path, np.zeros((8, 8, 3), np.uint8), compression="zlib")
    with tifffile.TiffFile(path, mode="r+b") as tif:
        tags = tif.pages.first.tags
        tags["ImageWidth"].overwrite(width)
        tags["ImageLength"].overwrite(height)


def _exr(path: Path, width: int, height: int) -> None:
    import OpenEXR

    OpenEXR.File({"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage},
                 {"RGB": np.zeros((4, 8, 3), np.float32)}).write(str(path))
    data = bytearray(path.read_bytes())
    for name in (b"dataWindow", b"displayWindow"):
        at = data.find(name + b"\x00box2i\x00") + len(name) + 7 + 4  # name, type, size
        data[at : at + 16] = struct.pack("<iiii", 0, 0, width - 1, height - 1)
    path.write_bytes(bytes(data))


def _hdr(path: Path, width: int, height: int) -> None:
    path.write_bytes(b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n"
                     + f"-Y {height} +X {width}\n".encode() + bytes(64))


def _webp(path: Path, width: int, height: int) -> None:
    """An extended (VP8X) WebP: its canvas size is 24-bit, unlike a plain VP8 frame's."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buffer, "WEBP", exif=b"Exif\x00\x00II*\x00\x08\x00\x00\x00"
                                    + bytes(6))
    data = bytearray(buffer.getvalue())
    at = data.find(b"VP8X") + 12
    data[at : at + 6] = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    path.write_bytes(bytes(data))


BOMB_WRITERS = {".png": _png, ".jpg": _jpeg, ".tif": _tiff, ".exr": _exr, ".hdr": _hdr,
                ".webp": _webp}


def write_bomb(folder: Path, suffix: str, width: int = 100_000, height: int = 50_000) -> Path:
    """A file of the format of ``suffix`` declaring ``width x height`` pixels (JPEG's and
    WebP's fields stop at 65535 and 16777216: pass a size they can hold)."""
    path = folder / f"bomb_{width}x{height}{suffix}"
    BOMB_WRITERS[suffix](path, width, height)
    return path

"""Declared sizes from headers, and the pixel limit that refuses decompression bombs."""

import numpy as np
import pytest

from pano_inpaint.io import ImageReadError, read_image, read_mask, write_image
from pano_inpaint.io import images as images_module
from pano_inpaint.io.headers import DEFAULT_MAX_PIXELS, read_header
from tests.bombs import write_bomb

# JPEG stores 16-bit sizes; a plain WebP frame 14-bit ones (the extended canvas 24-bit).
_SIZES = {".png": (100_000, 50_000), ".tif": (100_000, 50_000), ".exr": (100_000, 50_000),
          ".hdr": (100_000, 50_000), ".webp": (100_000, 50_000), ".jpg": (65_000, 32_500)}


@pytest.mark.parametrize("suffix", sorted(_SIZES))
def test_header_gives_the_declared_size(tmp_path, suffix):
    width, height = _SIZES[suffix]
    header = read_header(write_bomb(tmp_path, suffix, width, height))
    assert (header.width, header.height) == (width, height)
    assert header.pixels == width * height


@pytest.mark.parametrize("suffix", sorted(_SIZES))
def test_bomb_is_refused_before_any_decoder_runs(tmp_path, suffix, monkeypatch):
    width, height = _SIZES[suffix]
    path = write_bomb(tmp_path, suffix, width, height)

    def no_decoding(path):
        raise AssertionError("a decoder ran")

    monkeypatch.setattr(images_module, "_READERS",
                        dict.fromkeys(images_module._READERS, no_decoding))
    with pytest.raises(ImageReadError, match=f"declares {width}x{height} pixels"):
        read_image(path)
    with pytest.raises(ImageReadError, match="more than the limit of 134 megapixels"):
        read_mask(path, 8, 16)


@pytest.mark.parametrize("suffix", sorted(_SIZES))
def test_refusing_a_bomb_logs_nothing_but_the_refusal(tmp_path, suffix, caplog):
    """tifffile logged two ERROR lines (strip counts that do not fit the forged size) before
    the refusal; the header read keeps the decoders' libraries quiet."""
    width, height = _SIZES[suffix]
    path = write_bomb(tmp_path, suffix, width, height)
    with caplog.at_level("DEBUG"), pytest.raises(ImageReadError):
        read_image(path)
    assert [r.getMessage() for r in caplog.records if r.levelname in ("WARNING", "ERROR")] == []


@pytest.mark.parametrize(("shape", "dtype", "suffix", "needs"), [
    ((32, 64, 1), np.uint8, ".png", "2,048 bytes"),
    ((32, 64, 3), np.uint8, ".png", "6,144 bytes"),
    ((32, 64, 4), np.uint16, ".png", "16,384 bytes"),
    ((32, 64, 1), np.uint8, ".jpg", "2,048 bytes"),
    ((32, 64, 4), np.float32, ".tif", "32,768 bytes"),
    ((32, 64, 1), np.uint16, ".tif", "4,096 bytes"),
    ((32, 64, 3), np.float32, ".hdr", "24,576 bytes"),
    ((32, 64, 4), np.uint8, ".webp", "8,192 bytes"),
])
def test_refusal_counts_the_bytes_of_the_declared_channels_and_samples(tmp_path, shape, dtype,
                                                                       suffix, needs):
    """'decoding alone needs at least' counted 3 bytes a pixel whatever the file held: a
    100000x50000 8-bit grey PNG said 15.0 GB where 5.0 GB is right."""
    path = write_image(tmp_path / f"image{suffix}", np.zeros(shape, dtype))
    with pytest.raises(ImageReadError, match=f"needs at least {needs}$"):
        read_image(path, max_pixels=2047)


def test_refusal_of_a_grey_bomb_counts_one_byte_a_pixel(tmp_path):
    with pytest.raises(ImageReadError, match="needs at least 5.0 GB$"):
        read_image(write_bomb(tmp_path, ".png"))  # 100000x50000, 1-bit grey


def test_limit_is_configurable(tmp_path):
    path = write_image(tmp_path / "small.png", np.zeros((32, 64, 3), np.uint8))
    with pytest.raises(ImageReadError, match="declares 64x32 pixels"):
        read_image(path, max_pixels=2047)
    assert read_image(path, max_pixels=2048).width == 64
    assert read_image(path, max_pixels=None).width == 64


def test_exr_data_window_larger_than_the_display_window_counts(tmp_path):
    """The reader allocates the data window before cropping it to the display window."""
    import struct

    path = write_image(tmp_path / "a.exr", np.zeros((4, 8, 3), np.float32))
    data = bytearray(path.read_bytes())
    at = data.find(b"dataWindow\x00box2i\x00") + len(b"dataWindow") + 11
    data[at : at + 16] = struct.pack("<iiii", 0, 0, 99_999, 49_999)
    path.write_bytes(bytes(data))
    header = read_header(path)
    assert (header.width, header.height, header.pixels) == (8, 4, 5_000_000_000)
    with pytest.raises(ImageReadError, match="more than the limit"):
        read_image(path)


def test_pillow_formats_are_limited_too(tmp_path):
    from PIL import Image

    path = tmp_path / "a.bmp"
    Image.new("RGB", (64, 32)).save(path)
    with pytest.raises(ImageReadError, match="declares 64x32 pixels"):
        read_image(path, max_pixels=100)


def test_default_is_the_largest_supported_panorama():
    assert DEFAULT_MAX_PIXELS == 16384 * 8192


@pytest.mark.parametrize("lossless", [False, True])
@pytest.mark.parametrize("exif", [False, True])
def test_webp_size_of_every_chunk_kind(tmp_path, lossless, exif):
    from PIL import Image

    path = tmp_path / "a.webp"
    options = {"exif": b"Exif\x00\x00II*\x00\x08\x00\x00\x00" + bytes(6)} if exif else {}
    Image.new("RGB", (70, 35)).save(path, "WEBP", lossless=lossless, **options)
    header = read_header(path)
    assert (header.width, header.height) == (70, 35)

"""Pixel I/O: round trips per format/dtype/channels, conversions, atomic writes, errors, masks.

Every input is synthesised into ``tmp_path``; nothing is compared with stored pictures.
"""

import logging
import os
import pickle
import re
from pathlib import Path

import cv2
import numpy as np
import OpenEXR
import piexif
import pytest
import tifffile
from PIL import Image

from pano_inpaint.io import (
    ImageMetadata,
    ImageReadError,
    ImageWriteError,
    read_image,
    read_mask,
    write_image,
    write_mask,
)

H, W = 16, 32


def noise(dtype, channels, *, seed=0):
    """Random pixels over the dtype's range; floats include negatives and values far above 1."""
    rng = np.random.default_rng(seed)
    if np.dtype(dtype) == np.float32:
        return (rng.standard_normal((H, W, channels)) * 50).astype(np.float32)
    top = np.iinfo(dtype).max
    return rng.integers(0, top, (H, W, channels), endpoint=True).astype(dtype)


def smooth(channels, *, scale=255.0):
    """Smooth 8-bit-like pixels (lossy codecs are judged on these, not on noise)."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    planes = [
        0.5 + 0.4 * np.sin(2 * np.pi * x / W + k) * np.cos(np.pi * (y + 0.5) / H)
        for k in range(channels)
    ]
    return np.stack(planes, axis=-1) * scale


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir())


# ----------------------------------------------------------------------------------- round trips

LOSSLESS = (
    [("png", dt, c) for dt in (np.uint8, np.uint16) for c in (1, 3, 4)]
    + [("tif", dt, c) for dt in (np.uint8, np.uint16, np.float32) for c in (1, 3, 4)]
    + [("exr", np.float32, c) for c in (1, 3, 4)]
)


@pytest.mark.parametrize(("suffix", "dtype", "channels"), LOSSLESS)
def test_lossless_round_trip_is_bit_exact(tmp_path, suffix, dtype, channels):
    pixels = noise(dtype, channels)
    path = write_image(tmp_path / f"x.{suffix}", pixels)
    loaded = read_image(path)
    assert loaded.pixels.dtype == np.dtype(dtype)
    assert loaded.pixels.shape == (H, W, channels)
    np.testing.assert_array_equal(loaded.pixels, pixels)
    assert loaded.path == path


@pytest.mark.parametrize("channels", [3, 4])
def test_webp_quality_100_is_lossless(tmp_path, channels):
    pixels = noise(np.uint8, channels)
    loaded = read_image(write_image(tmp_path / "x.webp", pixels, quality=100))
    assert loaded.format == "webp"
    np.testing.assert_array_equal(loaded.pixels, pixels)


@pytest.mark.parametrize(("suffix", "channels"), [("jpg", 1), ("jpg", 3), ("webp", 3), ("webp", 4)])
def test_lossy_round_trip_within_tolerance(tmp_path, suffix, channels):
    pixels = np.rint(smooth(channels)).astype(np.uint8)
    if channels == 4:
        pixels[..., 3] = np.where(np.arange(W) < W // 2, 255, 64)[None, :]
    loaded = read_image(write_image(tmp_path / f"x.{suffix}", pixels, quality=95))
    assert loaded.pixels.shape == pixels.shape and loaded.pixels.dtype == np.uint8
    error = np.abs(loaded.pixels.astype(int) - pixels)
    assert error[..., :3].mean() < 2.5 and error.max() <= 16
    if channels == 4:
        assert error[..., 3].max() <= 2  # alpha is kept (nearly) exactly


def test_hdr_keeps_values_above_one_within_rgbe_precision(tmp_path):
    pixels = (smooth(3, scale=1.0) ** 3 * 5000).astype(np.float32)  # up to ~3600, down to ~0
    loaded = read_image(write_image(tmp_path / "x.hdr", pixels))
    assert loaded.format == "hdr" and loaded.pixels.dtype == np.float32
    assert loaded.pixels.max() > 1000  # never clipped or tone-mapped
    # RGBE shares one exponent per pixel: the error is relative to the pixel's largest channel.
    bound = 0.01 * pixels.max(axis=2, keepdims=True)
    assert np.all(np.abs(loaded.pixels - pixels) <= bound)


def test_float_tiff_and_exr_keep_hdr_values_exactly(tmp_path):
    pixels = np.full((H, W, 3), 12345.5, np.float32)
    pixels[0, 0] = [-3.0, 1e-8, 65504.0 * 4]  # beyond half-float range: written as FLOAT
    for suffix in ("tif", "exr"):
        loaded = read_image(write_image(tmp_path / f"x.{suffix}", pixels))
        np.testing.assert_array_equal(loaded.pixels, pixels)


@pytest.mark.parametrize("suffix", ["exr", "tif"])
def test_half_floats_are_read_as_half_and_written_half_again(tmp_path, suffix, caplog):
    """A half-float HDRI (OpenEXR HALF, float16 TIFF) came back as float32: the same values in
    twice the bytes. read_image marks it; write_image(half=True) stores half again."""
    pixels = np.abs(noise(np.float32, 3)).astype(np.float16)  # (H, W, 3)
    source = tmp_path / f"half.{suffix}"
    if suffix == "exr":
        OpenEXR.File({}, {c: np.ascontiguousarray(pixels[..., i])
                          for i, c in enumerate("RGB")}).write(str(source))
    else:
        tifffile.imwrite(source, pixels, photometric="rgb")
    loaded = read_image(source)
    assert loaded.half and loaded.pixels.dtype == np.float32
    np.testing.assert_array_equal(loaded.pixels, pixels.astype(np.float32))
    assert not read_image(write_image(tmp_path / f"full.{suffix}", loaded.pixels)).half

    again = write_image(tmp_path / f"again.{suffix}", loaded.pixels, half=True)
    if suffix == "exr":
        stored = {c.pixels.dtype for c in OpenEXR.File(str(again)).channels().values()}
    else:
        stored = {tifffile.imread(again).dtype}
    assert stored == {np.dtype(np.float16)}
    np.testing.assert_array_equal(read_image(again).pixels, loaded.pixels)

    beyond = loaded.pixels.copy()
    beyond[0, 0] = [1e6, -1e6, np.inf]  # finite values past 65504 are clipped, not made inf
    with caplog.at_level(logging.WARNING):
        back = read_image(write_image(tmp_path / f"big.{suffix}", beyond, half=True)).pixels
    assert back[0, 0].tolist() == [65504.0, -65504.0, np.inf]
    assert "2 values beyond the half float range" in caplog.text


@pytest.mark.parametrize("suffix", ["webp", "hdr"])
def test_grey_is_written_as_rgb_where_the_format_has_no_grey(tmp_path, suffix):
    grey = (
        np.rint(smooth(1)).astype(np.uint8) if suffix == "webp" else smooth(1, scale=4.0)
    ).astype(np.uint8 if suffix == "webp" else np.float32)
    loaded = read_image(write_image(tmp_path / f"x.{suffix}", grey, quality=100))
    assert loaded.pixels.shape == (H, W, 3)
    assert np.array_equal(loaded.pixels[..., 0], loaded.pixels[..., 2])


@pytest.mark.parametrize("suffix", ["png", "tif", "exr", "webp", "hdr", "jpg"])
def test_non_contiguous_views_are_written_correctly(tmp_path, suffix):
    base = np.abs(noise(np.float32, 3)) if suffix in ("exr", "hdr") else noise(np.uint8, 3)
    view = base[:, ::-1][:, : W // 2]  # strided, not C-contiguous
    loaded = read_image(write_image(tmp_path / f"x.{suffix}", view, quality=100)).pixels
    error = np.abs(loaded.astype(np.float64) - view)
    if suffix == "hdr":
        assert np.all(error <= 0.01 * view.max(axis=2, keepdims=True))
    elif suffix == "jpg":
        assert error.mean() < 2
    else:
        assert error.max() == 0


def test_two_dimensional_input_is_grey(tmp_path):
    pixels = noise(np.uint8, 1)[..., 0]
    loaded = read_image(write_image(tmp_path / "x.png", pixels))
    assert loaded.pixels.shape == (H, W, 1)
    np.testing.assert_array_equal(loaded.pixels[..., 0], pixels)


# ----------------------------------------------------------------------------------- conversions


@pytest.mark.parametrize(
    ("suffix", "dtype"), [("png", np.uint16), ("jpg", np.uint8), ("webp", np.uint8)]
)
def test_display_referred_float_is_rounded_to_the_format(tmp_path, suffix, dtype):
    pixels = (smooth(3) / 255).astype(np.float32)
    pixels[0, 0] = [0.0, 1.0, 1.0 + 1e-4]  # filtering overshoot is tolerated
    loaded = read_image(write_image(tmp_path / f"x.{suffix}", pixels, quality=100))
    assert loaded.pixels.dtype == np.dtype(dtype)
    top = np.iinfo(dtype).max
    tolerance = 0.5 if suffix == "png" else 8
    assert np.abs(loaded.pixels / top - np.clip(pixels, 0, 1)).max() * top <= tolerance


@pytest.mark.parametrize("suffix", ["png", "jpg", "webp"])
@pytest.mark.parametrize("value", [1.5, -0.2, np.nan])
def test_hdr_float_is_refused_by_integer_formats(tmp_path, suffix, value):
    pixels = np.full((H, W, 3), 0.5, np.float32)
    pixels[3, 4, 1] = value
    with pytest.raises(ValueError, match=r"\.exr"):
        write_image(tmp_path / f"x.{suffix}", pixels)
    assert leftovers(tmp_path) == []


def test_uint16_to_jpeg_is_rounded_with_a_warning(tmp_path, caplog):
    pixels = (np.rint(smooth(3)) * 257).astype(np.uint16)
    with caplog.at_level(logging.WARNING, logger="pano_inpaint.io.images"):
        loaded = read_image(write_image(tmp_path / "x.jpg", pixels, quality=100))
    assert "8 bits" in caplog.text
    assert loaded.pixels.dtype == np.uint8
    assert np.abs(loaded.pixels.astype(int) - pixels // 257).mean() < 1.5


def test_integers_to_exr_are_decoded_to_linear(tmp_path):
    pixels = np.zeros((H, W, 4), np.uint8)
    pixels[..., 0] = 255
    pixels[..., 1] = 128
    pixels[..., 3] = 51
    loaded = read_image(write_image(tmp_path / "x.exr", pixels))
    assert loaded.pixels.dtype == np.float32
    np.testing.assert_allclose(loaded.pixels[0, 0], [1.0, 0.21586, 0.0, 0.2], atol=1e-4)


@pytest.mark.parametrize("suffix", ["jpg", "hdr"])
def test_alpha_is_refused_where_the_format_has_none(tmp_path, suffix):
    pixels = noise(np.uint8, 4) if suffix == "jpg" else np.ones((H, W, 4), np.float32)
    with pytest.raises(ValueError, match="alpha.*png"):
        write_image(tmp_path / f"x.{suffix}", pixels)


def test_non_finite_values_are_refused_by_hdr_but_kept_by_exr(tmp_path):
    pixels = np.ones((H, W, 3), np.float32)
    pixels[1, 1] = [np.inf, np.nan, -np.inf]
    with pytest.raises(ValueError, match="NaN or infinite"):
        write_image(tmp_path / "x.hdr", pixels)
    loaded = read_image(write_image(tmp_path / "x.exr", pixels))
    np.testing.assert_array_equal(loaded.pixels, pixels)


def test_webp_size_limit_is_explained(tmp_path):
    with pytest.raises(ValueError, match="16383"):
        write_image(tmp_path / "x.webp", np.zeros((2, 16384, 3), np.uint8))


@pytest.mark.parametrize(
    ("pixels", "error", "match"),
    [
        (np.zeros((H, W, 3), np.float64), TypeError, "float64"),
        (np.zeros((H, W, 2), np.uint8), ValueError, r"C in \(1, 3, 4\)"),
        (np.zeros((H, W, 5), np.uint8), ValueError, r"C in \(1, 3, 4\)"),
        (np.zeros((0, W, 3), np.uint8), ValueError, "empty"),
        ([[0, 1]], TypeError, "numpy array"),
    ],
)
def test_invalid_pixels(tmp_path, pixels, error, match):
    with pytest.raises(error, match=match):
        write_image(tmp_path / "x.png", pixels)


def test_invalid_options(tmp_path):
    pixels = noise(np.uint8, 3)
    with pytest.raises(ValueError, match="suffix '.bmp'"):
        write_image(tmp_path / "x.bmp", pixels)
    with pytest.raises(ValueError, match="suffix ''"):
        write_image(tmp_path / "x", pixels)
    for quality in (0, 101, True, 9.5):
        with pytest.raises(ValueError, match="quality"):
            write_image(tmp_path / "x.jpg", pixels, quality=quality)
    with pytest.raises(TypeError, match="ImageMetadata"):
        write_image(tmp_path / "x.jpg", pixels, {"exif": b""})
    assert leftovers(tmp_path) == []


def test_suffix_is_case_insensitive(tmp_path):
    loaded = read_image(write_image(tmp_path / "X.TIFF", noise(np.uint16, 3)))
    assert loaded.format == "tiff"


# ----------------------------------------------------------------------------------- atomic


def test_existing_output_is_refused_without_overwrite(tmp_path):
    path = tmp_path / "x.png"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="--overwrite") as info:
        write_image(path, noise(np.uint8, 3))
    assert "overwrite=True" in str(info.value) and "x.png" in str(info.value)
    assert path.read_bytes() == b"precious"
    written = write_image(path, noise(np.uint8, 3), overwrite=True)
    np.testing.assert_array_equal(read_image(written).pixels, noise(np.uint8, 3))
    assert leftovers(tmp_path) == ["x.png"]


def _boom_png(*args, **kwargs):
    raise RuntimeError("encoder exploded")


def _partial_tiff(path, *args, **kwargs):
    with open(path, "wb") as fh:
        fh.write(b"II*\x00half an image")
    raise OSError(28, "No space left on device")


def _partial_jpeg(self, fp, *args, **kwargs):
    with open(fp, "wb") as fh:
        fh.write(b"\xff\xd8\xff\xe0 partial")
    raise RuntimeError("interrupted")


@pytest.mark.parametrize(
    ("suffix", "target", "name", "replacement"),
    [
        ("png", cv2, "imencode", _boom_png),
        ("tif", tifffile, "imwrite", _partial_tiff),
        ("jpg", Image.Image, "save", _partial_jpeg),
    ],
)
def test_failed_encoder_leaves_no_partial_or_temporary_file(
    tmp_path, monkeypatch, suffix, target, name, replacement
):
    path = tmp_path / f"x.{suffix}"
    path.write_bytes(b"old image")
    monkeypatch.setattr(target, name, replacement)
    with pytest.raises(ImageWriteError, match=f"cannot write '.*x.{suffix}'") as info:
        write_image(path, noise(np.uint8, 3), overwrite=True)
    assert "\n" not in str(info.value)
    assert path.read_bytes() == b"old image"  # the previous file is untouched
    assert leftovers(tmp_path) == [f"x.{suffix}"]  # and no temporary file is left
    monkeypatch.undo()
    fresh = tmp_path / f"y.{suffix}"
    monkeypatch.setattr(target, name, replacement)
    with pytest.raises(ImageWriteError):
        write_image(fresh, noise(np.uint8, 3))
    assert not fresh.exists()
    assert leftovers(tmp_path) == [f"x.{suffix}"]


def test_disk_full_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(tifffile, "imwrite", _partial_tiff)
    with pytest.raises(ImageWriteError, match="no space left.*free some disk space"):
        write_image(tmp_path / "x.tif", noise(np.uint8, 3))


def test_a_full_disk_under_openexr_is_reported_as_such(tmp_path, monkeypatch):
    """OpenEXR's binding says a full disk in a RuntimeError: the message was 'the encoder
    failed (RuntimeError: Failed to write pixel data to image file "<the temporary>". No space
    left on device.)'."""

    def full(self, name):
        Path(name).write_bytes(b"\x76\x2f\x31\x01")  # a start, as a real write leaves
        raise RuntimeError(f'Failed to write pixel data to image file "{name}". No space left '
                           "on device.")

    monkeypatch.setattr(OpenEXR.File, "write", full)
    with pytest.raises(ImageWriteError) as info:
        write_image(tmp_path / "x.exr", np.abs(noise(np.float32, 3)))
    assert str(info.value) == (f"cannot write '{tmp_path / 'x.exr'}': no space left on the "
                               "device; free some disk space")
    assert leftovers(tmp_path) == []


def test_missing_directory_is_reported(tmp_path):
    path = tmp_path / "missing" / "x.png"
    with pytest.raises(ImageWriteError, match="does not exist.*create it") as info:
        write_image(path, noise(np.uint8, 3))
    assert "x.png" in str(info.value)
    assert leftovers(tmp_path) == []


def test_read_only_directory_is_reported(tmp_path, permissions_enforced):
    directory = tmp_path / "ro"
    directory.mkdir()
    directory.chmod(0o500)
    try:
        with pytest.raises(ImageWriteError, match="permission denied"):
            write_image(directory / "x.png", noise(np.uint8, 3))
    finally:
        directory.chmod(0o700)
    assert leftovers(directory) == []


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_folder_that_cannot_be_searched_is_reported(tmp_path, permissions_enforced,
                                                      overwrite):
    """Writing into a folder without search permission raised a bare PermissionError from
    the first look at the target (a traceback in 'pano-inpaint demo'); the reason is the one
    the commands give (io.atomic.target_kind), not 'check that you may write to' the folder."""
    directory = tmp_path / "locked"
    directory.mkdir()
    directory.chmod(0)
    why = r"Permission denied \(a folder above it cannot be searched\); check its permissions$"
    try:
        with pytest.raises(ImageWriteError, match=f"x.png': {why}"):
            write_image(directory / "x.png", noise(np.uint8, 3), overwrite=overwrite)
        with pytest.raises(ImageWriteError, match=f"x_mask.png': {why}"):
            write_mask(directory / "x_mask.png", np.zeros((8, 16), bool), overwrite=overwrite)
    finally:
        directory.chmod(0o700)
    assert list(directory.iterdir()) == []


def test_permission_error_is_reported(tmp_path, monkeypatch):
    from pano_inpaint.io import atomic

    def denied(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(atomic, "_reserve", denied)
    with pytest.raises(ImageWriteError, match="permission denied; check that you may write"):
        write_image(tmp_path / "x.png", noise(np.uint8, 3))


def test_output_appearing_during_the_write_is_not_clobbered(tmp_path, monkeypatch):
    path = tmp_path / "x.png"
    encode = cv2.imencode

    def racing_encode(*args, **kwargs):
        path.write_bytes(b"written by someone else")
        return encode(*args, **kwargs)

    monkeypatch.setattr(cv2, "imencode", racing_encode)
    with pytest.raises(FileExistsError, match="--overwrite"):
        write_image(path, noise(np.uint8, 3))
    assert path.read_bytes() == b"written by someone else"
    assert leftovers(tmp_path) == ["x.png"]


def test_directory_as_output_is_refused(tmp_path):
    (tmp_path / "d.png").mkdir()
    with pytest.raises(ImageWriteError, match="directory"):
        write_image(tmp_path / "d.png", noise(np.uint8, 3), overwrite=True)


# ----------------------------------------------------------------------------------- read errors


def _assert_read_error(path, match):
    with pytest.raises(ImageReadError, match=match) as info:
        read_image(path)
    message = str(info.value)
    assert message.startswith(f"cannot read '{path}': ") and "\n" not in message
    assert path.name in message and "; " in message
    return info.value


def _jpeg_bytes(pixels, **options):
    import io

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", **options)
    return buffer.getvalue()


def test_missing_file(tmp_path):
    _assert_read_error(tmp_path / "nope.jpg", "no such file")


def test_empty_file(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    _assert_read_error(tmp_path / "empty.png", "empty")


def test_directory_is_not_an_image(tmp_path):
    (tmp_path / "dir.png").mkdir()
    _assert_read_error(tmp_path / "dir.png", "directory")


@pytest.mark.parametrize("keep", [0.5, 0.98])
def test_truncated_jpeg(tmp_path, keep):
    data = _jpeg_bytes(np.rint(smooth(3)).astype(np.uint8))
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: int(len(data) * keep)])
    _assert_read_error(path, "truncated JPEG")


def test_truncated_png(tmp_path):
    data = (write_image(tmp_path / "full.png", noise(np.uint8, 3))).read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) - 30])
    _assert_read_error(path, "truncated PNG")


def test_a_cut_1bit_png_is_a_mask_from_its_header_and_fails_where_read(tmp_path):
    """file_looks_like_mask's docstring said it raised as read_image does; a 1-bit PNG cut
    short after its header is decided from the header, not decoded: a mask, whose read (as a
    mask) is the error. Cut inside the header, the look raises."""
    from pano_inpaint.io.images import file_looks_like_mask

    hole = np.zeros((32, 64), bool)
    hole[24:] = True
    Image.fromarray(hole).convert("1").save(tmp_path / "full.png")
    data = (tmp_path / "full.png").read_bytes()
    path = tmp_path / "cut.png"
    for keep in (len(data) - 1, len(data) // 2 + 20):
        path.write_bytes(data[:keep])
        assert file_looks_like_mask(path)
        with pytest.raises(ImageReadError, match="truncated PNG"):
            read_mask(path, 32, 64)
    path.write_bytes(data[:30])  # IHDR's checksum cut
    with pytest.raises(ImageReadError, match="truncated"):
        file_looks_like_mask(path)


def test_random_bytes_with_png_suffix(tmp_path):
    path = tmp_path / "noise.png"
    path.write_bytes(np.random.default_rng(0).bytes(500))
    _assert_read_error(path, "unrecognised")


def test_corrupt_data_behind_a_valid_signature(tmp_path):
    path = tmp_path / "bad.exr"
    path.write_bytes(b"v/1\x01" + bytes(60))
    _assert_read_error(path, "corrupt or truncated EXR")


@pytest.mark.parametrize(
    ("pixels", "match"),
    [
        (np.zeros((H, W), np.int32), "32-bit signed integer"),
        (np.zeros((H, W), np.uint32), "32-bit unsigned integer"),
        (np.zeros((H, W, 5), np.uint8), "5-channel"),
    ],
)
def test_unsupported_tiff_sample_formats(tmp_path, pixels, match):
    path = tmp_path / "odd.tif"
    photometric = "rgb" if pixels.ndim == 3 else "minisblack"
    tifffile.imwrite(path, pixels, photometric=photometric)
    _assert_read_error(path, match)


def test_read_error_is_an_oserror_and_picklable(tmp_path):
    error = _assert_read_error(tmp_path / "nope.png", "no such file")
    assert isinstance(error, OSError)
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) and copy.path == error.path


# ----------------------------------------------------------------------------------- decoding


def test_format_comes_from_content_not_suffix(tmp_path):
    pixels = noise(np.uint8, 3)
    path = tmp_path / "really_a_png.jpg"
    path.write_bytes(write_image(tmp_path / "x.png", pixels).read_bytes())
    loaded = read_image(path)
    assert loaded.format == "png"
    np.testing.assert_array_equal(loaded.pixels, pixels)


def test_pillow_modes_are_converted(tmp_path):
    rgb = noise(np.uint8, 3)
    palette = Image.fromarray(rgb).quantize(16)
    palette.save(tmp_path / "p.png")
    loaded = read_image(tmp_path / "p.png").pixels
    assert loaded.shape == (H, W, 3)
    np.testing.assert_array_equal(loaded, np.asarray(palette.convert("RGB")))

    palette.save(tmp_path / "pt.png", transparency=0)
    assert read_image(tmp_path / "pt.png").pixels.shape == (H, W, 4)

    la = Image.fromarray(noise(np.uint8, 2), "LA")
    la.save(tmp_path / "la.png")
    loaded = read_image(tmp_path / "la.png").pixels
    np.testing.assert_array_equal(loaded, np.asarray(la.convert("RGBA")))

    Image.fromarray(noise(np.uint8, 1)[..., 0] > 127).save(tmp_path / "bits.png")
    assert set(np.unique(read_image(tmp_path / "bits.png").pixels)) <= {0, 255}

    grey16 = noise(np.uint16, 1)[..., 0]
    Image.fromarray(grey16).save(tmp_path / "g16.png")  # Pillow mode I;16
    loaded = read_image(tmp_path / "g16.png").pixels
    assert loaded.dtype == np.uint16 and loaded.shape == (H, W, 1)
    np.testing.assert_array_equal(loaded[..., 0], grey16)


def test_other_pillow_formats_are_read(tmp_path):
    Image.fromarray(noise(np.uint8, 3)).save(tmp_path / "x.bmp")
    loaded = read_image(tmp_path / "x.bmp")
    assert loaded.format == "bmp"
    np.testing.assert_array_equal(loaded.pixels, noise(np.uint8, 3))
    Image.fromarray(noise(np.uint8, 3)).quantize(8).save(tmp_path / "x.gif")
    assert read_image(tmp_path / "x.gif").pixels.shape == (H, W, 3)


def test_exif_orientation_is_kept_not_applied(tmp_path):
    pixels = np.rint(smooth(3)).astype(np.uint8)
    exif = piexif.dump({"0th": {piexif.ImageIFD.Orientation: 6}})
    path = tmp_path / "rotated.jpg"
    path.write_bytes(_jpeg_bytes(pixels, exif=exif, quality=100))
    loaded = read_image(path)
    assert loaded.pixels.shape == (H, W, 3)  # not rotated to (W, H)
    assert np.abs(loaded.pixels.astype(int) - pixels).mean() < 2
    assert loaded.metadata.orientation == 6
    again = read_image(write_image(tmp_path / "out.png", loaded.pixels, loaded.metadata))
    assert again.metadata.orientation == 6


def test_tiff_layouts(tmp_path):
    rgb = noise(np.uint8, 3)
    tifffile.imwrite(
        tmp_path / "planar.tif", np.moveaxis(rgb, 2, 0), photometric="rgb", planarconfig="separate"
    )
    np.testing.assert_array_equal(read_image(tmp_path / "planar.tif").pixels, rgb)

    Image.fromarray(rgb).save(tmp_path / "lzw.tif", compression="tiff_lzw")  # needs libtiff
    np.testing.assert_array_equal(read_image(tmp_path / "lzw.tif").pixels, rgb)

    bits = noise(np.uint8, 1)[..., 0] > 127
    tifffile.imwrite(tmp_path / "white.tif", bits, photometric="miniswhite")
    np.testing.assert_array_equal(
        read_image(tmp_path / "white.tif").pixels[..., 0], np.where(bits, 0, 255)
    )

    index = (noise(np.uint8, 1)[..., 0] % 4).astype(np.uint8)
    colormap = np.zeros((3, 256), np.uint16)
    colormap[:, :4] = np.array([[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]]).T * 257
    tifffile.imwrite(tmp_path / "palette.tif", index, photometric="palette", colormap=colormap)
    loaded = read_image(tmp_path / "palette.tif").pixels
    assert loaded.dtype == np.uint8
    expected = np.moveaxis(colormap[:, index], 0, -1) // 257  # (H, W, 3)
    np.testing.assert_array_equal(loaded, expected.astype(np.uint8))

    grey_alpha = noise(np.uint16, 2)
    tifffile.imwrite(
        tmp_path / "ga.tif",
        grey_alpha,
        photometric="minisblack",
        extrasamples=["unassalpha"],
        planarconfig="contig",
    )
    np.testing.assert_array_equal(
        read_image(tmp_path / "ga.tif").pixels, grey_alpha[..., [0, 0, 0, 1]]
    )

    double = noise(np.float32, 3).astype(np.float64)
    tifffile.imwrite(tmp_path / "f64.tif", double, photometric="rgb")
    loaded = read_image(tmp_path / "f64.tif").pixels
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, double.astype(np.float32))


def test_exr_variants(tmp_path, caplog):
    rgb = noise(np.float32, 3)
    plane = [np.ascontiguousarray(rgb[..., i]) for i in range(3)]  # OpenEXR ignores strides
    half = {name: rgb[..., i].astype(np.float16) for i, name in enumerate("RGB")}
    OpenEXR.File({"compression": OpenEXR.ZIP_COMPRESSION}, half).write(str(tmp_path / "h.exr"))
    loaded = read_image(tmp_path / "h.exr").pixels
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, rgb.astype(np.float16).astype(np.float32))

    grey_alpha = {"Y": plane[0], "A": plane[1]}
    OpenEXR.File({}, grey_alpha).write(str(tmp_path / "ya.exr"))
    np.testing.assert_array_equal(read_image(tmp_path / "ya.exr").pixels, rgb[..., [0, 0, 0, 1]])

    layered = {f"beauty.{c}": plane[i] for i, c in enumerate("RGB")} | {"depth.Z": plane[0]}
    OpenEXR.File({}, layered).write(str(tmp_path / "layer.exr"))
    with caplog.at_level(logging.WARNING):
        np.testing.assert_array_equal(read_image(tmp_path / "layer.exr").pixels, rgb)
    # A depth or another render layer is neither filled nor written: said, not dropped silently.
    assert re.search(r"OpenEXR channels depth\.Z are not colour \(beauty\.R, beauty\.G, "
                     r"beauty\.B\): they are not filled and not written", caplog.text)

    # A data window inside a larger display window: the image is the display window.
    header = {
        "dataWindow": (np.array([2, 1], np.int32), np.array([W - 3, H - 2], np.int32)),
        "displayWindow": (np.array([0, 0], np.int32), np.array([W - 1, H - 1], np.int32)),
    }
    inner = np.ascontiguousarray(plane[0][1 : H - 1, 2 : W - 2])
    OpenEXR.File(header, {"R": inner, "G": inner, "B": inner}).write(str(tmp_path / "dw.exr"))
    loaded = read_image(tmp_path / "dw.exr").pixels
    assert loaded.shape == (H, W, 3)
    np.testing.assert_array_equal(loaded[1 : H - 1, 2 : W - 2, 0], inner)
    assert not loaded[0].any() and not loaded[:, :2].any()

    OpenEXR.File({}, {"Z": plane[0], "V": plane[1]}).write(str(tmp_path / "zv.exr"))
    _assert_read_error(tmp_path / "zv.exr", "unsupported OpenEXR channels")


def test_exr_attributes_are_kept(tmp_path, caplog):
    """An OpenEXR's header attributes were dropped: its chromaticities (an ACES file's primaries:
    without them a reader takes Rec. 709), owner, comments, capture date and place."""
    rgb = np.abs(noise(np.float32, 3))
    planes = {c: np.ascontiguousarray(rgb[..., i]) for i, c in enumerate("RGB")}
    aces = (0.7347, 0.2653, 0.0, 1.0, 0.0001, -0.077, 0.32168, 0.33767)
    attributes = {"chromaticities": aces, "owner": "Studio", "comments": "plate 12",
                  "capDate": "2026:01:02 03:04:05", "latitude": 51.5,
                  "renderer:camera": np.eye(4, dtype=np.float32)}
    OpenEXR.File({"compression": OpenEXR.PIZ_COMPRESSION} | attributes,
                 planes).write(str(tmp_path / "in.exr"))
    loaded = read_image(tmp_path / "in.exr")
    out = write_image(tmp_path / "out.exr", loaded.pixels, loaded.metadata.for_output(W, H))
    header = OpenEXR.File(str(out), header_only=True).header()
    np.testing.assert_allclose(header["chromaticities"], aces, rtol=1e-6)
    assert (header["owner"], header["comments"], header["capDate"], header["latitude"]) == (
        "Studio", "plate 12", "2026:01:02 03:04:05", 51.5)
    np.testing.assert_array_equal(header["renderer:camera"], np.eye(4))
    assert header["compression"] == OpenEXR.ZIP_COMPRESSION  # the layout is the writer's
    assert "GPano" in header["xmp"]
    np.testing.assert_array_equal(read_image(out).pixels, rgb)

    # An attribute the binding reads but cannot write costs the attributes, not the file.
    odd = ImageMetadata(exr_attributes={"owner": "Studio", "rate": OpenEXR.Rational(24, 1)})
    with caplog.at_level(logging.WARNING):
        out = write_image(tmp_path / "odd.exr", rgb, odd)
    assert "dropping the source's OpenEXR attributes" in caplog.text
    np.testing.assert_array_equal(read_image(out).pixels, rgb)


# ----------------------------------------------------------------------------------- masks


def test_mask_white_is_hole(tmp_path):
    grey = np.zeros((H, W), np.uint8)
    grey[2:5, 3:9] = 255
    grey[10, 10] = 127  # half range is not a hole
    grey[11, 11] = 128
    write_image(tmp_path / "m.png", grey)
    hole = read_mask(tmp_path / "m.png", H, W)
    expected = grey > 127
    assert hole.dtype == np.bool_ and hole.shape == (H, W)
    np.testing.assert_array_equal(hole, expected)


def test_mask_colour_strokes_and_dtypes(tmp_path):
    rgb = np.zeros((H, W, 3), np.uint8)
    rgb[1, 1] = [255, 0, 0]  # any light channel marks a hole
    rgb[2, 2] = [0, 0, 200]
    rgb[3, 3] = [100, 100, 100]
    write_image(tmp_path / "rgb.png", rgb)
    hole = read_mask(tmp_path / "rgb.png", H, W)
    assert hole.sum() == 2 and hole[1, 1] and hole[2, 2]

    wide = np.zeros((H, W), np.uint16)
    wide[4, 4], wide[5, 5] = 32768, 32767
    write_image(tmp_path / "m16.png", wide)
    assert np.argwhere(read_mask(tmp_path / "m16.png", H, W)).tolist() == [[4, 4]]

    real = np.zeros((H, W), np.float32)
    real[6, 6], real[7, 7] = 0.75, 0.5
    write_image(tmp_path / "m.exr", real)
    assert np.argwhere(read_mask(tmp_path / "m.exr", H, W)).tolist() == [[6, 6]]


def test_mask_from_alpha_when_colour_is_flat(tmp_path):
    rgba = np.zeros((H, W, 4), np.uint8)
    rgba[8:12, 0:4, 3] = 255  # black strokes on a transparent layer
    write_image(tmp_path / "strokes.png", rgba)
    np.testing.assert_array_equal(read_mask(tmp_path / "strokes.png", H, W), rgba[..., 3] > 0)

    rgba[..., 3] = 255  # opaque: colour decides again
    rgba[0, 0, :3] = 255
    write_image(tmp_path / "opaque.png", rgba)
    assert np.argwhere(read_mask(tmp_path / "opaque.png", H, W)).tolist() == [[0, 0]]


@pytest.mark.parametrize("layer", [0, 255, 90])
def test_a_hole_erased_from_a_layer_is_the_transparent_part(tmp_path, layer):
    """A layer of one colour with the hole erased (alpha 0 there, and whatever colour the
    editor kept under it) was read by colour, or as strokes: the opaque layer became the hole,
    refused as covering 95% of the sphere. The smaller part is the hole, either way round."""
    rng = np.random.default_rng(0)
    hole = np.zeros((H, W), bool)
    hole[10:14, 3:9] = True
    rgba = np.full((H, W, 4), layer, np.uint8)
    rgba[..., 3] = np.where(hole, 0, 255)
    rgba[hole, :3] = rng.integers(0, 256, (hole.sum(), 3))  # kept under the eraser
    write_image(tmp_path / "erased.png", rgba)
    np.testing.assert_array_equal(read_mask(tmp_path / "erased.png", H, W), hole)

    rgba[..., 3] = np.where(hole, 255, 0)  # the same strokes painted on a transparent layer
    rgba[~hole, :3] = rng.integers(0, 256, ((~hole).sum(), 3))
    rgba[hole, :3] = layer
    write_image(tmp_path / "strokes.png", rgba)
    np.testing.assert_array_equal(read_mask(tmp_path / "strokes.png", H, W), hole)


def test_an_alpha_mask_that_could_be_either_way_is_refused_saying_what_to_give(tmp_path):
    rgba = np.zeros((H, W, 4), np.uint8)
    rgba[: H // 2, :, 3] = 255  # half opaque, half transparent: either could be the hole
    write_image(tmp_path / "halves.png", rgba)
    with pytest.raises(ValueError, match=r"transparent over 50% .*without alpha, white"):
        read_mask(tmp_path / "halves.png", H, W)

    rgba[..., 3] = 255
    rgba[12:, :, 3] = 0
    rgba[:4, :, :3] = 255  # light and dark visible pixels: colour or alpha?
    write_image(tmp_path / "both.png", rgba)
    with pytest.raises(ValueError, match="both light and dark.*without alpha, white"):
        read_mask(tmp_path / "both.png", H, W)


def test_mask_size_mismatch_and_resize(tmp_path):
    small = np.zeros((H // 2, W // 2), np.uint8)
    small[1, 2] = 255
    write_image(tmp_path / "small.png", small)
    with pytest.raises(
        ValueError, match=rf"is {W // 2}x{H // 2} but the image is {W}x{H}.*--resize-mask"
    ):
        read_mask(tmp_path / "small.png", H, W)
    hole = read_mask(tmp_path / "small.png", H, W, resize=True)
    expected = np.zeros((H, W), bool)
    expected[2:4, 4:6] = True  # nearest-neighbour: each mask pixel covers a 2x2 block
    np.testing.assert_array_equal(hole, expected)


@pytest.mark.parametrize("factor", [2, 3, 4])
def test_a_thin_stroke_survives_a_smaller_resize(tmp_path, factor):
    """Nearest-neighbour sampling dropped the columns it did not sample: a one-pixel line at
    column 3 of a mask 4x the image's size left no hole at all. The lines lie on the first
    mask column and row under image pixel (7, 3), which sampling at pixel centres never reads
    for any factor (at factor 2 it reads the odd ones)."""
    big = np.zeros((H * factor, W * factor), np.uint8)
    big[:, 3 * factor] = 255  # a wire from pole to pole
    big[7 * factor, :] = 255  # and one round the sphere
    write_image(tmp_path / "big.png", big)
    hole = read_mask(tmp_path / "big.png", H, W, resize=True)
    assert hole[:, 3].all() and hole[7, :].all()
    assert hole.sum() <= 2 * (H + W)  # grown by at most the pixel that holds it


@pytest.mark.parametrize("width", [W, W + 3])  # rows of whole bytes, and not
def test_write_mask_is_a_lossless_one_bit_png(tmp_path, width):
    rng = np.random.default_rng(5)
    mask = rng.random((H, width)) < 0.3
    path = write_mask(tmp_path / "m.png", mask)
    assert path.read_bytes()[24:26] == b"\x01\x00"  # IHDR: bit depth 1, grey
    np.testing.assert_array_equal(read_mask(path, H, width), mask)
    with Image.open(path) as image:
        assert image.mode == "1"
        np.testing.assert_array_equal(np.asarray(image), mask)  # what other tools see
    with pytest.raises(FileExistsError):
        write_mask(path, ~mask)
    write_mask(path, ~mask, overwrite=True)
    np.testing.assert_array_equal(read_mask(path, H, width), ~mask)


def test_write_mask_invalid(tmp_path):
    mask = np.zeros((H, W), bool)
    with pytest.raises(ValueError, match="PNG"):
        write_mask(tmp_path / "m.jpg", mask)
    with pytest.raises(TypeError, match="bool"):
        write_mask(tmp_path / "m.png", mask.view(np.uint8))
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        write_mask(tmp_path / "m.png", np.zeros((H, W, 1), bool))
    with pytest.raises(ImageWriteError, match="does not exist"):
        write_mask(tmp_path / "missing" / "m.png", mask)
    assert sorted(os.listdir(tmp_path)) == []


def test_mask_invalid_size_arguments(tmp_path):
    write_image(tmp_path / "m.png", np.zeros((H, W), np.uint8))
    with pytest.raises(ValueError, match="height"):
        read_mask(tmp_path / "m.png", 0, W)
    with pytest.raises(ImageReadError, match="no such file"):
        read_mask(tmp_path / "missing.png", H, W)


def test_metadata_argument_is_optional(tmp_path):
    loaded = read_image(write_image(tmp_path / "x.png", noise(np.uint8, 3), None))
    assert loaded.metadata == ImageMetadata()


@pytest.mark.parametrize("options", [{}, {"progressive": True}, {"subsampling": 0}])
def test_colour_jpeg_is_decoded_straight_to_rgb(tmp_path, monkeypatch, options):
    """An 8-bit colour JPEG is decoded to RGB by libjpeg (no channel swap afterwards), with the
    pixels of OpenCV's BGR decoding, channels reversed."""
    path = tmp_path / "colour.jpg"
    Image.fromarray(noise(np.uint8, 3)).save(path, quality=90, **options)
    bgr = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_UNCHANGED)

    def no_swap(*args, **kwargs):
        raise AssertionError("the decoded pixels were converted again")

    monkeypatch.setattr(cv2, "cvtColor", no_swap)
    loaded = read_image(path)
    assert loaded.pixels.dtype == np.uint8 and loaded.pixels.flags.c_contiguous
    np.testing.assert_array_equal(loaded.pixels, bgr[..., ::-1])


def test_grey_and_cmyk_jpegs_keep_their_decoding(tmp_path):
    """Only 8-bit three-component JPEGs take the RGB decoding: grey stays one channel, CMYK
    comes out as OpenCV converts it (RGB)."""
    pixels = noise(np.uint8, 3)
    Image.fromarray(pixels[..., 0]).save(tmp_path / "grey.jpg")
    Image.fromarray(pixels).convert("CMYK").save(tmp_path / "cmyk.jpg")
    grey = read_image(tmp_path / "grey.jpg").pixels
    assert grey.shape == (H, W, 1)
    np.testing.assert_array_equal(
        grey[..., 0], cv2.imread(str(tmp_path / "grey.jpg"), cv2.IMREAD_UNCHANGED))
    cmyk = read_image(tmp_path / "cmyk.jpg").pixels
    np.testing.assert_array_equal(
        cmyk, cv2.imread(str(tmp_path / "cmyk.jpg"), cv2.IMREAD_UNCHANGED)[..., ::-1])


def _soft_disc(height=64, width=128, sigma=2.0, radius=10):
    """A disc painted with a soft brush: 8-bit, Gaussian rim."""
    disc = np.zeros((height, width), np.float32)
    cv2.circle(disc, (width // 2, height // 2), radius, 1.0, -1)
    return np.round(cv2.GaussianBlur(disc, (0, 0), sigma) * 255).astype(np.uint8)


def _read_warned(tmp_path, caplog, soft: np.ndarray) -> tuple[np.ndarray, str, int | None]:
    """``soft`` saved as a mask and read for a fill at its own size with no --dilate: the hole,
    the warnings logged (the file's path left out: a test's name in it may hold any word) and
    the --dilate they name (None: none)."""
    path = tmp_path / "mask.png"
    cv2.imwrite(str(path), soft)
    with caplog.at_level(logging.WARNING, logger="pano_inpaint.io.images"):
        hole = read_mask(path, *soft.shape, dilate=0)
    text = caplog.text.replace(str(path), "mask.png")
    found = re.search(r"--dilate (\d+)", text)
    return hole, text, int(found.group(1)) if found else None


@pytest.mark.parametrize("brush", ["soft", "feathered", "on dark grey"])
def test_a_soft_mask_edge_is_warned_about_with_the_dilation_that_covers_it(
    tmp_path, caplog, brush
):
    """Grey rim pixels at or below half are known pixels holding the object's fringe (a halo
    round the fill); the warning names a --dilate that takes in every visible one of them and
    little more: also for a feathered selection whose rim fades out 20 px from the hole (it was
    named as 16, the distance within which grey counts as a rim, and a halo stayed), and on a
    mask whose background is a dark grey (10 of 255) rather than black."""
    from pano_inpaint.masks import dilate_mask

    background = 10 if brush == "on dark grey" else 0
    if brush == "feathered":
        soft = _soft_disc(128, 256, sigma=10.0, radius=24)
    else:
        soft = np.maximum(_soft_disc(), background)
    path = tmp_path / "soft.png"
    cv2.imwrite(str(path), soft)
    height, width = soft.shape
    with caplog.at_level(logging.WARNING, logger="pano_inpaint.io.images"):
        hole = read_mask(path, height, width, dilate=0)
    found = re.search(r"soft edges.*--dilate (\d+)", caplog.text)
    assert found, caplog.text
    rim = soft > background + 8
    grown = dilate_mask(hole, int(found.group(1)))
    assert not (rim & ~grown).any()  # every faint rim pixel taken in
    assert (rim & ~dilate_mask(hole, int(found.group(1)) - 2)).any()  # and not far more
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="pano_inpaint.io.images"):
        read_mask(path, height, width, dilate=int(found.group(1)))  # already covered: quiet
    assert "soft edges" not in caplog.text


def test_a_soft_mask_edge_across_the_wrap_around_line_is_measured_across_it(tmp_path, caplog):
    """Columns are periodic: a hole starting at column 0 whose soft rim fades out over the last
    columns (its other side hard) is warned about with a --dilate that covers that rim; measured
    on the flat image, the rim lay a whole width away from the hole and went unnoticed."""
    from pano_inpaint.masks import dilate_mask

    block = np.zeros((64, 128), np.float32)
    block[20:44, 60:80] = 1.0
    soft = np.round(cv2.GaussianBlur(block, (0, 0), 2.0) * 255).astype(np.uint8)
    soft[:, 60:] = np.where(soft[:, 60:] > 127, 255, 0)  # soft only left of the hole
    soft = np.roll(soft, -60, axis=1)  # the hole starts at column 0, its rim wraps round
    assert (soft[:, -1] > 8).any() and not (soft[:, 21:-16] > 8).any()
    hole, text, dilate = _read_warned(tmp_path, caplog, soft)
    assert "soft edges" in text and dilate is not None, text
    assert not ((soft > 8) & ~dilate_mask(hole, dilate)).any()


def test_a_soft_mask_edge_over_the_pole_is_measured_over_it(tmp_path, caplog):
    """Rows continue over the poles: a hole at the nadir whose soft rim lies on the other side of
    the pole (half a turn round, its own side hard) is warned about with a --dilate that covers
    that rim; on the flat image the rim lay half a width from the hole."""
    from pano_inpaint.masks import dilate_mask

    hole = np.zeros((64, 128), bool)
    hole[60:, 20:30] = True
    rim = dilate_mask(hole, 5) & ~hole
    rim[:, :64] = False  # only the part over the pole, round columns 84-94
    soft = np.where(hole, 255, np.where(rim, 80, 0)).astype(np.uint8)
    assert np.count_nonzero(rim) >= 16 and not rim[:, 40:74].any()
    path = tmp_path / "soft.png"
    cv2.imwrite(str(path), soft)
    with caplog.at_level(logging.WARNING, logger="pano_inpaint.io.images"):
        read_mask(path, 64, 128, dilate=0)
    found = re.search(r"soft edges.*--dilate (\d+)", caplog.text)
    assert found, caplog.text
    assert not (rim & ~dilate_mask(hole, int(found.group(1)))).any()


def test_a_faint_speck_far_from_the_hole_does_not_widen_the_soft_rim_measure(monkeypatch):
    """The rim's distances are taken only over rows that can hold it: a faint speck at the top
    of a mask whose hole is at the nadir made the distance transform as tall as the mask (8K,
    a rim fading over a sixth of the height: 6.5 s and 470 MB, 2.6 s and 230 MB without it)."""
    from pano_inpaint.io import images

    soft = np.zeros((512, 1024), np.float32)
    soft[448:] = 1.0
    soft = np.round(cv2.GaussianBlur(soft, (0, 0), 3.0) * 255).astype(np.uint8)
    soft[4:8, 100:110] = 40  # a stray faint speck near the zenith
    measured = []
    real = images._distance_to_hole

    def spy(hole, first, stop, reach):
        measured.append((first, stop))
        return real(hole, first, stop, reach)

    monkeypatch.setattr(images, "_distance_to_hole", spy)
    assert images._soft_rim_reach(soft, soft > 127).width > 0
    assert measured and min(first for first, _ in measured) > 512 - 64 - 128


def _graded_mask(profile) -> np.ndarray:
    """A 640 x 1280 mask (its rim measured out to 80 px) whose hole is the rows from 560 down
    and whose rows above it hold ``profile(distance)``, 8-bit."""
    distance = np.arange(560, 0, -1, dtype=np.float32)  # row 0 is 560 px from the hole
    mask = np.full((640, 1280), 255, np.uint8)
    mask[:560] = np.round(profile(distance))[:, None].astype(np.uint8)
    return mask


def test_a_soft_rim_is_measured_out_to_the_limit_and_no_farther(monkeypatch):
    """The rim is measured out to an eighth of the height; the reach, doubled from 16 px, went
    past it up to twice (640 rows: a limit of 80 px measured out to 128)."""
    from pano_inpaint.io import images

    soft = _graded_mask(lambda d: 127 * np.exp(-d / 40))  # faint out to about 113 px
    reaches = []
    real = images._distance_to_hole

    def spy(hole, first, stop, reach):
        reaches.append(reach)
        return real(hole, first, stop, reach)

    monkeypatch.setattr(images, "_distance_to_hole", spy)
    images._soft_rim_reach(soft, soft > 127)
    assert max(reaches) == 80


@pytest.mark.parametrize("fade", ["long tail", "grey all over"])
def test_a_gradient_mask_gets_the_dilation_of_its_grey_part_or_none(tmp_path, caplog, fade):
    """Grey fading out farther than the rim is measured (a gradient, not a brush's fringe) was
    named the limit as --dilate (or past it: 113 px on this 640-row mask, whose limit is
    80), which does not cover it and grows the hole by 22.5 degrees all round. The halo shows
    where the mask is clearly grey: its width is named, or, where that too runs on, none."""
    from pano_inpaint.masks import dilate_mask

    if fade == "long tail":
        soft = _graded_mask(lambda d: 127 * np.exp(-d / 40))  # grey out to 55 px, faint 113
    else:
        soft = _graded_mask(lambda d: np.maximum(0, 127 * (1 - d / 500)))  # grey to 374 px
    hole, text, dilate = _read_warned(tmp_path, caplog, soft)
    assert "(a gradient, not a" in text, text
    if fade == "grey all over":
        assert dilate is None and "no --dilate covers them" in text
        return
    assert dilate is not None, text
    grey = (soft > 32) & ~hole
    assert not (grey & ~dilate_mask(hole, dilate)).any()
    assert (grey & ~dilate_mask(hole, dilate - 2)).any()


def test_a_soft_rim_over_most_of_the_known_pixels_is_measured_above_the_background(
    tmp_path, caplog
):
    """The background level is measured away from the rim: where a soft rim held most of the
    known pixels (a hole over the bottom 40 of 64 rows, a rim fading out over 16 rows above
    it, 8 black rows), the known pixels' median was a rim level (34 of 255), the faint
    part of the rim was taken for background and the --dilate named fell 5 px short."""
    from pano_inpaint.masks import dilate_mask

    distance = np.arange(24, 0, -1, dtype=np.float32)  # row 0 is 24 px from the hole
    soft = np.full((64, 128), 255, np.uint8)
    soft[:24] = np.round(np.clip(120 * (1 - (distance - 1) / 16), 0, None))[:, None]
    hole, text, dilate = _read_warned(tmp_path, caplog, soft)
    assert "soft edges" in text and dilate is not None, text
    assert not ((soft > 8) & ~dilate_mask(hole, dilate)).any()


def test_a_soft_rim_on_dark_grey_is_not_a_gradient_where_the_far_side_is_black(tmp_path, caplog):
    """The background is the known pixels' median away from the rim, not the darkest of them:
    a soft disc on a background of 10 of 255 whose farthest columns (round the wrap-around line)
    are black had its background taken as 0 (the farthest tenth's median), the whole dark grey
    counted as the rim's faint end and the rim was named a gradient."""
    from pano_inpaint.masks import dilate_mask

    soft = _soft_disc(256, 512, radius=20).astype(np.float32) * (245 / 255) + 10
    soft[:, :60] -= 10
    soft[:, -60:] -= 10
    soft = np.round(soft).astype(np.uint8)
    hole, text, dilate = _read_warned(tmp_path, caplog, soft)
    assert "soft edges" in text and "gradient" not in text, text
    assert dilate is not None and dilate <= 8, text
    assert not ((soft > 18) & ~dilate_mask(hole, dilate)).any()


@pytest.mark.parametrize("kind", ["hard", "jpeg noise", "labels", "far grey"])
def test_a_hard_mask_edge_is_not_warned_about(tmp_path, caplog, kind):
    hard = (_soft_disc() > 127).astype(np.uint8) * 255
    if kind == "jpeg noise":  # faint ringing round a hard edge, below an eighth of white
        rim = (cv2.dilate(hard, np.ones((5, 5))) > 0) & (hard == 0)
        hard[rim] = 20
    elif kind == "labels":
        hard = hard // 255
    elif kind == "far grey":  # grey elsewhere in the mask, away from the hole
        hard[:, :20] = 100
    path = tmp_path / "hard.png"
    cv2.imwrite(str(path), hard)
    with caplog.at_level(logging.WARNING, logger="pano_inpaint.io.images"):
        read_mask(path, 64, 128, dilate=0)
    assert "soft edges" not in caplog.text


def test_a_soft_edge_is_not_warned_about_for_a_mask_not_to_be_filled(tmp_path, caplog):
    # `check` and the web app read masks they do not fill (no --dilate to name), and a mask of
    # another size is refused first: that is the message to act on.
    path = tmp_path / "soft.png"
    cv2.imwrite(str(path), _soft_disc())
    with caplog.at_level(logging.WARNING, logger="pano_inpaint.io.images"):
        read_mask(path, 64, 128)
        with pytest.raises(ValueError, match="resize"):
            read_mask(path, 32, 64, dilate=0)
    assert "soft edges" not in caplog.text


def _masks_of_every_kind() -> dict[str, np.ndarray]:
    from pano_inpaint.masks import nadir_mask

    hole = nadir_mask(128, 256, 40)
    grey = hole.astype(np.uint8)[..., None] * 255  # (128, 256, 1)
    red = np.zeros((128, 256, 3), np.uint8)
    red[hole] = (220, 30, 30)
    layer = np.zeros((128, 256, 4), np.uint8)
    layer[..., 3] = grey[..., 0]  # black strokes on a transparent layer
    ok, data = cv2.imencode(".jpg", cv2.GaussianBlur(grey, (0, 0), 2),
                            [cv2.IMWRITE_JPEG_QUALITY, 70])
    assert ok
    dark = grey.copy()
    dark[~hole] = 12  # a dark grey background some tools save
    return {
        "hard": grey, "feathered": cv2.GaussianBlur(grey, (0, 0), 4)[..., None],
        "jpeg": cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)[..., None], "red": red,
        "zero one": grey // 255, "16-bit": grey.astype(np.uint16) * 257,
        "float": grey.astype(np.float32) / 255, "layer": layer, "dark background": dark,
        "empty": np.zeros_like(grey),
    }


def _photos_of_every_kind() -> dict[str, np.ndarray]:
    from tests.synthetic import sphere_function_erp, wavy_rgb

    rng = np.random.default_rng(0)
    smooth_pano = sphere_function_erp(128, dtype=np.uint8)
    wavy = sphere_function_erp(128, wavy_rgb, dtype=np.uint8)
    grain = rng.normal(0, 1, wavy.shape)
    # A night scene and a lamp: nine in ten of its pixels are within 2 levels of its median,
    # yet they lie far from the lamp.
    dark = np.clip(np.round(wavy * 0.02 + grain), 0, 255).astype(np.uint8)
    dark[:2, :2] = 255
    return {
        "smooth": smooth_pano, "wavy": wavy, "grey": wavy[..., :1], "dark": dark,
        "dark grey": dark[..., :1], "hdr": sphere_function_erp(128, wavy_rgb, scale=40.0),
    }


def test_masks_look_like_masks_and_photos_do_not():
    """A photo named like a panorama beside it (a.png beside a.jpg) was taken for its mask:
    masks of every kind are told from photos, dark ones too."""
    from pano_inpaint.io.images import looks_like_mask

    assert {name: looks_like_mask(pixels) for name, pixels in _masks_of_every_kind().items()
            } == dict.fromkeys(_masks_of_every_kind(), True)
    assert {name: looks_like_mask(pixels) for name, pixels in _photos_of_every_kind().items()
            } == dict.fromkeys(_photos_of_every_kind(), False)


def _big_files(folder) -> dict[str, tuple[object, bool]]:
    """Files of 256 rows (read reduced when JPEG, with 64 rows kept), each with what its full
    pixels say."""
    from pano_inpaint.io.images import looks_like_mask
    from pano_inpaint.masks import nadir_mask
    from tests.synthetic import sphere_function_erp, wavy_rgb

    hole = nadir_mask(256, 512, 30)
    wires = hole.copy()
    wires[:, ::16] = True  # one-pixel wires: grey once averaged, far from the hole
    wavy = sphere_function_erp(256, wavy_rgb, dtype=np.uint8)
    grain = np.random.default_rng(1).normal(0, 1, wavy.shape)
    dark = np.clip(np.round(wavy * 0.02 + grain), 0, 255).astype(np.uint8)  # flat averaged
    files = {"photo.jpg": wavy, "dark.jpg": dark, "mask.jpg": hole.astype(np.uint8) * 255,
             "wires.jpg": wires.astype(np.uint8) * 255, "photo.png": wavy}
    for name, pixels in files.items():
        write_image(folder / name, pixels, quality=90)
    Image.fromarray(hole).convert("1").save(folder / "bilevel.png")
    return {path.name: (path, looks_like_mask(read_image(path).pixels))
            for path in sorted(folder.iterdir())}


def test_a_file_looks_like_a_mask_as_its_pixels_do_from_less_decoding(tmp_path, monkeypatch):
    """Telling a mask beside its image from a second panorama decoded each candidate whole
    (0.5-0.8 s for an 8K JPEG, on every resume): a 1-bit PNG is decided from its header, and
    a JPEG photo from its 1/2-1/8 size decoding; masks, and photos flat once averaged, are read
    whole. The answers are those of the full pixels, for small files (always read whole) too."""
    from pano_inpaint.io import images
    from pano_inpaint.io.images import file_looks_like_mask

    monkeypatch.setattr(images, "_LOOK_ROWS", 64)  # as 8K files are read, at test sizes
    expected = {name: truth for name, (_, truth) in _big_files(tmp_path).items()}
    assert expected == {"bilevel.png": True, "dark.jpg": False, "mask.jpg": True,
                        "photo.jpg": False, "photo.png": False, "wires.jpg": True}
    whole = []
    read = images.read_image
    monkeypatch.setattr(images, "read_image", lambda path, **kw: whole.append(path.name)
                        or read(path, **kw))
    assert {path.name: file_looks_like_mask(path) for path in sorted(tmp_path.iterdir())
            } == expected
    assert sorted(whole) == ["dark.jpg", "mask.jpg", "photo.png", "wires.jpg"]
    for kind, items in (("mask", _masks_of_every_kind()), ("photo", _photos_of_every_kind())):
        for name, pixels in items.items():
            if pixels.dtype != np.float32:
                path = tmp_path / f"{kind} {name}.png"
                write_image(path, pixels)
                assert file_looks_like_mask(path) == (kind == "mask"), path.name

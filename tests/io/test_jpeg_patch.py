"""JPEG written as a patch of its source: outside the replaced MCUs the decoded pixels are the
source's own, metadata as write_image writes it, and what cannot be patched says so."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from pano_inpaint.cli import main
from pano_inpaint.io import read_image, read_mask, write_image
from pano_inpaint.io.jpeg_patch import (
    PatchUnavailable,
    _app_segments,
    _changed_mcus,
    write_jpeg_patch,
)
from pano_inpaint.masks import nadir_mask
from pano_inpaint.pipeline import inpaint
from tests.synthetic import CHROMA_SUBSAMPLING, camera_style_jpeg, sphere_function_erp

jpeglib = pytest.importorskip("jpeglib")

SAMPLE = Path(__file__).resolve().parents[2] / "pano_inpaint" / "data"


def _camera_jpeg(path: Path, subsampling: str = "4:2:0", mode: str = "RGB",
                 **options) -> Path:
    """A textured 128x64 camera-style JPEG (EXIF, ICC, GPano XMP)."""
    rng = np.random.default_rng(3)
    base = sphere_function_erp(64, dtype=np.uint8).astype(np.int16)
    pixels = np.clip(base + rng.integers(-25, 26, base.shape), 0, 255).astype(np.uint8)
    return camera_style_jpeg(path, pixels, subsampling, mode, **options)


def _fill(path: Path) -> tuple:
    loaded = read_image(path)
    hole = nadir_mask(loaded.height, loaded.width, 30)
    filled = inpaint(loaded.pixels, hole, generator="telea").image
    return loaded, filled


def _decoded(path: Path) -> np.ndarray:
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)  # libjpeg-turbo, fancy upsampling


def _ring(mask: np.ndarray) -> np.ndarray:
    """``mask`` grown by the one pixel that chroma interpolation reaches."""
    return cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)


def _differ(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a != b).reshape(a.shape[0], a.shape[1], -1).any(axis=2)


@pytest.mark.parametrize("subsampling", sorted(CHROMA_SUBSAMPLING))
def test_outside_the_replaced_blocks_the_source_decodes_unchanged(tmp_path, subsampling):
    source = _camera_jpeg(tmp_path / "cam.jpg", subsampling)
    loaded, filled = _fill(source)
    patch = write_jpeg_patch(source, tmp_path / "out.jpg", loaded.pixels, filled,
                             loaded.metadata.for_output(loaded.width, loaded.height))
    differ = _differ(_decoded(source), _decoded(tmp_path / "out.jpg"))
    changed = _differ(loaded.pixels, filled)
    assert changed.any() and not (changed & ~patch.replaced_mask).any()
    assert 0 < patch.replaced < patch.total
    if subsampling == "4:4:4":
        assert not (differ & ~patch.replaced_mask).any()
    else:  # decoders interpolate subsampled chroma one pixel into the next MCU
        assert not (differ & ~_ring(patch.replaced_mask)).any()
    # Inside, the fill is there, at the source's quality.
    error = np.abs(_decoded(tmp_path / "out.jpg")[..., ::-1].astype(int) - filled)
    assert error[changed].mean() < 3


def test_without_chroma_interpolation_nothing_outside_the_blocks_changes(tmp_path):
    source = _camera_jpeg(tmp_path / "cam.jpg", "4:2:0")
    loaded, filled = _fill(source)
    patch = write_jpeg_patch(source, tmp_path / "out.jpg", loaded.pixels, filled)
    flags = ["-DO_FANCY_UPSAMPLING"]
    before = jpeglib.read_spatial(str(source), flags=flags).spatial
    after = jpeglib.read_spatial(str(tmp_path / "out.jpg"), flags=flags).spatial
    assert 0 < patch.replaced < patch.total
    assert not (_differ(before, after) & ~patch.replaced_mask).any()


def test_an_unchanged_image_is_copied_block_for_block(tmp_path):
    source = _camera_jpeg(tmp_path / "cam.jpg")
    loaded = read_image(source)
    patch = write_jpeg_patch(source, tmp_path / "out.jpg", loaded.pixels, loaded.pixels.copy())
    assert patch.replaced == 0
    assert np.array_equal(_decoded(source), _decoded(tmp_path / "out.jpg"))


def test_metadata_is_what_write_image_writes(tmp_path):
    source = _camera_jpeg(tmp_path / "cam.jpg")
    loaded, filled = _fill(source)
    metadata = loaded.metadata.for_output(loaded.width, loaded.height)
    write_jpeg_patch(source, tmp_path / "patched.jpg", loaded.pixels, filled, metadata)
    write_image(tmp_path / "encoded.jpg", filled, metadata)
    segments = [_app_segments((tmp_path / name).read_bytes())[0]
                for name in ("patched.jpg", "encoded.jpg")]
    assert segments[0] == segments[1] and b"Exif" in segments[0] and b"GPano" in segments[0]
    assert read_image(tmp_path / "patched.jpg").metadata == read_image(
        tmp_path / "encoded.jpg").metadata


def test_app_segments_walk_the_markers_as_the_header_reader_does(tmp_path):
    """The APPn run after SOI is cut by the one marker walk the readers use
    (``jpeg_segments``): fill bytes before a marker are skipped, a broken stream raises."""
    from pano_inpaint.io.metadata import jpeg_segments

    data = _camera_jpeg(tmp_path / "cam.jpg").read_bytes()
    segments = list(jpeg_segments(data))
    assert segments[0].marker == 0xE0 and segments[-1].marker == 0xDA
    first = next(s for s in segments if not 0xE0 <= s.marker <= 0xEF)
    app, body = _app_segments(data)
    assert body == first.start and app == data[2:body] and b"Exif" in app
    padded = data[:body] + b"\xff\xff" + data[body:]  # fill bytes before the next marker
    assert _app_segments(padded) == (app, body)
    assert [s.marker for s in jpeg_segments(padded)] == [s.marker for s in segments]
    with pytest.raises(ValueError, match="marker structure"):
        _app_segments(data[:body] + b"\x00" + data[body:])


@pytest.mark.parametrize(("mode", "options"), [("L", {}), ("RGB", {"progressive": True})])
def test_grey_and_progressive_sources_are_patched(tmp_path, mode, options):
    source = _camera_jpeg(tmp_path / "cam.jpg", "4:4:4", mode, **options)
    loaded, filled = _fill(source)
    patch = write_jpeg_patch(source, tmp_path / "out.jpg", loaded.pixels, filled)
    differ = _differ(_decoded(source), _decoded(tmp_path / "out.jpg"))
    assert 0 < patch.replaced < patch.total and not (differ & ~patch.replaced_mask).any()


def test_cmyk_source_cannot_be_patched(tmp_path):
    source = _camera_jpeg(tmp_path / "cam.jpg", "4:4:4", "CMYK")
    loaded, filled = _fill(source)
    with pytest.raises(PatchUnavailable, match="CMYK"):
        write_jpeg_patch(source, tmp_path / "out.jpg", loaded.pixels, filled)
    assert not (tmp_path / "out.jpg").exists()


def test_cmyk_source_is_re_encoded_with_a_warning(tmp_path, caplog):
    source = _camera_jpeg(tmp_path / "cam.jpg", "4:4:4", "CMYK")
    with caplog.at_level("WARNING"):
        code = main(["inpaint", str(source), "--nadir", "30", "-g", "telea", "-o",
                     str(tmp_path / "out.jpg"), "-q"])
    assert code == 0 and (tmp_path / "out.jpg").is_file()
    assert any("re-encoding the whole JPEG" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("in_place", [False, True])
def test_command_line_patches_the_shipped_sample(tmp_path, in_place):
    source = tmp_path / "sample.jpg"
    source.write_bytes((SAMPLE / "sample_pano.jpg").read_bytes())
    before = _decoded(source)
    output = source if in_place else tmp_path / "out.jpg"
    args = ["--in-place"] if in_place else ["-o", str(output)]
    code = main(["inpaint", str(source), "--mask", str(SAMPLE / "sample_mask.png"), "-g",
                 "telea", "-q", *args])
    assert code == 0
    hole = read_mask(SAMPLE / "sample_mask.png", 1024, 2048)
    differ = _differ(before, _decoded(output))
    # Every 16x16 MCU the hole touches may be re-encoded; beyond them and the chroma ring,
    # nothing changes.
    touched = hole.reshape(64, 16, 128, 16).any(axis=(1, 3))  # (MCU rows, MCU columns)
    mcus = np.repeat(np.repeat(touched, 16, axis=0), 16, axis=1)
    assert differ.any() and not (differ & ~_ring(mcus)).any()


def test_auto_mask_keeps_the_patch_note(tmp_path, capsys):
    """With ``--auto`` the detector's note replaced the one saying the JPEG was patched."""
    from tests.synthetic import rig_panorama

    image, _ = rig_panorama(128, "tripod", 0)
    source = camera_style_jpeg(tmp_path / "shot.jpg", image)
    code = main(["inpaint", str(source), "--auto", "-g", "telea", "-o", str(tmp_path / "o.jpg"),
                 "--set", "auto_mask.detector=classical"])
    text = " ".join(capsys.readouterr().out.split())
    assert code == 0 and "auto mask" in text and "lossless JPEG" in text


def test_segments_parser_stops_at_the_first_non_app_segment():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "JPEG", exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08"
                                  + bytes(6))
    data = buffer.getvalue()
    segments, body = _app_segments(data)
    assert data[body : body + 2] == b"\xff\xdb"  # DQT
    assert b"JFIF" in segments and b"Exif" in segments


def test_pixels_of_another_shape_are_refused(tmp_path):
    source = _camera_jpeg(tmp_path / "cam.jpg")
    loaded = read_image(source)
    with pytest.raises(PatchUnavailable, match="uint8"):
        write_jpeg_patch(source, tmp_path / "o.jpg", loaded.pixels,
                         loaded.pixels.astype(np.float32))


@pytest.mark.parametrize("mcu", [(16, 16), (8, 16), (8, 8)])
@pytest.mark.parametrize("channels", [1, 3])
def test_changed_mcus_are_those_holding_a_differing_pixel(monkeypatch, mcu, channels):
    """Compared strip by strip (a small strip here, so several are skipped and several not),
    the MCUs found are exactly those with a differing pixel in any channel, partial edge MCUs
    included."""
    import pano_inpaint.io.jpeg_patch as jpeg_patch

    monkeypatch.setattr(jpeg_patch, "_STRIP_PIXELS", 2 * 100 * 16)
    rng = np.random.default_rng(5)
    before = rng.integers(0, 256, (99, 100, channels), np.uint8)  # 99 x 100: partial MCUs
    after = before.copy()
    for y, x in rng.integers(0, [99, 100], (12, 2)):  # single values, one channel each
        after[y, x, rng.integers(channels)] ^= 1
    after[98, 99, -1] ^= 4  # the bottom-right, partial MCU
    differs = (before != after).any(axis=2)
    rows, cols = -(-99 // mcu[0]), -(-100 // mcu[1])
    expected = np.zeros((rows, cols), bool)
    ys, xs = np.nonzero(differs)
    expected[ys // mcu[0], xs // mcu[1]] = True
    np.testing.assert_array_equal(_changed_mcus(before, after, mcu), expected)
    assert not _changed_mcus(before, before.copy(), mcu).any()


def test_the_patch_is_made_of_the_source_as_its_pixels_were_read(tmp_path, monkeypatch):
    """The command line starts reading the source's coefficients as the fill starts (off the
    fill's critical path): a source replaced during the fill does not leak into the output."""
    import threading

    import pano_inpaint.pipeline
    from pano_inpaint.io import jpeg_patch

    source = _camera_jpeg(tmp_path / "cam.jpg")
    original = _decoded(source)
    read = threading.Event()
    read_now = jpeg_patch._read_coefficients_now

    def read_and_tell(path):
        try:
            return read_now(path)
        finally:
            read.set()

    fill = pano_inpaint.pipeline.inpaint

    def fill_while_the_source_changes(*args, **kwargs):
        assert read.wait(30)  # read before the fill ends, not by the writer
        Image.fromarray(255 - original[..., ::-1]).save(source, quality=90)
        return fill(*args, **kwargs)

    monkeypatch.setattr(jpeg_patch, "_read_coefficients_now", read_and_tell)
    monkeypatch.setattr(pano_inpaint.pipeline, "inpaint", fill_while_the_source_changes)
    code = main(["inpaint", str(source), "--nadir", "30", "-g", "telea", "-o",
                 str(tmp_path / "out.jpg"), "-q"])
    assert code == 0
    top = _decoded(tmp_path / "out.jpg")[:16]  # far above the cap: MCUs copied
    assert np.array_equal(top, original[:16])


def test_coefficients_that_cannot_be_read_say_so_when_asked(tmp_path):
    from pano_inpaint.io.jpeg_patch import read_coefficients

    path = tmp_path / "not.jpg"
    write_image(tmp_path / "x.png", np.zeros((8, 16, 3), np.uint8))
    path.write_bytes((tmp_path / "x.png").read_bytes())
    pending = read_coefficients(path)
    with pytest.raises(PatchUnavailable, match="cannot read its coefficients"):
        write_jpeg_patch(path, tmp_path / "out.jpg", np.zeros((8, 16, 3), np.uint8),
                         np.zeros((8, 16, 3), np.uint8), coefficients=pending)


@pytest.mark.parametrize(("subsampling", "mode", "options"), [
    ("4:2:0", "RGB", {}), ("4:2:2", "RGB", {}), ("4:4:4", "L", {}),
    ("4:2:0", "RGB", {"progressive": True})])
def test_libjpeg_turbo_writes_the_bytes_jpeglibs_default_libjpeg_writes(
        tmp_path, monkeypatch, subsampling, mode, options):
    """The patch is read and written with libjpeg-turbo (faster) and its bytes are the ones
    jpeglib's default IJG libjpeg 6b writes: same coefficients, same optimised tables."""
    from jpeglib.dct_jpeg import DCTJPEG

    from pano_inpaint.io import jpeg_patch

    if not jpeg_patch._has_libjpeg(jpeg_patch._LIBJPEG):
        pytest.skip(f"this jpeglib has no {jpeg_patch._LIBJPEG}")
    source = _camera_jpeg(tmp_path / "cam.jpg", subsampling, mode, **options)
    loaded, filled = _fill(source)
    used = []
    write_dct = DCTJPEG.write_dct

    def recording(self, *args, **kwargs):
        used.append(jpeglib.version.get())
        return write_dct(self, *args, **kwargs)

    monkeypatch.setattr(DCTJPEG, "write_dct", recording)
    written = []
    for version in ("6b", jpeg_patch._LIBJPEG):
        monkeypatch.setattr(jpeg_patch, "_LIBJPEG", version)
        out = tmp_path / f"out_{version}.jpg"
        patch = write_jpeg_patch(source, out, loaded.pixels, filled)
        assert 0 < patch.replaced < patch.total
        written.append(out.read_bytes())
    assert used == ["6b", "turbo210"]
    assert written[0] == written[1]


def test_an_arithmetic_coded_source_is_patched_where_libjpeg_turbo_reads_it(tmp_path,
                                                                              monkeypatch):
    """libjpeg-turbo reads arithmetic coding, which IJG 6b refuses: with it such a source is
    patched like a progressive one (written Huffman-coded, blocks outside the fill kept);
    without it the caller is told to re-encode."""
    from pano_inpaint.io import jpeg_patch

    if not jpeg_patch._has_libjpeg(jpeg_patch._LIBJPEG):
        pytest.skip(f"this jpeglib has no {jpeg_patch._LIBJPEG}")
    pixels = cv2.cvtColor(_decoded(_camera_jpeg(tmp_path / "cam.jpg")), cv2.COLOR_BGR2RGB)
    source = tmp_path / "arith.jpg"
    with jpeglib.version(jpeg_patch._LIBJPEG):
        jpeglib.from_spatial(np.ascontiguousarray(pixels)).write_spatial(
            str(source), flags=["+ARITH_CODE"])
    assert b"\xff\xc9" in source.read_bytes()  # SOF9: arithmetic-coded baseline
    before = cv2.cvtColor(_decoded(source), cv2.COLOR_BGR2RGB)
    after = before.copy()
    after[:16, :16] = 0
    patch = write_jpeg_patch(source, tmp_path / "out.jpg", before, after)
    assert 0 < patch.replaced < patch.total
    out = (tmp_path / "out.jpg").read_bytes()
    assert b"\xff\xc9" not in out
    kept = cv2.cvtColor(_decoded(tmp_path / "out.jpg"), cv2.COLOR_BGR2RGB)
    assert np.array_equal(kept[32:, 32:], before[32:, 32:])
    monkeypatch.setattr(jpeg_patch, "_LIBJPEG", "6b")
    with pytest.raises(PatchUnavailable, match="cannot read its coefficients"):
        write_jpeg_patch(source, tmp_path / "out6b.jpg", before, after)

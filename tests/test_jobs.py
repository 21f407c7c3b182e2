"""File jobs: a single image's reads started ahead of its fill (read_ahead) and taken over."""

from __future__ import annotations

import threading

import numpy as np

from pano_inpaint import jobs
from pano_inpaint.cli import main
from pano_inpaint.config import PipelineConfig
from pano_inpaint.io import images, jpeg_patch, read_image, write_image
from pano_inpaint.masks import nadir_mask
from tests.synthetic import camera_style_jpeg, sphere_function_erp


def _count_reads(monkeypatch) -> list[str]:
    """What was read: the pixels (named by the thread ``read_image`` ran on, once it returned)
    and the coefficients, in order."""
    seen: list[str] = []
    read, coefficients = images.read_image, jpeg_patch._read_coefficients_now

    def reading(*args, **kwargs):
        try:
            return read(*args, **kwargs)
        finally:
            seen.append(f"pixels on {threading.current_thread().name}")

    def reading_coefficients(*args, **kwargs):
        seen.append("coefficients")
        return coefficients(*args, **kwargs)

    monkeypatch.setattr(images, "read_image", reading)
    monkeypatch.setattr(jpeg_patch, "_read_coefficients_now", reading_coefficients)
    return seen


def test_a_single_image_is_read_while_the_generator_loads_and_the_fill_takes_it_over(
        tmp_path, monkeypatch):
    source = camera_style_jpeg(tmp_path / "cam.jpg", sphere_function_erp(64, dtype=np.uint8))
    command = ["inpaint", str(source), "--nadir", "30", "-g", "telea", "-q", "-o"]
    seen = _count_reads(monkeypatch)
    assert main([*command, str(tmp_path / "ahead.jpg")]) == 0
    assert sorted(seen) == ["coefficients", "pixels on read-ahead"]  # once each, ahead

    seen.clear()  # read by the fill itself: the same file
    monkeypatch.setattr("pano_inpaint.batch.read_ahead", lambda *args: None)
    assert main([*command, str(tmp_path / "plain.jpg")]) == 0
    assert sorted(seen) == ["coefficients", "pixels on MainThread"]
    assert (tmp_path / "ahead.jpg").read_bytes() == (tmp_path / "plain.jpg").read_bytes()


def test_a_file_changed_after_its_read_ahead_is_read_again(tmp_path, monkeypatch):
    path = tmp_path / "pano.png"
    write_image(path, sphere_function_erp(64, dtype=np.uint8))
    seen = _count_reads(monkeypatch)
    jobs.read_ahead(path, tmp_path / "out.png")
    _wait_for(seen, 1)  # read ahead before the file changes
    changed = 255 - read_image(path).pixels
    write_image(path, np.ascontiguousarray(changed[:, ::-1]), overwrite=True)
    result = jobs.inpaint_file(path, tmp_path / "out.png", jobs.MaskSpec(nadir_degrees=30),
                               config=PipelineConfig(), generator="telea")
    assert seen == ["pixels on read-ahead", "pixels on MainThread"]
    keep = ~nadir_mask(64, 128, 30)
    written = read_image(tmp_path / "out.png").pixels
    assert np.array_equal(written[keep], np.ascontiguousarray(changed[:, ::-1])[keep])
    assert result.result is not None


def test_a_file_its_read_ahead_refused_is_not_decoded_again(tmp_path, monkeypatch, capfd):
    """A corrupt PNG was decoded twice (ahead, then by the fill), and libpng printed its
    complaint twice above the error."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    path = tmp_path / "short.png"  # whole chunks, too little image data: only libpng can tell
    header = struct.pack(">IIBBBBB", 128, 64, 8, 0, 0, 0, 0)  # 128x64 grey, 8 bits
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 129 * 10)) + chunk(b"IEND", b""))
    seen = _count_reads(monkeypatch)
    command = ["inpaint", str(path), "--nadir", "30", "-g", "telea", "-o",
               str(tmp_path / "out.png")]
    assert main(command) == 3
    assert seen == ["pixels on read-ahead"]
    err = capfd.readouterr().err
    assert err.count("Not enough image data") <= 1
    assert "corrupt or truncated PNG data" in err


def _wait_for(seen: list[str], count: int) -> None:
    for _ in range(1000):
        if len(seen) >= count:
            return
        threading.Event().wait(0.01)


def test_a_read_ahead_with_another_pixel_limit_is_not_taken(tmp_path, monkeypatch):
    path = tmp_path / "pano.png"
    write_image(path, sphere_function_erp(64, dtype=np.uint8))
    seen = _count_reads(monkeypatch)
    jobs.read_ahead(path, tmp_path / "out.png", max_pixels=10**9)
    jobs.inpaint_file(path, tmp_path / "out.png", jobs.MaskSpec(nadir_degrees=30),
                      config=PipelineConfig(), generator="telea", max_pixels=None)
    _wait_for(seen, 2)
    assert sorted(seen) == ["pixels on MainThread", "pixels on read-ahead"]


def test_a_refused_generator_leaves_no_read_ahead_running(tmp_path, monkeypatch):
    """The read started ahead has ended when the command returns its usage error, so the
    process does not exit with a reader inside the JPEG decoder."""
    source = camera_style_jpeg(tmp_path / "cam.jpg", sphere_function_erp(64, dtype=np.uint8))
    read, coefficients = images.read_image, jpeg_patch._read_coefficients_now
    ended: list[str] = []

    def slow(reader, name):
        def reading(*args, **kwargs):
            threading.Event().wait(0.5)  # still reading when the generator is refused
            try:
                return reader(*args, **kwargs)
            finally:
                ended.append(name)
        return reading

    monkeypatch.setattr(images, "read_image", slow(read, "pixels"))
    monkeypatch.setattr(jpeg_patch, "_read_coefficients_now", slow(coefficients, "coefficients"))
    command = ["inpaint", str(source), "--nadir", "30", "-q", "-o", str(tmp_path / "out.jpg")]
    assert main([*command, "-g", "no-such-generator"]) == 2
    assert sorted(ended) == ["coefficients", "pixels"]
    assert not jobs._READS_AHEAD
    assert not (tmp_path / "out.jpg").exists()


def test_file_id_is_one_for_every_name_of_a_file(tmp_path):
    """One rule for 'the same file' (batch had a copy of it that answered None where this
    one raised)."""
    real = tmp_path / "a.png"
    real.write_bytes(b"x")
    (tmp_path / "link.png").symlink_to(real)
    (tmp_path / "sub").mkdir()
    assert jobs.file_id(tmp_path / "link.png") == jobs.file_id(tmp_path / "sub" / ".." / "a.png")
    assert jobs.file_id(real) is not None and jobs.file_id(tmp_path / "gone.png") is None


def test_mask_command_outputs_lists_a_file_it_cannot_read_as_an_input(tmp_path):
    """In a folder's listing, a NAME_mask.png or NAME_preview.jpg beside NAME.png that cannot
    be read is no output of 'mask' (it fails with its own error when filled); the rule it
    shares with mask's -o check (is_mask_command_output) answers that check the other way."""
    pano = write_image(tmp_path / "shot.png", sphere_function_erp(32, dtype=np.uint8))
    mask = write_image(tmp_path / "shot_mask.png", nadir_mask(32, 64, 30).astype(np.uint8) * 255)
    broken = [tmp_path / "shot_preview.jpg", tmp_path / "hall_mask.png"]
    write_image(tmp_path / "hall.png", sphere_function_erp(32, dtype=np.uint8))
    for path in broken:
        path.write_bytes(b"not an image")
    assert jobs.mask_command_outputs([pano, mask, tmp_path / "hall.png", *broken]) == [mask]
    for path, kind in zip(broken, ("preview", "mask"), strict=True):
        assert not jobs.is_mask_command_output(path, kind, unreadable=False)
        assert jobs.is_mask_command_output(path, kind, unreadable=True)

"""``pano-inpaint mask`` and ``inpaint --auto``, in-process on tmp_path."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from pano_inpaint.cli import main
from pano_inpaint.config import AutoMaskConfig
from pano_inpaint.exit_codes import EXIT_BATCH_FAILED, EXIT_OUTPUT, EXIT_USAGE
from pano_inpaint.io import read_image, read_mask, write_image
from pano_inpaint.masks import nadir_mask, zenith_mask
from pano_inpaint.masks.auto import detect_rig
from pano_inpaint.masks.rigs import make_rig
from tests.synthetic import ground_rgb, rig_panorama, sphere_function_erp

H = 128
CLASSICAL = ["--detector", "classical"]


@pytest.fixture
def rig_file(tmp_path):
    image, truth = rig_panorama(H, "tripod", 0)
    path = tmp_path / "shot.png"
    write_image(path, image)
    return path, truth


def test_mask_writes_the_mask_a_preview_and_a_report(tmp_path, rig_file):
    path, truth = rig_file
    out, report = tmp_path / "masks", tmp_path / "masks.json"
    assert main(["mask", str(path), "-o", str(out), "--report", str(report), "-q",
                 *CLASSICAL]) == 0
    mask = read_mask(out / "shot_mask.png", H, 2 * H)
    assert (mask & truth).sum() / (mask | truth).sum() > 0.6
    preview = read_image(out / "shot_preview.jpg")
    assert preview.width == 2 * preview.height
    data = json.loads(report.read_text())[str(path)]
    assert data["confidence"] > 0.5 and data["cap25_ratio"] < 1 and data["warnings"] == []


def test_mask_without_room_for_its_preview_leaves_no_mask(tmp_path, rig_file, monkeypatch,
                                                          capsys):
    """On a full disk the preview failed after the mask was written: the image was reported
    failed, its mask stayed, and the same command then refused it as existing. Now an image's
    mask and preview are written together or not at all."""
    from pano_inpaint import mask_jobs
    from pano_inpaint.io import ImageWriteError

    def full(path, *args, **kwargs):
        raise ImageWriteError(path, "no space left on the device", "free some disk space")

    path, _ = rig_file
    out = tmp_path / "masks"
    monkeypatch.setattr(mask_jobs, "write_image", full)  # the preview; the mask is write_mask
    assert main(["mask", str(path), "-o", str(out), "-q", *CLASSICAL]) == EXIT_OUTPUT
    assert "shot_preview.jpg': no space left on the device" in capsys.readouterr().err
    assert not out.exists()
    monkeypatch.undo()
    assert main(["mask", str(path), "-o", str(out), "-q", *CLASSICAL]) == 0


def test_mask_writes_a_one_bit_png_that_every_reader_takes_alike(tmp_path, rig_file,
                                                                  monkeypatch):
    """The masks were 8-bit grey PNGs (0 / 255), which telling a mask from a photo in a --mask
    folder decodes whole (58 ms at 8192 x 4096); a 1-bit PNG is told from its header. Read
    back, the 1-bit mask is the 8-bit one's: read_image's pixels, read_mask, the web app's
    mask, and 'inpaint --mask FOLDER' fills byte-identical results from either."""
    from pano_inpaint.io import images
    from pano_inpaint.web.session import Session

    path, _ = rig_file
    out = tmp_path / "masks"
    assert main(["mask", str(path), "-o", str(out), "-q", "--dilate", "2", *CLASSICAL]) == 0
    written = out / "shot_mask.png"
    head = written.read_bytes()[:26]
    assert head[12:16] == b"IHDR" and head[24:26] == b"\x01\x00"  # 1-bit, grey
    mask = read_mask(written, H, 2 * H)
    assert 0 < mask.mean() < 0.5
    assert (read_image(written).pixels[..., 0] == mask * np.uint8(255)).all()
    eight_bit = tmp_path / "eight" / "shot_mask.png"
    eight_bit.parent.mkdir()
    write_image(eight_bit, mask.astype(np.uint8) * np.uint8(255))
    assert (read_mask(eight_bit, H, 2 * H) == mask).all()

    session = Session(tmp_path, tmp_path / "workspace")
    opened = session.open_file("shot.png")
    session.load_mask(opened, written, written.name)
    assert (opened.mask.snapshot() == mask).all()

    filled = []
    for masks in (out, eight_bit.parent):
        result = tmp_path / f"filled_{masks.name}"
        assert main(["inpaint", str(path), "--mask", str(masks), "-g", "telea", "-q",
                     "-o", str(result / "shot.png")]) == 0
        filled.append(read_image(result / "shot.png").pixels)
    assert (filled[0] == filled[1]).all()
    changed = np.any(filled[0] != read_image(path).pixels, axis=-1)
    assert changed.any() and not (changed & ~mask).any()

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded")

    monkeypatch.setattr(images, "read_image", no_decoding)
    assert images.file_looks_like_mask(written)


def test_mask_has_the_max_pixels_its_refusal_names(tmp_path, rig_file, capsys):
    """A panorama declaring more pixels than the limit failed 'raise the limit (--max-pixels,
    ...)', an option mask did not have ('No such option', exit 2). A limit under a panorama's
    size refuses it from its header (exit 3), one at its size does not."""
    from tests.bombs import write_bomb

    path, _ = rig_file
    bomb = write_bomb(tmp_path, ".png")
    out = tmp_path / "masks"
    assert main(["mask", str(bomb), "-o", str(out), "-q", *CLASSICAL]) == 3
    assert "--max-pixels" in capsys.readouterr().err
    assert main(["mask", str(path), "-o", str(out), "-q", "--max-pixels", str(H * H),
                 *CLASSICAL]) == 3
    text = " ".join(capsys.readouterr().err.split())
    assert f"declares {2 * H}x{H} pixels" in text and not (out / "shot_mask.png").exists()
    assert main(["mask", str(path), "-o", str(out), "-q", "--max-pixels", str(2 * H * H),
                 *CLASSICAL]) == 0
    assert (out / "shot_mask.png").is_file()


def test_mask_into_a_folder_under_a_file_is_one_line(tmp_path, rig_file, capsys):
    """-o notes.txt/masks (a file where a folder of the path should be) ended in a
    NotADirectoryError traceback, exit 1: now exit 4 and one line naming the file."""
    path, _ = rig_file
    (tmp_path / "notes.txt").write_text("keep")
    code = main(["mask", str(path), "-o", str(tmp_path / "notes.txt" / "masks"), "-q",
                 *CLASSICAL])
    err = capsys.readouterr().err
    assert code == EXIT_OUTPUT and err.count("\n") == 1 and "Traceback" not in err
    assert f"{tmp_path / 'notes.txt'} is a file, not a folder" in err
    assert (tmp_path / "notes.txt").read_text() == "keep"


def test_mask_leaves_no_empty_folder_when_every_image_fails(tmp_path, rig_file, capsys):
    """-o was made before the first image was read: with every image failed it was left
    behind empty, with the parents it made (eval and train leave none). A folder that was
    there stays."""
    (tmp_path / "cut.png").write_bytes(rig_file[0].read_bytes()[:100])
    for out in (tmp_path / "new" / "masks", tmp_path):
        assert main(["mask", str(tmp_path / "cut.png"), "-o", str(out), "-q", *CLASSICAL]) == 3
        assert "truncated" in capsys.readouterr().err
    assert not (tmp_path / "new").exists() and tmp_path.is_dir()


def test_mask_dilate_and_no_preview(tmp_path, rig_file):
    path, _ = rig_file
    main(["mask", str(path), "-o", str(tmp_path / "a"), "-q", "--no-preview", *CLASSICAL])
    main(["mask", str(path), "-o", str(tmp_path / "b"), "-q", "--dilate", "3", *CLASSICAL])
    a = read_mask(tmp_path / "a" / "shot_mask.png", H, 2 * H)
    b = read_mask(tmp_path / "b" / "shot_mask.png", H, 2 * H)
    assert not (tmp_path / "a" / "shot_preview.jpg").exists()
    assert (b >= a).all() and b.sum() > a.sum()


def test_mask_of_a_file_given_twice_is_made_once(tmp_path, rig_file, capsys, caplog):
    """'mask shot.png shot.png' (or shot.png and a link to it) ended 'shot.png and shot.png
    would both write shot_mask.png' (exit 4); inpaint fills such a file once, with a warning.
    mask does the same, and says 'masked', not 'filled' (a glob through a link too)."""
    path, _ = rig_file
    (tmp_path / "link.png").symlink_to(path.name)
    out = tmp_path / "masks"
    assert main(["mask", str(path), str(path), str(tmp_path / "link.png"), "-o", str(out),
                 "-q", "--report", str(tmp_path / "r.json"), *CLASSICAL]) == 0
    assert "given before, masked once" in caplog.text and "filled" not in caplog.text
    assert "1 masks, 0 failed" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["shot_mask.png", "shot_preview.jpg"]
    assert list(json.loads((tmp_path / "r.json").read_text())) == [str(path)]
    (tmp_path / "day").mkdir()
    (tmp_path / "day" / "up").symlink_to("..")
    assert main(["mask", str(tmp_path / "day" / "**" / "shot.png"), "-o",
                 str(tmp_path / "masks2"), "-q", *CLASSICAL]) == 0
    assert "matched before, masked once" in caplog.text


def test_mask_refuses_to_overwrite(tmp_path, rig_file):
    path, _ = rig_file
    out = tmp_path / "masks"
    out.mkdir()
    (out / "shot_mask.png").write_bytes(b"keep me")
    assert main(["mask", str(path), "-o", str(out), "-q", *CLASSICAL]) == EXIT_OUTPUT
    assert (out / "shot_mask.png").read_bytes() == b"keep me"
    assert not (out / "shot_preview.jpg").exists()
    assert main(["mask", str(path), "-o", str(out), "-q", "--overwrite", *CLASSICAL]) == 0


def test_mask_refuses_to_overwrite_before_drawing_its_progress(tmp_path, rig_file, capsys,
                                                              monkeypatch):
    """On a terminal an empty '0/1 steps' bar was drawn above the 'exists' refusal."""
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich draws the bar as on a terminal
    monkeypatch.setenv("TTY_INTERACTIVE", "1")
    path, _ = rig_file
    out = tmp_path / "masks"
    out.mkdir()
    (out / "shot_mask.png").write_bytes(b"keep me")
    assert main(["mask", str(path), "-o", str(out), *CLASSICAL]) == EXIT_OUTPUT
    err = " ".join(capsys.readouterr().err.split())
    assert err == f"error: {out / 'shot_mask.png'} exists; pass --overwrite to replace it"


def test_mask_report_never_replaces_an_input_or_an_existing_file(tmp_path, rig_file):
    """--report naming the input (or a mask it writes) wrote the JSON over it, exit 0, and an
    existing report was replaced without --overwrite. Refused before any work, as inpaint's."""
    path, _ = rig_file
    kept = path.read_bytes()
    out = tmp_path / "masks"
    assert main(["mask", str(path), "-o", str(out), "-q", "--report", str(path),
                 *CLASSICAL]) == EXIT_USAGE
    assert main(["mask", str(path), "-o", str(out), "-q", "--report",
                 str(out / "shot_mask.png"), *CLASSICAL]) == EXIT_USAGE
    report = tmp_path / "masks.json"
    report.write_text("{}")
    assert main(["mask", str(path), "-o", str(out), "-q", "--report", str(report),
                 *CLASSICAL]) == EXIT_OUTPUT
    assert path.read_bytes() == kept and report.read_text() == "{}"
    assert not (out / "shot_mask.png").exists()


def test_masks_written_beside_the_images_are_not_taken_for_panoramas(tmp_path, rig_file,
                                                                     capsys):
    """'mask shoot/ -o shoot/' run again (--overwrite) took its own shot_mask.png and
    shot_preview.jpg for panoramas and wrote shot_mask_mask.png, shot_preview_mask.png..."""
    path, _ = rig_file
    args = ["mask", str(tmp_path), "-o", str(tmp_path), "-q", *CLASSICAL]
    assert main(args) == 0
    mask = (tmp_path / "shot_mask.png").read_bytes()
    assert "skipped" not in capsys.readouterr().err
    assert main([*args, "--overwrite"]) == 0
    # Written by the run before, not this one (the warning said "this run's own").
    assert f"shot_mask.png, shot_preview.jpg: masks and previews already in {tmp_path} (not " \
        "panoramas), skipped" in " ".join(capsys.readouterr().err.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "shot.png", "shot_mask.png", "shot_preview.jpg"]
    assert (tmp_path / "shot_mask.png").read_bytes() == mask
    # Then filled with them: the preview was taken for a panorama ('no mask for
    # shot_preview.jpg', exit 1).
    out = tmp_path.parent / f"{tmp_path.name}_out"
    assert main(["inpaint", str(tmp_path), "--mask", str(tmp_path), "-g", "telea", "-q",
                 "-j", "1", "-o", str(out)]) == 0
    assert sorted(p.name for p in out.glob("shot*")) == ["shot.png"]


@pytest.mark.parametrize("auto", [[], ["--auto"]])
def test_masks_beside_the_images_and_a_mask_folder_apart(tmp_path, rig_file, caplog, auto):
    """'mask shoot/ -o shoot/', later 'mask shoot/ -o masks/', then 'inpaint shoot/ --mask
    masks/': shoot/shot_preview.jpg, an input until the listing drops it, looked for its mask
    in masks/ and took masks/shot_preview.jpg (mask's preview there, the same name): exit 3,
    'looks like a photo, not a mask, but is named as the mask of shoot/shot_preview.jpg'."""
    path, _ = rig_file
    masks = tmp_path.parent / f"{tmp_path.name}_masks"
    for folder in (tmp_path, masks):
        assert main(["mask", str(path), "-o", str(folder), "-q", *CLASSICAL]) == 0
    out = tmp_path.parent / f"{tmp_path.name}_out"
    assert main(["inpaint", str(tmp_path), "--mask", str(masks), *auto, "-o", str(out),
                 "-g", "telea", "-q", "-j", "1"]) == 0
    assert sorted(p.name for p in out.iterdir() if p.suffix != ".jsonl") == ["shot.png"]
    changed = np.any(read_image(out / "shot.png").pixels != read_image(path).pixels, axis=-1)
    assert np.array_equal(changed, changed & read_mask(masks / "shot_mask.png", H, 2 * H))
    warnings = [r.getMessage() for r in caplog.records if "not filled" in r.getMessage()]
    assert warnings == [f"{tmp_path / 'shot_mask.png'}, {tmp_path / 'shot_preview.jpg'}: 2 "
                        "inputs are masks and 'pano-inpaint mask' previews beside their "
                        "images, not filled"]


@pytest.mark.parametrize("hole", [["--nadir", "20"],
                                  ["--auto", "--set", "auto_mask.detector=classical"]])
def test_inpaint_over_a_folder_skips_what_mask_wrote_there_and_says_so(tmp_path, rig_file,
                                                                       caplog, hole):
    """'mask shoot/ -o shoot/', then 'inpaint shoot/ --nadir 20' (or --auto) filled
    shot_mask.png and shot_preview.jpg as panoramas; only --mask shoot/ told them apart. Now
    the folder's listing drops them with one warning naming them. Panoramas of the user's
    named like them (a photo hall_mask.png, a camera's 1024 x 512 hall_preview.jpg beside
    hall.png) are filled, and so is one of mask's files given by name."""
    from PIL import Image

    from pano_inpaint.io import ImageMetadata

    path, _ = rig_file
    assert main(["mask", str(tmp_path), "-o", str(tmp_path), "-q", *CLASSICAL]) == 0
    panorama = read_image(path).pixels
    write_image(tmp_path / "hall.png", np.roll(panorama, 60, axis=1))
    write_image(tmp_path / "hall_mask.png", np.roll(panorama, 90, axis=1))
    camera = Image.Exif()
    camera[271] = "RICOH"  # Make: a camera's file, without the mark
    wide = np.repeat(np.repeat(panorama, 4, axis=0), 4, axis=1)  # (512, 1024, 3)
    write_image(tmp_path / "hall_preview.jpg", wide, ImageMetadata(exif=camera.tobytes()))
    out = tmp_path.parent / f"{tmp_path.name}_out"
    assert main(["inpaint", str(tmp_path), *hole, "-o", str(out), "-g", "telea", "-q",
                 "-j", "1"]) == 0
    assert sorted(p.name for p in out.iterdir() if p.suffix != ".jsonl") == [
        "hall.png", "hall_mask.png", "hall_preview.jpg", "shot.png"]
    warnings = [r.getMessage() for r in caplog.records if "not filled" in r.getMessage()]
    assert warnings == [f"{tmp_path / 'shot_mask.png'}, {tmp_path / 'shot_preview.jpg'}: 2 "
                        "inputs are masks and 'pano-inpaint mask' previews beside their "
                        "images, not filled"]
    named = tmp_path.parent / f"{tmp_path.name}_named.png"
    assert main(["inpaint", str(tmp_path / "shot_mask.png"), "--nadir", "20", "-o",
                 str(named), "-g", "telea", "-q"]) == 0
    assert named.is_file()


def test_a_panorama_named_like_a_preview_is_filled_not_skipped(tmp_path, rig_file, capsys,
                                                                caplog):
    """hall_preview.jpg beside hall.png and hall_mask.png was dropped as 'a --mask's preview'
    by its name alone, a user's panorama with its own mask too; and 'mask' skipped it as its
    own preview, then wrote hall.png's preview over it with --overwrite. Only previews the tool
    wrote (marked so in their EXIF) are skipped now."""
    from PIL import Image

    from pano_inpaint.jobs import PREVIEW_SOFTWARE

    path, truth = rig_file
    assert main(["mask", str(tmp_path), "-o", str(tmp_path), "-q", *CLASSICAL]) == 0
    with Image.open(tmp_path / "shot_preview.jpg") as ours:
        assert ours.getexif().get(305) == PREVIEW_SOFTWARE
    panorama = read_image(path).pixels
    write_image(tmp_path / "shot_preview.jpg", np.roll(panorama, 40, axis=1), overwrite=True)
    write_image(tmp_path / "shot_preview_mask.png", truth.astype(np.uint8) * 255)
    out = tmp_path.parent / f"{tmp_path.name}_out"
    assert main(["inpaint", str(tmp_path), "--mask", str(tmp_path), "-g", "telea", "-q",
                 "-j", "1", "-o", str(out)]) == 0
    assert sorted(p.name for p in out.glob("shot*")) == ["shot.png", "shot_preview.jpg"]
    assert "preview, not filled" not in caplog.text
    # 'mask' would write shot.png's preview over it: refused, nothing written.
    kept = (tmp_path / "shot_preview.jpg").read_bytes()
    assert main(["mask", str(tmp_path), "-o", str(tmp_path), "-q", "--overwrite",
                 *CLASSICAL]) == EXIT_OUTPUT
    assert "shot_preview.jpg is a panorama, and the preview of shot.png would be written " \
        "over it" in capsys.readouterr().err
    assert (tmp_path / "shot_preview.jpg").read_bytes() == kept
    # A 1024 x 512 JPEG without EXIF (a panorama exported for the web, metadata stripped) is
    # the user's too: it was taken for a preview from before the mark, left out of a folder's
    # fill, and replaced by 'mask --overwrite'.
    wide = np.repeat(np.repeat(np.roll(panorama, 40, axis=1), 4, axis=0), 4, axis=1)
    write_image(tmp_path / "shot_preview.jpg", wide, overwrite=True)  # (512, 1024, 3)
    (tmp_path / "shot_preview_mask.png").unlink()
    kept = (tmp_path / "shot_preview.jpg").read_bytes()
    assert main(["mask", str(tmp_path), "-o", str(tmp_path), "-q", "--overwrite",
                 *CLASSICAL]) == EXIT_OUTPUT
    assert (tmp_path / "shot_preview.jpg").read_bytes() == kept
    caplog.clear()
    out = tmp_path.parent / f"{tmp_path.name}_out2"
    assert main(["inpaint", str(tmp_path), "--nadir", "20", "-g", "telea", "-q", "-j", "1",
                 "-o", str(out)]) == 0
    assert (out / "shot_preview.jpg").is_file() and "shot_preview.jpg" not in caplog.text


def test_mask_refuses_to_write_over_a_panorama_named_like_its_mask(tmp_path, rig_file,
                                                                   capsys):
    """Only a file that looks like a mask is 'mask''s own NAME_mask.png: shot_mask.png, a
    panorama beside shot.png, was skipped as one, then replaced by shot.png's mask with
    --overwrite. The mask is always written, so the run is refused before any work; a
    panorama named like a preview is masked like the others when no preview is written."""
    path, _ = rig_file
    panorama = read_image(path).pixels
    write_image(tmp_path / "shot_mask.png", np.roll(panorama, 40, axis=1))
    kept = (tmp_path / "shot_mask.png").read_bytes()
    for extra in ([], ["--overwrite", "--no-preview"]):
        assert main(["mask", str(tmp_path), "-o", str(tmp_path), "-q", *extra,
                     *CLASSICAL]) == EXIT_OUTPUT
        assert "shot_mask.png is a panorama, and the mask of shot.png would be written " \
            "over it" in capsys.readouterr().err
    assert (tmp_path / "shot_mask.png").read_bytes() == kept
    (tmp_path / "shot_mask.png").unlink()
    write_image(tmp_path / "shot_preview.jpg", np.roll(panorama, 40, axis=1))
    assert main(["mask", str(tmp_path), "-o", str(tmp_path), "-q", "--no-preview",
                 *CLASSICAL]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "shot.png", "shot_mask.png", "shot_preview.jpg", "shot_preview_mask.png"]


def test_mask_given_one_image_refuses_to_replace_a_panorama_named_like_its_outputs(
        tmp_path, rig_file, capsys):
    """The same refusal when the panorama is not among the inputs (the image given by name):
    'mask shot.png -o FOLDER --overwrite' replaced FOLDER's shot_mask.png or shot_preview.jpg,
    a panorama of the user's, with the mask or preview."""
    path, _ = rig_file
    panorama = read_image(path).pixels
    for name, kind in (("shot_mask.png", "mask"), ("shot_preview.jpg", "preview")):
        write_image(tmp_path / name, np.roll(panorama, 40, axis=1))
        kept = (tmp_path / name).read_bytes()
        assert main(["mask", str(path), "-o", str(tmp_path), "-q", "--overwrite",
                     *CLASSICAL]) == EXIT_OUTPUT
        assert f"{name} is a panorama, and the {kind} of shot.png would be written over it" \
            in capsys.readouterr().err
        assert (tmp_path / name).read_bytes() == kept
        (tmp_path / name).unlink()
    # its own outputs of an earlier run are replaced, as --overwrite says
    assert main(["mask", str(path), "-o", str(tmp_path), "-q", *CLASSICAL]) == 0
    assert main(["mask", str(path), "-o", str(tmp_path), "-q", "--overwrite", *CLASSICAL]) == 0


def test_mask_skips_its_outputs_it_cannot_read_and_keeps_them_without_overwrite(
        tmp_path, rig_file, capsys):
    """A file named as this run's mask or preview that cannot be read (cut short, another
    user's) is taken for an earlier run's: skipped, and replaced only with --overwrite. A
    mask was so, but a preview stopped the run as 'a panorama' (exit 4 even with
    --overwrite): the two had opposite rules for a file that cannot be read."""
    for name in ("shot_mask.png", "shot_preview.jpg"):
        (tmp_path / name).write_bytes(b"not an image")
    assert main(["mask", str(tmp_path), "-o", str(tmp_path), "-q", *CLASSICAL]) == EXIT_OUTPUT
    err = " ".join(capsys.readouterr().err.split())
    assert "shot_mask.png, shot_preview.jpg: masks and previews already in" in err
    assert "shot_mask.png exists; pass --overwrite" in err and "is a panorama" not in err
    assert all((tmp_path / name).read_bytes() == b"not an image"
               for name in ("shot_mask.png", "shot_preview.jpg"))
    assert main(["mask", str(tmp_path), "-o", str(tmp_path), "-q", "--overwrite",
                 *CLASSICAL]) == 0
    assert read_image(tmp_path / "shot_preview.jpg").width == 1024
    assert read_image(tmp_path / "shot_mask.png").width == 2 * H


def test_a_large_panorama_named_like_a_preview_is_no_traceback(tmp_path, rig_file, capsys,
                                                                 recwarn, monkeypatch):
    """Telling a preview from a panorama named so opened the file with Pillow, whose bomb
    check ended 'inpaint --mask FOLDER' and 'mask' in a DecompressionBombError traceback for
    a panorama of 179 MP or more (and printed a DecompressionBombWarning from 89 MP). Pillow's
    limits are lowered here so that a 256 x 128 panorama stands for such a file."""
    from PIL import Image

    path, truth = rig_file
    write_image(tmp_path / "shot_preview.jpg", read_image(path).pixels)
    write_image(tmp_path / "shot_mask.png", truth.astype(np.uint8) * 255)
    write_image(tmp_path / "shot_preview_mask.png", truth.astype(np.uint8) * 255)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 4 * H * H // 5)  # a bomb above 2x that
    out = tmp_path.parent / f"{tmp_path.name}_out"
    assert main(["inpaint", str(tmp_path), "--mask", str(tmp_path), "-g", "telea", "-q",
                 "-j", "1", "-o", str(out)]) == 0
    assert sorted(p.name for p in out.glob("shot*")) == ["shot.png", "shot_preview.jpg"]
    assert main(["mask", str(tmp_path), "-o", str(tmp_path), "-q", "--overwrite",
                 *CLASSICAL]) == EXIT_OUTPUT
    assert "shot_preview.jpg is a panorama" in capsys.readouterr().err
    assert not [w for w in recwarn if issubclass(w.category, Image.DecompressionBombWarning)]


def _shoot(tmp_path, count: int):
    """A folder of ``count`` panoramas of one tripod, each shot turned 37 columns (52 degrees)
    more than the one before."""
    folder = tmp_path / "shoot"
    folder.mkdir()
    rig = make_rig("tripod", np.random.default_rng(4))
    for i in range(count):
        image, _ = rig_panorama(H, "tripod", 10 + i, rig=rig, yaw_columns=37 * i)
        write_image(folder / f"p{i}.png", image)
    return folder

def test_mask_a_shoot_and_a_broken_file(tmp_path):
    folder = _shoot(tmp_path, 4)
    (folder / "broken.png").write_bytes(b"not a png")
    report = tmp_path / "r.json"
    code = main(["mask", str(folder), "-o", str(tmp_path / "m"), "--shoot", "-q",
                 "--report", str(report), *CLASSICAL])
    assert code == EXIT_BATCH_FAILED
    data = json.loads(report.read_text())
    yaws = [data[str(folder / f"p{i}.png")]["shoot_yaw_degrees"] for i in range(4)]
    np.testing.assert_allclose(yaws, [0, 52.0, 104.1, 156.1], atol=3)  # 37 columns = 52 deg
    assert sorted(p.name for p in (tmp_path / "m").glob("*_mask.png")) == [
        f"p{i}_mask.png" for i in range(4)]


def test_a_shoot_too_small_to_align_reports_no_yaw(tmp_path, capsys):
    """With fewer than three shots each keeps its own detection: no yaw was measured, yet every
    line said 'yaw +0.0 deg' (a shot turned 52 degrees too) and the report held that 0."""
    folder = _shoot(tmp_path, 2)
    report = tmp_path / "r.json"
    assert main(["mask", str(folder), "-o", str(tmp_path / "m"), "--shoot", "-q",
                 "--report", str(report), *CLASSICAL]) == 0
    captured = capsys.readouterr()
    assert "each keeps its own detection" in captured.err and "yaw" not in captured.out
    assert not [k for r in json.loads(report.read_text()).values() for k in r
                if k.startswith("shoot_")]


def test_unknown_detector_is_a_usage_error(tmp_path, rig_file):
    path, _ = rig_file
    assert main(["mask", str(path), "-o", str(tmp_path), "--detector", "magic"]) == EXIT_USAGE


def test_inpaint_auto_fills_the_detected_rig_only(tmp_path, rig_file):
    path, _ = rig_file
    out, report = tmp_path / "clean.png", tmp_path / "r.json"
    code = main(["inpaint", str(path), "--auto", "-o", str(out), "-g", "telea", "-q",
                 "--report", str(report), "--set", "auto_mask.detector=classical"])
    assert code == 0
    before, after = read_image(path).pixels, read_image(out).pixels
    detected = detect_rig(before, AutoMaskConfig(detector="classical")).mask
    changed = np.any(before != after, axis=-1)
    assert changed.any() and not (changed & ~detected).any()
    assert json.loads(report.read_text())["auto_mask"]["detector"] == "classical"


def test_a_painted_mask_wins_over_auto(tmp_path, rig_file):
    path, _ = rig_file
    painted = zenith_mask(H, 2 * H, 15)  # a logo on the sky, not the rig
    write_image(tmp_path / "m.png", painted.astype(np.uint8) * 255)
    out = tmp_path / "clean.png"
    assert main(["inpaint", str(path), "--auto", "--mask", str(tmp_path / "m.png"), "-o",
                 str(out), "-g", "telea", "-q"]) == 0
    changed = np.any(read_image(path).pixels != read_image(out).pixels, axis=-1)
    assert changed.any() and not (changed & ~painted).any()


def test_a_folder_of_masks_with_auto_for_the_missing_ones(tmp_path):
    shots, masks = tmp_path / "in", tmp_path / "masks"
    shots.mkdir()
    masks.mkdir()
    for name in ("a", "b"):
        write_image(shots / f"{name}.png", rig_panorama(H, "monopod", 3)[0])
    painted = nadir_mask(H, 2 * H, 3)
    write_image(masks / "a_mask.png", painted.astype(np.uint8) * 255)
    out = tmp_path / "out"
    args = ["inpaint", str(shots), "--mask", str(masks), "-o", str(out), "-g", "telea", "-q",
            "--set", "auto_mask.detector=classical"]
    assert main(args) == EXIT_BATCH_FAILED  # b has no mask
    assert main([*args, "--auto", "--overwrite"]) == 0
    changed = np.any(read_image(shots / "a.png").pixels != read_image(out / "a.png").pixels, -1)
    assert not (changed & ~painted).any()
    changed = np.any(read_image(shots / "b.png").pixels != read_image(out / "b.png").pixels, -1)
    assert (changed & ~painted).any()  # b got the detected monopod, wider than a's 3 degrees


def test_missing_detector_weights_fail_before_any_work(tmp_path, rig_file, capsys):
    path, _ = rig_file
    missing = ["--set", f"auto_mask.weights={tmp_path / 'none.pt'}"]
    assert main(["mask", str(path), "-o", str(tmp_path / "m"), "--detector", "learned",
                 *missing]) == EXIT_USAGE
    assert not (tmp_path / "m").exists()
    assert main(["inpaint", str(path), "--auto", "-o", str(tmp_path / "o.png"), "--set",
                 "auto_mask.detector=learned", *missing]) == EXIT_USAGE
    assert "cannot load its weights" in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()


def _unsure(find):
    """``find`` with its detections made unsure (a confidence of 0.4)."""
    def finding(*args, **kwargs):
        found = find(*args, **kwargs)
        return dataclasses.replace(found, confidence=0.4,
                                   warnings=[*found.warnings, "unsure: confidence 0.40"])
    return finding


def test_an_unsure_mask_says_where_to_check_it(tmp_path, rig_file, monkeypatch, capsys):
    path, _ = rig_file
    from pano_inpaint.masks import auto
    from pano_inpaint.masks.auto import detect

    monkeypatch.setattr(auto, "detect_rig", _unsure(auto.detect_rig))
    assert main(["inpaint", str(path), "--auto", "-o", str(tmp_path / "o.png"), "-g", "telea",
                 "--set", "auto_mask.detector=classical"]) == 0
    said = " ".join(capsys.readouterr().out.split())  # rich folds long lines
    assert "`pano-inpaint mask IMAGE -o FOLDER` writes it with a preview" in said

    monkeypatch.setattr(detect, "mask_from_probability", _unsure(detect.mask_from_probability))
    assert main(["mask", str(path), "-o", str(tmp_path / "m"), *CLASSICAL]) == 0
    said = "".join(capsys.readouterr().err.split())  # with its warning; rich folds the path
    assert f"preview:{tmp_path / 'm' / 'shot_preview.jpg'}" in said


def test_auto_on_a_panorama_without_a_rig_changes_nothing(tmp_path, capsys):
    # The shipped detector sees an unsure blob at the nadir of this rig-free ground; filling it
    # smeared the ground. Nothing is filled, the run says why and how to force it, exit 0.
    shots = tmp_path / "in"
    shots.mkdir()
    write_image(shots / "bare.png", sphere_function_erp(H, ground_rgb, dtype=np.uint8))
    write_image(shots / "rig.png", rig_panorama(H, "tripod", 0)[0])
    out = tmp_path / "out"
    assert main(["inpaint", str(shots / "bare.png"), "--auto", "-o", str(out / "one.png"),
                 "-g", "telea"]) == 0
    said = " ".join(capsys.readouterr().out.split())  # rich folds long lines
    assert "no rig taken" in said and "--set auto_mask.min_evidence=0" in said
    bare = read_image(shots / "bare.png").pixels
    assert (read_image(out / "one.png").pixels == bare).all()
    assert main(["inpaint", str(shots), "--auto", "-o", str(out), "-g", "telea", "-q"]) == 0
    notes = {Path(r["input"]).name: r["note"] for r in map(
        json.loads, (out / "pano-inpaint-manifest.jsonl").read_text().splitlines())}
    assert "no rig taken" in notes["bare.png"] and "no rig taken" not in notes["rig.png"]
    assert (read_image(out / "bare.png").pixels == bare).all()
    assert (read_image(out / "rig.png").pixels != read_image(shots / "rig.png").pixels).any()
    forced = ["--set", "auto_mask.min_evidence=0", "--overwrite"]
    assert main(["inpaint", str(shots / "bare.png"), "--auto", "-o", str(out / "one.png"),
                 "-g", "telea", "-q", *forced]) == 0
    assert (read_image(out / "one.png").pixels != bare).any()  # as before: the blob filled
    capsys.readouterr()
    assert main(["mask", str(shots / "bare.png"), "-o", str(tmp_path / "m"), "-q"]) == 0
    assert not read_mask(tmp_path / "m" / "bare_mask.png", H, 2 * H).any()
    assert "no rig taken" in " ".join(capsys.readouterr().err.split())
    # The preview outlines the find that was not taken (yellow), so the user can judge it.
    preview = read_image(tmp_path / "m" / "bare_preview.jpg").pixels.astype(int)
    half = preview.shape[1] // 2
    yellow = (preview[..., 0] > 180) & (preview[..., 1] > 180) & (preview[..., 2] < 100)
    assert not yellow[:, :half].any() and yellow[:, half:].sum() > 20


def test_ctrl_c_in_mask_says_what_was_written_and_what_to_do(tmp_path, monkeypatch, capsys):
    """It ended with exit 130 and nothing on the terminal (typer swallows the
    KeyboardInterrupt); a rerun as it was then refuses the masks written before the stop."""
    from pano_inpaint import mask_jobs

    images = []
    for name in ("a", "b"):
        images.append(tmp_path / f"{name}.png")
        write_image(images[-1], rig_panorama(H, "tripod", 0)[0])
    finish, calls = mask_jobs._finish, []

    def stopped_on_the_second(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return finish(*args, **kwargs)

    monkeypatch.setattr(mask_jobs, "_finish", stopped_on_the_second)
    out = tmp_path / "masks"
    args = ["mask", *map(str, images), "-o", str(out), "-q", *CLASSICAL]
    assert main(args) == 130
    text = " ".join(capsys.readouterr().err.split())
    assert ("interrupted: 2 of the 4 files written, none half-written; run the same command "
            "with --overwrite to make the masks") in text
    assert sorted(p.name for p in out.iterdir()) == ["a_mask.png", "a_preview.jpg"]
    monkeypatch.setattr(mask_jobs, "_finish", finish)
    assert main([*args, "--overwrite"]) == 0

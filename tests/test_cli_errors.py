"""Hostile and unlucky command lines (issue 14): each gets a clear one-line error and the
README's exit code, loses nothing, and never shows a traceback. Run in-process on tmp_path."""

from __future__ import annotations

import os
import signal
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

from pano_inpaint import jobs, pipeline
from pano_inpaint.cli import main
from pano_inpaint.exit_codes import EXIT_BATCH_FAILED, EXIT_INPUT, EXIT_OUTPUT, EXIT_USAGE
from pano_inpaint.io import read_image, read_mask, write_image
from pano_inpaint.masks import nadir_mask
from tests.bombs import write_bomb
from tests.synthetic import sphere_function_erp


@pytest.fixture
def pano(tmp_path):
    path = tmp_path / "pano.png"
    write_image(path, sphere_function_erp(32, dtype=np.uint8))
    return path


def _run(capsys, *args) -> tuple[int, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    text = " ".join((captured.out + captured.err).split())
    assert "Traceback" not in text
    return code, text


def _fill(capsys, pano, out, *extra) -> tuple[int, str]:
    return _run(capsys, "inpaint", pano, "--nadir", 20, "-g", "telea", "-o", out, "-q", *extra)


# ------------------------------------------------------------------ options checked up front


@pytest.mark.parametrize("degrees", ["200", "-5", "nan"])
def test_cap_outside_0_to_180_degrees(tmp_path, pano, capsys, degrees):
    code, text = _run(capsys, "inpaint", pano, f"--nadir={degrees}", "-o", tmp_path / "o.png")
    assert code == EXIT_USAGE and "--nadir is the radius" in text
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize(("setting", "words"), [
    ("generator.params.bogus=1", "bogus"),
    ("generator.params.patch_size=abc", "patch_size"),
])
def test_bad_generator_parameter(tmp_path, pano, capsys, setting, words):
    code, text = _run(capsys, "inpaint", pano, "--nadir", 20, "--set", setting, "-o",
                      tmp_path / "o.png")
    assert code == EXIT_USAGE and "patchmatch" in text and words in text


@pytest.mark.parametrize(("setting", "words"), [
    ("generator.name=unknown", "available: mean,"),
    ("generator.params.bogus=1", "bogus"),
    ("generator.params.patch_size=abc", "patch_size"),
    ("cube.pad=0", "cube.pad=0 is too narrow"),
    ("auto_mask.threshold=5", "auto_mask.threshold"),
    ("auto_mask.grow_degrees=-1", "auto_mask.grow_degrees"),
    ("auto_mask.refine_face_max=0", "auto_mask.refine_face_max"),
    # no upper bound: taken, and the fill never ended
    ("generator.params.iterations=1000000000000",
     "generator 'patchmatch': iterations must be at most 100, got 1000000000000"),
])
def test_dump_config_refuses_what_a_fill_refuses(tmp_path, pano, capsys, setting, words):
    """dump-config printed these configs (exit 0) that inpaint then refused (exit 2, or the
    auto_mask ones: found nothing, masked everything, or failed the fill as a bug); both now
    refuse them up front, with the same line."""
    code, text = _run(capsys, "dump-config", "--set", setting)
    assert code == EXIT_USAGE and words in text and "generator:" not in text
    assert _run(capsys, "inpaint", pano, "--nadir", 20, "--set", setting, "-o",
                tmp_path / "o.png", "-q") == (code, text)
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("command", ["inpaint", "mask", "check", "cubemap", "equirect"])
def test_max_pixels_below_one_is_a_usage_error(tmp_path, pano, capsys, command):
    """--max-pixels 0 (or -1) was exit 3 for the image, 'more than the limit of -0 megapixels',
    in all but inpaint; and a small limit read '128x64 pixels (0 megapixels), more than the
    limit of 0 megapixels ... at least 0.0 GB'."""
    args = {"inpaint": ["inpaint", pano, "--nadir", 20, "-o", tmp_path / "o.png"],
            "mask": ["mask", pano, "-o", tmp_path / "m"], "check": ["check", pano],
            "cubemap": ["cubemap", pano, "-o", tmp_path / "c"],
            "equirect": ["equirect", tmp_path / "c", "-o", tmp_path / "e.png"]}[command]
    if command == "equirect":
        assert _run(capsys, "cubemap", pano, "-o", tmp_path / "c")[0] == 0
    for limit in (0, -1):
        code, text = _run(capsys, *args, "--max-pixels", limit)
        assert code == EXIT_USAGE and f"must be at least 1, got {limit}" in text
    code, text = _run(capsys, *args, "--max-pixels", 100)
    size = "16x16 pixels (256" if command == "equirect" else "64x32 pixels (2,048"
    assert code == EXIT_INPUT and f"{size} pixels), more than the limit of 100 pixels" in text
    assert "megapixels" not in text and " 0.0 " not in text


@pytest.mark.parametrize("given", ["folder", "two files", "glob"])
def test_a_batch_into_an_image_name_is_a_usage_error(tmp_path, pano, capsys, given):
    """'inpaint shots/ -o clean.jpg' made a folder named clean.jpg and filled into it (exit
    0); a batch's -o must name a folder ('clean.jpg/' still may)."""
    shots = tmp_path / "shots"
    shots.mkdir()
    write_image(shots / "a.png", sphere_function_erp(32, dtype=np.uint8))
    inputs = {"folder": [shots], "two files": [pano, shots / "a.png"],
              "glob": [shots / "*.png"]}[given]
    fill = ["inpaint", *inputs, "--nadir", 20, "-g", "telea", "-q", "-j", 1, "-o"]
    code, text = _run(capsys, *fill, tmp_path / "clean.jpg")
    assert code == EXIT_USAGE and "names an image file, but the inputs are a batch" in text
    assert f"give a folder such as {tmp_path / 'clean'}/" in text
    assert not (tmp_path / "clean.jpg").exists()
    assert _run(capsys, *fill, f"{tmp_path / 'clean.jpg'}/")[0] == 0
    assert (tmp_path / "clean.jpg").is_dir()


@pytest.mark.parametrize("command", ["inpaint", "mask", "cubemap", "equirect", "demo"])
def test_output_to_standard_output_is_a_usage_error(tmp_path, pano, capsys, monkeypatch,
                                                    command):
    """'-o -' made a folder named '-' and wrote into it (exit 0; equirect: 'cannot write files
    without a suffix'); '> out.jpg' after it left an empty file."""
    monkeypatch.chdir(tmp_path)
    args = {"inpaint": ["inpaint", pano, "--nadir", 20], "mask": ["mask", pano],
            "cubemap": ["cubemap", pano], "equirect": ["equirect", tmp_path],
            "demo": ["demo", "--height", 16]}[command]
    code, text = _run(capsys, *args, "-o", "-")
    assert code == EXIT_USAGE and "'-' (standard output) is not supported" in text
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize(("command", "empty"), [
    (["inpaint", "{pano}", "--nadir", 20, "-o", ""], "-o"),
    (["inpaint", "{pano}", "--nadir", 20, "--output="], "--output"),
    (["inpaint", "{pano}", "-o", "o.png", "--mask", ""], "--mask"),
    (["inpaint", "{pano}", "--nadir", 20, "-o", "o.png", "--report", ""], "--report"),
    (["inpaint", "--nadir", 20, "-o", "o.png", "--", ""], "INPUTS"),
    (["mask", "{pano}", "-o", ""], "-o"),
    (["cubemap", "{pano}", "-o", ""], "-o"),
    (["demo", "--height", 16, "-o", ""], "-o"),
    (["train", "--data", "{pano}", "--out", ""], "--out"),
    (["train", "--out", "run", "--data", ""], "--data"),
    (["dump-config", "-c", ""], "-c"),
    (["serve", ""], "FOLDER"),
])
def test_an_empty_path_is_a_usage_error(tmp_path, pano, capsys, monkeypatch, command, empty):
    """'-o ""' (an unset variable: -o "$OUT") was Path('.'): inpaint, mask, cubemap, demo and
    train wrote into the working folder (exit 0), serve "" served it, an empty --mask read it."""
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    code, text = _run(capsys, *[str(pano) if arg == "{pano}" else arg for arg in command])
    assert (code, text) == (EXIT_USAGE, f"error: {empty} is empty; give a file or folder")
    assert sorted(tmp_path.rglob("*")) == before


def test_help_wins_over_an_empty_path(pano, capsys):
    code, text = _run(capsys, "inpaint", pano, "-o", "", "--help")
    assert code == 0 and "Usage:" in text and "is empty" not in text


def test_a_folder_whose_images_are_in_sub_folders_says_what_to_give(tmp_path, pano, capsys):
    """A shoot of day1/ and day2/ given as its folder was only 'no images in folder' (a folder
    is read without its sub-folders); the line now gives the globs that take them."""
    shoot = tmp_path / "shoot"
    for day in ("day1", "day2"):
        (shoot / day).mkdir(parents=True)
        write_image(shoot / day / "a.png", sphere_function_erp(32, dtype=np.uint8))
    (shoot / "day1" / "notes.txt").write_text("not an image")
    code, text = _fill(capsys, shoot, tmp_path / "out")
    glob = f"{shoot}/**/*.png"
    assert code == EXIT_INPUT and "its sub-folders hold 2" in text and f"give '{glob}'" in text
    assert _run(capsys, "inpaint", glob, "--nadir", 20, "-g", "telea", "-o", tmp_path / "out",
                "-q", "-j", 1)[0] == 0


def test_generator_option_takes_its_parameters(tmp_path, pano, capsys):
    """`-g telea --set generator.params.radius=0` used to drop the parameter silently."""
    code, text = _fill(capsys, pano, tmp_path / "o.png", "--set", "generator.params.radius=0")
    assert code == EXIT_USAGE and "radius must be > 0" in text
    code, _ = _fill(capsys, pano, tmp_path / "o.png", "--set", "generator.params.radius=3")
    assert code == 0


@pytest.mark.parametrize(("args", "words"), [
    (["--dilate", "-5"], "mask.dilate"),
    (["--set", "mask.max_fraction=2"], "mask.max_fraction"),
    (["--set", "blend.feather=-1"], "blend.feather"),
    (["--set", "cube.pad=100000"], "cube.pad"),
    (["--set", "cube.pad=2", "--set", "cube.interpolation=lanczos"], "cube.pad=2 is too narrow"),
    (["--set", "cube.pad=0"], "cube.pad=0 is too narrow"),
    # faces only enlarged (16384 for a 128-wide panorama: minutes and 19 GB of faces)
    (["--set", "cube.face_size=1024"], "cube.face_size=1024 is larger than the 64-pixel"),
])
def test_out_of_range_settings(tmp_path, pano, capsys, args, words):
    code, text = _fill(capsys, pano, tmp_path / "o.png", *args)
    assert code == EXIT_USAGE and words in text
    assert not (tmp_path / "o.png").exists()


def test_padding_wider_than_this_images_faces(tmp_path, pano, capsys):
    code, text = _fill(capsys, pano, tmp_path / "o.png", "--set", "cube.pad=9000")
    assert code == EXIT_USAGE and "larger than the face size" in text


def test_in_place_with_an_output(tmp_path, pano, capsys):
    before = pano.read_bytes()
    code, text = _fill(capsys, pano, tmp_path / "other.png", "--in-place")
    assert code == EXIT_USAGE and "not both" in text
    assert pano.read_bytes() == before and not (tmp_path / "other.png").exists()


@pytest.mark.parametrize("height", [2, 4])
def test_tiny_panorama(tmp_path, capsys, height):
    path = tmp_path / "tiny.png"
    write_image(path, np.full((height, 2 * height, 3), 128, np.uint8))
    code, text = _fill(capsys, path, tmp_path / "o.png")
    assert code == EXIT_INPUT and "too small" in text
    code, text = _run(capsys, "check", path)
    assert code == EXIT_INPUT and "too small" in text


def test_decompression_bomb(tmp_path, capsys):
    bomb = write_bomb(tmp_path, ".png")
    code, text = _fill(capsys, bomb, tmp_path / "o.png")
    assert code == EXIT_INPUT and "declares 100000x50000 pixels" in text
    code, _ = _fill(capsys, bomb, tmp_path / "o.png", "--max-pixels", 0)
    assert code == EXIT_USAGE


@pytest.mark.parametrize(("option", "weights", "words"), [
    ("--ablation", "missing.pt", "--ablation: weights file not found: {tmp}/missing.pt"),
    ("--candidate", "text.pt", "--candidate: {tmp}/text.pt is not a PyTorch weights file"),
])
@pytest.mark.parametrize("seams", [False, True], ids=["scored", "network-seams"])
def test_eval_net_weights_that_cannot_be_loaded_are_a_usage_error(tmp_path, pano, capsys,
                                                                  option, weights, words, seams):
    """eval-net scored a missing or foreign --ablation/--candidate as a method failing every
    case and exited 0 (with --network-seams: a WeightsError traceback); it is exit 2 before any
    work, as inpaint's weights."""
    (tmp_path / "text.pt").write_text("not weights")
    code, text = _run(capsys, "eval-net", tmp_path, "--out", tmp_path / "out", option,
                      tmp_path / weights, "--generators", "telea", "--peers", "none",
                      *(["--network-seams"] if seams else []))
    assert code == EXIT_USAGE and words.format(tmp=tmp_path) in text
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("files", ["none", "unreadable"])
def test_eval_net_seams_without_a_readable_panorama(tmp_path, pano, capsys, files):
    """eval-net --network-seams printed seam ratios of 1.000 for a folder without panoramas
    and exited 0, and a truncated panorama was an ImageReadError traceback; both are exit 1
    with one line, as eval-net without it (an unreadable panorama among others is left out)."""
    shots = tmp_path / "shots"
    shots.mkdir()
    if files == "unreadable":
        (shots / "cut.png").write_bytes(pano.read_bytes()[:200])
    code, text = _run(capsys, "eval-net", shots, "--out", tmp_path / "out", "--network-seams")
    assert code == 1 and text.count("error:") == 1 and "seam ratio" not in text
    if files == "none":
        assert f"error: no panoramas in {shots}" in text
    else:
        assert f"error: no readable panoramas in {shots} (cannot read" in text


# ------------------------------------------------------------------------ the report file


def test_report_cannot_replace_an_input(tmp_path, pano, capsys):
    before = pano.read_bytes()
    code, text = _fill(capsys, pano, tmp_path / "o.png", "--report", pano, "--overwrite")
    assert code == EXIT_USAGE and "would replace" in text
    assert pano.read_bytes() == before and not (tmp_path / "o.png").exists()


def test_existing_report_needs_overwrite(tmp_path, pano, capsys):
    report = tmp_path / "r.json"
    report.write_text("keep me")
    code, text = _fill(capsys, pano, tmp_path / "o.png", "--report", report)
    assert code == EXIT_OUTPUT and "--overwrite" in text and report.read_text() == "keep me"
    code, _ = _fill(capsys, pano, tmp_path / "o.png", "--report", report, "--overwrite")
    assert code == 0 and report.read_text().startswith("{")


def test_unwritable_report_folder_fails_before_any_fill(tmp_path, pano, capsys):
    """Found out before filling (it used to fail with a traceback after the image was
    written). A file where the report's folder should be is unwritable even for root."""
    (tmp_path / "blocker").write_text("")
    code, text = _fill(capsys, pano, tmp_path / "o.png", "--report",
                       tmp_path / "blocker" / "r.json")
    assert code == EXIT_OUTPUT and "cannot write the report" in text
    assert not (tmp_path / "o.png").exists()


def test_report_that_fails_at_the_end_is_an_output_error(tmp_path, pano, capsys, monkeypatch):
    from pano_inpaint import batch

    def denied(path, data):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(batch, "write_json", denied)
    code, text = _fill(capsys, pano, tmp_path / "o.png", "--report", tmp_path / "r.json")
    assert code == EXIT_OUTPUT and "the results were written, but not the report" in text
    assert (tmp_path / "o.png").exists()


def test_a_failed_fill_leaves_the_earlier_report(tmp_path, pano, capsys):
    """A single image that was not filled wrote '{}' as its report: with --overwrite, over the
    report of the output it left as it was."""
    report = tmp_path / "r.json"
    assert _fill(capsys, pano, tmp_path / "o.png", "--report", report)[0] == 0
    kept, image = report.read_text(), (tmp_path / "o.png").read_bytes()
    code, _ = _run(capsys, "inpaint", pano, "--nadir", 170, "-g", "telea", "-o",
                   tmp_path / "o.png", "-q", "--report", report, "--overwrite")
    assert code == EXIT_INPUT
    assert report.read_text() == kept and (tmp_path / "o.png").read_bytes() == image
    code, _ = _run(capsys, "inpaint", pano, "--nadir", 170, "-g", "telea", "-o",
                   tmp_path / "o2.png", "-q", "--report", tmp_path / "r2.json")
    assert code == EXIT_INPUT and not (tmp_path / "r2.json").exists()


# ----------------------------------------------------------------------- outputs and batches


@pytest.mark.parametrize("name", ["cleaned/", "cleaned"])
def test_output_folder_for_one_input(tmp_path, pano, capsys, name):
    code, _ = _fill(capsys, pano, f"{tmp_path}/{name}")
    assert code == 0 and (tmp_path / "cleaned" / "pano.png").is_file()


def test_unknown_output_suffix(tmp_path, pano, capsys):
    code, text = _fill(capsys, pano, tmp_path / "o.bmp")
    assert code == EXIT_USAGE and "cannot write .bmp" in text


def test_recursive_glob_keeps_sub_folders_apart(tmp_path, capsys):
    for day, value in (("day1", 60), ("day2", 200)):
        (tmp_path / "shoot" / day).mkdir(parents=True)
        write_image(tmp_path / "shoot" / day / "IMG_0001.png",
                    np.full((32, 64, 3), value, np.uint8))
    code, _ = _run(capsys, "inpaint", f"{tmp_path}/shoot/**/*.png", "--nadir", 20, "-g",
                   "telea", "-o", tmp_path / "out", "-q")
    assert code == 0
    for day, value in (("day1", 60), ("day2", 200)):
        assert read_image(tmp_path / "out" / day / "IMG_0001.png").pixels[0, 0, 0] == value


def test_batch_outputs_that_would_collide(tmp_path, pano, capsys, monkeypatch):
    images = [jobs.InputImage(tmp_path / "a" / "x.png", Path("x.png")),
              jobs.InputImage(tmp_path / "b" / "x.png", Path("x.png"))]
    with pytest.raises(jobs.JobError, match="would both be written") as info:
        jobs.plan_outputs(images, str(tmp_path / "out"), batch=True, in_place=False)
    assert info.value.code == EXIT_USAGE


def _batch(tmp_path, count=3) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(count):
        write_image(folder / f"p{i}.png", sphere_function_erp(32, dtype=np.uint8))
    return folder


@pytest.mark.parametrize(("error", "single_code"), [
    (RuntimeError("boom"), EXIT_BATCH_FAILED),
    (MemoryError(), EXIT_INPUT),
])
def test_a_failing_image_does_not_stop_the_batch(tmp_path, capsys, monkeypatch, error,
                                                 single_code):
    fill = pipeline.inpaint

    def flaky(erp, mask, **kwargs):
        if flaky.calls == 0:
            flaky.calls += 1
            raise error
        return fill(erp, mask, **kwargs)

    flaky.calls = 0
    monkeypatch.setattr(pipeline, "inpaint", flaky)
    folder = _batch(tmp_path)
    code, text = _run(capsys, "inpaint", folder, "--nadir", 20, "-g", "telea", "-o",
                      tmp_path / "out", "-q", "-j", 1)  # -j 1: the patch reaches no worker
    assert code == EXIT_BATCH_FAILED and "2 filled, 1 failed" in text
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == ["p1.png", "p2.png"]
    flaky.calls = 0
    code, _ = _fill(capsys, folder / "p0.png", tmp_path / "single.png")
    assert code == single_code


def test_the_hostile_cases_script_injects_its_failure_into_the_fill(tmp_path, monkeypatch):
    """``benchmarks/hostile_cases.py`` re-runs the failing-fill cases from the command line with
    the failure patched into ``pipeline.inpaint``; it patched a name jobs no longer has (jobs
    imports the fill where it fills), so those cases printed an AttributeError's traceback
    and counted as wrong. The single-image MemoryError case gives its exit code with a
    message."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1]))
    from benchmarks import hostile_cases

    folder = tmp_path / "case"
    case = next(c for c in hostile_cases._cases(hostile_cases._make_files(folder))
                if c.name == "MemoryError, one image (injected)")
    code, _, _, first = hostile_cases.run_case(case, folder)
    assert code == EXIT_INPUT and "not enough memory" in first, first


def test_an_output_folder_that_cannot_be_made_fails_that_image_only(tmp_path, capsys,
                                                                    monkeypatch):
    for day in ("day1", "day2"):
        (tmp_path / "shoot" / day).mkdir(parents=True)
        write_image(tmp_path / "shoot" / day / "p.png", sphere_function_erp(32, dtype=np.uint8))
    mkdir = Path.mkdir

    def denied(self, *args, **kwargs):
        if self.name == "day1":
            raise PermissionError(13, "Permission denied", str(self))
        return mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", denied)
    code, text = _run(capsys, "inpaint", f"{tmp_path}/shoot/**/*.png", "--nadir", 20, "-g",
                      "telea", "-o", tmp_path / "out", "-q", "-j", 1)
    assert code == EXIT_BATCH_FAILED and "Permission denied" in text
    assert (tmp_path / "out" / "day2" / "p.png").is_file()


def test_a_file_where_an_output_folder_should_be_fails_that_image_only(tmp_path, capsys):
    """``mkdir`` raised FileExistsError, reported as "output ... exists; pass --overwrite"."""
    for day in ("day1", "day2"):
        (tmp_path / "shoot" / day).mkdir(parents=True)
        write_image(tmp_path / "shoot" / day / "p.png", sphere_function_erp(32, dtype=np.uint8))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "day1").write_text("a file in the way")
    code, text = _run(capsys, "inpaint", f"{tmp_path}/shoot/**/*.png", "--nadir", 20, "-g",
                      "telea", "-o", tmp_path / "out", "-q")
    assert code == EXIT_BATCH_FAILED and "--overwrite" not in text
    assert f"{tmp_path / 'out' / 'day1'} is a file, not a folder" in text
    assert (tmp_path / "out" / "day2" / "p.png").is_file()


# -------------------------------------------------------------------------- writing in place


def test_in_place_keeps_the_files_mode(tmp_path, pano, capsys):
    pano.chmod(0o640)
    code, _ = _run(capsys, "inpaint", pano, "--nadir", 20, "-g", "telea", "--in-place", "-q")
    assert code == 0 and stat.S_IMODE(pano.stat().st_mode) == 0o640


def test_in_place_through_a_symbolic_link_keeps_the_link(tmp_path, pano, capsys):
    link = tmp_path / "link.png"
    link.symlink_to(pano)
    before = pano.read_bytes()
    code, _ = _run(capsys, "inpaint", link, "--nadir", 20, "-g", "telea", "--in-place", "-q")
    assert code == 0 and link.is_symlink() and os.readlink(link) == str(pano)
    assert pano.read_bytes() != before  # the file the link points to was filled


def test_stale_temporary_files_of_killed_runs_are_removed(tmp_path, pano, capsys):
    stale = tmp_path / ".o.png.999999999-0badc0de.tmp"  # no such process
    stale.write_bytes(b"half an image")
    old = tmp_path / ".o.png.0badc0de.tmp"  # an older naming, two days old
    old.write_bytes(b"half an image")
    os.utime(old, (0, 0))
    mine = tmp_path / f".o.png.{os.getpid()}-0badc0de.tmp"  # a live process's
    mine.write_bytes(b"being written")
    code, _ = _fill(capsys, pano, tmp_path / "o.png")
    assert code == 0 and not stale.exists() and not old.exists() and mine.exists()


# --------------------------------------------------------------------------------- masks


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_zero_one_mask_takes_one_as_the_hole(tmp_path, dtype):
    hole = nadir_mask(32, 64, 20)
    path = write_image(tmp_path / "m.png", hole.astype(dtype))
    assert np.array_equal(read_mask(path, 32, 64), hole)


@pytest.mark.parametrize(("content", "words"), [
    (b"\xff\xd8\xff\xe0 a JPEG given as the config", "not UTF-8 text"),
    ("generator:\n  name: telea\n".encode("utf-16"), "save the YAML as UTF-8"),
    (b"generator: {name: telea\nmask: [\n", "not valid YAML: expected ',' or '}'"),
    (None, "cannot read"),  # a folder
], ids=["binary", "utf-16", "invalid", "folder"])
@pytest.mark.parametrize("command", ["inpaint", "train"])
def test_a_config_that_is_not_yaml_text_is_one_line(tmp_path, pano, capsys, content, words,
                                                    command):
    """A binary or UTF-16 file given as --config ended in a UnicodeDecodeError traceback
    (inpaint; train printed the codec's message), a folder in IsADirectoryError (train), and
    invalid YAML printed PyYAML's three lines with a caret."""
    config = tmp_path / "c.yaml"
    if content is None:
        config.mkdir()
    else:
        config.write_bytes(content)
    args = (["inpaint", pano, "--nadir", 20, "-o", tmp_path / "o.png"] if command == "inpaint"
            else ["train", "--data", tmp_path, "--out", tmp_path / "run"])
    code, text = _run(capsys, *args, "--config", config)
    assert code == EXIT_USAGE and words in text and text.count("error:") == 1
    assert "^" not in text and "codec" not in text and "Errno" not in text
    assert not (tmp_path / "o.png").exists() and not (tmp_path / "run").exists()


def test_an_override_that_is_not_a_yaml_value_is_refused(tmp_path, pano, capsys):
    """--set mask.dilate=[1 ended in a yaml.parser.ParserError traceback; a missing --config
    said '[Errno 2] No such file or directory'."""
    code, text = _run(capsys, "inpaint", pano, "--nadir", 20, "-o", tmp_path / "o.png",
                      "--set", "mask.dilate=[1")
    assert code == EXIT_USAGE and "'[1' is not a YAML value" in text
    code, text = _run(capsys, "inpaint", pano, "--nadir", 20, "-o", tmp_path / "o.png",
                      "--config", tmp_path / "missing.yaml")
    assert code == EXIT_USAGE and "cannot read" in text and "Errno" not in text


@pytest.mark.parametrize("weights", ["missing.pt", "pano.png"])
def test_weights_that_are_no_weights_file_are_refused_before_the_fill(tmp_path, pano, capsys,
                                                                      weights):
    """A missing weights file failed the first fill as 'the generator failed (WeightsError:
    ...); this is a bug, please report it' (exit 1); an image given as the weights printed
    torch's dozen lines on weights_only, for the net and for the rig detector."""
    pytest.importorskip("torch")
    path = tmp_path / weights
    code, text = _run(capsys, "inpaint", pano, "--nadir", 20, "-g", "net", "-o",
                      tmp_path / "o.png", "--set", f"generator.params.weights={path}")
    assert code == EXIT_USAGE and ("not found" in text or "not a PyTorch weights" in text)
    assert "bug" not in text and not (tmp_path / "o.png").exists()
    code, text = _run(capsys, "inpaint", pano, "--auto", "-g", "telea", "-o",
                      tmp_path / "o.png", "--set", f"auto_mask.weights={path}")
    assert code == EXIT_USAGE and "weights_only" not in text and len(text) < 300


def test_weights_torch_cannot_read_are_a_config_error_at_the_fill(tmp_path, pano, capsys):
    """A zip archive that is no torch file passes the check before work and fails as the
    network loads, at the first fill: that was 'the generator failed (WeightsError: ...); this
    is a bug, please report it' (exit 1); it is the configuration's fault (2), saying what to
    give."""
    pytest.importorskip("torch")
    import zipfile

    weights = tmp_path / "bad.pt"
    with zipfile.ZipFile(weights, "w") as archive:
        archive.writestr("x", "not a state dict")
    code, text = _run(capsys, "inpaint", pano, "--nadir", 20, "-g", "net", "-o",
                      tmp_path / "o.png", "--set", f"generator.params.weights={weights}")
    assert code == EXIT_USAGE and text.count("error:") == 1
    assert "bug" not in text and "generator.params.weights" in text and "net.pt" in text
    assert not (tmp_path / "o.png").exists()


def test_a_mask_with_the_hole_erased_is_filled_and_an_unclear_one_refused(tmp_path, pano,
                                                                          capsys):
    """A black layer with the hole erased was read inverted: 'the mask covers 95% of the
    sphere' (exit 3). A mask whose alpha leaves the hole unclear is exit 3 saying what to give."""
    hole = nadir_mask(32, 64, 20)
    rgba = np.zeros((32, 64, 4), np.uint8)
    rgba[..., 3] = np.where(hole, 0, 255)
    mask = write_image(tmp_path / "m.png", rgba)
    code, text = _run(capsys, "inpaint", pano, "--mask", mask, "-g", "telea", "-o",
                      tmp_path / "o.png", "-q")
    assert code == 0 and "covers" not in text
    filled = read_image(tmp_path / "o.png").pixels
    np.testing.assert_array_equal(filled[~hole], read_image(pano).pixels[~hole])
    rgba[:16, :, 3] = 0
    rgba[16:, :, 3] = 255
    write_image(mask, rgba, overwrite=True)
    code, text = _run(capsys, "inpaint", pano, "--mask", mask, "-g", "telea", "-o",
                      tmp_path / "o2.png", "-q")
    assert code == EXIT_INPUT and text.count("error:") == 1 and "without alpha" in text
    assert not (tmp_path / "o2.png").exists()


def test_zero_one_mask_is_filled(tmp_path, pano, capsys):
    hole = nadir_mask(32, 64, 20)
    mask = write_image(tmp_path / "m.png", hole.astype(np.uint8))
    code, text = _run(capsys, "inpaint", pano, "--mask", mask, "-g", "telea", "-o",
                      tmp_path / "o.png", "-q")
    assert code == 0 and "empty mask" not in text


def _shot_beside_its_mask(tmp_path, image_name: str, mask_name: str):
    """A folder ``shots`` holding a 32x64 panorama and, beside it, its mask (a 30-degree
    nadir cap): the folder, the panorama's pixels, the hole and the mask's path."""
    shots = tmp_path / "shots"
    shots.mkdir()
    image = sphere_function_erp(32, dtype=np.uint8)
    write_image(shots / image_name, image)
    hole = nadir_mask(32, 64, 30)
    mask = write_image(shots / mask_name, hole.astype(np.uint8) * 255)
    return shots, image, hole, mask


@pytest.mark.parametrize("in_place", [False, True])
def test_masks_beside_their_images_are_masks_not_panoramas(tmp_path, capsys, in_place):
    """``--mask`` naming the images' folder: a.png was its own mask (its light pixels the
    hole) and a_mask.png was filled as a panorama, with itself for its mask."""
    shots, image, hole, mask = _shot_beside_its_mask(tmp_path, "a.png", "a_mask.png")
    kept = mask.read_bytes()
    out = ["--in-place"] if in_place else ["-o", tmp_path / "out"]
    code, _ = _run(capsys, "inpaint", shots, "--mask", shots, "-g", "telea", "-q", "-j", 1, *out)
    assert code == 0 and mask.read_bytes() == kept
    result = shots / "a.png" if in_place else tmp_path / "out" / "a.png"
    changed = np.any(read_image(result).pixels != image, axis=-1)
    assert changed.any() and not (changed & ~hole).any()
    if not in_place:
        assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == ["a.png"]


def test_a_mask_named_like_its_image_beside_it_is_its_mask(tmp_path, capsys):
    """The README's layout, IMG_001.png (a mask) beside IMG_001.jpg, with --mask naming their
    folder: each was taken for the other's mask, and the run ended 'every input is a --mask'."""
    shots, image, hole, mask = _shot_beside_its_mask(tmp_path, "IMG_001.jpg", "IMG_001.png")
    kept = mask.read_bytes()
    code, _ = _run(capsys, "inpaint", shots, "--mask", shots, "-g", "telea", "-q", "-j", 1,
                   "-o", tmp_path / "out")
    assert code == 0 and mask.read_bytes() == kept
    assert sorted(p.name for p in (tmp_path / "out").glob("IMG*")) == ["IMG_001.jpg"]


def test_a_panorama_named_like_another_beside_it_is_not_its_mask(tmp_path, capsys):
    """a.jpg and a.png, both photos, with --mask naming their folder: each was taken for the
    other's mask. Neither is: with no mask there each says so (and what to name one); with
    a_mask.png beside them both are filled."""
    shots = tmp_path / "shots"
    shots.mkdir()
    write_image(shots / "a.jpg", sphere_function_erp(32, dtype=np.uint8))
    write_image(shots / "a.png", sphere_function_erp(32, dtype=np.uint8)[:, ::-1])
    kept = {path.name: path.read_bytes() for path in shots.iterdir()}
    code, text = _run(capsys, "inpaint", shots, "--mask", shots, "-g", "telea", "-q", "-j", 1,
                      "-o", tmp_path / "out")
    assert code == EXIT_BATCH_FAILED and "not filled" not in text
    assert "no mask for a.jpg in" in text and "a.png there looks like a photo" in text
    assert "expected a_mask.png" in text
    code, text = _run(capsys, "inpaint", shots / "a.jpg", "--mask", shots, "-g", "telea",
                      "-q", "-o", tmp_path / "one.jpg")
    assert code == EXIT_INPUT and "a.png there looks like a photo" in text
    write_image(shots / "a_mask.png", nadir_mask(32, 64, 30).astype(np.uint8) * 255)
    code, _ = _run(capsys, "inpaint", shots, "--mask", shots, "-g", "telea", "-q", "-j", 1,
                   "-o", tmp_path / "out2")
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "out2").glob("a*")) == ["a.jpg", "a.png"]
    assert all((shots / name).read_bytes() == data for name, data in kept.items())


@pytest.mark.parametrize("name", ["a_mask.png", "a.mask.jpg"])
def test_a_photo_named_as_the_mask_of_an_image_beside_it_stops_the_run(tmp_path, capsys, name):
    """a_mask.png, a photo, beside a.jpg with --mask naming their folder was a.jpg's mask
    unread: its light half filled as the hole (exit 0), and it was not filled either. The run
    stops before any work, naming the file and what to do, for the folder and the one image."""
    shots = tmp_path / "shots"
    shots.mkdir()
    write_image(shots / "a.jpg", sphere_function_erp(32, dtype=np.uint8))
    write_image(shots / name, sphere_function_erp(32, dtype=np.uint8)[:, ::-1])
    kept = {path.name: path.read_bytes() for path in shots.iterdir()}
    for inputs in (shots, shots / "a.jpg"):
        code, text = _run(capsys, "inpaint", inputs, "--mask", shots, "-g", "telea", "-q",
                          "-j", 1, "-o", tmp_path / "out")
        assert code == EXIT_INPUT and "Traceback" not in text
        assert f"{shots / name} looks like a photo, not a mask" in text
        assert f"of {shots / 'a.jpg'}:" in text
        assert "rename it" in text and not (tmp_path / "out").exists()
    assert {path.name: path.read_bytes() for path in shots.iterdir()} == kept


@pytest.mark.parametrize("name", ["a.png", "a_mask.png", "a.mask.jpg"])
def test_a_photo_in_a_folder_of_masks_apart_stops_the_run(tmp_path, capsys, name):
    """'inpaint shots/ --mask masks/' took masks/a.png (or a_mask.png), a photo, for a.jpg's
    mask unread: its light part filled as the hole (a shared panorama's 34 %: exit 0). Refused
    as beside the image, before any work; masks there (grey, 1-bit) are used as before."""
    from PIL import Image

    shots, masks = tmp_path / "shots", tmp_path / "masks"
    shots.mkdir()
    masks.mkdir()
    for stem in ("a", "b"):
        write_image(shots / f"{stem}.jpg", sphere_function_erp(32, dtype=np.uint8))
    write_image(masks / name, sphere_function_erp(32, dtype=np.uint8)[:, ::-1])
    Image.fromarray(nadir_mask(32, 64, 30)).convert("1").save(masks / "b.png")
    for inputs in (shots, shots / "a.jpg"):
        code, text = _run(capsys, "inpaint", inputs, "--mask", masks, "-g", "telea", "-q",
                          "-j", 1, "-o", tmp_path / "out")
        assert code == EXIT_INPUT and text.count("error:") == 1
        # Both paths, not the image's bare name: which a.jpg, of which shoot, is the user's.
        assert f"{masks / name} looks like a photo, not a mask, but is named as the mask of " \
            f"{shots / 'a.jpg'}:" in text
        assert "rename it" in text and not (tmp_path / "out").exists()
    (masks / name).unlink()
    write_image(masks / name, nadir_mask(32, 64, 20).astype(np.uint8) * 255, quality=95)
    code, _ = _run(capsys, "inpaint", shots, "--mask", masks, "-g", "telea", "-q", "-j", 1,
                   "-o", tmp_path / "out")
    assert code == 0 and sorted(p.name for p in (tmp_path / "out").glob("*.jpg")) == [
        "a.jpg", "b.jpg"]


def test_a_sidecar_beside_an_image_is_not_its_mask(tmp_path, capsys):
    """Lightroom's IMG_1.xmp beside IMG_1.jpg, with --mask naming their folder: the sidecar
    was taken for the image's mask ('cannot read IMG_1.xmp'), and IMG_1_mask.png was filled
    as a panorama ('no mask for IMG_1_mask.png'). Only images are masks."""
    shots = tmp_path / "shots"
    shots.mkdir()
    write_image(shots / "IMG_1.jpg", sphere_function_erp(32, dtype=np.uint8))
    (shots / "IMG_1.xmp").write_text("<x:xmpmeta/>")
    (shots / "IMG_1.d").mkdir()  # nor is a folder
    write_image(shots / "IMG_1_mask.png", nadir_mask(32, 64, 30).astype(np.uint8) * 255)
    kept = {path.name: path.read_bytes() for path in shots.iterdir() if path.is_file()}
    code, _ = _run(capsys, "inpaint", shots, "--mask", shots, "-g", "telea", "-q", "-j", 1,
                   "-o", tmp_path / "out")
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "out").glob("IMG*")) == ["IMG_1.jpg"]
    assert {path.name: path.read_bytes() for path in shots.iterdir() if path.is_file()} == kept


@pytest.mark.parametrize("suffix", [".bmp", ".gif", ".pgm"])
def test_a_mask_in_a_format_only_read_is_found_in_the_mask_folder(tmp_path, capsys, suffix):
    """A mask saved by a paint program as IMG_1.bmp (or .gif, or .pgm by an image tool) in the
    --mask folder was found until the folder's masks were limited to the formats this package
    writes: 'no mask for IMG_1.jpg', exit 1. read_mask reads them, so they are masks still."""
    from PIL import Image

    shots, masks = tmp_path / "shots", tmp_path / "masks"
    shots.mkdir()
    masks.mkdir()
    write_image(shots / "IMG_1.jpg", sphere_function_erp(32, dtype=np.uint8))
    Image.fromarray(nadir_mask(32, 64, 30).astype(np.uint8) * 255).save(masks / f"IMG_1{suffix}")
    code, _ = _run(capsys, "inpaint", shots, "--mask", masks, "-g", "telea", "-q", "-j", 1,
                   "-o", tmp_path / "out")
    assert code == 0
    assert [p.name for p in (tmp_path / "out").glob("IMG*")] == ["IMG_1.jpg"]


def test_a_file_given_twice_is_filled_once(tmp_path, capsys, caplog):
    """--in-place over 'a.png a.png' (or a.png and a link to it) filled the fill again, and
    two workers could write it at once; a recursive glob through a link to its parent folder
    filled each image 41 times, into ever deeper folders."""
    image = sphere_function_erp(32, dtype=np.uint8)
    once = write_image(tmp_path / "once.png", image)
    code, _ = _run(capsys, "inpaint", once, "--nadir", 30, "-g", "telea", "-q", "--in-place")
    assert code == 0
    twice = write_image(tmp_path / "twice.png", image)
    (tmp_path / "link.png").symlink_to(twice.name)
    code, _ = _run(capsys, "inpaint", twice, twice, tmp_path / "link.png", "--nadir", 30,
                   "-g", "telea", "-q", "-j", 1, "--in-place")
    assert code == 0 and "given before, filled once" in caplog.text
    assert np.array_equal(read_image(twice).pixels, read_image(once).pixels)
    shoot = tmp_path / "shoot" / "day"
    shoot.mkdir(parents=True)
    write_image(shoot / "a.png", image)
    (shoot / "up").symlink_to("..")
    code, _ = _run(capsys, "inpaint", f"{tmp_path / 'shoot'}/**/*.png", "--nadir", 30, "-g",
                   "telea", "-q", "-j", 1, "-o", tmp_path / "out")
    assert code == 0
    assert [p.relative_to(tmp_path / "out").as_posix()
            for p in (tmp_path / "out").rglob("*.png")] == ["day/a.png"]


def test_a_glob_that_reaches_a_file_twice_says_so(tmp_path, capsys, caplog):
    """A glob over day1/ and selects/, a folder of links to day1's picks, filled each pick once
    (day1/IMG_1.jpg) and dropped selects/IMG_1.jpg without a word: a user mirroring the shoot
    into -o found out/selects/ empty."""
    for folder in ("day1", "selects"):
        (tmp_path / "shoot" / folder).mkdir(parents=True)
    write_image(tmp_path / "shoot" / "day1" / "IMG_1.png", sphere_function_erp(32, dtype=np.uint8))
    (tmp_path / "shoot" / "selects" / "IMG_1.png").symlink_to(Path("..", "day1", "IMG_1.png"))
    code, _ = _run(capsys, "inpaint", f"{tmp_path / 'shoot'}/**/*.png", "--nadir", 30, "-g",
                   "telea", "-q", "-j", 1, "-o", tmp_path / "out")
    assert code == 0
    assert [p.relative_to(tmp_path / "out").as_posix()
            for p in (tmp_path / "out").rglob("*.png")] == ["day1/IMG_1.png"]
    assert "selects/IMG_1.png (= " in caplog.text and "matched before, filled once" in caplog.text


def test_no_result_or_report_replaces_a_mask(tmp_path, pano, capsys):
    mask = write_image(tmp_path / "m.png", nadir_mask(32, 64, 20).astype(np.uint8) * 255)
    kept = mask.read_bytes()
    code, text = _run(capsys, "inpaint", pano, "--mask", mask, "-g", "telea", "-q",
                      "-o", mask, "--overwrite")
    assert code == EXIT_OUTPUT and "would replace the mask" in text
    code, text = _run(capsys, "inpaint", pano, "--mask", mask, "-g", "telea", "-q",
                      "-o", tmp_path / "o.png", "--report", mask, "--overwrite")
    assert code == EXIT_USAGE and "--report" in text
    masks = tmp_path / "masks"
    masks.mkdir()
    named = write_image(masks / "pano_mask.png", nadir_mask(32, 64, 20).astype(np.uint8) * 255)
    code, text = _run(capsys, "inpaint", pano, "--mask", masks, "-g", "telea", "-q",
                      "-o", masks, "--overwrite")
    assert code == EXIT_OUTPUT and "--mask folder" in text
    assert mask.read_bytes() == kept and named.read_bytes() == kept
    assert not (tmp_path / "o.png").exists() and not (masks / "pano.png").exists()


def test_cubemap_and_equirect_never_replace_their_input(tmp_path, capsys):
    """With --overwrite, 'cubemap front.png -o .' wrote the front face over the panorama and
    'equirect faces/ -o faces/front.png' the panorama over a face (exit 0 both)."""
    pano = write_image(tmp_path / "front.png", sphere_function_erp(32, dtype=np.uint8))
    kept = pano.read_bytes()
    code, text = _run(capsys, "cubemap", pano, "-o", tmp_path, "--overwrite")
    assert code == EXIT_OUTPUT and "would replace the input" in text
    assert pano.read_bytes() == kept and not (tmp_path / "back.png").exists()
    faces = tmp_path / "faces"
    assert _run(capsys, "cubemap", pano, "-o", faces)[0] == 0
    face = (faces / "front.png").read_bytes()
    code, text = _run(capsys, "equirect", faces, "-o", faces / "front.png", "--overwrite")
    assert code == EXIT_OUTPUT and "would replace the input" in text
    assert (faces / "front.png").read_bytes() == face


def test_demo_refuses_a_bad_generator_or_output_before_the_fill(tmp_path, pano, capsys,
                                                               monkeypatch):
    """Both reached the user as a Python traceback (UnknownGeneratorError, FileExistsError),
    the second after the whole fill."""
    monkeypatch.setattr(pipeline, "inpaint", lambda *a, **k: pytest.fail("filled"))
    code, text = _run(capsys, "demo", "--height", 32, "-g", "nope", "-o", tmp_path / "d")
    assert code == EXIT_USAGE and "unknown generator 'nope'" in text
    code, text = _run(capsys, "demo", "--height", 32, "-g", "telea", "-o", pano)
    assert code == EXIT_USAGE and "-o takes a folder" in text
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize("blocked", ["after.png", "report.json"])
def test_demo_that_cannot_write_a_file_says_which(tmp_path, capsys, blocked):
    """A folder where the demo writes a file: exit 4 and one line naming it. The report's
    said "[Errno 21] Is a directory: 'd/.report.json.4711-3fa2c1d0.tmp' -> 'd/report.json'"."""
    (tmp_path / "d" / blocked).mkdir(parents=True)
    code, text = _run(capsys, "demo", "--height", 32, "-g", "telea", "-o", tmp_path / "d")
    assert code == EXIT_OUTPUT and f"cannot write '{tmp_path / 'd' / blocked}'" in text
    assert ".tmp" not in text and "Errno" not in text


def test_demo_whose_last_rename_is_refused_is_an_output_error(tmp_path, capsys, monkeypatch):
    """The files are written to temporary names and moved into place together at the end; a
    move refused there (an immutable report.json: 'Operation not permitted') was a traceback
    and exit 1. Now exit 4 naming the file, and none of the new files nor the folder made."""
    import errno

    from pano_inpaint.io import atomic

    commit = atomic._commit

    def refused(tmp, path, overwrite):
        if Path(path).name == "report.json":
            raise PermissionError(errno.EPERM, "Operation not permitted", str(tmp))
        return commit(tmp, path, overwrite)

    monkeypatch.setattr(atomic, "_commit", refused)
    out = tmp_path / "d" / "sub"
    code, text = _run(capsys, "demo", "--height", 32, "-g", "telea", "-o", out)
    assert code == EXIT_OUTPUT and text.count("error:") == 1
    assert f"cannot write '{out / 'report.json'}': Operation not permitted" in text
    assert ".tmp" not in text and list(tmp_path.iterdir()) == []


def test_ctrl_c_on_one_image_says_so_in_the_singular(tmp_path, pano, capsys, monkeypatch):
    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "inpaint", ctrl_c)
    code, text = _fill(capsys, pano, tmp_path / "o.png")
    assert code == 130 and "1 image left; run the same command again to fill it" in text
    assert list(tmp_path.glob("o*")) == []


def test_a_truncated_jpeg_is_one_line(tmp_path, capfd):
    """JPEG in, JPEG out: the read of its coefficients, started beside the decode, printed
    libjpeg's 'Premature end of JPEG file' twice above the error line."""
    import threading

    source = write_image(tmp_path / "p.jpg", sphere_function_erp(64, dtype=np.uint8))
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(source.read_bytes()[:source.stat().st_size // 2])
    code = main(["inpaint", str(cut), "--nadir", "20", "-g", "telea", "-q", "-o",
                 str(tmp_path / "o.jpg")])
    for thread in threading.enumerate():  # a read left running prints when it ends
        if thread.name == "jpeg-coefficients":
            thread.join()
    lines = [line for line in capfd.readouterr().err.splitlines() if line.strip()]
    assert code == EXIT_INPUT and len(lines) == 1 and "truncated" in lines[0]
    assert not (tmp_path / "o.jpg").exists()


@pytest.mark.parametrize("where", ["file", "apart", "beside", "beside_mask"])
def test_a_truncated_1bit_png_mask_is_one_line(tmp_path, capsys, where):
    """A 1-bit PNG mask is taken for a mask from its header alone (nothing decoded to tell it
    from a photo): cut short, it is not trusted but refused where it is read, with one line
    and exit code 3, given as the file, in a folder of masks apart, or beside the image."""
    from PIL import Image

    shots, masks = tmp_path / "shots", tmp_path / "masks"
    shots.mkdir()
    masks.mkdir()
    write_image(shots / "a.jpg", sphere_function_erp(32, dtype=np.uint8))
    full = tmp_path / "full.png"
    Image.fromarray(nadir_mask(32, 64, 30)).convert("1").save(full)
    mask = {"file": tmp_path / "m.png", "apart": masks / "a.png", "beside": shots / "a.png",
            "beside_mask": shots / "a_mask.png"}[where]
    mask.write_bytes(full.read_bytes()[:-20])
    given = {"file": mask, "apart": masks}.get(where, shots)
    code, text = _run(capsys, "inpaint", shots / "a.jpg", "--mask", given, "-g", "telea", "-q",
                      "-o", tmp_path / "o.jpg")
    assert code == EXIT_INPUT and text.startswith(f"error: cannot read '{mask}'")
    assert text.count("error:") == 1
    assert "truncated PNG" in text and not (tmp_path / "o.jpg").exists()


@pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes on Linux only")
def test_a_file_name_that_is_not_utf8_is_filled_and_resumed(tmp_path, capsys):
    """caf\\xe9.png (a Latin-1 name, from an old share or a zip) ended the batch in a
    UnicodeEncodeError traceback as its manifest record was written."""
    folder = tmp_path / "in"
    folder.mkdir()
    name = os.fsdecode(b"caf\xe9.png")
    write_image(folder / name, sphere_function_erp(32, dtype=np.uint8))
    args = ("inpaint", folder, "--nadir", 20, "-g", "telea", "-j", 1, "-o", tmp_path / "out")
    code, _ = _run(capsys, *args)
    assert code == 0 and (tmp_path / "out" / name).is_file()
    code, text = _run(capsys, *args)
    assert code == 0 and "1 done by an earlier run" in text


@pytest.mark.parametrize("where", ["output", "folder", "input", "mask", "report"])
def test_a_name_too_long_for_the_file_system(tmp_path, pano, capsys, where):
    """Each ended in a traceback: 'OSError: [Errno 36] File name too long'."""
    long = tmp_path / ("x" * 300)
    args = {"output": [pano, "--nadir", 20, "-o", f"{long}.png"],
            "folder": [pano, pano, "--nadir", 20, "-o", f"{long}/"],
            "input": [f"{long}.png", "--nadir", 20, "-o", tmp_path / "o.png"],
            "mask": [pano, "--mask", f"{long}.png", "-o", tmp_path / "o.png"],
            "report": [pano, "--nadir", 20, "-o", tmp_path / "o.png", "--report",
                       f"{long}.json"]}[where]
    code, text = _run(capsys, "inpaint", *args, "-g", "telea", "-q")
    assert code == EXIT_USAGE and "too long" in text and "give a shorter one" in text
    assert not (tmp_path / "o.png").exists()


# ----------------------------------------------------------------------- cubemap, equirect


def test_cubemap_into_a_file_is_an_output_error(tmp_path, pano, capsys):
    (tmp_path / "faces").write_text("a file")
    code, text = _run(capsys, "cubemap", pano, "-o", tmp_path / "faces")
    assert code == EXIT_OUTPUT and "cannot write into" in text


def test_cubemap_format_that_cannot_hold_the_pixels_is_an_output_error(tmp_path, capsys):
    hdr = write_image(tmp_path / "sky.exr", sphere_function_erp(32) * 4)
    code, text = _run(capsys, "cubemap", hdr, "-o", tmp_path / "faces", "--format", "jpg")
    assert code == EXIT_OUTPUT and "HDR" in text
    assert f"{tmp_path / 'faces' / 'front.jpg'}: float32 pixels" in text
    assert not (tmp_path / "faces").exists()  # was left empty
    code, text = _run(capsys, "cubemap", hdr, "-o", tmp_path / "faces", "--format", "xyz")
    assert code == EXIT_USAGE and "unknown --format" in text


def test_cubemap_over_existing_faces_says_exist_or_exists(tmp_path, pano, capsys):
    """It said 'exist(s)'."""
    faces = tmp_path / "faces"
    assert _run(capsys, "cubemap", pano, "-o", faces)[0] == 0
    code, text = _run(capsys, "cubemap", pano, "-o", faces)
    assert code == EXIT_OUTPUT and "down.png exist; pass --overwrite to replace them" in text
    for face in ("right", "back", "left", "up", "down"):
        (faces / f"{face}.png").unlink()
    code, text = _run(capsys, "cubemap", pano, "-o", faces)
    assert code == EXIT_OUTPUT
    assert f"{faces / 'front.png'} exists; pass --overwrite to replace it" in text


@pytest.mark.parametrize("command", ["cubemap", "equirect", "demo"])
def test_a_full_disk_leaves_no_empty_folder(tmp_path, pano, capsys, monkeypatch, command):
    """With no space left for the first file, cubemap, equirect and demo said so (exit 4) but
    left the folder they had made for it, empty (seen on a 64 KiB tmpfs)."""
    import pano_inpaint.io
    from pano_inpaint.io import ImageWriteError

    faces = tmp_path / "faces"
    assert _run(capsys, "cubemap", pano, "-o", faces)[0] == 0

    def full(path, *args, **kwargs):
        raise ImageWriteError(path, "no space left on the device", "free some disk space")

    monkeypatch.setattr(pano_inpaint.io, "write_image", full)
    out = tmp_path / "new" / "out"
    code, text = _run(capsys, *{"cubemap": ["cubemap", pano, "-o", out],
                                "equirect": ["equirect", faces, "-o", out / "e.png"],
                                "demo": ["demo", "-g", "telea", "--height", 16, "-o", out]
                                }[command])
    assert code == EXIT_OUTPUT and "no space left on the device" in text
    assert not (tmp_path / "new").exists()


def _full_after(count: int, write):
    """``write`` that works ``count`` times, then finds the disk full (as write_image says it)."""
    from pano_inpaint.io import ImageWriteError

    calls = []

    def full(path, *args, **kwargs):
        if len(calls) == count:
            raise ImageWriteError(path, "no space left on the device", "free some disk space")
        calls.append(path)
        return write(path, *args, **kwargs)

    return full


def test_a_full_disk_leaves_no_partial_cubemap(tmp_path, pano, capsys, monkeypatch):
    """The disk full at the fourth face left three faces (exit 4), which a next step took for
    a cubemap; with --overwrite, three new faces beside three old ones. Now none is written,
    and what was there before is kept as it was."""
    import pano_inpaint.io

    faces = tmp_path / "new" / "faces"
    with monkeypatch.context() as patch:
        patch.setattr(pano_inpaint.io, "write_image", _full_after(3, write_image))
        code, text = _run(capsys, "cubemap", pano, "-o", faces)
    assert code == EXIT_OUTPUT
    assert "no space left on the device; free some disk space (none of the 6 files" in text
    assert not (tmp_path / "new").exists()

    faces.mkdir(parents=True)
    (faces / "notes.txt").write_text("mine")
    assert _run(capsys, "cubemap", pano, "-o", faces)[0] == 0
    before = {p.name: p.read_bytes() for p in faces.iterdir()}
    other = tmp_path / "other.png"
    write_image(other, sphere_function_erp(32, dtype=np.uint8)[::-1].copy())
    with monkeypatch.context() as patch:
        patch.setattr(pano_inpaint.io, "write_image", _full_after(3, write_image))
        assert _run(capsys, "cubemap", other, "-o", faces, "--overwrite")[0] == EXIT_OUTPUT
    assert {p.name: p.read_bytes() for p in faces.iterdir()} == before  # no temporary left


def test_a_full_disk_leaves_no_partial_demo(tmp_path, capsys, monkeypatch):
    """Full at after.png, demo left before.png and mask.png (seen on a 200 KiB tmpfs)."""
    import pano_inpaint.io

    monkeypatch.setattr(pano_inpaint.io, "write_image", _full_after(2, write_image))
    code, text = _run(capsys, "demo", "-g", "telea", "--height", 16, "-o", tmp_path / "d")
    assert code == EXIT_OUTPUT and "after.png': no space left on the device" in text
    assert not (tmp_path / "d").exists()


def test_equirect_names_a_missing_face(tmp_path, pano, capsys):
    """It said 'holds no cubemap: expected six files named ...' of a folder with five."""
    faces = tmp_path / "faces"
    assert _run(capsys, "cubemap", pano, "-o", faces, "--names", "engine")[0] == 0
    (faces / "ny.png").unlink()
    code, text = _run(capsys, "equirect", faces, "-o", tmp_path / "back.png")
    assert code == EXIT_INPUT
    assert f"{faces} holds 5 of the six faces (pz, px, nz, nx, py); missing: ny" in text


def test_equirect_names_the_face_of_another_size(tmp_path, pano, capsys):
    faces = tmp_path / "faces"
    assert _run(capsys, "cubemap", pano, "-o", faces, "--names", "engine")[0] == 0
    write_image(faces / "nx.png", np.zeros((4, 4, 3), np.uint8), overwrite=True)
    code, text = _run(capsys, "equirect", faces, "-o", tmp_path / "back.png")
    assert code == EXIT_INPUT and "face nx.png is 4x4" in text


def test_mask_of_one_unreadable_image_is_one_error_line(tmp_path, pano, capsys):
    """mask said 'failed X: X: 400x256 is not a 2:1 ...' (the path twice) and '0 masks, 1
    failed' for a single image, where inpaint says 'error: ...'; in a batch it is still a
    'failed' line per image and the count."""
    wide = tmp_path / "wide.png"
    write_image(wide, np.zeros((32, 80, 3), np.uint8))
    code, text = _run(capsys, "mask", wide, "--detector", "classical", "-q", "-o",
                      tmp_path / "masks")
    assert code == EXIT_INPUT and text.startswith("error: ") and text.count(str(wide)) == 1
    assert "is not a 2:1 equirectangular panorama" in text and "failed" not in text
    code, text = _run(capsys, "mask", wide, pano, "--detector", "classical", "-q", "-o",
                      tmp_path / "masks")
    assert code == EXIT_BATCH_FAILED and f"failed {wide}: 80x32 is not a 2:1" in text
    assert "1 masks, 1 failed" in text and "error:" not in text


def test_paths_with_brackets_are_printed_as_they_are(tmp_path, pano, capsys):
    """rich read '[b]' in a path as markup: mask printed 'shoot/pq.png -> ...' for
    'shoot[b]/p[i]q.png', its failures and warnings likewise, and cubemap, equirect (and
    demo, eval, train) the paths they wrote."""
    folder = tmp_path / "shoot[b]"
    folder.mkdir()
    image = folder / "p[i]q.png"
    image.write_bytes(pano.read_bytes())
    code, text = _run(capsys, "mask", image, "--detector", "classical", "-q", "-o",
                      folder / "m[b]")
    assert code == 0 and f"{image} -> {folder / 'm[b]' / 'p[i]q_mask.png'}" in text
    assert "warning p[i]q.png: nothing found" in text
    broken = folder / "x[b]y.jpg"
    broken.write_bytes(b"not a jpeg")
    code, text = _run(capsys, "mask", broken, "--detector", "classical", "-q", "-o",
                      folder / "m[b]")
    assert code == EXIT_INPUT and f"error: cannot read '{broken}'" in text
    code, text = _run(capsys, "cubemap", image, "-o", folder / "c[b]")
    assert code == 0 and str(folder / "c[b]" / "front.png") in text
    code, text = _run(capsys, "equirect", folder / "c[b]", "-o", folder / "e[b].png")
    assert code == 0 and str(folder / "e[b].png") in text


def test_a_long_error_and_a_long_result_line_are_one_line_each(tmp_path, pano, capsys):
    """Piped into a log (no terminal), rich folded messages at 80 columns, mid-path: an error
    read as three lines and the "-> ... ok" line as two. A terminal folds them itself."""
    deep = tmp_path / ("a-folder-with-a-long-name-" * 3)
    deep.mkdir()
    mask = deep / "mask.png"
    write_image(mask, np.zeros((8, 16), np.uint8))
    code = main(["inpaint", str(pano), "--mask", str(mask), "-o", str(deep / "o.png"), "-q"])
    err = capsys.readouterr().err
    assert code == EXIT_INPUT and len(err.strip().splitlines()) == 1 and "--resize-mask" in err
    code = main(["inpaint", str(pano), "--nadir", "20", "-g", "telea", "-o", str(deep / "o.png")])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert code == 0 and len(lines) == 1 and lines[0].rstrip().endswith("ok") and "->" in lines[0]


@pytest.mark.parametrize(("pixels", "suffix", "words"), [
    (np.dstack([sphere_function_erp(32, dtype=np.uint8), np.full((32, 64), 255, np.uint8)]),
     ".jpg", "no alpha channel"),
    (sphere_function_erp(32) * 4, ".png", "HDR"),
])
def test_an_output_format_that_cannot_hold_the_input_fails_before_the_fill(
        tmp_path, capsys, monkeypatch, pixels, suffix, words):
    """RGBA into .jpg, HDR into .png: the fill keeps the input's channels and range, so the
    refusal (exit 4) comes before it; it used to come after a whole fill. What to do is said
    in the command line's words (the alpha's advice was Python: 'pixels[..., :3]')."""
    def no_fill(erp, mask, **kwargs):
        raise AssertionError("filled an image whose result cannot be written")

    monkeypatch.setattr(pipeline, "inpaint", no_fill)
    source = write_image(tmp_path / f"in{'.exr' if pixels.dtype == np.float32 else '.png'}",
                         pixels)
    code, text = _fill(capsys, source, tmp_path / f"o{suffix}")
    assert code == EXIT_OUTPUT and words in text and not (tmp_path / f"o{suffix}").exists()
    assert "write .exr" in text or "write .png" in text
    assert "pixels[" not in text


@pytest.mark.parametrize("lossless", [True, False])
def test_a_lossless_webp_stays_lossless(tmp_path, capsys, lossless):
    """WebP was always written lossy (quality 95): a lossless WebP's known pixels all moved
    (potsdamer: by up to 73 levels). A lossy source is still written lossy."""
    from pano_inpaint.io.headers import webp_is_lossless

    pixels = sphere_function_erp(32, dtype=np.uint8)
    source = write_image(tmp_path / "in.webp", pixels, quality=100 if lossless else 90)
    assert webp_is_lossless(source) == lossless
    code, _ = _fill(capsys, source, tmp_path / "o.webp")
    assert code == 0 and webp_is_lossless(tmp_path / "o.webp") == lossless
    if lossless:
        hole = nadir_mask(32, 64, 20)
        out = read_image(tmp_path / "o.webp").pixels
        assert np.array_equal(out[~hole], pixels[~hole])


def test_a_16_bit_source_written_as_webp_says_it_is_rounded(tmp_path, capsys):
    # WebP holds 8 bits: the output is lossless WebP, but not the source's values.
    source = write_image(tmp_path / "in.png", sphere_function_erp(32, dtype=np.uint16))
    code, text = _fill(capsys, source, tmp_path / "o.webp")
    assert code == 0 and "8-bit" in text and "as the source" not in text


def test_nan_in_the_hole_does_not_refuse_an_integer_output_format(tmp_path, capsys):
    """A float TIFF whose nadir is NaN (a stitcher's uncovered cap) fills to finite values, so
    .png holds the result; the check before the fill refused it for the NaN it was about to
    replace. NaN outside the hole is kept by the fill and still refused before it."""
    pixels = sphere_function_erp(32)
    pixels[nadir_mask(32, 64, 20)] = np.nan
    source = write_image(tmp_path / "in.tif", pixels)
    code, text = _fill(capsys, source, tmp_path / "o.png")
    assert code == 0, text
    assert np.isfinite(read_image(tmp_path / "o.png").pixels).all()
    pixels[0, 0] = np.nan  # a known pixel
    source = write_image(tmp_path / "in.tif", pixels, overwrite=True)
    code, text = _fill(capsys, source, tmp_path / "o2.png")
    assert code == EXIT_OUTPUT and "NaN" in text and not (tmp_path / "o2.png").exists()


def _ctrl_c_after(count: int, write):
    """``write`` that works ``count`` times, then is stopped by Ctrl-C."""
    calls = []

    def stopped(*args, **kwargs):
        if len(calls) == count:
            raise KeyboardInterrupt
        calls.append(args)
        return write(*args, **kwargs)

    return stopped


def test_ctrl_c_in_check_cubemap_and_equirect_says_what_to_do(tmp_path, pano, capsys,
                                                              monkeypatch):
    """Each ended with exit 130 and nothing on the terminal: typer swallows the
    KeyboardInterrupt itself."""
    import pano_inpaint.consistency
    import pano_inpaint.io

    with monkeypatch.context() as patch:
        patch.setattr(pano_inpaint.consistency, "check_consistency", _ctrl_c_after(0, None))
        code, text = _run(capsys, "check", pano)
    assert code == 130 and "interrupted: nothing was written; run the same command again" in text

    faces = tmp_path / "faces"
    with monkeypatch.context() as patch:
        patch.setattr(pano_inpaint.io, "write_image", _ctrl_c_after(2, write_image))
        code, text = _run(capsys, "cubemap", pano, "-o", faces)
    assert code == 130  # two faces written when stopped: none is kept, nor the folder
    assert "nothing was written; run the same command again to make the cubemap" in text
    assert not faces.exists()
    assert _run(capsys, "cubemap", pano, "-o", faces)[0] == 0

    with monkeypatch.context() as patch:
        patch.setattr(pano_inpaint.io, "write_image", _ctrl_c_after(0, write_image))
        code, text = _run(capsys, "equirect", faces, "-o", tmp_path / "back.png")
    assert code == 130 and "nothing was written; run the same command again" in text
    assert not (tmp_path / "back.png").exists()


@pytest.mark.parametrize("command", ["inpaint", "mask"])
def test_an_input_that_is_not_a_regular_file_is_called_so(tmp_path, capsys, command):
    """A device or a pipe (/dev/zero, a FIFO) was 'no such file, folder or matching files'."""
    pipe = tmp_path / "pano.png"
    os.mkfifo(pipe)
    code, text = _run(capsys, command, pipe, *(["--nadir", 20] if command == "inpaint" else []),
                      "-o", tmp_path / "out")
    assert code == EXIT_INPUT and f"{pipe}: not a regular file (a device, pipe or socket)" in text
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["check", "cubemap", "equirect", "inpaint --mask"])
def test_a_device_is_not_read_as_an_image(tmp_path, pano, capsys, command):
    """/dev/zero was 'not a supported image (unrecognised content)' (check, cubemap, a --mask)
    or a traceback (equirect: NotADirectoryError); a pipe's open waited for a writer (check
    hung)."""
    device = "/dev/zero"
    args = {"check": ["check", device], "cubemap": ["cubemap", device, "-o", tmp_path / "c"],
            "equirect": ["equirect", device, "-o", tmp_path / "e.png"],
            "inpaint --mask": ["inpaint", pano, "--mask", device, "-o", tmp_path / "o.png"]}
    code, text = _run(capsys, *args[command])
    assert code == EXIT_INPUT
    assert f"cannot read '{device}': not a regular file (a device, pipe or socket)" in text


@pytest.mark.parametrize("command", ["check", "check --mask", "cubemap", "equirect",
                                     "equirect folder"])
def test_an_input_that_cannot_be_read_is_bad_input(tmp_path, pano, capsys, command,
                                                   permissions_enforced):
    """A file or folder without read permission was click's exit 2 ('Invalid value for
    'image': path ... is not readable.', a usage error); it is bad input, exit 3, as inpaint
    and serve say."""
    locked = tmp_path / ("faces" if command == "equirect folder" else "locked.png")
    if command == "equirect folder":
        assert _run(capsys, "cubemap", pano, "-o", locked)[0] == 0
    else:
        locked.write_bytes(pano.read_bytes())
    args = {"check": ["check", locked], "check --mask": ["check", pano, "--mask", locked],
            "cubemap": ["cubemap", locked, "-o", tmp_path / "c"],
            "equirect": ["equirect", locked, "-o", tmp_path / "e.png"],
            "equirect folder": ["equirect", locked, "-o", tmp_path / "e.png"]}
    locked.chmod(0)
    try:
        code, text = _run(capsys, *args[command])
    finally:
        locked.chmod(0o700)
    assert code == EXIT_INPUT
    assert (f"{locked}: cannot be read (Permission denied)" if command == "equirect folder"
            else f"cannot read '{locked}': permission denied; check the file's permissions") in text
    assert not (tmp_path / "c").exists() and not (tmp_path / "e.png").exists()


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_mask_that_cannot_be_read_is_bad_input(tmp_path, pano, capsys, what,
                                                 permissions_enforced):
    """inpaint's --mask without read permission was click's exit 2 (a file) or a
    PermissionError traceback (a folder of masks that cannot be listed); it is exit 3."""
    locked = tmp_path / ("masks" if what == "folder" else "mask.png")
    if what == "folder":
        locked.mkdir()
        write_image(locked / "pano.png", nadir_mask(32, 64, 30).astype(np.uint8) * 255)
    else:
        write_image(locked, nadir_mask(32, 64, 30).astype(np.uint8) * 255)
    locked.chmod(0)
    try:
        code, text = _run(capsys, "inpaint", pano, "--mask", locked, "-g", "telea", "-q", "-o",
                          tmp_path / "o.png")
    finally:
        locked.chmod(0o700)
    assert code == EXIT_INPUT and not (tmp_path / "o.png").exists()
    assert (f"mask folder {locked}: cannot be read (Permission denied)" if what == "folder"
            else f"cannot read '{locked}': permission denied") in text


@pytest.mark.parametrize(("command", "given"), [("inpaint", "shots"), ("inpaint", "shots/*.png"),
                                              ("inpaint", "shots/a.png"), ("mask", "shots")])
def test_an_input_folder_that_cannot_be_read_is_bad_input(tmp_path, capsys, command, given,
                                                          permissions_enforced):
    """A folder of panoramas without permission to list it (or a file or glob inside it) was
    a PermissionError traceback as the inputs were listed; it is exit 3 with one line, as
    eval's and serve's folders."""
    shots = tmp_path / "shots"
    shots.mkdir()
    write_image(shots / "a.png", sphere_function_erp(32, dtype=np.uint8))
    shots.chmod(0)
    try:
        code, text = _run(capsys, command, tmp_path / given, "-o", tmp_path / "out",
                          *(["--nadir", 20, "-g", "telea", "-q"] if command == "inpaint"
                            else ["-q"]))
    finally:
        shots.chmod(0o700)
    assert code == EXIT_INPUT and not (tmp_path / "out").exists()
    assert f"{tmp_path / given}: cannot be read (Permission denied)" in text


@pytest.mark.parametrize("mode", [0o000, 0o444], ids=["unlisted", "unsearched"])
def test_a_training_data_folder_that_cannot_be_read_is_bad_input(tmp_path, capsys, mode,
                                                                 permissions_enforced):
    """train --data without read permission was click's usage error, exit 2 (typer's Path
    options are readable=True by default); one that can be listed but not searched was a
    PermissionError traceback from the listing. Both are exit 3 with one line, as eval's
    folders, before the run folder is made."""
    shots = tmp_path / "shots"
    shots.mkdir()
    write_image(shots / "a.png", sphere_function_erp(32, dtype=np.uint8))
    config = Path(__file__).resolve().parents[1] / "configs" / "train" / "smoke.yaml"
    shots.chmod(mode)
    try:
        code, text = _run(capsys, "train", "-c", config, "--data", tmp_path, "--data", shots,
                          "--out", tmp_path / "run", "--no-progress")
    finally:
        shots.chmod(0o700)
    assert code == EXIT_INPUT and f"{shots}: cannot be read (Permission denied)" in text
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(("command", "args"), [
    ("inpaint", ["-o", "{locked}/o.png"]),
    ("inpaint", ["-o", "{locked}/"]),
    ("inpaint", ["-o", "{tmp}/o.png", "--report", "{locked}/r.json"]),
    ("mask", ["-o", "{locked}"]),
    ("mask", ["-o", "{locked}/sub"]),
    ("mask", ["-o", "{tmp}/masks", "--report", "{locked}/r.json"]),
    ("cubemap", ["-o", "{locked}"]),
    ("equirect", ["-o", "{locked}/e.png"]),
    ("demo", ["-o", "{locked}"]),
    ("eval", ["--out", "{locked}"]),
    ("eval", ["--out", "{locked}/sub"]),
    ("train", ["--out", "{locked}"]),
])
def test_an_output_in_a_folder_that_cannot_be_searched_is_an_output_error(
        tmp_path, pano, capsys, command, args, permissions_enforced):
    """An output (or report, or run folder) in a folder without permission to search it was
    click's usage error, exit 2 (a folder given as -o: readable=True by default), or a
    PermissionError traceback from the first look at it; it is exit 4 with one line naming
    it."""
    locked = tmp_path / "locked"
    locked.mkdir()
    faces = tmp_path / "faces"
    assert _run(capsys, "cubemap", pano, "-o", faces)[0] == 0
    config = Path(__file__).resolve().parents[1] / "configs" / "train" / "smoke.yaml"
    given = {"inpaint": [pano, "--nadir", 20, "-g", "telea", "-q"],
             "mask": [pano, "-q", "--detector", "classical"], "cubemap": [pano],
             "equirect": [faces], "demo": ["-g", "telea", "--height", 16],
             "eval": [tmp_path, "--quick", "--no-progress"],
             "train": ["-c", config, "--data", tmp_path, "--no-progress"]}[command]
    locked.chmod(0)
    try:
        code, text = _run(capsys, command, *given,
                          *(a.format(locked=locked, tmp=tmp_path) for a in args))
    finally:
        locked.chmod(0o700)
    assert code == EXIT_OUTPUT and str(locked) in text
    # One line for all (io.atomic.target_kind); the report's and the images' had their own.
    assert "Permission denied (a folder above it cannot be searched); check its permissions" in (
        " ".join(text.split()))
    assert list(locked.iterdir()) == []


@pytest.mark.parametrize(("command", "out", "words"), [
    ("eval", "{ro}", "cannot write into {ro}: Permission denied; check the folder's"),
    ("eval", "{ro}/sub", "cannot write into {ro}/sub: Permission denied (it would be made in "
                         "{ro}); check the folder's permissions, or give another --out"),
    ("eval", "{tmp}/out", "{tmp}/out/cases/pano__nadir: Permission denied; check its"),
    ("train", "{ro}", "cannot write into {ro}: Permission denied; check the folder's"),
    ("train", "{ro}/sub", "cannot write into {ro}/sub: Permission denied (it would be made in"),
    ("train", "{tmp}/out", "{tmp}/out/checkpoint.pt: Permission denied; check its permissions"),
])
def test_an_out_folder_that_cannot_be_written_is_an_output_error(
        tmp_path, pano, capsys, command, out, words, permissions_enforced):
    """A read-only --out (mode 555; or what an earlier run left in it: a read-only folder, a
    checkpoint that cannot be read) was a PermissionError traceback from the first write; it is
    exit 4 with one line naming it, and a read-only --out is found before any work."""
    read_only = tmp_path / "ro"
    read_only.mkdir()
    earlier = tmp_path / "out"  # an earlier run's folder, for the third case of each
    (earlier / "cases").mkdir(parents=True)
    (earlier / "checkpoint.pt").write_bytes(b"")
    config = Path(__file__).resolve().parents[1] / "configs" / "train" / "smoke.yaml"
    given = {"eval": ["eval", tmp_path, "--quick", "--no-progress", "--generators", "telea",
                      "--peers", "none", "--masks", "nadir"],
             "train": ["train", "-c", config, "--data", tmp_path, "--no-progress"]}[command]
    locked = [(read_only, 0o555), (earlier / "cases", 0o555), (earlier / "checkpoint.pt", 0)]
    for path, mode in locked:
        path.chmod(mode)
    try:
        code, text = _run(capsys, *given, "--out", out.format(ro=read_only, tmp=tmp_path))
    finally:
        for path, _ in locked:
            path.chmod(0o700)
    assert code == EXIT_OUTPUT and words.format(ro=read_only, tmp=tmp_path) in text
    assert list(read_only.iterdir()) == []


@pytest.mark.parametrize("command", ["eval", "train"])
def test_a_full_disk_under_out_is_an_output_error(tmp_path, pano, capsys, monkeypatch,
                                                  command):
    """A thumbnail eval could not write for lack of space was an ImageWriteError traceback, and
    a checkpoint train could not write an OSError one; both are exit 4 with one line."""
    import errno
    import types

    from pano_inpaint.eval import report
    from pano_inpaint.io import ImageWriteError

    out = tmp_path / "out"

    def thumbnail(path, *args, **kwargs):
        raise ImageWriteError(path, "no space left on the device", "free some disk space")

    def train(config, data, folder, **options):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(folder / "checkpoint.pt"))

    monkeypatch.setattr(report, "write_image", thumbnail)
    monkeypatch.setitem(sys.modules, "pano_inpaint.train.loop", types.SimpleNamespace(train=train))
    config = Path(__file__).resolve().parents[1] / "configs" / "train" / "smoke.yaml"
    code, text = _run(capsys, *{
        "eval": ["eval", tmp_path, "--quick", "--no-progress", "--generators", "telea",
                 "--peers", "none", "--masks", "nadir"],
        "train": ["train", "-c", config, "--data", tmp_path, "--no-progress"]}[command],
        "--out", out)
    assert code == EXIT_OUTPUT and text.count("error:") == 1
    if command == "eval":
        assert f"cannot write '{out}/cases/" in text and "no space left on the device" in text
    else:
        assert f"{out / 'checkpoint.pt'}: No space left on device; free some disk" in text


@pytest.mark.parametrize("failing", ["a thumbnail", "results.json"])
def test_a_full_disk_leaves_no_half_made_evaluation(tmp_path, capsys, monkeypatch, failing):
    """The disk full at a thumbnail left the thumbnails before it (and their folders); full at
    results.json, results.md and every thumbnail stayed: a report that looked made. Now a
    failed eval leaves nothing of its own, and an earlier run's files as they were."""
    import errno

    from pano_inpaint.eval import report
    from pano_inpaint.io.atomic import atomic_write_text

    panos = tmp_path / "panos"
    panos.mkdir()
    write_image(panos / "a.png", sphere_function_erp(32, dtype=np.uint8))
    out = tmp_path / "out"
    args = ["eval", panos, "--quick", "--no-progress", "--generators", "telea", "--peers",
            "none", "--masks", "nadir,wrap", "--out", out]

    def files() -> dict[str, bytes]:
        return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def fail_in_it(patch) -> None:
        if failing == "a thumbnail":
            patch.setattr(report, "write_image", _full_after(6, write_image))
        else:
            def full(path, text, **kwargs):
                if path.name == "results.json":
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
                return atomic_write_text(path, text, **kwargs)
            patch.setattr(report, "atomic_write_text", full)

    with monkeypatch.context() as patch:
        fail_in_it(patch)
        code, text = _run(capsys, *args)
    assert code == EXIT_OUTPUT and text.count("error:") == 1
    assert not out.exists()

    assert _run(capsys, *args[:-4], "--masks", "nadir", "--out", out)[0] == 0
    earlier = files()
    assert "index.html" in earlier and any(name.startswith("cases/") for name in earlier)
    with monkeypatch.context() as patch:
        fail_in_it(patch)
        assert _run(capsys, *args)[0] == EXIT_OUTPUT
    assert files() == earlier


@pytest.mark.parametrize(("failing", "expected"), [
    ("engine, one image", EXIT_BATCH_FAILED), ("engine, a batch", EXIT_BATCH_FAILED),
    ("engine, no memory", EXIT_INPUT), ("an input", EXIT_INPUT), ("a result", EXIT_OUTPUT),
    ("manifest", EXIT_OUTPUT)])
def test_an_os_error_of_a_fill_says_what_failed(tmp_path, pano, capsys, monkeypatch, failing,
                                                 expected):
    """Every OSError that stopped a fill's run said 'cannot write the manifest in FOLDER', even
    where there is no manifest ('in None': one image) or the manifest was fine; only the
    manifest's own errors say so now, the others name what failed. And all were exit 4,
    'output problem': now the code is what failed's (3 an input, 4 an output, 1 the engine)."""
    import errno

    from pano_inpaint import manifest, runner

    def raising(number, where=None):
        def fail(*args, **kwargs):
            raise OSError(number, os.strerror(number), where and where(args[0]))
        return fail

    shots = tmp_path / "shots"
    shots.mkdir()
    (shots / "pano.png").write_bytes(pano.read_bytes())
    (shots / "second.png").write_bytes(pano.read_bytes())
    if failing == "manifest":
        monkeypatch.setattr(manifest, "atomic_write", raising(errno.ENOSPC))
    elif failing == "engine, no memory":
        monkeypatch.setattr(runner, "make_engine", raising(errno.ENOMEM))
    elif failing == "an input":  # the headers are read ahead of the workers
        monkeypatch.setattr(runner, "check_headers", raising(errno.EACCES, lambda s: s[0]))
    elif failing == "a result":  # the results are looked at before any fill
        monkeypatch.setattr(runner, "_stamps", raising(errno.EACCES, lambda s: s[0]))
    else:
        monkeypatch.setattr(runner, "make_engine", raising(errno.EMFILE))
    out = f"{tmp_path / 'out'}/"
    code, text = _fill(capsys, *((pano, tmp_path / "o.png") if failing == "engine, one image"
                                 else (shots, out)))
    assert code == expected and text.count("error:") == 1
    if failing == "manifest":
        assert f"cannot write the manifest in {out}: No space left on device" in text
    elif failing in ("an input", "a result"):
        named = shots / "pano.png" if failing == "an input" else Path(out) / "pano.png"
        assert f"the run stopped: {named}: Permission denied" in text
    elif failing == "engine, no memory":
        assert "the run stopped: Cannot allocate memory; free memory, or fill with fewer" in text
    else:
        assert "the run stopped: Too many open files" in text and "manifest" not in text


def test_ctrl_c_while_planning_a_fill_says_so(tmp_path, pano, capsys, monkeypatch):
    """Before the batch's own handling (reading the headers, loading --auto's network) it was
    exit 130 and nothing on the terminal."""
    import pano_inpaint.batch

    monkeypatch.setattr(pano_inpaint.batch, "plan_batch", _ctrl_c_after(0, None))
    code, text = _fill(capsys, pano, tmp_path / "o.png")
    assert code == 130
    assert "interrupted: before the fill started, nothing was written; run the same" in text
    assert list(tmp_path.glob("o*")) == []


def test_sigterm_ends_every_command_as_ctrl_c_does(tmp_path, pano, capsys, monkeypatch):
    """The README gives 130 for 'Ctrl-C or SIGTERM'; only a batch and serve turned SIGTERM into
    an interrupt: 'kill' of cubemap (or mask, check, equirect, demo, eval, train) ended it with
    143 and no word. A stand-in for the default handler ends it with 143 here, as the signal
    would the process."""
    import pano_inpaint.io

    def killed(signum, frame):
        raise SystemExit(128 + signum)

    def sigterm_after(count: int):
        calls = []

        def stopped(*args, **kwargs):
            if len(calls) == count:
                signal.raise_signal(signal.SIGTERM)
            calls.append(args)
            return write_image(*args, **kwargs)

        return stopped

    previous = signal.signal(signal.SIGTERM, killed)
    try:
        faces = tmp_path / "faces"
        with monkeypatch.context() as patch:
            patch.setattr(pano_inpaint.io, "write_image", sigterm_after(2))
            code, text = _run(capsys, "cubemap", pano, "-o", faces)
        assert signal.getsignal(signal.SIGTERM) is killed
    finally:
        signal.signal(signal.SIGTERM, previous)
    # stopped after two faces: none is kept (all or nothing), nor the folder
    assert code == 130 and "nothing was written; run the same command again" in text
    assert not faces.exists()


def test_ctrl_c_in_demo_eval_train_and_bench_says_what_to_do(tmp_path, capsys, monkeypatch):
    """Each ended with exit 130 and nothing on the terminal (typer's own answer to Ctrl-C)."""
    import subprocess
    import sys
    import types

    import pano_inpaint.batch
    import pano_inpaint.eval.runner
    import pano_inpaint.io
    import pano_inpaint.pipeline

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    demo = ["demo", "-o", tmp_path / "demo", "--height", 16, "-g", "telea"]
    with monkeypatch.context() as patch:
        patch.setattr(pano_inpaint.pipeline, "inpaint", stop)
        code, text = _run(capsys, *demo)
    assert code == 130 and "interrupted: nothing was written; run the same command again" in text
    with monkeypatch.context() as patch:  # building the generator (patchmatch compiles)
        patch.setattr(pano_inpaint.batch, "build_generator", stop)
        code, text = _run(capsys, *demo)
    assert code == 130 and "interrupted: nothing was written; run the same command again" in text
    with monkeypatch.context() as patch:
        patch.setattr(pano_inpaint.io, "write_image", _ctrl_c_after(1, write_image))
        code, text = _run(capsys, *demo)
    # one of its four files written when stopped: it said so and kept it; now none is kept
    assert code == 130 and "interrupted: nothing was written; run the same command again" in text
    assert not (tmp_path / "demo").exists()

    with monkeypatch.context() as patch:
        patch.setattr(pano_inpaint.eval.runner, "run_evaluation", stop)
        code, text = _run(capsys, "eval", tmp_path, "--out", tmp_path / "ev")
    assert code == 130 and "no results written" in text and "from the start" in text

    run_dir = tmp_path / "run"

    def train(config, data, folder, **options):  # one checkpoint, then Ctrl-C
        folder.mkdir()
        (folder / "checkpoint.pt").write_bytes(b"state")
        raise KeyboardInterrupt

    config = Path(__file__).parent.parent / "configs" / "train" / "smoke.yaml"
    train_args = ["train", "-c", config, "--data", tmp_path, "--out", run_dir]
    with monkeypatch.context() as patch:  # no torch: the loop's module is a stand-in
        patch.setitem(sys.modules, "pano_inpaint.train.loop", types.SimpleNamespace(train=train))
        code, text = _run(capsys, *train_args)
    text = " ".join(text.split())
    assert code == 130 and "checkpoint.pt holds the run" in text
    assert "run the same command again to continue from it" in text

    class Loading(types.ModuleType):  # Ctrl-C while torch loads
        def __getattr__(self, name):
            raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "pano_inpaint.train.loop", Loading("loop"))
        code, text = _run(capsys, *train_args, "--restart")
    assert code == 130 and "nothing was written; run the same command again to train" in text

    with monkeypatch.context() as patch:
        patch.setattr(subprocess, "call", stop)
        code, text = _run(capsys, "bench", "--quick")
    assert code == 130 and "the benchmarks were stopped" in text


def test_a_folder_where_a_result_goes_fails_that_image_before_its_fill(tmp_path, capsys,
                                                                       monkeypatch):
    """out/b.png being a folder failed b.png at write time, after its fill ('Is a directory;
    check the output path, permissions and free disk space'). Now b.png fails before it is
    read, saying what to do, and a.png is filled (as for a file where a folder should be)."""
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.png", "b.png"):
        write_image(folder / name, sphere_function_erp(32, dtype=np.uint8))
    out = tmp_path / "out"
    (out / "b.png").mkdir(parents=True)
    filled = []
    fill = pipeline.inpaint

    def counted(erp, *args, **kwargs):
        filled.append(erp.shape)
        return fill(erp, *args, **kwargs)

    monkeypatch.setattr(pipeline, "inpaint", counted)
    code, text = _fill(capsys, folder, out, "-j", 1)
    assert code == EXIT_BATCH_FAILED and len(filled) == 1 and (out / "a.png").is_file()
    assert f"output {out / 'b.png'} is a folder; move it away, or write the results to " \
        "another folder" in text and "Is a directory" not in text
    code, text = _fill(capsys, folder / "b.png", out)
    assert code == EXIT_OUTPUT and len(filled) == 1 and "is a folder; move it away" in text

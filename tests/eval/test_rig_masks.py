"""eval-mask on synthetic panoramas: every table is there, the scores mean what they say."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pano_inpaint.cli import main
from pano_inpaint.eval.rig_masks import mask_scores
from pano_inpaint.io import write_image
from pano_inpaint.masks import nadir_mask
from tests.conftest import files_under
from tests.synthetic import ground_rgb, sphere_function_erp


def test_scores_of_a_cap_against_a_smaller_truth():
    truth = nadir_mask(64, 128, 10)
    scores = mask_scores(nadir_mask(64, 128, 25), truth)
    assert scores["recall"] == 1.0 and scores["area_cap"] == pytest.approx(1.0)
    assert scores["iou"] == pytest.approx(scores["precision"]) and scores["iou"] < 0.25
    empty = mask_scores(np.zeros_like(truth), truth)
    assert empty["iou"] == 0 and empty["recall"] == 0 and empty["area_cap"] == 0


def test_eval_mask_command_writes_the_tables(tmp_path, written_whole):
    folder = tmp_path / "panos"
    folder.mkdir()
    for i, shift in enumerate((0, 50, 100)):
        pano = np.roll(sphere_function_erp(64, ground_rgb, dtype=np.uint8), shift, axis=1)
        write_image(folder / f"p{i}.png", pano)
    out = tmp_path / "out"
    code = main(["eval-mask", str(folder), "--out", str(out), "--detectors", "classical",
                 "--kinds", "tripod,monopod", "-g", "telea", "--no-progress"])
    assert code == 0
    text = (out / "results.md").read_text()
    for part in ("### IoU", "recall of rig pixels", "area / 25° cap", "over the 25° cap",
                 "Shoots", "shots"):
        assert part in text, part
    data = json.loads((out / "results.json").read_text())
    masks = [r for r in data["rows"] if r["kind"] == "mask"]
    assert {r["method"] for r in masks} == {"classical", "cap-25", "truth"}
    assert all(r["iou"] == 1.0 for r in masks if r["method"] == "truth")
    fills = [r for r in data["rows"] if r["kind"] == "fill"]
    assert len(fills) == 3 * 2 * 3 and all(r["psnr_cap"] > 10 for r in fills)
    assert len(data["shoots"]) == 2
    html = (out / "index.html").read_text()
    assert html.count("<img") == 3 * 2 * 5  # mask truth, classical, two fills, ground truth
    assert files_under(out) <= written_whole  # the thumbnails too: whole or not at all


def test_eval_mask_skips_an_unreadable_panorama_and_refuses_a_file_as_out(tmp_path):
    """One broken file among the panoramas ended eval-mask in an ImageReadError traceback (eval
    skips it), and --out naming a file in a FileExistsError one."""
    folder = tmp_path / "panos"
    folder.mkdir()
    for i, shift in enumerate((0, 50)):
        pano = np.roll(sphere_function_erp(64, ground_rgb, dtype=np.uint8), shift, axis=1)
        write_image(folder / f"p{i}.png", pano)
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    args = ["--detectors", "classical", "--kinds", "tripod", "--no-progress", "--no-html"]
    out = tmp_path / "out"
    assert main(["eval-mask", str(folder), "--out", str(out), *args]) == 0
    assert "not scored: broken.jpg: cannot read" in (out / "results.md").read_text()
    assert [s["image"] for s in json.loads((out / "results.json").read_text())["meta"][
        "skipped"]] == ["broken.jpg"]
    (tmp_path / "file").write_text("x")
    assert main(["eval-mask", str(folder), "--out", str(tmp_path / "file"), *args]) == 4


@pytest.mark.parametrize("command", ["eval", "eval-mask"])
def test_no_readable_panorama_leaves_no_out_folder(tmp_path, capsys, command):
    """eval-mask made --out before finding every panorama unreadable (an empty folder was left);
    eval wrote a report of nothing but reasons and said only '0 results'."""
    folder = tmp_path / "panos"
    folder.mkdir()
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    out = tmp_path / "out" / "run"
    args = {"eval": ["--generators", "mean", "--peers", "none", "--masks", "nadir"],
            "eval-mask": ["--detectors", "classical", "--kinds", "tripod"]}[command]
    assert main([command, str(folder), "--out", str(out), *args, "--no-progress"]) == 1
    assert "no readable panoramas in" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_eval_mask_unknown_detector(tmp_path):
    assert main(["eval-mask", str(tmp_path), "--out", str(tmp_path / "o"),
                 "--detectors", "magic"]) == 2


def test_eval_mask_unknown_generator_is_found_before_any_work(tmp_path, capsys):
    """An unknown -g was found at the first fill, after the panoramas were read and --out was
    made (an empty folder left behind a usage error, which writes nothing)."""
    folder = tmp_path / "panos"
    folder.mkdir()
    write_image(folder / "p.png", sphere_function_erp(32, ground_rgb, dtype=np.uint8))
    out = tmp_path / "out"
    assert main(["eval-mask", str(folder), "--out", str(out), "--detectors", "classical",
                 "-g", "magic", "--no-progress"]) == 2
    assert "unknown generator 'magic'" in capsys.readouterr().err
    assert not out.exists()


def test_eval_mask_fills_with_the_default_detector_by_default():
    """The first detector is the one filled end to end: by default the one `inpaint --auto`
    uses when the network's weights are there (learned+classical), then the two it combines."""
    import typer

    from pano_inpaint.cli import app

    command = typer.main.get_command(app).commands["eval-mask"]
    default = next(p.default for p in command.params if p.name == "detectors")
    assert default.split(",") == ["learned+classical", "learned", "classical"]

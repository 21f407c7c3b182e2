import json

import cv2
import numpy as np
import pytest

from pano_inpaint.cli import main
from pano_inpaint.eval import run_evaluation
from pano_inpaint.eval.images import load_panorama
from pano_inpaint.eval.methods import Method
from pano_inpaint.eval.runner import _run_case
from tests.conftest import files_under
from tests.synthetic import sphere_function_erp

H = 64


@pytest.fixture
def pano_dir(tmp_path):
    folder = tmp_path / "panos"
    folder.mkdir()
    ldr = sphere_function_erp(H, dtype=np.uint8)
    ldr[::3] //= 2  # a little texture
    cv2.imwrite(str(folder / "smooth.png"), ldr[..., ::-1])
    hdr = sphere_function_erp(H, dtype=np.float32, scale=6.0)
    cv2.imwrite(str(folder / "bright.hdr"), hdr[..., ::-1])
    (folder / "notes.txt").write_text("not an image")
    return folder


def test_end_to_end(pano_dir, tmp_path, written_whole):
    """... and every file of it is written whole (the case thumbnails were written in place:
    a stop mid-write left half a JPEG under OUT/cases)."""
    out = tmp_path / "out"
    results = run_evaluation(
        [pano_dir], out, generators=["telea"], masks=["nadir", "wrap"],
        peers=["erp-telea", "faces-telea"], progress=False, command="test",
    )
    # 2 images x 2 families x (1 reference + 3 methods)
    assert len(results.rows) == 2 * 2 * 4
    scored = [r for r in results.rows if r["kind"] != "reference"]
    assert all(r["status"] == "ok" for r in scored)
    assert all(r["known_changed"] == 0 for r in scored)
    assert all(r["psnr"] is not None and r["swd"] is not None for r in scored)
    hdr_rows = [r for r in scored if r["hdr"]]
    assert hdr_rows and all(r["logl_psnr"] is not None for r in hdr_rows)
    wrap_rows = [r for r in results.rows if r["family"] == "wrap"]
    assert all(r["wrap"] is not None for r in wrap_rows)

    assert {r["set"] for r in results.rows} == {"panos"}  # the images' folder

    text = (out / "results.md").read_text()
    assert "| ground truth |" in text and "### wrap" in text and "HDR panoramas" in text
    assert "| telea | nadir | 2 |" in text  # the generator against the best peer
    payload = json.loads((out / "results.json").read_text())
    assert payload["meta"]["command"] == "test" and len(payload["rows"]) == 16
    page = (out / "index.html").read_text()
    assert "cases/" in page and "against the best peer" in page and "<td>telea</td>" in page
    first = page.split("src='")[1].split("'")[0]
    assert (out / first).is_file()
    assert files_under(out) <= written_whole


def test_a_failing_method_is_recorded_not_fatal(pano_dir):
    truth = load_panorama(pano_dir / "smooth.png", max_width=None)

    def broken(erp, mask):
        raise RuntimeError("boom")

    rows = _run_case(truth, "nadir", 0, [Method("broken", "peer", broken)], set(), None)
    assert [r["method"] for r in rows] == ["ground truth", "broken"]
    assert rows[1]["status"] == "failed" and "boom" in rows[1]["error"]


def test_eval_command(pano_dir, tmp_path, capsys):
    out = tmp_path / "cli"
    argv = ["eval", str(pano_dir), "--out", str(out), "--generators", "telea", "--masks",
            "nadir", "--peers", "none", "--no-html", "--no-progress", "--images", "1"]
    assert main(argv) == 0
    assert (out / "results.md").is_file() and not (out / "index.html").exists()
    payload = json.loads((out / "results.json").read_text())
    assert payload["meta"]["command"].startswith("pano-inpaint eval ")
    assert main(["eval", str(pano_dir), "--out", str(out), "--masks", "nope"]) == 2
    # A file as --out (or above it) ended in a FileExistsError traceback.
    assert main([*argv[:2], "--out", str(out / "results.md"), *argv[4:]]) == 4
    assert "results.md is a file, not a folder" in capsys.readouterr().err
    assert main(["eval", "--out"]) == 2



@pytest.mark.parametrize("command", ["eval", "eval-mask"])
def test_eval_of_a_missing_folder_is_bad_input_and_of_no_panorama_exit_1(
        command, pano_dir, tmp_path, capsys):
    """A missing input folder (or a file given as one) is exit 3 with one line, as the README's
    table and inpaint, mask and serve give it (it was 1); a folder with no readable panorama
    stays 1, as the README documents."""
    out = tmp_path / "out"
    assert main([command, str(pano_dir), str(tmp_path / "missing"), "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert f"{tmp_path / 'missing'}: no such folder" in err and "Traceback" not in err
    (tmp_path / "notes.txt").write_text("")
    assert main([command, str(tmp_path / "notes.txt"), "--out", str(out)]) == 3
    assert "notes.txt: is a file, not a folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main([command, str(tmp_path / "empty"), "--out", str(out)]) == 1
    assert not out.exists()

def test_a_panorama_with_nan_or_infinite_values_is_not_scored(pano_dir, tmp_path):
    """It was scored against its NaNs: 100 dB for a fill of its hole (eval), seam ratios of
    NaN for every network (eval-net --network-seams)."""
    from pano_inpaint.io import write_image

    holes = sphere_function_erp(H, dtype=np.float32)
    holes[:4] = np.nan  # a stitcher's uncovered zenith
    holes[-2:, :8] = np.inf
    write_image(pano_dir / "holes.exr", holes)
    results = run_evaluation([pano_dir], tmp_path / "out", generators=["telea"],
                             masks=["nadir"], peers="none", html=False, progress=False)
    assert {"image": "holes.exr", "reason": f"holes.exr has {4 * 2 * H + 2 * 8} pixels of NaN or "
            "infinite values: no ground truth there"} in results.meta["skipped"]
    assert "holes.exr" not in {r["image"] for r in results.rows}


def test_smeared_nadirs_are_named_by_the_caller(pano_dir, tmp_path):
    kwargs = dict(generators=["telea"], masks=["nadir"], peers="none", html=False,
                  progress=False)
    plain = run_evaluation([pano_dir], tmp_path / "a", **kwargs)
    assert not plain.meta["skipped"]  # no dataset names are built in
    named = run_evaluation([pano_dir], tmp_path / "b", smeared_nadir=("smooth*",), **kwargs)
    assert [s["image"] for s in named.meta["skipped"]] == ["smooth.png"]


@pytest.mark.shared
@pytest.mark.slow
def test_quick_eval_on_shared_panoramas(shared_dir, tmp_path):
    results = run_evaluation(
        [shared_dir / "panoramas"], tmp_path, quick=True, generators=["telea"],
        masks=["nadir", "cube-edge"], peers=["faces-telea"], images=1, progress=False,
    )
    scored = [r for r in results.rows if r["kind"] != "reference"]
    assert len(scored) == 4 and all(r["status"] == "ok" for r in scored)
    assert all(r["known_changed"] == 0 for r in scored)
    # Real texture: a smooth fill is blurrier than reality.
    assert all(r["grad_ratio"] < 1 for r in scored)

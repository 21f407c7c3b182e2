"""``eval-compare``: two runs of one method side by side, per family, with the cases that moved."""

from __future__ import annotations

import json

import pytest

from pano_inpaint.cli import main
from pano_inpaint.eval.compare import compare_runs, format_comparison, load_rows, moved_cases
from pano_inpaint.exit_codes import EXIT_INPUT, EXIT_OK, EXIT_USAGE


def _row(image, family, method, psnr, ratio=0.8, inner=0.9, kind="generator", set_="panoramas",
         swd=0.01):
    return {"image": image, "set": set_, "family": family, "method": method, "kind": kind,
            "status": "ok", "psnr": psnr, "grad_ratio": ratio, "grad_inner": inner, "swd": swd}


def _runs():
    base = [_row("a.png", "tripod", "patchmatch", 30.0),
            _row("b.png", "tripod", "patchmatch", 32.0),
            _row("a.png", "wrap", "patchmatch", 25.0, ratio=0.5),
            _row("a.png", "wrap", "telea", 40.0, kind="generator")]  # another method: ignored
    new = [_row("a.png", "tripod", "patchmatch", 31.0, swd=0.004),
           _row("b.png", "tripod", "patchmatch", 31.5, swd=0.008),
           _row("a.png", "wrap", "patchmatch", 25.0, ratio=2.0),
           # failed and unshared cases are left out of both means
           {**_row("c.png", "tripod", "patchmatch", 99.0), "status": "failed"},
           _row("d.png", "tripod", "patchmatch", 50.0)]
    peers = [_row(image, family, name, psnr, kind="peer")
             for image, family, name, psnr in [("a.png", "tripod", "erp-ns", 30.5),
                                                ("b.png", "tripod", "erp-ns", 31.9),
                                                ("a.png", "tripod", "erp-telea", 29.0),
                                                ("b.png", "tripod", "erp-telea", 33.0),
                                                ("a.png", "wrap", "erp-ns", 26.0)]]
    return base, new, peers


def test_each_family_compares_the_cases_both_runs_scored():
    base, new, _ = _runs()
    tripod, wrap = compare_runs(base, new, "patchmatch")
    assert (tripod.family, tripod.cases) == ("tripod", 2)
    assert tripod.base_psnr == pytest.approx(31.0) and tripod.new_psnr == pytest.approx(31.25)
    assert tripod.diff == pytest.approx(0.25)
    # ratios are geometric means: 0.5 -> 2.0 is as far above 1 as below it
    assert wrap.base_ratio == pytest.approx(0.5) and wrap.new_ratio == pytest.approx(2.0)
    assert wrap.diff == 0
    # the texture distance: an arithmetic mean, as the evaluation's report takes it
    assert tripod.base_swd == pytest.approx(0.01) and tripod.new_swd == pytest.approx(0.006)


def test_the_moved_cases_come_largest_loss_first_above_the_threshold():
    base, new, _ = _runs()
    assert moved_cases(base, new, "patchmatch", 0.1) == [
        (pytest.approx(-0.5), ("panoramas", "tripod", "b.png")),
        (pytest.approx(1.0), ("panoramas", "tripod", "a.png"))]
    assert moved_cases(base, new, "patchmatch", 0.7) == [
        (pytest.approx(1.0), ("panoramas", "tripod", "a.png"))]


def test_the_report_sets_the_new_run_against_the_best_peer():
    base, new, peers = _runs()
    text = format_comparison(base, new, "patchmatch", threshold=0.1, peers=peers,
                             names=("before", "after"))
    assert "| panoramas | tripod | 2 | 31.00 | 31.25 | +0.25 | 0.80 -> 0.80 | 0.90 -> 0.90 | " \
        "0.0100 -> 0.0060 |" in text
    assert "3 cases in both runs: +0.50 dB summed" in text
    assert "- -0.50 panoramas / tripod / b.png" in text
    # the eval report's table (one set: no set column); erp-telea's mean (31.0) is below
    # erp-ns' (31.2): NS is the best peer; won: a.png only
    assert "| generator | family | cases | WS-PSNR dB | best peer |" in text
    assert "| patchmatch | tripod | 2 | 31.25 | erp-ns | 31.20 | +0.05 | 1/2 |" in text
    assert "| patchmatch | wrap | 1 | 25.00 | erp-ns | 26.00 | -1.00 | 0/1 |" in text


def test_the_command_prints_the_comparison(tmp_path, capsys):
    base, new, peers = _runs()
    for name, rows in (("base", base), ("new", new), ("peers", peers)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "results.json").write_text(json.dumps({"rows": rows}))
    assert load_rows(tmp_path / "new" / "results.json") == new
    code = main(["eval-compare", str(tmp_path / "base"), str(tmp_path / "new"),
                 "--peers", str(tmp_path / "peers"), "--threshold", "0.1"])
    text = capsys.readouterr().out
    assert code == EXIT_OK
    assert "| panoramas | tripod | 2 | 31.00 | 31.25 | +0.25 | 0.80 -> 0.80 | 0.90 -> 0.90 | " \
        "0.0100 -> 0.0060 |" in text
    assert "new against the best peer" in text


@pytest.mark.parametrize("bad", ["missing", "no-results", "unreadable", "binary", "not-json",
                                 "no-rows", "no-shared-case"])
def test_a_run_it_cannot_compare_is_one_line_saying_what_to_give(tmp_path, capsys, bad):
    """A missing run printed "not an evaluation run's results.json ([Errno 2] No such file or
    directory: ...)" as a usage error (2); a run that cannot be read is bad input (3, as the
    README's table and eval-net have it) saying what to give; no case in common stays 2."""
    base, new, _ = _runs()
    (tmp_path / "base.json").write_text(json.dumps({"rows": base}))
    other = tmp_path / "other.json"
    if bad == "no-results":
        other = tmp_path / "run"
        other.mkdir()
    elif bad == "unreadable":  # a folder whose results.json is a folder (root reads anything)
        other = tmp_path / "run"
        (other / "results.json").mkdir(parents=True)
    elif bad == "binary":
        other.write_bytes(b"\xff\xd8\xff\xe0")
    elif bad == "not-json":
        other.write_text("{")
    elif bad == "no-rows":
        other.write_text(json.dumps({"meta": {}}))
    elif bad == "no-shared-case":
        other.write_text(json.dumps({"rows": [_row("z.png", "tripod", "patchmatch", 1.0)]}))
    code = main(["eval-compare", str(tmp_path / "base.json"), str(other)])
    captured = capsys.readouterr()
    assert code == (EXIT_USAGE if bad == "no-shared-case" else EXIT_INPUT)
    assert "Traceback" not in captured.err
    text = " ".join(captured.err.split())  # the console wraps a long message
    assert text.startswith("error:") and text.count("error:") == 1 and "Errno" not in text
    if bad == "no-shared-case":
        assert "no case" in text
    else:
        assert str(other) in text and "give an evaluation run's folder" in text


@pytest.mark.parametrize(("row", "words"), [
    (1, "row 3 of its results is not an object"),
    ({k: v for k, v in _row("z.png", "tripod", "patchmatch", 1.0).items() if k != "family"},
     "row 3 of its results has no text 'family'"),
    (_row("z.png", "tripod", "patchmatch", "31.5"), "row 3 of its results has a 'psnr' that"),
    (_row("z.png", "tripod", "patchmatch", 1.0, ratio=True), "has a 'grad_ratio' that"),
])
def test_a_row_the_comparison_cannot_read_is_named(tmp_path, capsys, row, words):
    """A results.json whose rows are not evaluation results was a traceback (KeyError:
    'family'; AttributeError: 'int' object has no attribute 'get'; TypeError on a psnr given
    as text), exit 1; it is a run that cannot be read (3), naming the row."""
    base, new, _ = _runs()
    (tmp_path / "base.json").write_text(json.dumps({"rows": base}))
    (tmp_path / "new.json").write_text(json.dumps({"rows": [*new[:2], row]}))
    code = main(["eval-compare", str(tmp_path / "base.json"), str(tmp_path / "new.json")])
    text = " ".join(capsys.readouterr().err.split())
    assert code == EXIT_INPUT and text.count("error:") == 1 and words in text


@pytest.mark.parametrize("threshold", ["nan", "-0.5"])
def test_a_threshold_that_lists_nothing_or_everything_is_refused(tmp_path, capsys, threshold):
    """--threshold nan listed no moved case, silently (every comparison with NaN is false)."""
    base, new, _ = _runs()
    (tmp_path / "base.json").write_text(json.dumps({"rows": base}))
    (tmp_path / "new.json").write_text(json.dumps({"rows": new}))
    code = main(["eval-compare", str(tmp_path / "base.json"), str(tmp_path / "new.json"),
                 "--threshold", threshold])
    text = " ".join(capsys.readouterr().err.split())
    assert code == EXIT_USAGE and "--threshold is a change in dB, 0 or more" in text


def test_a_run_without_the_texture_distance_prints_a_dash_for_it():
    """Runs scored before the SWD was measured (or rows where it could not be) still compare:
    their SWD means are None and print as a dash."""
    base, new, _ = _runs()
    old = [{key: value for key, value in row.items() if key != "swd"} for row in base]
    tripod = compare_runs(old, new, "patchmatch")[0]
    assert tripod.base_swd is None and tripod.new_swd == pytest.approx(0.006)
    text = format_comparison(old, new, "patchmatch")
    assert "| 0.80 -> 0.80 | 0.90 -> 0.90 | – -> 0.0060 |" in text

import pytest

from pano_inpaint.eval.report import GROUND_TRUTH, markdown_report, summarise


def _row(method, family="nadir", **values):
    row = {"image": "a.png", "family": family, "method": method, "hdr": False,
           "kind": "reference" if method == GROUND_TRUTH else "generator", "status": "ok",
           "error": None}
    row.update(values)
    return row


ROWS = [
    _row(GROUND_TRUTH, seam=1.0, wrap=1.0, pole=0.5, boundary=1.0),
    _row("telea", psnr=30.0, grad_ratio=0.5, seam=1.0, known_changed=0, seconds=1.0),
    _row("telea", family="wrap", psnr=20.0, grad_ratio=2.0, seam=None, known_changed=3,
         seconds=3.0),
    _row("broken", status="failed", error="boom"),
]


def test_summarise_means_sums_and_failures():
    entries = {e["method"]: e for e in summarise(ROWS)}
    assert list(entries) == [GROUND_TRUTH, "telea", "broken"]
    telea = entries["telea"]
    assert telea["cases"] == 2 and telea["psnr"] == pytest.approx(25.0)
    assert telea["grad_ratio"] == pytest.approx(1.0)  # geometric mean of 0.5 and 2
    assert telea["seam"] == pytest.approx(1.0)  # None is left out
    assert telea["known_changed"] == 3  # summed, not averaged
    assert entries["broken"]["failed"] == 1 and entries["broken"]["cases"] == 0
    assert entries[GROUND_TRUTH]["psnr"] is None and entries[GROUND_TRUTH]["pole"] == 0.5
    assert [e["method"] for e in summarise(ROWS, "wrap")] == ["telea"]


def test_markdown_report_has_reference_rows_and_families():
    meta = {"command": "eval x", "date": "today", "seconds": 1.0, "versions": {"numpy": "2"},
            "images": [], "skipped": [{"image": "v.jpg", "family": "nadir", "reason": "old"}],
            "settings": {"families": ["nadir", "wrap"], "seed": 0, "methods": ["telea"],
                         "max_width": 2048}}
    text = markdown_report(ROWS, meta)
    assert "| ground truth |" in text and "### nadir" in text and "### wrap" in text
    assert "not scored: v.jpg / nadir: old" in text
    assert "(1 failed)" in text

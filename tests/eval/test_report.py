import pytest

from pano_inpaint.eval.report import GROUND_TRUTH, against_peers, markdown_report, summarise


def _row(method, family="nadir", image="a.png", **values):
    row = {"image": image, "family": family, "method": method, "hdr": False,
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


def _case(image, set_name, family, **psnrs):
    return [_row(m, family=family, image=image, set=set_name, psnr=v, grad_ratio=0.5,
                 kind="peer" if m.startswith("erp") else "generator")
            for m, v in psnrs.items()]


def test_against_peers_per_set_and_family():
    rows = [
        *_case("a.png", "panoramas", "nadir", pm=30.0, **{"erp-ns": 29.0, "erp-telea": 28.0}),
        *_case("b.png", "panoramas", "nadir", pm=25.0, **{"erp-ns": 27.0, "erp-telea": 26.0}),
        # a wide panorama: one peer did not run; the other is the comparison there
        *_case("c.jpg", "hires", "nadir", pm=20.0, **{"erp-telea": 21.5}),
        _row("erp-ns", family="nadir", image="c.jpg", set="hires", kind="peer",
             status="skipped"),
    ]
    entries = {e["set"]: e for e in against_peers(rows, ["nadir", "wrap"])}
    assert set(entries) == {"panoramas", "hires"}  # no entry for a family with no cases
    mine = entries["panoramas"]
    assert mine["peer"] == "erp-ns" and mine["peer_psnr"] == pytest.approx(28.0)
    assert mine["diff"] == pytest.approx(-0.5) and mine["won"] == 1 and mine["cases"] == 2
    assert mine["grad_ratio"] == pytest.approx(0.5)
    assert entries["hires"]["peer"] == "erp-telea"
    assert entries["hires"]["diff"] == pytest.approx(-1.5) and entries["hires"]["won"] == 0
    assert against_peers([r for r in rows if r["kind"] != "peer"], ["nadir"]) == []


def test_markdown_report_splits_families_by_set():
    rows = [*_case("a.png", "panoramas", "nadir", pm=30.0, **{"erp-ns": 29.0}),
            *_case("c.jpg", "hires", "nadir", pm=20.0, **{"erp-ns": 21.5})]
    meta = {"command": "eval x", "date": "today", "seconds": 1.0, "versions": {}, "images": [],
            "settings": {"families": ["nadir"], "seed": 0, "methods": ["pm", "erp-ns"],
                         "max_width": 2048}}
    text = markdown_report(rows, meta)
    assert "### panoramas" in text and "### hires" in text
    assert "| pm | hires | nadir | 1 | 20.00 | erp-ns | 21.50 | -1.50 | 0/1 |" in text


def test_rows_of_an_older_run_without_a_set_are_named_so():
    """Rows written before rows named their set, merged with new ones, get a readable set."""
    old = [{k: v for k, v in r.items() if k != "set"}
           for r in _case("a.png", "x", "nadir", pm=30.0, **{"erp-ns": 29.0})]
    rows = [*old, *_case("c.jpg", "hires", "nadir", pm=20.0, **{"erp-ns": 21.5})]
    meta = {"command": "eval x", "date": "today", "seconds": 1.0, "versions": {}, "images": [],
            "settings": {"families": ["nadir"], "seed": 0, "methods": ["pm", "erp-ns"],
                         "max_width": 2048}}
    text = markdown_report(rows, meta)
    assert "None" not in text and "### no set recorded" in text
    assert "| pm | no set recorded | nadir | 1 | 30.00 |" in text

"""Reports of an evaluation: ``results.md`` (means), ``results.json`` (every row), ``index.html``.

Row fields (one row per image x mask family x method; ``method == "ground truth"`` is the
reference row of a case, measured on the truth itself):

``image, set, family, method, kind, hdr, width, hole_fraction, status, error`` (``set``: the
name of the folder the image came from; ``scenes`` for the rendered scenes) and, for scored rows,
``psnr, ssim`` (weighted-to-spherical, in the hole, on the display-referred / tone-mapped proxy),
``grad_ratio`` (fill / truth gradient energy; 1 = as sharp), ``grad_inner`` (the same over the
hole's inner half: the deeper half of its solid angle, where a large fill fogs first), ``swd``
(patch sliced Wasserstein distance; 0 = same texture statistics), ``logl_psnr`` (HDR only:
log-luminance PSNR on linear values), ``seam, wrap, pole, boundary``
(:func:`pano_inpaint.check_consistency` ratios, 1 = like any other pixel step; None where the
hole does not reach a cube edge, the wrap line or a pole),
``known_changed`` (pixels outside the hole that differ from the input; must be 0), ``seconds``
(wall) and ``peak_mb`` (the process's peak resident memory while the method ran, above its
resident size before: every library's allocations; see :mod:`pano_inpaint.eval.memory`).

The HTML shows, per case, undistorted perspective crops centred on the hole (the input with the
hole outlined, the truth, every method's fill), and beside them the pole view (the standard
cube's down or up face, widened so its edges show, drawn as a dotted square) and a view across
the wrap line (marked at the top and bottom), where the hole reaches them.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from pano_inpaint.eval.views import hole_centre, hole_radius_degrees, perspective_view
from pano_inpaint.geometry.cubemap import erp_to_cube
from pano_inpaint.geometry.sphere import erp_pixel_to_lonlat, lonlat_to_xyz
from pano_inpaint.io.atomic import atomic_write_text, make_folder
from pano_inpaint.io.images import write_image
from pano_inpaint.masks.auto.preview import outline_hole
from pano_inpaint.values import ToneMap, to_values

__all__ = ["COLUMNS", "RATIO_FIELDS", "CaseViews", "against_peers", "column_mean", "format_cell",
           "peer_table", "summarise", "write_reports"]

GROUND_TRUTH = "ground truth"

# (field, header, format); means over the rows where the field is not None.
COLUMNS = (
    ("psnr", "WS-PSNR dB ↑", "{:.2f}"),
    ("ssim", "WS-SSIM ↑", "{:.3f}"),
    ("grad_ratio", "grad ratio →1", "{:.2f}"),
    ("grad_inner", "grad inner half →1", "{:.2f}"),
    ("swd", "patch SWD ↓", "{:.4f}"),
    ("seam", "seam", "{:.2f}"),
    ("wrap", "wrap", "{:.2f}"),
    ("pole", "pole", "{:.2f}"),
    ("boundary", "boundary", "{:.2f}"),
    ("known_changed", "known px changed (sum)", "{:d}"),
    ("seconds", "s", "{:.2f}"),
    ("peak_mb", "peak MB", "{:.0f}"),
)
_REFERENCE_FIELDS = ("seam", "wrap", "pole", "boundary")
_CROP = 256
_SIDE = 192
_POLE_FOV = 110.0
_WRAP_FOV = 90.0


# ---------------------------------------------------------------------------------- summaries


# Ratios (1 = like the truth) are averaged geometrically: 0.5 and 2 are equally far from 1,
# and one outlier (a fill sharper than a nearly flat sky) does not swamp the mean.
RATIO_FIELDS = frozenset({"grad_ratio", "grad_inner", "seam", "wrap", "pole", "boundary"})


def column_mean(values: Iterable[float | None], geometric: bool = False) -> float | None:
    """The mean of a column's finite values (geometric for a ratio column), None if none."""
    kept = [v for v in values if v is not None and math.isfinite(v)]
    if not kept:
        return None
    if geometric:
        return float(np.exp(np.mean(np.log(np.maximum(kept, 1e-9)))))
    return float(np.mean(kept))


def _method_order(rows: list[dict]) -> list[str]:
    order = [GROUND_TRUTH]
    for row in rows:
        if row["method"] not in order:
            order.append(row["method"])
    return order


def summarise(rows: list[dict], family: str | None = None) -> list[dict]:
    """Per method (ground truth first): cases, failures and the mean of every column.

    Ratio columns (:data:`RATIO_FIELDS`) are geometric means; ``known_changed`` is summed (it
    must be 0); for the ground truth only the consistency figures are kept.
    """
    picked = [r for r in rows if family is None or r["family"] == family]
    out = []
    for method in _method_order(picked):
        mine = [r for r in picked if r["method"] == method]
        if not mine:
            continue
        ok = [r for r in mine if r["status"] == "ok"]
        entry = {"method": method, "cases": len(ok),
                 "failed": sum(r["status"] == "failed" for r in mine),
                 "skipped": sum(r["status"] == "skipped" for r in mine)}
        for name, _, _ in COLUMNS:
            if method == GROUND_TRUTH and name not in _REFERENCE_FIELDS:
                entry[name] = None
            elif name == "known_changed":
                entry[name] = sum(int(r.get(name) or 0) for r in ok) if ok else None
            else:
                entry[name] = column_mean((r.get(name) for r in ok), name in RATIO_FIELDS)
        out.append(entry)
    return out


def _families(rows: list[dict], meta: dict) -> list[str]:
    """The run's mask families (in the order asked for) that have rows."""
    return [f for f in meta["settings"]["families"] if any(r["family"] == f for r in rows)]


_NO_SET = "no set recorded"  # rows of a run from before rows named their set


def _set_of(row: dict) -> str:
    """The row's set (its image's folder)."""
    return row.get("set") or _NO_SET


def _sets(rows: list[dict]) -> list[str]:
    """The rows' sets (image folders) in the order they first appear."""
    return list(dict.fromkeys(_set_of(r) for r in rows))


def against_peers(rows: list[dict], families: list[str]) -> list[dict]:
    """Each generator against the best peer, per set and family: the issue's bar.

    Only the cases every method of the comparison scored are counted. ``peer`` is the peer
    with the best mean WS-PSNR over those cases; ``diff`` is the generator's mean less that;
    ``won`` counts the cases where the generator is at or above every peer on the case itself
    (a family mean can hide a loss on most of its cases). The peers are those that ran on the
    set (pypatchmatch skips panoramas wider than 1024 px). Gradient ratios are geometric means.
    """
    scored = [r for r in rows if r["status"] == "ok" and r.get("psnr") is not None]
    peers = [m for m in _method_order(scored) if any(
        r["method"] == m and r["kind"] == "peer" for r in scored)]
    generators = [m for m in _method_order(scored) if any(
        r["method"] == m and r["kind"] == "generator" for r in scored)]
    if not peers:
        return []
    cases: dict[tuple, dict[str, dict]] = {}
    for r in scored:
        cases.setdefault((_set_of(r), r["family"], r["image"]), {})[r["method"]] = r
    out = []
    for generator in generators:
        for set_name in _sets(scored):
            for family in families:
                group = [c for (s, f, _), c in cases.items() if s == set_name and f == family]
                # The peers that ran on this group (pypatchmatch skips wide panoramas).
                present = [p for p in peers if any(p in c for c in group)]
                mine = [c for c in group if generator in c and all(p in c for p in present)]
                if not mine or not present:
                    continue
                means = {m: float(np.mean([c[m]["psnr"] for c in mine]))
                         for m in [generator, *present]}
                best = max(present, key=lambda m: means[m])
                out.append({
                    "generator": generator, "set": set_name, "family": family,
                    "cases": len(mine), "psnr": means[generator], "peer": best,
                    "peer_psnr": means[best], "diff": means[generator] - means[best],
                    "won": sum(c[generator]["psnr"] >= max(c[p]["psnr"] for p in present)
                               for c in mine),
                    "grad_ratio": column_mean((c[generator].get("grad_ratio") for c in mine), True),
                    "grad_inner": column_mean((c[generator].get("grad_inner") for c in mine), True),
                })
    return out


def format_cell(value: float | int | None, fmt: str) -> str:
    """A table cell: ``value`` in ``fmt``, or a dash for a mean with no value (None).

    Example:
        >>> format_cell(0.8123, "{:.2f}"), format_cell(None, "{:.2f}")
        ('0.81', '–')
    """
    return "–" if value is None else fmt.format(value)


def _peer_cells(entries: list[dict]) -> tuple[list[str], list[list[str]]]:
    """The header and the cells of the against-the-best-peer table (a set column only when
    there are several sets)."""
    with_sets = len({e["set"] for e in entries}) > 1
    header = ["generator", *(["set"] if with_sets else []), "family", "cases", "WS-PSNR dB",
              "best peer", "peer dB", "diff dB", "won", "grad ratio", "grad inner half"]
    body = [[e["generator"], *([e["set"]] if with_sets else []), e["family"],
             str(e["cases"]), f"{e['psnr']:.2f}", e["peer"], f"{e['peer_psnr']:.2f}",
             f"{e['diff']:+.2f}", f"{e['won']}/{e['cases']}",
             format_cell(e["grad_ratio"], "{:.2f}"), format_cell(e["grad_inner"], "{:.2f}")]
            for e in entries]
    return header, body


def peer_table(entries: list[dict]) -> list[str]:
    """The Markdown lines of the against-the-best-peer table of :func:`against_peers`' entries
    (``results.md`` and ``eval-compare``)."""
    header, body = _peer_cells(entries)
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *["| " + " | ".join(cells) + " |" for cells in body]]


def _markdown_table(entries: list[dict]) -> list[str]:
    header = ["method", "cases", *[h for _, h, _ in COLUMNS]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for e in entries:
        count = str(e["cases"]) + (f" ({e['failed']} failed)" if e["failed"] else "")
        if e["method"] == GROUND_TRUTH:
            count = str(e["cases"])
        cells = [e["method"], count, *[format_cell(e[n], f) for n, _, f in COLUMNS]]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _matrix(rows: list[dict], families: list[str], field: str, fmt: str) -> list[str]:
    methods = [m for m in _method_order(rows) if m != GROUND_TRUTH]
    lines = ["| method | " + " | ".join(families) + " | all |",
             "|" + "---|" * (len(families) + 2)]
    for method in methods:
        cells = []
        for family in [*families, None]:
            values = [r.get(field) for r in rows if r["method"] == method and r["status"] == "ok"
                      and (family is None or r["family"] == family)]
            cells.append(format_cell(column_mean(values, field in RATIO_FIELDS), fmt))
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return lines


def _hdr_table(rows: list[dict]) -> list[str]:
    hdr_rows = [r for r in rows if r["hdr"] and r["status"] == "ok" and r["kind"] != "reference"]
    if not hdr_rows:
        return []
    lines = ["| method | cases | log-luminance PSNR dB ↑ | WS-PSNR (tone-mapped) dB ↑ |",
             "|---|---|---|---|"]
    for method in _method_order(hdr_rows):
        mine = [r for r in hdr_rows if r["method"] == method]
        if mine:
            lines.append(f"| {method} | {len(mine)} | "
                         f"{format_cell(column_mean(r['logl_psnr'] for r in mine), '{:.2f}')} | "
                         f"{format_cell(column_mean(r['psnr'] for r in mine), '{:.2f}')} |")
    return lines


def markdown_report(rows: list[dict], meta: dict) -> str:
    """The Markdown report: settings, overall table, per-family tables, HDR table, definitions."""
    settings = meta["settings"]
    families = _families(rows, meta)
    images = meta["images"]
    reduced = [i for i in images if i["reduced"]]
    lines = [
        "# pano-inpaint evaluation",
        "",
        f"- command: `{meta['command']}`",
        f"- date: {meta['date']}; run time {meta['seconds']:.0f} s",
        f"- {len(images)} panoramas ({sum(i['hdr'] for i in images)} HDR), "
        f"{len(families)} mask families, seed {settings['seed']}; methods: "
        + ", ".join(settings["methods"]),
        f"- panoramas wider than {settings['max_width']} px reduced to it (area averaging): "
        + (", ".join(f"{i['name']} {i['original_size'][0]}→{i['evaluated_size'][0]}"
                     for i in reduced) or "none"),
        "- versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
    ]
    for skip in meta.get("skipped", []):
        where = f" / {skip['family']}" if "family" in skip else ""
        lines.append(f"- not scored: {skip['image']}{where}: {skip['reason']}")
    lines += ["", "## All cases (mean per method)", "", *_markdown_table(summarise(rows)), ""]
    sets = _sets(rows)
    lines += ["## WS-PSNR in the hole by mask family (dB)", "",
              *_matrix(rows, families, "psnr", "{:.2f}"), ""]
    if len(sets) > 1:  # one folder's family means can hide another's
        for set_name in sets:
            mine = [r for r in rows if _set_of(r) == set_name]
            lines += [f"### {set_name}", "", *_matrix(mine, families, "psnr", "{:.2f}"), ""]
    peer_entries = against_peers(rows, families)
    if peer_entries:
        lines += ["## Each generator against the best peer, per family", "",
                  "Mean WS-PSNR over the cases every method scored; won: cases where the "
                  "generator is at or above every peer.", "", *peer_table(peer_entries), ""]
    lines += ["## Patch SWD by mask family (lower = closer texture statistics)", "",
              *_matrix(rows, families, "swd", "{:.4f}"), ""]
    lines += ["## Per mask family (mean per method)", ""]
    for family in families:
        count = len({r["image"] for r in rows if r["family"] == family})
        lines += [f"### {family} ({count} images)", "", *_markdown_table(summarise(rows, family)),
                  ""]
    hdr = _hdr_table(rows)
    if hdr:
        lines += ["## HDR panoramas", "", *hdr, ""]
    lines += [
        "## Columns",
        "",
        "- WS-PSNR / WS-SSIM: inside the hole, every pixel weighted by cos(latitude); on the "
        "8-bit image's values, or on the tone-mapped proxy for HDR.",
        "- grad ratio: gradient energy of the fill / of the truth in the hole, on gnomonic faces "
        "centred on the hole; 1 = as sharp as reality, < 1 blurred. grad inner half: the same "
        "over the deeper half of the hole (by solid angle, depth = angle to the nearest known "
        "pixel), where a large fill blurs first.",
        "- patch SWD: multi-scale sliced Wasserstein distance between 7x7 patch distributions of "
        "fill and truth (Laplacian pyramid, 3 levels), on the same faces; weight-free.",
        "- seam / wrap / pole / boundary: `check_consistency` ratios (1 = like any other pixel "
        "step); seam on the edges inside the hole of the standard cube and of the cube each "
        "fill was made on; wrap where the hole crosses the wrap line; pole where it reaches a "
        "pole. The ground-truth row is the same figure measured on the truth.",
        "- known px changed: pixels outside the hole that differ from the input (must be 0).",
        "- Means are arithmetic, except for the ratio columns (grad ratio, seam, wrap, pole, "
        "boundary), which are geometric means.",
        "- s: wall seconds; peak MB: the process's peak resident memory while the method ran, "
        "above its resident size just before (kernel peak-RSS counter reset per call; OpenCV, "
        "numba and torch allocations included; cases share one process, so a lower bound on a "
        "fresh process's need).",
        "",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------- thumbnails


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "x"


def _display(view: np.ndarray, tone: ToneMap) -> np.ndarray:
    values = to_values(view[..., None] if view.ndim == 2 else view)[..., :3]
    proxy = tone.to_proxy(values) if tone.hdr else np.clip(values, 0, 1)
    return np.rint(proxy * 255).astype(np.uint8)


def _dotted_square(image: np.ndarray, start: int, stop: int) -> None:
    for i in range(start, stop, 4):
        for y, x in ((start, i), (stop - 1, i), (i, start), (i, stop - 1)):
            image[y, x] = (255, 255, 0)


class CaseViews:
    """Writes the thumbnails of each case under ``OUT_DIR/cases/`` and remembers them."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self.cases: list[dict] = []

    def _save(self, folder: Path, name: str, image: np.ndarray) -> str:
        path = folder / f"{_slug(name)}.jpg"
        write_image(path, image, quality=85, overwrite=True)  # whole or not at all
        return path.relative_to(self.out_dir).as_posix()

    def write(self, truth, family: str, mask: np.ndarray, tone: ToneMap,
              outputs: dict[str, np.ndarray], rows: list[dict]) -> None:
        """Thumbnails of the hole, the truth and every output of one case."""
        case_id = _slug(f"{Path(truth.name).stem}__{family}")
        folder = self.out_dir / "cases" / case_id
        make_folder(folder)  # taken away again if the command fails (io.atomic.all_or_nothing)
        height, width = mask.shape
        centre = hole_centre(mask)
        fov = float(np.clip(2.6 * hole_radius_degrees(mask, centre), 60, 150))
        mask_u8 = mask.astype(np.uint8) * np.uint8(255)
        crop_hole = perspective_view(mask_u8, centre, fov, _CROP) > 127

        _, lat = erp_pixel_to_lonlat(0.0, np.arange(height), height, width)
        hole_rows = mask.any(axis=1)
        pole = 5 if (hole_rows & (lat < np.radians(-40))).any() else (
            4 if (hole_rows & (lat > np.radians(40))).any() else None)
        # Near a pole the wrap line is better seen in the pole view.
        wrap_rows = np.flatnonzero((mask[:, 0] | mask[:, -1]) & (np.abs(lat) < np.radians(60)))
        wrap_dir = None
        if wrap_rows.size:
            wrap_dir = lonlat_to_xyz(np.pi, float(np.mean(lat[wrap_rows])))
        face_size = max(8, int(round(_SIDE / np.tan(np.radians(_POLE_FOV / 2)))))
        pad = (_SIDE - face_size) // 2

        def views(image: np.ndarray, name: str, *, hole_marks: bool) -> dict:
            files = {}
            crop = _display(perspective_view(image, centre, fov, _CROP), tone)
            files["crop"] = self._save(folder, f"{name}_crop",
                                       outline_hole(crop, crop_hole, tint=hole_marks)
                                       if hole_marks else crop)
            if pole is not None:
                face = _display(erp_to_cube(image, face_size, pad=pad, face_ids=[pole])[0], tone)
                _dotted_square(face, pad, pad + face_size)
                files["pole"] = self._save(folder, f"{name}_pole", face)
            if wrap_dir is not None:
                side = _display(perspective_view(image, wrap_dir, _WRAP_FOV, _SIDE), tone)
                side[:6, _SIDE // 2] = side[-6:, _SIDE // 2] = (255, 255, 0)
                files["wrap"] = self._save(folder, f"{name}_wrap", side)
            return files

        source = truth.pixels.copy()
        source[mask] = 0
        entry = {
            "id": case_id, "image": truth.name, "family": family, "fov": round(fov),
            "hole_fraction": next((r["hole_fraction"] for r in rows), None),
            "views": {"hole": views(source, "hole", hole_marks=True),
                      GROUND_TRUTH: views(truth.pixels, "truth", hole_marks=False)},
        }
        for name, image in outputs.items():
            entry["views"][name] = views(image, name, hole_marks=False)
        entry["rows"] = {r["method"]: r for r in rows}
        self.cases.append(entry)


# ---------------------------------------------------------------------------------- HTML


_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 6px;
font-size:13px;text-align:right;vertical-align:top}th{background:#f3f3f3}
td.name{text-align:left;white-space:nowrap}img{display:block}section{margin-bottom:2em}
.fail{color:#b00}
"""


def _html_summary(entries: list[dict]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ["method", "cases",
                                                          *[h for _, h, _ in COLUMNS]])
    body = []
    for e in entries:
        cells = [e["method"], str(e["cases"]), *[format_cell(e[n], f) for n, _, f in COLUMNS]]
        body.append("<tr>" + "".join(
            f"<td{' class=name' if i == 0 else ''}>{html.escape(c)}</td>"
            for i, c in enumerate(cells)) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _row_caption(row: dict | None) -> str:
    if row is None:
        return ""
    if row["status"] != "ok":
        return f"<span class=fail>{html.escape(row['status'])}: {html.escape(str(row['error']))}"\
               "</span>"
    parts = []
    for name, label, fmt in (("psnr", "PSNR", "{:.2f}"), ("ssim", "SSIM", "{:.3f}"),
                             ("grad_ratio", "grad", "{:.2f}"),
                             ("grad_inner", "grad inner", "{:.2f}"), ("swd", "SWD", "{:.4f}"),
                             ("seam", "seam", "{:.2f}"), ("wrap", "wrap", "{:.2f}"),
                             ("pole", "pole", "{:.2f}"), ("boundary", "bound", "{:.2f}"),
                             ("seconds", "s", "{:.2f}")):
        if row.get(name) is not None:
            parts.append(f"{label} {fmt.format(row[name])}")
    return "<br>".join(html.escape(p) for p in parts)


def html_report(rows: list[dict], meta: dict, cases: list[dict]) -> str:
    """A static page: the overall table, then every case's views side by side."""
    parts = [
        "<!doctype html><html><head><meta charset=utf-8><title>pano-inpaint evaluation</title>",
        f"<style>{_STYLE}</style></head><body><h1>pano-inpaint evaluation</h1>",
        f"<p><code>{html.escape(meta['command'])}</code><br>{html.escape(meta['date'])}, "
        f"{meta['seconds']:.0f} s. Tables: <a href=results.md>results.md</a>, "
        "<a href=results.json>results.json</a>. Crops are perspective views centred on the hole "
        "(outlined in magenta on the input); pole views are the standard cube's down/up face "
        "widened so its edges (dotted) show; wrap views look across lon = 180 (marked).</p>",
        "<h2>All cases</h2>", _html_summary(summarise(rows)),
    ]
    peer_entries = against_peers(rows, _families(rows, meta))
    if peer_entries:
        header, body = _peer_cells(peer_entries)
        parts += ["<h2>Each generator against the best peer, per family</h2>",
                  "<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header)
                  + "</tr>" + "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>"
                                                       for c in cells) + "</tr>"
                                      for cells in body) + "</table>"]
    for case in cases:
        frac = case["hole_fraction"]
        parts.append(f"<section id={case['id']}><h3>{html.escape(case['image'])} — "
                     f"{html.escape(case['family'])} (hole {100 * (frac or 0):.1f}% of the "
                     f"sphere, crop {case['fov']}°)</h3><table>")
        parts.append("<tr><th>method</th><th>hole-centred crop</th><th>pole view</th>"
                     "<th>wrap view</th><th>figures</th></tr>")
        for name, files in case["views"].items():
            cells = [f"<td class=name>{html.escape(name)}</td>"]
            for key in ("crop", "pole", "wrap"):
                src = files.get(key)
                cells.append(f"<td><img src='{html.escape(src)}' loading=lazy></td>" if src
                             else "<td></td>")
            cells.append(f"<td class=name>{_row_caption(case['rows'].get(name))}</td>")
            parts.append("<tr>" + "".join(cells) + "</tr>")
        for name, row in case["rows"].items():  # failed / skipped methods have no views
            if name not in case["views"]:
                parts.append(f"<tr><td class=name>{html.escape(name)}</td><td colspan=4 "
                             f"class=name>{_row_caption(row)}</td></tr>")
        parts.append("</table></section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_reports(rows: list[dict], meta: dict, out_dir: Path,
                  views: CaseViews | None = None) -> dict[str, Path]:
    """Write ``results.md``, ``results.json`` and (with ``views``) ``index.html``."""
    out_dir = Path(out_dir)
    files = {"markdown": out_dir / "results.md", "json": out_dir / "results.json"}
    atomic_write_text(files["markdown"], markdown_report(rows, meta))
    payload = {"meta": meta, "summary": summarise(rows), "rows": rows}
    atomic_write_text(files["json"], json.dumps(payload, indent=1, default=_json_default))
    if views is not None:
        files["html"] = out_dir / "index.html"
        atomic_write_text(files["html"], html_report(rows, meta, views.cases))
    return files

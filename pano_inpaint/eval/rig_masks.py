"""``evaluate_rig_masks``: how well the automatic mask finds rigs on panoramas never trained on,
and what a tighter hole buys the fill. Behind ``pano-inpaint eval-mask``.

Cases: every panorama x rig kind (:mod:`pano_inpaint.masks.rigs`): a random rig of that kind
(seeded by kind, image name and seed), under random light, with the stitching artefacts of
training (ghosts, seam cuts), ray-cast at the panorama's resolution and composited over it
(display-referred; HDR panoramas through the pipeline's tone map), rounded to 8 bits like a
camera's JPEG. The true mask is every pixel the rig or its shadow visibly changed.

Figures per detector (and for the usual 25-degree nadir cap, the baseline), all weighted by solid
angle on the sphere:

* *IoU* with the true mask; *recall* (the share of rig pixels masked: a missed leg is worse than
  a few extra pixels of hole); *precision*;
* *area / cap*: the mask's area over the 25-degree cap's (the rig's own is in the ``truth``
  row).

End to end (``generator``): each composite is filled with the automatic mask and with the 25-degree
cap, and WS-PSNR against the clean panorama is measured over the cap's region (where the two
differ; rig pixels the automatic mask missed count against it) and over the rig's whole area
(cap's region plus whatever of the rig lies outside it). Perspective crops of the nadir go into
``index.html``: the composite with the true mask, the automatic mask, both fills and the truth.

Shoots: one rig of each kind over every panorama, each shot turned by a random yaw and lit anew
(the shadow falls elsewhere each time); IoU of the single-image masks against the shoot's masks,
and of the shoot's masks with the first 2, 3, ... shots only (how many shots it needs).
"""

from __future__ import annotations

import datetime
import html
import json
import logging
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pano_inpaint._progress import ProgressBar
from pano_inpaint.config import AutoMaskConfig, PipelineConfig
from pano_inpaint.eval.images import GroundTruth, find_panoramas, load_panorama, none_readable
from pano_inpaint.eval.metrics import sphere_weights, ws_psnr
from pano_inpaint.eval.runner import EvalResults
from pano_inpaint.eval.views import perspective_view
from pano_inpaint.generators import generator_info
from pano_inpaint.io.atomic import atomic_write_text, check_folder, make_folder
from pano_inpaint.io.images import write_image
from pano_inpaint.masks import mask_fraction, nadir_mask
from pano_inpaint.masks.auto import CAP_DEGREES, detect_rig, detect_shoot, get_detector
from pano_inpaint.masks.auto.preview import outline_hole
from pano_inpaint.masks.rigs import (
    ErpGrid,
    composite,
    list_rig_kinds,
    make_rig,
    random_scene,
    render_layer,
    true_mask,
)
from pano_inpaint.pipeline import inpaint
from pano_inpaint.values import ToneMap, to_values

__all__ = ["evaluate_rig_masks", "mask_scores"]

log = logging.getLogger(__name__)

CAP = f"cap-{CAP_DEGREES:.0f}"
TRUTH = "truth"
_CROP = 256
_DOWN = np.array([0.0, -1.0, 0.0])


def mask_scores(found: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """IoU, recall, precision (solid-angle weighted) and area over the 25-degree cap's.

    Example:
        >>> t = nadir_mask(32, 64, 20)
        >>> s = mask_scores(nadir_mask(32, 64, 25), t)
        >>> s["recall"], s["area_cap"]
        (1.0, 1.0)
    """
    w = sphere_weights(*truth.shape)
    both = float((w * (found & truth)).sum())
    union = float((w * (found | truth)).sum())
    found_area = float((w * found).sum())
    truth_area = float((w * truth).sum())
    cap = mask_fraction(nadir_mask(*truth.shape, CAP_DEGREES))
    return {"iou": both / union if union else 1.0,
            "recall": both / truth_area if truth_area else 1.0,
            "precision": both / found_area if found_area else 1.0,
            "area_cap": mask_fraction(found) / cap}


def _rng(*keys: object) -> np.random.Generator:
    return np.random.default_rng([zlib.crc32(str(k).encode()) for k in keys])


@dataclass
class _Case:
    name: str
    kind: str
    image: np.ndarray  # (H, W, 3) uint8 composite
    truth: np.ndarray  # (H, W) bool
    clean: np.ndarray  # (H, W, 3) uint8 panorama without the rig


def _display_uint8(truth: GroundTruth) -> np.ndarray:
    values = to_values(truth.pixels)
    proxy = ToneMap.for_image(values, hdr=truth.hdr).to_proxy(values)
    return np.clip(np.rint(proxy * 255), 0, 255).astype(np.uint8)


def _composite(clean: np.ndarray, scene, rng: np.random.Generator, yaw_columns: int = 0
               ) -> tuple[np.ndarray, np.ndarray]:
    height, width = clean.shape[:2]
    layer = render_layer(scene, ErpGrid(height), (height, width), first_row=height // 2, rng=rng)
    image = composite(clean.astype(np.float32) / 255, layer)
    image = np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)
    truth = true_mask(layer)
    return np.roll(image, yaw_columns, axis=1), np.roll(truth, yaw_columns, axis=1)


def _nadir_crop(image: np.ndarray) -> np.ndarray:
    return perspective_view(image, _DOWN, 120.0, _CROP)


class _Views:
    """Perspective crops of the nadir for the HTML report."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.cases: list[dict] = []

    def _save(self, folder: Path, name: str, image: np.ndarray) -> str:
        path = folder / f"{name}.jpg"
        write_image(path, image, quality=85, overwrite=True)  # whole or not at all
        return path.relative_to(self.out_dir).as_posix()

    def add(self, case: _Case, masks: dict[str, np.ndarray], fills: dict[str, np.ndarray],
            rows: list[dict]) -> None:
        folder = self.out_dir / "cases" / f"{Path(case.name).stem}__{case.kind}"
        make_folder(folder)  # taken away again if the command fails (io.atomic.all_or_nothing)
        composite_crop = _nadir_crop(case.image)
        files = {"input, true mask": self._save(folder, "truth_mask", outline_hole(
            composite_crop, _nadir_crop(case.truth.view(np.uint8)) > 0, tint=False))}
        for name, mask in masks.items():
            files[f"mask: {name}"] = self._save(folder, f"mask_{name}", outline_hole(
                composite_crop, _nadir_crop(mask.view(np.uint8)) > 0))
        for name, fill in fills.items():
            files[f"fill: {name}"] = self._save(folder, f"fill_{name}", _nadir_crop(fill))
        files["ground truth"] = self._save(folder, "clean", _nadir_crop(case.clean))
        self.cases.append({"image": case.name, "kind": case.kind, "files": files,
                           "rows": rows})


def _mean(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _summaries(rows: list[dict], kinds: list[str], methods: list[str]) -> list[str]:
    lines = ["## Masks per rig kind (solid-angle weighted; mean over panoramas)", ""]
    for field, label in (("iou", "IoU ↑"), ("recall", "recall of rig pixels ↑"),
                         ("precision", "precision ↑"), ("area_cap", "area / 25° cap")):
        header = ["method", *kinds, "all"]
        body = []
        for method in methods:
            mine = [r for r in rows if r["method"] == method and r["kind"] == "mask"]
            cells = [_fmt(_mean([r[field] for r in mine if r["rig"] == k])) for k in kinds]
            body.append([method, *cells, _fmt(_mean([r[field] for r in mine]))])
        lines += [f"### {label}", "", *_table(header, body), ""]
    fills = [r for r in rows if r["kind"] == "fill"]
    if fills:
        lines += ["## End to end: WS-PSNR (dB) of the fill against the clean panorama", "",
                  "Over the 25-degree cap's region, and over the cap's region plus the rig's "
                  "pixels outside it.", ""]
        names = list(dict.fromkeys(r["method"] for r in fills))
        for field, label in (("psnr_cap", "over the 25° cap"),
                             ("psnr_rig", "over the cap and the rig")):
            body = []
            for name in names:
                mine = [r for r in fills if r["method"] == name]
                cells = [_fmt(_mean([r[field] for r in mine if r["rig"] == k]), 2)
                         for k in kinds]
                body.append([name, *cells, _fmt(_mean([r[field] for r in mine]), 2)])
            lines += [f"### {label}", "", *_table(["hole", *kinds, "all"], body), ""]
    return lines


def _shoot_lines(shoots: list[dict]) -> list[str]:
    if not shoots:
        return []
    kinds = [s["rig"] for s in shoots]
    lines = ["## Shoots: one rig over every panorama, random yaw, new light each shot", "",
             *_table(["masks", *kinds, "all"], [
                 ["single image, IoU", *[_fmt(s["single_iou"]) for s in shoots],
                  _fmt(_mean([s["single_iou"] for s in shoots]))],
                 ["shoot, IoU", *[_fmt(s["shoot_iou"]) for s in shoots],
                  _fmt(_mean([s["shoot_iou"] for s in shoots]))],
                 ["single image, recall", *[_fmt(s["single_recall"]) for s in shoots],
                  _fmt(_mean([s["single_recall"] for s in shoots]))],
                 ["shoot, recall", *[_fmt(s["shoot_recall"]) for s in shoots],
                  _fmt(_mean([s["shoot_recall"] for s in shoots]))],
                 ["yaw error (deg, median)", *[_fmt(s["yaw_error"], 1) for s in shoots],
                  _fmt(_mean([s["yaw_error"] for s in shoots]), 1)],
             ]), "", "IoU of the shoot's masks against the number of shots used:", ""]
    counts = sorted({int(n) for s in shoots for n in s["by_count"]})
    lines += _table(["shots", *[str(n) for n in counts]], [
        [kind, *[_fmt(s["by_count"].get(str(n))) for n in counts]]
        for kind, s in zip(kinds, shoots, strict=True)])
    return [*lines, ""]


def _html(meta: dict, markdown: str, cases: list[dict]) -> str:
    parts = ["<!doctype html><html><head><meta charset=utf-8><title>pano-inpaint rig masks"
             "</title><style>body{font-family:system-ui,sans-serif;margin:1.5em}"
             "td{vertical-align:top;font-size:12px;padding:2px}</style></head><body>",
             "<h1>Automatic rig masks</h1>",
             f"<p><code>{html.escape(meta['command'] or '')}</code><br>"
             f"{html.escape(meta['date'])}. Tables: <a href=results.md>results.md</a>. Crops: "
             "perspective views straight down, 120 degrees across; masks outlined in magenta."
             "</p><pre>" + html.escape(markdown) + "</pre>"]
    for case in cases:
        parts.append(f"<h3>{html.escape(case['image'])} — {html.escape(case['kind'])}</h3>"
                     "<table><tr>")
        for label, src in case["files"].items():
            parts.append(f"<td>{html.escape(label)}<br><img src='{html.escape(src)}' "
                         "loading=lazy></td>")
        caption = "<br>".join(html.escape(
            f"{r['method']}: " + ", ".join(f"{k} {v:.3f}" for k, v in r.items()
                                           if isinstance(v, float)))
            for r in case["rows"])
        parts.append(f"<td>{caption}</td></tr></table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _shoot(kind: str, cleans: list[tuple[str, np.ndarray]], detector: str, seed: int,
           config: AutoMaskConfig) -> dict:
    rng = _rng("shoot", kind, seed)
    rig = make_rig(kind, rng)
    shots, truths, yaws = [], [], []
    for _, clean in cleans:
        scene = random_scene(kind, rng, rig=rig)
        columns = int(rng.integers(0, clean.shape[1]))
        image, truth = _composite(clean, scene, rng, columns)
        shots.append(image)
        truths.append(truth)
        yaws.append(columns * 360 / clean.shape[1])
    single = [mask_scores(detect_rig(s, config).mask, t) for s, t in zip(shots, truths,
                                                                          strict=True)]
    shared = detect_shoot(shots, config)
    scores = [mask_scores(d.mask, t) for d, t in zip(shared.detections, truths, strict=True)]
    expected = [(y - yaws[0] + 180) % 360 - 180 for y in yaws]
    errors = [abs((f - e + 180) % 360 - 180) for f, e in zip(shared.yaw_degrees, expected,
                                                             strict=True)]
    by_count = {}
    for count in range(2, len(shots) + 1):
        subset = detect_shoot(shots[:count], config)
        by_count[str(count)] = float(np.mean([mask_scores(d.mask, t)["iou"] for d, t in zip(
            subset.detections, truths[:count], strict=True)]))
    return {"rig": kind, "detector": detector, "shots": len(shots),
            "single_iou": _mean([s["iou"] for s in single]),
            "shoot_iou": _mean([s["iou"] for s in scores]),
            "single_recall": _mean([s["recall"] for s in single]),
            "shoot_recall": _mean([s["recall"] for s in scores]),
            "yaw_error": float(np.median(errors[1:])) if len(errors) > 1 else 0.0,
            "by_count": by_count}


def evaluate_rig_masks(
    dirs: list[str | Path],
    out_dir: str | Path,
    *,
    detectors: list[str],
    kinds: list[str] | None = None,
    generator: str | None = "patchmatch",
    shoots: bool = True,
    seed: int = 0,
    max_width: int | None = 1024,
    images: int | None = None,
    html_report: bool = True,
    progress: bool = True,
    command: str | None = None,
    config: PipelineConfig | None = None,
) -> EvalResults:
    """Score the automatic masks (see the module docstring); write ``results.md``,
    ``results.json`` and (``html_report``) ``index.html`` into ``out_dir``.

    Args:
        dirs: folders of panoramas never trained on (``../shared/panoramas``).
        detectors: detector names (:data:`~pano_inpaint.masks.auto.DETECTORS`); the first one's
            masks are filled end to end and used for the shoots.
        kinds: rig kinds (default all).
        generator: fills the end-to-end comparison (None: no fills).
        shoots: run the shoot experiment.

    Raises:
        KeyError: an unknown detector, rig kind or generator.
        FileNotFoundError: a missing folder, or no panorama in it.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    config = config or PipelineConfig()
    kinds = kinds or list_rig_kinds()
    for kind in kinds:
        make_rig(kind, np.random.default_rng(0))  # KeyError for an unknown kind
    for name in detectors:
        get_detector(name, config.auto_mask.weights)  # KeyError for an unknown detector
    if generator:  # found at the first fill before, after the out folder was made
        generator_info(generator)  # KeyError for an unknown generator
    paths = find_panoramas(dirs, images)
    if not paths:
        raise FileNotFoundError(f"no panoramas in {', '.join(map(str, dirs))}")
    check_folder(out_dir)  # made once a panorama is read: an error leaves no empty folder
    cleans, skipped = [], []
    for path in paths:  # an unreadable one ended the run in a traceback; eval skips them too
        try:
            cleans.append((path.name, _display_uint8(load_panorama(path, max_width=max_width))))
        except (OSError, ValueError) as exc:
            log.warning("not scored: %s", exc)
            skipped.append({"image": path.name, "reason": str(exc)})
    if not cleans:
        raise none_readable(dirs, skipped)
    make_folder(out_dir)
    views = _Views(out_dir) if html_report else None
    methods = [*detectors, CAP, TRUTH]
    rows: list[dict] = []
    main_config = AutoMaskConfig(**{**vars(config.auto_mask), "detector": detectors[0]})
    with ProgressBar(len(cleans) * len(kinds), unit="cases", enabled=progress) as bar:
        for name, clean in cleans:
            height, width = clean.shape[:2]
            cap = nadir_mask(height, width, CAP_DEGREES)
            for kind in kinds:
                bar.describe(f"{name} {kind}")
                rng = _rng(kind, name, seed)
                case = _Case(name, kind, *_composite(clean, random_scene(kind, rng), rng), clean)
                masks = {d: detect_rig(case.image, AutoMaskConfig(
                    **{**vars(config.auto_mask), "detector": d})).mask for d in detectors}
                masks[CAP] = cap
                masks[TRUTH] = case.truth
                case_rows = [{"kind": "mask", "method": m, "rig": kind, "image": name,
                              **mask_scores(masks[m], case.truth)} for m in methods]
                fills = {}
                if generator:
                    truth_values = clean.astype(np.float32) / 255
                    region = cap | case.truth
                    for hole_name in (detectors[0], CAP, TRUTH):
                        filled = inpaint(case.image, masks[hole_name], generator=generator,
                                         config=config).image
                        fills[hole_name] = filled
                        result = filled.astype(np.float32) / 255
                        case_rows.append({
                            "kind": "fill", "method": f"{generator} in {hole_name} mask",
                            "rig": kind, "image": name,
                            "psnr_cap": ws_psnr(result, truth_values, cap),
                            "psnr_rig": ws_psnr(result, truth_values, region)})
                rows += case_rows
                if views is not None:
                    views.add(case, {d: masks[d] for d in detectors},
                              {k: v for k, v in fills.items() if k != TRUTH}, case_rows)
                bar.advance()
    shoot_rows = []
    if shoots and len(cleans) >= 2:
        for kind in kinds:
            shoot_rows.append(_shoot(kind, cleans, detectors[0], seed, main_config))
    meta = {"command": command, "date": datetime.datetime.now(datetime.UTC).isoformat(
        timespec="seconds"), "panoramas": [n for n, _ in cleans], "kinds": kinds,
        "detectors": detectors, "generator": generator, "seed": seed,
        "max_width": max_width, "seconds": round(time.perf_counter() - started, 1),
        "skipped": skipped}
    markdown = "\n".join([
        "# Automatic rig masks", "", f"`{command}`", "",
        f"{len(cleans)} panoramas x {len(kinds)} rig kinds, seed {seed}, "
        f"{meta['seconds']:.0f} s.", "",
        *[f"- not scored: {s['image']}: {s['reason']}" for s in skipped],
        *([""] if skipped else []),
        *_summaries(rows, kinds, methods), *_shoot_lines(shoot_rows)])
    files = {"markdown": out_dir / "results.md", "json": out_dir / "results.json"}
    atomic_write_text(files["markdown"], markdown)
    atomic_write_text(files["json"], json.dumps(
        {"meta": meta, "rows": rows, "shoots": shoot_rows}, indent=1))
    if views is not None:
        files["html"] = out_dir / "index.html"
        atomic_write_text(files["html"], _html(meta, markdown, views.cases))
    return EvalResults(rows, meta, out_dir, files)

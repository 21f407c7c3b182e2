"""``run_evaluation``: every image x mask family x method, scored and reported; and its CLI.

For each ground-truth panorama and mask family the hole is blanked, every method fills it, and
the fill is scored against the truth (:mod:`pano_inpaint.eval.metrics`) and for consistency
(:func:`pano_inpaint.check_consistency`, the same figures measured on the ground truth itself as
the reference). A method that raises is recorded as failed for that case; the run goes on.

Command line: ``pano-inpaint eval DIR [DIR ...] --out OUT_DIR [options]`` (see
``pano-inpaint eval --help``) writes ``OUT_DIR/results.md``, ``results.json`` and ``index.html``
(thumbnails in ``OUT_DIR/cases/``).
"""

from __future__ import annotations

import datetime
import logging
import platform
import sys
import time
import traceback
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path

import numpy as np

from pano_inpaint._progress import ProgressBar
from pano_inpaint.config import PipelineConfig, config_to_dict
from pano_inpaint.consistency import check_consistency
from pano_inpaint.eval import metrics
from pano_inpaint.eval.images import GroundTruth, find_panoramas, load_panorama, none_readable
from pano_inpaint.eval.memory import call_with_peak_memory
from pano_inpaint.eval.methods import Method, MethodOutput, select_methods
from pano_inpaint.eval.report import GROUND_TRUTH, CaseViews, write_reports
from pano_inpaint.eval.views import HoleView
from pano_inpaint.io.atomic import all_or_nothing, check_folder, make_folder
from pano_inpaint.masks import (
    MASK_FAMILIES,
    NADIR_FAMILIES,
    list_families,
    make_mask,
    mask_fraction,
)
from pano_inpaint.values import ToneMap, to_values

__all__ = ["EvalResults", "run_evaluation"]

log = logging.getLogger(__name__)

DEFAULT_MAX_WIDTH = 2048
QUICK_MAX_WIDTH = 1024
QUICK_IMAGES = 2
QUICK_FAMILIES = ("nadir", "tripod", "cube-edge", "wrap")
_SCENE_WIDTH = 1024  # structured scenes are rendered as wide as the shared panoramas


@dataclass
class EvalResults:
    """What a run produced.

    Attributes:
        rows: one dict per image x family x method (plus a ground-truth reference row per case),
            the fields listed in :mod:`pano_inpaint.eval.report`.
        meta: command line, settings, versions, date, timings.
        out_dir: where the reports are.
        files: report name -> path (``markdown``, ``json``, ``html``).
    """

    rows: list[dict]
    meta: dict
    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)

    def method_rows(self, method: str) -> list[dict]:
        return [r for r in self.rows if r["method"] == method]


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for package in ("pano-inpaint", "numpy", "opencv-python-headless", "scipy", "numba",
                    "torch", "pypatchmatch"):
        try:
            out[package] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            continue
    return out


def _unique_rotations(rotations: list[np.ndarray | None]) -> list[np.ndarray | None]:
    seen, out = set(), []
    for r in rotations:
        key = None if r is None else tuple(np.round(r, 9).ravel())
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def _consistency_figures(image: np.ndarray, mask: np.ndarray, rotations: list) -> dict:
    """seam / wrap / pole / boundary of ``image`` in the hole (None where it does not apply)."""
    report = check_consistency(image, mask, rotations=rotations)
    crosses_wrap = bool((mask[:, 0] | mask[:, -1]).any())
    poles = [name for name, row in (("pole_top", 0), ("pole_bottom", -1)) if mask[row].any()]
    pole_values = [report[name].value for name in poles if report[name].value is not None]
    return {
        "seam": report["seams"].value,
        "wrap": report["wrap"].value if crosses_wrap else None,
        "pole": max(pole_values) if pole_values else None,
        "boundary": report["boundary"].value,
        "flagged": report.flagged,
    }


def _measure(method: Method, source: np.ndarray, mask: np.ndarray
             ) -> tuple[MethodOutput, float, float | None]:
    """Run a method; return its output, wall seconds and peak resident memory (MiB) above what
    the process held before it (:mod:`pano_inpaint.eval.memory`; None where unsupported)."""
    start = time.perf_counter()
    output, peak = call_with_peak_memory(lambda: method.fn(source, mask))
    return output, time.perf_counter() - start, peak


class _Case:
    """One image x mask family: the blanked input and the truth in the scoring domain."""

    def __init__(self, truth: GroundTruth, family: str, mask: np.ndarray) -> None:
        self.truth, self.family, self.mask = truth, family, mask
        self.source = truth.pixels.copy()
        self.source[mask] = 0  # no method may see the hole's content
        values = to_values(truth.pixels)
        self.tone = ToneMap.for_image(values, hdr=truth.hdr)
        self.truth_values = values
        self.truth_proxy = self.proxy(values)
        self.view = HoleView.of(mask)
        self.hole_fraction = mask_fraction(mask)

    def proxy(self, values: np.ndarray) -> np.ndarray:
        return self.tone.to_proxy(values) if self.tone.hdr else np.clip(values, 0, 1)

    def base_row(self, method: str, kind: str) -> dict:
        t = self.truth
        return {
            "image": t.name, "set": t.path.parent.name, "family": self.family,
            "method": method, "kind": kind,
            "hdr": t.hdr, "width": int(t.pixels.shape[1]), "hole_fraction": self.hole_fraction,
            "status": "ok", "error": None,
        }

    def score(self, method: Method, output: MethodOutput, seconds: float,
              peak_mb: float | None) -> dict:
        row = self.base_row(method.name, method.kind)
        image = output.image
        if image.shape != self.source.shape or image.dtype != self.source.dtype:
            raise ValueError(f"{method.name} returned {image.shape} {image.dtype}, expected "
                             f"{self.source.shape} {self.source.dtype}")
        values = to_values(image)
        proxy = self.proxy(values)
        mask, view = self.mask, self.view
        row.update(
            psnr=metrics.ws_psnr(proxy, self.truth_proxy, mask),
            ssim=metrics.ws_ssim(proxy, self.truth_proxy, mask),
            grad_ratio=metrics.gradient_energy_ratio(proxy, self.truth_proxy, mask, view),
            grad_inner=metrics.gradient_energy_ratio(proxy, self.truth_proxy, mask, view,
                                                     inner=True),
            swd=metrics.texture_distance(proxy, self.truth_proxy, mask, view),
            logl_psnr=(metrics.log_luminance_psnr(values, self.truth_values, mask)
                       if self.truth.hdr else None),
            known_changed=metrics.known_pixels_changed(image, self.source, mask),
            seconds=round(seconds, 4),
            peak_mb=None if peak_mb is None else round(peak_mb, 2),
            rotations=len([r for r in output.rotations if r is not None]),
            **output.notes,
        )
        row.update(_consistency_figures(image, mask,
                                        _unique_rotations([None, *output.rotations])))
        return row


def _choose_quick_images(paths: list[Path]) -> list[Path]:
    """One display-referred and one HDR panorama if there are both, else the first two."""
    ldr = [p for p in paths if p.suffix.lower() not in (".hdr", ".exr")]
    hdr = [p for p in paths if p.suffix.lower() in (".hdr", ".exr")]
    picked = (ldr[:1] + hdr[:1]) if ldr and hdr else paths[:QUICK_IMAGES]
    return picked[:QUICK_IMAGES]


def _unique_names(paths: list[Path]) -> list[str]:
    names = [p.name for p in paths]
    return [f"{p.parent.name}/{p.name}" if names.count(p.name) > 1 else p.name for p in paths]


def _check_families(families: list[str]) -> None:
    for family in families:
        if family not in MASK_FAMILIES:
            raise KeyError(f"unknown mask family {family!r}; known: {', '.join(MASK_FAMILIES)}")


def _pick_panoramas(dirs: list[str | Path], quick: bool, images: int | None) -> list[Path]:
    paths = find_panoramas(list(dirs))
    if quick:
        paths = _choose_quick_images(paths)
    if images:
        paths = paths[:images]
    if not paths:
        raise FileNotFoundError(f"no panoramas in {', '.join(str(d) for d in dirs)}")
    return paths


@dataclass
class _Plan:
    """What a run evaluates: the methods on every family of every panorama."""

    families: list[str]
    methods: list[Method]
    forced: set[str]  # methods asked for by name: run even above their max width
    width_limit: int
    smeared_nadir: tuple[str, ...]
    seed: int


def _evaluate_panoramas(paths: list[Path], plan: _Plan, views: CaseViews | None,
                        progress: bool) -> tuple[list[dict], list[dict], list[dict]]:
    """Every case of every panorama; returns the rows, the loaded images' metadata and what was
    skipped (unreadable panoramas; nadir families on panoramas whose nadir is not truth)."""
    rows: list[dict] = []
    loaded, skipped = [], []
    families = plan.families
    with ProgressBar(len(paths) * len(families), unit="cases", enabled=progress) as bar:
        for path, name in zip(paths, _unique_names(paths), strict=True):
            try:
                truth = load_panorama(path, max_width=plan.width_limit,
                                      smeared_nadir=plan.smeared_nadir, name=name)
            except (OSError, ValueError) as exc:
                skipped.append({"image": name, "reason": str(exc)})
                bar.advance(len(families))
                continue
            loaded.append(_image_meta(truth))
            for family in families:
                bar.describe(f"{name[:24]} {family}")
                if family in NADIR_FAMILIES and not truth.clean_nadir:
                    skipped.append({"image": name, "family": family,
                                    "reason": "nadir is an old fill, not ground truth"})
                else:
                    rows += _run_case(truth, family, plan.seed, plan.methods, plan.forced, views)
                bar.advance()
    return rows, loaded, skipped


def _run_meta(dirs: list[str | Path], plan: _Plan, *, quick: bool,
              peers: list[str] | str | None, command: str | None,
              config: PipelineConfig | None, images: list[dict], skipped: list[dict],
              seconds: float) -> dict:
    """The run's settings, versions, date and time, what it read and skipped, for the reports."""
    return {
        "command": command if command is not None else " ".join(sys.argv),
        "pipeline_config": config_to_dict(config or PipelineConfig()),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
        "settings": {
            "dirs": [str(d) for d in dirs], "families": plan.families,
            "methods": [m.name for m in plan.methods], "seed": plan.seed,
            "max_width": plan.width_limit, "quick": quick,
            "peers": peers if isinstance(peers, (str, type(None))) else list(peers),
            **({"smeared_nadir": list(plan.smeared_nadir)} if plan.smeared_nadir else {}),
        },
        "images": images,
        "skipped": skipped,
        "seconds": round(seconds, 2),
        "methods": {m.name: {"kind": m.kind, "description": m.description,
                             "max_width": None if m.name in plan.forced else m.max_width}
                    for m in plan.methods},
    }


def run_evaluation(
    dirs: list[str | Path],
    out_dir: str | Path,
    *,
    generators: list[str] | None = None,
    masks: list[str] | None = None,
    quick: bool = False,
    seed: int = 0,
    max_width: int | None = None,
    peers: list[str] | str | None = "default",
    images: int | None = None,
    smeared_nadir: tuple[str, ...] = (),
    html: bool = True,
    progress: bool = True,
    command: str | None = None,
    config: PipelineConfig | None = None,
    scenes: bool = False,
) -> EvalResults:
    """Evaluate methods on real panoramas with synthetic holes and write the reports.

    Args:
        dirs: folders of ground-truth panoramas (files directly inside; never copied).
        out_dir: where ``results.md``, ``results.json``, ``index.html`` and ``cases/`` go.
        generators: registered generator names (default: all but ``mean``).
        masks: mask families (default: all; ``--quick``: nadir, tripod, cube-edge, wrap).
        quick: two images (one HDR if any), four families, at most 1024 px wide.
        seed: mask seed (masks also depend on the family and the image name).
        max_width: reduce wider panoramas to this (default 2048; 1024 with ``quick``).
        peers: see :func:`pano_inpaint.eval.methods.select_methods`.
        images: use at most this many panoramas.
        smeared_nadir: file-name globs of panoramas whose nadir is an old fill, not ground
            truth: the nadir families are not scored on them.
        html: write ``index.html`` and its thumbnails.
        progress: show a progress bar over cases.
        command: the command line to record (default: ``sys.argv``).
        config: pipeline configuration for the registered generators (default: the defaults).
        scenes: also render the structured test scenes (:mod:`pano_inpaint.eval.scenes`:
            floors of stripes, tiles, bricks and planks) into ``out_dir/scenes`` and evaluate
            on them, at 1024 px wide.

    Returns:
        :class:`EvalResults`.

    Raises:
        FileNotFoundError: a folder does not exist or holds no readable panorama.
        KeyError: unknown generator, peer or mask family.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    if scenes:
        from pano_inpaint.eval.scenes import write_scenes

        # In place at once (the run reads them back), even inside the command's all_or_nothing
        # block; a failed run takes them away again.
        with all_or_nothing():
            scene_files = write_scenes(out_dir / "scenes", _SCENE_WIDTH)
        dirs = [*dirs, scene_files[0].parent]
    families = list(masks) if masks else list(QUICK_FAMILIES if quick else list_families())
    _check_families(families)
    methods, forced = select_methods(generators, peers, config)
    width_limit = max_width or (QUICK_MAX_WIDTH if quick else DEFAULT_MAX_WIDTH)
    plan = _Plan(families, methods, forced, width_limit, tuple(smeared_nadir), seed)
    paths = _pick_panoramas(dirs, quick, images)

    check_folder(out_dir)  # NotADirectoryError naming a file in the way, before any work
    _warm_up(methods)
    views = CaseViews(out_dir) if html else None
    rows, loaded, skipped = _evaluate_panoramas(paths, plan, views, progress)
    if not loaded:  # no report of nothing but reasons: say them, and leave no folder
        raise none_readable(dirs, skipped)
    make_folder(out_dir)  # the thumbnails made it already; the reports alone do not
    meta = _run_meta(dirs, plan, quick=quick, peers=peers, command=command, config=config,
                     images=loaded, skipped=skipped, seconds=time.perf_counter() - started)
    results = EvalResults(rows, meta, out_dir)
    results.files = write_reports(results.rows, results.meta, out_dir, views)
    return results


def _warm_up(methods: list[Method]) -> None:
    """Run every method once on a tiny panorama, untimed, so JIT compilation and first-call
    caches are not charged to the first case."""
    tiny = np.full((32, 64, 3), 128, np.uint8)
    tiny[::2] = 96  # some texture for patch-based methods
    hole = make_mask("tripod", 32, 64, "warm-up")
    for method in methods:
        try:
            method.fn(tiny, hole)
        except Exception:  # a real failure shows up (and is recorded) on the real cases
            log.debug("warm-up of %s failed", method.name, exc_info=True)


def _image_meta(truth: GroundTruth) -> dict:
    return {
        "name": truth.name, "path": str(truth.path), "hdr": truth.hdr,
        "original_size": list(truth.original_size),
        "evaluated_size": [int(truth.pixels.shape[1]), int(truth.pixels.shape[0])],
        "reduced": truth.reduced, "clean_nadir": truth.clean_nadir,
    }


def _run_case(truth: GroundTruth, family: str, seed: int, methods: list[Method],
              forced: set[str], views: CaseViews | None) -> list[dict]:
    height, width = truth.pixels.shape[:2]
    case = _Case(truth, family, make_mask(family, height, width, truth.name, seed))
    rows, frames, outputs = [], [None], {}
    for method in methods:
        if method.max_width and width > method.max_width and method.name not in forced:
            row = case.base_row(method.name, method.kind)
            row.update(status="skipped", error=f"image wider than {method.max_width} px "
                       f"(ask for it with --peers {method.name})")
            rows.append(row)
            continue
        try:
            output, seconds, peak = _measure(method, case.source, case.mask)
            row = case.score(method, output, seconds, peak)
            frames += output.rotations
            outputs[method.name] = output.image
        except Exception as exc:  # a failing method is a result, not the end of the run
            log.warning("%s failed on %s / %s: %s", method.name, truth.name, family, exc)
            row = case.base_row(method.name, method.kind)
            row.update(status="failed", error=f"{type(exc).__name__}: {exc}",
                       traceback=traceback.format_exc(limit=4))
        rows.append(row)
    reference = case.base_row(GROUND_TRUTH, "reference")
    reference.update(_consistency_figures(truth.pixels, case.mask, _unique_rotations(frames)))
    rows.insert(0, reference)
    if views is not None:
        views.write(truth, family, case.mask, case.tone, outputs, rows)
    return rows

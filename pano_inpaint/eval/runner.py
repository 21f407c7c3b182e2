"""``run_evaluation``: every image x mask family x method, scored and reported; and its CLI.

For each ground-truth panorama and mask family the hole is blanked, every method fills it, and
the fill is scored against the truth (:mod:`pano_inpaint.eval.metrics`) and for consistency
(:func:`pano_inpaint.check_consistency`, the same figures measured on the ground truth itself as
the reference). A method that raises is recorded as failed for that case; the run goes on.

Command line (``python -m pano_inpaint.eval`` and ``pano-inpaint eval``)::

    pano-inpaint eval DIR [DIR ...] --out OUT_DIR [--generators a,b] [--masks fam1,fam2]
                      [--peers default|all|none|name,name] [--quick] [--seed N] [--max-width N]
                      [--images N] [--no-html]

writes ``OUT_DIR/results.md``, ``results.json`` and ``index.html`` (thumbnails in
``OUT_DIR/cases/``). ``main(argv) -> int`` is the stable entry point: 0 when the run completed,
1 when nothing could be evaluated, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import platform
import sys
import time
import traceback
import tracemalloc
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path

import numpy as np

from pano_inpaint.config import ConfigError, PipelineConfig, config_to_dict, load_config
from pano_inpaint.consistency import check_consistency
from pano_inpaint.eval import metrics
from pano_inpaint.eval.images import GroundTruth, find_panoramas, load_panorama
from pano_inpaint.eval.methods import Method, MethodOutput, select_methods
from pano_inpaint.eval.report import GROUND_TRUTH, CaseViews, write_reports
from pano_inpaint.eval.views import HoleView
from pano_inpaint.masks import (
    MASK_FAMILIES,
    NADIR_FAMILIES,
    list_families,
    make_mask,
    mask_fraction,
)
from pano_inpaint.values import ToneMap, to_values

__all__ = ["EvalResults", "main", "run_evaluation"]

log = logging.getLogger(__name__)

DEFAULT_MAX_WIDTH = 2048
QUICK_MAX_WIDTH = 1024
QUICK_IMAGES = 2
QUICK_FAMILIES = ("nadir", "tripod", "cube-edge", "wrap")
# Panoramas whose nadir is an old fill, not ground truth (../shared/panoramas_hires/MANIFEST.md).
SMEARED_NADIR = ("vrview_*",)


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
             ) -> tuple[MethodOutput, float, float]:
    """Run a method; return its output, wall seconds and peak traced memory (MB)."""
    tracemalloc.start()
    try:
        start = time.perf_counter()
        output = method.fn(source, mask)
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return output, seconds, peak / 2**20


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
            "image": t.name, "family": self.family, "method": method, "kind": kind,
            "hdr": t.hdr, "width": int(t.pixels.shape[1]), "hole_fraction": self.hole_fraction,
            "status": "ok", "error": None,
        }

    def score(self, method: Method, output: MethodOutput, seconds: float, peak_mb: float
              ) -> dict:
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
            swd=metrics.texture_distance(proxy, self.truth_proxy, mask, view),
            logl_psnr=(metrics.log_luminance_psnr(values, self.truth_values, mask)
                       if self.truth.hdr else None),
            known_changed=metrics.known_pixels_changed(image, self.source, mask),
            seconds=round(seconds, 4),
            peak_mb=round(peak_mb, 2),
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
    html: bool = True,
    progress: bool = True,
    command: str | None = None,
    config: PipelineConfig | None = None,
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
        html: write ``index.html`` and its thumbnails.
        progress: show a progress bar over cases.
        command: the command line to record (default: ``sys.argv``).
        config: pipeline configuration for the registered generators (default: the defaults).

    Returns:
        :class:`EvalResults`.

    Raises:
        FileNotFoundError: a folder does not exist or holds no panorama.
        KeyError: unknown generator, peer or mask family.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    families = list(masks) if masks else list(QUICK_FAMILIES if quick else list_families())
    for family in families:
        if family not in MASK_FAMILIES:
            raise KeyError(f"unknown mask family {family!r}; known: {', '.join(MASK_FAMILIES)}")
    methods, forced = select_methods(generators, peers, config)
    width_limit = max_width or (QUICK_MAX_WIDTH if quick else DEFAULT_MAX_WIDTH)
    paths = find_panoramas(list(dirs))
    if quick:
        paths = _choose_quick_images(paths)
    if images:
        paths = paths[:images]
    if not paths:
        raise FileNotFoundError(f"no panoramas in {', '.join(str(d) for d in dirs)}")

    out_dir.mkdir(parents=True, exist_ok=True)
    _warm_up(methods)
    views = CaseViews(out_dir) if html else None
    rows: list[dict] = []
    loaded, skipped = [], []
    bar = _progress(len(paths) * len(families), progress)
    for path, name in zip(paths, _unique_names(paths), strict=True):
        try:
            truth = load_panorama(path, max_width=width_limit, smeared_nadir=SMEARED_NADIR,
                                  name=name)
        except (OSError, ValueError) as exc:
            skipped.append({"image": name, "reason": str(exc)})
            bar.update(len(families))
            continue
        loaded.append(_image_meta(truth))
        for family in families:
            bar.set_postfix_str(f"{name[:24]} {family}")
            if family in NADIR_FAMILIES and not truth.clean_nadir:
                skipped.append({"image": name, "family": family,
                                "reason": "nadir is an old fill, not ground truth"})
            else:
                rows += _run_case(truth, family, seed, methods, forced, views)
            bar.update(1)
    bar.close()

    meta = {
        "command": command if command is not None else " ".join(sys.argv),
        "pipeline_config": config_to_dict(config or PipelineConfig()),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
        "settings": {
            "dirs": [str(d) for d in dirs], "families": families,
            "methods": [m.name for m in methods], "seed": seed, "max_width": width_limit,
            "quick": quick, "peers": peers if isinstance(peers, (str, type(None))) else
            list(peers),
        },
        "images": loaded,
        "skipped": skipped,
        "seconds": round(time.perf_counter() - started, 2),
        "methods": {m.name: {"kind": m.kind, "description": m.description,
                             "max_width": None if m.name in forced else m.max_width}
                    for m in methods},
    }
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


class _NoBar:
    def set_postfix_str(self, text: str) -> None: ...
    def update(self, n: int) -> None: ...
    def close(self) -> None: ...


def _progress(total: int, enabled: bool):
    if not enabled:
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, unit="case", dynamic_ncols=True)


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def build_parser() -> argparse.ArgumentParser:
    """The ``eval`` argument parser (also used by ``pano-inpaint eval``)."""
    parser = argparse.ArgumentParser(
        prog="pano-inpaint eval",
        description="Score inpainting methods on real panoramas with synthetic holes.",
        epilog="example: pano-inpaint eval ../shared/panoramas --out eval_out --quick",
    )
    parser.add_argument("dirs", nargs="+", metavar="DIR", help="folders of ground-truth panoramas")
    parser.add_argument("--out", required=True, metavar="OUT_DIR", help="report folder")
    parser.add_argument("--generators", metavar="A,B",
                        help="registered generators (default: all but mean)")
    parser.add_argument("--masks", metavar="FAM1,FAM2",
                        help=f"mask families (default: all: {','.join(MASK_FAMILIES)})")
    parser.add_argument("--peers", default="default", metavar="default|all|none|A,B",
                        help="peer methods: erp-telea, erp-ns, faces-telea, erp-pypatchmatch "
                             "(default: all available; pypatchmatch only up to 1024 px wide)")
    parser.add_argument("--quick", action="store_true",
                        help="two images, four families, 1024 px: under two minutes")
    parser.add_argument("--seed", type=int, default=0, help="mask seed (default 0)")
    parser.add_argument("--max-width", type=int, default=None,
                        help=f"reduce wider panoramas (default {DEFAULT_MAX_WIDTH}, "
                             f"{QUICK_MAX_WIDTH} with --quick)")
    parser.add_argument("--images", type=int, default=None, help="use at most N panoramas")
    parser.add_argument("--no-html", action="store_true", help="skip index.html and thumbnails")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--config", default=None, metavar="FILE",
                        help="pipeline config YAML for the generators (default: the defaults)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        dest="overrides", help="override a pipeline config key (repeatable)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``pano-inpaint eval`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code.

    0: the run completed (failed methods are in the report); 1: no panorama could be evaluated
    or a folder is missing; 2: bad arguments.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    peers: list[str] | str = args.peers
    if args.peers not in ("default", "all", "none"):
        peers = _split(args.peers) or "none"
    try:
        config = load_config(args.config, args.overrides)
    except (ConfigError, FileNotFoundError) as exc:
        print(f"error: config: {exc}", file=sys.stderr)
        return 2
    try:
        results = run_evaluation(
            args.dirs, args.out, generators=_split(args.generators), masks=_split(args.masks),
            quick=args.quick, seed=args.seed, max_width=args.max_width, peers=peers,
            images=args.images, html=not args.no_html, progress=not args.no_progress,
            command="pano-inpaint eval " + " ".join(argv), config=config,
        )
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    scored = [r for r in results.rows if r["kind"] != "reference"]
    for name, path in results.files.items():
        print(f"{name}: {path}")
    print(f"{len(scored)} results in {results.meta['seconds']:.1f} s")
    return 0 if scored else 1

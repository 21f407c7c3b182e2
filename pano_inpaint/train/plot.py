"""A PNG of the training curves, drawn with OpenCV (no plotting library needed)."""

from __future__ import annotations

import csv
import errno
import math
from pathlib import Path

import cv2
import numpy as np

from pano_inpaint.io.images import write_image

__all__ = ["learning_curve", "plot_learning_curves", "plot_losses"]

_COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
            (140, 86, 75), (227, 119, 194), (23, 190, 207), (127, 127, 127)]  # RGB


def _rows(csv_path: Path) -> list[dict]:
    """The rows of a training ``log.csv`` as :func:`~pano_inpaint.train.runs.read_log` reads
    them: a last row a killed run cut short (its last value '0.1' of '0.123') is left out, not
    drawn. A missing file is an error here (a run folder misspelt), not an empty log."""
    from pano_inpaint.train.runs import read_log  # imports torch: not for importing this module

    if not csv_path.is_file():
        raise FileNotFoundError(errno.ENOENT, "no training log", str(csv_path))
    return read_log(csv_path)


def _read(csv_path: Path) -> dict[str, list[tuple[int, float]]]:
    series: dict[str, list[tuple[int, float]]] = {}
    for row in _rows(csv_path):
        step = int(row["step"])
        for key, value in row.items():
            if key in ("step", "stage", "face_size", "cubes", "lr", "seconds", "sec_per_step",
                       "cpu_per_step"):
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                continue
            if math.isfinite(number) and number > 0:
                series.setdefault(key, []).append((step, number))
    return series


def _legend(canvas: np.ndarray, index: int, name: str, colour: tuple, x: int, top: int) -> None:
    """Legend entry ``index`` (a line in ``colour`` and the name) right of the plot frame."""
    y = top + 14 + 18 * index
    cv2.line(canvas, (x + 10, y - 4), (x + 30, y - 4), colour, 2)
    cv2.putText(canvas, name, (x + 35, y), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1,
                cv2.LINE_AA)


def plot_losses(csv_path: str | Path, png_path: str | Path, *, width: int = 960,
                height: int = 540) -> Path:
    """Draw every positive numeric column of the training CSV against the step, log-scale y.

    Returns:
        ``png_path``.
    """
    series = _read(Path(csv_path))
    canvas = np.full((height, width, 3), 255, np.uint8)
    left, right, top, bottom = 70, 190, 30, 45
    plot_w, plot_h = width - left - right, height - top - bottom
    cv2.rectangle(canvas, (left, top), (left + plot_w, top + plot_h), (0, 0, 0), 1)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(canvas, "training losses (log scale)", (left, 20), font, 0.5, (0, 0, 0), 1,
                cv2.LINE_AA)
    points = [p for values in series.values() for p in values]
    if points:
        steps = np.array([p[0] for p in points], np.float64)
        logs = np.log10(np.array([p[1] for p in points], np.float64))
        s0, s1 = float(steps.min()), float(max(steps.max(), steps.min() + 1))
        y0, y1 = math.floor(float(logs.min())), math.ceil(float(logs.max()) + 1e-9)
        y1 = max(y1, y0 + 1)

        def to_px(step: float, value: float) -> tuple[int, int]:
            x = left + (step - s0) / (s1 - s0) * plot_w
            y = top + (y1 - math.log10(value)) / (y1 - y0) * plot_h
            return int(round(x)), int(round(y))

        for decade in range(y0, y1 + 1):
            _, y = to_px(s0, 10.0**decade)
            cv2.line(canvas, (left, y), (left + plot_w, y), (220, 220, 220), 1)
            cv2.putText(canvas, f"1e{decade}", (10, y + 4), font, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
        for k in range(5):
            step = s0 + (s1 - s0) * k / 4
            x, _ = to_px(step, 10.0**y0)
            cv2.putText(canvas, f"{int(step)}", (x - 15, top + plot_h + 18), font, 0.4,
                        (0, 0, 0), 1, cv2.LINE_AA)
        cv2.putText(canvas, "step", (left + plot_w // 2 - 15, height - 8), font, 0.45, (0, 0, 0),
                    1, cv2.LINE_AA)
        for index, (name, values) in enumerate(sorted(series.items())):
            colour = _COLOURS[index % len(_COLOURS)][::-1]  # RGB -> BGR
            line = np.array([to_px(s, v) for s, v in values], np.int32)
            if len(line) > 1:
                cv2.polylines(canvas, [line], False, colour, 2 if name.startswith("val") else 1,
                              cv2.LINE_AA)
            else:
                cv2.circle(canvas, tuple(int(c) for c in line[0]), 3, colour, -1)
            _legend(canvas, index, name, colour, left + plot_w, top)
    return write_image(png_path, canvas[..., ::-1], overwrite=True)  # whole or not at all


def learning_curve(csv_path: str | Path) -> list[tuple[int, float]]:
    """``(cubes seen, validation PSNR minus the smooth prior's PSNR in dB)`` of every validated
    row of a training CSV (the network's gain over its own starting point)."""
    curve = []
    for row in _rows(Path(csv_path)):
        net, prior = row.get("val_psnr_hole"), row.get("val_prior_psnr_hole")
        if net and prior:
            cubes = int(row.get("cubes") or 0) or int(row["step"])
            curve.append((cubes, float(net) - float(prior)))
    return curve


def _draw_learning_curves(curves: dict[str, list[tuple[int, float]]], png_path: str | Path, *,
                          width: int = 960, height: int = 540) -> Path:
    """:func:`plot_learning_curves` of curves already read (``{label: learning_curve}``)."""
    canvas = np.full((height, width, 3), 255, np.uint8)
    left, right, top, bottom = 70, 230, 30, 45
    plot_w, plot_h = width - left - right, height - top - bottom
    cv2.rectangle(canvas, (left, top), (left + plot_w, top + plot_h), (0, 0, 0), 1)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(canvas, "validation PSNR minus smooth prior PSNR (dB) vs cubes seen",
                (left, 20), font, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    points = [p for curve in curves.values() for p in curve]
    if points:
        xs = np.array([p[0] for p in points], np.float64)
        ys = np.array([p[1] for p in points] + [0.0], np.float64)
        x0, x1 = 0.0, float(max(xs.max(), 1))
        pad = max(0.05, 0.1 * float(ys.max() - ys.min()))
        y0, y1 = float(ys.min()) - pad, float(ys.max()) + pad

        def to_px(x: float, y: float) -> tuple[int, int]:
            return (int(round(left + (x - x0) / (x1 - x0) * plot_w)),
                    int(round(top + (y1 - y) / (y1 - y0) * plot_h)))

        for k in range(5):
            value = y0 + (y1 - y0) * k / 4
            _, y = to_px(x0, value)
            cv2.putText(canvas, f"{value:+.3f}", (8, y + 4), font, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
            x, _ = to_px(x0 + (x1 - x0) * k / 4, y0)
            cv2.putText(canvas, f"{int(x0 + (x1 - x0) * k / 4)}", (x - 15, top + plot_h + 18),
                        font, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
        cv2.line(canvas, to_px(x0, 0.0), to_px(x1, 0.0), (120, 120, 120), 1)
        cv2.putText(canvas, "cubes seen", (left + plot_w // 2 - 30, height - 8), font, 0.45,
                    (0, 0, 0), 1, cv2.LINE_AA)
        for index, (label, curve) in enumerate(curves.items()):
            colour = _COLOURS[index % len(_COLOURS)][::-1]  # RGB -> BGR
            line = np.array([to_px(x, y) for x, y in curve], np.int32)
            if len(line) > 1:
                cv2.polylines(canvas, [line], False, colour, 2, cv2.LINE_AA)
            for point in line:
                cv2.circle(canvas, (int(point[0]), int(point[1])), 3, colour, -1)
            _legend(canvas, index, label, colour, left + plot_w, top)
    return write_image(png_path, canvas[..., ::-1], overwrite=True)  # whole or not at all


def plot_learning_curves(runs: dict[str, str | Path], png_path: str | Path, *,
                         width: int = 960, height: int = 540) -> Path:
    """Validation gain over the prior (dB, linear) against cubes seen, one line per run
    (``{label: log.csv}``), with the zero line (= no better than the smooth prior).

    Returns:
        ``png_path``.
    """
    curves = {label: learning_curve(path) for label, path in runs.items()}
    return _draw_learning_curves(curves, png_path, width=width, height=height)


def _curves(runs: dict[str, Path]) -> dict[str, list[tuple[int, float]]]:
    """Each run's :func:`learning_curve`, or a one-line ``ValueError`` naming the log that
    cannot be read (missing, a folder, not UTF-8, a value that is no number)."""
    curves = {}
    for label, path in runs.items():
        try:
            curves[label] = learning_curve(path)
        except FileNotFoundError:
            raise ValueError(f"no training log {path}: give a run folder that train or "
                             "train-mask wrote (it holds log.csv)") from None
        except OSError as exc:
            raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
        except (ValueError, csv.Error) as exc:  # not UTF-8, a value that is no number
            raise ValueError(f"{path} is not a training log ({exc})") from None
    return curves


def main(argv: list[str] | None = None) -> int:
    """``python -m pano_inpaint.train.plot RUN_DIR... --out curve.png``: the learning curves of
    runs (each ``RUN_DIR/log.csv``), printed as a table and drawn. Returns the exit code (the
    README's): 2 an ``--out`` of no image format, 3 a log that cannot be read, 4 a curve that
    cannot be written; each with one line, no traceback (a missing log was a
    FileNotFoundError's)."""
    import argparse
    import sys

    from pano_inpaint.exit_codes import EXIT_INPUT, EXIT_OK, EXIT_OUTPUT, EXIT_USAGE
    from pano_inpaint.io.images import ImageWriteError, check_storable

    parser = argparse.ArgumentParser(
        prog="python -m pano_inpaint.train.plot",
        description="The learning curves of training runs: validation PSNR in the holes minus "
        "the smooth prior's, against cubes seen; printed as a table and drawn. Exit code 2: an "
        "--out of no image format; 3: a log that cannot be read; 4: a curve that cannot be "
        "written.")
    parser.add_argument("runs", nargs="+", type=Path, metavar="RUN",
                        help="a run folder of pano-inpaint train (its log.csv is read)")
    parser.add_argument("--out", type=Path, required=True, help="the PNG (or other image) drawn")
    args = parser.parse_args(argv)
    try:
        check_storable(args.out, np.zeros((1, 2, 3), np.uint8))  # before any log is read
    except ValueError as exc:
        print(f"error: --out: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        curves = _curves({run.name: run / "log.csv" for run in args.runs})
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    for label, curve in curves.items():
        print(f"{label}: {', '.join(f'{c}: {g:+.3f}' for c, g in curve)}")
    try:
        print(_draw_learning_curves(curves, args.out))
    except ImageWriteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_OUTPUT
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())

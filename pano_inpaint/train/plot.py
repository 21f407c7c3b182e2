"""A PNG of the training curves, drawn with OpenCV (no plotting library needed)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import cv2
import numpy as np

__all__ = ["plot_losses"]

_COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
            (140, 86, 75), (227, 119, 194), (23, 190, 207), (127, 127, 127)]  # RGB


def _read(csv_path: Path) -> dict[str, list[tuple[int, float]]]:
    series: dict[str, list[tuple[int, float]]] = {}
    with open(csv_path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            step = int(row["step"])
            for key, value in row.items():
                if key in ("step", "stage", "face_size", "lr", "seconds", "sec_per_step",
                           "cpu_per_step"):
                    continue
                try:
                    number = float(value)
                except (TypeError, ValueError):
                    continue
                if math.isfinite(number) and number > 0:
                    series.setdefault(key, []).append((step, number))
    return series


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
            y = top + 14 + 18 * index
            cv2.line(canvas, (left + plot_w + 10, y - 4), (left + plot_w + 30, y - 4), colour, 2)
            cv2.putText(canvas, name, (left + plot_w + 35, y), font, 0.4, (0, 0, 0), 1,
                        cv2.LINE_AA)
    png_path = Path(png_path)
    cv2.imwrite(str(png_path), canvas)
    return png_path

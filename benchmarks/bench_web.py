"""The web app's brush: mapping a stroke painted on the 360 view onto the equirectangular mask.

``stroke_blocks`` rasterises the stroke once on the view and projects only the mask tiles near
it; the peer projects every pixel of the panorama and measures its distance to every segment
(the obvious way, ``tests/web/strokes.py``). Both give the same mask (checked). A 40-point
stroke of about 450 viewport pixels with a 20-pixel brush on a 1000x700 view with a 90-degree
field of view, looking at the horizon and straight down (where the equirectangular rows are
stretched most). Then the largest request the page sends: 1,000 points a quarter brush apart or
more, scribbled over a 1920x1080 view at its widest field of view (140 degrees) with its largest
brush (200 pixels).

    python benchmarks/bench_web.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from _common import ROOT

from pano_inpaint.geometry.perspective import PerspectiveView
from pano_inpaint.web.painting import stroke_blocks

sys.path.insert(0, str(ROOT))  # the peer lives with the tests that use it
from tests.web.strokes import brute_force_stroke  # noqa: E402

POINTS = np.stack([np.linspace(300, 700, 40), 350 + 60 * np.sin(np.linspace(0, 3, 40))], axis=1)
RADIUS = 20


def _seconds(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def _mask(height: int, width: int, blocks) -> np.ndarray:
    mask = np.zeros((height, width), bool)
    for block in blocks:
        mask[block.rows, block.cols] |= block.covered
    return mask


def _scribble(view: PerspectiveView, n: int, step: float) -> np.ndarray:
    """``(n, 2)`` points wandering over the view, each 1-6 ``step`` from the last."""
    rng = np.random.default_rng(0)
    points = [np.array([view.width / 2, view.height / 2])]
    while len(points) < n:
        angle = rng.uniform(0, 2 * np.pi)
        p = points[-1] + step * rng.uniform(1, 6) * np.array([np.cos(angle), np.sin(angle)])
        if 0 <= p[0] <= view.width and 0 <= p[1] <= view.height:
            points.append(p)
    return np.array(points)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2K and 4K only")
    args = parser.parse_args()
    widths = (2048, 4096) if args.quick else (2048, 4096, 8192, 16384)
    brute_up_to = 4096 if args.quick else 8192  # beyond, the peer takes minutes
    print("| panorama | view | stroke_blocks | every pixel (peer) | speed-up | painted px |")
    print("|---|---|---|---|---|---|")
    for width in widths:
        height = width // 2
        for name, pitch in (("horizon", 0.0), ("nadir", -np.pi / 2)):
            view = PerspectiveView(0.3, pitch, np.radians(90), 1000, 700)
            size = (height, width)
            ours, blocks = _seconds(lambda v=view, s=size: stroke_blocks(*s, v, POINTS, RADIUS),
                                    3)
            painted = _mask(height, width, blocks)
            peer_text, ratio = "-", "-"
            if width <= brute_up_to:
                peer, (expected, distance) = _seconds(
                    lambda v=view, s=size: brute_force_stroke(*s, v, POINTS, RADIUS), 1)
                ties = np.abs(distance - RADIUS) < 1e-9
                if ((painted != expected) & ~ties).any():
                    raise SystemExit(f"{width}x{height} {name}: masks differ")
                peer_text, ratio = f"{peer:.2f} s", f"{peer / ours:.0f}x"
            print(f"| {width}x{height} | {name} | {ours:.3f} s | {peer_text} | {ratio} | "
                  f"{int(painted.sum()):,} |")
    print("\n| panorama | largest page stroke | painted share |")
    print("|---|---|---|")
    view = PerspectiveView(0.4, 0.1, np.radians(140), 1920, 1080)
    points = _scribble(view, 1000, 50.0)
    for width in widths:
        height = width // 2
        ours, blocks = _seconds(lambda w=width: stroke_blocks(w // 2, w, view, points, 200), 3)
        painted = _mask(height, width, blocks)
        if width == widths[0]:
            expected, distance = brute_force_stroke(height, width, view, points, 200)
            if ((painted != expected) & ~(np.abs(distance - 200) < 1e-9)).any():
                raise SystemExit(f"{width}x{height} largest stroke: masks differ")
        print(f"| {width}x{height} | {ours:.2f} s | {painted.mean():.1%} |")


if __name__ == "__main__":
    main()

"""Where a fill's gradient energy falls short of the truth's, for one evaluation case.

    python scripts/grad_ratio_breakdown.py PANORAMA FAMILY [--seed N] [--set key=value ...]

Fills the case as ``pano-inpaint eval`` does (the mask family and seed, the configured generator:
patchmatch unless ``--set generator.name=...``, with the ``--set`` overrides) and splits the
gradient energy ratio (``eval.metrics.gradient_energy_ratio``, on the hole-centred faces,
solid-angle weighted) three ways:

* the truth's strongest 5 % of hole pixels: the share of the truth's energy they hold, and how
  much of it the fill has on those same pixels (an object or edge in place);
* strongest against strongest, the rest against the rest (each image's own top 5 %): whether
  the fill lacks strong edges anywhere or is plainer all over;
* by distance to the hole's border (px on the faces), with each band's share of the truth's
  energy: the rim of a thin hole against the middle of a wide one. Per band also the fill's
  share of the squared error (``err_..._share``, solid-angle weighted as the ratio) and how
  its finest detail (the faces less their Gaussian blur at 1 px) correlates with the
  truth's there (``detail_corr_...``): detail near 0 is a guess of the right energy and the
  wrong phase, which costs its own energy in squared error; a fill may keep it for the
  ratio only by giving up WS-PSNR.

A truth whose top 5 % hold most of its energy while the fill is as rough as the truth elsewhere
has an object nothing around the hole predicts (a lamp, a spot on a ceiling): no fill scores
near 1 there without guessing it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pano_inpaint.config import load_config  # noqa: E402
from pano_inpaint.eval.images import load_panorama  # noqa: E402
from pano_inpaint.eval.methods import generator_method  # noqa: E402
from pano_inpaint.eval.metrics import gradient_energy_map  # noqa: E402
from pano_inpaint.eval.runner import _Case  # noqa: E402
from pano_inpaint.eval.views import HoleView  # noqa: E402
from pano_inpaint.masks import make_mask  # noqa: E402
from pano_inpaint.values import to_values  # noqa: E402

DEPTHS = (0.0, 2.0, 4.0, 8.0, 16.0, np.inf)  # px on the faces, band edges
DETAIL_SIGMA = 1.0  # px on the faces: the finest detail is a face less its blur at this sigma


def _detail(faces: np.ndarray) -> np.ndarray:
    """``faces`` ``(k, S, S, C)`` less their Gaussian blur at ``DETAIL_SIGMA``."""
    blurred = np.stack([cv2.GaussianBlur(face, (0, 0), DETAIL_SIGMA) for face in faces])
    return faces - blurred.reshape(faces.shape)


def breakdown(truth: np.ndarray, fill: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """The ratio's parts for display-referred ``truth`` and ``fill`` ``(H, W, 3)`` and the hole
    ``mask`` ``(H, W)`` bool (see the module docstring)."""
    view = HoleView.of(mask)
    truth_faces, fill_faces = view.sample(truth), view.sample(fill)
    truth_e, count = gradient_energy_map(truth_faces, view.hole, view.weights)
    fill_e, _ = gradient_energy_map(fill_faces, view.hole, view.weights)
    inside = count > 0
    t, f = truth_e[inside], fill_e[inside]
    top_t = t >= np.quantile(t, 0.95)
    top_f = f >= np.quantile(f, 0.95)
    out = {
        "ratio": f.sum() / t.sum(),
        "truth_top5_share": t[top_t].sum() / t.sum(),
        "fill_on_truth_top5": f[top_t].sum() / t[top_t].sum(),
        "strongest_vs_strongest": f[top_f].sum() / t[top_t].sum(),
        "rest_vs_rest": f[~top_f].sum() / max(t[~top_t].sum(), 1e-12),
    }
    depths = np.stack([cv2.distanceTransform(h.astype(np.uint8), cv2.DIST_L2, 3)
                       for h in view.hole])  # (k, S, S)
    depth = depths[inside]
    # Squared error per hole pixel, solid-angle weighted; the finest detail of both images.
    error = ((fill_faces - truth_faces) ** 2).sum(axis=-1) * view.weights * view.hole
    truth_d, fill_d = _detail(truth_faces), _detail(fill_faces)
    for lo, hi in zip(DEPTHS[:-1], DEPTHS[1:], strict=True):
        band = (depth > lo) & (depth <= hi)
        name = f"depth_{lo:g}_{hi:g}"
        out[name] = f[band].sum() / max(t[band].sum(), 1e-12)
        out[name + "_share"] = t[band].sum() / t.sum()
        pixels = view.hole & (depths > lo) & (depths <= hi)  # (k, S, S)
        out[f"err_{lo:g}_{hi:g}_share"] = error[pixels].sum() / max(error.sum(), 1e-12)
        a, b = truth_d[pixels].ravel(), fill_d[pixels].ravel()
        out[f"detail_corr_{lo:g}_{hi:g}"] = (a @ b) / max(
            float(np.sqrt((a @ a) * (b @ b))), 1e-12)
    return {key: round(float(value), 3) for key, value in out.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("panorama", type=Path)
    parser.add_argument("family")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-width", type=int, default=1024)
    parser.add_argument("--set", action="append", default=[], dest="overrides")
    args = parser.parse_args(argv)
    truth = load_panorama(args.panorama, max_width=args.max_width)
    height, width = truth.pixels.shape[:2]
    case = _Case(truth, args.family, make_mask(args.family, height, width, truth.name, args.seed))
    config = load_config(None, args.overrides)  # --set generator.name=... picks the generator
    fill = generator_method(config.generator.name, config).fn(case.source, case.mask).image
    parts = breakdown(case.truth_proxy, case.proxy(to_values(fill)), case.mask)
    for key, value in parts.items():
        print(f"{key:28s} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

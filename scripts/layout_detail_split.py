"""How much of a fill's WS-PSNR gap to a smooth peer is its layout, how much its detail.

    python scripts/layout_detail_split.py PANORAMA FAMILY [--peer erp-ns] [--seed N]
        [--max-width 2048] [--sigmas 2,4,8,16] [--set key=value ...]

Fills the case as ``pano-inpaint eval`` does (mask family and seed; the configured generator,
patchmatch unless ``--set generator.name=...``) and the peer, then splits both fills at a
Gaussian of ``sigma`` ERP pixels into a layout (below) and a detail (above) and scores, inside
the hole:

* ``layout``: the generator's layout alone (its detail dropped: its fill blurred);
* ``peer layout + detail``: the peer's layout under the generator's detail.

Where ``layout`` beats the peer the generator lays the hole out at least as well and all of the
gap is detail out of phase with the truth (PSNR rewards the blur); where ``peer layout +
detail`` gains most of the gap, the generator's layout is what loses.
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
from pano_inpaint.eval.methods import generator_method, select_methods  # noqa: E402
from pano_inpaint.eval.metrics import ws_psnr  # noqa: E402
from pano_inpaint.eval.runner import _Case  # noqa: E402
from pano_inpaint.masks import make_mask, rows_over_the_poles  # noqa: E402
from pano_inpaint.values import to_values  # noqa: E402


def _layout(image: np.ndarray, sigma: float) -> np.ndarray:
    """``image`` ``(H, W, C)`` blurred at a Gaussian of ``sigma`` px on the sphere's grid:
    columns wrap round and rows continue over the poles (a hole across the wrap-around line
    is split as it is anywhere else, not against a mirror of its own side)."""
    height, width = image.shape[:2]
    pad = min(int(np.ceil(4 * sigma)), height, width)
    band = rows_over_the_poles(image, -pad, height + pad)  # (H + 2 pad, W, C)
    band = np.pad(band, ((0, 0), (pad, pad), (0, 0)), mode="wrap")  # (H + 2 pad, W + 2 pad, C)
    blurred = cv2.GaussianBlur(band, (0, 0), sigma).reshape(band.shape)
    return blurred[pad:pad + height, pad:pad + width]


def split(truth: np.ndarray, fill: np.ndarray, peer: np.ndarray, mask: np.ndarray,
          sigma: float) -> tuple[float, float]:
    """WS-PSNR of ``fill``'s layout alone and of ``peer``'s layout under ``fill``'s detail, both
    ``(H, W, 3)`` float32 like ``truth``, split at a Gaussian of ``sigma`` ERP px (``mask``
    ``(H, W)`` bool, True = hole; the known pixels are the truth in all three)."""
    low_fill = _layout(fill, sigma)
    low_peer = _layout(peer, sigma)
    hole = mask[..., None]
    layout = np.where(hole, low_fill, truth)
    swapped = np.where(hole, low_peer + fill - low_fill, truth)
    return ws_psnr(layout, truth, mask), ws_psnr(swapped, truth, mask)


def _sigmas(text: str) -> tuple[float, ...]:
    """``--sigmas``: comma-separated Gaussian sigmas in ERP px, each finite and above 0 (checked
    while the arguments are parsed, so a typo stops before the panorama is read)."""
    sigmas = []
    for item in text.split(","):
        try:
            sigma = float(item)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{item.strip()!r} in {text!r} is not a number (want e.g. 2,4,8,16)") from None
        if not (np.isfinite(sigma) and sigma > 0):
            raise argparse.ArgumentTypeError(f"sigma {item.strip()!r} in {text!r} is not above 0")
        sigmas.append(sigma)
    return tuple(sigmas)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("panorama", type=Path)
    parser.add_argument("family")
    parser.add_argument("--peer", default="erp-ns")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-width", type=int, default=2048)
    parser.add_argument("--sigmas", type=_sigmas, default="2,4,8,16")
    parser.add_argument("--set", action="append", default=[], dest="overrides")
    args = parser.parse_args(argv)
    truth = load_panorama(args.panorama, max_width=args.max_width)
    height, width = truth.pixels.shape[:2]
    case = _Case(truth, args.family, make_mask(args.family, height, width, truth.name, args.seed))
    config = load_config(None, args.overrides)
    # The generators asked for: none; the peer asked for, by any name select_methods takes
    # (``ns`` as well as ``erp-ns``).
    peer_method = select_methods([], [args.peer])[0][0]
    mask, target = case.mask, case.truth_proxy
    fill = case.proxy(to_values(
        generator_method(config.generator.name, config).fn(case.source, mask).image))
    peer = case.proxy(to_values(peer_method.fn(case.source, mask).image))
    print(f"{config.generator.name} {ws_psnr(fill, target, mask):.2f} dB, "
          f"{peer_method.name} {ws_psnr(peer, target, mask):.2f} dB")
    for sigma in args.sigmas:
        layout, swapped = split(target, fill, peer, mask, sigma)
        print(f"sigma {sigma:g} px: layout {layout:.2f} dB, "
              f"{peer_method.name} layout + detail {swapped:.2f} dB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

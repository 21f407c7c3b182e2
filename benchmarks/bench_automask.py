"""Automatic rig mask benchmark: seconds to find the mask of one panorama, after loading.

Prints a table; every detector runs in the same process on the same image (a real panorama from
../shared/panoramas_hires with a tripod composited at its nadir, resized to each width). Usage::

    python benchmarks/bench_automask.py            # 2048, 4096 and 8192 wide
    python benchmarks/bench_automask.py --quick    # 2048 and 4096

Rows per size: the ``learned+classical`` (the default), ``learned`` and ``classical`` detectors
through ``detect_rig`` (the whole job: the nadir view, the detector, the guided-filter refinement
at native resolution up to a 1024-pixel face, the mapping back and the growth), best of
``--repeat`` runs after one warm-up (which builds the cached sampling maps and, for ``learned``,
runs torch's first pass); and stage timings of one learned run. Weights are loaded before
timing. Each cell is wall seconds and, in brackets, the CPU seconds of all the process's threads:
on a machine other jobs share, the CPU figure says what the work costs and the wall figure what
the wait was. torch uses its default threads (``--threads`` to change; the learned detector
itself runs on one).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import best_of, sample_image  # noqa: E402

from pano_inpaint.config import AutoMaskConfig  # noqa: E402
from pano_inpaint.masks.auto import detect_rig, get_detector  # noqa: E402
from pano_inpaint.masks.auto.detect import (  # noqa: E402
    DisplayPanorama,
    mask_from_probability,
)
from pano_inpaint.masks.rigs import (  # noqa: E402
    ErpGrid,
    composite,
    random_scene,
    render_layer,
)


def rig_panorama(width: int) -> np.ndarray:
    """A tripod rendered at 2048 x 1024 over a real panorama, resized to ``width``."""
    base = sample_image(2048).astype(np.float32) / 255
    rng = np.random.default_rng(1)
    layer = render_layer(random_scene("tripod", rng), ErpGrid(1024), (1024, 2048),
                         first_row=512, rng=rng)
    image = np.clip(np.rint(composite(base, layer) * 255), 0, 255).astype(np.uint8)
    interpolation = cv2.INTER_AREA if width < 2048 else cv2.INTER_CUBIC
    return cv2.resize(image, (width, width // 2), interpolation=interpolation)


def stages(image: np.ndarray, name: str) -> dict[str, float]:
    detector = get_detector(name)
    config = AutoMaskConfig(detector=name)
    t0 = time.perf_counter()
    panorama = DisplayPanorama.of(image)
    t1 = time.perf_counter()
    probability = detector.probability(panorama)
    t2 = time.perf_counter()
    mask_from_probability(panorama, probability, detector.view, config, name)
    t3 = time.perf_counter()
    return {"tone map": t1 - t0, "detector": t2 - t1, "refine + map + grow": t3 - t2}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    widths = [2048, 4096] if args.quick else [2048, 4096, 8192]
    detectors = ["learned+classical", "learned", "classical"]  # the first: auto's default
    for name in detectors:
        get_detector(name)  # load weights before timing
    print("wall seconds (CPU seconds of all threads)")
    print("| panorama | " + " | ".join(detectors) + " | learned stages (wall) |")
    print("|---|" + "---|" * len(detectors) + "---|")
    for width in widths:
        image = rig_panorama(width)
        cells = []
        for name in detectors:
            config = AutoMaskConfig(detector=name)
            wall, cpu = best_of(lambda c=config, i=image: detect_rig(i, c), args.repeat)
            cells.append(f"{wall:.3f} s ({cpu:.3f})")
        split = stages(image, "learned")
        detail = ", ".join(f"{k} {v:.3f}" for k, v in split.items())
        print(f"| {width}x{width // 2} | " + " | ".join(cells) + f" | {detail} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

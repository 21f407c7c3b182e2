"""Write the shipped sample panorama and its tripod mask into ``pano_inpaint/data/``.

Usage: ``python samples/make_samples.py [--height 1024] [--seed 0] [--clean] [--out-dir DIR]``.
``--clean`` also writes ``sample_clean.jpg`` (the ground truth without the tripod), which is not
shipped because it can always be regenerated.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "pano_inpaint" / "data"
# Run as a plain script from a checkout: make the package importable without installing it.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from samples.render import make_sample_panorama  # noqa: E402

JPEG_OPTIONS = {"quality": 90, "subsampling": "4:2:0", "optimize": True}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--height", type=int, default=1024, help="ERP height (width is 2x)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clean", action="store_true", help="also write sample_clean.jpg")
    parser.add_argument("--out-dir", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)

    sample = make_sample_panorama(args.height, seed=args.seed)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    written = [args.out_dir / "sample_pano.jpg", args.out_dir / "sample_mask.png"]
    Image.fromarray(sample.image).save(written[0], **JPEG_OPTIONS)
    Image.fromarray(sample.mask.astype(np.uint8) * 255).save(written[1], optimize=True)
    if args.clean:
        written.append(args.out_dir / "sample_clean.jpg")
        Image.fromarray(sample.clean).save(written[2], **JPEG_OPTIONS)
    for path in written:
        print(f"{path}  {path.stat().st_size / 1024:.0f} KiB")
    print(f"tripod within {sample.tripod_degrees:.2f} degrees of the nadir")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Build the compact training pack for ``scripts/train_net_budget.py`` (a GPU session).

    python scripts/make_net_pack.py [--out packs/net]

Reads ../shared/panoramas_hires and ../shared/training_photos (the ``vrview_*`` panoramas left
out, as in the training configs), writes them reduced (panoramas 2048 px wide, photos 1024 px on
the long side, JPEG 90) and copies ../shared/panoramas into ``eval/``; at most 40 MB. ``packs/``
is git-ignored and travels with the checkout (``carry``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pano_inpaint.train.pack import make_pack  # noqa: E402

SHARED = ROOT.parent / "shared"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "packs" / "net")
    parser.add_argument("--photo-side", type=int, default=1024)
    args = parser.parse_args(argv)
    counts = make_pack([SHARED / "panoramas_hires", SHARED / "training_photos"], args.out,
                       exclude=("vrview_*",), eval_dir=SHARED / "panoramas",
                       photo_side=args.photo_side)
    print(f"{args.out}: {counts['panoramas']} panoramas, {counts['photos']} photos, "
          f"{counts['eval']} evaluation files, {counts['bytes'] / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

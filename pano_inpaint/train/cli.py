"""``pano-inpaint train``: argument parsing over :func:`pano_inpaint.train.loop.train`.

Exit codes: 0 trained (or stopped at ``--max-steps`` with a checkpoint), 1 missing data or a
checkpoint from another config, 2 bad arguments or config.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pano-inpaint train",
        description="Train the seam-aware cube network (the `net` generator).",
        epilog="example: pano-inpaint train --config configs/train/net_v1.yaml --data "
               "../shared/panoramas_hires ../shared/training_photos --out runs/net_v1",
    )
    parser.add_argument("--config", required=True, help="training YAML (configs/train/*.yaml)")
    parser.add_argument("--data", required=True, nargs="+", metavar="DIR",
                        help="folders of training panoramas and photos")
    parser.add_argument("--out", required=True, metavar="RUN_DIR",
                        help="run folder: log.csv, losses.png, checkpoint.pt, net.pt")
    parser.add_argument("--restart", action="store_true",
                        help="ignore a checkpoint in RUN_DIR and start over")
    parser.add_argument("--max-steps", type=int, default=None,
                        help="stop (with a checkpoint) after this step; run again to resume")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    # On CPUs shared with other jobs, OpenMP threads that spin while waiting for a descheduled
    # peer make every parallel region cost a scheduler time slice (steps 10-20x slower).
    # Passive waiting avoids that; it only takes effect if torch is not imported yet.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from pano_inpaint.train.config import TrainConfigError, load_train_config
    from pano_inpaint.train.loop import train

    try:
        config = load_train_config(args.config)
    except (TrainConfigError, FileNotFoundError) as exc:
        print(f"error: config: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        result = train(config, args.data, args.out, restart=args.restart,
                       progress=not args.no_progress, max_steps=args.max_steps,
                       command="pano-inpaint train " + " ".join(argv))
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    done = "finished" if result.summary["finished"] else "stopped"
    print(f"{done} at step {result.steps} ({result.seconds / 60:.1f} min of training) in "
          f"{result.run_dir}")
    if result.sha256:
        print(f"weights: {result.weights} (sha256 {result.sha256})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

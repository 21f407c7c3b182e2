"""Training the ``net`` generator: data sampling, losses, the resumable loop and its command line.

``pano-inpaint train --config configs/train/net_v1.yaml --data DIR [DIR ...] --out RUN_DIR``.
Nothing here is imported by ``import pano_inpaint``; everything here imports torch.
"""

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """``pano-inpaint train`` (see :func:`pano_inpaint.train.cli.main`)."""
    from pano_inpaint.train.cli import main as cli_main

    return cli_main(argv)

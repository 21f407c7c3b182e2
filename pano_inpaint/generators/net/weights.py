"""Weights of the cube network: one torch file (fp16 state dict + ``NetConfig`` + provenance,
:mod:`pano_inpaint.weights_file`), loaded from the package with no network access, checked
against its sha256. ``WeightsError`` and ``file_sha256`` are that module's.
"""

from __future__ import annotations

import threading
from pathlib import Path

import torch

from pano_inpaint.generators.net.config import NetConfig
from pano_inpaint.generators.net.model import CubeInpaintNet
from pano_inpaint.io.locations import stamp_of
from pano_inpaint.weights_file import (
    WeightsError,
    file_sha256,
    load_network,
    write_weights_file,
)

__all__ = [
    "DEFAULT_SHA256",
    "DEFAULT_WEIGHTS",
    "WEIGHTS_FORMAT",
    "WeightsError",
    "cached_network",
    "file_sha256",
    "load_weights",
    "save_weights",
]

WEIGHTS_FORMAT = "pano-inpaint-net/1"
DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "net_v1.pt"
# Also stated in weights/MODEL_CARD.md (a test keeps the two equal).
DEFAULT_SHA256 = "08878631a4344e51fa62d8db6113acd166c4928f4f0eebbb0b12af9c71436a30"


def save_weights(path: str | Path, model: CubeInpaintNet, meta: dict | None = None) -> str:
    """Write ``model`` as fp16 (atomically); returns the file's sha256."""
    return write_weights_file(path, WEIGHTS_FORMAT, model.config.to_dict(), model, meta)


def load_weights(path: str | Path | None = None, *, sha256: str | None = None,
                 device: str | torch.device = "cpu") -> tuple[CubeInpaintNet, dict]:
    """Build the network from a weights file; returns ``(model in eval mode, meta)``.

    Args:
        path: weights file (default: the shipped ``weights/net_v1.pt``).
        sha256: expected digest; default: :data:`DEFAULT_SHA256` for the shipped file, none
            for others.
        device: where to put the model.

    Raises:
        WeightsError: missing file, digest mismatch, or not a file of this network.
    """
    model, meta = load_network(path, WEIGHTS_FORMAT,
                               lambda config: CubeInpaintNet(NetConfig.from_dict(config)),
                               shipped=DEFAULT_WEIGHTS, shipped_sha256=DEFAULT_SHA256,
                               sha256=sha256)
    return model.to(device), meta


# (resolved path, the file's stamp, device) -> the network: each file is read once per process.
_MODELS: dict[tuple[str, str, str], CubeInpaintNet] = {}
_LOCK = threading.Lock()


def cached_network(path: str | Path | None = None, *,
                   device: str | torch.device = "cpu") -> CubeInpaintNet:
    """:func:`load_weights`' network, loaded once per file and device and kept for the process
    (the ``net`` generators, eval-net's weights checked before any work and its
    ``--network-seams``); shared, so not to be trained or changed.

    Raises:
        WeightsError: as :func:`load_weights`.
    """
    path = Path(path) if path is not None else DEFAULT_WEIGHTS
    # Its stamp (size, mtime), not the sha256 it was: hashing the file at every use read it all
    # each time. A file rewritten is another key, as a batch's inputs (io.locations.Stamp).
    key = (str(path.resolve()), str(stamp_of(str(path))), str(device))
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = load_weights(path, device=device)[0]
        return _MODELS[key]

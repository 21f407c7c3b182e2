"""Weights of the cube network: one torch file (fp16 state dict + ``NetConfig`` + provenance),
loaded from the package with no network access, checked against its sha256.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from pano_inpaint.generators.net.model import CubeInpaintNet, NetConfig
from pano_inpaint.io.atomic import atomic_write

__all__ = [
    "DEFAULT_SHA256",
    "DEFAULT_WEIGHTS",
    "WEIGHTS_FORMAT",
    "WeightsError",
    "file_sha256",
    "load_weights",
    "save_weights",
]

WEIGHTS_FORMAT = "pano-inpaint-net/1"
DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "net_v1.pt"
# Also stated in weights/MODEL_CARD.md (a test keeps the two equal).
DEFAULT_SHA256 = "08878631a4344e51fa62d8db6113acd166c4928f4f0eebbb0b12af9c71436a30"


class WeightsError(RuntimeError):
    """A weights file that is missing, corrupt or not of this network."""


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_weights(path: str | Path, model: CubeInpaintNet, meta: dict | None = None) -> str:
    """Write ``model`` as fp16 (atomically); returns the file's sha256."""
    path = Path(path)
    state = {k: v.detach().to("cpu", torch.float16).contiguous()
             for k, v in model.state_dict().items()}
    blob = {"format": WEIGHTS_FORMAT, "config": model.config.to_dict(), "state_dict": state,
            "meta": dict(meta or {})}
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: torch.save(blob, tmp))
    return file_sha256(path)


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
    path = Path(path) if path is not None else DEFAULT_WEIGHTS
    if not path.is_file():
        raise WeightsError(f"weights file not found: {path}")
    if sha256 is None and path.resolve() == DEFAULT_WEIGHTS:
        sha256 = DEFAULT_SHA256
    if sha256 is not None:
        actual = file_sha256(path)
        if actual != sha256:
            raise WeightsError(f"{path.name}: sha256 {actual} does not match {sha256}")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a bad file
        raise WeightsError(f"cannot read {path}: {exc}") from exc
    if not isinstance(blob, dict) or blob.get("format") != WEIGHTS_FORMAT:
        raise WeightsError(f"{path.name} is not a {WEIGHTS_FORMAT} weights file")
    model = CubeInpaintNet(NetConfig.from_dict(blob["config"]))
    model.load_state_dict({k: v.float() for k, v in blob["state_dict"].items()})
    return model.to(device).eval(), dict(blob.get("meta", {}))

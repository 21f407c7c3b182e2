"""Weights files of the project's networks: one torch file holding a format tag, the network's
config, an fp16 state dict and provenance; written atomically, read with ``weights_only=True``
(no code runs on load), checked against a sha256 for the shipped files. Nothing is downloaded.

Used by the ``net`` generator (:mod:`pano_inpaint.generators.net.weights`) and the rig detector
(:mod:`pano_inpaint.masks.auto.learned`).
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import torch

from pano_inpaint.io.atomic import atomic_write
from pano_inpaint.weights_error import WeightsError

__all__ = [
    "WeightsError",
    "check_weights_path",
    "file_sha256",
    "load_network",
    "read_weights_file",
    "write_weights_file",
]


Network = TypeVar("Network", bound=torch.nn.Module)


def check_weights_path(path: str | Path) -> None:
    """Refuse, before any work, a weights path that is no file or no torch file (a zip
    archive): read at the first fill, a missing file failed there as a bug to report (exit 1),
    and an image given by mistake with torch's essay on ``weights_only``.

    Raises:
        ValueError: saying which.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"weights file not found: {path}")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not a PyTorch weights file (torch.save writes a zip "
                         "archive)")


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_weights_file(path: str | Path, fmt: str, config: dict, module: torch.nn.Module,
                       meta: dict | None = None) -> str:
    """Write ``module``'s parameters and buffers as fp16 (atomically); returns the sha256."""
    path = Path(path)
    state = {k: v.detach().to("cpu", torch.float16 if v.is_floating_point() else v.dtype)
             .contiguous() for k, v in module.state_dict().items()}
    blob = {"format": fmt, "config": config, "state_dict": state, "meta": dict(meta or {})}
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: torch.save(blob, tmp))
    return file_sha256(path)


def read_weights_file(path: str | Path, fmt: str, *, sha256: str | None = None) -> dict:
    """``{"config", "state_dict" (float32), "meta"}`` of a weights file of format ``fmt``.

    Raises:
        WeightsError: missing file, digest mismatch, unreadable, or another format.
    """
    path = Path(path)
    try:
        check_weights_path(path)
    except ValueError as exc:
        raise WeightsError(str(exc)) from None
    if sha256 is not None:
        actual = file_sha256(path)
        if actual != sha256:
            raise WeightsError(f"{path.name}: sha256 {actual} does not match {sha256}")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a bad file
        # Its first line only: torch explains weights_only over a dozen lines.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise WeightsError(f"cannot read {path}: {type(exc).__name__}: {first[:160]}") from exc
    if not isinstance(blob, dict) or blob.get("format") != fmt:
        raise WeightsError(f"{path.name} is not a {fmt} weights file")
    state = {k: v.float() if v.is_floating_point() else v for k, v in blob["state_dict"].items()}
    return {"config": blob["config"], "state_dict": state, "meta": dict(blob.get("meta", {}))}


def load_network(path: str | Path | None, fmt: str, build: Callable[[dict], Network], *,
                 shipped: Path, shipped_sha256: str, sha256: str | None = None
                 ) -> tuple[Network, dict]:
    """The network ``build(config)`` of a weights file of format ``fmt``, its weights loaded, in
    eval mode, and its provenance (``meta``).

    Args:
        path: the weights file; ``None``: ``shipped``, the file the package ships.
        sha256: expected digest; default: ``shipped_sha256`` for the shipped file, none for
            others.

    Raises:
        WeightsError: missing file, digest mismatch, unreadable, another format, or a config
            ``build`` refuses (a ValueError).
    """
    path = Path(path) if path is not None else shipped
    if sha256 is None and path.resolve() == shipped:
        sha256 = shipped_sha256
    blob = read_weights_file(path, fmt, sha256=sha256)
    try:
        model = build(blob["config"])
    except ValueError as exc:  # a key this version does not know, a value of the wrong type
        # It was a ValueError traceback (eval-net's --candidate) or blamed on the image.
        raise WeightsError(f"{path.name}: its config: {exc}") from exc
    model.load_state_dict(blob["state_dict"])
    model.eval()
    return model, blob["meta"]

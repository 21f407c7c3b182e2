"""The learned rig detector: the shipped :class:`~pano_inpaint.masks.auto.model.RigNet` on the
nadir view (weights and model card in ``weights/``, trained by ``pano-inpaint train-mask``).

The weights are loaded from the package (``torch.load(weights_only=True)``, sha256 checked for the
shipped file); nothing is downloaded. torch is imported only when this detector is used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from pano_inpaint.masks.auto.config import RigNetConfig
from pano_inpaint.masks.auto.detect import WORK_VIEW, Detector, DisplayPanorama
from pano_inpaint.masks.auto.model import RigNet, network_input
from pano_inpaint.weights_file import load_network, write_weights_file

__all__ = [
    "DEFAULT_SHA256",
    "DEFAULT_WEIGHTS",
    "WEIGHTS_FORMAT",
    "LearnedDetector",
    "load_rignet",
    "save_rignet",
]

WEIGHTS_FORMAT = "pano-inpaint-rignet/1"
DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "rignet_v1.pt"
# Also stated in weights/MODEL_CARD.md (a test keeps the two equal).
DEFAULT_SHA256 = "03ca449e0c527b0c5d3b15d37685648fc9047c53c5b34a73776ad825c3a432c3"


def save_rignet(path: str | Path, model: RigNet, meta: dict | None = None) -> str:
    """Write the network as fp16 (atomically); returns the file's sha256."""
    return write_weights_file(path, WEIGHTS_FORMAT, model.config.to_dict(), model, meta)


def load_rignet(path: str | Path | None = None, *, sha256: str | None = None
                ) -> tuple[RigNet, dict]:
    """The network of a weights file, in eval mode, and its provenance.

    Args:
        path: weights file (default: the shipped ``weights/rignet_v1.pt``).
        sha256: expected digest; default: :data:`DEFAULT_SHA256` for the shipped file.

    Raises:
        pano_inpaint.weights_file.WeightsError: missing, corrupt, or not this network's.
    """
    return load_network(path, WEIGHTS_FORMAT, lambda config: RigNet(RigNetConfig.from_dict(config)),
                        shipped=DEFAULT_WEIGHTS, shipped_sha256=DEFAULT_SHA256, sha256=sha256)


class LearnedDetector(Detector):
    """The network's rig probability on :data:`WORK_VIEW`."""

    name = "learned"
    view = WORK_VIEW

    def __init__(self, weights: str | Path | None = None) -> None:
        self.model, self.meta = load_rignet(weights)
        self.degrees = self.view.degrees_from_nadir()

    def probability(self, panorama: DisplayPanorama) -> np.ndarray:
        # Unseen (NaN) pixels as black: a few NaN at the nadir spread through the convolutions
        # and the network found nothing anywhere (a plain tripod: "nothing found", 1.00).
        view = np.nan_to_num(panorama.view(self.view), nan=0.0)
        x = torch.from_numpy(network_input(view, self.degrees))[None]
        # One thread: a 256-pixel view (0.03 CPU s) gains nothing from a second one, and on a
        # busy machine torch's threads waiting for each other took 1-3 s instead of 0.2.
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with torch.inference_mode():
                return torch.sigmoid(self.model(x))[0, 0].numpy()
        finally:
            torch.set_num_threads(threads)

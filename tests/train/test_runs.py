"""What both trainers share: their checkpoints load as data, never as code."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from pano_inpaint.train.config import load_train_config  # noqa: E402
from pano_inpaint.train.loop import train  # noqa: E402
from pano_inpaint.train.mask_config import load_mask_train_config  # noqa: E402
from pano_inpaint.train.mask_loop import train_mask  # noqa: E402

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "train"
TRAINERS = {"net": (train, load_train_config(CONFIGS / "smoke.yaml")),
            "rig mask": (train_mask, load_mask_train_config(CONFIGS / "mask_smoke.yaml"))}


@pytest.mark.parametrize("trainer", TRAINERS)
def test_checkpoint_that_would_run_code_is_refused(trainer: str, data_dir: Path,
                                                   tmp_path: Path) -> None:
    run_training, config = TRAINERS[trainer]
    run = tmp_path / "run"
    run_training(config, [data_dir], run, progress=False, max_steps=1)
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    state = torch.load(run / "checkpoint.pt", weights_only=True)
    state["extra"] = Payload()
    torch.save(state, run / "checkpoint.pt")
    with pytest.raises(ValueError, match="could run code"):
        run_training(config, [data_dir], run, progress=False)
    assert not marker.exists()

"""The train command: smoke config in a temporary folder; log, plot, checkpoint, resume."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from pano_inpaint.cli import main as cli_main  # noqa: E402
from pano_inpaint.generators import get_generator  # noqa: E402
from pano_inpaint.generators.net.weights import load_weights  # noqa: E402
from pano_inpaint.train.config import (  # noqa: E402
    TrainConfigError,
    load_train_config,
)

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "configs" / "train" / "smoke.yaml"


def _rows(run: Path) -> list[dict]:
    with open(run / "log.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_train_command_writes_log_plot_checkpoint_and_weights(train_command) -> None:
    run, rows = train_command("train", SMOKE, "net.pt")
    assert [int(r["step"]) for r in rows] == [1, 2, 3]
    assert float(rows[-1]["l1_hole"]) > 0 and rows[1]["val_psnr_hole"]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["finished"] and summary["steps"] == 3 and summary["seed"] == 0
    assert summary["sources"]["panoramas"] == ["pano.png"]  # vrview_* excluded
    model, meta = load_weights(run / "net.pt")
    assert meta["steps"] == 3
    generator = get_generator("net", weights=str(run / "net.pt"))
    assert generator.model.config == model.config


def test_interrupted_and_resumed_run_equals_an_uninterrupted_one(data_dir: Path,
                                                                 tmp_path: Path) -> None:
    config = load_train_config(SMOKE)
    from pano_inpaint.train.loop import train

    whole = train(config, [data_dir], tmp_path / "whole", progress=False)
    part = train(config, [data_dir], tmp_path / "part", progress=False, max_steps=2)
    assert part.steps == 2 and not part.summary["finished"]
    assert not (tmp_path / "part" / "net.pt").exists()
    resumed = train(config, [data_dir], tmp_path / "part", progress=False)
    assert resumed.steps == 3 and resumed.summary["finished"]
    assert [r["step"] for r in _rows(tmp_path / "part")] == ["1", "2", "3"]
    a, _ = load_weights(whole.weights)
    b, _ = load_weights(resumed.weights)
    for key, value in a.state_dict().items():
        torch.testing.assert_close(b.state_dict()[key], value, rtol=0, atol=0)


def test_config_errors(refuse_config, tmp_path: Path) -> None:
    refuse_config(load_train_config, TrainConfigError, "stages: [{steps: 1, face_size: 20}]\n",
                  "multiple")
    bad = refuse_config(load_train_config, TrainConfigError, "loss: {l2: 1.0}\n",
                        "unknown key loss.l2")
    assert load_train_config(ROOT / "configs" / "train" / "net_v1.yaml").total_steps > 1000
    assert cli_main(["train", "--config", str(bad), "--data", str(tmp_path), "--out",
                     str(tmp_path / "r")]) == 2


def test_missing_data_folder(tmp_path: Path, capsys) -> None:
    """Exit 3 (bad input, as eval's missing folders); it was 1, the code of a folder without a
    usable image, which it still is."""
    code = cli_main(["train", "--config", str(SMOKE), "--data", str(tmp_path / "none"), "--out",
                     str(tmp_path / "run"), "--no-progress"])
    assert code == 3 and f"{tmp_path / 'none'}: no such folder" in capsys.readouterr().err
    code = cli_main(["train", "--config", str(SMOKE), "--data", str(tmp_path), "--out",
                     str(tmp_path / "run"), "--no-progress"])
    assert code == 1 and "no usable training image" in capsys.readouterr().err


# The net's configs (mask_*.yaml train the rig detector: tests/train/test_mask_train.py).
TRAIN_CONFIGS = sorted(p for p in (ROOT / "configs" / "train").glob("*.yaml")
                       if not p.name.startswith("mask_"))


def test_the_training_configs_are_found() -> None:
    assert {p.name for p in TRAIN_CONFIGS} >= {"net_v1.yaml", "net_v1_zeros.yaml", "smoke.yaml"}


@pytest.mark.parametrize("path", TRAIN_CONFIGS, ids=lambda p: p.name)
def test_every_shipped_training_config_loads(path: Path) -> None:
    config = load_train_config(path)
    assert config.total_steps > 0 and config.net_config().pad_mode in ("cube", "zeros")

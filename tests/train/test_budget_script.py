"""scripts/train_net_budget.py: the config fitted to a wall-clock budget (the whole script ran
on the CPU with a tiny budget when it was written; this keeps its arithmetic honest)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")

from pano_inpaint.train.config import load_train_config  # noqa: E402
from tests.scripts_helpers import ROOT, load_script  # noqa: E402


def _script():
    return load_script("train_net_budget")


def test_stages_are_scaled_to_the_budget() -> None:
    script = _script()
    config = load_train_config(ROOT / "configs" / "train" / "net_v3_gpu.yaml")
    fitted = script._fit(config, seconds=540, per_step=0.3)  # 1800 steps fit
    assert fitted.total_steps == pytest.approx(1800, abs=len(config.stages))
    ratio = [s.steps / config.total_steps for s in config.stages]
    assert [s.steps / fitted.total_steps for s in fitted.stages] == pytest.approx(ratio, abs=1e-3)
    assert [s.face_size for s in fitted.stages] == [s.face_size for s in config.stages]
    assert fitted.validate_every == fitted.checkpoint_every == fitted.total_steps // 8
    assert fitted.optim.warmup_steps <= fitted.total_steps // 10 + 1


def test_seconds_per_step_skip_the_warm_up_row(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text("step,sec_per_step\n10,9.0\n20,0.5\n30,0.7\n")
    assert _script()._seconds_per_step(log) == pytest.approx(0.6)

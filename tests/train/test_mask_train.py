"""The train-mask command: the views it trains on, a smoke run, resuming, bad configs."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from pano_inpaint.cli import main as cli_main  # noqa: E402
from pano_inpaint.masks.auto.detect import WORK_VIEW, DisplayPanorama  # noqa: E402
from pano_inpaint.masks.auto.learned import LearnedDetector, load_rignet  # noqa: E402
from pano_inpaint.masks.rigs import true_mask  # noqa: E402
from pano_inpaint.train.data import find_sources  # noqa: E402
from pano_inpaint.train.mask_config import (  # noqa: E402
    MaskDataConfig,
    MaskTrainConfigError,
    load_mask_train_config,
)
from pano_inpaint.train.mask_data import ViewSampler  # noqa: E402
from pano_inpaint.train.mask_loop import train_mask  # noqa: E402
from pano_inpaint.weights_error import WeightsError  # noqa: E402
from tests.synthetic import rig_panorama  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "configs" / "train" / "mask_smoke.yaml"


@pytest.fixture
def sampler(data_dir: Path) -> ViewSampler:
    config = MaskDataConfig(pool=3, exclude=("vrview_*",), negatives=0.0)
    views = ViewSampler(find_sources([data_dir], config.exclude), config)
    views.pool.fill(3, np.random.default_rng(0))
    return views


def test_views_carry_the_exact_mask_of_their_rig(sampler: ViewSampler) -> None:
    rng = np.random.default_rng(1)
    _, layer = sampler.pool.draw(rng)
    assert true_mask(layer).any()
    ground = sampler.ground(rng)
    assert ground.shape == (WORK_VIEW.size, WORK_VIEW.size, 3) and ground.dtype == np.float32
    for _ in range(4):
        image, label, kind = sampler.sample(rng)
        assert image.shape == (WORK_VIEW.size, WORK_VIEW.size, 3) and 0 <= image.min()
        assert label.any() and kind in sampler.pool.kinds
        centre = label.shape[0] // 2
        assert label[centre - 40 : centre + 40, centre - 40 : centre + 40].any()  # at the nadir


def test_batches_are_crops_with_the_angle_channel(sampler: ViewSampler) -> None:
    batch = sampler.batch(np.random.default_rng(2), 3, 64)
    assert batch.image.shape == (3, 4, 64, 64) and batch.label.shape == (3, 1, 64, 64)
    angle = batch.image[:, 3] * 90  # degrees from the nadir
    assert (angle >= 0).all() and (angle <= WORK_VIEW.max_degrees + 1).all()
    assert set(np.unique(batch.label)) <= {0.0, 1.0}


def test_negatives_have_no_rig(data_dir: Path) -> None:
    config = MaskDataConfig(pool=1, negatives=1.0)
    views = ViewSampler(find_sources([data_dir]), config)
    views.pool.fill(1, np.random.default_rng(0))
    _, label, kind = views.sample(np.random.default_rng(0))
    assert kind == "none" and not label.any()


def test_train_mask_command_writes_a_run_and_usable_weights(train_command) -> None:
    run, rows = train_command("train-mask", SMOKE, "rignet.pt")
    assert [int(r["step"]) for r in rows] == [1, 2, 3]
    assert float(rows[0]["loss"]) > 0 and rows[1]["val_iou"]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["finished"] and summary["sources"] == {"panoramas": 1, "photos": 1}
    model, meta = load_rignet(run / "rignet.pt")
    assert meta["steps"] == 3 and model.config.channels == (4, 8)
    image, _ = rig_panorama(64)
    probability = LearnedDetector(run / "rignet.pt").probability(DisplayPanorama.of(image))
    assert probability.shape == (WORK_VIEW.size,) * 2
    assert 0 <= probability.min() and probability.max() <= 1


def test_interrupted_and_resumed_run_equals_an_uninterrupted_one(data_dir: Path,
                                                                 tmp_path: Path) -> None:
    config = load_mask_train_config(SMOKE)
    whole = train_mask(config, [data_dir], tmp_path / "whole", progress=False)
    part = train_mask(config, [data_dir], tmp_path / "part", progress=False, max_steps=2)
    assert part.steps == 2 and not (tmp_path / "part" / "rignet.pt").exists()
    resumed = train_mask(config, [data_dir], tmp_path / "part", progress=False)
    assert resumed.steps == 3
    a, _ = load_rignet(whole.weights)
    b, _ = load_rignet(resumed.weights)
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.equal(x, y), name
    # Fine-tuning starts from a finished run's weights; another network's are refused.
    tuned = dataclasses.replace(config, init=str(whole.weights), steps=1, validate_every=0)
    assert train_mask(tuned, [data_dir], tmp_path / "tuned", progress=False).steps == 1
    other = dataclasses.replace(tuned, net={"channels": [8, 8]})
    with pytest.raises(WeightsError, match="not the configured"):
        train_mask(other, [data_dir], tmp_path / "other", progress=False)
    assert not (tmp_path / "other").exists()


@pytest.mark.parametrize("init", ["missing.pt", "data/pano.png", "bad.pt"])
def test_init_weights_it_cannot_start_from_are_a_config_error(data_dir: Path, tmp_path: Path,
                                                              capsys, init: str) -> None:
    """A missing, foreign or corrupt ``init`` was a WeightsError traceback (exit 1), after the
    data was read: exit 2, one line, before the data and with no run folder."""
    import zipfile

    with zipfile.ZipFile(tmp_path / "bad.pt", "w") as archive:
        archive.writestr("x", "not a state dict")
    config = tmp_path / "tune.yaml"
    config.write_text(SMOKE.read_text() + f"\ninit: {tmp_path / init}\n")
    code = cli_main(["train-mask", "-c", str(config), "--data", str(data_dir), "--out",
                     str(tmp_path / "run"), "--no-progress"])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2 and err.startswith("error: config: init:") and "Traceback" not in err
    assert err.count("error:") == 1 and not (tmp_path / "run").exists()


@pytest.mark.parametrize("path", sorted((ROOT / "configs" / "train").glob("mask_*.yaml")),
                         ids=lambda p: p.name)
def test_every_shipped_mask_config_loads(path: Path) -> None:
    config = load_mask_train_config(path)
    assert config.steps > 0 and config.crop % config.net_config().stride == 0


@pytest.mark.parametrize("text, match", [
    ("stepz: 3", "unknown key stepz"),
    ("data: {kinds: {ladder: 1.0}}", "data.kinds"),
    ("crop: 100", "multiple of the net's stride"),
    ("data: {blur: 2.0}", r"data.blur must be in \[0, 1\]"),
    ("net: {channels: [4]}", "net:"),
])
def test_bad_configs(refuse_config, tmp_path: Path, text: str, match: str) -> None:
    path = refuse_config(load_mask_train_config, MaskTrainConfigError, text, match)
    assert cli_main(["train-mask", "-c", str(path), "--data", str(tmp_path), "--out",
                     str(tmp_path / "run")]) == 2

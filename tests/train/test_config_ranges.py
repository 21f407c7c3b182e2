"""Numbers out of range in a training config are config errors (exit 2) naming the key, for
both trainers. Each case below was, with the smoke configs, a traceback (log_every: 0,
ZeroDivisionError; data.min_scale: .nan, OverflowError; data.panorama_width: 0, an OpenCV
assertion), exit 1 in numpy's or torch's words (seed: -1, optim.lr: -1), or a run that
trained without a word on NaN losses or turned-round gradients (grad_clip: -1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pano_inpaint.cli import main
from pano_inpaint.exit_codes import EXIT_USAGE
from pano_inpaint.train.config import TrainConfigError, load_train_config
from pano_inpaint.train.mask_config import MaskTrainConfigError, load_mask_train_config

BOTH = [(load_train_config, TrainConfigError), (load_mask_train_config, MaskTrainConfigError)]


@pytest.mark.parametrize(("load", "error"), BOTH, ids=["train", "train-mask"])
@pytest.mark.parametrize(("text", "words"), [
    ("seed: -1", "seed must be >= 0, got -1"),
    ("log_every: 0", "log_every must be >= 1, got 0"),
    ("checkpoint_every: 0", "checkpoint_every must be >= 1"),
    ("validate_every: -1", "validate_every must be >= 0"),
    ("optim: {lr: .nan}", "optim.lr must be > 0, got nan"),
    ("optim: {lr: -1}", "optim.lr must be > 0"),
    ("optim: {weight_decay: -1}", "optim.weight_decay must be >= 0"),
    ("optim: {warmup_steps: -1}", "optim.warmup_steps must be >= 0"),
    ("optim: {final_lr_fraction: .nan}", r"optim.final_lr_fraction must be in \[0, 1\]"),
    ("optim: {grad_clip: -1}", "optim.grad_clip must be >= 0"),
])
def test_shared_numbers_out_of_range(refuse_config, load, error, text, words):
    refuse_config(load, error, text + "\n", words)


@pytest.mark.parametrize(("text", "words"), [
    ("optim: {discriminator_lr: 0}", "optim.discriminator_lr must be > 0"),
    ("loss: {seam: .nan}", "loss.seam must be >= 0, got nan"),
    ("loss: {l1_hole: -1}", "loss.l1_hole must be >= 0"),
    ("loss: {gradient_scales: 0}", "loss.gradient_scales must be >= 1"),
    ("loss: {discriminator_channels: 0}", "loss.discriminator_channels must be >= 1"),
    ("data: {min_scale: .nan}", "data.min_scale must be >= 1"),
    ("data: {max_scale: .inf}", "data.min_scale must be >= 1 and <= data.max_scale"),
    ("data: {content_rotation: -1}", r"data.content_rotation must be in \[0, 1\]"),
    ("data: {centre_hole: .nan}", r"data.centre_hole must be in \[0, 1\]"),
    ("data: {validation_cubes: -1}", "data.validation_cubes must be >= 0"),
    ("data: {families: {nadir: .nan}}", "data.families must map"),
])
def test_net_training_numbers_out_of_range(refuse_config, text, words):
    refuse_config(load_train_config, TrainConfigError, text + "\n", words)


@pytest.mark.parametrize(("text", "words"), [
    # 100000 blocks hung building the network; NaN and out-of-range shares failed in torch's
    # words (exit 1); a negative prior_iterations trained as if 0.
    ("net: {blocks: 100000}", r"net: blocks must be in \[1, 64\], got 100000"),
    ("net: {max_channels: 100000}", r"net: max_channels must be in \[1, 4096\]"),
    ("net: {downsamplings: 40}", r"net: downsamplings must be in \[1, 8\]"),
    ("net: {prior_iterations: -5}", r"net: prior_iterations must be in \[0, 10000\]"),
    ("net: {fft_context: -1}", r"net: fft_context must be in \[0, 1\]"),
    ("net: {global_ratio: .nan}", "net: global_ratio must leave both branches"),
    ("net: {global_ratio: 2.0}", "net: global_ratio must leave both branches"),
    ("net: {channels: 8, max_channels: 8, downsamplings: 1, global_ratio: 0.05}",
     "global_ratio must leave both branches of the 8 bottleneck channels some"),
])
def test_network_numbers_out_of_range(refuse_config, text, words):
    refuse_config(load_train_config, TrainConfigError, text + "\n", words)


@pytest.mark.parametrize(("text", "words"), [
    ("data: {panorama_width: 0}", "data.panorama_width must be >= 32"),
    ("data: {refresh_every: -1}", "data.refresh_every must be >= 0"),
    ("data: {validation: -1}", "data.validation must be >= 0"),
    ("data: {kinds: {tripod: .nan}}", "data.kinds must map"),
    ("loss: {pos_weight: .nan}", "loss.pos_weight must be > 0"),
    ("loss: {dice: -1}", "loss.dice must be >= 0"),
    # A width of 100000 failed in torch's allocator and in_channels 3 at the first step, both
    # exit 1 with a traceback.
    ("net: {channels: [4, 100000]}", "channels needs at most 8 widths of at most 1024"),
    ("net: {channels: [4, 4, 4, 4, 4, 4, 4, 4, 4]}", "channels needs at most 8 widths"),
    ("net: {channels: [4, 8], in_channels: 3}", "in_channels must be 4"),
])
def test_mask_training_numbers_out_of_range(refuse_config, text, words):
    refuse_config(load_mask_train_config, MaskTrainConfigError, text + "\n", words)


@pytest.mark.parametrize("command", ["train", "train-mask"])
def test_the_command_refuses_them_before_any_work(tmp_path: Path, capsys, command):
    """log_every: 0 was a ZeroDivisionError traceback at the first step, after the run folder
    and its config.yaml were written."""
    config = tmp_path / "config.yaml"
    config.write_text("log_every: 0\n")
    (tmp_path / "data").mkdir()
    code = main([command, "-c", str(config), "--data", str(tmp_path / "data"), "--out",
                 str(tmp_path / "run"), "--no-progress"])
    err = " ".join(capsys.readouterr().err.split())
    assert code == EXIT_USAGE and "config: log_every must be >= 1, got 0" in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("command", ["train", "train-mask"])
def test_a_negative_max_steps_is_a_usage_error(tmp_path: Path, capsys, command):
    """--max-steps -3 trained nothing, wrote a run folder and exited 0, 'stopped at step 0'."""
    smoke = Path(__file__).resolve().parents[2] / "configs" / "train" / (
        "smoke.yaml" if command == "train" else "mask_smoke.yaml")
    (tmp_path / "data").mkdir()
    code = main([command, "-c", str(smoke), "--data", str(tmp_path / "data"), "--out",
                 str(tmp_path / "run"), "--no-progress", "--max-steps", "-3"])
    assert code == EXIT_USAGE and "--max-steps" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()

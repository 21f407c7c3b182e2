"""Training configuration: one YAML file mapped onto frozen dataclasses (strict keys, defaults).

``configs/train/net_v1.yaml`` reproduces the shipped weights; ``configs/train/smoke.yaml`` trains a
few steps in seconds (tests). Every field has a default, so ``TrainConfig()`` is valid.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pano_inpaint.dataclass_yaml import load_dataclass_yaml
from pano_inpaint.generators.net.config import NetConfig
from pano_inpaint.train.checks import (
    check_at_least,
    check_run_numbers,
    check_share,
    check_weight,
)

__all__ = [
    "DataConfig",
    "LossConfig",
    "OptimConfig",
    "Stage",
    "TrainConfig",
    "TrainConfigError",
    "load_train_config",
    "train_config_to_dict",
]


PRECISIONS = ("auto", "fp32", "bf16")


class TrainConfigError(ValueError):
    """A training config that does not fit the schema (the message names the key)."""


@dataclass(frozen=True)
class Stage:
    """A run of steps at one face size (training goes through the stages in order)."""

    steps: int = 1000  # optimiser steps in this stage
    face_size: int = 64  # cube face size S of the training cubes (a multiple of the net stride)
    batch_size: int = 4  # cubes per step (each cube is six faces)


@dataclass(frozen=True)
class DataConfig:
    """How training cubes are drawn (see :mod:`pano_inpaint.train.data`)."""

    exclude: tuple[str, ...] = ()  # file-name globs never read (e.g. panoramas with old fills)
    panorama_share: float = 0.6  # share of cubes drawn from real panoramas (rest: photos)
    min_scale: float = 1.0  # panorama width / (4 S) before sampling: 1 = native face size
    max_scale: float = 2.5  # ... up to this much downsampling (sharper, finer texture)
    content_rotation: float = 0.3  # probability of a random full rotation of the scene
    centre_hole: float = 0.7  # probability the cube is turned to centre the hole on a face
    families: dict[str, float] = field(default_factory=lambda: {
        "nadir": 3.0, "tripod": 3.0, "monopod": 1.0, "shadow": 1.0, "cube-edge": 1.0,
        "cube-corner": 0.5, "wrap": 0.5, "zenith": 0.5, "strokes": 2.0,
    })  # mask families of pano_inpaint.masks.families and their sampling weights
    validation_cubes: int = 8  # fixed cubes scored every `validate_every` steps


@dataclass(frozen=True)
class LossConfig:
    """Loss weights (see :mod:`pano_inpaint.train.losses`); 0 switches a term off."""

    l1_hole: float = 1.0  # L1 on the hole pixels
    l1_known: float = 0.1  # L1 on the known pixels of the raw output
    gradient: float = 1.0  # multi-scale gradient L1 around the hole
    gradient_scales: int = 3  # 1, 2, 4, ... pixel scales
    frequency: float = 0.1  # log-magnitude spectrum L1 of the faces holding holes
    seam: float = 0.5  # jump across cube edges vs the truth's jump, around the hole
    adversarial: float = 0.0  # PatchGAN hinge loss weight (0 = no discriminator)
    adversarial_start: int = 0  # step at which the adversarial term starts
    feature_matching: float = 0.0  # discriminator feature-matching L1 (with the adversarial term)
    discriminator_channels: int = 32  # width of the PatchGAN's first layer


@dataclass(frozen=True)
class OptimConfig:
    lr: float = 1e-3  # AdamW peak learning rate
    weight_decay: float = 1e-4
    warmup_steps: int = 200  # linear warm-up
    final_lr_fraction: float = 0.05  # cosine decay down to lr * this at the last step
    grad_clip: float = 1.0  # max global gradient norm (0 = none)
    discriminator_lr: float = 4e-4


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0  # seeds the data stream, the masks and the weights
    threads: int = 2  # torch CPU threads
    device: str = "auto"  # auto = cuda when present, else cpu
    workers: int = 0  # data worker processes drawing cubes ahead of the step (0 = in the loop)
    precision: str = "auto"  # fp32 | bf16 (autocast); auto = bf16 on CUDA, fp32 on the CPU
    channels_last: bool = False  # NHWC tensors (faster convolutions on CUDA)
    compile: bool = False  # torch.compile the network (CUDA; a minute of compiling first)
    net: dict[str, Any] = field(default_factory=dict)  # NetConfig fields (see model.py)
    stages: tuple[Stage, ...] = (Stage(),)
    data: DataConfig = field(default_factory=DataConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    log_every: int = 25  # steps between CSV rows
    validate_every: int = 250  # steps between validation scores (0 = never)
    checkpoint_every: int = 250  # steps between checkpoints (also written at the end)

    @property
    def total_steps(self) -> int:
        return sum(stage.steps for stage in self.stages)

    def stage_at(self, step: int) -> tuple[int, int, int]:
        """``(stage index, face size, batch size)`` of global ``step`` (0-based)."""
        end = 0
        for index, stage in enumerate(self.stages):
            end += stage.steps
            if step < end:
                return index, stage.face_size, stage.batch_size
        last = self.stages[-1]
        return len(self.stages) - 1, last.face_size, last.batch_size

    def cubes_seen(self, steps: int) -> int:
        """Cubes drawn by the first ``steps`` steps."""
        cubes, start = 0, 0
        for stage in self.stages:
            cubes += max(0, min(steps, start + stage.steps) - start) * stage.batch_size
            start += stage.steps
        return cubes + max(0, steps - start) * self.stages[-1].batch_size

    def net_config(self) -> NetConfig:
        try:
            return NetConfig.from_dict(dict(self.net))
        except (TypeError, ValueError) as exc:
            raise TrainConfigError(f"net: {exc}") from exc


def _check(config: TrainConfig) -> TrainConfig:
    net = config.net_config()
    for i, stage in enumerate(config.stages):
        if stage.steps < 0 or stage.batch_size < 1:
            raise TrainConfigError(f"stages[{i}]: steps must be >= 0 and batch_size >= 1")
        if stage.face_size < net.stride or stage.face_size % net.stride:
            raise TrainConfigError(
                f"stages[{i}].face_size {stage.face_size} must be a multiple of the net's stride "
                f"{net.stride}"
            )
    if config.workers < 0:
        raise TrainConfigError("workers must be >= 0")
    if config.precision not in PRECISIONS:
        raise TrainConfigError(f"precision must be one of {', '.join(PRECISIONS)}")
    if not config.data.families or not all(w >= 0 for w in config.data.families.values()):
        raise TrainConfigError("data.families must map family names to weights >= 0")
    if not 0 <= config.data.panorama_share <= 1:
        raise TrainConfigError("data.panorama_share must be in [0, 1]")
    # NaN scales were an OverflowError traceback from the sampler.
    if not (1 <= config.data.min_scale <= config.data.max_scale < float("inf")):
        raise TrainConfigError("data.min_scale must be >= 1 and <= data.max_scale")
    for name in ("content_rotation", "centre_hole"):
        check_share(getattr(config.data, name), f"data.{name}", TrainConfigError)
    check_at_least(config.data.validation_cubes, 0, "data.validation_cubes", TrainConfigError)
    loss = config.loss
    for name in ("l1_hole", "l1_known", "gradient", "frequency", "seam", "adversarial",
                 "feature_matching"):
        check_weight(getattr(loss, name), f"loss.{name}", TrainConfigError)
    check_at_least(loss.gradient_scales, 1, "loss.gradient_scales", TrainConfigError)
    check_at_least(loss.discriminator_channels, 1, "loss.discriminator_channels",
                   TrainConfigError)
    if not (config.optim.discriminator_lr > 0 and config.optim.discriminator_lr < float("inf")):
        raise TrainConfigError(f"optim.discriminator_lr must be > 0, got "
                               f"{config.optim.discriminator_lr}")
    check_run_numbers(config, TrainConfigError)
    return config


def load_train_config(path: str | Path | None = None) -> TrainConfig:
    """Read a training YAML file (``None``: the defaults).

    Raises:
        TrainConfigError: invalid YAML, unknown keys, wrong types, impossible values.
        FileNotFoundError: ``path`` does not exist.

    Example:
        >>> load_train_config().total_steps
        1000
    """
    return _check(load_dataclass_yaml(TrainConfig, path, TrainConfigError))


def train_config_to_dict(config: TrainConfig) -> dict:
    """Plain data (lists, dicts) for logs and checkpoints."""
    return dataclasses.asdict(config)

"""The rig detector's training configuration: one YAML file mapped onto frozen dataclasses.

``configs/train/mask_v1.yaml`` reproduces the shipped weights; ``configs/train/mask_smoke.yaml``
trains a few steps in seconds (tests). Every field has a default, so ``MaskTrainConfig()`` is
valid. Keys are explained in :mod:`pano_inpaint.train.mask_data` (data) and
:mod:`pano_inpaint.train.mask_loop` (the rest).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pano_inpaint.dataclass_yaml import load_dataclass_yaml
from pano_inpaint.masks.auto.config import RigNetConfig
from pano_inpaint.masks.rigs import RIG_KINDS
from pano_inpaint.train.checks import check_at_least, check_run_numbers, check_weight

__all__ = [
    "MaskDataConfig",
    "MaskLossConfig",
    "MaskOptimConfig",
    "MaskTrainConfig",
    "MaskTrainConfigError",
    "load_mask_train_config",
    "mask_train_config_to_dict",
]


@dataclass(frozen=True)
class MaskDataConfig:
    """How training views are drawn (see :mod:`pano_inpaint.train.mask_data`)."""

    exclude: tuple[str, ...] = ()  # file-name globs never read
    panorama_share: float = 0.5  # ground from a panorama's nadir (rest: a photo on the ground)
    panorama_width: int = 1024  # panoramas are kept this wide
    tilt_share: float = 0.25  # panorama views turned 15-70 degrees away from the nadir
    kinds: dict[str, float] = field(default_factory=lambda: {
        "tripod": 3.0, "panohead": 1.5, "monopod": 1.5, "selfie": 1.5, "shadow": 1.5,
    })  # rig kinds of pano_inpaint.masks.rigs and their sampling weights
    pool: int = 400  # rig layers rendered before training starts
    refresh_every: int = 2  # one pool layer is re-rendered every this many steps (0 = never)
    negatives: float = 0.08  # views with no rig at all
    blur: float = 0.15  # motion blur on the rig
    ghost: float = 0.12  # a faint turned copy of the rig (stitching ghost)
    cut: float = 0.12  # the rig cut by a stitching seam
    distractors: float = 0.25  # dark lines on the ground that do not meet at the nadir
    jpeg: float = 0.3  # JPEG compression of the view
    validation: int = 64  # fixed views scored every `validate_every` steps


@dataclass(frozen=True)
class MaskLossConfig:
    pos_weight: float = 2.0  # binary cross-entropy weight of rig pixels (a missed leg costs more)
    dice: float = 0.5  # weight of the soft Dice loss (overlap, insensitive to the rig's size)


@dataclass(frozen=True)
class MaskOptimConfig:
    lr: float = 3e-3  # AdamW peak learning rate
    weight_decay: float = 1e-4
    warmup_steps: int = 50
    final_lr_fraction: float = 0.05
    grad_clip: float = 1.0


@dataclass(frozen=True)
class MaskTrainConfig:
    seed: int = 0  # seeds the rigs, the data stream and the weights
    threads: int = 2  # torch CPU threads
    device: str = "auto"  # auto = cuda when present, else cpu
    net: dict[str, Any] = field(default_factory=dict)  # RigNetConfig fields
    init: str | None = None  # start from these weights (a finished run's rignet.pt), not random
    steps: int = 900
    batch_size: int = 16
    crop: int = 192  # training crops of the 256-pixel nadir view (the net is convolutional)
    data: MaskDataConfig = field(default_factory=MaskDataConfig)
    loss: MaskLossConfig = field(default_factory=MaskLossConfig)
    optim: MaskOptimConfig = field(default_factory=MaskOptimConfig)
    log_every: int = 10
    validate_every: int = 100  # 0 = never
    checkpoint_every: int = 100

    def net_config(self) -> RigNetConfig:
        try:
            return RigNetConfig.from_dict(dict(self.net))
        except (TypeError, ValueError) as exc:
            raise MaskTrainConfigError(f"net: {exc}") from exc


class MaskTrainConfigError(ValueError):
    """A training config that does not fit the schema (the message names the key)."""


def _check(config: MaskTrainConfig) -> MaskTrainConfig:
    net = config.net_config()
    if config.steps < 0 or config.batch_size < 1:
        raise MaskTrainConfigError("steps must be >= 0 and batch_size >= 1")
    if config.crop < net.stride or config.crop % net.stride:
        raise MaskTrainConfigError(f"crop {config.crop} must be a multiple of the net's stride "
                                   f"{net.stride}")
    unknown = sorted(set(config.data.kinds) - set(RIG_KINDS))
    if unknown or not config.data.kinds or not all(w >= 0 for w in config.data.kinds.values()):
        raise MaskTrainConfigError(f"data.kinds must map rig kinds ({', '.join(RIG_KINDS)}) to "
                                   f"weights >= 0; got {dict(config.data.kinds)}")
    for name in ("panorama_share", "tilt_share", "negatives", "blur", "ghost", "cut",
                 "distractors", "jpeg"):
        if not 0 <= getattr(config.data, name) <= 1:
            raise MaskTrainConfigError(f"data.{name} must be in [0, 1]")
    if config.data.pool < 1:
        raise MaskTrainConfigError("data.pool must be >= 1")
    # 0 was an OpenCV assertion traceback; narrower than the smallest panorama read anywhere.
    check_at_least(config.data.panorama_width, 32, "data.panorama_width", MaskTrainConfigError)
    check_at_least(config.data.refresh_every, 0, "data.refresh_every", MaskTrainConfigError)
    check_at_least(config.data.validation, 0, "data.validation", MaskTrainConfigError)
    if not (config.loss.pos_weight > 0 and config.loss.pos_weight < float("inf")):
        raise MaskTrainConfigError(f"loss.pos_weight must be > 0, got {config.loss.pos_weight}")
    check_weight(config.loss.dice, "loss.dice", MaskTrainConfigError)
    check_run_numbers(config, MaskTrainConfigError)
    return config


def load_mask_train_config(path: str | Path | None = None) -> MaskTrainConfig:
    """Read a rig-detector training YAML file (``None``: the defaults).

    Raises:
        MaskTrainConfigError: invalid YAML, unknown keys, wrong types, impossible values.
        FileNotFoundError: ``path`` does not exist.

    Example:
        >>> load_mask_train_config().crop
        192
    """
    return _check(load_dataclass_yaml(MaskTrainConfig, path, MaskTrainConfigError))


def mask_train_config_to_dict(config: MaskTrainConfig) -> dict:
    """Plain data (lists, dicts) for logs and checkpoints."""
    return dataclasses.asdict(config)

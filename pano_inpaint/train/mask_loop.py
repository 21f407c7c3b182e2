"""``train_mask``: the training loop behind ``pano-inpaint train-mask`` (the rig detector).

A run folder holds everything: ``config.yaml``, ``log.csv`` (a row every ``log_every`` steps,
validation IoU / recall / precision every ``validate_every``), ``losses.png``, ``checkpoint.pt``
(model, optimiser, data-stream state) every ``checkpoint_every`` steps, and at the end
``rignet.pt`` (fp16 weights for the ``learned`` detector) and ``summary.json`` (command, seed,
commit, time, hardware, final scores).

The rig pool is not stored in the checkpoint (it is a few hundred MB); it is rebuilt on resume by
replaying its own random stream (the initial fill and every refresh so far), so a resumed run
sees exactly the views an uninterrupted one would.

Loss: binary cross-entropy with rig pixels weighted ``pos_weight`` (a missed leg costs more than
a few extra pixels), plus ``dice`` times the soft Dice loss of each view (1 - overlap, which does
not let a big plate drown a thin leg in the average).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from pano_inpaint._progress import ProgressBar
from pano_inpaint.io.atomic import atomic_write
from pano_inpaint.masks.auto.learned import load_rignet, save_rignet
from pano_inpaint.masks.auto.model import RigNet
from pano_inpaint.train import runs
from pano_inpaint.train.data import find_sources
from pano_inpaint.train.mask_config import MaskTrainConfig, mask_train_config_to_dict
from pano_inpaint.train.mask_data import MaskBatch, RigPool, ViewSampler
from pano_inpaint.weights_error import WeightsError

__all__ = ["MaskTrainResult", "train_mask"]

log = logging.getLogger(__name__)

WEIGHTS = "rignet.pt"
COLUMNS = ("step", "lr", "seconds", "sec_per_step", "cpu_per_step", "loss", "bce", "dice",
           "val_iou", "val_recall", "val_precision")
_VALIDATION_POOL = 32


@dataclass
class MaskTrainResult:
    run_dir: Path
    weights: Path
    sha256: str
    steps: int
    seconds: float
    summary: dict


def _tensors(batch: MaskBatch, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(batch.image).to(device), torch.from_numpy(batch.label).to(device)


def _losses(logits: torch.Tensor, label: torch.Tensor, config: MaskTrainConfig
            ) -> dict[str, torch.Tensor]:
    weight = torch.tensor(config.loss.pos_weight, device=logits.device)
    bce = F.binary_cross_entropy_with_logits(logits, label, pos_weight=weight)
    p = torch.sigmoid(logits)
    overlap = (p * label).sum(dim=(1, 2, 3))
    total = (p + label).sum(dim=(1, 2, 3))
    dice = (1 - (2 * overlap + 1) / (total + 1)).mean()
    return {"bce": bce, "dice": dice, "loss": bce + config.loss.dice * dice}


def _lr(step: int, config: MaskTrainConfig) -> float:
    optim = config.optim
    return optim.lr * runs.lr_factor(step, config.steps, optim.warmup_steps,
                                     optim.final_lr_fraction)


def _init_network(config: MaskTrainConfig) -> RigNet | None:
    """The network of ``config.init`` (None without one), loaded before the data is read: a
    missing or foreign file was a WeightsError traceback once the data was in.

    Raises:
        WeightsError: the file is missing, not a rig detector's weights, or of another
            network than ``config.net``.
    """
    if not config.init:
        return None
    start, _ = load_rignet(config.init)
    if start.config != config.net_config():
        raise WeightsError(f"{config.init} is a {start.config}, not the configured "
                           f"{config.net_config()}")
    return start


class _Trainer:
    def __init__(self, config: MaskTrainConfig, sampler: ViewSampler, run_dir: Path,
                 device: torch.device, start: RigNet | None = None) -> None:
        """``start``: the network of ``config.init`` (:func:`_init_network`), whose weights
        the run starts from."""
        self.config, self.sampler, self.run_dir, self.device = config, sampler, run_dir, device
        torch.manual_seed(config.seed)
        self.model = RigNet(config.net_config())
        if start is not None:  # fine-tuning a finished run: same network, its weights
            self.model.load_state_dict(start.state_dict())
        self.model = self.model.to(device)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=config.optim.lr,
                                           weight_decay=config.optim.weight_decay)
        self.rng = np.random.default_rng([config.seed, 1])  # views
        self.pool_rng = np.random.default_rng([config.seed, 3])  # the pool's renders
        self.step, self.seconds = 0, 0.0

    def save(self) -> None:
        state = {"step": self.step, "seconds": self.seconds, "model": self.model.state_dict(),
                 "optimizer": self.optimizer.state_dict(), "rng": self.rng.bit_generator.state,
                 "torch_rng": torch.get_rng_state(),
                 "config": mask_train_config_to_dict(self.config)}
        atomic_write(self.run_dir / runs.CHECKPOINT, lambda tmp: torch.save(state, tmp))

    def load(self, path: Path) -> None:
        state = runs.load_checkpoint(path, self.device)
        if state.get("config") != mask_train_config_to_dict(self.config):
            raise ValueError(f"{path} was written with another config; use a new run folder "
                             "or --restart")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        self.step, self.seconds = int(state["step"]), float(state["seconds"])

    def refreshes(self, step: int) -> int:
        every = self.config.data.refresh_every
        return step // every if every > 0 else 0

    def train_step(self) -> dict[str, float]:
        config = self.config
        if self.refreshes(self.step + 1) > self.refreshes(self.step):
            self.sampler.pool.refresh(self.pool_rng)
        image, label = _tensors(self.sampler.batch(self.rng, config.batch_size, config.crop),
                                self.device)
        for group in self.optimizer.param_groups:
            group["lr"] = _lr(self.step, config)
        self.model.train()
        terms = _losses(self.model(image), label, config)
        self.optimizer.zero_grad(set_to_none=True)
        terms["loss"].backward()
        if config.optim.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), config.optim.grad_clip)
        self.optimizer.step()
        return {k: float(v.detach()) for k, v in terms.items()}

    @torch.no_grad()
    def validate(self, views: list[tuple[torch.Tensor, torch.Tensor]]) -> dict[str, float]:
        self.model.eval()
        both = found = truth = 0.0
        for image, label in views:
            predicted = self.model(image) > 0
            positive = label > 0.5
            both += float((predicted & positive).sum())
            found += float(predicted.sum())
            truth += float(positive.sum())
        union = found + truth - both
        return {"val_iou": both / max(union, 1.0), "val_recall": both / max(truth, 1.0),
                "val_precision": both / max(found, 1.0)}


def _validation_views(sampler: ViewSampler, config: MaskTrainConfig, device: torch.device
                      ) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Fixed full-size views with rigs of their own pool (never the training pool's)."""
    rng = np.random.default_rng([config.seed, 2])
    pool = RigPool(config.data, sampler.view)
    pool.fill(min(_VALIDATION_POOL, config.data.validation), rng)
    training_pool, sampler.pool = sampler.pool, pool
    try:
        views = [_tensors(sampler.batch(rng, 1, sampler.view.size), device)
                 for _ in range(config.data.validation)]
    finally:
        sampler.pool = training_pool
    return views


def train_mask(
    config: MaskTrainConfig,
    data_dirs: list[str | Path],
    run_dir: str | Path,
    *,
    restart: bool = False,
    progress: bool = True,
    command: str | None = None,
    max_steps: int | None = None,
) -> MaskTrainResult:
    """Train the rig detector; resumable (see the module docstring).

    Args:
        config: the training config.
        data_dirs: folders of ground images (panoramas and photos).
        run_dir: the run folder (created; an existing checkpoint there is resumed).
        restart: ignore an existing checkpoint and start over.
        progress: show progress bars.
        command: the command line to record in the summary.
        max_steps: stop after this step (a checkpoint is written) without finishing.

    Raises:
        FileNotFoundError: a data folder is missing or holds no usable image.
        ValueError: the folder's checkpoint was written with another config.
    """
    run_dir = Path(run_dir)
    provenance = runs.git_commit()
    device = runs.prepare_run(run_dir, config.device, config.threads)
    start = _init_network(config)
    sampler = ViewSampler(find_sources(list(data_dirs), config.data.exclude), config.data)
    trainer = _Trainer(config, sampler, run_dir, device, start)
    log_path = run_dir / "log.csv"
    if runs.resume_run(trainer, COLUMNS, restart):
        log.info("resumed %s at step %d", run_dir, trainer.step)
    runs.write_run_config(run_dir, mask_train_config_to_dict(config))
    started = time.perf_counter()
    with ProgressBar(config.data.pool, unit="rigs", enabled=progress) as bar:
        bar.describe("rendering rigs")
        sampler.pool.fill(config.data.pool, trainer.pool_rng, lambda done: bar.advance())
    for _ in range(trainer.refreshes(trainer.step)):  # replay the refreshes of a resumed run
        sampler.pool.refresh(trainer.pool_rng)
    pool_seconds = time.perf_counter() - started
    validation = _validation_views(sampler, config, device) if config.validate_every else []
    stop = config.steps if max_steps is None else min(config.steps, max_steps)
    schedule = runs.Schedule(config.steps, config.log_every, config.validate_every,
                             config.checkpoint_every)
    runs.run_steps(trainer, lambda: (trainer.train_step(), {}), schedule, stop, log_path,
                   COLUMNS, lambda step: _lr(step, config), validation, progress)

    summary = runs.run_summary(
        trainer, total=config.steps, seed=config.seed, command=command, data_dirs=data_dirs,
        sources={"panoramas": len(sampler.panoramas), "photos": len(sampler.photos)},
        device=device, provenance=provenance, pool_seconds=pool_seconds)
    weights = run_dir / WEIGHTS
    sha = runs.finish_run(trainer, summary, validation, weights, save_rignet)
    return MaskTrainResult(run_dir, weights, sha, trainer.step, trainer.seconds, summary)

"""``train``: the training loop behind ``pano-inpaint train``.

A run folder holds everything: ``config.yaml`` (the effective config), ``log.csv`` (one row every
``log_every`` steps, validation columns every ``validate_every``), ``losses.png``,
``checkpoint.pt`` (model, optimisers, data-stream state; written every ``checkpoint_every`` steps,
atomically), and at the end ``net.pt`` (fp16 weights for the ``net`` generator) and
``summary.json`` (command, seed, commit, wall time, hardware, final scores).

Resuming: running the same command again on the same folder continues from the checkpoint, with
the data stream, the learning-rate schedule and the CSV exactly where they were, so an
interrupted run and an uninterrupted one see the same batches. On a CPU with the same thread
count the arithmetic is deterministic too; across machines or thread counts, results agree to
float rounding, which is why the model card quotes how close two runs of the command come rather
than promising identical bytes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from pano_inpaint.generators.net.layers import FacePad
from pano_inpaint.generators.net.model import CubeInpaintNet, composite
from pano_inpaint.generators.net.weights import save_weights
from pano_inpaint.io.atomic import atomic_write
from pano_inpaint.train import losses as L
from pano_inpaint.train import runs
from pano_inpaint.train.config import TrainConfig, train_config_to_dict
from pano_inpaint.train.data import CubeBatch, CubeSampler, find_sources

__all__ = ["TrainResult", "train"]

log = logging.getLogger(__name__)

WEIGHTS = "net.pt"
TERMS = ("l1_hole", "l1_known", "gradient", "frequency", "seam", "adv_g", "adv_d",
         "feature_matching")
COLUMNS = ("step", "stage", "face_size", "cubes", "lr", "seconds", "sec_per_step", "cpu_per_step",
           "loss",
           *TERMS,
           "val_l1_hole", "val_psnr_hole", "val_prior_psnr_hole")


@dataclass
class TrainResult:
    run_dir: Path
    weights: Path
    sha256: str
    steps: int
    seconds: float
    summary: dict


def _lr_factor(step: int, config: TrainConfig) -> float:
    optim = config.optim
    return runs.lr_factor(step, config.total_steps, optim.warmup_steps, optim.final_lr_fraction)


def _tensors(batch: CubeBatch, device: torch.device | None = None
             ) -> tuple[torch.Tensor, torch.Tensor]:
    image = torch.from_numpy(batch.image).permute(0, 3, 1, 2).contiguous()  # (N, 3, S, S)
    mask = torch.from_numpy(batch.mask[:, None].astype(np.float32))  # (N, 1, S, S)
    if device is None:
        return image, mask
    return image.to(device), mask.to(device)


class CubeStream(torch.utils.data.Dataset):
    """The training batches, item ``k`` being step ``k``'s: drawn from a generator seeded with
    ``(seed, 1, k)``, so the stream is the same whether batches come from worker processes (in
    any order) or from the loop itself, and a resumed run needs no data-stream state."""

    def __init__(self, sampler: CubeSampler, config: TrainConfig) -> None:
        self.sampler, self.config = sampler, config

    def __len__(self) -> int:
        return self.config.total_steps

    def __getitem__(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        _, face_size, batch_size = self.config.stage_at(step)
        rng = np.random.default_rng([self.config.seed, 1, step])
        return _tensors(self.sampler.batch(rng, face_size, batch_size))


def batches(sampler: CubeSampler, config: TrainConfig, start: int, stop: int,
            device: torch.device) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Steps ``start .. stop - 1``'s batches on ``device``; with ``config.workers`` processes
    drawing them ahead of the step (pinned memory, copies that overlap the step on CUDA)."""
    stream = CubeStream(sampler, config)
    if config.workers == 0:
        for step in range(start, stop):
            image, mask = stream[step]
            yield image.to(device), mask.to(device)
        return
    loader = torch.utils.data.DataLoader(
        stream, batch_size=None, sampler=range(start, stop), num_workers=config.workers,
        pin_memory=device.type == "cuda", prefetch_factor=4, persistent_workers=False)
    for image, mask in loader:
        yield (image.to(device, non_blocking=True), mask.to(device, non_blocking=True))


class _Trainer:
    def __init__(self, config: TrainConfig, run_dir: Path, device: torch.device) -> None:
        self.config, self.run_dir, self.device = config, run_dir, device
        torch.manual_seed(config.seed)
        self.model = CubeInpaintNet(config.net_config()).to(device)
        self.memory_format = (torch.channels_last if config.channels_last
                              else torch.contiguous_format)
        self.model.to(memory_format=self.memory_format)
        self.bf16 = config.precision == "bf16" or (config.precision == "auto"
                                                   and device.type == "cuda")
        # the module that steps: compiled when asked (same parameters as self.model)
        self.net = torch.compile(self.model) if config.compile else self.model
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=config.optim.lr,
                                           weight_decay=config.optim.weight_decay,
                                           betas=(0.9, 0.99))
        self.seam_pad = FacePad(1, "cube")  # the loss measures true seams in either pad mode
        self.discriminator = self.d_optimizer = None
        if config.loss.adversarial > 0:
            self.discriminator = L.PatchDiscriminator(
                config.loss.discriminator_channels, config.net_config().pad_mode).to(device)
            self.d_optimizer = torch.optim.AdamW(self.discriminator.parameters(),
                                                 lr=config.optim.discriminator_lr,
                                                 betas=(0.5, 0.99))
        self.step = 0
        self.seconds = 0.0

    # ---------------------------------------------------------------- checkpoints
    def save(self) -> None:
        state = {
            "step": self.step, "seconds": self.seconds,
            "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "config": train_config_to_dict(self.config),
        }
        if self.discriminator is not None:
            state["discriminator"] = self.discriminator.state_dict()
            state["d_optimizer"] = self.d_optimizer.state_dict()
        atomic_write(self.run_dir / runs.CHECKPOINT, lambda tmp: torch.save(state, tmp))

    def load(self, path: Path) -> None:
        state = runs.load_checkpoint(path, self.device)
        saved = state.get("config")
        if saved is not None and saved != train_config_to_dict(self.config):
            raise ValueError(f"{path} was written with another config; use a new run folder "
                             "or --restart")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.discriminator is not None:
            self.discriminator.load_state_dict(state["discriminator"])
            self.d_optimizer.load_state_dict(state["d_optimizer"])
        torch.set_rng_state(state["torch_rng"])
        self.step, self.seconds = int(state["step"]), float(state["seconds"])

    # ---------------------------------------------------------------- one step
    def losses(self, image: torch.Tensor, mask: torch.Tensor
               ) -> tuple[torch.Tensor, dict[str, torch.Tensor], torch.Tensor]:
        weights = self.config.loss
        output = self.net(image, mask).float()
        filled = composite(output, image, mask)
        l1_hole, l1_known = L.masked_l1(output, image, mask)
        terms = {"l1_hole": l1_hole, "l1_known": l1_known}
        if weights.gradient:
            terms["gradient"] = L.gradient_loss(filled, image, mask, weights.gradient_scales)
        if weights.frequency:
            terms["frequency"] = L.frequency_loss(filled, image, mask)
        if weights.seam:
            terms["seam"] = L.seam_loss(filled, image, mask, self.seam_pad)
        total = sum(getattr(weights, name) * value for name, value in terms.items())
        return total, terms, filled

    def autocast(self) -> AbstractContextManager:
        """bf16 autocast when the config asks for it (convolutions and FFT-side 1x1 convs in
        bf16; the output's last sigmoid and every loss in fp32), else nothing."""
        if not self.bf16:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    def train_step(self, image: torch.Tensor, mask: torch.Tensor) -> dict[str, float]:
        """One optimiser step on a batch: ``image`` ``(N, 3, S, S)``, ``mask`` ``(N, 1, S, S)``
        on the trainer's device."""
        config = self.config
        image = image.contiguous(memory_format=self.memory_format)
        mask = mask.contiguous(memory_format=self.memory_format)
        for group in self.optimizer.param_groups:
            group["lr"] = config.optim.lr * _lr_factor(self.step, config)
        self.model.train()
        with self.autocast():
            total, terms, filled = self.losses(image, mask)
            d_loss = None
            adversarial = (self.discriminator is not None
                           and self.step >= config.loss.adversarial_start)
            if adversarial:
                d_loss, g_loss = L.hinge_losses(self.discriminator, filled, image, mask)
                total = total + config.loss.adversarial * g_loss.float()
                terms["adv_g"] = g_loss
                if config.loss.feature_matching:
                    matching = L.feature_matching_loss(self.discriminator, filled, image, mask)
                    total = total + config.loss.feature_matching * matching.float()
                    terms["feature_matching"] = matching
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        if config.optim.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), config.optim.grad_clip)
        self.optimizer.step()
        if adversarial:
            self.d_optimizer.zero_grad(set_to_none=True)
            d_loss.backward()
            self.d_optimizer.step()
            terms["adv_d"] = d_loss
        terms["loss"] = total
        numbers = torch.stack([v.detach().float() for v in terms.values()]).tolist()  # one sync
        return dict(zip(terms, numbers, strict=True))

    @torch.no_grad()
    def validate(self, cubes: list[tuple[torch.Tensor, torch.Tensor]]) -> dict[str, float]:
        self.model.eval()
        l1, err_net, err_prior, count = 0.0, 0.0, 0.0, 0.0
        for image, mask in cubes:
            output = self.model(image, mask)
            prior = self.model.prior(image * (1 - mask), 1 - mask)
            hole = mask.expand_as(image) > 0.5
            l1 += float((output - image).abs()[hole].sum())
            err_net += float(((output - image) ** 2)[hole].sum())
            err_prior += float(((prior - image) ** 2)[hole].sum())
            count += float(hole.sum())
        count = max(count, 1.0)
        return {
            "val_l1_hole": l1 / count,
            "val_psnr_hole": -10 * math.log10(max(err_net / count, 1e-10)),
            "val_prior_psnr_hole": -10 * math.log10(max(err_prior / count, 1e-10)),
        }


def _validation_cubes(sampler: CubeSampler, config: TrainConfig, device: torch.device
                      ) -> list[tuple[torch.Tensor, torch.Tensor]]:
    rng = np.random.default_rng([config.seed, 2])
    size = max(stage.face_size for stage in config.stages)
    return [_tensors(sampler.batch(rng, size, 1), device)
            for _ in range(config.data.validation_cubes)]


def _run_steps(trainer: _Trainer, sampler: CubeSampler, stop: int, log_path: Path,
               validation: list[tuple[torch.Tensor, torch.Tensor]], progress: bool) -> None:
    """Train up to global step ``stop`` (see :func:`pano_inpaint.train.runs.run_steps`)."""
    config = trainer.config

    stream = batches(sampler, config, trainer.step, stop, trainer.device)

    def one_step() -> tuple[dict[str, float], dict]:
        stage, face_size, _ = config.stage_at(trainer.step)
        values = trainer.train_step(*next(stream))
        return values, {"stage": stage, "face_size": face_size,
                        "cubes": config.cubes_seen(trainer.step + 1)}

    schedule = runs.Schedule(config.total_steps, config.log_every, config.validate_every,
                             config.checkpoint_every)
    runs.run_steps(trainer, one_step, schedule, stop, log_path, COLUMNS,
                   lambda step: config.optim.lr * _lr_factor(step, config), validation, progress)


def train(
    config: TrainConfig,
    data_dirs: list[str | Path],
    run_dir: str | Path,
    *,
    restart: bool = False,
    progress: bool = True,
    command: str | None = None,
    max_steps: int | None = None,
) -> TrainResult:
    """Train the cube network; resumable (see the module docstring).

    Args:
        config: the training config.
        data_dirs: folders of training images (panoramas and photos).
        run_dir: the run folder (created; an existing checkpoint there is resumed).
        restart: ignore an existing checkpoint and start over.
        progress: show a progress bar.
        command: the command line to record in the summary.
        max_steps: stop after this global step (a checkpoint is written) without finishing;
            for interrupting a run on purpose (tests of resuming).

    Returns:
        :class:`TrainResult` (``weights`` is only final when the run completed).

    Raises:
        FileNotFoundError: a data folder is missing or holds no usable image.
        ValueError: the folder's checkpoint was written with another config.
    """
    run_dir = Path(run_dir)
    provenance = runs.git_commit()  # the code this run starts from
    device = runs.prepare_run(run_dir, config.device, config.threads)
    sampler = CubeSampler(find_sources(list(data_dirs), config.data.exclude), config.data)
    trainer = _Trainer(config, run_dir, device)
    log_path = run_dir / "log.csv"
    if runs.resume_run(trainer, COLUMNS, restart):
        log.info("resumed %s at step %d", run_dir, trainer.step)
    runs.write_run_config(run_dir, train_config_to_dict(config))
    validation = _validation_cubes(sampler, config, device) if config.validate_every else []
    stop = config.total_steps if max_steps is None else min(config.total_steps, max_steps)
    _run_steps(trainer, sampler, stop, log_path, validation, progress)

    summary = runs.run_summary(
        trainer, total=config.total_steps, seed=config.seed, command=command,
        data_dirs=data_dirs, sources={"panoramas": [s.path.name for s in sampler.panoramas],
                                      "photos": len(sampler.photos)},
        device=device, provenance=provenance)
    weights = run_dir / WEIGHTS
    sha = runs.finish_run(trainer, summary, validation, weights, save_weights)
    return TrainResult(run_dir, weights, sha, trainer.step, trainer.seconds, summary)

"""Training throughput of the ``net`` trainer: cubes per second for drawing cubes alone, the
optimiser step alone, and the whole loop (cubes drawn by worker processes while the step runs).

Peers in the same process, on the same data and network: the first sampler (``render="remap"``:
a reduced copy of the scene, then ``erp_to_cube`` with its per-rotation maps) against the gather
sampler (one vectorised bilinear gather per cube from an area pyramid), and the first loop (cubes
drawn in the loop, remap) against the new one (``workers`` processes drawing ahead). The bar of
issue 13: the loop within 20% of the step alone. CPU, and CUDA when present (fp32 and bf16).

    python benchmarks/bench_train.py [--config configs/train/net_cpu_32.yaml] [--steps 6]
        [--workers 2] [--data DIR ...] [--quick]

Without ../shared it draws from synthetic panoramas and photos (the rates stay comparable).
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from pano_inpaint.train.config import load_train_config
from pano_inpaint.train.data import CubeSampler, Source, find_sources
from pano_inpaint.train.loop import _tensors, _Trainer, batches

ROOT = Path(__file__).resolve().parents[1]
DATA = [ROOT.parent / "shared" / "panoramas_hires", ROOT.parent / "shared" / "training_photos"]


def _sources(dirs: list[Path], exclude: tuple[str, ...]) -> list[Source]:
    """The training images of ``dirs``, or (no ../shared) two textured synthetic panoramas and
    four photos, so the benchmark runs anywhere."""
    if all(d.is_dir() for d in dirs):
        return find_sources(dirs, exclude)
    rng = np.random.default_rng(0)

    def texture(height: int, width: int) -> np.ndarray:
        small = rng.integers(0, 256, (height // 8, width // 8, 3), dtype=np.uint8)
        return cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)

    return ([Source(Path(f"pano{k}"), texture(1024, 2048), True) for k in range(2)]
            + [Source(Path(f"photo{k}"), texture(768, 1024), False) for k in range(4)])


def _sampler_rate(sampler: CubeSampler, face: int, batch: int, repeat: int) -> float:
    rng = np.random.default_rng(0)
    sampler.batch(rng, face, batch)  # warm-up: pyramids, reduced copies, direction tables
    start = time.perf_counter()
    for _ in range(repeat):
        sampler.batch(rng, face, batch)
    return repeat * batch / (time.perf_counter() - start)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _step_rate(trainer: _Trainer, image: torch.Tensor, mask: torch.Tensor, repeat: int) -> float:
    trainer.train_step(image, mask)  # warm-up (and compilation)
    _sync(trainer.device)
    start = time.perf_counter()
    for _ in range(repeat):
        trainer.train_step(image, mask)
    _sync(trainer.device)
    return repeat * image.shape[0] / 6 / (time.perf_counter() - start)


def _loop_rate(trainer: _Trainer, sampler: CubeSampler, repeat: int, old: bool) -> float:
    config, device = trainer.config, trainer.device
    _, face, batch = config.stage_at(0)
    if old:  # the first loop: draw a batch, then step, one after the other
        rng = np.random.default_rng(1)

        def stream():
            while True:
                image, mask = _tensors(sampler.batch(rng, face, batch))
                yield image.to(device), mask.to(device)
        source = stream()
    else:
        source = batches(sampler, config, 0, repeat + 1, device)
    trainer.train_step(*next(source))  # warm-up; workers start and fill their queues
    _sync(device)
    start = time.perf_counter()
    for _ in range(repeat):
        trainer.train_step(*next(source))
    _sync(device)
    return repeat * batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(ROOT / "configs/train/net_cpu_32.yaml"))
    parser.add_argument("--data", action="append", type=Path)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="two steps per measurement")
    args = parser.parse_args()
    if args.quick:
        args.steps = 2
    base = load_train_config(args.config)
    torch.set_num_threads(base.threads)  # as the trainer does
    torch.set_flush_denormal(True)
    sources = _sources(args.data or DATA, base.data.exclude)
    _, face, batch = base.stage_at(0)
    print(f"config {Path(args.config).name}: faces {face} px, {batch} cubes per step, "
          f"{len(sources)} sources, {torch.get_num_threads()} torch threads, "
          f"{args.workers} workers")
    remap = CubeSampler(sources, base.data, render="remap")
    gather = CubeSampler(sources, base.data)
    print(f"sampler alone, one process: remap {_sampler_rate(remap, face, batch, args.steps):.3g}"
          f" cubes/s, gather {_sampler_rate(gather, face, batch, args.steps):.3g} cubes/s")
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    print("\n| device | precision | step alone | old loop (remap, in the loop) | new loop "
          "(gather, workers) | new loop / step |")
    print("|---|---|---|---|---|---|")
    for device in devices:
        for precision in (["fp32"] if device.type == "cpu" else ["fp32", "bf16"]):
            config = dataclasses.replace(base, precision=precision, workers=args.workers,
                                         channels_last=device.type == "cuda")
            with tempfile.TemporaryDirectory() as tmp:
                trainer = _Trainer(config, Path(tmp), device)
                image, mask = _tensors(gather.batch(np.random.default_rng(2), face, batch),
                                       device)
                step = _step_rate(trainer, image, mask, args.steps)
                old = _loop_rate(trainer, remap, args.steps, old=True)
                new = _loop_rate(trainer, gather, args.steps, old=False)
            print(f"| {device.type} | {precision} | {step:.3g} | {old:.3g} | {new:.3g} | "
                  f"{new / step:.2f} |")


if __name__ == "__main__":
    main()

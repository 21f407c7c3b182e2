"""Train ``net`` within a wall-clock budget, export, evaluate, and collect everything in one
folder: the prepared script for a session with a GPU (issue 13), whose CPU path is tested with a
tiny budget.

    python scripts/make_net_pack.py                      # once, here: packs/net (<= 40 MB)
    python scripts/train_net_budget.py --pack packs/net --out "$OUT" --minutes 9

1. A probe run of ``--probe-steps`` steps measures seconds per step (data workers, bf16 and
   compilation included) on this machine.
2. The config's stages are scaled so the run fits ``--minutes`` (their proportions kept; the
   learning-rate schedule follows the new length), written as ``config.yaml`` in the run.
3. The run trains (resumable: run the same command again after an interruption) and exports the
   weights with ``save_weights`` (``net.pt``, sha256 in ``summary.json``).
4. ``eval-net`` on the pack's evaluation panoramas (``eval/``): the shipped ``net``, the new
   weights as ``net-candidate``, ``telea`` and ``patchmatch``, 30-40 degree nadir caps and
   tripods; then the learning-curve plot (validation gain over the smooth prior vs cubes seen).

Everything lands in ``--out``: weights, log.csv, losses.png, learning_curve.png, summary.json,
results.md, run.txt (what ran, timings).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pano_inpaint.train.config import load_train_config  # noqa: E402
from pano_inpaint.train.loop import train  # noqa: E402
from pano_inpaint.train.plot import learning_curve, plot_learning_curves  # noqa: E402


def _seconds_per_step(log_csv: Path) -> float:
    """Mean seconds per step of the probe's rows after its first (warm-up, compilation)."""
    with open(log_csv, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    timed = rows[1:] or rows
    return sum(float(r["sec_per_step"]) for r in timed) / len(timed)


def _fit(config, seconds: float, per_step: float):
    """The config with its stages scaled to ``seconds`` of training at ``per_step``."""
    steps = max(len(config.stages), int(seconds / per_step))
    scale = steps / config.total_steps
    stages = tuple(dataclasses.replace(s, steps=max(1, int(s.steps * scale)))
                   for s in config.stages)
    every = max(1, sum(s.steps for s in stages) // 8)
    optim = dataclasses.replace(config.optim,
                                warmup_steps=min(config.optim.warmup_steps, steps // 10 + 1))
    loss = dataclasses.replace(config.loss, adversarial_start=int(
        config.loss.adversarial_start * scale))
    return dataclasses.replace(config, stages=stages, optim=optim, loss=loss,
                               validate_every=every, checkpoint_every=every,
                               log_every=max(1, min(config.log_every, every)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pack", type=Path, default=ROOT / "packs" / "net")
    parser.add_argument("--config", type=Path, default=ROOT / "configs/train/net_v2_gpu.yaml")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--runs", type=Path, default=ROOT / "runs")
    parser.add_argument("--minutes", type=float, default=9.0)
    parser.add_argument("--probe-steps", type=int, default=30)
    parser.add_argument("--eval-images", type=int, default=None)
    parser.add_argument("--eval-generators", default="net,telea,patchmatch")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    notes: list[str] = []
    config = load_train_config(args.config)
    data = [args.pack]
    args.out.mkdir(parents=True, exist_ok=True)

    probe_dir = args.runs / "budget_probe"
    probe = dataclasses.replace(config, validate_every=0, log_every=max(1, args.probe_steps // 3),
                                checkpoint_every=10**9)
    train(probe, data, probe_dir, restart=True, progress=False, max_steps=args.probe_steps)
    per_step = _seconds_per_step(probe_dir / "log.csv")
    left = args.minutes * 60 - (time.perf_counter() - started)
    fitted = _fit(config, max(left, 0.0), per_step)
    notes.append(f"probe: {per_step:.3f} s/step; fitted stages "
                 f"{[dataclasses.asdict(s) for s in fitted.stages]}")
    run_dir = args.runs / "budget_run"
    result = train(fitted, data, run_dir, progress=False,
                   command=" ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]))
    notes.append(f"trained {result.steps} steps in {result.seconds:.0f} s; "
                 f"sha256 {result.sha256}")

    curve = {run_dir.name: run_dir / "log.csv"}
    plot_learning_curves(curve, run_dir / "learning_curve.png")
    notes.append("learning curve (cubes, val - prior dB): " + ", ".join(
        f"{c}: {g:+.3f}" for c, g in learning_curve(run_dir / "log.csv")))
    for name in ("net.pt", "log.csv", "losses.png", "learning_curve.png", "summary.json",
                 "config.yaml"):
        if (run_dir / name).exists():
            shutil.copy2(run_dir / name, args.out / name)

    eval_dir = args.pack / "eval"
    if eval_dir.is_dir() and result.summary["finished"]:
        from pano_inpaint.train.evaluate import evaluate_net

        evaluate_net([eval_dir], args.out / "eval", generators=args.eval_generators.split(","),
                     masks=["nadir-30-40", "tripod"], peers="none",
                     candidate=str(run_dir / "net.pt"), images=args.eval_images, html=False)
        if (args.out / "eval" / "results.md").exists():
            shutil.copy2(args.out / "eval" / "results.md", args.out / "results.md")
    notes.append(f"total {time.perf_counter() - started:.0f} s")
    (args.out / "run.txt").write_text("\n".join(notes) + "\n", encoding="utf-8")
    print("\n".join(notes))
    print(json.dumps(result.summary.get("validation", {})))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What every training run of the project shares: its provenance (commit, hardware), the learning
rate schedule, the CSV log that survives a resume, the run folder, its checkpoint and its end
(validation, weights, ``summary.json``).

Used by the ``net`` trainer (:mod:`pano_inpaint.train.loop`) and the rig-mask trainer
(:mod:`pano_inpaint.train.mask_loop`).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import json
import math
import os
import pickle
import platform
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import torch
import yaml

from pano_inpaint.generators.net.model import resolve_device
from pano_inpaint.io.atomic import atomic_write_text, check_folder, make_folder

__all__ = [
    "CHECKPOINT",
    "LogWindow",
    "Run",
    "Schedule",
    "Steps",
    "append_log_row",
    "finish_run",
    "git_commit",
    "hardware",
    "load_checkpoint",
    "lr_factor",
    "prepare_run",
    "read_log",
    "resume_run",
    "run_steps",
    "run_summary",
    "truncate_log",
    "write_log",
    "write_run_config",
]

CHECKPOINT = "checkpoint.pt"  # in the run folder; the log is log.csv beside it


def git_commit() -> dict:
    """``{"commit": HEAD, "dirty": bool}`` of the source checkout (None outside one)."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": head, "dirty": bool(dirty.strip())}


def hardware(device: torch.device) -> dict:
    """Where a run ran: platform, CPU count, torch threads and version, device (and GPU)."""
    info = {"platform": platform.platform(), "processor": platform.processor() or None,
            "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__, "device": str(device)}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def load_checkpoint(path: Path, device: torch.device) -> dict:
    """A run's checkpoint, loaded as data only (tensors, numbers, strings, containers).

    Raises:
        ValueError: it holds anything else (unpickling it could run code).
    """
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ValueError(f"{path} holds more than tensors and numbers, so it is not loaded "
                         "(it could run code); start over with --restart or a new run "
                         f"folder ({str(exc).splitlines()[0]})") from exc


def lr_factor(step: int, total: int, warmup: int, final_fraction: float) -> float:
    """Linear warm-up over ``warmup`` steps, then cosine decay to ``final_fraction`` at ``total``.

    Example:
        >>> [round(lr_factor(s, 100, 10, 0.1), 2) for s in (0, 9, 10, 100)]
        [0.1, 1.0, 1.0, 0.1]
    """
    total = max(total, 1)
    if step < warmup:
        return (step + 1) / warmup
    t = (step - warmup) / max(total - warmup, 1)
    return final_fraction + (1 - final_fraction) * 0.5 * (1 + math.cos(math.pi * min(t, 1.0)))


def read_log(path: Path) -> list[dict]:
    """The rows of a run's ``log.csv`` (none when there is no log). A last line without its
    newline is a row cut short by a stop mid-append (:func:`append_log_row` writes whole lines)
    and is dropped, as is a row missing fields or with no step number."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text = text[:text.rfind("\n") + 1]  # '3,0.4,0.12' of '3,0.4,0.123' read as whole
    return [row for row in csv.DictReader(io.StringIO(text, newline=""))
            if None not in row.values() and str(row.get("step", "")).isdigit()]


def _csv_text(rows: Sequence[dict], columns: Sequence[str], header: bool) -> str:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(columns))
    if header:
        writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()


def write_log(path: Path, rows: Sequence[dict], columns: Sequence[str]) -> None:
    """Write ``log.csv`` whole, its header and ``rows`` (a stop mid-write leaves the previous
    log)."""
    atomic_write_text(path, _csv_text(rows, columns, header=True))


def append_log_row(path: Path, row: dict, columns: Sequence[str]) -> None:
    """Add ``row`` to ``log.csv`` (made with its header when missing): one ``write`` of the
    whole line to the end of the file, so a log of n rows costs n lines written, not n² / 2 as
    when it was rewritten (and flushed to disk) with each row; a stop mid-write can leave at
    most that line cut short, without its newline, which :func:`read_log` drops on resume. The
    rows are flushed to disk before each checkpoint (:func:`run_steps`), not one by one."""
    if not path.exists() or path.stat().st_size == 0:
        write_log(path, [row], columns)
        return
    line = _csv_text([row], columns, header=False).encode("utf-8")
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        if os.write(descriptor, line) != len(line):
            raise OSError(f"{path}: the log row was written in part (disk full?)")
    finally:
        os.close(descriptor)


def _sync(path: Path) -> None:
    """``path``'s appended rows flushed to disk (before the checkpoint that follows them is
    written, itself flushed: after a power cut the log still holds every row up to it)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def truncate_log(path: Path, step: int, columns: Sequence[str]) -> None:
    """Drop CSV rows written after the checkpoint being resumed (they will be redone), and a
    last row cut short; the log is written whole again."""
    if path.exists():
        write_log(path, [r for r in read_log(path) if int(r["step"]) <= step], columns)


def write_run_config(run_dir: Path, config: dict) -> None:
    """Create the run folder and write the effective config there as ``config.yaml`` (whole)."""
    make_folder(run_dir)  # NotADirectoryError naming a file in the way
    atomic_write_text(run_dir / "config.yaml",
                      yaml.safe_dump(json.loads(json.dumps(config)), sort_keys=False))


def prepare_run(run_dir: Path, device: str, threads: int) -> torch.device:
    """Check that nothing is in the way of the run folder (it is made by
    :func:`write_run_config` once the data and its checkpoint are found good, so a failed start
    leaves no folder, nor a config.yaml not matching the folder's checkpoint), set torch up
    (``threads``, deterministic on the CPU); returns the device ``device`` names."""
    check_folder(run_dir)  # NotADirectoryError naming a file in the way, before the data is read
    resolved = resolve_device(device)
    torch.set_num_threads(max(1, threads))
    torch.set_flush_denormal(True)  # tiny weights and gradients otherwise slow CPUs down badly
    if resolved.type == "cpu":
        torch.use_deterministic_algorithms(True)
    return resolved


class LogWindow:
    """Loss sums and timings since the last log row."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.count = 0
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def add(self, values: dict[str, float]) -> None:
        for key, value in values.items():
            self.sums[key] = self.sums.get(key, 0.0) + value
        self.count += 1

    def row(self, step: int, seconds: float, lr: float, **extra) -> dict:
        """One CSV row: the step, timings per step, the mean of every summed value."""
        n = max(self.count, 1)
        row: dict = {"step": step, **extra, "lr": f"{lr:.3g}", "seconds": round(seconds, 1),
                     "sec_per_step": round((time.perf_counter() - self.wall) / n, 3),
                     "cpu_per_step": round((time.process_time() - self.cpu) / n, 3)}
        row.update({k: f"{v / n:.5g}" for k, v in self.sums.items()})
        return row


@dataclass(frozen=True)
class Schedule:
    """When a run logs, validates and saves (every so many steps, and at its last step)."""

    total: int  # the run's steps
    log_every: int
    validate_every: int  # 0 = never
    checkpoint_every: int


class Steps(Protocol):
    """A trainer as :func:`run_steps` drives it."""

    step: int
    seconds: float

    def save(self) -> None: ...

    def validate(self, views: list) -> dict[str, float]: ...


class Run(Steps, Protocol):
    """A trainer as :func:`resume_run` and :func:`finish_run` use it."""

    run_dir: Path
    model: torch.nn.Module

    def load(self, path: Path) -> None: ...


def resume_run(trainer: Run, columns: Sequence[str], restart: bool) -> bool:
    """Continue from the run folder's checkpoint (unless ``restart``), its ``log.csv`` cut to
    match; otherwise start a fresh log. Returns whether the run was resumed."""
    checkpoint, log_path = trainer.run_dir / CHECKPOINT, trainer.run_dir / "log.csv"
    if checkpoint.exists() and not restart:
        trainer.load(checkpoint)
        truncate_log(log_path, trainer.step, columns)
        return True
    if log_path.exists():
        log_path.unlink()
    return False


def finish_run(trainer: Run, summary: dict, validation: list, weights: Path,
               save: Callable[[Path, torch.nn.Module, dict], str]) -> str:
    """End a run: the validation scores into ``summary``; when it is ``finished``, the weights
    written by ``save(weights, model, meta)``; ``summary.json`` in the run folder. Returns the
    weights' sha256 ("" when the run stopped before its end)."""
    if validation:
        summary["validation"] = trainer.validate(validation)
    sha = ""
    if summary["finished"]:
        meta = {k: summary[k] for k in ("command", "steps", "train_seconds", "seed", "commit",
                                        "date")}
        sha = save(weights, trainer.model.cpu(), meta)
        summary["weights_sha256"] = sha
    atomic_write_text(trainer.run_dir / "summary.json", json.dumps(summary, indent=2))
    return sha


def run_summary(trainer: Run, *, total: int, seed: int, command: str | None,
                data_dirs: Sequence[str | Path], sources: dict, device: torch.device,
                provenance: dict, **timings: float) -> dict:
    """What a run's ``summary.json`` says before its validation and weights: the command, whether
    it reached step ``total``, its training seconds (and the other ``timings``, in seconds),
    data, network, hardware and ``provenance`` (:func:`git_commit` when it started)."""
    return {
        "command": command,
        "finished": trainer.step >= total,
        "steps": trainer.step,
        "train_seconds": round(trainer.seconds, 1),
        **{name: round(value, 1) for name, value in timings.items()},
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "data": [str(d) for d in data_dirs],
        "sources": sources,
        "parameters": sum(p.numel() for p in trainer.model.parameters()),
        "net": dataclasses.asdict(trainer.model.config),
        "hardware": hardware(device),
        **provenance,
    }


def run_steps(trainer: Steps, one_step: Callable[[], tuple[dict[str, float], dict]],
              schedule: Schedule, stop: int, log_path: Path, columns: Sequence[str],
              lr_at: Callable[[int], float], validation: list, progress: bool) -> None:
    """Train up to global step ``stop``: ``one_step()`` does a step and returns its loss values
    and extra log fields; a CSV row every ``log_every`` steps (validation every
    ``validate_every``), a checkpoint and the loss plot every ``checkpoint_every``, both at the
    last step. ``lr_at(step)`` is the learning rate the step ran with."""
    from pano_inpaint._progress import ProgressBar
    from pano_inpaint.train.plot import plot_losses

    with ProgressBar(schedule.total, unit="steps", initial=trainer.step,
                     enabled=progress) as bar:
        window = LogWindow()
        while trainer.step < stop:
            started = time.perf_counter()
            values, extra = one_step()
            trainer.step += 1
            trainer.seconds += time.perf_counter() - started
            window.add(values)
            bar.advance()
            bar.describe(f"loss {values['loss']:.4f}" + "".join(f"  {k}={v}"
                                                                for k, v in extra.items()))
            step, is_last = trainer.step, trainer.step == stop
            if step % schedule.log_every == 0 or is_last:
                row = window.row(step, trainer.seconds, lr_at(step - 1), **extra)
                if validation and (step % schedule.validate_every == 0 or is_last):
                    row.update({k: f"{v:.5g}" for k, v in trainer.validate(validation).items()})
                append_log_row(log_path, row, columns)  # after the rows up to the checkpoint
                window = LogWindow()
            if step % schedule.checkpoint_every == 0 or is_last:
                if log_path.exists():
                    _sync(log_path)
                trainer.save()
                plot_losses(log_path, log_path.with_name("losses.png"))

"""Where a batch's images are filled: this process, a local process pool, or Ray.

Every engine runs the same per-image function (:func:`pano_inpaint.batch.fill_image`) and
reports to the same callbacks (the runner writes the manifest from them), so the three give the
same files byte for byte. ``--engine`` and ``--jobs`` are checked here, once, before any work.
"""

from __future__ import annotations

import importlib.util
import math
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from pano_inpaint.exit_codes import EXIT_USAGE
from pano_inpaint.jobs import JobError

if TYPE_CHECKING:
    from pano_inpaint.batch import ImageJob

__all__ = [
    "ENGINES",
    "Engine",
    "EngineSpec",
    "available_cores",
    "available_memory",
    "check_engine",
    "make_engine",
    "remove_temporaries_of_stopped_workers",
]

ENGINES = ("local", "ray")


class Engine(Protocol):
    """Fills jobs and calls ``started(jobs)`` before handing them out and
    ``finished(job, outcome)`` for each (see :class:`~.serial.SerialEngine`)."""

    name: str

    def run(self, jobs, settings, *, started, finished, stage=None) -> None: ...


def _cgroup_cpus() -> float | None:
    """The CPU limit of this container (cgroup v2 ``cpu.max``: quota / period), if any: a pod
    limited to 4 CPUs on a 64-core node must not start 64 workers."""
    try:
        quota, period = open("/sys/fs/cgroup/cpu.max").read().split()[:2]
    except (OSError, ValueError):
        return None
    return None if quota == "max" else int(quota) / int(period)


def available_cores() -> int:
    """The cores this process may use: its CPU affinity, within its container's CPU limit."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    limit = _cgroup_cpus()
    return max(1, min(cores, math.ceil(limit))) if limit else cores


def available_memory() -> int | None:
    """Bytes of memory available to new processes (Linux ``MemAvailable``), None if unknown."""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


@dataclass(frozen=True)
class EngineSpec:
    """How to run a batch: ``local`` (``jobs`` processes; None = one per core) or ``ray``
    (``ray_address``, or a local Ray of ``jobs`` CPUs)."""

    name: str = "local"
    jobs: int | None = None
    ray_address: str | None = None


def check_engine(name: str = "local", jobs: int | None = None,
                 ray_address: str | None = None) -> EngineSpec:
    """Check the engine options before any work.

    Raises:
        JobError: ``EXIT_USAGE`` for an unknown engine, ``--jobs`` below 1, an address without
            Ray, or Ray not installed.
    """
    if name not in ENGINES:
        raise JobError(f"--engine must be one of {', '.join(ENGINES)}, got {name!r}",
                       EXIT_USAGE)
    if jobs is not None and jobs < 1:
        raise JobError(f"--jobs must be at least 1, got {jobs}", EXIT_USAGE)
    if ray_address is not None and name != "ray":
        raise JobError("--ray-address needs --engine ray", EXIT_USAGE)
    if name == "ray" and importlib.util.find_spec("ray") is None:
        raise JobError("--engine ray needs Ray: pip install 'pano-inpaint[ray]'", EXIT_USAGE)
    return EngineSpec(name, jobs, ray_address)


def _in_this_process_only(locations: list[str]) -> bool:
    """``memory://`` files live in this process: other processes see an empty filesystem."""
    return any(location.startswith("memory://") for location in locations)


def make_engine(spec: EngineSpec, *, generator, images: int, locations: list[str],
                task_bytes: int | None = None) -> Engine:
    """The engine for ``images`` images to fill (the plan's ``generator`` serves the serial
    engine). Without ``--jobs``, one worker per core, but no more than the available memory
    holds fills of ``task_bytes`` (the batch's first image).

    Raises:
        JobError: ``EXIT_USAGE`` for ``memory://`` files with several processes or Ray.
    """
    local_only = _in_this_process_only(locations)
    if spec.name == "ray":
        if local_only:
            raise JobError("memory:// files exist only in this process: Ray workers cannot "
                           "see them; use the local engine with --jobs 1", EXIT_USAGE)
        from pano_inpaint.engines.ray_tasks import RayEngine

        return RayEngine(spec.ray_address, spec.jobs)
    if local_only and spec.jobs is not None and spec.jobs > 1:
        raise JobError("memory:// files exist only in this process: worker processes cannot "
                       "see them; use --jobs 1", EXIT_USAGE)
    cores = available_cores()
    workers = spec.jobs or cores
    memory = available_memory()
    if spec.jobs is None and task_bytes and memory:
        workers = max(1, min(workers, memory // task_bytes))
    workers = 1 if local_only else min(workers, images)
    if workers <= 1:
        from pano_inpaint.engines.serial import SerialEngine

        return SerialEngine(generator)
    from pano_inpaint.engines.pool import PoolEngine

    return PoolEngine(workers, threads=max(1, cores // workers))


def remove_temporaries_of_stopped_workers(jobs: Iterable[ImageJob], *,
                                          within: float = 0.0) -> None:
    """After Ctrl-C, remove what the stopped workers on this machine were writing for ``jobs``:
    a worker killed in a native call (or between creating its temporary file and the ``try``
    that removes it) leaves one, and no temporary file is to be left. Only the files of
    processes that are gone are touched (local outputs only). ``within``: seconds to wait for
    writers still going (Ray's shutdown signals its workers and returns before they are gone;
    a killed process stays alive to ``kill(pid, 0)`` until it is reaped)."""
    from pano_inpaint.io.atomic import remove_stale_temporaries, temporaries_of
    from pano_inpaint.io.locations import local_path

    targets = [t for t in (local_path(job.target) for job in jobs) if t is not None]
    deadline = time.monotonic() + within
    while True:
        for target in targets:
            remove_stale_temporaries(target)
        targets = [t for t in targets if temporaries_of(t)]
        if not targets or time.monotonic() >= deadline:
            return
        time.sleep(0.05)

"""Fill jobs: queued, run one at a time per panorama, with progress the page can follow.

A job works on a snapshot of the mask taken when it was queued, so painting can go on while it
waits or runs. A job that fails keeps its error message; the queue carries on with the next.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["FillJob", "FillQueue"]

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


@dataclass
class FillJob:
    """One fill of one panorama; ``work(job)`` does it and returns the result's description."""

    id: str
    image_id: str
    settings: dict[str, Any]
    mask: np.ndarray = field(repr=False)
    work: Callable[[FillJob], dict[str, Any]] = field(repr=False)
    state: str = QUEUED
    fraction: float = 0.0
    stage: str = "queued"
    error: str | None = None
    result: dict[str, Any] | None = None
    queued_at: float = field(default_factory=time.time)
    seconds: float | None = None
    version: int = 0  # bumped on every change, so event streams know when to send

    def progress(self, fraction: float, stage: str) -> None:
        self.fraction, self.stage = float(min(max(fraction, 0.0), 1.0)), stage
        self.version += 1

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED)

    def to_dict(self, position: int | None = None) -> dict[str, Any]:
        return {
            "id": self.id, "image_id": self.image_id, "state": self.state,
            "fraction": self.fraction, "stage": self.stage, "error": self.error,
            "settings": self.settings, "result": self.result, "seconds": self.seconds,
            "queue_position": position,
        }


class FillQueue:
    """Runs jobs in order of arrival on ``workers`` threads, never two of one panorama at once.

    Expected failures (bad input, a hole too large, a generator error, out of memory) end the
    job as ``failed`` with a one-line message; the workers live on.
    """

    def __init__(self, workers: int = 1) -> None:
        self._jobs: dict[str, FillJob] = {}
        self._pending: list[FillJob] = []
        self._busy: set[str] = set()  # images with a running job
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._closed = False
        self._threads = [threading.Thread(target=self._run, name=f"fill-{i}", daemon=True)
                         for i in range(max(1, workers))]
        for thread in self._threads:
            thread.start()

    def submit(self, image_id: str, settings: dict[str, Any], mask: np.ndarray,
               work: Callable[[FillJob], dict[str, Any]]) -> FillJob:
        with self._cond:
            job = FillJob(f"f{next(self._ids)}", image_id, settings, mask, work)
            self._jobs[job.id] = job
            self._pending.append(job)
            self._cond.notify_all()
            return job

    def get(self, job_id: str) -> FillJob | None:
        return self._jobs.get(job_id)

    def jobs(self) -> list[FillJob]:
        return list(self._jobs.values())

    def position(self, job: FillJob) -> int | None:
        """How many queued jobs are ahead of ``job`` (None once it runs)."""
        with self._cond:
            if job not in self._pending:
                return None
            return self._pending.index(job)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _next(self) -> FillJob | None:
        with self._cond:
            while True:
                if self._closed:
                    return None
                for job in self._pending:
                    if job.image_id not in self._busy:
                        self._pending.remove(job)
                        self._busy.add(job.image_id)
                        job.state = RUNNING
                        job.progress(0.0, "starting")
                        return job
                self._cond.wait()

    def _run(self) -> None:
        while (job := self._next()) is not None:
            start = time.perf_counter()
            try:
                job.result = job.work(job)
                job.state = DONE
                job.progress(1.0, "done")
            except MemoryError:
                job.error = "not enough memory for this fill (try a smaller hole or image)"
                job.state = FAILED
            except Exception as exc:  # any failure of one fill must leave the session usable
                log.debug("fill %s failed:\n%s", job.id, traceback.format_exc())
                text = str(exc).strip().splitlines()
                job.error = text[0] if text else type(exc).__name__
                job.state = FAILED
            finally:
                job.seconds = time.perf_counter() - start
                job.mask = np.zeros((0, 0), bool)  # the snapshot is no longer needed
                job.version += 1
                with self._cond:
                    self._busy.discard(job.image_id)
                    self._cond.notify_all()

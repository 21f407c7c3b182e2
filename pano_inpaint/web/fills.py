"""Fill jobs: queued, run one at a time per panorama, with progress the page can follow.

A job works on a snapshot of the mask taken when it was queued, so painting can go on while it
waits or runs. A job that fails keeps its error message; the queue carries on with the next.
A job can be cancelled: a queued one never starts, a running one stops at its next progress
report (:class:`FillCancelled`, raised by :meth:`FillJob.progress`); either ends ``cancelled``.
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

__all__ = ["FillCancelled", "FillJob", "FillQueue"]

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
_ENDED = (DONE, FAILED, CANCELLED)


class FillCancelled(Exception):
    """Raised by a job's progress report once its cancel was asked: the fill stops there.

    An ``Exception``, not a ``BaseException``: the pipeline's ``except Exception`` clean-ups
    (its preparation thread joined) run for it as for a failure."""


@dataclass
class FillJob:
    """One fill of one panorama; ``work(job)`` does it and returns the result's description;
    ``ended(job)``, if given, is called once when the job ends, whichever way (a queued job
    cancelled included, whose ``work`` never runs), before its end is published."""

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
    ended: Callable[[FillJob], None] | None = field(default=None, repr=False)
    cancel_asked: bool = False

    def progress(self, fraction: float, stage: str) -> None:
        """Report progress; raises :class:`FillCancelled` once the job's cancel was asked (the
        work calls this often: that is where a running fill stops)."""
        self.check_cancelled()
        self.fraction, self.stage = float(min(max(fraction, 0.0), 1.0)), stage
        self.version += 1

    def check_cancelled(self) -> None:
        """Raise :class:`FillCancelled` if the job's cancel was asked."""
        if self.cancel_asked:
            raise FillCancelled(f"fill {self.id} was cancelled")

    @property
    def finished(self) -> bool:
        return self.state in _ENDED

    def to_dict(self, position: int | None = None) -> dict[str, Any]:
        return {
            "id": self.id, "image_id": self.image_id, "state": self.state,
            "fraction": self.fraction, "stage": self.stage, "error": self.error,
            "settings": self.settings, "result": self.result, "seconds": self.seconds,
            "queue_position": position, "cancel_asked": self.cancel_asked,
        }


class FillQueue:
    """Runs jobs in order of arrival on ``workers`` threads, never two of one panorama at once.

    Expected failures (bad input, a hole too large, a generator error, out of memory) end the
    job as ``failed`` with a one-line message; the workers live on. A cancelled job ends as
    ``cancelled`` (no error) and its worker goes on with the next.
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
               work: Callable[[FillJob], dict[str, Any]],
               ended: Callable[[FillJob], None] | None = None) -> FillJob:
        with self._cond:
            job = FillJob(f"f{next(self._ids)}", image_id, settings, mask, work, ended=ended)
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

    def cancel(self, job: FillJob) -> bool:
        """Cancel ``job``: a queued one ends ``cancelled`` now and never starts; a running one
        is asked to stop and ends ``cancelled`` at its next progress report (one whose work
        returns first ends ``done``). False when it had already ended."""
        with self._cond:
            if job.finished:
                return False
            job.cancel_asked = True
            queued = job in self._pending
            if queued:
                self._pending.remove(job)
            else:
                job.stage = "cancelling"
            job.version += 1
        if queued:
            self._end(job, CANCELLED)
        return True

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
                        job.fraction, job.stage = 0.0, "starting"
                        job.version += 1
                        return job
                self._cond.wait()

    def _end(self, job: FillJob, state: str, error: str | None = None, *,
             ran: bool = False) -> None:
        """Publish ``job``'s end once its ``ended`` hook has run (a page that sees it ended
        finds its slot freed); ``ran``: it held its image's turn, given back here."""
        if job.ended is not None:
            try:
                job.ended(job)
            except Exception:  # the queue must go on
                log.exception("fill %s: ending it failed", job.id)
        with self._cond:
            job.state, job.error = state, error
            if state == DONE:
                job.fraction, job.stage = 1.0, "done"
            elif state == CANCELLED:
                job.stage = "cancelled"
            job.mask = np.zeros((0, 0), bool)  # the snapshot is no longer needed
            job.version += 1
            if ran:
                self._busy.discard(job.image_id)
            self._cond.notify_all()

    def _run(self) -> None:
        while (job := self._next()) is not None:
            start = time.perf_counter()
            state, error = DONE, None
            try:
                job.result = job.work(job)
            except FillCancelled:
                state = CANCELLED
            except MemoryError:
                state = FAILED
                error = "not enough memory for this fill (try a smaller hole or image)"
            except Exception as exc:  # any failure of one fill must leave the session usable
                log.debug("fill %s failed:\n%s", job.id, traceback.format_exc())
                text = str(exc).strip().splitlines()
                state, error = FAILED, text[0] if text else type(exc).__name__
            except SystemExit:  # a library's exit() inside a fill: that fill failed, no more
                log.exception("fill %s: its code asked to exit", job.id)
                state, error = FAILED, "the fill stopped (its code asked to exit)"
            except BaseException:
                # Ended before the thread goes (otherwise the job stayed "running" for ever
                # and its image's turn was never given back).
                job.seconds = time.perf_counter() - start
                self._end(job, FAILED, "the fill was interrupted", ran=True)
                raise
            job.seconds = time.perf_counter() - start
            self._end(job, state, error, ran=True)

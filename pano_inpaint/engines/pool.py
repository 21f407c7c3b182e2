"""The local engine: a pool of worker processes on this machine (``--jobs N``).

Workers are forked from a fork server (a clean process that has imported the package once), so
they start in a fraction of a second and inherit no threads from the caller. Each limits its
numeric libraries to its share of the cores, ignores Ctrl-C (the caller stops them), and keeps
its generator between images. Only a bounded window of images is in flight, so a million
inputs cost no more memory than ten.

A worker that dies (the system's out-of-memory killer, a crash) breaks the pool: the images it
took with it are run again one at a time in a fresh pool, so the one that kills its worker is
recorded as failed and the others are filled.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import NoReturn

from pano_inpaint.batch import FillSettings, ImageJob, Outcome, fill_image
from pano_inpaint.engines import remove_temporaries_of_stopped_workers
from pano_inpaint.engines.threads import limit_threads
from pano_inpaint.exit_codes import EXIT_INPUT

__all__ = ["PoolEngine"]

_WINDOW_PER_WORKER = 2  # images queued per worker: it never waits, the queue stays short
_STOP_SECONDS = 3.0  # after Ctrl-C, how long a busy worker has to unwind before it is killed


class _Stop(BaseException):
    """Raised in a worker told to stop while it fills an image: unwinding removes the
    temporary file it may be writing."""


_busy = False


def _exit_now() -> NoReturn:
    """Leave the worker at once, running first the exit handlers a multiprocessing process
    runs on its way out: they unlink the named semaphores the worker made (numba makes one as
    its threads start). Skipped, the resource tracker printed "UserWarning: resource_tracker:
    There appear to be 2 leaked semaphore objects" under every batch stopped by Ctrl-C."""
    multiprocessing.util._exit_function()  # what Process._bootstrap runs before os._exit
    os._exit(1)


def _stop(signum, frame) -> None:
    if _busy:
        raise _Stop
    _exit_now()


def _init_worker(threads: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    signal.signal(signal.SIGTERM, _stop)
    limit_threads(threads)


def _work(job: ImageJob, settings: FillSettings) -> Outcome:
    """``fill_image`` in a worker; stopped (SIGTERM), it cleans up and exits at once instead
    of going on to the next image."""
    global _busy
    try:
        try:
            _busy = True
            return fill_image(job, settings)
        finally:
            _busy = False
    except _Stop:  # also when it lands in the finally: never go on to a queued image
        _exit_now()


def _died(job: ImageJob) -> Outcome:
    return Outcome(job.index, False, 0.0, code=EXIT_INPUT, error=(
        f"{job.source}: the worker process filling it died (killed by the system, most likely "
        "for lack of memory, or crashed); fill it with fewer --jobs or a lighter generator"))


class PoolEngine:
    """Fill images in ``workers`` processes, ``threads`` numeric threads each."""

    name = "pool"

    def __init__(self, workers: int, threads: int) -> None:
        self.workers = workers
        self.threads = threads

    def _executor(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["pano_inpaint.batch"])
        return ProcessPoolExecutor(self.workers, mp_context=context,
                                   initializer=_init_worker, initargs=(self.threads,))

    def run(self, jobs: Iterable[ImageJob], settings: FillSettings, *,
            started: Callable[[list[ImageJob]], None],
            finished: Callable[[ImageJob, Outcome], None],
            stage: Callable[[ImageJob, float, str], None] | None = None) -> None:
        """Fill ``jobs``; ``started`` is called before an image is handed to a worker,
        ``finished`` as each comes back (in completion order).

        On Ctrl-C (``KeyboardInterrupt``) the queued images are dropped and the workers are
        stopped at once (a result being written is either complete or absent), then it
        propagates.
        """
        pending = iter(jobs)
        suspects: deque[ImageJob] = deque()  # were in flight when a worker died
        before = set(multiprocessing.active_children())
        executor = self._executor()
        in_flight: dict[Future, ImageJob] = {}
        try:
            while True:
                retrying = None
                if suspects:  # alone in the pool, already recorded as started
                    retrying = suspects.popleft()
                    in_flight[executor.submit(_work, retrying, settings)] = retrying
                else:
                    room = self.workers * _WINDOW_PER_WORKER - len(in_flight)
                    batch = [job for _, job in zip(range(room), pending, strict=False)]
                    if batch:
                        started(batch)  # on disk before a worker can write a result
                    for job in batch:
                        in_flight[executor.submit(_work, job, settings)] = job
                if not in_flight:
                    break
                wait(in_flight, return_when=FIRST_COMPLETED)
                lost = self._collect(in_flight, finished)
                if lost:
                    executor.shutdown(wait=True)
                    executor = self._executor()
                    if retrying is not None:  # it broke the pool on its own
                        finished(retrying, _died(retrying))
                    else:
                        suspects.extend(lost)
        except BaseException:
            self._stop_workers(set(multiprocessing.active_children()) - before)
            executor.shutdown(wait=False, cancel_futures=True)
            remove_temporaries_of_stopped_workers(in_flight.values())
            raise
        executor.shutdown(wait=True)

    @staticmethod
    def _stop_workers(workers: set) -> None:
        """SIGTERM: a worker unwinds (removing the temporary file it writes) when its current
        native call (OpenCV, numba) returns; one still busy after a few seconds is killed (the
        caller then removes its temporary file)."""
        for process in workers:
            process.terminate()
        deadline = time.monotonic() + _STOP_SECONDS
        for process in workers:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()  # gone before its temporary file is removed

    @staticmethod
    def _collect(in_flight: dict[Future, ImageJob],
                 finished: Callable[[ImageJob, Outcome], None]) -> list[ImageJob]:
        """Report the finished futures; when the pool broke, wait for the rest (they fail at
        once) and return the images that did not finish."""
        lost = []
        for future in [f for f in in_flight if f.done()]:
            job = in_flight.pop(future)
            try:
                outcome = future.result()
            except BrokenProcessPool:
                lost.append(job)
                continue
            finished(job, outcome)
        if lost:
            wait(in_flight)
            for future, job in list(in_flight.items()):
                del in_flight[future]
                try:
                    finished(job, future.result())
                except BrokenProcessPool:
                    lost.append(job)
        return lost

"""A batch from its checked plan to its summary: the manifest, resuming, an engine, Ctrl-C.

For a batch (a folder out) :func:`run_batch` reads the output folder's manifest
(:mod:`pano_inpaint.manifest`) and decides for every input (:func:`decide`): skip it (its result
is there and unchanged), fill it, or fill it again (failed, interrupted, or its result or input
changed). Before an image is handed to a worker it is recorded ``running``; when its outcome
comes back, ``done`` or ``failed``. A run stopped by Ctrl-C (or SIGTERM) records the images in
flight ``interrupted`` and leaves a consistent manifest; a run killed outright leaves them
``running``. Either way the next run with the same command fills only what is missing: a result
that an interrupted image may have left belongs to this batch and is replaced.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pano_inpaint._sigterm import sigterm_as_interrupt
from pano_inpaint.batch import BatchPlan, ImageJob, Outcome, check_headers
from pano_inpaint.engines import EngineSpec, make_engine
from pano_inpaint.engines.memory import task_memory_bytes
from pano_inpaint.exit_codes import EXIT_BATCH_FAILED, EXIT_INPUT, EXIT_OUTPUT
from pano_inpaint.io import locations as loc
from pano_inpaint.jobs import JobError, check_output_place
from pano_inpaint.manifest import Manifest, ManifestError, Record

__all__ = ["BatchEvents", "BatchSummary", "Decision", "decide", "run_batch"]

_HEADER_CHUNK = 64  # headers checked ahead of the workers, a chunk at a time


class BatchEvents(Protocol):
    """What a progress display hears from a run."""

    def begin(self, total: int, done: int, engine: str) -> None: ...

    def stage(self, index: int, fraction: float, text: str) -> None: ...

    def finished(self, index: int, outcome: Outcome) -> None: ...


@dataclass
class BatchSummary:
    """What a run did. ``outcomes`` are this run's fills (done and failed)."""

    total: int
    engine: str = "serial"
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # done by an earlier run
    interrupted: bool = False
    seconds: float = 0.0
    manifest: str | None = None

    @property
    def filled(self) -> int:
        return sum(o.ok for o in self.outcomes)

    @property
    def failures(self) -> list[JobError]:
        return [o.failure() for o in self.outcomes if not o.ok]

    @property
    def left(self) -> int:
        return self.total - len(self.outcomes) - len(self.skipped)


@dataclass(frozen=True)
class Decision:
    """What to do with one input: ``run`` (``overwrite``: its target may be replaced),
    ``skip``, ``adopt`` (an in-place result an interrupted run wrote: record it), or ``fail``
    (``error``)."""

    action: str
    overwrite: bool = False
    error: str | None = None


def _unchanged(record: Record, stamp: loc.Stamp | None, location: str) -> bool:
    """Whether the file is the one the record describes: the same stamp, or else the same
    bytes (a copy, a restore from backup, a touch)."""
    if stamp is None:
        return False
    if record.output_stamp is not None and str(stamp) == record.output_stamp:
        return True
    if record.output_stamp is not None and not record.output_stamp.startswith(f"{stamp.size}:"):
        return False
    return record.output_sha256 is not None and loc.file_sha256(location) == (
        record.output_sha256)


def decide(record: Record | None, *, settings: str, overwrite: bool, in_place: bool,
           target: str, target_stamp: loc.Stamp | None,
           source_stamp: loc.Stamp | None) -> Decision:
    """What a run does with an input, given its manifest record and the files as they are.

    A target this batch may replace (``claimed``): it did not exist when the batch first
    dispatched the input, or ``--overwrite`` / ``--in-place`` was given.
    """
    free = overwrite or in_place or target_stamp is None
    if record is None or record.settings != settings:
        return Decision("run", overwrite=free)
    if record.status == "done":
        if in_place:  # the result is the input: unchanged means done
            if _unchanged(record, source_stamp, target):
                return Decision("skip")
            return Decision("run", overwrite=True)
        if target_stamp is None:
            return Decision("run", overwrite=True)
        if _unchanged(record, target_stamp, target):
            if record.input_stamp in (None, str(source_stamp)):
                return Decision("skip")
            return Decision("run", overwrite=True)  # a new input: our result is replaced
        if overwrite:
            return Decision("run", overwrite=True)
        return Decision("fail", error=(
            f"output {target} was changed since this batch wrote it; pass --overwrite to "
            "replace it"))
    if (in_place and record.status in ("running", "interrupted")
            and record.input_stamp is not None and source_stamp is not None
            and str(source_stamp) != record.input_stamp):
        return Decision("adopt")  # the fill was written over the input just before the stop
    return Decision("run", overwrite=free or record.claimed)


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _stamps(locations: list[str], listing_folder: str | None) -> list[loc.Stamp | None]:
    """Stamps of many files: one listing of a remote folder, else one call each (threads:
    an object store answers slowly, not busily)."""
    if listing_folder is not None and loc.is_remote(listing_folder):
        listed = loc.remote_stamps(listing_folder)
        return [listed.get(location) for location in locations]
    if any(loc.is_remote(location) for location in locations):
        with ThreadPoolExecutor(16) as threads:
            return list(threads.map(loc.stamp_of, locations))
    return [loc.stamp_of(location) for location in locations]


@contextlib.contextmanager
def _no_interrupts() -> Iterator[None]:
    """While the manifest is made consistent a second Ctrl-C waits."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


class _Run:
    """The bookkeeping of one run: records, summary, events."""

    def __init__(self, plan: BatchPlan, manifest: Manifest | None, summary: BatchSummary,
                 events: BatchEvents | None) -> None:
        self.plan = plan
        self.manifest = manifest
        self.summary = summary
        self.events = events
        self.settings = plan.settings.fingerprint()
        self.claimed: dict[int, bool] = {}
        self.source_stamps: dict[int, str | None] = {}
        self.in_flight: dict[int, ImageJob] = {}

    def record(self, index: int, status: str, **fields) -> Record:
        return Record(self.plan.sources[index], status, self.plan.targets[index], self.settings,
                      claimed=self.claimed.get(index, False), **fields)

    def started(self, jobs: list[ImageJob]) -> None:
        for job in jobs:
            self.in_flight[job.index] = job
        if self.manifest is not None:
            self.manifest.append(self.record(job.index, "running",
                                             input_stamp=self.source_stamps.get(job.index))
                                 for job in jobs)

    def finished(self, job: ImageJob, outcome: Outcome) -> None:
        self.in_flight.pop(job.index, None)
        if self.manifest is not None:
            fields = {"seconds": round(outcome.seconds, 3), "peak_mb": outcome.peak_mb,
                      "cpu_seconds": None if outcome.cpu_seconds is None
                      else round(outcome.cpu_seconds, 3)}
            if outcome.ok:
                self.manifest.append([self.record(
                    job.index, "done", flags=outcome.flags, note=outcome.note,
                    input_stamp=outcome.input_stamp, output_stamp=outcome.output_stamp,
                    output_sha256=outcome.output_sha256, **fields)])
            else:
                self.manifest.append([self.record(job.index, "failed", error=outcome.error,
                                                  code=outcome.code, **fields)])
        self.summary.outcomes.append(outcome)
        if self.events is not None:
            self.events.finished(job.index, outcome)

    def fail(self, index: int, error: JobError) -> None:
        job = ImageJob(index, self.plan.sources[index], self.plan.targets[index])
        self.finished(job, Outcome(index, False, 0.0, error=str(error), code=error.code))

    def interrupted(self) -> None:
        if self.manifest is not None:
            self.manifest.append(self.record(index, "interrupted",
                                             input_stamp=self.source_stamps.get(index))
                                 for index in self.in_flight)
        self.summary.interrupted = True

    def _place_problem(self, index: int) -> JobError | None:
        """What is in the way of image ``index``'s local result (a folder by its name, a file
        by its folder's), if anything."""
        target = loc.local_path(self.plan.targets[index])
        if target is None or self.plan.settings.in_place:
            return None
        try:
            check_output_place(target)
        except JobError as exc:
            return exc
        return None

    def jobs(self, todo: Sequence[int], overwrite: dict[int, bool]) -> Iterator[ImageJob]:
        """The images to fill, their headers checked a chunk ahead of the workers: a refused
        one (a decompression bomb, not 2:1) is failed here without being sent anywhere, and so
        is one whose result has a folder or a file in its way."""
        plan = self.plan
        for chunk in _chunks(todo, _HEADER_CHUNK):
            headers = check_headers([plan.sources[i] for i in chunk],
                                    plan.settings.max_pixels)
            for position, index in enumerate(chunk):
                header = headers[position]
                if not isinstance(header, JobError):
                    header = self._place_problem(index) or header
                if isinstance(header, JobError):
                    self.fail(index, header)
                    continue
                yield ImageJob(index, plan.sources[index], plan.targets[index],
                               overwrite=overwrite[index], pixels=header)


def _reconcile(run: _Run, records: dict[str, Record]) -> tuple[list[int], dict[int, bool]]:
    """Decide every input from the manifest and the files; record what needs no fill."""
    plan = run.plan
    ours = [records.get(source) for source in plan.sources]
    foreign = [r for r in ours if r is not None and r.settings != run.settings
               and r.status != "failed"]  # a failed one left no result to protect
    if foreign and not plan.overwrite:
        raise JobError(
            f"{plan.output_folder} holds results of this batch made with other settings "
            f"({len(foreign)} of them, e.g. {foreign[0].input}); rerun with the settings they "
            "were made with, pass --overwrite to fill them again with these, or choose another "
            "output folder", EXIT_OUTPUT)
    in_place = plan.settings.in_place
    if in_place and all(target in plan.listed for target in plan.targets):
        target_stamps = [plan.listed[target] for target in plan.targets]  # listed already
    else:
        target_stamps = _stamps(plan.targets, None if in_place else plan.output_folder)
    if in_place:  # the targets are the sources
        source_stamps = dict(enumerate(target_stamps))
    else:
        known = [i for i, r in enumerate(ours) if r is not None and r.status == "done"
                 and plan.sources[i] not in plan.listed]
        source_stamps = dict(zip(known, _stamps([plan.sources[i] for i in known], None),
                                 strict=True))
        source_stamps.update((i, plan.listed[source]) for i, source in enumerate(plan.sources)
                             if source in plan.listed)
    todo, overwrite, adopted = [], {}, []
    for index, record in enumerate(ours):
        decision = decide(record, settings=run.settings, overwrite=plan.overwrite,
                          in_place=in_place, target=plan.targets[index],
                          target_stamp=target_stamps[index],
                          source_stamp=source_stamps.get(index))
        same = record is not None and record.settings == run.settings
        # A result changed since it was written ("fail") is the user's now, not the batch's:
        # still claimed, the next run replaced it as a failed image's leftover.
        run.claimed[index] = decision.action != "fail" and (
            decision.overwrite or bool(same and record.claimed))
        if decision.action == "skip":
            run.summary.skipped.append(index)
        elif decision.action == "run":
            todo.append(index)
            overwrite[index] = decision.overwrite
            if in_place:  # the file before the fill: tells a fill that landed apart
                stamp = source_stamps.get(index)
                run.source_stamps[index] = str(stamp) if stamp else None
        elif decision.action == "adopt":
            adopted.append(index)
        else:
            run.fail(index, JobError(decision.error or "", EXIT_OUTPUT))
    for index in adopted:  # the interrupted run's in-place result: complete (atomic), keep it
        stamp = loc.stamp_of(plan.targets[index])
        run.manifest.append([run.record(
            index, "done", note="written by an interrupted run; consistency not recorded",
            output_stamp=str(stamp) if stamp else None,
            output_sha256=loc.file_sha256(plan.targets[index]),
            input_stamp=records[plan.sources[index]].input_stamp)])
        run.summary.skipped.append(index)
    return todo, overwrite


def _task_bytes(plan: BatchPlan, todo: Sequence[int]) -> int | None:
    """The memory filling the first image to do takes (a shoot's images share a size)."""
    if len(todo) < 2:
        return None
    pixels = check_headers([plan.sources[todo[0]]], plan.settings.max_pixels)[0]
    if isinstance(pixels, JobError):
        return None
    return task_memory_bytes(pixels, plan.config.generator.name)


def _resolved(location: str) -> Path | str:
    """A local location as one spelling (absolute, links and ``..`` resolved, no trailing
    ``/``), a remote one as given less its trailing ``/``."""
    path = loc.local_path(location)
    return location.rstrip("/") if path is None else Path(os.path.realpath(path))


def _within(location: str | None, folder: str) -> bool:
    """Whether ``location`` is ``folder`` or lies inside it, however each is spelt (relative
    or absolute, through a link; a remote one as given). Strings were compared: an error
    naming ``out/a.png`` was not in the output folder given as ``/abs/out/``."""
    if location is None:
        return False
    named, place = _resolved(location), _resolved(folder)
    if isinstance(named, Path) and isinstance(place, Path):
        return named.is_relative_to(place)
    return named == place or str(named).startswith(f"{place}/")


def _one_of(location: str | None, locations: Sequence[str]) -> bool:
    """Whether ``location`` names one of ``locations`` (spellings as for :func:`_within`)."""
    if location is None:
        return False
    named = _resolved(location)
    return any(_resolved(other) == named for other in locations)


def _stopped(plan: BatchPlan, exc: OSError) -> JobError:
    """The error of an ``OSError`` that stopped a run, with the code of what failed: an input
    or its mask (3), a result or the output folder (4), this machine's memory (3, as an image
    too large for it), anything else (1: an engine that cannot start, too many open files).
    """
    # All were exit 4, 'output problem', though only the manifest's (a ManifestError) and the
    # results' are: an engine that could not start or an unreadable input said so too.
    failed = exc.strerror or str(exc)
    if exc.filename is not None:
        failed = f"{exc.filename}: {failed}"
    message = f"the run stopped: {failed}"
    named = str(exc.filename) if exc.filename is not None else None
    mask = plan.mask.path
    if _one_of(named, plan.sources) or (mask is not None and _within(named, str(mask))):
        return JobError(message, EXIT_INPUT)
    if _one_of(named, plan.targets) or (plan.output_folder is not None
                                        and _within(named, plan.output_folder)):
        return JobError(message, EXIT_OUTPUT)
    if exc.errno == errno.ENOMEM:
        return JobError(f"{message}; free memory, or fill with fewer --jobs", EXIT_INPUT)
    return JobError(message, EXIT_BATCH_FAILED)


def run_batch(plan: BatchPlan, engine: EngineSpec, *,
              events: BatchEvents | None = None) -> BatchSummary:
    """Fill a checked plan and return what happened (a Ctrl-C'd run returns too, with
    ``interrupted`` set and its manifest consistent).

    Raises:
        JobError: before any fill: the manifest cannot be read, written or locked (4), holds
            results of other settings without ``--overwrite`` (4), or the engine cannot run
            these files (2); at any time, an ``OSError`` that stopped the run, naming it, with
            the code of what failed (see :func:`_stopped`).
    """
    started = time.perf_counter()
    summary = BatchSummary(len(plan.sources))
    manifest = Manifest(plan.output_folder) if plan.output_folder else None
    run = _Run(plan, manifest, summary, None)
    try:
        with manifest if manifest is not None else contextlib.nullcontext(), \
                sigterm_as_interrupt():
            if manifest is not None:
                summary.manifest = manifest.location
                todo, overwrite = _reconcile(run, manifest.load())
                manifest.rewrite()
            else:
                todo = list(range(len(plan.sources)))
                overwrite = dict.fromkeys(todo, plan.overwrite or plan.settings.in_place)
            chosen = make_engine(engine, generator=plan.generator, images=len(todo),
                                 locations=plan.sources + plan.targets,
                                 task_bytes=_task_bytes(plan, todo))
            summary.engine = chosen.name
            stage = None
            if events is not None:
                events.begin(summary.total, len(summary.skipped), _describe(chosen))
                for outcome in summary.outcomes:  # failed while reconciling
                    events.finished(outcome.index, outcome)
                run.events = events

                def stage(job: ImageJob, fraction: float, text: str) -> None:
                    events.stage(job.index, fraction, text)
            try:
                chosen.run(run.jobs(todo, overwrite), plan.settings, started=run.started,
                           finished=run.finished, stage=stage)
            except KeyboardInterrupt:
                with _no_interrupts():
                    run.interrupted()
            if manifest is not None:
                with _no_interrupts():
                    manifest.rewrite()
    except ManifestError as exc:
        raise JobError(str(exc), EXIT_OUTPUT) from exc
    except OSError as exc:  # not the manifest's (a ManifestError)
        raise _stopped(plan, exc) from exc
    summary.seconds = time.perf_counter() - started
    return summary


def _describe(engine) -> str:
    workers = getattr(engine, "workers", 1)
    if engine.name == "pool":
        return f"{workers} worker processes"
    if engine.name == "ray":
        return "Ray"
    return "this process"

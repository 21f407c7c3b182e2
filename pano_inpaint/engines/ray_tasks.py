"""The Ray engine (``--engine ray``): one Ray task per image, on a cluster or a local Ray.

Each task declares one CPU and the memory its image needs (:mod:`.memory`, from the size in
its header), so Ray's scheduler never puts more fills on a node than its cores and memory
hold. The task reads its input and writes its result itself (paths every node sees, or
object-store URLs) and sends back only a small :class:`~pano_inpaint.batch.Outcome`. A task lost
with its worker or node is retried by Ray (twice); an image that is killed for memory, or fails
otherwise, is a failed image like any other. With no address a local Ray is started for the run
and stopped after it.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from pano_inpaint.batch import FillSettings, ImageJob, Outcome, fill_image
from pano_inpaint.engines import remove_temporaries_of_stopped_workers
from pano_inpaint.engines.memory import task_memory_bytes
from pano_inpaint.engines.threads import limit_threads
from pano_inpaint.exit_codes import EXIT_BATCH_FAILED, EXIT_INPUT, EXIT_USAGE
from pano_inpaint.jobs import JobError

__all__ = ["RayEngine"]

log = logging.getLogger(__name__)

_WINDOW_PER_CPU = 2
_WINDOW_MIN = 256  # in flight on a cluster, whatever its size now (it may be scaling up)
_RESIZE_SECONDS = 30.0
_TASK_RETRIES = 2  # for a worker or node lost (a preempted node); not for a failed image
_STOP_SECONDS = 5.0  # after Ctrl-C, how long a local cluster's workers have to be gone


@dataclasses.dataclass(frozen=True)
class _ShippedMask:
    """A mask file's bytes, sent with the settings: a cluster's nodes cannot see the driver's
    files."""

    name: str
    data: bytes


_LOCAL_MASKS: dict[bytes, Path] = {}


def _settings_here(settings: FillSettings, mask: _ShippedMask | None) -> FillSettings:
    """The settings with the shipped mask written to a file of this worker (once)."""
    if mask is None:
        return settings
    path = _LOCAL_MASKS.get(mask.data)
    if path is None:
        path = Path(tempfile.mkdtemp(prefix="pano-inpaint-mask-")) / mask.name
        path.write_bytes(mask.data)
        _LOCAL_MASKS[mask.data] = path
    return dataclasses.replace(settings, mask=dataclasses.replace(settings.mask, path=path))


def _fill_task(job: ImageJob, settings: FillSettings, mask: _ShippedMask | None) -> Outcome:
    limit_threads(1)
    return fill_image(job, _settings_here(settings, mask))


def _probe() -> str:
    import pano_inpaint

    return pano_inpaint.__version__


def _lost(job: ImageJob, exc: BaseException) -> Outcome:
    import ray

    if isinstance(exc, ray.exceptions.OutOfMemoryError):
        return Outcome(job.index, False, 0.0, code=EXIT_INPUT, error=(
            f"{job.source}: killed by Ray for lack of memory on its node; give the nodes more "
            "memory or use a lighter generator"))
    if isinstance(exc, ray.exceptions.WorkerCrashedError | ray.exceptions.NodeDiedError):
        return Outcome(job.index, False, 0.0, code=EXIT_INPUT, error=(
            f"{job.source}: its Ray worker died ({type(exc).__name__}) three times; most "
            "likely for lack of memory"))
    text = " ".join(str(exc).split())[-300:]
    return Outcome(job.index, False, 0.0, code=EXIT_BATCH_FAILED,
                   error=f"{job.source}: the Ray task failed ({type(exc).__name__}: {text})")


class RayEngine:
    """Fill images as Ray tasks.

    Args:
        address: a Ray cluster (``ray://head:10001``, ``auto``...); None starts a local Ray.
        cpus: CPUs of the local Ray (None: all), or with an address the most images in flight.
    """

    name = "ray"

    def __init__(self, address: str | None, cpus: int | None) -> None:
        self.address = address
        self.cpus = cpus
        self.workers = cpus or 0
        self._warned = False

    def _connect(self) -> bool:
        """Connect or start; True when this run started the Ray it uses."""
        import ray

        if ray.is_initialized():
            return False
        options = {"logging_level": logging.ERROR, "log_to_driver": False}
        try:
            if self.address is None:
                ray.init(num_cpus=self.cpus, include_dashboard=False, **options)
            else:
                ray.init(address=self.address, **options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = self.address or "a local Ray"
            raise JobError(f"cannot start or reach {where}: {exc}", EXIT_USAGE) from exc
        return self.address is None

    def _check_workers(self) -> int:
        """The memory of the largest node now; refuses a cluster whose workers cannot import
        this package."""
        import ray

        try:
            version = ray.get(ray.remote(_probe).options(num_cpus=0).remote(), timeout=300)
        except Exception as exc:
            raise JobError(f"the Ray workers cannot run pano-inpaint ({type(exc).__name__}); "
                           "install the same version of pano-inpaint in the cluster's image",
                           EXIT_USAGE) from exc
        import pano_inpaint

        if version != pano_inpaint.__version__:
            log.warning("the Ray workers run pano-inpaint %s, this is %s", version,
                        pano_inpaint.__version__)
        nodes = [n for n in ray.nodes() if n.get("Alive")]
        return max((int(n["Resources"].get("memory", 0)) for n in nodes), default=0)

    def _window(self) -> int:
        """Images in flight: two per CPU of the cluster now, and at least enough for an
        autoscaling cluster that starts with no workers to see a demand worth scaling for;
        with an address, ``-j`` caps it."""
        import ray

        cpus = ray.cluster_resources().get("CPU", 0.0)
        window = int(cpus * _WINDOW_PER_CPU)
        if self.address is None:
            return max(1, window)
        window = max(window, _WINDOW_MIN)
        return min(window, self.cpus) if self.cpus else window

    @staticmethod
    def _ship_mask(settings: FillSettings) -> _ShippedMask | None:
        path = settings.mask.path
        if path is None or not path.is_file():
            return None  # a folder of masks must be on a volume every node mounts
        return _ShippedMask(path.name, path.read_bytes())

    def run(self, jobs: Iterable[ImageJob], settings: FillSettings, *,
            started: Callable[[list[ImageJob]], None],
            finished: Callable[[ImageJob, Outcome], None],
            stage: Callable[[ImageJob, float, str], None] | None = None) -> None:
        """Fill ``jobs`` as Ray tasks; ``started`` before they are submitted, ``finished`` as
        each comes back. Ctrl-C cancels (kills) the tasks in flight, then propagates."""
        import ray

        own = self._connect()
        in_flight: dict = {}
        try:
            largest = self._check_workers()
            task = ray.remote(_fill_task)
            settings_ref = ray.put(settings)
            mask_ref = ray.put(self._ship_mask(settings))
            generator = settings.config.generator.name
            pending = iter(jobs)
            window, sized = self._window(), time.monotonic()
            while True:
                if time.monotonic() - sized > _RESIZE_SECONDS:  # nodes come and go
                    window, sized = self._window(), time.monotonic()
                room = max(0, window - len(in_flight))
                batch = [job for _, job in zip(range(room), pending, strict=False)]
                if batch:
                    started(batch)
                for job in batch:
                    memory = task_memory_bytes(job.pixels or 0, generator)
                    if own and memory > largest:  # this machine is all there is
                        finished(job, Outcome(job.index, False, 0.0, code=EXIT_INPUT, error=(
                            f"{job.source}: needs about {memory / 2**30:.1f} GiB to fill, more "
                            f"than Ray has on this machine ({largest / 2**30:.1f} GiB)")))
                        continue
                    if memory > largest and not self._warned:
                        log.warning("%s needs %.1f GiB, more than any Ray node has now: it waits "
                                    "for the autoscaler to add a larger one", job.source,
                                    memory / 2**30)
                        self._warned = True
                    ref = task.options(num_cpus=1, memory=memory,
                                       max_retries=_TASK_RETRIES).remote(job, settings_ref,
                                                                         mask_ref)
                    in_flight[ref] = job
                if not in_flight:
                    break
                ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=_RESIZE_SECONDS)
                ready, _ = ray.wait(list(in_flight), num_returns=len(in_flight), timeout=0)
                for ref in ready:
                    job = in_flight.pop(ref)
                    try:
                        outcome = ray.get(ref)
                    except ray.exceptions.RayError as exc:
                        outcome = _lost(job, exc)
                    finished(job, outcome)
        except BaseException:
            if own:
                # The workers are this machine's processes, stopped by Ray's shutdown, which
                # first takes down this process's end of Ray. Cancelled first, a task that was
                # finishing just then had its reply handled after the cancel had failed it, and
                # Ray's check on that (task_manager.cc: "Tried to complete task that was not
                # pending") aborted this process: exit 1 and a C++ trace, not 130 (ray 2.60:
                # 2 of about 17 runs of the ctrl-c-ray test on a loaded machine).
                ray.shutdown()
                remove_temporaries_of_stopped_workers(in_flight.values(), within=_STOP_SECONDS)
            else:  # a cluster's workers run on: only a cancel stops them (Ray's race remains)
                for ref in in_flight:
                    try:
                        ray.cancel(ref, force=True)
                    except Exception:  # already finished or gone
                        pass
            raise
        finally:
            if own and ray.is_initialized():
                ray.shutdown()

"""The fill queue: in order, one fill at a time per panorama, failures kept and survived."""

import threading
import time

import numpy as np
import pytest

from pano_inpaint.web.fills import FillQueue

MASK = np.ones((2, 4), bool)


def _wait(job, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not job.finished:
        assert time.monotonic() < deadline, f"{job.id} is still {job.state}"
        time.sleep(0.005)


def test_one_fill_at_a_time_per_image_others_run_alongside():
    queue = FillQueue(workers=2)
    release = threading.Event()
    running: list[str] = []
    overlap = []

    def work(job):
        running.append(job.image_id)
        overlap.append(running.count(job.image_id))
        release.wait(5)
        running.remove(job.image_id)
        return {"ok": job.id}

    a1 = queue.submit("a", {}, MASK, work)
    a2 = queue.submit("a", {}, MASK, work)
    b1 = queue.submit("b", {}, MASK, work)
    deadline = time.monotonic() + 5
    while not (a1.state == "running" and b1.state == "running"):
        assert time.monotonic() < deadline
        time.sleep(0.005)
    assert a2.state == "queued" and queue.position(a2) == 0  # waits for a1, not for b1
    release.set()
    for job in (a1, a2, b1):
        _wait(job)
    assert max(overlap) == 1
    assert [j.state for j in (a1, a2, b1)] == ["done"] * 3 and a2.result == {"ok": a2.id}
    queue.close()


def test_failures_are_kept_and_the_queue_goes_on():
    queue = FillQueue()

    def boom(job):
        raise RuntimeError("the generator broke\nwith a long trace")

    def oom(job):
        raise MemoryError

    def fine(job):
        job.progress(0.5, "halfway")
        return {"fine": True}

    jobs = [queue.submit("a", {}, MASK, w) for w in (boom, oom, fine)]
    for job in jobs:
        _wait(job)
    assert [j.state for j in jobs] == ["failed", "failed", "done"]
    assert jobs[0].error == "the generator broke"
    assert "memory" in jobs[1].error
    assert jobs[2].fraction == 1.0 and jobs[2].mask.size == 0  # the snapshot is let go
    queue.close()


def test_a_fill_that_asks_to_exit_fails_alone_and_frees_its_image():
    """``SystemExit`` is no ``Exception``: raised inside a fill it skipped the job's end, so
    the job stayed running for ever and every later fill of its panorama waited behind it."""
    queue = FillQueue()

    def exits(job):
        raise SystemExit(3)

    first = queue.submit("a", {}, MASK, exits)
    second = queue.submit("a", {}, MASK, lambda job: {"ok": True})
    _wait(first)
    _wait(second)
    assert first.state == "failed" and "exit" in first.error
    assert second.state == "done"
    queue.close()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_an_interrupted_fill_ends_failed_before_its_worker_goes():
    """Any other ``BaseException`` ends its worker, but not before the job is ended and its
    image's turn given back: the other worker runs the image's next fill."""
    queue = FillQueue(workers=2)

    def interrupted(job):
        raise KeyboardInterrupt

    first = queue.submit("a", {}, MASK, interrupted)
    _wait(first)
    second = queue.submit("a", {}, MASK, lambda job: {"ok": True})
    _wait(second)
    assert first.state == "failed" and "interrupted" in first.error
    assert second.state == "done"
    queue.close()


def test_jobs_run_in_order_of_arrival():
    queue = FillQueue()
    order = []
    jobs = [queue.submit(f"i{k}", {}, MASK, lambda job: order.append(job.id) or {})
            for k in range(5)]
    for job in jobs:
        _wait(job)
    assert order == [j.id for j in jobs]
    queue.close()


def test_a_queued_job_cancelled_never_starts_and_the_queue_goes_on():
    queue = FillQueue()
    started, release = threading.Event(), threading.Event()
    ran, ended = [], []

    def held(job):
        started.set()
        assert release.wait(5)
        return {}

    def work(job):
        ran.append(job.id)
        return {}

    first = queue.submit("a", {}, MASK, held, ended.append)
    queued = queue.submit("a", {}, MASK, work, ended.append)
    after = queue.submit("a", {}, MASK, work, ended.append)
    assert started.wait(5)
    assert queue.cancel(queued)
    assert queued.state == "cancelled" and queued.finished and queued.error is None
    assert ended == [queued] and queue.position(queued) is None
    assert queue.position(after) == 0  # moved up
    release.set()
    for job in (first, after):
        _wait(job)
    assert ran == [after.id] and first.state == after.state == "done"
    assert ended == [queued, first, after]  # once each
    assert not queue.cancel(queued) and not queue.cancel(first)  # already ended
    assert queued.mask.size == 0
    queue.close()


def test_a_running_job_stops_at_its_next_progress_report():
    queue = FillQueue()
    started, go = threading.Event(), threading.Event()
    reports, ended = [], []

    def slow(job):
        started.set()
        assert go.wait(5)
        for k in range(100):
            job.progress(k / 100, "working")
            reports.append(k)
        return {"finished": True}

    job = queue.submit("a", {}, MASK, slow, ended.append)
    following = queue.submit("a", {}, MASK, lambda job: {"next": True}, ended.append)
    assert started.wait(5)
    assert queue.cancel(job)
    assert job.state == "running" and job.cancel_asked and job.stage == "cancelling"
    go.set()
    _wait(job)
    assert job.state == "cancelled" and job.error is None and job.result is None
    assert reports == [] and job.to_dict()["cancel_asked"]  # stopped at the first report
    _wait(following)  # the worker goes on with the next
    assert following.state == "done" and following.result == {"next": True}
    assert ended == [job, following]
    queue.close()

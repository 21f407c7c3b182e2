"""The fill queue: in order, one fill at a time per panorama, failures kept and survived."""

import threading
import time

import numpy as np

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


def test_jobs_run_in_order_of_arrival():
    queue = FillQueue()
    order = []
    jobs = [queue.submit(f"i{k}", {}, MASK, lambda job: order.append(job.id) or {})
            for k in range(5)]
    for job in jobs:
        _wait(job)
    assert order == [j.id for j in jobs]
    queue.close()

"""Ctrl-C under the Ray engine, against a stand-in for Ray (no Ray needed): what is stopped how."""

from __future__ import annotations

import sys
import types
from types import SimpleNamespace

import pytest

import pano_inpaint
from pano_inpaint.batch import ImageJob
from pano_inpaint.engines import ray_tasks


class _Task:
    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    def options(self, **_) -> _Task:
        return self

    def remote(self, *_) -> object:
        self.calls.append("submit")
        return object()


def _fake_ray(calls: list[str]) -> types.ModuleType:
    """The calls ``RayEngine.run`` makes, recorded; Ctrl-C arrives while it waits."""
    ray = types.ModuleType("ray")
    state = {"up": False}

    def init(**_):
        state["up"] = True
        calls.append("init")

    def wait(*_, **__):
        raise KeyboardInterrupt

    def shutdown():
        state["up"] = False
        calls.append("shutdown")

    ray.is_initialized = lambda: state["up"]
    ray.init = init
    ray.remote = lambda _: _Task(calls)
    ray.get = lambda *_, **__: pano_inpaint.__version__
    ray.nodes = lambda: [{"Alive": True, "Resources": {"memory": 2**40}}]
    ray.cluster_resources = lambda: {"CPU": 2.0}
    ray.put = lambda value: value
    ray.wait = wait
    ray.cancel = lambda *_, **__: calls.append("cancel")
    ray.shutdown = shutdown
    ray.exceptions = SimpleNamespace(RayError=RuntimeError)
    return ray


@pytest.mark.parametrize("address", [None, "ray://head:10001"])
def test_ctrl_c_stops_a_local_ray_by_its_shutdown_and_cancels_a_clusters_tasks(
        tmp_path, monkeypatch, address):
    """A local Ray's tasks are not cancelled: its shutdown stops them (a cancel raced Ray's
    handling of a task finishing just then and aborted the process); a cluster's are cancelled
    (they would run on), and the cluster is left up."""
    calls: list[str] = []
    monkeypatch.setitem(sys.modules, "ray", _fake_ray(calls))
    monkeypatch.setattr(ray_tasks, "remove_temporaries_of_stopped_workers",
                        lambda jobs, within: calls.append(f"clean {len(list(jobs))}"))
    jobs = [ImageJob(i, f"{i}.jpg", str(tmp_path / f"{i}.png"), pixels=1000) for i in range(3)]
    settings = SimpleNamespace(mask=SimpleNamespace(path=None),
                               config=SimpleNamespace(generator=SimpleNamespace(name="ns")))
    with pytest.raises(KeyboardInterrupt):
        ray_tasks.RayEngine(address, None).run(jobs, settings, started=lambda _: None,
                                            finished=lambda *_: None)
    assert calls.count("submit") == 1 + len(jobs)  # the version probe, then the images
    stopped = calls[len(calls) - calls[::-1].index("submit"):]
    if address is None:
        assert stopped == ["shutdown", "clean 3"]
    else:
        assert stopped == ["cancel"] * 3

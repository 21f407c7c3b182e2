"""The three engines (serial, process pool, Ray) fill the same batch into the same bytes; a
corrupt image is recorded as failed and the others are written."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from pano_inpaint import batch as batch_module
from pano_inpaint.cli import main
from pano_inpaint.engines import EngineSpec, check_engine, make_engine
from pano_inpaint.engines.pool import PoolEngine
from pano_inpaint.engines.serial import SerialEngine
from pano_inpaint.exit_codes import EXIT_BATCH_FAILED, EXIT_INPUT, EXIT_INTERRUPTED, EXIT_USAGE
from pano_inpaint.jobs import JobError
from tests.batch_helpers import image_bytes, manifest_records, needs_ray, write_panoramas

COUNT = 4


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batch") / "in"
    write_panoramas(folder, COUNT, corrupt=True)
    return folder


@pytest.fixture(scope="module")
def serial(batch, tmp_path_factory):
    """The reference: the default generator (PatchMatch, numba threads) in this process."""
    out = tmp_path_factory.mktemp("serial") / "out"
    assert main(["inpaint", str(batch), "--nadir", "25", "-o", str(out), "-j", "1",
                 "-q"]) == EXIT_BATCH_FAILED
    return out


def _forbid_fills_in_the_driver(monkeypatch) -> None:
    """Fails any fill made in this (the driver's) process: the pool's and Ray's workers are
    fresh processes that import their own, unpatched, copy of the package."""

    def in_the_driver(source, *args, **kwargs):
        raise AssertionError(f"{source} was filled in the driver, not by a worker")

    monkeypatch.setattr("pano_inpaint.batch.inpaint_file", in_the_driver)


@pytest.fixture
def fills_elsewhere(monkeypatch):
    _forbid_fills_in_the_driver(monkeypatch)


def _check_like_serial(out, serial) -> None:
    written = image_bytes(out)
    assert sorted(written) == [f"p{i:02d}.png" for i in range(COUNT)]
    assert written == image_bytes(serial)
    records = manifest_records(out)
    assert records["broken.png"]["status"] == "failed"
    assert records["broken.png"]["code"] == EXIT_INPUT
    assert "broken.png" in records["broken.png"]["error"]
    assert all(records[name]["status"] == "done" for name in written)


def test_serial_reference_records_the_corrupt_image(batch, serial):
    records = manifest_records(serial)
    assert records["broken.png"]["status"] == "failed"
    assert sum(r["status"] == "done" for r in records.values()) == COUNT
    written, inputs = image_bytes(serial), image_bytes(batch)
    assert all(written[name] != inputs[name] for name in written)  # filled, not copied


def test_process_pool_writes_the_same_bytes_as_serial(batch, serial, tmp_path,
                                                      fills_elsewhere):
    out = tmp_path / "out"
    code = main(["inpaint", str(batch), "--nadir", "25", "-o", str(out), "-j", "2", "-q"])
    assert code == EXIT_BATCH_FAILED
    _check_like_serial(out, serial)


@needs_ray
def test_local_ray_from_urls_writes_the_same_bytes_as_serial(batch, serial, tmp_path,
                                                             fills_elsewhere, monkeypatch):
    """The engine starts a local Ray of 2 CPUs itself (no address), and stops it. Inputs and
    outputs are fsspec URLs (``local://``), as a cluster's object store would be: the tasks
    read and write them themselves."""
    import ray

    init, starts = ray.init, []
    monkeypatch.setattr(ray, "init", lambda *a, **kw: starts.append(kw) or init(*a, **kw))
    out = tmp_path / "out"
    code = main(["inpaint", f"local://{batch}/", "--nadir", "25", "-o", f"local://{out}/",
                 "--engine", "ray", "-j", "2", "-q"])
    assert code == EXIT_BATCH_FAILED
    _check_like_serial(out, serial)
    assert [(kw.get("address"), kw.get("num_cpus")) for kw in starts] == [(None, 2)]
    assert not ray.is_initialized()


@needs_ray
def test_a_stopped_batch_resumes_on_ray_with_only_the_missing_images(batch, serial, tmp_path,
                                                                      monkeypatch):
    """Stopped serially while filling the third panorama, the same command on a local Ray
    fills only the images without a result, in its workers, into the serial run's bytes."""
    out = tmp_path / "out"
    fill = batch_module.fill_image

    def stop_at_p02(job, settings, **kwargs):
        if Path(job.source).name == "p02.png":
            raise KeyboardInterrupt
        return fill(job, settings, **kwargs)

    monkeypatch.setattr("pano_inpaint.engines.serial.fill_image", stop_at_p02)
    command = ["inpaint", str(batch), "--nadir", "25", "-o", str(out), "-q"]
    assert main([*command, "-j", "1"]) == EXIT_INTERRUPTED
    before = manifest_records(out)
    kept = {name for name, r in before.items() if r["status"] == "done"}
    assert kept == {"p00.png", "p01.png"}
    stamps = {name: (out / name).stat().st_mtime_ns for name in kept}

    monkeypatch.undo()
    _forbid_fills_in_the_driver(monkeypatch)
    assert main([*command, "--engine", "ray", "-j", "2"]) == EXIT_BATCH_FAILED
    assert {name: (out / name).stat().st_mtime_ns for name in kept} == stamps
    after = manifest_records(out)
    assert all(after[name]["time"] == before[name]["time"] for name in kept)
    assert {name for name, r in after.items() if r["time"] != before.get(name, {}).get(
        "time")} == {"p02.png", "p03.png", "broken.png"}
    _check_like_serial(out, serial)


def test_engine_choice():
    plenty = make_engine(EngineSpec(jobs=2), generator=None, images=10, locations=["a.jpg"])
    assert isinstance(plenty, PoolEngine) and plenty.workers == 2 and plenty.threads >= 1
    assert isinstance(make_engine(EngineSpec(jobs=4), generator=None, images=1,
                                  locations=["a.jpg"]), SerialEngine)
    # without -j, no more workers than the memory holds fills of the batch's images
    assert isinstance(make_engine(EngineSpec(), generator=None, images=10, locations=["a.jpg"],
                                  task_bytes=2**50), SerialEngine)
    assert make_engine(EngineSpec(jobs=2), generator=None, images=10, locations=["a.jpg"],
                       task_bytes=2**50).workers == 2  # an explicit -j is obeyed
    # memory:// lives in this process: the default falls back to it, an explicit pool is refused
    assert isinstance(make_engine(EngineSpec(), generator=None, images=10,
                                  locations=["memory://a.jpg"]), SerialEngine)
    with pytest.raises(JobError, match="memory://") as info:
        make_engine(EngineSpec(jobs=2), generator=None, images=10,
                    locations=["memory://a.jpg"])
    assert info.value.code == EXIT_USAGE


@pytest.mark.parametrize(("args", "words"), [
    (["--jobs", "0"], "--jobs must be at least 1"),
    (["--engine", "spark"], "--engine must be one of"),
    (["--ray-address", "auto"], "--ray-address needs --engine ray"),
])
def test_bad_engine_options_fail_before_any_work(tmp_path, batch, capsys, args, words):
    out = tmp_path / "out"
    code = main(["inpaint", str(batch), "--nadir", "25", "-o", str(out), *args])
    text = " ".join(capsys.readouterr().err.split())
    assert code == EXIT_USAGE and words in text
    assert not out.exists()


def test_ray_engine_without_ray_is_a_usage_error(monkeypatch, batch, tmp_path, capsys):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(JobError, match=r"pano-inpaint\[ray\]") as info:
        check_engine("ray")
    assert info.value.code == EXIT_USAGE
    out = tmp_path / "out"
    assert main(["inpaint", str(batch), "--nadir", "25", "-o", str(out), "--engine", "ray"]
                ) == EXIT_USAGE
    assert "pip install 'pano-inpaint[ray]'" in capsys.readouterr().err  # not read as markup
    assert not out.exists()

"""Resuming a batch from its manifest: a stopped or killed run is completed by running the same
command again, filling only what is missing; nothing half-written, nothing filled twice."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pano_inpaint import batch as batch_module
from pano_inpaint.cli import main
from pano_inpaint.exit_codes import (
    EXIT_BATCH_FAILED,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OUTPUT,
)
from pano_inpaint.io.locations import Stamp
from pano_inpaint.manifest import MANIFEST_NAME, Record
from pano_inpaint.runner import decide
from tests.batch_helpers import image_bytes, manifest_records, needs_ray, write_panoramas

REPO = Path(__file__).resolve().parents[1]


def _fill(folder, out, *extra) -> int:
    return main(["inpaint", str(folder), "--nadir", "25", "-g", "telea", "-o", str(out), "-q",
                 *map(str, extra)])


@pytest.fixture
def counted(monkeypatch):
    """Counts the images filled in this process (serial engine, ``-j 1``)."""
    filled = []
    fill = batch_module.fill_image

    def counting(job, settings, **kwargs):
        outcome = fill(job, settings, **kwargs)
        filled.append(Path(job.source).name)
        return outcome

    monkeypatch.setattr("pano_inpaint.engines.serial.fill_image", counting)
    return filled


def test_a_stopped_batch_resumes_with_only_the_missing_images(tmp_path, counted, monkeypatch):
    folder, out = tmp_path / "in", tmp_path / "out"
    write_panoramas(folder, 5)
    fill = batch_module.fill_image

    def stop_at_the_third(job, settings, **kwargs):
        if job.index == 2:
            raise KeyboardInterrupt  # Ctrl-C while the third image is being filled
        return fill(job, settings, **kwargs)

    monkeypatch.setattr("pano_inpaint.engines.serial.fill_image", stop_at_the_third)
    assert _fill(folder, out, "-j", 1) == EXIT_INTERRUPTED
    records = manifest_records(out)
    assert [records[f"p0{i}.png"]["status"] for i in range(3)] == ["done", "done",
                                                                     "interrupted"]
    assert sorted(image_bytes(out)) == ["p00.png", "p01.png"]
    first = {name: (out / name).stat().st_mtime_ns for name in ("p00.png", "p01.png")}

    monkeypatch.undo()
    counted_fill = []
    monkeypatch.setattr("pano_inpaint.engines.serial.fill_image",
                        lambda job, settings, **kw: counted_fill.append(job.index)
                        or fill(job, settings, **kw))
    assert _fill(folder, out, "-j", 1) == 0
    assert counted_fill == [2, 3, 4]  # only the missing ones
    assert {name: (out / name).stat().st_mtime_ns for name in first} == first
    assert all(r["status"] == "done" for r in manifest_records(out).values())
    assert len((out / MANIFEST_NAME).read_text().splitlines()) == 5  # one line per input


def test_a_killed_batch_resumes_and_replaces_what_it_was_writing(tmp_path, counted):
    """A run killed outright (no chance to record anything more) leaves ``running`` records,
    maybe with the result already written, and temporary files: the next run fills those
    images again (replacing its own result without --overwrite) and cleans up."""
    folder, out = tmp_path / "in", tmp_path / "out"
    write_panoramas(folder, 4)
    assert _fill(folder, out, "-j", 1) == 0
    assert len(counted) == 4
    records = manifest_records(out)
    lines = (out / MANIFEST_NAME).read_text().splitlines()
    # What a kill leaves: p02 dispatched and written but not recorded done; p03 dispatched
    # with half a temporary file; the last line torn.
    killed = [line for line in lines if json.loads(line)["input"].endswith(("p00.png",
                                                                          "p01.png"))]
    for name in ("p02.png", "p03.png"):
        running = dict(records[name], status="running", output_stamp=None, output_sha256=None)
        killed.append(json.dumps(running))
    (out / "p03.png").unlink()
    (out / ".p03.png.999999999-0badc0de.tmp").write_bytes(b"half an image")
    (out / MANIFEST_NAME).write_text("\n".join(killed) + '\n{"input": "/x", "sta')
    counted.clear()
    assert _fill(folder, out, "-j", 1) == 0
    assert sorted(counted) == ["p02.png", "p03.png"]
    assert not list(out.glob(".*.tmp"))
    assert all(r["status"] == "done" for r in manifest_records(out).values())


def test_resume_checks_the_results_it_skips(tmp_path, counted):
    folder, out = tmp_path / "in", tmp_path / "out"
    write_panoramas(folder, 4)
    assert _fill(folder, out, "-j", 1) == 0
    (out / "p00.png").unlink()  # lost: filled again
    os.utime(out / "p01.png", ns=(1, 1))  # touched, same bytes: still done
    (folder / "p02.png").write_bytes((folder / "p02.png").read_bytes())  # a new input
    counted.clear()
    assert _fill(folder, out, "-j", 1) == 0
    assert sorted(counted) == ["p00.png", "p02.png"]

    (out / "p03.png").write_bytes(b"retouched by hand")  # changed since: not replaced
    counted.clear()
    assert _fill(folder, out, "-j", 1) == EXIT_BATCH_FAILED
    assert counted == [] and (out / "p03.png").read_bytes() == b"retouched by hand"
    assert "changed since" in manifest_records(out)["p03.png"]["error"]
    # Again: still refused. The failed record kept the batch's claim on the file, and this
    # run replaced the retouched result as a failed image's leftover.
    assert _fill(folder, out, "-j", 1) == EXIT_BATCH_FAILED
    assert (out / "p03.png").read_bytes() == b"retouched by hand"
    assert "pass --overwrite" in manifest_records(out)["p03.png"]["error"]
    counted.clear()
    assert _fill(folder, out, "-j", 1, "--overwrite") == 0
    assert counted == ["p03.png"]


def test_other_settings_need_overwrite(tmp_path, counted, capsys):
    folder, out = tmp_path / "in", tmp_path / "out"
    write_panoramas(folder, 2)
    assert _fill(folder, out, "-j", 1) == 0
    before = image_bytes(out)
    code = main(["inpaint", str(folder), "--nadir", "40", "-g", "telea", "-o", str(out),
                 "-q", "-j", "1"])
    assert code == EXIT_OUTPUT and "other settings" in " ".join(capsys.readouterr().err.split())
    assert image_bytes(out) == before
    counted.clear()
    assert main(["inpaint", str(folder), "--nadir", "40", "-g", "telea", "-o", str(out),
                 "-q", "-j", "1", "--overwrite"]) == 0
    assert len(counted) == 2 and image_bytes(out) != before


def test_in_place_batch_is_not_filled_twice(tmp_path, counted):
    folder = tmp_path / "shoot"
    write_panoramas(folder, 3)
    originals = image_bytes(folder)
    assert main(["inpaint", str(folder), "--nadir", "25", "-g", "telea", "--in-place", "-q",
                 "-j", "1"]) == 0
    filled = image_bytes(folder)
    assert all(filled[name] != originals[name] for name in originals)
    assert (folder / MANIFEST_NAME).is_file()
    counted.clear()
    assert main(["inpaint", str(folder), "--nadir", "25", "-g", "telea", "--in-place", "-q",
                 "-j", "1"]) == 0
    assert counted == [] and image_bytes(folder) == filled


def _record(status="done", **fields) -> Record:
    base = {"settings": "s", "input_stamp": "10:1", "output_stamp": "20:2",
            "output_sha256": "ab", "claimed": True}
    return Record("in.jpg", status, "out.jpg", **{**base, **fields})


@pytest.mark.parametrize(("record", "target", "source", "overwrite", "expected"), [
    (None, None, None, False, ("run", True)),  # new: the target is free
    (None, Stamp(5, "x"), None, False, ("run", False)),  # exists: only with --overwrite
    (None, Stamp(5, "x"), None, True, ("run", True)),
    (_record(), Stamp(20, "2"), Stamp(10, "1"), False, ("skip", False)),
    (_record(), None, Stamp(10, "1"), False, ("run", True)),  # result lost
    (_record(), Stamp(20, "2"), Stamp(11, "9"), False, ("run", True)),  # a new input
    (_record(), Stamp(99, "7"), Stamp(10, "1"), False, ("fail", False)),  # retouched
    (_record(), Stamp(99, "7"), Stamp(10, "1"), True, ("run", True)),
    (_record("running"), Stamp(20, "5"), None, False, ("run", True)),  # ours, half done
    (_record("failed", claimed=False), Stamp(20, "5"), None, False, ("run", False)),
    (_record(settings="older"), Stamp(20, "2"), Stamp(10, "1"), True, ("run", True)),
])
def test_decide(record, target, source, overwrite, expected):
    decision = decide(record, settings="s", overwrite=overwrite, in_place=False,
                      target="out.jpg", target_stamp=target, source_stamp=source)
    assert (decision.action, decision.overwrite) == expected


def test_decide_in_place_recognises_a_fill_that_landed():
    running = _record("running", output_stamp=None)
    landed = decide(running, settings="s", overwrite=False, in_place=True, target="in.jpg",
                    target_stamp=Stamp(30, "3"), source_stamp=Stamp(30, "3"))
    assert landed.action == "adopt"
    not_yet = decide(running, settings="s", overwrite=False, in_place=True, target="in.jpg",
                     target_stamp=Stamp(10, "1"), source_stamp=Stamp(10, "1"))
    assert not_yet.action == "run"



@pytest.mark.parametrize(("named", "expected"), [
    ("shots/pano.png", EXIT_INPUT),  # the input, given absolute
    ("link/shots/pano.png", EXIT_INPUT),  # through a link to the same folder
    ("link/masks/pano.png", EXIT_INPUT),  # inside the --mask folder
    ("{tmp}/out/.pano.png.4711-ab.tmp", EXIT_OUTPUT),  # inside the folder given as 'out/'
    ("link/out/pano.png", EXIT_OUTPUT),
    ("elsewhere.png", EXIT_BATCH_FAILED),
    ("memory://shoot/out/b.png", EXIT_OUTPUT),  # a remote one, as given
])
def test_an_os_error_that_stopped_a_run_is_placed_however_its_path_is_spelt(
        tmp_path, monkeypatch, named, expected):
    """What failed is an input, a result or neither, whichever spelling of the same file the
    OSError and the plan hold: the paths were compared as strings, so an input named
    relative to the plan's absolute one (or through a link, or an output folder given with a
    trailing '/') was neither: exit 1, not 3 or 4."""
    from types import SimpleNamespace

    from pano_inpaint.runner import _stopped

    for folder in ("shots", "out", "masks"):
        (tmp_path / folder).mkdir()
    (tmp_path / "link").symlink_to(tmp_path)
    monkeypatch.chdir(tmp_path)
    plan = SimpleNamespace(sources=[str(tmp_path / "shots" / "pano.png")],
                           targets=[str(tmp_path / "out" / "pano.png")], output_folder="out/",
                           mask=SimpleNamespace(path=tmp_path / "masks"))
    if named.startswith("memory://"):
        plan.targets, plan.output_folder = ["memory://shoot/out/a.png"], "memory://shoot/out/"
    exc = OSError(errno.EACCES, "Permission denied", named.format(tmp=tmp_path))
    error = _stopped(plan, exc)
    assert error.code == expected
    assert str(error) == f"the run stopped: {named.format(tmp=tmp_path)}: Permission denied"


def _wait_for(predicate, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _done(out: Path) -> int:
    try:
        return (out / MANIFEST_NAME).read_text().count('"status":"done"')
    except FileNotFoundError:
        return 0


def _signals_as_in_a_shell() -> None:
    """In the child before it runs: Ctrl-C and SIGTERM delivered and handled as from a shell,
    whatever an earlier test left in this process (an ignored or blocked signal is
    inherited, and Python installs no Ctrl-C handler where SIGINT starts ignored)."""
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def _signal_handling(pid: int) -> str:
    """The child's blocked, ignored and caught signal masks, for a failure's message."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return "gone"
    return " ".join(line for line in lines if line.startswith(("SigBlk", "SigIgn", "SigCgt")))


@pytest.mark.parametrize(("stop", "engine"), [
    pytest.param(signal.SIGINT, ["-j", "2"], id="ctrl-c-pool"),
    pytest.param(signal.SIGTERM, ["-j", "1"], id="sigterm-serial",  # a pod stopped
                 marks=pytest.mark.slow),
    pytest.param(signal.SIGINT, ["--engine", "ray", "-j", "2"], id="ctrl-c-ray",
                 marks=[pytest.mark.slow, needs_ray]),
])
def test_ctrl_c_stops_cleanly_and_the_rerun_completes(tmp_path, stop, engine):
    """Ctrl-C (SIGINT; or SIGTERM) to a real ``pano-inpaint`` process in the middle of a
    batch: exit 130, a manifest whose every ``done`` has its complete result, no temporary file
    left, nothing written after the exit; the same command then fills only the rest."""
    folder, out = tmp_path / "in", tmp_path / "out"
    count = 24  # enough that a loaded machine cannot finish them before the signal lands
    write_panoramas(folder, count, height=256)
    command = [sys.executable, "-m", "pano_inpaint", "inpaint", str(folder), "--nadir", "25",
               "-g", "ns", "-o", str(out), "-q", *engine]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, preexec_fn=_signals_as_in_a_shell)
    try:
        assert _wait_for(lambda: _done(out) >= 2, 60), process.communicate(timeout=60)
        handling = _signal_handling(process.pid)
        process.send_signal(stop)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == EXIT_INTERRUPTED, (err.decode(), _done(out), handling)
    assert b"Traceback" not in err and b"interrupted" in err
    records = manifest_records(out)
    done = {name for name, r in records.items() if r["status"] == "done"}
    assert 2 <= len(done) < count
    assert {r["status"] for r in records.values()} <= {"done", "interrupted"}
    written = image_bytes(out)
    assert done <= set(written)
    snapshot = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    time.sleep(1.0)  # no worker left behind goes on writing
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == snapshot
    assert not list(out.glob(".*.tmp"))

    rerun = subprocess.run(command, cwd=REPO, capture_output=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr.decode()
    assert f"{count - len(done)} filled".encode() in rerun.stdout
    assert {name: (out / name).read_bytes() for name in done} == {
        name: written[name] for name in done}
    assert all(r["status"] == "done" for r in manifest_records(out).values())

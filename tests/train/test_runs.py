"""What both trainers share: their checkpoints load as data, never as code."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from pano_inpaint.train.config import load_train_config  # noqa: E402
from pano_inpaint.train.loop import train  # noqa: E402
from pano_inpaint.train.mask_config import load_mask_train_config  # noqa: E402
from pano_inpaint.train.mask_loop import train_mask  # noqa: E402
from tests.conftest import files_under  # noqa: E402

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "train"
TRAINERS = {"net": (train, load_train_config(CONFIGS / "smoke.yaml")),
            "rig mask": (train_mask, load_mask_train_config(CONFIGS / "mask_smoke.yaml"))}


@pytest.mark.parametrize("trainer", TRAINERS)
def test_checkpoint_that_would_run_code_is_refused(trainer: str, data_dir: Path,
                                                   tmp_path: Path) -> None:
    run_training, config = TRAINERS[trainer]
    run = tmp_path / "run"
    run_training(config, [data_dir], run, progress=False, max_steps=1)
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    state = torch.load(run / "checkpoint.pt", weights_only=True)
    state["extra"] = Payload()
    torch.save(state, run / "checkpoint.pt")
    with pytest.raises(ValueError, match="could run code"):
        run_training(config, [data_dir], run, progress=False)
    assert not marker.exists()


@pytest.mark.parametrize("trainer", TRAINERS)
def test_every_file_of_a_run_is_written_whole(trainer: str, data_dir: Path, tmp_path: Path,
                                              written_whole: set[Path]) -> None:
    """config.yaml, log.csv and losses.png were written in place: a Ctrl-C or crash mid-write
    left half a file. (log.csv is made whole, then added to one whole line per write: see
    test_a_last_row_cut_mid_value_is_dropped for a stop mid-line.)"""
    run_training, config = TRAINERS[trainer]
    run = tmp_path / "run"
    run_training(config, [data_dir], run, progress=False, max_steps=2)
    assert {"config.yaml", "log.csv", "losses.png", "checkpoint.pt", "summary.json"} <= {
        path.name for path in files_under(run)}
    assert files_under(run) <= written_whole


def test_a_log_row_cut_short_is_dropped_on_resume(tmp_path: Path) -> None:
    """A log.csv appended to by an older version and killed mid-row: the cut row was kept on
    resume (with empty fields), and a step cut short ('1' of '12') was taken for step 1."""
    from pano_inpaint.train.runs import truncate_log

    log = tmp_path / "log.csv"
    log.write_text("step,loss\n1,0.5\n2,0.4\n3", encoding="utf-8")
    truncate_log(log, 10, ["step", "loss"])
    assert log.read_text(encoding="utf-8").splitlines() == ["step,loss", "1,0.5", "2,0.4"]


@pytest.mark.parametrize(("command", "config"), [("train", "smoke.yaml"),
                                                 ("train-mask", "mask_smoke.yaml")])
def test_a_file_as_the_run_folder_is_an_output_error(command: str, config: str,
                                                     data_dir: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    """--out naming a file ended both trainers in a FileExistsError traceback."""
    from pano_inpaint.cli import main

    taken = tmp_path / "taken"
    taken.write_text("keep")
    code = main([command, "-c", str(CONFIGS / config), "--data", str(data_dir), "--out",
                 str(taken), "--no-progress"])
    assert code == 4 and "taken is a file, not a folder" in capsys.readouterr().err
    assert taken.read_text() == "keep"


@pytest.mark.parametrize("trainer", TRAINERS)
def test_a_failed_start_leaves_no_folder_and_keeps_the_config(trainer: str, data_dir: Path,
                                                              tmp_path: Path) -> None:
    """The run folder and its config.yaml were written before the data was read (no usable
    image left an empty run behind) and before the checkpoint was checked (a foreign one left
    config.yaml describing the refused config, not the folder's checkpoint)."""
    run_training, config = TRAINERS[trainer]
    run = tmp_path / "runs" / "run"
    with pytest.raises(FileNotFoundError):
        run_training(config, [tmp_path / "none"], run, progress=False)
    assert not (tmp_path / "runs").exists()
    run_training(config, [data_dir], run, progress=False, max_steps=1)
    kept = (run / "config.yaml").read_text()
    other = dataclasses.replace(config, seed=config.seed + 1)
    with pytest.raises(ValueError, match="another config"):
        run_training(other, [data_dir], run, progress=False)
    assert (run / "config.yaml").read_text() == kept


def test_a_last_row_cut_mid_value_is_dropped(tmp_path: Path) -> None:
    """The log is added to (the same file, not rewritten). A last line without its newline,
    here with every field and the last one cut ('3,0.2' of '3,0.25', as a stop mid-append can
    leave it), is not read as a row (it was, as if whole), and truncate_log (run on resume)
    drops it, so the next row appended follows the last whole one."""
    from pano_inpaint.train.runs import append_log_row, read_log, truncate_log

    log = tmp_path / "log.csv"
    append_log_row(log, {"step": 1, "loss": 0.4}, ["step", "loss"])
    first = log.stat().st_ino
    append_log_row(log, {"step": 2, "loss": 0.3}, ["step", "loss"])
    assert log.stat().st_ino == first  # added to, not rewritten (O(n²) over a run)
    assert log.read_text(encoding="utf-8") == "step,loss\n1,0.4\n2,0.3\n"
    with open(log, "a", encoding="utf-8") as handle:
        handle.write("3,0.2")  # of '3,0.25\n'
    assert [row["step"] for row in read_log(log)] == ["1", "2"]
    truncate_log(log, 10, ["step", "loss"])
    append_log_row(log, {"step": 3, "loss": 0.25}, ["step", "loss"])
    assert log.read_text(encoding="utf-8") == "step,loss\n1,0.4\n2,0.3\n3,0.25\n"


@pytest.mark.parametrize("trainer", TRAINERS)
def test_a_run_resumes_after_a_log_row_cut_short(trainer: str, data_dir: Path,
                                                 tmp_path: Path) -> None:
    """Killed mid-append after its checkpoint at step 2: the resumed run's log has steps 1-3
    once each, whole."""
    run_training, config = TRAINERS[trainer]
    run = tmp_path / "run"
    run_training(config, [data_dir], run, progress=False, max_steps=2)
    log = run / "log.csv"
    whole = log.read_text(encoding="utf-8")
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(whole.splitlines()[-1][:-1].replace("2,", "3,", 1))
    run_training(config, [data_dir], run, progress=False, max_steps=3)
    lines = log.read_text(encoding="utf-8").splitlines()
    assert lines[:3] == whole.splitlines() and len(lines) == 4
    assert [line.split(",")[0] for line in lines[1:]] == ["1", "2", "3"]


def test_the_log_is_on_disk_before_each_checkpoint(data_dir: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Appended rows are not flushed one by one (each rewrite of the log was): they are
    flushed before every checkpoint, so a power cut cannot leave a checkpoint whose rows the
    resumed log lacks."""
    import os

    run_training, config = TRAINERS["net"]
    synced: list[str] = []
    fsync = os.fsync

    def spy(descriptor: int) -> None:
        synced.append(Path(os.readlink(f"/proc/self/fd/{descriptor}")).name)
        fsync(descriptor)

    monkeypatch.setattr(os, "fsync", spy)
    run_training(config, [data_dir], tmp_path / "run", progress=False, max_steps=3)
    checkpoints = [i for i, name in enumerate(synced) if name.startswith(".checkpoint.pt.")]
    assert len(checkpoints) == 3
    # the first row is the log's first, whole, write (a temporary renamed into place)
    assert any(name.startswith(".log.csv.") for name in synced[:checkpoints[0]])
    for before, at in zip(checkpoints, checkpoints[1:], strict=False):
        assert "log.csv" in synced[before + 1:at]


@pytest.mark.parametrize("command", ["train", "train-mask"])
@pytest.mark.parametrize(("device", "words"), [
    ("gpu7", "'gpu7' is not a torch device"), ("cuda:99", "'cuda:99': this machine has"),
])
def test_a_device_torch_cannot_use_is_a_config_error_before_any_work(
        command: str, device: str, words: str, data_dir: Path, tmp_path: Path, capsys) -> None:
    """``device: gpu7`` in a training config stopped the run at its start with exit 1 (as no
    usable image does); it is refused as ``-g net``'s device is (2), before the folder is made."""
    from pano_inpaint.cli import main
    from pano_inpaint.exit_codes import EXIT_USAGE

    smoke = CONFIGS / ("smoke.yaml" if command == "train" else "mask_smoke.yaml")
    config = tmp_path / "config.yaml"
    config.write_text(smoke.read_text() + f"\ndevice: {device}\n")
    run = tmp_path / "run"
    code = main([command, "-c", str(config), "--data", str(data_dir), "--out", str(run),
                 "--no-progress"])
    err = " ".join(capsys.readouterr().err.split())
    assert code == EXIT_USAGE and err.startswith("error: config:") and words in err
    assert err.count("error:") == 1 and not run.exists()


@pytest.mark.parametrize("command", ["train", "train-mask"])
def test_a_run_folder_that_is_a_data_folder_is_refused(command: str, data_dir: Path,
                                                       tmp_path: Path, capsys) -> None:
    """--out the same folder as --data trained, and on resuming read the run's own
    losses.png as a training photo (summary.json: 'photos': 1, 0 at the start)."""
    from pano_inpaint.cli import main
    from pano_inpaint.exit_codes import EXIT_USAGE

    smoke = CONFIGS / ("smoke.yaml" if command == "train" else "mask_smoke.yaml")
    before = sorted(data_dir.iterdir())
    code = main([command, "-c", str(smoke), "--data", str(data_dir), "--out",
                 str(data_dir / ".." / data_dir.name), "--no-progress"])
    err = " ".join(capsys.readouterr().err.split())
    assert code == EXIT_USAGE and "is a --data folder" in err and err.count("error:") == 1
    assert sorted(data_dir.iterdir()) == before

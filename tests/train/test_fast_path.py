"""Issue 13's data path and step: batches by step from worker processes, bf16 autocast, the
learning curve, the training pack."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from pano_inpaint.train.config import (  # noqa: E402
    TrainConfigError,
    load_train_config,
)
from pano_inpaint.train.data import CubeSampler, find_sources  # noqa: E402
from pano_inpaint.train.loop import CubeStream, _Trainer, batches  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "configs" / "train" / "smoke.yaml"


def test_stages_and_cubes_seen() -> None:
    config = load_train_config(SMOKE)  # 2 steps of 16 px, 1 of 32 px, one cube each
    assert [config.stage_at(s) for s in range(4)] == [(0, 16, 1), (0, 16, 1), (1, 32, 1),
                                                      (1, 32, 1)]
    wide = dataclasses.replace(config, stages=(dataclasses.replace(config.stages[0], batch_size=4),
                                               config.stages[1]))
    assert [wide.cubes_seen(s) for s in range(5)] == [0, 4, 8, 9, 10]


def test_batches_from_workers_are_the_steps_own(data_dir: Path) -> None:
    """Worker processes deliver exactly the batches the loop would draw itself, in step order,
    from any starting step (so a resumed run sees the same stream)."""
    config = dataclasses.replace(load_train_config(SMOKE), workers=2)
    sampler = CubeSampler(find_sources([data_dir], config.data.exclude), config.data)
    cpu = torch.device("cpu")
    inline = list(batches(sampler, dataclasses.replace(config, workers=0), 1, 3, cpu))
    workers = list(batches(sampler, config, 1, 3, cpu))
    assert len(inline) == len(workers) == 2
    assert inline[0][0].shape == (6, 3, 16, 16) and inline[1][0].shape == (6, 3, 32, 32)
    for (a, m), (b, n) in zip(inline, workers, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
        torch.testing.assert_close(m, n, rtol=0, atol=0)
    stream = CubeStream(sampler, config)
    assert not torch.equal(stream[0][0], stream[1][0])  # steps differ


def test_bf16_step_trains_on_the_cpu(data_dir: Path, tmp_path: Path) -> None:
    config = dataclasses.replace(load_train_config(SMOKE), precision="bf16", channels_last=True)
    sampler = CubeSampler(find_sources([data_dir], config.data.exclude), config.data)
    trainer = _Trainer(config, tmp_path, torch.device("cpu"))
    assert trainer.bf16
    before = trainer.model.head.conv.weight.detach().clone()
    image, mask = CubeStream(sampler, config)[0]
    values = trainer.train_step(image, mask)
    assert all(np.isfinite(v) for v in values.values()) and values["l1_hole"] > 0
    assert not torch.equal(before, trainer.model.head.conv.weight)  # the step moved the head


def test_precision_and_workers_are_checked(refuse_config) -> None:
    refuse_config(load_train_config, TrainConfigError, "precision: fp8\n", "precision")
    refuse_config(load_train_config, TrainConfigError, "workers: -1\n", "workers")


def test_learning_curve_is_the_gain_over_the_prior(tmp_path: Path) -> None:
    from pano_inpaint.train.plot import learning_curve, plot_learning_curves

    log = tmp_path / "log.csv"
    log.write_text("step,cubes,loss,val_psnr_hole,val_prior_psnr_hole\n"
                   "25,200,0.1,,\n50,400,0.1,20.5,20.0\n100,800,0.1,19.75,20.0\n")
    assert learning_curve(log) == [(400, 0.5), (800, -0.25)]
    png = plot_learning_curves({"run": log}, tmp_path / "curve.png")
    import cv2

    assert cv2.imread(str(png)).shape == (540, 960, 3)


def test_the_plots_leave_out_a_last_row_a_killed_run_cut_short(tmp_path: Path) -> None:
    """The plots read log.csv with their own reader: the last row of a killed run, cut short
    mid-append ('2' of '20.0'), was drawn as if whole (a 17.5 dB gain, a loss at step 150)."""
    from pano_inpaint.io import read_image
    from pano_inpaint.train.plot import learning_curve, plot_learning_curves, plot_losses

    whole = tmp_path / "whole.csv"
    whole.write_text("step,cubes,loss,val_psnr_hole,val_prior_psnr_hole\n"
                     "50,400,0.1,20.5,20.0\n100,800,0.07,19.75,20.0\n")
    killed = tmp_path / "killed.csv"
    killed.write_text(whole.read_text() + "150,1200,0.05,19.5,2")
    assert learning_curve(killed) == learning_curve(whole) == [(400, 0.5), (800, -0.25)]
    for plot in (plot_losses, lambda log, png: plot_learning_curves({"run": log}, png)):
        drawn = [read_image(plot(log, tmp_path / f"{log.stem}.png")).pixels
                 for log in (whole, killed)]
        assert np.array_equal(*drawn)
    with pytest.raises(FileNotFoundError):
        learning_curve(tmp_path / "missing" / "log.csv")


@pytest.mark.parametrize(("case", "code", "words"), [
    ("no log", 3, "no training log"), ("not UTF-8", 3, "is not a training log"),
    ("--out curve.txt", 2, "--out: cannot tell the image format"),
    ("--out in no folder", 4, "does not exist"), ("good", 0, ""),
])
def test_plot_ends_in_one_line_and_the_readme_exit_code(tmp_path: Path, capsys, case: str,
                                                        code: int, words: str) -> None:
    """``python -m pano_inpaint.train.plot RUN`` with no RUN/log.csv ended in a
    FileNotFoundError traceback (exit 1); a bad or unwritable --out in a traceback too."""
    from pano_inpaint.train.plot import main

    run = tmp_path / "run"
    run.mkdir()
    if case != "no log":
        (run / "log.csv").write_bytes(b"\xff\xfe" if case == "not UTF-8" else
                                      b"step,cubes,val_psnr_hole,val_prior_psnr_hole\n"
                                      b"50,400,20.5,20.0\n")
    out = {"--out curve.txt": tmp_path / "curve.txt",
           "--out in no folder": tmp_path / "none" / "curve.png"}.get(case, tmp_path / "c.png")
    assert main([str(run), "--out", str(out)]) == code
    err = capsys.readouterr().err
    assert (words in err and err.startswith("error: ") and err.count("\n") == 1) if code \
        else err == ""
    assert out.is_file() == (code == 0)


def test_plot_help_names_the_command_and_says_what_it_draws(capsys) -> None:
    """Its --help was 'usage: plot.py' and the docstring's first line, cut mid-sentence
    ('the learning curves of')."""
    from pano_inpaint.train.plot import main

    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert text.startswith("usage: python -m pano_inpaint.train.plot ")
    assert "against cubes seen" in text and "curves of positional" not in text


def test_training_pack_is_a_reduced_data_folder(data_dir: Path, tmp_path: Path) -> None:
    from pano_inpaint.train.pack import make_pack

    evals = tmp_path / "evals"
    evals.mkdir()
    (evals / "truth.png").write_bytes((data_dir / "pano.png").read_bytes())
    counts = make_pack([data_dir], tmp_path / "pack", exclude=("vrview_*",), eval_dir=evals,
                       photo_side=128)
    assert counts["panoramas"] == 1 and counts["photos"] == 1 and counts["eval"] == 1
    sources = find_sources([tmp_path / "pack"])
    photo = next(s for s in sources if not s.panorama)
    assert photo.pixels.shape[:2] == (256, 295)  # 260 x 300 reduced, kept >= 256 px short
    assert (tmp_path / "pack" / "eval" / "truth.png").read_bytes() == (
        data_dir / "pano.png").read_bytes()  # ground truth copied, never re-encoded
    with pytest.raises(ValueError, match="over"):
        make_pack([data_dir], tmp_path / "small", max_bytes=100)
    assert not (tmp_path / "small").exists()

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.synthetic import sphere_function_erp, wavy_rgb


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A tiny training folder: one 64 x 128 panorama, one 300 x 260 photo, one excluded file."""
    folder = tmp_path / "data"
    folder.mkdir()
    pano = sphere_function_erp(64, wavy_rgb, dtype=np.uint8)
    cv2.imwrite(str(folder / "pano.png"), pano[..., ::-1])
    rng = np.random.default_rng(0)
    photo = cv2.GaussianBlur(rng.integers(0, 256, (260, 300, 3), dtype=np.uint8), (0, 0), 2)
    cv2.imwrite(str(folder / "photo.png"), photo)
    cv2.imwrite(str(folder / "vrview_skip.png"), pano[..., ::-1])
    return folder


@pytest.fixture
def train_command(data_dir: Path, tmp_path: Path) -> Callable[[str, Path, str], tuple[Path, list]]:
    """``train_command(command, config, weights)`` runs ``pano-inpaint COMMAND -c CONFIG`` on
    :func:`data_dir` into a new run folder, checks that it succeeded and that the folder holds
    the log, the loss plot, the checkpoint, the summary, the config and ``weights``; returns the
    folder and the log's rows."""
    from pano_inpaint.cli import main

    def run(command: str, config: Path, weights: str) -> tuple[Path, list[dict]]:
        run_dir = tmp_path / "run"
        assert main([command, "-c", str(config), "--data", str(data_dir), "--out",
                     str(run_dir), "--no-progress"]) == 0
        for name in ("log.csv", "losses.png", "checkpoint.pt", weights, "summary.json",
                     "config.yaml"):
            assert (run_dir / name).is_file(), name
        with open(run_dir / "log.csv", newline="", encoding="utf-8") as handle:
            return run_dir, list(csv.DictReader(handle))

    return run


@pytest.fixture
def refuse_config(tmp_path: Path) -> Callable[..., Path]:
    """``refuse_config(load, error, text, match)`` writes ``text`` as a YAML file and checks that
    ``load`` refuses it with ``error`` matching ``match``; returns the file."""

    def refuse(load: Callable, error: type[Exception], text: str, match: str) -> Path:
        path = tmp_path / "bad.yaml"
        path.write_text(text)
        with pytest.raises(error, match=match):
            load(path)
        return path

    return refuse

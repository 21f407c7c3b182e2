from __future__ import annotations

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

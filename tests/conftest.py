from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture
def shared_dir() -> Path:
    if not (SHARED / "panoramas").is_dir():
        pytest.skip("../shared/panoramas not present")
    return SHARED

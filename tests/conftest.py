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


@pytest.fixture
def permissions_enforced(tmp_path) -> None:
    """Skips the test where a file without read permission can still be read: as root, unless
    its capabilities are dropped (capsh --drop=cap_dac_override,cap_dac_read_search -- -c
    'python -m pytest ...' runs these tests as root)."""
    probe = tmp_path / "probe"
    probe.write_bytes(b"")
    probe.chmod(0)
    try:
        probe.read_bytes()
    except PermissionError:
        return
    finally:
        probe.unlink()
    pytest.skip("permissions are not enforced (root, Windows)")


@pytest.fixture
def written_whole(monkeypatch) -> set[Path]:
    """The files written through :func:`pano_inpaint.io.atomic.atomic_write` while the test
    runs (its temporary file renamed into place): a file not among them was written in place,
    and a stop mid-write would leave it half-written."""
    from pano_inpaint.io import atomic

    committed: set[Path] = set()
    commit = atomic._commit

    def spy(tmp: Path, path: Path, overwrite: bool) -> None:
        commit(tmp, path, overwrite)
        committed.add(Path(path).resolve())

    monkeypatch.setattr(atomic, "_commit", spy)
    return committed


def files_under(folder: Path) -> set[Path]:
    """Every file below ``folder``, resolved (to compare with :func:`written_whole`)."""
    return {path.resolve() for path in folder.rglob("*") if path.is_file()}

"""A generator's optional ``prepare()``: run on a thread while the faces are resampled, waited
for before the generator's first fill, its error raised as the fill's."""

from __future__ import annotations

import threading
from typing import ClassVar

import numpy as np
import pytest

from pano_inpaint import cap_mask, inpaint
from pano_inpaint.generators import CubeTiles
from pano_inpaint.pipeline import region_fill
from tests.synthetic import sphere_function_erp, wavy_rgb

H = 64


class _Prepared:
    """Fills holes with the tile's known mean; records what its ``prepare`` saw."""

    name: ClassVar[str] = "test-prepared"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.resampling = threading.Event()  # set by the pipeline's tile building (below)
        self.events: list[str] = []
        self.prepare_thread: int | None = None

    def prepare(self) -> None:
        self.prepare_thread = threading.get_ident()
        # Runs while the pipeline builds the tiles: a prepare called before that (on the
        # pipeline's thread) would wait here in vain.
        self.events.append("overlapped" if self.resampling.wait(10) else "alone")
        if self.fail:
            raise RuntimeError("no kernels here")
        self.events.append("prepared")

    def inpaint(self, tiles: CubeTiles) -> np.ndarray:
        self.events.append("inpaint")
        out = np.array(tiles.values, np.float32)
        for i in range(len(out)):
            out[i][tiles.mask[i]] = out[i][~tiles.mask[i]].mean(axis=0)
        return out


@pytest.fixture
def generator(monkeypatch, request) -> _Prepared:
    gen = _Prepared(fail=getattr(request, "param", False))
    real = region_fill._region_tiles

    def tiles_signalling(*args, **kwargs):
        gen.resampling.set()
        return real(*args, **kwargs)

    monkeypatch.setattr(region_fill, "_region_tiles", tiles_signalling)
    return gen


def _case() -> tuple[np.ndarray, np.ndarray]:
    erp = sphere_function_erp(H, wavy_rgb, dtype=np.uint8)
    return erp, cap_mask(H, 2 * H, 20, -10, 55)


def _preparing_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("prepare-")]


def test_prepare_runs_on_a_thread_during_resampling_and_ends_before_the_fill(generator):
    erp, mask = _case()
    result = inpaint(erp, mask, generator=generator)
    assert generator.events == ["overlapped", "prepared", "inpaint"]
    assert generator.prepare_thread != threading.get_ident()
    assert np.array_equal(result.image[~mask], erp[~mask])
    assert not _preparing_threads()


@pytest.mark.parametrize("generator", [True], indirect=True)
def test_an_error_in_prepare_is_the_fills_error(generator):
    erp, mask = _case()
    with pytest.raises(RuntimeError, match="no kernels here"):
        inpaint(erp, mask, generator=generator)
    assert "inpaint" not in generator.events
    assert not _preparing_threads()


def test_prepare_is_not_started_for_an_empty_mask(generator):
    erp, _ = _case()
    result = inpaint(erp, np.zeros(erp.shape[:2], bool), generator=generator)
    assert generator.events == []
    assert np.array_equal(result.image, erp)


def test_a_failure_before_the_fill_waits_for_prepare(generator, monkeypatch):
    def broken(*args, **kwargs):
        generator.resampling.set()
        raise OSError("disk gone")

    monkeypatch.setattr(region_fill, "_region_tiles", broken)
    erp, mask = _case()
    with pytest.raises(OSError, match="disk gone"):
        inpaint(erp, mask, generator=generator)
    assert generator.events == ["overlapped", "prepared"]  # joined, not left running
    assert not _preparing_threads()

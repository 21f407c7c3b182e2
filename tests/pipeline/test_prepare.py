"""A generator's optional ``prepare()``: run on a thread while the faces are resampled, waited
for before the generator's first fill, its error raised as the fill's."""

from __future__ import annotations

import threading
from typing import ClassVar

import numpy as np
import pytest

from pano_inpaint import cap_mask, inpaint, load_config
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


# At 64 px the coarse cells the planner tests are wide enough that this cap spills out of one
# padded face, and it would be filled face by face (``cube.split_wide``): one region on its faces
# at once is what these tests time.
_ONE_CALL = load_config(overrides=["cube.split_wide=false"])


def _case() -> tuple[np.ndarray, np.ndarray]:
    erp = sphere_function_erp(H, wavy_rgb, dtype=np.uint8)
    return erp, cap_mask(H, 2 * H, 20, -10, 55)


def _preparing_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("prepare-")]


def test_prepare_runs_on_a_thread_during_resampling_and_ends_before_the_fill(generator):
    erp, mask = _case()
    result = inpaint(erp, mask, generator=generator, config=_ONE_CALL)
    assert generator.events == ["overlapped", "prepared", "inpaint"]
    assert generator.prepare_thread != threading.get_ident()
    assert np.array_equal(result.image[~mask], erp[~mask])
    assert not _preparing_threads()


@pytest.mark.parametrize("generator", [True], indirect=True)
def test_an_error_in_prepare_is_the_fills_error(generator):
    erp, mask = _case()
    with pytest.raises(RuntimeError, match="no kernels here"):
        inpaint(erp, mask, generator=generator, config=_ONE_CALL)
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
        inpaint(erp, mask, generator=generator, config=_ONE_CALL)
    assert generator.events == ["overlapped", "prepared"]  # joined, not left running
    assert not _preparing_threads()


class _SearchesEveryFace(_Prepared):
    """Asks for the six faces first thing in every fill (as PatchMatch does)."""

    name: ClassVar[str] = "test-searches-every-face"
    uses_context: ClassVar[bool] = True

    def inpaint(self, tiles: CubeTiles) -> np.ndarray:
        assert tiles.context is not None
        context = tiles.context()
        if self.uses_context:  # built ahead by the pipeline, once
            assert tiles.context() is context
        self.events.append("context")
        return super().inpaint(tiles)


@pytest.mark.parametrize("uses_context", [True, False])
def test_the_six_faces_are_built_while_prepare_runs_for_a_generator_that_uses_them(
        monkeypatch, uses_context):
    gen = _SearchesEveryFace()
    if not uses_context:
        gen.uses_context = False
    real = region_fill._six_face_context

    def context_signalling(*args, **kwargs):
        gen.events.append("faces built")
        gen.resampling.set()  # what prepare() waits for (10 s at most)
        return real(*args, **kwargs)

    monkeypatch.setattr(region_fill, "_six_face_context", context_signalling)
    erp, mask = _case()
    if uses_context:
        result = inpaint(erp, mask, generator=gen, config=_ONE_CALL)
        assert gen.events == ["faces built", "overlapped", "prepared", "context", "inpaint"]
    else:  # built when the generator asks, after the wait: prepare() waits for it in vain
        gen.resampling.wait = lambda timeout: False
        result = inpaint(erp, mask, generator=gen, config=_ONE_CALL)
        assert gen.events == ["alone", "prepared", "faces built", "context", "inpaint"]
    assert np.array_equal(result.image[~mask], erp[~mask])


def test_patchmatch_says_it_uses_the_six_faces():
    from pano_inpaint.generators import get_generator

    assert get_generator("patchmatch").uses_context is True
    # filling each face alone (the ablation) never asks for them: none built for nothing
    assert get_generator("patchmatch", seam_aware=False).uses_context is False


def test_the_built_faces_are_not_kept_by_the_tiles_after_the_fill():
    built = []

    def context() -> CubeTiles:
        built.append(object())
        return built[-1]

    values = np.zeros((1, 8, 8, 3), np.float32)
    mask = np.zeros((1, 8, 8), bool)
    mask[0, 3:5, 3:5] = True
    tiles = CubeTiles(values, mask, (5,), 4, 2, context=context)
    gen = _SearchesEveryFace()
    gen.resampling.set()
    gen.inpaint = lambda tiles: tiles.values if tiles.context() is built[0] else None
    region_fill._generate(gen, tiles, lambda: None)
    assert len(built) == 1 and tiles.context is context

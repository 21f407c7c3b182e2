"""How the PatchMatch kernels are compiled: one signature each, nothing specialised later."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from numba.core.dispatcher import Dispatcher

from pano_inpaint.generators.patchmatch import _compile, _finish_kernels, _kernels, _offset_kernels
from pano_inpaint.pipeline import inpaint
from tests.synthetic import sphere_function_erp


def test_each_kernel_and_subroutine_has_its_one_signature_after_a_fill():
    """A subroutine is compiled once per combination of its call sites' argument types unless
    its signature is fixed (``try_match`` was compiled nine times). Every set is compiled at the
    first call, in one split over the processes (the structure step's kernel was compiled
    alone, later: not by this fill, which does not reach it)."""
    erp = sphere_function_erp(32)
    hole = np.zeros((32, 64), bool)
    hole[26:, :] = True
    inpaint(erp, hole, generator="patchmatch")  # compiles the structure step's kernel too
    for module in (_kernels, _offset_kernels, _finish_kernels):
        dispatchers = {name: value for name, value in vars(module).items()
                       if isinstance(value, Dispatcher)}
        dispatchers.update(module.KERNELS.dispatchers)
        expected = {"try_match", "_cost", "lattice_peel", "search_pass", "_disc_rows"}
        assert expected & set(dispatchers)
        for name, dispatcher in dispatchers.items():
            assert len(dispatcher.signatures) == 1, name
            assert not dispatcher._can_compile, name  # other types cannot compile more


def test_split_balances_estimated_costs():
    groups = _compile._split({"a": 10, "b": 6, "c": 5, "d": 1}, 2)
    assert sorted(map(sorted, groups)) == [["a", "d"], ["b", "c"]]
    assert _compile._split({"a": 1}, 3) == [["a"]]


def test_prepare_loads_every_set_once_from_several_threads(monkeypatch):
    """``PatchMatch.prepare`` (which the pipeline runs on a thread) makes every set ready, and
    threads calling it at once load each set once, under the lock."""
    import threading

    from pano_inpaint.generators.patchmatch import PatchMatch

    PatchMatch().prepare()  # every kernel compiled or read (a no-op if a fill did it before)
    for kernels in _compile._SETS:
        monkeypatch.setattr(kernels, "_ready", False)
    loads: list[int] = []
    real = _compile._compile_sets

    def counting(sets):
        loads.append(len([k for k in sets if not k._ready]))
        real(sets)

    monkeypatch.setattr(_compile, "_compile_sets", counting)
    threads = [threading.Thread(target=PatchMatch().prepare) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(kernels._ready for kernels in _compile._SETS)
    assert loads[0] == len(_compile._SETS) and not any(loads[1:])


def test_openmp_threads_wait_passively_unless_the_user_set_a_policy():
    """The kernels' OpenMP threads must not spin between parallel regions (they took the core
    the fill's helper threads need): the policy is set on import, before OpenMP is loaded;
    a user's own setting stays."""
    code = ("import os\nfrom pano_inpaint.generators.patchmatch import PatchMatch\n"
            "print(os.environ.get('OMP_WAIT_POLICY'))")
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    root = Path(__file__).resolve().parents[2]
    for given, expected in ((None, "PASSIVE"), ("ACTIVE", "ACTIVE")):
        if given is not None:
            env["OMP_WAIT_POLICY"] = given
        run = subprocess.run([sys.executable, "-c", code], env=env, cwd=root,
                             capture_output=True, text=True, check=True)
        assert run.stdout.strip() == expected

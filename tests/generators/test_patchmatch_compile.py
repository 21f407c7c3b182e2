"""How the PatchMatch kernels are compiled: one signature each, nothing specialised later."""

import numpy as np

from pano_inpaint.generators.patchmatch import _compile, _kernels
from pano_inpaint.pipeline import inpaint
from tests.synthetic import sphere_function_erp


def test_each_kernel_has_its_one_signature_after_a_fill():
    erp = sphere_function_erp(32)
    hole = np.zeros((32, 64), bool)
    hole[26:, :] = True
    inpaint(erp, hole, generator="patchmatch")
    for name, dispatcher in _kernels.KERNELS.dispatchers.items():
        assert len(dispatcher.signatures) == 1, name
        assert not dispatcher._can_compile, name  # a call with other types cannot compile more


def test_split_balances_estimated_costs():
    groups = _compile._split({"a": 10, "b": 6, "c": 5, "d": 1}, 2)
    assert sorted(map(sorted, groups)) == [["a", "d"], ["b", "c"]]
    assert _compile._split({"a": 1}, 3) == [["a"]]

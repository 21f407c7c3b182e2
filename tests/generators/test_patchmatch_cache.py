"""numba caches a kernel under its own file's time stamp only: a kernel that calls a subroutine
of another file must not be read back from the cache once that file has changed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_SUBROUTINES = """
from numba import int64
from pano_inpaint.generators.patchmatch._compile import KernelSet
KERNELS = KernelSet(__name__)

@KERNELS.subroutine(int64(int64))
def answer(x):
    return x + {value}
"""

_KERNEL = """
from numba import int64
from pano_inpaint.generators.patchmatch._compile import KernelSet
import subroutines_under_test as subroutines
KERNELS = KernelSet(__name__, requires=(subroutines.KERNELS,))

@KERNELS.add(int64(int64))
def kernel(x):
    return subroutines.answer(x)
"""


def _run(folder: Path) -> int:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(folder), str(REPO)]))
    env.pop("NUMBA_DISABLE_JIT", None)
    done = subprocess.run(
        [sys.executable, "-c", "import kernel_under_test as k; print(k.kernel(1))"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=300, check=True)
    return int(done.stdout.split()[-1])


def test_a_kernel_is_compiled_again_when_a_file_it_calls_into_changes(tmp_path):
    (tmp_path / "subroutines_under_test.py").write_text(textwrap.dedent(
        _SUBROUTINES.format(value=1)))
    (tmp_path / "kernel_under_test.py").write_text(textwrap.dedent(_KERNEL))
    assert _run(tmp_path) == 2
    assert _run(tmp_path) == 2  # from the cache
    assert list((tmp_path / "__pycache__").glob("kernel_under_test.kernel-*.nbi"))
    changed = tmp_path / "subroutines_under_test.py"
    changed.write_text(textwrap.dedent(_SUBROUTINES.format(value=10)))
    stat = changed.stat()
    os.utime(changed, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert _run(tmp_path) == 11

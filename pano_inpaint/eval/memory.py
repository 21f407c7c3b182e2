"""Peak memory of a call, as the operating system saw it: every library's allocations count
(OpenCV, numba, torch, numpy), which ``tracemalloc`` (Python's allocator only) misses.

How (Linux): memory freed earlier but kept by the C allocator is first handed back to the
system (glibc's ``malloc_trim``), since a call reusing it would not show; then writing ``5`` to
``/proc/self/clear_refs`` resets the kernel's record of the process's peak resident set size
(``VmHWM`` in ``/proc/self/status``) to the current one; after the call, ``VmHWM`` minus the
resident size just before it is the most memory the call held resident at once. Caches that
outlive a call (cube sampling maps, numba's compiled code) count only on the call that builds
them. Elsewhere (no ``/proc``): no figure.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TypeVar

__all__ = ["call_with_peak_memory", "peak_memory_supported"]

T = TypeVar("T")

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kib(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", _STATUS.read_text(), re.MULTILINE)
    if match is None:
        raise OSError(f"no {field} in {_STATUS}")
    return int(match.group(1))


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None


def _reset_peak() -> None:
    trim = _malloc_trim()
    if trim is not None:
        trim(0)  # freed memory back to the system, so reusing it counts
    _CLEAR_REFS.write_text("5")


def peak_memory_supported() -> bool:
    """Whether this system lets the process reset and read its peak resident size."""
    try:
        _reset_peak()
        _status_kib("VmHWM")
    except OSError:
        return False
    return True


def call_with_peak_memory(fn: Callable[[], T]) -> tuple[T, float | None]:
    """``fn()`` and the peak resident memory (MiB) it added above the process's resident size
    just before it; None where the system cannot tell (see the module docstring).

    Example:
        >>> import numpy as np
        >>> _, mib = call_with_peak_memory(lambda: np.ones(2**25).sum())  # 256 MiB
        >>> mib is None or mib > 200
        True
    """
    supported = peak_memory_supported()  # resets the peak when it can
    before = _status_kib("VmRSS") if supported else 0
    result = fn()
    if not supported:
        return result, None
    return result, (_status_kib("VmHWM") - before) / 1024

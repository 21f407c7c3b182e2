"""Work spread over OpenCV's thread count, for steps whose time is spent in numpy, OpenCV or
numba code that releases the GIL (the cube maps' arctangents, value conversions, tile levels,
the finish's blurs).

``cv2.setNumThreads`` is the one thread setting the pipeline honours for such steps; each item
is computed as it would be alone, so results never depend on it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import cv2

__all__ = ["thread_count", "thread_map"]

_T = TypeVar("_T")
_R = TypeVar("_R")


def thread_count(items: int | None = None) -> int:
    """OpenCV's thread count, at most the CPUs (and ``items``, if given); at least 1.

    Example:
        >>> thread_count(1)
        1
    """
    threads = min(cv2.getNumThreads(), os.cpu_count() or 1)
    return max(1, threads if items is None else min(threads, items))


def thread_map(work: Callable[[_T], _R], items: Iterable[_T]) -> list[_R]:
    """``[work(item) for item in items]``, on :func:`thread_count` threads (in order on this
    thread when that is 1).

    Example:
        >>> thread_map(abs, [-1, 2, -3])
        [1, 2, 3]
    """
    items = list(items)
    threads = thread_count(len(items))
    if threads < 2:
        return [work(item) for item in items]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(work, items))

"""Keep each worker to its share of the cores: N workers, each with the default of one thread
per core in numba, OpenCV and torch, would run N x cores threads that preempt each other."""

from __future__ import annotations

import os
import sys

__all__ = ["limit_threads"]

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def limit_threads(threads: int) -> None:
    """Use at most ``threads`` threads in this process's numeric libraries.

    Libraries already imported are told directly; torch and BLAS, if imported later, read the
    environment variables set here when they load.
    """
    threads = max(1, int(threads))
    for name in _THREAD_VARIABLES:
        os.environ[name] = str(threads)
    if "numba" in sys.modules:
        import numba

        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    else:
        os.environ["NUMBA_NUM_THREADS"] = str(threads)
    if "cv2" in sys.modules:
        import cv2

        cv2.setNumThreads(threads)
    if "torch" in sys.modules:
        import torch

        torch.set_num_threads(threads)

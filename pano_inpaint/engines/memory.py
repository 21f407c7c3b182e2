"""How much memory filling one image takes, from its size: what a Ray task declares so that a
node never runs more fills at once than its memory holds (and what caps the default number of
local workers).

Peak resident memory of a worker that fills an image (the whole process: Python, numpy,
OpenCV, numba and, for the network, torch), measured by ``benchmarks/bench_batch.py --cost`` on
2048x1024, 4096x2048 and 8192x4096 panoramas with a 25-degree nadir cap and fitted as a base
plus a cost per megapixel (patchmatch: 477, 945 and 3074 MB; fit 278 MB + 83 MB/Mpx), then
given a quarter more for larger holes and other content.
"""

from __future__ import annotations

__all__ = ["task_memory_bytes"]

_MB = 1 << 20

# generator -> (base MB, MB per megapixel), rounded up from the fits
_MEMORY_MODEL = {
    "patchmatch": (280, 85),
    "telea": (80, 30),
    "ns": (80, 30),
    "mean": (80, 30),
    "net": (480, 85),
}
_UNKNOWN = (500, 90)  # a generator not measured here (net+patchmatch...): above every fit
_MARGIN = 1.25


def task_memory_bytes(pixels: int, generator: str) -> int:
    """Bytes to reserve for filling an image of ``pixels`` pixels with ``generator``.

    Example:
        >>> round(task_memory_bytes(8192 * 4096, "patchmatch") / 2**30, 2)  # measured: 3.00
        3.82
    """
    base, per_megapixel = _MEMORY_MODEL.get(generator, _UNKNOWN)
    return int(_MARGIN * (base + per_megapixel * pixels / 1e6) * _MB)

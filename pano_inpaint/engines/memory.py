"""How much memory filling one image takes, from its size: what a Ray task declares so that a
node never runs more fills at once than its memory holds.

Peak resident memory of one fill (the whole worker process: Python, numpy, OpenCV, numba and,
for the network, torch), measured with ``benchmarks/bench_batch.py --memory`` on 2048x1024,
4096x2048 and 8192x4096 panoramas with a 25-degree nadir cap, fitted as a base plus a cost per
megapixel, then rounded up by a quarter for larger holes and other images.
"""

from __future__ import annotations

__all__ = ["task_memory_bytes"]

_MB = 1 << 20

# generator -> (base MB, MB per megapixel)
_MEMORY_MODEL = {
    "patchmatch": (300, 90),
    "telea": (120, 30),
    "ns": (120, 30),
    "mean": (120, 30),
    "net": (700, 110),
    "net+patchmatch": (700, 120),
}
_UNKNOWN = (700, 120)  # a generator not measured here: the heaviest figures
_MARGIN = 1.25


def task_memory_bytes(pixels: int, generator: str) -> int:
    """Bytes to reserve for filling an image of ``pixels`` pixels with ``generator``.

    Example:
        >>> round(task_memory_bytes(8192 * 4096, "patchmatch") / 2**30, 1)
        4.0
    """
    base, per_megapixel = _MEMORY_MODEL.get(generator, _UNKNOWN)
    return int(_MARGIN * (base + per_megapixel * pixels / 1e6) * _MB)

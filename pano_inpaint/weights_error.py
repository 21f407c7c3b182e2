"""The error of a weights file that cannot be used, kept free of torch so that the batch can
catch it (and say what to give) without importing torch; :mod:`pano_inpaint.weights_file`,
which reads the files, re-exports it.
"""

from __future__ import annotations

__all__ = ["WeightsError"]


class WeightsError(RuntimeError):
    """A weights file that is missing, corrupt or not of the expected network."""

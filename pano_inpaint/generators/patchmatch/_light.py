"""What a change of light explains of a correction to a fill's colours.

A light makes a surface brighter or darker without changing its hue (the balance of its colour
channels); a correction that turns the hue brings a piece of something else. Three steps weigh a
correction so: the stripes' light (``_stripes.stripes_light``: the plain search's coarse band
taken only where it keeps the planks' hue), the layout stitch of the coarsest onion peel
(``generator._light_share``: only what a light explains is stitched out) and the stitch of a
pattern's copies (``_finish``: its turn of their colour balance is limited).
"""

from __future__ import annotations

import numpy as np

__all__ = ["LOG_FLOOR", "fading", "hue_change", "limit_hue_turn", "log_change"]

LOG_FLOOR = 0.02  # added to display-referred values before their log (dark pixels' noise)


def log_change(base: np.ndarray, change: np.ndarray) -> np.ndarray:
    """``(..., C)`` the log ratio, per channel, of ``base + change`` to ``base`` (both
    ``(..., C)`` display-referred, ``LOG_FLOOR`` added to each, ``base + change`` floored at
    0)."""
    return np.log((np.maximum(base + change, 0.0) + LOG_FLOOR) / (base + LOG_FLOOR))


def hue_change(ratio: np.ndarray) -> np.ndarray:
    """``(...)`` how far a per-channel log ratio ``ratio`` ``(..., C)`` turns the hue: the
    length of its part that is not the same in every channel."""
    return np.sqrt(((ratio - ratio.mean(axis=-1, keepdims=True)) ** 2).sum(axis=-1))


def fading(value: np.ndarray, full: float, none: float) -> np.ndarray:
    """A weight of ``value``: 1 up to ``full``, 0 from ``none``, linear between."""
    return np.clip((none - value) / (none - full), 0.0, 1.0)


def limit_hue_turn(change: np.ndarray, limit: float) -> np.ndarray:
    """``change`` ``(..., C)`` (an additive correction) with its part that is not the same in
    the three colour channels scaled down to a norm of at most ``limit``; what all three share
    (brighter or darker) and a fourth (alpha) channel are kept. Fewer than three channels
    (grey): unchanged."""
    if change.shape[-1] < 3:
        return change
    colour = change[..., :3]
    grey = colour.mean(axis=-1, keepdims=True)
    norm = hue_change(colour)[..., None]
    out = change.copy()
    out[..., :3] = grey + (colour - grey) * np.minimum(1.0, limit / np.maximum(norm, 1e-12))
    return out

"""Range checks of the training configs' numbers, shared by ``train`` and ``train-mask``: a
value out of range is a config error (exit 2) named by its key, before torch loads.

Found by running both trainers with each number of their smoke configs set to 0, -1 and
``.nan``: ``log_every: 0`` was a ZeroDivisionError traceback, ``seed: -1`` and ``optim.lr: -1``
exit 1 (numpy's and torch's own words), and a NaN loss weight or ``optim.grad_clip: -1``
(gradients turned round) trained without a word.
"""

from __future__ import annotations

import math

__all__ = ["check_at_least", "check_run_numbers", "check_share", "check_weight"]


def check_at_least(value: float, low: float, key: str, error: type[ValueError]) -> None:
    """``value`` is a finite number ``>= low``, else ``error`` naming ``key``."""
    if not (math.isfinite(value) and value >= low):
        raise error(f"{key} must be >= {low:g}, got {value}")


def check_weight(value: float, key: str, error: type[ValueError]) -> None:
    """A loss weight: finite and ``>= 0`` (0 leaves the term out)."""
    check_at_least(value, 0, key, error)


def check_share(value: float, key: str, error: type[ValueError]) -> None:
    """A probability or share: in ``[0, 1]``."""
    if not 0 <= value <= 1:  # NaN too
        raise error(f"{key} must be in [0, 1], got {value}")


def check_run_numbers(config, error: type[ValueError]) -> None:
    """The numbers both training configs have: the seed, the schedule and the optimiser."""
    check_at_least(config.seed, 0, "seed", error)  # numpy's seeds are not negative
    check_at_least(config.log_every, 1, "log_every", error)
    check_at_least(config.checkpoint_every, 1, "checkpoint_every", error)
    check_at_least(config.validate_every, 0, "validate_every", error)  # 0 = never
    optim = config.optim
    if not (math.isfinite(optim.lr) and optim.lr > 0):
        raise error(f"optim.lr must be > 0, got {optim.lr}")
    check_at_least(optim.weight_decay, 0, "optim.weight_decay", error)
    check_at_least(optim.warmup_steps, 0, "optim.warmup_steps", error)
    check_share(optim.final_lr_fraction, "optim.final_lr_fraction", error)
    check_at_least(optim.grad_clip, 0, "optim.grad_clip", error)  # 0 = no clipping

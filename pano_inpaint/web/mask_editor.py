"""The hole mask of one open panorama, edited stroke by stroke, with undo and redo.

Every edit records the rows it may change (bit-packed) before changing them, so undoing a dab
on a 16K mask restores a few rows, not 134 million booleans. Pole caps set from the slider
replace the previous cap when nothing was painted in between, so dragging the slider does not
fill the history.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pano_inpaint.masks import mask_fraction, nadir_mask, zenith_mask
from pano_inpaint.web.painting import StrokeBlock

__all__ = ["MaskEditor", "MaskState"]

_MAX_HISTORY = 100


@dataclass(frozen=True)
class _Edit:
    kind: str  # "stroke", "erase", "nadir", "zenith", "load", "clear"
    rows: slice
    packed: np.ndarray  # np.packbits of the rows before (undo) or after (redo) the edit
    degrees: float = 0.0  # for caps: the cap this edit applied


@dataclass(frozen=True)
class MaskState:
    """What the page shows about the mask after an edit."""

    version: int
    hole_pixels: int
    hole_fraction: float  # share of the sphere
    can_undo: bool
    can_redo: bool
    nadir_degrees: float
    zenith_degrees: float

    def to_dict(self) -> dict:
        return dict(self.__dict__)


class MaskEditor:
    """A ``(H, W)`` bool mask (True = hole) with an edit history. Thread-safe."""

    def __init__(self, height: int, width: int) -> None:
        self.height, self.width = height, width
        self._mask = np.zeros((height, width), bool)
        self._undo: list[_Edit] = []
        self._redo: list[_Edit] = []
        self._version = 0
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ reading

    def snapshot(self) -> np.ndarray:
        """A copy of the mask (a fill works on this while painting goes on)."""
        with self._lock:
            return self._mask.copy()

    def state(self) -> MaskState:
        with self._lock:
            return self._state()

    def _state(self) -> MaskState:
        rows = np.flatnonzero(self._mask.any(axis=1))
        pixels = int(np.count_nonzero(self._mask[rows])) if rows.size else 0
        return MaskState(
            self._version, pixels, mask_fraction(self._mask) if pixels else 0.0,
            bool(self._undo), bool(self._redo), self._cap("nadir"), self._cap("zenith"),
        )

    def _cap(self, pole: str) -> float:
        """The cap the slider shows: the last edit's, if the last edit set this pole's cap."""
        last = self._undo[-1] if self._undo else None
        return last.degrees if last is not None and last.kind == pole else 0.0

    # ------------------------------------------------------------------ editing

    def _record(self, kind: str, rows: slice, change: Callable[[np.ndarray], None],
                degrees: float = 0.0) -> None:
        before = np.packbits(self._mask[rows], axis=None)
        change(self._mask)
        self._undo.append(_Edit(kind, rows, before, degrees))
        del self._undo[:-_MAX_HISTORY]
        self._redo.clear()
        self._version += 1

    def paint(self, blocks: list[StrokeBlock], *, erase: bool = False) -> MaskState:
        """Add (or with ``erase``, remove) the pixels a stroke covers."""
        with self._lock:
            if blocks:
                rows = slice(min(b.rows.start for b in blocks), max(b.rows.stop for b in blocks))

                def change(mask: np.ndarray) -> None:
                    for b in blocks:
                        view = mask[b.rows, b.cols]
                        if erase:
                            view &= ~b.covered
                        else:
                            view |= b.covered
                        mask[b.rows, b.cols] = view

                self._record("erase" if erase else "stroke", rows, change)
            return self._state()

    def set_cap(self, pole: str, degrees: float) -> MaskState:
        """Add a cap of ``degrees`` around the nadir or zenith (0 removes the slider's cap).

        A cap right after a cap of the same pole replaces it (the slider is being dragged)."""
        if pole not in ("nadir", "zenith"):
            raise ValueError(f"pole must be 'nadir' or 'zenith', got {pole!r}")
        cap = (nadir_mask if pole == "nadir" else zenith_mask)(self.height, self.width, degrees)
        with self._lock:
            if self._undo and self._undo[-1].kind == pole:
                self._undo_locked()
                self._redo.clear()
            if degrees > 0:
                hit = np.flatnonzero(cap.any(axis=1))
                rows = slice(int(hit[0]), int(hit[-1]) + 1) if hit.size else slice(0, 0)

                def change(mask: np.ndarray) -> None:
                    mask[rows] |= cap[rows]

                self._record(pole, rows, change, float(degrees))
            return self._state()

    def replace(self, mask: np.ndarray, kind: str = "load") -> MaskState:
        """Replace the whole mask (a loaded mask file, or ``kind="clear"`` with zeros)."""
        if mask.shape != (self.height, self.width):
            raise ValueError(f"mask is {mask.shape[1]}x{mask.shape[0]}, the panorama "
                             f"{self.width}x{self.height}")
        with self._lock:
            self._record(kind, slice(0, self.height),
                         lambda m: np.copyto(m, mask.astype(bool, copy=False)))
            return self._state()

    def clear(self) -> MaskState:
        return self.replace(np.zeros((self.height, self.width), bool), "clear")

    # ------------------------------------------------------------------ history

    def _swap(self, edit: _Edit) -> _Edit:
        """Put ``edit``'s rows back; return the edit that puts the current rows back."""
        rows = self._mask[edit.rows]
        current = np.packbits(rows, axis=None)
        rows[...] = np.unpackbits(edit.packed, count=rows.size).reshape(rows.shape).view(bool)
        self._version += 1
        return _Edit(edit.kind, edit.rows, current, edit.degrees)

    def _undo_locked(self) -> None:
        self._redo.append(self._swap(self._undo.pop()))

    def undo(self) -> MaskState:
        with self._lock:
            if self._undo:
                self._undo_locked()
            return self._state()

    def redo(self) -> MaskState:
        with self._lock:
            if self._redo:
                self._undo.append(self._swap(self._redo.pop()))
            return self._state()

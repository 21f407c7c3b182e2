"""Cubemap layouts: six faces <-> one image (dice cross, horizontal strip, vertical strip).

Convention: faces are in ``FACE_ORDER`` ("FRBLUD") with the orientation of
:mod:`pano_inpaint.geometry.conventions`; the dice cross places them as py360convert does::

         U
      L  F  R  B
         D

Every ``cube_to_<layout>`` has its inverse ``<layout>_to_cube``; round trips are exact.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "LAYOUTS",
    "cube_to_dice",
    "cube_to_horizon",
    "cube_to_layout",
    "cube_to_vertical",
    "dice_to_cube",
    "horizon_to_cube",
    "layout_to_cube",
    "vertical_to_cube",
]

LAYOUTS = ("dice", "horizon", "vertical")
# (column, row) of each face in the 4 x 3 dice cross, in FACE_ORDER.
_DICE_CELLS = ((1, 1), (2, 1), (3, 1), (0, 1), (1, 0), (1, 2))


def _check_faces(faces: np.ndarray) -> int:
    if faces.ndim not in (3, 4) or faces.shape[0] != 6 or faces.shape[1] != faces.shape[2]:
        raise ValueError(f"faces must have shape (6, S, S[, C]), got {faces.shape}")
    return faces.shape[1]


def cube_to_dice(faces: np.ndarray, fill: float = 0) -> np.ndarray:
    """``(6, S, S[, C])`` -> ``(3S, 4S[, C])`` cross; cells without a face hold ``fill``.

    Example:
        >>> cube_to_dice(np.zeros((6, 2, 2))).shape
        (6, 8)
    """
    size = _check_faces(faces)
    out = np.full((3 * size, 4 * size, *faces.shape[3:]), fill, dtype=faces.dtype)
    for face, (col, row) in zip(faces, _DICE_CELLS, strict=True):
        out[row * size : (row + 1) * size, col * size : (col + 1) * size] = face
    return out


def dice_to_cube(dice: np.ndarray) -> np.ndarray:
    """Inverse of ``cube_to_dice``: ``(3S, 4S[, C])`` -> ``(6, S, S[, C])``."""
    size = dice.shape[0] // 3
    if dice.shape[0] != 3 * size or dice.shape[1] != 4 * size or size == 0:
        raise ValueError(f"a dice cross is 4 faces wide and 3 high, got {dice.shape[1]}x"
                         f"{dice.shape[0]}")
    return np.stack([dice[r * size : (r + 1) * size, c * size : (c + 1) * size]
                     for c, r in _DICE_CELLS])


def cube_to_horizon(faces: np.ndarray) -> np.ndarray:
    """``(6, S, S[, C])`` -> ``(S, 6S[, C])``, faces left to right in ``FACE_ORDER``."""
    _check_faces(faces)
    return np.concatenate(list(faces), axis=1)


def horizon_to_cube(strip: np.ndarray) -> np.ndarray:
    """Inverse of ``cube_to_horizon``."""
    size = strip.shape[0]
    if strip.shape[1] != 6 * size or size == 0:
        raise ValueError(f"a horizontal strip is 6 faces wide, got {strip.shape[1]}x{size}")
    return np.stack(np.split(strip, 6, axis=1))


def cube_to_vertical(faces: np.ndarray) -> np.ndarray:
    """``(6, S, S[, C])`` -> ``(6S, S[, C])``, faces top to bottom in ``FACE_ORDER``."""
    _check_faces(faces)
    return np.concatenate(list(faces), axis=0)


def vertical_to_cube(strip: np.ndarray) -> np.ndarray:
    """Inverse of ``cube_to_vertical``."""
    size = strip.shape[1]
    if strip.shape[0] != 6 * size or size == 0:
        raise ValueError(f"a vertical strip is 6 faces high, got {size}x{strip.shape[0]}")
    return np.stack(np.split(strip, 6, axis=0))


_TO = {"dice": cube_to_dice, "horizon": cube_to_horizon, "vertical": cube_to_vertical}
_FROM = {"dice": dice_to_cube, "horizon": horizon_to_cube, "vertical": vertical_to_cube}


def cube_to_layout(faces: np.ndarray, layout: str) -> np.ndarray:
    """Faces in one of ``LAYOUTS``."""
    if layout not in _TO:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    return _TO[layout](faces)


def layout_to_cube(image: np.ndarray, layout: str | None = None) -> np.ndarray:
    """Six faces from a layout image; ``layout=None`` guesses it from the aspect ratio.

    Example:
        >>> layout_to_cube(np.zeros((2, 12))).shape
        (6, 2, 2)
    """
    if layout is None:
        h, w = image.shape[:2]
        guesses = {(3, 4): "dice", (1, 6): "horizon", (6, 1): "vertical"}
        ratio = next((k for k in guesses if h * k[1] == w * k[0]), None)
        if ratio is None:
            raise ValueError(
                f"cannot tell the cubemap layout of a {w}x{h} image: expected 4:3 (dice), "
                "6:1 (horizontal strip) or 1:6 (vertical strip)"
            )
        layout = guesses[ratio]
    if layout not in _FROM:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    return _FROM[layout](image)

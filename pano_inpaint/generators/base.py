"""What every generator sees and returns: one Protocol and the tiles it works on.

A generator only fills holes in a batch of cube-padded faces (the pipeline owns the panorama,
the cube conversion, padding, blending and compositing). Each tile is a face with ``pad`` pixels
of context taken from its neighbours, so a fill that reaches a face edge can see across it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, Protocol, runtime_checkable

import numpy as np

from pano_inpaint.geometry.padding import repad_cube_faces

__all__ = ["CubeTiles", "Generator", "GeneratorInfo", "padding_of"]


def _identity(x: np.ndarray) -> np.ndarray:
    return x


@dataclass
class CubeTiles:
    """A batch of cube-padded faces with holes, as handed to ``Generator.inpaint``.

    Attributes:
        image: ``(N, P, P, C)`` float32 in ``[0, 1]``: the display-referred view of the tiles
            (a tone-mapped proxy for HDR input). Hole pixels hold no information (zeros).
        mask: ``(N, P, P)`` bool, True = hole.
        face_ids: face index (``FACE_ORDER``) of each tile; faces are distinct.
        face_size: ``S``; ``P = S + 2 * pad``.
        pad: cube padding in pixels.
        values: ``(N, P, P, C)`` float32, the tiles in the output's value domain (linear and
            unbounded for HDR). The same array as ``image`` for display-referred input.
        to_values: maps a filled ``image`` (proxy) to the value domain; identity for LDR.
        progress: optional callback taking the fraction of work done, in ``[0, 1]``.
        source_dtype: dtype of the panorama the tiles come from; a generator may work at that
            precision (8-bit input needs no more than 8-bit arithmetic).
        context: optional callable returning all six faces of the same cube (same pad and
            rotation) as a ``CubeTiles`` with ``face_ids == (0, ..., 5)``, holes marked in its
            mask. Built lazily (it costs a full cube conversion): generators that search for
            source texture on every face (PatchMatch) call it; others ignore it.
        reconciled: a generator sets this to True when it has made its filled tiles agree on
            their overlaps itself (:func:`pano_inpaint.pipeline.reconcile_tiles`, then re-padded);
            the pipeline then skips its own reconciliation of this batch, which would blend the
            overlaps a second time.
        notes: what a generator wants the user to know about this fill (a step it skipped, and
            why); the pipeline adds them to the region's report and the consistency report.
        up: the panorama's up direction (towards the zenith) in the frame of the cube the
            tiles were cut from (``FACE_CENTER`` axes; the cube may be rotated to centre a
            hole), unit length; None: unknown (tiles not cut from a levelled panorama).
    """

    image: np.ndarray
    mask: np.ndarray
    face_ids: tuple[int, ...]
    face_size: int
    pad: int
    values: np.ndarray | None = None
    to_values: Callable[[np.ndarray], np.ndarray] = _identity
    progress: Callable[[float], None] | None = field(default=None, repr=False)
    source_dtype: np.dtype = field(default_factory=lambda: np.dtype(np.float32))
    context: Callable[[], CubeTiles] | None = field(default=None, repr=False)
    reconciled: bool = False
    notes: list[str] = field(default_factory=list)
    up: tuple[float, float, float] | None = None

    def __post_init__(self) -> None:
        n, p1, p2 = self.mask.shape
        if self.image.shape[:3] != (n, p1, p2) or p1 != p2 or p1 != self.face_size + 2 * self.pad:
            raise ValueError(
                f"tiles {self.image.shape} / mask {self.mask.shape} do not match "
                f"face_size={self.face_size}, pad={self.pad}"
            )
        if len(self.face_ids) != n:
            raise ValueError(f"{n} tiles but {len(self.face_ids)} face ids")
        if self.values is None:
            self.values = self.image

    @property
    def core(self) -> tuple[slice, slice]:
        """Index of the unpadded face inside a tile: ``tile[core]`` is ``(S, S, ...)``."""
        return (slice(self.pad, self.pad + self.face_size),) * 2

    def repad(self, tiles: np.ndarray) -> np.ndarray:
        """Refresh, in place, the borders of ``tiles`` (``(N, P, P, C)``) from each other's cores,
        so faces that share an edge agree on it. Borders looking into faces outside the batch
        keep their (known) content."""
        return repad_cube_faces(tiles, self.face_ids, self.pad)

    def report(self, fraction: float) -> None:
        if self.progress is not None:
            self.progress(min(max(fraction, 0.0), 1.0))


@dataclass(frozen=True)
class GeneratorInfo:
    """What the registry knows about a generator without building it."""

    name: str
    summary: str
    needs_torch: bool = False


# A hole covering this share of a face's core or more (a nadir cap of 50 degrees: 0.95; of 45:
# 0.79) leaves its tile knowing a ring of the padding and the face's corners only.
COVERED_FACE = 0.9


def padding_of(face_size: int, fraction: float) -> int:
    """The cube padding (px) a generator's ``pad_fraction`` asks for on faces of ``face_size``:
    that share of the face, at least 4 px and at most the face. The pipeline pads by it on
    ``cube.pad: auto``; a generator given wider tiles (``covered_face_pad_fraction``) cuts them
    back to it."""
    return min(max(4, int(round(face_size * fraction))), face_size)


@runtime_checkable
class Generator(Protocol):
    """Fills the holes of a batch of cube-padded tiles.

    ``inpaint`` returns ``(N, P, P, C)`` float32 in the value domain of ``tiles.values``. Pixels
    outside ``tiles.mask`` may hold anything: the pipeline keeps the known pixels itself.

    Optional class attributes the pipeline reads: ``pad_fraction`` (cube padding as a share of
    the face size, default 1/8), ``covered_face_pad_fraction`` (the padding, as that share, of
    a region that covers :data:`COVERED_FACE` of its face or more; default ``pad_fraction``),
    ``interpolation`` (resampling to and from the cube when the
    config says ``auto``, default ``"bilinear"``), ``write_interpolation`` (the way back alone,
    default ``interpolation``) and ``uses_context`` (True: every fill calls
    ``tiles.context()``, so the pipeline may build it before the fill; default False; it may be
    a property, when that depends on the generator's parameters).

    Optional method: ``prepare()``, loading what the generator needs before its first
    ``inpaint`` (compiled kernels, weights). The pipeline calls it on a background thread as soon
    as it has the generator and a hole to fill, and waits for it before the first ``inpaint``
    call; an exception it raises is raised there, as the fill's error. It must be safe to call
    again (every fill calls it) and from several threads at once.
    """

    name: ClassVar[str]

    def inpaint(self, tiles: CubeTiles) -> np.ndarray: ...

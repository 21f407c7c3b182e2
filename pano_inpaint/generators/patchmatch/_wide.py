"""A tile's lattice looked for on a wider view of its face, where the tile sees too little.

Under a cap wider than the face (a 50-degree nadir cap: the down face is all hole) the tile
knows only a ring of its padding, at 2048 px about 20 px wide: too few pixels known at both
ends of a tile's step for its dips to stand out (the hall's tiles: no shift above 0.21, against
0.3 needed). The same gnomonic view widened (a padding half as wide again) holds a ring of about
40 px more, on the same scale: a floor's lattice is the same shift there (the hall: 0.40 and 0.34
one tile each way). Only a lattice of two directions is taken from it.
The view is made from the six faces' cores, reduced to about :data:`_WORK_FACE` px (the search
runs on at most 512 px anyway), and each shift found on a reduced view is refined on the tile
itself, whole pixel by whole pixel from the reduced scale, then to a fraction of a pixel (a view
at the tile's own scale keeps its own measure).
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from pano_inpaint.generators.base import COVERED_FACE
from pano_inpaint.generators.patchmatch._offsets import (
    Lattice,
    find_lattice,
    not_parallel,
    refine_on_long_steps,
    refine_shift,
)
from pano_inpaint.geometry.padding import pad_cube_faces

__all__ = ["thin_ring", "wider_lattice"]

_WORK_FACE = 384  # faces larger than this are reduced by whole factors first
_WIDER = 1.5  # the wider view's padding, in units of the tile's own


def thin_ring(hole: np.ndarray, pad: int) -> bool:
    """Whether ``hole`` (``(P, P)`` bool, a tile padded by ``pad``) covers nearly all of the
    tile's face (``COVERED_FACE``): what it knows is a ring of its padding and the face's
    corners."""
    return bool(pad) and float(hole[pad:-pad, pad:-pad].mean()) >= COVERED_FACE


def wider_lattice(bank_image: np.ndarray, bank_hole: np.ndarray,
                  bank_face_ids: tuple[int, ...], face: int, face_size: int, pad: int,
                  image: np.ndarray, known: np.ndarray, *, min_strength: float
                  ) -> Lattice | None:
    """The lattice of face ``face``'s floor found on its view padded :data:`_WIDER` times as
    far as the tile (``pad``), made from the six faces' cores in ``bank_image``
    ``(K, P, P, C)`` / ``bank_hole`` ``(K, P, P)`` (None when the bank lacks one of them or
    nothing is found), its shifts refined on the tile ``image`` ``(P, P, C)`` over its
    ``known`` pixels."""
    if sorted(bank_face_ids) != list(range(6)):
        return None
    factor = -(-face_size // _WORK_FACE)
    size = face_size // factor
    channels = image.shape[-1]
    cores, known_cores = [], []
    for f in range(6):
        k = bank_face_ids.index(f)
        core = bank_image[k, pad:pad + face_size, pad:pad + face_size, :channels]
        seen = (~bank_hole[k, pad:pad + face_size, pad:pad + face_size]).astype(np.float32)
        if factor > 1:
            core = cv2.resize(np.ascontiguousarray(core, np.float32), (size, size),
                              interpolation=cv2.INTER_AREA).reshape(size, size, channels)
            seen = cv2.resize(seen, (size, size), interpolation=cv2.INTER_AREA)
        cores.append(np.asarray(core, np.float32))
        known_cores.append(seen)
    wide_pad = int(round(_WIDER * pad / factor))
    view = pad_cube_faces(np.stack(cores), wide_pad, face_ids=[face])[0]
    # A view pixel is known only where every core pixel under it was.
    seen = pad_cube_faces(np.stack(known_cores), wide_pad, face_ids=[face])[0] > 0.999
    lattice = find_lattice(view, seen, min_strength=min_strength, second_beside_double=False)
    if lattice is None:
        return None
    # The second direction: the first shift not parallel to the first (``Lattice.basis``'s).
    second = next((k for k in range(2, len(lattice.offsets), 2)
                   if not_parallel(lattice.offsets[0], lattice.offsets[k])), None)
    if second is None:
        # One direction only, found far from the ring it would be copied across: a chance (the
        # plaza's random paving under a 50-degree cap at 2048 px: 399 px along one axis,
        # filled along it as stripes, -2.9 dB). Stripes show on the tile's own ring.
        return None
    # Only the two directions: each other dominant shift, refined on its own through the thin
    # ring, is off the directions' combinations by pixels (the hall: [299, -21] beside
    # 3a + b/2 = [299.6, -18.3]), and its copies doubled the tiles' joints across the cap.
    keep = [0, 1, second, second + 1]
    if factor == 1:
        # The view is the tile's own scale and holds every pixel its ring does and more: its
        # shifts, measured to a fraction of a pixel there, are not measured again through the
        # thin ring (which moved a step of the workshop's ceiling grid, turned by 42 degrees,
        # 0.48 px under a 50-degree zenith cap, to 0.34 px off the whole face's against 0.14
        # on the view: crooked joints across the cap, -1.0 dB).
        return dataclasses.replace(lattice, offsets=lattice.offsets[keep],
                                   strength=lattice.strength[keep], along=lattice.along[keep])
    offsets = np.array([refine_shift(image, known, factor * lattice.offsets[k])
                        for k in (0, second)])
    return refine_on_long_steps(
        Lattice(np.stack([offsets, -offsets], axis=1).reshape(-1, 2), lattice.strength[keep],
                lattice.along[keep]), image, known)

"""A hole covering its face: filled at the usual padding first, wider only if nothing is seen.

A 50-degree nadir cap covers 0.95 of the down face, whose tile then knows a ring of its padding
only: at S / 8 about 1.3 degrees wide. The pipeline pads such a region's tiles by PatchMatch's
``covered_face_pad_fraction`` (S / 4); PatchMatch cuts them back and fills them as it would
have, unless no structure step finds anything on the covered face's ring there.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from pano_inpaint import inpaint, nadir_mask
from pano_inpaint.generators.patchmatch import PatchMatch
from tests.synthetic import erp_directions

H = 256


class _UsualPad(PatchMatch):
    """PatchMatch that keeps the usual padding round a covered face (what it did before)."""

    covered_face_pad_fraction: ClassVar[float] = PatchMatch.pad_fraction


def _tiled_floor(plain_within_degrees: float) -> np.ndarray:
    """A checkerboard of dark and light tiles 0.4 m wide under a camera 1.5 m above the floor,
    a sky above; the floor plain grey within ``plain_within_degrees`` of the nadir (0: tiled
    throughout)."""
    d = erp_directions(H, 2 * H)
    down = np.maximum(-d[..., 1], 1e-6)
    u = 1.5 * (d[..., 0] * 0.8 + d[..., 2] * 0.6) / down  # metres on the floor
    v = 1.5 * (d[..., 2] * 0.8 - d[..., 0] * 0.6) / down
    tiles = np.where((np.floor(u / 0.4) + np.floor(v / 0.4)) % 2 == 0, 0.3, 0.7)
    nadir_angle = np.degrees(np.arccos(np.clip(-d[..., 1], -1, 1)))
    floor = np.where(nadir_angle < plain_within_degrees, 0.5, tiles)
    grey = np.where(d[..., 1] < -0.05, floor, 0.8)
    return np.repeat(grey[..., None], 3, axis=2).astype(np.float32)


def test_a_covered_face_whose_usual_ring_shows_a_pattern_is_filled_as_before():
    """Tiles cross the thin ring (their lattice is found there, on its wider view): the fill
    on the wider tiles is the usual-padding fill."""
    erp, mask = _tiled_floor(0.0), nadir_mask(H, 2 * H, 50)
    wide = inpaint(erp, mask, generator=PatchMatch())
    usual = inpaint(erp, mask, generator=_UsualPad())
    assert wide.regions[0].pad == 2 * usual.regions[0].pad
    assert np.abs(wide.image - usual.image)[mask].max() < 1e-4
    assert not any("nothing found on its ring" in note for note in wide.report.notes)


def test_a_covered_face_whose_usual_ring_is_plain_is_filled_on_the_wider_tiles():
    """The floor is plain out to 54.5 degrees from the nadir: past the usual ring (51.3) and
    the lattice's wider view of it (54), not past the wider tiles' ring (56.3). There the
    tiles' lattice is found and continued across the cap, where the usual fill is grey."""
    erp, mask = _tiled_floor(54.5), nadir_mask(H, 2 * H, 50)
    truth = _tiled_floor(0.0)
    wide = inpaint(erp, mask, generator=PatchMatch())
    usual = inpaint(erp, mask, generator=_UsualPad())
    assert any("face D: nothing found on its ring" in note for note in wide.report.notes)
    assert any("face D: lattice" in note for note in wide.report.notes)
    assert not any("face D: lattice" in note for note in usual.report.notes)
    error = lambda image: float(np.abs(image - truth)[mask].mean())  # noqa: E731
    assert error(wide.image) < 0.85 * error(usual.image)

"""A fill that follows the panorama's rows across smooth ground (a clear sky, a plain wall).

A row of the equirectangular image is a circle of one elevation, and what is smooth round a
hole on both ends of a row (a sky's gradient, a haze over the horizon, an evenly lit wall)
varies along it far less than across it: a sky's colour is mostly a function of elevation. A
fill made on cube faces holds such a gradient only to a level or two: the faces' copies come
from other elevations, and the resampling to the faces and back blurs it; on a rendered sky the
fill was 50-56 dB where copies along the rows themselves (PyPatchMatch on the equirectangular
image) are 59-62, with blotches of 1-3 levels that a steep tone curve or an exposure change
shows.

So each run of hole pixels along a row whose two ends are smooth known pixels is compared
with the straight line between those ends (the mean of a few known pixels at each end), and
where the fill already lies within a few levels of that line it is moved onto it: fully
within ``near``, not at all from ``far`` (a fill that departs from the line holds something
the line does not: an edge, a cloud, the other side of an object). The known pixels never
change, and neither does a fill that is not smooth ground from end to end.
"""

from __future__ import annotations

import numpy as np

__all__ = ["follow_smooth_rows"]

# Known pixels averaged at each end of a run (px along the row).
ENDS = 4
# A known pixel is smooth where its second differences (along the row, down the column) are
# within twice this (3 levels of 8 bits) in every channel: an 8-bit render's sky 1 level at
# most, a 1K photograph's dawn sky or plain wall 2 (90th percentile), a 2K JPEG's sky 3 at its
# median and 14 at its 90th percentile (the straightness of the rows beside the hole, below,
# is the stricter test there).
SMOOTH = 0.006
# A known row beside the hole runs straight over a run's columns where each channel's mean
# distance from the line between its ends is at most this: a rendered sky 0 (a function of the
# row alone), a photograph's dawn sky over a cube-edge object 1.9-3.8 levels, a sunset's 3-9.
STRAIGHT = 0.75 / 255
_CHECKED = 1024  # columns of a test row compared with its line, at most


def _smooth_at(work: np.ndarray, known: np.ndarray, rows: np.ndarray, columns: np.ndarray
               ) -> np.ndarray:
    """bool per pixel ``(rows[i], columns[i])`` (known ones): its second differences along
    the row (the columns wrapped) and down the column, where both neighbours are known, each
    within twice :data:`SMOOTH` in every channel: a gradient of any slope is smooth, grain is
    not. Only the pixels asked about are judged: a 16K band's rows are 16,384 px, a run's ends
    2 x :data:`ENDS`."""
    height, width = known.shape
    centre = work[rows, columns]
    ok = known[rows, columns].copy()
    for before, after in (((rows, (columns - 1) % width), (rows, (columns + 1) % width)),
                          ((rows - 1, columns), (rows + 1, columns))):
        inside = (before[0] >= 0) & (after[0] < height)
        b = (np.clip(before[0], 0, height - 1), before[1])
        a = (np.clip(after[0], 0, height - 1), after[1])
        both = inside & known[b] & known[a]
        second = np.abs(work[b] - 2 * centre + work[a]).max(axis=1)
        ok &= ~both | (second <= 2 * SMOOTH)
    return ok


def _runs(hole_row: np.ndarray, known_row: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The runs of hole pixels along one row: ``columns`` (the row's columns from its first
    known one, so no run wraps past the array's end) and each run's first and last place in
    them, ``starts`` and ``ends`` (int arrays, one entry a run)."""
    width = hole_row.size
    columns = (np.arange(width) + int(np.argmax(known_row))) % width
    row = hole_row[columns]
    edges = np.diff(row.astype(np.int8))
    starts = np.flatnonzero(edges == 1) + 1
    ends = np.flatnonzero(edges == -1)
    if row[-1]:
        ends = np.append(ends, width - 1)
    return columns, starts, ends


def _along(position: np.ndarray, length: np.ndarray | int) -> np.ndarray:
    """``(n, 1)`` float32: how far along the line between a run's two ends (0 at the middle of
    the :data:`ENDS` known pixels before it, 1 beyond it) each ``position`` in a run of
    ``length`` px lies."""
    return ((position + (ENDS + 1) / 2) / (length + ENDS)).astype(np.float32)[:, None]


def _line(low: np.ndarray, high: np.ndarray, lengths: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The straight line across runs of ``lengths`` px between the means ``low`` and ``high``
    (``(runs, C)``) of the :data:`ENDS` known pixels beyond each end: ``(sum(lengths), C)``
    values, run after run, the run each belongs to and its place in that run."""
    run = np.repeat(np.arange(lengths.size), lengths)
    position = np.arange(run.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    t = _along(position, lengths[run])
    low, high = low.astype(np.float32), high.astype(np.float32)
    return low[run] + t * (high - low)[run], run, position


def _nearest_known_rows(hole: np.ndarray, known: np.ndarray, runs: dict, down: bool
                        ) -> dict[int, np.ndarray]:
    """Per row of ``runs`` (``{row: _runs(...)}``), each run's test row (see
    :func:`follow_smooth_rows`): the farthest of the rows where its columns' hole ends above
    it (``down`` False) or below it (-1 or the band's height where some column's never
    does)."""
    height, width = hole.shape
    nearest = np.full(width, -1 if not down else height, np.int64)
    out: dict[int, np.ndarray] = {}
    reduce = np.maximum if down else np.minimum
    for y in (range(height - 1, -1, -1) if down else range(height)):
        if y in runs:
            columns, starts, _ = runs[y]
            # Over each run's own columns only: the known ones after it hold this row's
            # neighbours, not the hole's.
            per_column = np.where(hole[y, columns], nearest[columns], -1 if down else height)
            out[y] = reduce.reduceat(per_column, starts)
        nearest[known[y]] = y
    return out


def _linear_on(work: np.ndarray, known: np.ndarray, r: int, columns: np.ndarray, start: int,
               end: int) -> bool:
    """Whether known row ``r`` of ``work`` runs straight (within :data:`STRAIGHT`, each
    channel's mean) between its :data:`ENDS` pixels beyond ``columns[start]`` and
    ``columns[end]`` (wrapped), all known: the check of a run's line on a row beside it."""
    width = columns.size
    span = columns[np.arange(start - ENDS, end + ENDS + 1) % width]
    if r < 0 or r >= known.shape[0] or not known[r, span].all():
        return False
    length = end - start + 1
    # A long run is judged on evenly spaced columns (a band across a 16K sky: 16,000 px).
    position = np.arange(0, length, max(1, length // _CHECKED))
    low = work[r, span[:ENDS]].mean(axis=0)
    high = work[r, span[-ENDS:]].mean(axis=0)
    gap = np.abs(low + _along(position, length) * (high - low) - work[r, span[ENDS + position]])
    return bool(gap.mean(axis=0).max() <= STRAIGHT)


def follow_smooth_rows(work: np.ndarray, hole: np.ndarray, near: float, far: float
                       ) -> np.ndarray:
    """Move the fill of ``hole`` (``(h, W)`` bool) in ``work`` (``(h, W, C)`` float32, a band
    of whole rows, hole pixels filled; changed in place) onto the line between each row run's
    two smooth known ends, with weight 1 where the fill lies within ``near`` of the line
    (every channel) falling to 0 at ``far``.

    Only where the rows beside the hole run straight over the same columns: the nearest row
    above the run's hole that is known over its columns and their ends, and the one below
    (those there are, one at least), each within :data:`STRAIGHT` of its own line. A rendered
    sky (a function of elevation alone) passes; a dawn sky brighter in the middle of the hole's
    columns does not, and there the faces' copies, which hold its curve, are nearer the truth
    (Kiara's cube-edge object: the line 44.6 dB, the copies 49.9). Runs wrap round the row's
    ends; a row that is all hole, and a run with an end that is not smooth or not known for
    :data:`ENDS` px, keep their fill. Returns ``(h,)`` bool: the rows it changed.

    Example:
        >>> sky = np.repeat(np.linspace(0.40, 0.44, 8, dtype=np.float32)[:, None], 32, axis=1)
        >>> hole = np.zeros((8, 32), bool); hole[2:6, 10:20] = True
        >>> work = sky[..., None].copy(); work[hole] += 0.01
        >>> follow_smooth_rows(work, hole, 0.02, 0.04).nonzero()[0].tolist()
        [2, 3, 4, 5]
        >>> bool(np.allclose(work[..., 0], sky, atol=1e-6))
        True
    """
    height, width = hole.shape
    known = ~hole
    changed = np.zeros(height, bool)
    if width <= 2 * ENDS:
        return changed
    runs = {}
    for y in np.flatnonzero(hole.any(axis=1) & known.any(axis=1)):
        runs[int(y)] = _runs(hole[y], known[y])
    if not runs:
        return changed  # every row all known or all hole (a cap's rows near its pole)
    above = _nearest_known_rows(hole, known, runs, down=False)
    below = _nearest_known_rows(hole, known, runs, down=True)
    offsets = np.arange(1, ENDS + 1)
    for y, (columns, starts, ends) in runs.items():
        left = columns[(starts[:, None] - offsets) % width]  # (runs, ENDS) known columns
        right = columns[(ends[:, None] + offsets) % width]
        both = np.concatenate([left, right], axis=1)
        smooth = _smooth_at(work, known, np.full(both.size, y), both.ravel())
        usable = smooth.reshape(both.shape).all(axis=1)
        for k in np.flatnonzero(usable):
            tests = [r for r in (above[y][k], below[y][k]) if 0 <= r < height]
            usable[k] = bool(tests) and all(
                _linear_on(work, known, r, columns, starts[k], ends[k]) for r in tests)
        if not usable.any():
            continue
        starts, ends = starts[usable], ends[usable]
        lengths = ends - starts + 1
        line, run, position = _line(work[y, left[usable]].mean(axis=1),
                                    work[y, right[usable]].mean(axis=1), lengths)
        target = columns[starts[run] + position]
        fill = work[y, target]
        weight = np.clip((far - np.abs(line - fill).max(axis=1)) / (far - near), 0.0, 1.0)
        work[y, target] = fill + weight[:, None] * (line - fill)
        changed[y] = bool(weight.any())
    return changed

"""Lines across a hole that are chance alignments of a texture's short edges are not drawn.

Irregular paving (stones of random polygon shapes) has straight joints of every direction; along
a tripod's leg a few of them line up across the hole by chance. Where the tile's segments turned
about their tips pair about as often as unturned (chance explains the pairs), a line is kept only
where one of its segments is long for the texture or its direction is one of a family of edges
(``_lines._without_chance_alignments``).
"""

from __future__ import annotations

import numpy as np
import pytest

from pano_inpaint.generators.patchmatch import _lines

SIZE, FACE = 256, 224
STONE = 14.0  # px across a stone
LEG = np.array([np.sin(np.radians(70)), np.cos(np.radians(70))])  # (y, x) along the leg


def _paving(rng: np.random.Generator) -> np.ndarray:
    """Grey stones of random tones: the Voronoi cells of a jittered grid, with dark joints."""
    y, x = np.mgrid[0:SIZE, 0:SIZE] / STONE
    count = int(SIZE / STONE) + 3
    centre_x = np.arange(-1, count - 1)[None, :] + 0.1 + 0.8 * rng.random((count, count))
    centre_y = np.arange(-1, count - 1)[:, None] + 0.1 + 0.8 * rng.random((count, count))
    tone = rng.uniform(0.45, 0.7, count * count)
    best = np.full((SIZE, SIZE), np.inf)
    second = best.copy()
    owner = np.zeros((SIZE, SIZE), np.int64)
    for j in range(count):
        for i in range(count):
            d = np.hypot(x - centre_x[j, i], y - centre_y[j, i])
            closer = d < best
            second = np.where(closer, best, np.minimum(second, d))
            owner = np.where(closer, j * count + i, owner)
            best = np.minimum(best, d)
    joint = np.clip(1.0 - (second - best) * STONE / 2, 0.0, 1.0)  # about 2 px wide
    grey = tone[owner] - 0.3 * joint
    return np.repeat(grey[..., None].astype(np.float32), 3, axis=-1)


def _leg(width: float = 10.0) -> np.ndarray:
    """A straight strip ``width`` px wide through the tile's centre along ``LEG``."""
    y, x = np.mgrid[0:SIZE, 0:SIZE] - (SIZE - 1) / 2
    return np.abs(y * LEG[1] - x * LEG[0]) <= width / 2


def _chance_check_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_lines, "_CHANCE_SHARE", 0.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_joints_of_irregular_paving_are_not_paired_across_a_leg(monkeypatch, seed):
    """Random stones beside a leg 10 px wide: no line (with the check off, the joints that
    line up by chance are paired ten times and more, some of them sure)."""
    image, hole = _paving(np.random.default_rng(seed)), _leg()
    assert _lines.find_lines(image, hole, FACE) == []
    with monkeypatch.context() as patch:  # chance never to blame
        patch.setattr(_lines, "_CHANCE_RATE", np.inf)
        assert len(_lines.find_lines(image, hole, FACE)) >= 5
    _chance_check_off(monkeypatch)
    assert len(_lines.find_lines(image, hole, FACE)) >= 5


def test_a_painted_line_across_the_paving_is_still_a_line(monkeypatch):
    """A white line 6 px wide painted across the leg at 50 degrees, straight to the tile's
    edges (a parking bay's): its two edges' segments are long for the paving, so both are kept,
    and nothing else (with the check off, the joints' chance pairs come back beside them)."""
    image, hole = _paving(np.random.default_rng(3)), _leg()
    y, x = np.mgrid[0:SIZE, 0:SIZE] - (SIZE - 1) / 2
    along = np.array([np.sin(np.radians(20)), np.cos(np.radians(20))])  # 50 deg off the leg
    paint = np.abs(y * along[1] - x * along[0]) < 3
    image = np.where(paint[..., None], np.float32(0.9), image).astype(np.float32)

    def on_paint(lines):
        return [line for line in lines if abs(line.direction @ along) > np.cos(np.radians(3))]

    lines = _lines.find_lines(image, hole, FACE)
    assert len(lines) == len(on_paint(lines)) == 2
    _chance_check_off(monkeypatch)
    lines = _lines.find_lines(image, hole, FACE)
    assert len(on_paint(lines)) == 2 and len(lines) > 2


def _dashes(rng: np.random.Generator) -> np.ndarray:
    """Short dark dashes (12 px long, 3 px wide) all along one direction, in rows 9 px apart,
    each row's dashes at random places: a family of short parallel edges (nosings, slats), on a
    noisy ground."""
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    along = np.array([np.sin(np.radians(20)), np.cos(np.radians(20))])
    a = y * along[0] + x * along[1]
    b = y * along[1] - x * along[0]
    row = np.floor(b / 9.0)
    phase = rng.uniform(0, 20, 200)[(row.astype(np.int64) + 100) % 200]
    dash = (np.mod(a + phase, 20.0) < 12.0) & (np.abs(b - 9.0 * row - 4.5) < 1.5)
    grey = 0.6 + 0.02 * rng.standard_normal((SIZE, SIZE)) - 0.35 * dash
    return np.repeat(grey[..., None].astype(np.float32), 3, axis=-1)


def test_short_edges_of_one_family_are_still_paired(monkeypatch):
    """The dashes' edges are as short as the paving's joints, but they all run one way: turned,
    they find no partners (chance does not explain their pairs), and were chance to blame, they
    would still be kept as a family's. Only with both rules off are they dropped."""
    image, hole = _dashes(np.random.default_rng(4)), _leg()
    assert _lines.find_lines(image, hole, FACE)
    with monkeypatch.context() as patch:
        patch.setattr(_lines, "_CHANCE_SHARE", np.inf)  # no family
        assert _lines.find_lines(image, hole, FACE)
    with monkeypatch.context() as patch:
        patch.setattr(_lines, "_CHANCE_RATE", 0.0)  # every tile's pairs to chance
        assert _lines.find_lines(image, hole, FACE)
    monkeypatch.setattr(_lines, "_CHANCE_SHARE", np.inf)
    monkeypatch.setattr(_lines, "_CHANCE_RATE", 0.0)
    assert _lines.find_lines(image, hole, FACE) == []


def test_the_report_says_chance_pairs_were_not_drawn(monkeypatch):
    """The fill of the paving's leg says why no line was drawn (and says nothing of it with
    the check off, when the pairs are drawn)."""
    from pano_inpaint.generators import CubeTiles
    from pano_inpaint.generators.patchmatch import PatchMatch

    image, hole = _paving(np.random.default_rng(0)), _leg()
    notes = []
    for rate in (_lines._CHANCE_RATE, np.inf):
        monkeypatch.setattr(_lines, "_CHANCE_RATE", rate)
        blanked = image.copy()
        blanked[hole] = 0
        tiles = CubeTiles(blanked[None], hole[None], (5,), FACE, (SIZE - FACE) // 2)
        PatchMatch().inpaint(tiles)
        notes.append(" ".join(tiles.notes))
    assert "by chance not drawn" in notes[0] and "continued across the hole" not in notes[0]
    assert "by chance not drawn" not in notes[1] and "continued across the hole" in notes[1]


@pytest.mark.parametrize("seed", [2, 4, 5, 7])
def test_short_unsure_pairs_are_not_drawn_across_a_deep_hole(monkeypatch, seed):
    """Random stones around a hole 200 px across (100 deep): the joints' pairs that are not
    sure, with segments a tenth of the depth, are not drawn, whatever the rate of the turned
    segments says; with ``_CHANCE_DEPTH`` 0 (the rate alone) one to four of them are."""
    image = _paving(np.random.default_rng(seed))
    y, x = np.mgrid[0:SIZE, 0:SIZE] - (SIZE - 1) / 2
    hole = np.hypot(y, x) <= 100
    assert _lines.find_lines(image, hole, FACE) == []
    monkeypatch.setattr(_lines, "_CHANCE_DEPTH", 0.0)
    assert _lines.find_lines(image, hole, FACE)

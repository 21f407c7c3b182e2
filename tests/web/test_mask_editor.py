import numpy as np
import pytest

from pano_inpaint.masks import nadir_mask, zenith_mask
from pano_inpaint.web.mask_editor import MaskEditor
from pano_inpaint.web.painting import StrokeBlock


def _block(rows, cols, value=True):
    cols = np.asarray(cols)
    return StrokeBlock(rows, cols, np.full((rows.stop - rows.start, cols.size), value))


def test_paint_erase_undo_redo_restore_exactly(rng):
    editor = MaskEditor(16, 32)
    states = [editor.snapshot()]
    editor.paint([_block(slice(2, 6), [30, 31, 0, 1])])  # across the wrap line
    states.append(editor.snapshot())
    editor.paint([_block(slice(4, 10), np.arange(5, 12))])
    states.append(editor.snapshot())
    editor.paint([_block(slice(3, 8), np.arange(0, 32))], erase=True)
    states.append(editor.snapshot())
    assert states[1][2:6][:, [30, 31, 0, 1]].all() and states[1].sum() == 16
    assert not states[3][3:8].any()
    for expected in reversed(states[:-1]):
        editor.undo()
        assert np.array_equal(editor.snapshot(), expected)
    assert not editor.state().can_undo
    for expected in states[1:]:
        editor.redo()
        assert np.array_equal(editor.snapshot(), expected)
    assert not editor.state().can_redo


def test_new_edit_drops_redo():
    editor = MaskEditor(8, 16)
    editor.paint([_block(slice(0, 2), [0, 1])])
    editor.undo()
    editor.paint([_block(slice(4, 5), [3])])
    assert not editor.state().can_redo and editor.state().hole_pixels == 1


def test_caps_from_the_slider_replace_each_other():
    editor = MaskEditor(32, 64)
    editor.paint([_block(slice(0, 1), [10])])
    for degrees in (10, 40, 25):
        state = editor.set_cap("nadir", degrees)
    expected = nadir_mask(32, 64, 25)
    expected[0, 10] = True
    assert np.array_equal(editor.snapshot(), expected) and state.nadir_degrees == 25
    editor.set_cap("zenith", 20)
    assert np.array_equal(editor.snapshot(), expected | zenith_mask(32, 64, 20))
    editor.undo()
    editor.undo()  # the three slider moves were one edit
    assert editor.state().hole_pixels == 1
    assert editor.set_cap("nadir", 0).hole_pixels == 1


def test_replace_and_clear():
    editor = MaskEditor(8, 16)
    loaded = np.zeros((8, 16), bool)
    loaded[5:] = True
    editor.replace(loaded)
    assert np.array_equal(editor.snapshot(), loaded)
    assert editor.clear().hole_pixels == 0
    editor.undo()
    assert np.array_equal(editor.snapshot(), loaded)
    with pytest.raises(ValueError, match="16x8"):
        editor.replace(np.zeros((4, 8), bool))
    with pytest.raises(ValueError, match="pole"):
        editor.set_cap("equator", 10)


def test_history_is_bounded():
    editor = MaskEditor(4, 8)
    for i in range(130):
        editor.paint([_block(slice(i % 4, i % 4 + 1), [i % 8])])
    undone = 0
    while editor.state().can_undo:
        editor.undo()
        undone += 1
    assert undone == 100

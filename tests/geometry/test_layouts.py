import numpy as np
import pytest

from pano_inpaint.geometry.layouts import (
    LAYOUTS,
    cube_to_dice,
    cube_to_layout,
    layout_to_cube,
)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("channels", [None, 3])
def test_layout_round_trips_are_exact(layout, channels, rng):
    shape = (6, 8, 8) if channels is None else (6, 8, 8, channels)
    faces = rng.integers(0, 255, shape).astype(np.uint8)
    image = cube_to_layout(faces, layout)
    assert np.array_equal(layout_to_cube(image, layout), faces)
    assert np.array_equal(layout_to_cube(image), faces)  # layout guessed from the aspect ratio


def test_dice_places_faces_like_py360convert():
    faces = np.arange(6)[:, None, None] * np.ones((6, 2, 2), int)
    dice = cube_to_dice(faces, fill=-1)
    expected = np.array([[-1, 4, -1, -1], [3, 0, 1, 2], [-1, 5, -1, -1]])
    assert np.array_equal(dice[::2, ::2], expected)


def test_unknown_layouts():
    with pytest.raises(ValueError, match="cannot tell"):
        layout_to_cube(np.zeros((5, 7)))
    with pytest.raises(ValueError, match="layout must be"):
        cube_to_layout(np.zeros((6, 2, 2)), "cross")

import numpy as np
import pytest

from pano_inpaint.geometry import cube_to_erp, erp_to_cube, tiles_to_erp
from pano_inpaint.masks import cap_mask, nadir_mask
from tests.synthetic import sphere_function_erp


def test_tiles_write_back_equals_cube_to_erp_on_the_mask():
    erp = sphere_function_erp(64)
    rot = (0.3, -0.4, 0.1)
    mask = cap_mask(64, 128, 20, -25, 20)
    tiles = erp_to_cube(erp, 32, pad=4, rotation=rot)
    full = cube_to_erp(tiles[:, 4:-4, 4:-4], 64, 128, rotation=rot)
    out = tiles_to_erp(tiles, range(6), 4, 64, 128, rotation=rot, mask=mask, out=erp.copy())
    assert np.abs(out[mask] - full[mask]).max() < 1e-3
    assert np.array_equal(out[~mask], erp[~mask])


def test_tiles_write_back_refuses_faces_without_tiles():
    tiles = np.zeros((1, 20, 20), np.uint8)
    with pytest.raises(ValueError, match="no tile"):
        tiles_to_erp(tiles, [0], 2, 32, 64, mask=nadir_mask(32, 64, 20))

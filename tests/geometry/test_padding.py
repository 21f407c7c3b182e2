import numpy as np
import pytest

from pano_inpaint.geometry import (
    cube_pad_plan,
    erp_to_cube,
    pad_cube_faces,
    repad_cube_faces,
)
from tests.synthetic import sphere_function_erp


@pytest.mark.parametrize("pad", [1, 4, 12])
def test_padding_equals_direct_wider_view_at_every_edge_and_corner(pad):
    erp = sphere_function_erp(256)
    size = 64
    padded = pad_cube_faces(erp_to_cube(erp, size), pad)
    direct = erp_to_cube(erp, size, pad=pad)
    err = np.abs(padded - direct).max(axis=-1)
    full = size + 2 * pad
    core = np.zeros((full, full), bool)
    core[pad:-pad, pad:-pad] = True
    assert np.array_equal(padded[:, core], direct[:, core])
    # Both are bilinear samples of the same smooth field: they agree within interpolation error
    # everywhere on the ring, checked separately on each side strip and each corner block.
    tol = 4e-3
    for face in range(6):
        e = err[face]
        strips = [e[:pad, pad:-pad], e[-pad:, pad:-pad], e[pad:-pad, :pad], e[pad:-pad, -pad:]]
        corners = [e[:pad, :pad], e[:pad, -pad:], e[-pad:, :pad], e[-pad:, -pad:]]
        for block in strips + corners:
            assert block.max() < tol, (face, block.max())


def test_padding_is_not_a_plain_edge_copy():
    # Near a corner, the wider view looks into the neighbour at a shifted position; copying the
    # neighbour's edge rows unchanged (the naive approach) would be off by about `pad` pixels.
    plan = cube_pad_plan(16, 4)
    corner = (plan.ring_y < 4) & (plan.ring_x < 4)
    assert corner.any()
    # The corner block of the front face draws on two different faces (split on the diagonal).
    assert len(set(plan.src_face[0, corner].tolist())) == 2


def test_repad_refreshes_borders_from_edited_faces(rng):
    faces = rng.random((6, 16, 16, 3)).astype(np.float32)
    padded = pad_cube_faces(faces, 3)
    edited = faces.copy()
    edited[5] = rng.random((16, 16, 3))
    padded[5, 3:-3, 3:-3] = edited[5]
    repad_cube_faces(padded, range(6), 3)
    assert np.allclose(padded, pad_cube_faces(edited, 3))


def test_repad_subset_leaves_borders_from_other_faces(rng):
    faces = rng.random((6, 16, 16)).astype(np.float32)
    ids = [5, 0]
    padded = pad_cube_faces(faces, 2, face_ids=ids)
    sentinel = padded.copy()
    sentinel[:, :2] = -1  # top border rows
    got = repad_cube_faces(sentinel.copy(), ids, 2)
    plan = cube_pad_plan(16, 2)
    for k, face in enumerate(ids):
        from_set = np.isin(plan.src_face[face], ids)
        ring = got[k, plan.ring_y, plan.ring_x]
        assert np.allclose(ring[from_set], padded[k, plan.ring_y, plan.ring_x][from_set])
        untouched = sentinel[k, plan.ring_y, plan.ring_x][~from_set]
        assert np.array_equal(ring[~from_set], untouched)


def test_pad_zero_and_dtypes():
    faces = np.arange(6 * 8 * 8, dtype=np.uint16).reshape(6, 8, 8)
    assert np.array_equal(pad_cube_faces(faces, 0), faces)
    out = pad_cube_faces(faces, 2)
    assert out.dtype == np.uint16 and out.shape == (6, 12, 12)


def test_invalid_padding_arguments():
    with pytest.raises(ValueError, match="pad"):
        pad_cube_faces(np.zeros((6, 8, 8), np.uint8), 9)
    with pytest.raises(ValueError, match="pad"):
        pad_cube_faces(np.zeros((6, 8, 8), np.uint8), -1)
    with pytest.raises(ValueError, match=r"\(6, S, S"):
        pad_cube_faces(np.zeros((6, 8, 9), np.uint8), 1)
    with pytest.raises(ValueError, match="repeat"):
        repad_cube_faces(np.zeros((2, 10, 10), np.float32), [1, 1], 1)

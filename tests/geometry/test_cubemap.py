import numpy as np
import pytest

from pano_inpaint.geometry import (
    clear_map_cache,
    cube_to_erp,
    cubemap,
    erp_to_cube,
    face_pixel_to_xyz,
    rotation_matrix,
    set_map_cache_budget,
)
from tests.synthetic import cap_mask, erp_directions, smooth_rgb, sphere_function_erp


def _direct_faces(face_size: int, pad: int = 0, rotation=None) -> np.ndarray:
    """The analytic function evaluated at every (padded) face pixel's direction."""
    size = face_size + 2 * pad
    ys, xs = np.mgrid[0:size, 0:size]
    out = []
    for face in range(6):
        xyz = face_pixel_to_xyz(face, xs, ys, face_size, pad)
        xyz = xyz / np.linalg.norm(xyz, axis=-1, keepdims=True)
        if rotation is not None:
            xyz = xyz @ np.asarray(rotation).T
        out.append(smooth_rgb(xyz))
    return np.stack(out).astype(np.float32)


def test_faces_match_the_function_everywhere_including_poles_and_wrap():
    erp = sphere_function_erp(128)
    faces = erp_to_cube(erp, 48, pad=3)
    err = np.abs(faces - _direct_faces(48, 3))
    # Bilinear error of a smooth field sampled at 128 rows: well under 1e-3 anywhere,
    # including the up/down faces (over the poles) and the back face (across the wrap line).
    assert err.max() < 2e-3
    assert err[4].max() < 2e-3 and err[5].max() < 2e-3 and err[2].max() < 2e-3


def test_round_trip_error_is_within_sampling_error():
    erp = sphere_function_erp(64)
    back = cube_to_erp(erp_to_cube(erp, 32), 64, 128)
    err = np.abs(back - erp)
    assert err.mean() < 2e-4 and err.max() < 3e-3


def test_cube_to_erp_matches_the_function():
    height = 64
    erp = cube_to_erp(_direct_faces(32), height, 2 * height)
    expected = smooth_rgb(erp_directions(height, 2 * height))
    assert np.abs(erp - expected).max() < 3e-3


@pytest.mark.parametrize("yaw,pitch,roll", [(0.4, 0.0, 0.0), (1.0, -0.7, 0.3), (-2.9, 1.2, -1.0)])
def test_rotated_faces_show_the_rotated_view(yaw, pitch, roll):
    r = rotation_matrix(yaw, pitch, roll)
    faces = erp_to_cube(sphere_function_erp(128), 40, pad=2, rotation=(yaw, pitch, roll))
    assert np.abs(faces - _direct_faces(40, 2, rotation=r)).max() < 3e-3


@pytest.mark.parametrize("rotation", [(0.4, 0.2, 0.0), (3.0, -1.3, 0.5)])
def test_rotation_then_inverse_rotation_is_identity(rotation):
    erp = sphere_function_erp(64)
    back = cube_to_erp(erp_to_cube(erp, 32, rotation=rotation), 64, 128, rotation=rotation)
    assert np.abs(back - erp).mean() < 2e-4


def test_yaw_by_a_quarter_turn_shows_the_right_face_on_the_front():
    erp = sphere_function_erp(64)
    turned = erp_to_cube(erp, 32, rotation=(np.pi / 2, 0, 0), face_ids=["F"])
    plain = erp_to_cube(erp, 32, face_ids=["R"])
    assert np.abs(turned.astype(np.float64) - plain).max() < 1e-3


def test_rolling_by_half_the_width_swaps_front_and_back():
    erp = sphere_function_erp(64, dtype=np.uint8)
    rolled = np.roll(erp, 64, axis=1)
    a = erp_to_cube(rolled, 32, pad=2, face_ids=[0])[0].astype(int)
    b = erp_to_cube(erp, 32, pad=2, face_ids=[2])[0].astype(int)
    assert np.abs(a - b).max() <= 1


def test_agrees_with_py360convert_face_by_face():
    py360convert = pytest.importorskip("py360convert")
    erp = sphere_function_erp(128)
    ours = erp_to_cube(erp, 64)
    theirs = np.stack(py360convert.e2c(erp, 64, cube_format="list"))
    for face in range(6):
        diff = np.abs(ours[face] - theirs[face]).mean()
        # py360convert puts face pixel centres on the face edges (a half-pixel different
        # convention), so agreement is close but not exact; a flipped or swapped face is far.
        assert diff < 2e-3, face
        assert np.abs(ours[face] - theirs[face][:, ::-1]).mean() > 5 * diff
        assert np.abs(ours[face] - theirs[face][::-1]).mean() > 5 * diff


@pytest.mark.parametrize("dtype,scale", [(np.uint8, 1), (np.uint16, 1), (np.float32, 1000.0)])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_dtype_and_channels_are_preserved(dtype, scale, channels):
    erp = sphere_function_erp(32, dtype=dtype, scale=scale)
    erp = np.concatenate([erp, erp[..., :1]], axis=-1)[..., :channels]
    faces = erp_to_cube(erp, 16, pad=1)
    assert faces.dtype == dtype and faces.shape == (6, 18, 18, channels)
    back = cube_to_erp(faces[:, 1:-1, 1:-1], 32, 64)
    assert back.dtype == dtype and back.shape == erp.shape
    if dtype == np.float32:
        assert back.max() > 500  # HDR values are not clipped to [0, 1]
    err = np.abs(back.astype(np.float64) - erp).mean() / (erp.max() or 1)
    assert err < 5e-3


def test_two_dimensional_input_gives_two_dimensional_faces():
    erp = sphere_function_erp(32)[..., 0]
    faces = erp_to_cube(erp, 16)
    assert faces.shape == (6, 16, 16)
    assert cube_to_erp(faces, 32, 64).shape == (32, 64)


def test_alpha_channel_is_carried():
    erp = sphere_function_erp(32, dtype=np.uint8)
    rgba = np.concatenate([erp, np.full(erp.shape[:2] + (1,), 200, np.uint8)], axis=-1)
    back = cube_to_erp(erp_to_cube(rgba, 16), 32, 64)
    assert (back[..., 3] == 200).all()


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear", "bicubic", "lanczos"])
def test_all_interpolations_round_trip(interpolation):
    erp = sphere_function_erp(64)
    faces = erp_to_cube(erp, 32, interpolation=interpolation)
    back = cube_to_erp(faces, 64, 128, interpolation=interpolation)
    assert np.abs(back - erp).mean() < (2e-3 if interpolation == "nearest" else 3e-4)


@pytest.mark.parametrize("cached", [True, False])
def test_masked_write_back_touches_only_the_mask(cached):
    height = 64
    erp = sphere_function_erp(height)
    faces = erp_to_cube(erp, 32)
    full = cube_to_erp(faces, height, 2 * height)
    base = np.full_like(erp, -1.0)
    mask = cap_mask(height, [0.3, -1.0, 0.2], 30) | cap_mask(height, [-1.0, 0.1, 0.0], 12)
    if not cached:
        clear_map_cache()
    out = cube_to_erp(faces, height, 2 * height, mask=mask, out=base.copy())
    assert np.array_equal(out[~mask], base[~mask])
    assert np.array_equal(out[mask], full[mask])


def test_masked_write_back_with_rotation_and_wrap():
    height = 64
    erp = sphere_function_erp(height, dtype=np.uint16)
    rot = rotation_matrix(np.pi, 0.2, 0.0)  # a hole on the wrap line, centred on the front face
    faces = erp_to_cube(erp, 32, rotation=rot)
    mask = cap_mask(height, [0.0, 0.2, -1.0], 20)
    assert mask[:, 0].any() and mask[:, -1].any()
    out = cube_to_erp(faces, height, 2 * height, rotation=rot, mask=mask, out=erp.copy())
    assert np.array_equal(out[~mask], erp[~mask])
    assert np.abs(out.astype(int) - erp).max() < 700  # of 65535: the resampled hole is close


def test_empty_mask_writes_nothing():
    faces = np.ones((6, 8, 8), np.float32)
    out = cube_to_erp(faces, 16, 32, mask=np.zeros((16, 32), bool))
    assert not out.any()


def test_cold_maps_are_built_on_worker_threads_and_match_a_serial_build(monkeypatch):
    import threading

    import cv2

    from pano_inpaint.geometry import cubemap

    erp = sphere_function_erp(64, dtype=np.uint16)
    rot = rotation_matrix(0.3, -0.2, 0.1)
    threads = cv2.getNumThreads()
    try:
        cv2.setNumThreads(1)  # one thread: every strip built in the calling thread
        clear_map_cache()
        serial = erp_to_cube(erp, 32, pad=4, rotation=rot, interpolation="bicubic")
        cv2.setNumThreads(2)
        clear_map_cache()
        builders = []
        build = cubemap._face_strips

        def recording(*args, **kwargs):
            builders.append(threading.get_ident())
            return build(*args, **kwargs)

        monkeypatch.setattr(cubemap, "_face_strips", recording)
        pooled = erp_to_cube(erp, 32, pad=4, rotation=rot, interpolation="bicubic")
        assert len(builders) >= 6 and threading.get_ident() not in builders
        assert np.array_equal(pooled, serial)
        count = len(builders)
        again = erp_to_cube(erp, 32, pad=4, rotation=rot, interpolation="bicubic",
                            face_ids="DF")
        assert len(builders) == count  # the pooled build was cached: nothing rebuilt
        assert np.array_equal(again, serial[[5, 0]])
    finally:
        cv2.setNumThreads(threads)
        clear_map_cache()


def test_cache_budget_zero_still_works():
    set_map_cache_budget(0)
    try:
        erp = sphere_function_erp(32)
        back = cube_to_erp(erp_to_cube(erp, 16), 32, 64)
        assert np.abs(back - erp).mean() < 1e-3
    finally:
        set_map_cache_budget(768 * 2**20)


def test_polar_faces_take_their_own_rows(monkeypatch):
    # The up and down faces, built together, share a dict of panorama rows per latitude array.
    # CPython reuses a freed array's id: with the rows keyed by id, the down face sometimes got
    # the up face's rows (a flaky budget-0 round trip). Every id made equal forces that reuse.
    set_map_cache_budget(0)  # nothing kept: the up face's latitudes are freed after its face
    try:
        erp = sphere_function_erp(32)
        alone = erp_to_cube(erp, 16, face_ids=["D"])
        monkeypatch.setattr(cubemap, "id", lambda _: 0, raising=False)
        faces = erp_to_cube(erp, 16)
        assert np.array_equal(faces[5], alone[0])
    finally:
        set_map_cache_budget(768 * 2**20)


@pytest.mark.parametrize(
    "shape,match",
    [
        ((33, 65, 3), r"W == 2 \* H"),  # an odd width
        ((1, 200, 3), r"200x1: an equirectangular panorama needs W == 2 \* H"),  # was "even"
        ((1, 2, 3), "height must be >= 2"),
        ((32, 60, 3), r"W == 2 \* H"),
        ((32, 64, 3, 1), "shape"),
        ((64,), "shape"),
        ((32, 64, 7), "channels"),
    ],
)
def test_invalid_erp_shapes(shape, match):
    with pytest.raises(ValueError, match=match):
        erp_to_cube(np.zeros(shape, np.uint8), 16)


def test_invalid_arguments():
    erp = np.zeros((32, 64, 3), np.uint8)
    with pytest.raises(ValueError, match="face_size"):
        erp_to_cube(erp, 0)
    with pytest.raises(ValueError, match="pad"):
        erp_to_cube(erp, 16, pad=-1)
    with pytest.raises(ValueError, match="interpolation"):
        erp_to_cube(erp, 16, interpolation="cubic-ish")
    with pytest.raises(ValueError, match="face ids"):
        erp_to_cube(erp, 16, face_ids=[7])
    with pytest.raises(TypeError, match="float64"):
        erp_to_cube(erp.astype(np.float64), 16)
    with pytest.raises(ValueError, match=r"\(6, S, S"):
        cube_to_erp(np.zeros((5, 8, 8), np.uint8), 16, 32)
    with pytest.raises(ValueError, match="2:1"):
        cube_to_erp(np.zeros((6, 8, 8), np.uint8), 16, 30)
    with pytest.raises(ValueError, match="mask has shape"):
        cube_to_erp(np.zeros((6, 8, 8), np.uint8), 16, 32, mask=np.ones((16, 16), bool))
    with pytest.raises(ValueError, match="out must have"):
        cube_to_erp(np.zeros((6, 8, 8), np.uint8), 16, 32, out=np.zeros((16, 32), np.float32))


@pytest.mark.parametrize("face_size,pad", [(37, 5), (64, 8), (163, 20)])
def test_unrotated_strips_equal_the_full_direction_maps_and_side_faces_share_latitudes(
        face_size, pad):
    from pano_inpaint.geometry import cubemap
    from pano_inpaint.geometry.conventions import FACE_CENTER, FACE_DOWN, FACE_RIGHT
    from pano_inpaint.geometry.sphere import xyz_to_lonlat

    size = face_size + 2 * pad
    rows = (3, size - 2)
    ys = np.arange(*rows, dtype=np.float32)[:, None]
    xs = np.arange(size, dtype=np.float32)[None, :]
    f32 = np.float32
    a = (2 * (xs - f32(pad - 0.5)) / f32(face_size) - 1).astype(f32)
    b = (2 * (ys - f32(pad - 0.5)) / f32(face_size) - 1).astype(f32)
    shared: dict = {}
    lats = []
    for face in range(6):
        # every component built full size, as in the plain formula
        xyz = np.stack(np.broadcast_arrays(*[
            FACE_CENTER[face, i].astype(f32) + a * FACE_RIGHT[face, i].astype(f32)
            + b * FACE_DOWN[face, i].astype(f32) for i in range(3)]), axis=-1)
        want_lon, want_lat = xyz_to_lonlat(xyz)
        lon, lat = cubemap._strip_lonlat(face, face_size, pad, None, rows, shared)
        shape = want_lon.shape
        assert np.array_equal(np.broadcast_to(lon, shape), want_lon)  # bit for bit
        assert np.array_equal(np.broadcast_to(lat, shape), want_lat)
        assert lon.dtype == lat.dtype == np.float32
        if face < 4:
            assert lon.shape == (1, size)  # a side face's longitude is one row
        lats.append(lat)
    assert all(lat is lats[0] for lat in lats[1:4])  # one latitude for the four side faces
    assert len(shared["lat"]) == 1  # the sides' (up and down: test_polar_faces_share_...)
    rows_shared: dict = {}
    for face in range(6):
        cubemap._face_strips(4 * face_size, 8 * face_size, face, face_size, pad, None,
                             ("bilinear",), rows, rows_shared)
    assert len(rows_shared["rows"]) == 3  # the panorama rows of each latitude once


def test_pooled_unrotated_build_equals_a_serial_face_by_face_build(monkeypatch):
    import cv2

    from pano_inpaint.geometry import cubemap

    erp = sphere_function_erp(96, dtype=np.uint8)
    threads = cv2.getNumThreads()
    try:
        clear_map_cache()
        cv2.setNumThreads(1)
        # no sharing: every face strip on its own
        monkeypatch.setattr(cubemap, "_prebuild_plans", lambda *args: {})
        monkeypatch.setattr(cubemap, "_polar_latitudes_are_negatives", lambda: False)
        alone = erp_to_cube(erp, 40, pad=6, interpolation="bicubic")
        monkeypatch.undo()
        for count in (1, 2):
            cv2.setNumThreads(count)
            clear_map_cache()
            assert np.array_equal(erp_to_cube(erp, 40, pad=6, interpolation="bicubic"), alone)
    finally:
        cv2.setNumThreads(threads)
        clear_map_cache()


@pytest.mark.parametrize("first", [4, 5])
def test_polar_faces_share_latitudes_exactly(first):
    """The up and down faces' latitudes are each other's negatives: the face built second takes
    the first's from the map cache (which then lets it go), bit for bit the plain formula's."""
    from pano_inpaint.geometry import cubemap
    from pano_inpaint.geometry._cache import map_cache
    from pano_inpaint.geometry.sphere import face_pixel_to_xyz, xyz_to_lonlat

    face_size, pad, rows = 163, 20, (7, 150)
    size = face_size + 2 * pad
    clear_map_cache()
    try:
        key = ("polar latitude", face_size, pad, rows)
        lats = {}
        for face in (first, 9 - first):
            lats[face] = cubemap._strip_lonlat(face, face_size, pad, None, rows)[1]
            if face == first:
                assert map_cache.peek((*key, first)) is lats[first]  # left for the other
        assert map_cache.peek((*key, first)) is None  # taken, not kept
        ys = np.arange(*rows, dtype=np.float32)[:, None]
        xs = np.arange(size, dtype=np.float32)[None, :]
        for face, lat in lats.items():
            want = xyz_to_lonlat(face_pixel_to_xyz(face, xs, ys, face_size, pad))[1]
            assert lat.dtype == np.float32 and np.array_equal(lat, want)
        assert np.array_equal(lats[4], -lats[5])
    finally:
        clear_map_cache()


def test_unrotated_write_back_maps_skip_the_face_test_on_polar_rows_and_stay_the_same(
        monkeypatch):
    from pano_inpaint.geometry import cubemap

    height, width, face_size = 96, 192, 56
    seen = []
    face_of = cubemap.xyz_to_face
    monkeypatch.setattr(cubemap, "xyz_to_face", lambda xyz: seen.append(xyz.size // 3)
                        or face_of(xyz))
    for rows, cols in (((0, height), (0, width)), ((80, 96), (0, width)), ((0, 9), (5, 150)),
                       ((20, 40), (0, width)), ((44, 52), (3, 190))):
        for interpolation in ("bilinear", "bicubic"):
            seen.clear()
            plain = cubemap._erp_block(height, width, face_size, None, interpolation, rows,
                                       cols)
            pixels = (rows[1] - rows[0]) * (cols[1] - cols[0])
            if rows[0] >= 80 or rows[1] <= 9:  # all within 30 degrees of a pole
                assert sum(seen) == 0
            elif rows == (0, height):
                assert 0 < sum(seen) < pixels
            # the same block through the rotated path (identity), every pixel tested
            turned = cubemap._erp_block(height, width, face_size, np.eye(3), interpolation,
                                        rows, cols)
            assert np.array_equal(plain.maps.xy, turned.maps.xy)
            assert np.array_equal(plain.maps.frac, turned.maps.frac)
            assert np.array_equal(plain.row_faces, turned.row_faces)


@pytest.mark.parametrize("rotation", [None, (0.7, -0.4, 0.2)])
def test_erp_pixel_faces_are_the_faces_the_write_back_reads(rotation):
    """Faces holding their own index, written back nearest-neighbour: every pixel shows the
    face :func:`erp_pixel_faces` gives it, cube edges and the wrap line included."""
    height, size = 64, 24
    rot = None if rotation is None else rotation_matrix(*rotation)
    faces = np.repeat(np.arange(6, dtype=np.uint8), size * size).reshape(6, size, size)
    written = cube_to_erp(faces, height, 2 * height, rotation=rot, interpolation="nearest")
    labels = cubemap.erp_pixel_faces(height, 2 * height, (3, height - 2), rotation=rot)
    assert labels.shape == (height - 5, 2 * height)
    np.testing.assert_array_equal(labels, written[3 : height - 2])

import numpy as np

from pano_inpaint.masks import cap_mask, nadir_mask, zenith_mask
from pano_inpaint.pipeline.regions import find_regions, plan_cube


def test_separate_holes_are_separate_regions():
    m = cap_mask(128, 256, 0, 0, 10) | cap_mask(128, 256, 120, 30, 10)
    assert len(find_regions(m)) == 2


def test_wrap_line_and_poles_join_regions():
    assert len(find_regions(cap_mask(128, 256, 180, 0, 10))) == 1
    # Two blobs touching the top row on opposite sides are one region around the pole.
    m = np.zeros((128, 256), bool)
    m[:6, 10:20] = True
    m[:6, 140:150] = True
    assert len(find_regions(m)) == 1


def test_nearby_holes_are_grouped():
    m = cap_mask(128, 256, 0, 0, 10) | cap_mask(128, 256, 21, 0, 10)
    assert len(find_regions(m, gap_degrees=4)) == 1


def test_region_band_keeps_only_its_pixels():
    m = nadir_mask(128, 256, 20) | zenith_mask(128, 256, 20)
    regions = find_regions(m)
    assert len(regions) == 2
    total = sum(int(r.full_mask_band(m).sum()) for r in regions)
    assert total == int(m.sum())


def test_plan_cube_centres_the_hole():
    (region,) = find_regions(cap_mask(128, 256, 100, 30, 10))
    rotation, faces = plan_cube(region, 128, 256, 64, 8)
    assert rotation is not None and len(faces) == 1
    (nadir,) = find_regions(nadir_mask(128, 256, 20))
    rotation, faces = plan_cube(nadir, 128, 256, 64, 8)
    assert rotation is None and faces == [5]


def test_faces_near_hole_never_misses_a_face_that_holds_hole_pixels():
    """The cheap coarse test against the exact per-pixel tile holes, over random small holes
    (the risky case: a few pixels just inside a tile's padded border) and rotations."""
    from pano_inpaint.geometry.rotation import as_rotation
    from pano_inpaint.pipeline.cube import RegionCube
    from pano_inpaint.pipeline.regions import faces_near_hole

    rng = np.random.default_rng(3)
    height, width, face_size, pad = 256, 512, 80, 10
    for trial in range(40):
        mask = np.zeros((height, width), bool)
        for _ in range(rng.integers(1, 4)):
            y, x = rng.integers(0, height), rng.integers(0, width)
            r = int(rng.integers(0, 3))
            mask[max(0, y - r):y + r + 1, max(0, x - r):x + r + 1] = True
        rotation = None if trial % 2 else as_rotation(tuple(rng.uniform(-np.pi, np.pi, 3)))
        cube = RegionCube(rotation, list(range(6)), face_size, pad, "bicubic")
        exact = cube.hole_tiles(mask, list(range(6)))
        holding = {f for f in range(6) if exact[f].any()}
        assert holding <= faces_near_hole(mask, face_size, pad, rotation, 4)
    assert faces_near_hole(nadir_mask(height, width, 25), face_size, pad, None, 4) == {5}
    assert faces_near_hole(np.zeros((height, width), bool), face_size, pad, None, 4) == set()


def test_coarse_mask_is_the_max_pool_of_the_mask():
    from pano_inpaint.pipeline.regions import coarse_mask

    rng = np.random.default_rng(2)
    for height, width, cell in ((64, 2048, 2), (100, 3000, 2), (37, 4100, 4)):
        mask = rng.random((height, width)) < 0.002  # single pixels: any() must see each one
        coarse, factor = coarse_mask(mask, width=width // cell)
        h, w = -(-height // factor), -(-width // factor)
        padded = np.zeros((h * factor, w * factor), bool)
        padded[:height, :width] = mask
        assert factor == cell and coarse.shape == (h, w)
        assert np.array_equal(coarse, padded.reshape(h, factor, w, factor).any(axis=(1, 3)))


def test_hits_per_face_counts_as_the_dot_products_with_the_face_axes():
    from pano_inpaint.geometry.conventions import FACE_CENTER, FACE_DOWN, FACE_RIGHT
    from pano_inpaint.pipeline.regions import _hits_per_face

    rng = np.random.default_rng(4)
    xyz = np.concatenate([rng.normal(size=(20000, 3)),
                          rng.integers(-2, 3, size=(2000, 3)),  # ties, zeros, |a| == limit
                          np.eye(3), -np.eye(3)]).astype(np.float64)
    for limit in (1.0, 1.25, 2.0):
        want = []
        for face in range(6):
            depth = xyz @ FACE_CENTER[face]
            with np.errstate(divide="ignore", invalid="ignore"):
                a = (xyz @ FACE_RIGHT[face]) / depth
                b = (xyz @ FACE_DOWN[face]) / depth
            want.append(int(((depth > 0) & (np.abs(a) <= limit) & (np.abs(b) <= limit)).sum()))
        assert _hits_per_face(xyz, limit) == want
        assert min(want) > 0


def test_face_cover_is_the_share_of_the_face_under_the_hole():
    """A nadir cap's share of the down face: analytic for a disc in the face's square (a cap of
    ``a`` degrees is a disc of radius ``tan a`` half-faces there, the corners cut off beyond
    45), the same on a cube rotated to centre a cap elsewhere, and nothing on the top face."""
    from pano_inpaint.geometry.conventions import FACE_ORDER
    from pano_inpaint.pipeline.regions import face_cover

    down, up = FACE_ORDER.index("D"), FACE_ORDER.index("U")
    for degrees, share in ((30.0, np.pi * np.tan(np.radians(30)) ** 2 / 4), (50.0, 0.95)):
        (region,) = find_regions(nadir_mask(256, 512, degrees))
        assert abs(face_cover(region, None, down) - share) < 0.03
        assert face_cover(region, None, up) == 0.0
    (region,) = find_regions(cap_mask(256, 512, 60, -20, 50))
    rotation, faces = plan_cube(region, 256, 512, 64, 8)
    assert rotation is not None and abs(face_cover(region, rotation, faces[0]) - 0.95) < 0.03

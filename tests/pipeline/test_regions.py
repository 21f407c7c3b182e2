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

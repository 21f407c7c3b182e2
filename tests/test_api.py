import numpy as np
import pytest

from pano_inpaint import cap_mask, inpaint, list_generators, nadir_mask, zenith_mask
from pano_inpaint.config import load_config
from pano_inpaint.generators import UnknownGeneratorError
from tests.synthetic import sphere_function_erp, wavy_rgb

H = 64
CASES = ["nadir", "zenith", "wrap", "cube-edge", "cube-corner"]


def _smooth(dtype=np.uint8, scale=1.0, height=H):
    return sphere_function_erp(height, dtype=dtype, scale=scale)


def _blank(erp, mask):
    """The panorama with its hole emptied: the truth must not be there for the fill to find."""
    damaged = erp.copy()
    damaged[mask] = 0
    return damaged


@pytest.mark.parametrize("name", list_generators())
def test_known_pixels_are_bit_identical_for_every_generator(name):
    erp = _smooth(np.uint16)
    mask = cap_mask(H, 2 * H, 170, -30, 20) | nadir_mask(H, 2 * H, 15)
    damaged = _blank(erp, mask)
    out = inpaint(damaged, mask, generator=name).image
    assert out.dtype == erp.dtype and out.shape == erp.shape
    assert np.array_equal(out[~mask], erp[~mask])
    assert (out[mask] > 0).all()  # every hole pixel was filled (the field is nowhere black)


@pytest.mark.parametrize("name", list_generators())
def test_every_generator_restores_much_better_than_a_zero_fill(name):
    erp = _smooth(height=96)
    mask = cap_mask(96, 192, 30, -40, 15)
    filled = inpaint(_blank(erp, mask), mask, generator=name).image
    mse = ((filled.astype(float) - erp)[mask] ** 2).mean()
    zero_filled = (erp[mask].astype(float) ** 2).mean()
    assert mse < 0.01 * zero_filled  # 20 dB better (a colour match on the blank: 0.47)


@pytest.mark.parametrize("name", ["telea", "ns"])
def test_smooth_generators_beat_the_mean_fill(name):
    erp = sphere_function_erp(96, wavy_rgb, dtype=np.uint8)
    mask = cap_mask(96, 192, 30, -40, 15)
    damaged = _blank(erp, mask)
    err = np.abs(inpaint(damaged, mask, generator=name).image.astype(float) - erp)[mask].mean()
    floor = np.abs(inpaint(damaged, mask, generator="mean").image.astype(float) - erp)[mask].mean()
    assert err < floor


@pytest.mark.parametrize("case", CASES)
def test_holes_anywhere_give_continuous_results(case):
    erp = _smooth(height=128)
    mask = {
        "nadir": lambda: nadir_mask(128, 256, 25),
        "zenith": lambda: zenith_mask(128, 256, 20),
        "wrap": lambda: cap_mask(128, 256, 180, 5, 15),
        "cube-edge": lambda: cap_mask(128, 256, 45, 0, 12),
        "cube-corner": lambda: cap_mask(128, 256, 45, 35.26, 12),
    }[case]()
    result = inpaint(_blank(erp, mask), mask, generator="telea")
    report = result.report
    assert report.ok, report.to_dict()
    assert report["wrap"].value < 2.0
    assert report["boundary"].value < 1.0
    err = np.abs(result.image.astype(float) - erp)[mask]
    assert err.mean() < 10  # of 255, on a smooth field


def test_seams_are_reconciled_on_a_hole_spanning_several_faces():
    erp = sphere_function_erp(128, wavy_rgb, dtype=np.uint8)
    mask = cap_mask(128, 256, 20, -10, 55)  # no padded face holds it: filled on all at once
    damaged = _blank(erp, mask)
    joint = "cube.split_wide=false"
    on = inpaint(damaged, mask, generator="telea",
                 config=load_config(overrides=[joint])).report["seams"].value
    off = inpaint(damaged, mask, generator="telea", config=load_config(
        overrides=[joint, "blend.reconcile=false"])).report["seams"].value
    assert on < 1.5 < off


def test_a_band_around_the_horizon_has_no_seams_at_the_cube_edges():
    """A 360-degree band: each face's part is filled seeing the parts filled before it, so the
    fills meet at the cube edges as smoothly as the panorama itself steps there (its figure
    on the known pixels beside the band: 0.97). Filled on its four faces at once, each face's
    fill ended at the edges where its neighbour's began: 1.33."""
    erp = sphere_function_erp(64, wavy_rgb, dtype=np.uint8)
    lats = 90 - (np.arange(64) + 0.5) / 64 * 180
    mask = np.repeat((np.abs(lats) <= 6)[:, None], 128, axis=1)
    result = inpaint(_blank(erp, mask), mask, generator="patchmatch")
    seams = result.report["seams"]
    assert seams.value < 1.15 * seams.reference
    assert result.regions[0].faces == ["F", "R", "B", "L"]
    assert np.array_equal(result.image[~mask], erp[~mask])


def test_a_hole_crossing_the_wrap_line_is_one_region():
    erp = _smooth()
    result = inpaint(erp, cap_mask(H, 2 * H, 180, 0, 15), generator="telea")
    assert len(result.regions) == 1


def test_yaw_rolling_the_input_rolls_the_output():
    erp = _smooth(height=128)
    mask = cap_mask(128, 256, 30, -20, 15)
    damaged = _blank(erp, mask)
    shift = 64  # a quarter turn
    a = inpaint(damaged, mask, generator="telea").image.astype(float)
    b = inpaint(np.roll(damaged, shift, axis=1), np.roll(mask, shift, axis=1),
                generator="telea").image.astype(float)
    diff = np.abs(np.roll(a, shift, axis=1) - b)[np.roll(mask, shift, axis=1)]
    assert diff.mean() < 1.0
    assert np.abs(a - erp)[mask].mean() < 5  # and the fill is the field, not the blank


@pytest.mark.parametrize("name", list_generators())
@pytest.mark.parametrize(
    "dtype,scale", [(np.uint8, 1.0), (np.uint16, 1.0), (np.float32, 1.0), (np.float32, 5000.0)],
    ids=["uint8", "uint16", "float32", "hdr"],
)
def test_dtypes_and_hdr_range_are_kept_by_every_generator(name, dtype, scale):
    erp = _smooth(dtype, scale)
    mask = nadir_mask(H, 2 * H, 25)
    out = inpaint(_blank(erp, mask), mask, generator=name).image
    assert out.dtype == dtype
    assert np.array_equal(out[~mask], erp[~mask])
    if scale > 1:
        # HDR fills stay in the scene's linear range: near its values, not clipped to 1
        assert out[mask].min() > 0.5 * erp[mask].min() and out[mask].max() > 1000
        assert out.min() >= 0
    rel = np.abs(out.astype(float) - erp)[mask].mean() / erp.max()
    assert rel < 0.05


class _Blazes:
    """Fills every hole with a dim value (``dim``) and, on a share ``share`` of its pixels, a
    blaze (``blaze``: an HDR sun's copy); samples bicubic and writes back with lanczos, as
    PatchMatch does."""

    name = "test-blazes"
    interpolation = "bicubic"
    write_interpolation = "lanczos"

    def __init__(self, dim: float = 0.05, blaze: float = 1e4, share: float = 0.02) -> None:
        self.dim, self.blaze, self.share = dim, blaze, share

    def inpaint(self, tiles):
        out = np.array(tiles.values, np.float32)
        blaze = np.random.default_rng(0).random(tiles.mask.shape) < self.share
        out[tiles.mask] = self.dim
        out[tiles.mask & blaze] = self.blaze
        return out


def _no_colour_matching():
    """The default config with the colour matching off (it clips the fill on its own)."""
    import dataclasses

    from pano_inpaint.config import PipelineConfig

    config = PipelineConfig()
    return dataclasses.replace(config, blend=dataclasses.replace(config.blend,
                                                                 match_colour=False))


@pytest.mark.parametrize("channels", [1, 3])
def test_an_hdr_fill_written_back_has_no_negative_radiance(channels):
    """The write-back's kernel rings beside a blaze; with the colour matching off (which would
    clip it) no hole pixel comes back negative, and known pixels are untouched."""
    rng = np.random.default_rng(1)
    erp = (rng.random((H, 2 * H, channels)) * 0.5).astype(np.float32)
    erp[0, 0] = 500.0  # scene-referred
    erp = erp[..., 0] if channels == 1 else erp
    mask = nadir_mask(H, 2 * H, 30)
    image = inpaint(erp, mask, generator=_Blazes(), config=_no_colour_matching()).image
    assert image[mask].max() > 100  # the blazes came back
    assert image.min() >= 0
    assert np.array_equal(image[~mask], erp[~mask])


@pytest.mark.parametrize("channels", [1, 3])
def test_a_display_float_fill_written_back_stays_within_0_1(channels):
    """A display-referred float image (nothing above 1): the write-back's ringing beside a
    white fill would overshoot 1, after which the image would read as HDR; with the colour
    matching off (which clips to the proxy's range) the hole still stays in ``[0, 1]``."""
    white_spots = _Blazes(dim=0.0, blaze=1.0, share=0.05)
    rng = np.random.default_rng(2)
    erp = (rng.random((H, 2 * H, channels)) * 0.5).astype(np.float32)
    erp[0, 0] = 1.0
    erp = erp[..., 0] if channels == 1 else erp
    mask = nadir_mask(H, 2 * H, 30)
    image = inpaint(erp, mask, generator=white_spots, config=_no_colour_matching()).image
    assert image[mask].max() > 0.9  # the spots came back
    assert image.max() <= 1.0 and image.min() >= 0.0
    assert np.array_equal(image[~mask], erp[~mask])


def test_alpha_and_gray_inputs():
    rgba = np.concatenate([_smooth(), np.full((H, 2 * H, 1), 255, np.uint8)], axis=-1)
    mask = nadir_mask(H, 2 * H, 20)
    out = inpaint(_blank(rgba, mask), mask, generator="telea").image
    assert out.shape == rgba.shape and (out[..., 3] > 250).all()
    assert np.abs(out[..., :3].astype(float) - rgba[..., :3])[mask].mean() < 10  # of 255
    gray = _smooth()[..., 0]
    filled = inpaint(_blank(gray, mask), mask, generator="telea").image
    assert filled.shape == gray.shape and np.abs(filled.astype(float) - gray)[mask].mean() < 10


def test_empty_mask_returns_the_input_and_says_so():
    erp = _smooth()
    result = inpaint(erp, np.zeros((H, 2 * H), bool), generator="telea")
    assert np.array_equal(result.image, erp) and result.image is not erp
    assert any("empty mask" in n for n in result.report.notes)


def test_dilation_grows_the_hole():
    erp = _smooth()
    mask = cap_mask(H, 2 * H, 0, 0, 10)
    result = inpaint(erp, mask, generator="telea",
                     config=load_config(overrides=["mask.dilate=3"]))
    changed = result.image != erp
    assert changed.any(axis=-1)[~mask].any()  # the ring around the hole was refilled


def test_progress_is_reported():
    seen = []
    inpaint(_smooth(), nadir_mask(H, 2 * H, 20), generator="telea",
            progress=lambda f, stage: seen.append(f))
    assert seen[-1] == 1.0 and seen == sorted(seen)


def test_invalid_inputs():
    erp = _smooth()
    with pytest.raises(ValueError, match=r"W == 2 \* H"):
        inpaint(erp[:, :100], np.zeros((H, 100), bool))
    with pytest.raises(ValueError, match="mask has shape"):
        inpaint(erp, np.zeros((H, H), bool))
    with pytest.raises(ValueError, match="covers"):
        inpaint(erp, np.ones((H, 2 * H), bool))
    with pytest.raises(UnknownGeneratorError, match="available: "):
        inpaint(erp, nadir_mask(H, 2 * H, 10), generator="nope")
    with pytest.raises(TypeError, match="dtype"):
        inpaint(erp.astype(np.float64), nadir_mask(H, 2 * H, 10))


@pytest.mark.parametrize("name", list_generators())
def test_a_flat_panorama_stays_flat(name):
    img = np.full((H, 2 * H, 3), 100, np.uint8)
    mask = nadir_mask(H, 2 * H, 20) | cap_mask(H, 2 * H, 45, 0, 12)
    assert (inpaint(_blank(img, mask), mask, generator=name).image == 100).all()


class _StripedFill:
    """A generator whose fill alternates two linear values column by column (a texture whose
    mean is darker than the bright sky around it, as a copied patch can be)."""

    name = "striped"

    def __init__(self, bright: float, dark: float) -> None:
        self.bright, self.dark = bright, dark

    def inpaint(self, tiles):
        out = np.array(tiles.values, np.float32)
        stripes = np.where(np.arange(out.shape[2]) % 2 == 0, self.bright, self.dark)
        fill = np.broadcast_to(stripes[None, None, :, None], out.shape)
        np.copyto(out, fill, where=tiles.mask[..., None])
        return out


def test_colour_matching_of_an_hdr_fill_keeps_it_near_its_surroundings():
    """A bright HDR sky (20, most of the panorama a dark ground at 0.05) sits near 1 in the
    proxy, where the inverse tone map is unbounded: matching the fill's mean there by a proxy
    offset sent the brightest stripes to 1.3e5 (measured). In log brightness it is a gain: 29."""
    erp = np.full((32, 64, 3), 0.05, np.float32)
    erp[:12] = 20.0
    mask = np.zeros((32, 64), bool)
    mask[3:9, 20:40] = True
    config = load_config(None, overrides=("cube.rotate=false",))
    out = inpaint(erp, mask, generator=_StripedFill(20.0, 2.0), config=config).image
    fill = out[mask]
    assert np.isfinite(fill).all() and fill.min() >= 0
    assert fill.max() <= 2 * 20.0
    assert np.array_equal(out[~mask], erp[~mask])


@pytest.mark.parametrize("name", ["telea", "patchmatch"])
@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf])
def test_non_finite_known_pixels_beside_the_hole_are_kept_and_do_not_spread(name, bad_value):
    """A few NaN or infinite known values next to the hole (an HDR stitcher's division by zero)
    stay as they are, and the fill is finite: they used to spread through the fill's blurs and
    searches until every hole pixel came back NaN."""
    erp = _smooth(np.float32, scale=4.0)  # HDR: values up to 4
    mask = nadir_mask(H, 2 * H, 30)
    rim = np.flatnonzero(mask.any(axis=1))[0] - 1  # the known row just above the cap
    erp[rim, ::16] = bad_value
    out = inpaint(_blank(erp, mask), mask, generator=name).image
    assert np.isfinite(out[mask]).all()
    assert np.array_equal(out[~mask], erp[~mask], equal_nan=True)
    assert (out[mask] <= 4.0 * 1.5).all()  # +inf was not taken as a sun


@pytest.mark.parametrize("name", ["telea", "patchmatch"])
def test_a_hole_of_nan_is_filled_with_finite_values(name):
    """A stitcher leaves the nadir it did not see as NaN: patchmatch's whole fill came back NaN
    (from 128 rows up; venice_sunset at 1K: 175104 of 175104 values)."""
    erp = _smooth(np.float32, scale=4.0, height=128)
    mask = nadir_mask(128, 256, 30)
    erp[mask] = np.nan
    out = inpaint(erp, mask, generator=name).image
    assert np.isfinite(out).all() and np.array_equal(out[~mask], erp[~mask])

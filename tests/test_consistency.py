import numpy as np
import pytest

from pano_inpaint import cap_mask, check_consistency, nadir_mask
from pano_inpaint.geometry import cube_to_erp, erp_to_cube
from tests.synthetic import sphere_function_erp, wavy_rgb

H = 128


def _seamless():
    return sphere_function_erp(H, wavy_rgb, dtype=np.uint8)


def test_a_seamless_panorama_passes_every_check():
    report = check_consistency(_seamless())
    assert report.ok, report.to_dict()
    for name in ("wrap", "pole_top", "pole_bottom", "seams"):
        assert report[name].value < 1.5


def test_a_break_at_the_wrap_line_is_flagged():
    ramp = np.tile(np.linspace(0, 255, 2 * H)[None, :, None], (H, 1, 3)).astype(np.uint8)
    assert "wrap" in check_consistency(ramp).flagged


def test_a_smeared_pole_is_flagged():
    erp = _seamless()
    erp[0] = np.random.default_rng(0).integers(0, 255, erp[0].shape)
    report = check_consistency(erp)
    assert "pole_top" in report.flagged and "pole_bottom" not in report.flagged


def test_non_finite_pixels_are_measured_not_passed():
    """A NaN or infinite pixel made its checks' ratios NaN, which no threshold flags: `check`
    printed 'nan ... ok'. They are measured as the fill reads them (0, or the largest value)."""
    erp = (_seamless().astype(np.float32) / 255) * 4.0  # HDR
    erp[-1, : H // 2] = np.nan  # an unseen nadir, half of its last row
    erp[H // 2, 0] = np.inf
    report = check_consistency(erp)
    assert all(np.isfinite(report[name].value) for name in ("wrap", "pole_bottom", "seams"))
    assert "pole_bottom" in report.flagged  # half the pole black: a spread pole
    assert any("NaN or infinite" in note for note in report.notes)
    clean = check_consistency((_seamless().astype(np.float32) / 255) * 4.0)
    assert report["pole_top"].value == clean["pole_top"].value


def test_faces_filled_independently_show_seams():
    erp = _seamless()
    mask = cap_mask(H, 2 * H, 45, 0, 25)  # centred on the front/right edge
    faces = erp_to_cube(erp, H // 2)
    faces[0] = np.clip(faces[0].astype(int) + 40, 0, 255)  # the front face's fill is brighter
    broken = erp.copy()
    cube_to_erp(faces, H, 2 * H, mask=mask, out=broken)
    report = check_consistency(broken, mask, reference=erp)
    assert "seams" in report.flagged
    assert report["seams"].reference < 1.5  # the known surroundings have no seam
    assert check_consistency(erp, mask)["seams"].value < 1.5


def test_a_colour_step_at_the_hole_edge_is_flagged():
    erp = _seamless()
    mask = nadir_mask(H, 2 * H, 30)
    shifted = erp.copy()
    shifted[mask] = np.clip(shifted[mask].astype(int) + 50, 0, 255)
    assert "boundary" in check_consistency(shifted, mask).flagged
    assert "boundary" not in check_consistency(erp, mask).flagged


def test_report_serialises():
    data = check_consistency(_seamless(), nadir_mask(H, 2 * H, 20)).to_dict()
    assert set(data) == {"ok", "flagged", "hole_fraction", "checks", "notes"}
    assert data["checks"]["boundary"]["threshold"] == 2.0


def test_hdr_input_is_measured_on_a_tone_mapped_proxy():
    """Bright linear HDR (every value far above 1): clipped to [0, 1] it would look flat and
    every break would vanish; on the tone-mapped proxy a break shows, at any exposure."""
    reports = {}
    for scale in (10.0, 1000.0):
        erp = sphere_function_erp(H, wavy_rgb, scale=scale)
        broken = erp.copy()
        broken[:, :H] *= 1.5  # the western half brighter: a step at the wrap line
        reports[scale] = check_consistency(erp), check_consistency(broken)
    for clean, broken in reports.values():
        assert clean.ok, clean.to_dict()
        assert "wrap" in broken.flagged and broken["wrap"].value > 5
    # the proxy's exposure follows the image, so the figures do not depend on its scale
    for low, high in zip(reports[10.0][0].checks, reports[1000.0][0].checks, strict=True):
        assert low.value == pytest.approx(high.value, rel=1e-3)


def test_the_boundary_figures_are_those_of_the_whole_band(monkeypatch):
    """Measured in windows around the hole's edge rows, the boundary figures equal those of
    the whole band of the hole's rows (the windows read all the rings' means read), on a cap
    (tall, with its interior far from any edge) and on scattered blobs, one across the wrap."""
    import cv2

    from pano_inpaint import consistency
    from pano_inpaint.values import ToneMap

    height = 256
    rng = np.random.default_rng(4)
    erp = cv2.GaussianBlur(rng.integers(0, 256, (height, 2 * height, 3), np.uint8), (0, 0), 1.5)
    blobs = np.zeros((height, 2 * height), np.uint8)
    for centre, axes in (((40, 60), (30, 12)), ((300, 150), (20, 40)), ((505, 200), (25, 10))):
        cv2.ellipse(blobs, centre, axes, 30, 0, 360, 1, -1)
    tone = ToneMap.for_image(erp, hdr=False)
    for hole in (nadir_mask(height, 2 * height, 50), blobs.astype(bool)):
        windowed = consistency._boundary(erp, hole, tone)
        with monkeypatch.context() as patch:
            patch.setattr(consistency, "_boundary_windows", lambda near, rows: [(0, rows)])
            whole = consistency._boundary(erp, hole, tone)
        assert windowed[0] is not None
        assert windowed == whole

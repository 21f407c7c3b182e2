"""Consistency checks for any panorama: wrap-around line, poles, cube-face seams, hole boundary.

Every figure is a ratio of a jump to the ordinary pixel-to-pixel step in the same place, measured
on the display-referred proxy (``[0, 1]``), so 1 means "no more visible than any other step"
(both get one 8-bit code value added, so invisible differences cannot make a large ratio):

* ``wrap``: mean |column 0 - column W-1| over the ordinary column step next to the wrap line.
  With a mask that crosses the line, only the rows where it does.
* ``pole_top`` / ``pole_bottom``: the first (last) row is a tiny circle around the pole: the
  spread of its values around their mean, over the ordinary vertical step beside the pole.
* ``seams``: on the cube the hole was filled on, the jump across every face edge (last pixel of a
  face vs first pixel of its neighbour) over the step just inside the face, on edge pixels inside
  the hole. Fills made face by face without shared context show up here.
* ``boundary``: the local mean colour step between a thin ring inside the hole edge and one
  outside, over the same step between two rings both outside (the scene's own variation).

With ``reference`` (the image before filling) each figure is also measured on the reference's
known pixels in the same places, so a report says both "how big" and "compared with what".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import cv2
import numpy as np

from pano_inpaint._checks import (
    all_finite,
    check_erp,
    check_mask,
    check_panorama_size,
    finite_stand_in,
)
from pano_inpaint.config import ChecksConfig
from pano_inpaint.geometry._remap import PointSampler
from pano_inpaint.geometry.sphere import face_pixel_to_xyz, xyz_to_erp_pixel
from pano_inpaint.masks import dilate_mask, mask_fraction
from pano_inpaint.values import ToneMap, is_hdr, to_values

__all__ = ["CheckResult", "ConsistencyReport", "check_consistency"]

_NEAR_WRAP = 8  # columns each side of the wrap line that define the "ordinary" step


@dataclass
class CheckResult:
    """One consistency figure.

    Attributes:
        name: which check.
        value: the ratio measured on the image (None when the check does not apply).
        reference: the same figure on the reference image's known pixels (None if not measured).
        threshold: value above which the check is flagged.
        flagged: True when ``value > threshold``.
        detail: what was measured, in words.
    """

    name: str
    value: float | None
    reference: float | None
    threshold: float
    flagged: bool
    detail: str


@dataclass
class ConsistencyReport:
    """Wrap, pole, seam and boundary figures for one panorama (see the module docstring)."""

    checks: list[CheckResult]
    hole_fraction: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> list[str]:
        return [c.name for c in self.checks if c.flagged]

    @property
    def ok(self) -> bool:
        return not self.flagged

    def __getitem__(self, name: str) -> CheckResult:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(name)

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "flagged": self.flagged,
            "hole_fraction": self.hole_fraction,
            "checks": {c.name: {k: v for k, v in asdict(c).items() if k != "name"}
                       for c in self.checks},
            "notes": list(self.notes),
        }


def _proxy_rows(image: np.ndarray, rows: slice, tone: ToneMap) -> np.ndarray:
    """Mean-over-colour proxy of some rows, ``(h, W)`` float32."""
    part = image[rows]
    part = part[..., None] if part.ndim == 2 else part[..., :3]
    return tone.to_proxy(to_values(part)).mean(axis=-1)


# One 8-bit code value: jumps and steps below it are invisible, so a perfectly smooth fill (steps
# near 0) does not turn a rounding-level jump into a huge ratio.
_VISIBILITY_FLOOR = 1 / 255


def _ratio(jump: float, step: float) -> float:
    return float((jump + _VISIBILITY_FLOOR) / (step + _VISIBILITY_FLOOR))


def _wrap(image: np.ndarray, rows: np.ndarray, tone: ToneMap) -> float | None:
    if rows.size == 0:
        return None
    sel = image[rows]
    cols = np.r_[0 : _NEAR_WRAP + 1, image.shape[1] - _NEAR_WRAP - 1 : image.shape[1]]
    strip = _proxy_rows(sel[:, cols], slice(None), tone)  # (n, 2 * _NEAR_WRAP + 2)
    jump = np.abs(strip[:, 0] - strip[:, -1]).mean()
    steps = np.abs(np.diff(strip[:, : _NEAR_WRAP + 1], axis=1)).mean() / 2 + np.abs(
        np.diff(strip[:, _NEAR_WRAP + 1 :], axis=1)
    ).mean() / 2
    return _ratio(jump, steps)


def _pole(image: np.ndarray, top: bool, tone: ToneMap) -> float:
    height = image.shape[0]
    rows = slice(0, 3) if top else slice(height - 3, height)
    p = _proxy_rows(image, rows, tone)
    if not top:
        p = p[::-1]
    spread = np.abs(p[0] - p[0].mean()).mean()
    step = np.abs(p[1] - p[2]).mean() + np.abs(np.diff(p[1])).mean()
    return _ratio(spread, step)


def _edge_points(face_size: int, rotation: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """Panorama directions of, for every face and every pixel along its four edges: the pixel
    just outside the edge (in the neighbour), the edge pixel, and the next one inside.

    Returns three ``(n, 3)`` direction arrays (outside, edge, inner).
    """
    t = np.arange(1, face_size + 1, dtype=np.float64)
    far = face_size + 1.0
    sides = []  # (x, y) of outside, edge, inner in a face padded by 1
    for depth in range(3):
        sides.append(np.concatenate([
            np.stack([t, np.full_like(t, depth)]),  # top
            np.stack([t, np.full_like(t, far - depth)]),  # bottom
            np.stack([np.full_like(t, depth), t]),  # left
            np.stack([np.full_like(t, far - depth), t]),  # right
        ], axis=1))
    out = []
    for x, y in sides:
        xyz = np.concatenate([face_pixel_to_xyz(f, x, y, face_size, 1) for f in range(6)])
        out.append(xyz if rotation is None else xyz @ rotation.T)
    return tuple(out)


def _sample_points(image: np.ndarray, xyz: np.ndarray, interpolation: str) -> np.ndarray:
    """Values of ``image`` ``(H, W[, C])`` at directions ``(n, 3)`` -> ``(n, C)`` (columns wrap)."""
    height, width = image.shape[:2]
    x, y = xyz_to_erp_pixel(xyz, height, width)
    src = image[..., None] if image.ndim == 2 else image
    sampler = PointSampler.build(x, np.clip(y, 0, height - 1), interpolation)
    return sampler(src, border=cv2.BORDER_WRAP)


def _seams(
    image: np.ndarray, hole: np.ndarray | None, rotation: np.ndarray | None, tone: ToneMap,
    known_band: bool = False,
) -> float | None:
    """Jump across cube edges over the step inside, on edge pixels inside ``hole`` (or on known
    pixels within a few pixels around it with ``known_band``; everywhere without a hole).

    Only the pixel triplets across the edges are sampled, at the panorama's own resolution
    (face size W / 4), so the check costs little whatever the image size.
    """
    points = _edge_points(image.shape[1] // 4, rotation)
    if hole is not None:
        region = dilate_mask(hole, 4) & ~hole if known_band else hole
        inside = [(_sample_points(region.view(np.uint8), p, "nearest")[:, 0] > 0)
                  for p in points]
        use = inside[0] & inside[1] & inside[2]
        if use.sum() < 8:
            return None
        points = tuple(p[use] for p in points)
    outside, edge, inner = (
        tone.to_proxy(to_values(_sample_points(image, p, "bilinear")[:, :3])).mean(axis=-1)
        for p in points
    )
    return _ratio(np.abs(edge - outside).mean(), np.abs(edge - inner).mean())


_BOUNDARY_MARGIN = 12  # rows of known pixels above and below the hole's rows
_RING = 7  # the rings' width (the 7 x 7 square they are grown and shrunk by)
_SIGMA = 3  # their local means' Gaussian (OpenCV's float kernel reaches 4 sigma)
# How far (in rows) what a pixel of the edge or the ring measures reads: two dilations by the
# ring's half width, then the Gaussian's reach.
_BOUNDARY_REACH = 2 * (_RING // 2) + 4 * _SIGMA


def _boundary_windows(edge_rows: np.ndarray, rows: int) -> list[tuple[int, int]]:
    """Row windows ``[a, b)`` of a band ``rows`` tall that hold every row of ``edge_rows`` (bool)
    and ``2 * _BOUNDARY_REACH`` rows more each side (clipped), overlapping ones merged: what the
    rings' means at those rows read (and as much again, so nothing they read sits near a
    window's border, where a window's borders would differ from the band's)."""
    wanted = np.flatnonzero(edge_rows)
    windows: list[tuple[int, int]] = []
    reach = 2 * _BOUNDARY_REACH
    for row in wanted:
        a, b = max(0, row - reach), min(rows, row + reach + 1)
        if windows and a <= windows[-1][1]:
            windows[-1] = (windows[-1][0], b)
        else:
            windows.append((a, b))
    return windows


def _boundary(image: np.ndarray, hole: np.ndarray, tone: ToneMap) -> tuple[float | None, float]:
    """(step across the hole edge, step between two known rings) over the hole's rows.

    Measured on the rows near the hole's edge only (a cap's interior is no part of either ring
    and holds no edge pixel), in windows wide enough that every figure read there is the one
    the whole band of the hole's rows gives."""
    rows = np.flatnonzero(hole.any(axis=1))
    if rows.size == 0 or hole.all():
        return None, 0.0
    margin = _BOUNDARY_MARGIN
    r0, r1 = max(0, rows[0] - margin), min(hole.shape[0], rows[-1] + margin + 1)
    wrap = 3 * margin
    h = hole[r0:r1].astype(np.uint8)
    h = np.concatenate([h[:, -wrap:], h, h[:, :wrap]], axis=1)
    k3 = np.ones((_RING, _RING), np.uint8)
    grow1 = cv2.dilate(h, k3)
    # Rows holding an edge pixel or a pixel of the first ring (the two sets measured): the
    # band's other rows are only read through the blurs.
    edge_all = (h & ~cv2.erode(h, np.ones((3, 3), np.uint8)) & 1).astype(bool)
    near = (edge_all | (grow1 & ~h & 1).astype(bool)).any(axis=1)
    steps, naturals = [], []
    for a, b in _boundary_windows(near, r1 - r0):
        step, natural = _boundary_window(image, tone, r0 + a, r0 + b, h[a:b], wrap)
        steps.append(step)
        naturals.append(natural)
    step_values, natural_values = np.concatenate(steps), np.concatenate(naturals)
    if step_values.size < 4 or natural_values.size < 4:
        return None, 0.0
    return float(step_values.mean()), float(natural_values.mean())


def _boundary_window(image: np.ndarray, tone: ToneMap, y0: int, y1: int, h: np.ndarray,
                     wrap: int) -> tuple[np.ndarray, np.ndarray]:
    """The steps at the edge pixels and between the rings' pixels of rows ``[y0, y1)`` of
    ``image`` (``h``: those rows of the hole, uint8, columns wrapped by ``wrap``), row-major."""
    p = _proxy_rows(image, slice(y0, y1), tone)
    p = np.concatenate([p[:, -wrap:], p, p[:, :wrap]], axis=1)
    k3 = np.ones((_RING, _RING), np.uint8)
    grow1 = cv2.dilate(h, k3)
    grow2 = cv2.dilate(grow1, k3)
    inner = (h & ~cv2.erode(h, k3, borderType=cv2.BORDER_REPLICATE) & 1).astype(np.float32)
    outer1 = (grow1 & ~h & 1).astype(np.float32)
    outer2 = (grow2 & ~grow1 & 1).astype(np.float32)

    def mean(ring: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w = cv2.GaussianBlur(ring, (0, 0), _SIGMA)
        return cv2.GaussianBlur(p * ring, (0, 0), _SIGMA) / np.maximum(w, 1e-6), w

    m_in, w_in = mean(inner)
    m_o1, w_o1 = mean(outer1)
    m_o2, w_o2 = mean(outer2)
    edge = (h & ~cv2.erode(h, np.ones((3, 3), np.uint8)) & 1).astype(bool)
    edge &= (w_in > 0.05) & (w_o1 > 0.05)
    edge[:, :wrap] = False
    edge[:, -wrap:] = False
    ring = outer1.astype(bool) & (w_o1 > 0.05) & (w_o2 > 0.05)
    return np.abs(m_in - m_o1)[edge], np.abs(m_o1 - m_o2)[ring]


@dataclass(frozen=True)
class _Subject:
    """What the checks measure: the image, its hole, the image before filling, tone maps."""

    image: np.ndarray
    mask: np.ndarray | None
    reference: np.ndarray | None
    tone: ToneMap
    ref_tone: ToneMap
    config: ChecksConfig


def _wrap_check(s: _Subject) -> CheckResult:
    """The wrap-around line, on the rows where the hole crosses it (all rows without one)."""
    height = s.image.shape[0]
    crossing = None if s.mask is None else s.mask[:, 0] | s.mask[:, -1]
    if crossing is None or not crossing.any():
        rows, detail = np.arange(height), "all rows"
    else:
        rows = np.flatnonzero(crossing)
        detail = f"{rows.size} rows where the hole crosses the wrap line"
    ref = None
    if s.reference is not None:
        known_rows = np.arange(height) if crossing is None else np.flatnonzero(~crossing)
        ref = _wrap(s.reference, known_rows, s.ref_tone)
    return _result("wrap", _wrap(s.image, rows, s.tone), ref, s.config.wrap_ratio_max, detail)


def _pole_checks(s: _Subject) -> list[CheckResult]:
    """The first and last rows; flagged only where the hole reaches the pole."""
    checks = []
    for name, top in (("pole_top", True), ("pole_bottom", False)):
        row = 0 if top else s.image.shape[0] - 1
        touched = s.mask is None or bool(s.mask[row].any())
        ref = None
        if s.reference is not None and (s.mask is None or not s.mask[row].any()):
            ref = _pole(s.reference, top, s.ref_tone)
        detail = "first row" if top else "last row"
        if not touched:
            detail += " (hole does not reach the pole; not flagged)"
        result = _result(name, _pole(s.image, top, s.tone), ref, s.config.pole_spread_ratio_max,
                         detail)
        result.flagged = result.flagged and touched
        checks.append(result)
    return checks


def _seam_check(s: _Subject, rotations: Sequence[np.ndarray | None],
                notes: list[str]) -> CheckResult:
    """Cube seams in every frame the fill was made on; the worst one counts."""
    values, refs = [], []
    for rotation in rotations:
        v = _seams(s.image, s.mask, rotation, s.tone)
        if v is not None:
            values.append(v)
        if s.reference is not None and s.mask is not None:
            r = _seams(s.reference, s.mask, rotation, s.ref_tone, known_band=True)
            if r is not None:
                refs.append(r)
    if s.mask is not None and not values:
        notes.append("no cube edge crosses the hole: seam check does not apply")
    return _result(
        "seams", max(values) if values else None, max(refs) if refs else None,
        s.config.seam_ratio_max,
        "cube edges inside the hole" if s.mask is not None else "all cube edges",
    )


def _boundary_check(s: _Subject, mask: np.ndarray) -> CheckResult:
    step, natural = _boundary(s.image, mask, s.tone)
    value = None if step is None else _ratio(step, natural)
    return _result(
        "boundary", value, None, s.config.boundary_step_ratio_max,
        "local mean step at the hole edge over the step between two rings outside it",
    )


def check_consistency(
    erp: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    rotations: Sequence[np.ndarray | None] = (None,),
    reference: np.ndarray | None = None,
    config: ChecksConfig | None = None,
    hdr: bool | None = None,
) -> ConsistencyReport:
    """Measure wrap, pole, cube-seam and hole-boundary consistency of a panorama.

    Args:
        erp: ``(H, W[, C])`` panorama (uint8, uint16, float32 / HDR).
        mask: optional ``(H, W)`` hole mask: seams and boundary are measured on the hole, and
            the wrap check on the rows where the hole crosses the wrap line.
        rotations: cube frames to check seams in (those the holes were filled on).
        reference: optional image before filling: the same figures on its known pixels.
        config: thresholds (defaults from :class:`pano_inpaint.config.ChecksConfig`).
        hdr: treat float input as HDR (default: detect values above 1).

    Returns:
        A :class:`ConsistencyReport`; ``report.flagged`` lists checks above threshold.

    Example:
        >>> from pano_inpaint.masks import nadir_mask
        >>> img = np.full((64, 128, 3), 128, np.uint8)
        >>> check_consistency(img).ok
        True
    """
    height, width, _ = check_erp(erp)
    check_panorama_size(height, width)
    notes: list[str] = []
    # NaN or inf made a ratio NaN, which no threshold flags: "nan ... ok" in the table.
    if not all_finite(erp):
        bad = ~np.isfinite(erp)
        notes.append(f"{int(bad.sum())} NaN or infinite values measured as the fill reads them "
                     "(0, or the largest finite value for +inf)")
        erp = finite_stand_in(erp, bad)
    if reference is not None and not all_finite(reference):
        reference = finite_stand_in(reference, ~np.isfinite(reference))
    hdr = is_hdr(erp) if hdr is None else hdr
    tone = ToneMap.for_image(erp, hdr=hdr)
    ref_tone = ToneMap.for_image(reference, hdr=hdr) if reference is not None else tone
    if mask is not None:
        mask = check_mask(mask, height, width)
    subject = _Subject(erp, mask, reference, tone, ref_tone, config or ChecksConfig())
    checks = [_wrap_check(subject), *_pole_checks(subject),
              _seam_check(subject, rotations, notes)]
    if mask is not None:
        checks.append(_boundary_check(subject, mask))
    return ConsistencyReport(checks, 0.0 if mask is None else mask_fraction(mask), notes)


def _result(
    name: str, value: float | None, reference: float | None, threshold: float, detail: str
) -> CheckResult:
    flagged = value is not None and value > threshold
    return CheckResult(name, value, reference, threshold, flagged, detail)

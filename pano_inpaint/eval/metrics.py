"""Quality figures for one filled panorama against its ground truth, inside the hole.

All functions are pure: ``(result, truth, mask[, view])`` with float images ``(H, W, C)`` in the
same value domain (``[0, 1]`` display-referred, or the tone-mapped proxy of an HDR image), and
``mask`` ``(H, W)`` bool, True = hole.

* :func:`ws_psnr`, :func:`ws_ssim`: weighted-to-spherical PSNR and SSIM (Sun et al. 2017; Zhou et
  al. 2018): each equirectangular pixel counts with ``cos(lat)``, its share of the sphere, and only
  hole pixels count. SSIM is computed with its usual 11x11 Gaussian window (sigma 1.5) on the
  panorama, the columns wrapping around.
* :func:`gradient_energy_ratio`: mean squared gradient of the fill over that of the ground truth,
  on gnomonic faces centred on the hole (:class:`~pano_inpaint.eval.views.HoleView`), where a
  pixel step means the same angle in every direction. 1 = as sharp as reality; a blurred fill
  scores well below 1, noise above 1.
* :func:`texture_distance`: multi-scale sliced Wasserstein distance between the distributions of
  7x7 patches of the fill and of the ground truth, on the same faces.
* :func:`log_luminance_psnr`: for HDR, PSNR of log10 luminance in linear values.
* :func:`known_pixels_changed`: pixels outside the hole that differ from the input.

Why a sliced Wasserstein patch distance for texture: it needs no learned weights (LPIPS and FID
need ImageNet networks the project does not ship and that were trained on flat photos, not on
cube faces), so it is reproducible offline and cheap on two cores. It compares *distributions* of
patches, not pixels at the same place, so a plausible texture that differs in detail from the
truth scores well while a blurred or smeared fill, whose patches collapse towards flat ones,
scores badly; PSNR and SSIM reward exactly that blur. Patches are taken from a Laplacian pyramid
(band-pass detail at each scale, the coarsest level keeping colour), so fine texture, mid-scale
structure and colour layout each count. References: J. Rabin, G. Peyre, J. Delon, M. Bernot,
"Wasserstein barycenter and its application to texture mixing", 2011 (sliced Wasserstein);
T. Karras et al., "Progressive growing of GANs", 2018 (multi-scale patch SWD as an image metric).
"""

from __future__ import annotations

import cv2
import numpy as np

from pano_inpaint.eval.views import HoleView
from pano_inpaint.geometry.sphere import erp_pixel_to_lonlat

__all__ = [
    "gradient_energy_map",
    "gradient_energy_ratio",
    "known_pixels_changed",
    "log_luminance_psnr",
    "sphere_weights",
    "texture_distance",
    "ws_psnr",
    "ws_ssim",
]

MAX_DB = 100.0  # PSNR of identical images (instead of infinity, so means stay finite)
_SSIM_SIGMA = 1.5
_SSIM_RADIUS = 5
_LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


def _hwc(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image, dtype=np.float32)
    return image[..., None] if image.ndim == 2 else image


def sphere_weights(height: int, width: int) -> np.ndarray:
    """``(H, 1)`` float64 cos-latitude weight of each row (its share of the sphere).

    Example:
        >>> w = sphere_weights(4, 8)
        >>> bool(w[1, 0] > w[0, 0])
        True
    """
    _, lat = erp_pixel_to_lonlat(0.0, np.arange(height), height, width)
    return np.cos(lat)[:, None]


def _weighted_mse(result: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float | None:
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    r0, r1 = rows[0], rows[-1] + 1
    weights = sphere_weights(*mask.shape)[r0:r1] * mask[r0:r1]  # (h, W)
    error = ((_hwc(result)[r0:r1] - _hwc(truth)[r0:r1]) ** 2).mean(axis=-1)
    return float((weights * error).sum() / weights.sum())


def _psnr(mse: float | None, peak: float) -> float | None:
    if mse is None:
        return None
    if mse <= 0:
        return MAX_DB
    return float(min(MAX_DB, 10 * np.log10(peak**2 / mse)))


def ws_psnr(
    result: np.ndarray, truth: np.ndarray, mask: np.ndarray, *, peak: float = 1.0
) -> float | None:
    """Weighted-to-spherical PSNR over the hole, in dB (``MAX_DB`` for identical holes).

    Args:
        result, truth: ``(H, W[, C])`` float values.
        mask: ``(H, W)`` bool hole.
        peak: the value range (1 for ``[0, 1]`` images).

    Returns:
        The PSNR, or None for an empty mask.

    Example:
        >>> a = np.zeros((8, 16, 3), np.float32); m = np.ones((8, 16), bool)
        >>> ws_psnr(a, a + 0.1, m)
        20.0
    """
    value = _psnr(_weighted_mse(result, truth, mask), peak)
    return None if value is None else round(value, 6)


def _wrap_columns(image: np.ndarray, n: int) -> np.ndarray:
    return np.concatenate([image[:, -n:], image, image[:, :n]], axis=1)


def ws_ssim(result: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float | None:
    """Weighted-to-spherical SSIM over the hole (SSIM map averaged with ``cos(lat)`` weights).

    Uses the usual constants for a ``[0, 1]`` range (``K1 = 0.01``, ``K2 = 0.03``), channels
    averaged. Only the rows near the hole are computed.

    Example:
        >>> a = np.random.default_rng(0).random((16, 32, 3)).astype(np.float32)
        >>> ws_ssim(a, a, np.ones((16, 32), bool))
        1.0
    """
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    height, width = mask.shape
    margin = 2 * _SSIM_RADIUS
    r0, r1 = max(0, rows[0] - margin), min(height, rows[-1] + margin + 1)
    x = _wrap_columns(_hwc(result)[r0:r1], margin)
    y = _wrap_columns(_hwc(truth)[r0:r1], margin)
    ksize = (2 * _SSIM_RADIUS + 1,) * 2

    def blur(a: np.ndarray) -> np.ndarray:
        out = cv2.GaussianBlur(a, ksize, _SSIM_SIGMA, borderType=cv2.BORDER_REFLECT)
        return out[..., None] if out.ndim == 2 else out

    c1, c2 = 0.01**2, 0.03**2
    mx, my = blur(x), blur(y)
    sxx = blur(x * x) - mx * mx
    syy = blur(y * y) - my * my
    sxy = blur(x * y) - mx * my
    ssim = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    ssim = ssim.mean(axis=-1)[:, margin:-margin]  # (h, W)
    weights = sphere_weights(height, width)[r0:r1] * mask[r0:r1]
    return round(float((weights * ssim).sum() / weights.sum()), 6)


def gradient_energy_map(faces: np.ndarray, hole: np.ndarray, weights: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Per face pixel, the solid-angle weighted squared forward steps (summed over channels)
    into it from a hole neighbour, and their weights, for steps between two pixels of ``hole``:
    ``(k, S, S)`` each, for ``faces`` ``(k, S, S, C)``, ``hole`` ``(k, S, S)`` bool and
    ``weights`` ``(S, S)``. :func:`gradient_energy_ratio` is the ratio of their sums; a map
    shows where a fill's energy is (``scripts/grad_ratio_breakdown.py``)."""
    energy = np.zeros(faces.shape[:3])
    count = np.zeros(faces.shape[:3])
    for axis in (1, 2):
        step = (np.diff(faces, axis=axis) ** 2).sum(axis=-1)  # (k, S-1, S) or (k, S, S-1)
        both = np.diff(hole.view(np.int8), axis=axis) == 0
        keep = both & (hole[:, 1:] if axis == 1 else hole[:, :, 1:])
        w = (weights[1:] if axis == 1 else weights[:, 1:])[None] * keep
        target = (slice(None), slice(1, None)) if axis == 1 else (
            slice(None), slice(None), slice(1, None))
        energy[target] += w * step
        count[target] += w
    return energy, count


def _gradient_energy(faces: np.ndarray, hole: np.ndarray, view: HoleView) -> float:
    """Solid-angle weighted mean squared forward difference over steps inside ``hole``."""
    energy, count = gradient_energy_map(faces, hole, view.weights)
    return float(energy.sum()) / max(float(count.sum()), 1e-12)


def gradient_energy_ratio(
    result: np.ndarray, truth: np.ndarray, mask: np.ndarray, view: HoleView | None = None,
    *, inner: bool = False,
) -> float | None:
    """Gradient energy of the fill over that of the ground truth, inside the hole.

    Measured on the hole-centred cube faces (``view``, built from ``mask`` if not given), with
    forward differences between hole pixels, summed over channels and weighted by solid angle.
    With ``inner``, only over the hole's inner half (:attr:`HoleView.inner`): where a large
    fill blurs first.

    Returns:
        The ratio (1 = as sharp as reality, < 1 blurred), or None when the ground truth is flat
        there or the hole is empty.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> truth = rng.random((32, 64, 3)).astype(np.float32)
        >>> gradient_energy_ratio(truth, truth, np.ones((32, 64), bool))
        1.0
    """
    if not mask.any():
        return None
    view = view or HoleView.of(mask)
    hole = view.inner if inner else view.hole
    reference = _gradient_energy(view.sample(truth), hole, view)
    if reference < 1e-12:
        return None
    return round(_gradient_energy(view.sample(result), hole, view) / reference, 6)


def _laplacian_levels(faces: np.ndarray, hole: np.ndarray, levels: int
                      ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per level: ``(k, s, s, C)`` band-pass faces (the last level low-pass) and their holes."""
    out = []
    current, current_hole = faces, hole.astype(np.float32)
    for level in range(levels):
        last = level == levels - 1 or current.shape[1] < 16
        if last:
            out.append((current, current_hole > 0.5))
            break
        down = np.stack([_as3(cv2.pyrDown(f)) for f in current])
        up = np.stack([_as3(cv2.pyrUp(d, dstsize=f.shape[1::-1])) for d, f in zip(down, current,
                                                                                   strict=True)])
        out.append((current - up, current_hole > 0.5))
        current = down
        current_hole = np.stack([cv2.resize(h, d.shape[1::-1], interpolation=cv2.INTER_AREA)
                                 for h, d in zip(current_hole, down, strict=True)])
    return out


def _as3(a: np.ndarray) -> np.ndarray:
    return a[..., None] if a.ndim == 2 else a


def _patches(faces: np.ndarray, centres: tuple[np.ndarray, ...], radius: int) -> np.ndarray:
    """``(n, (2r+1)^2 * C)`` patches around ``centres`` = (face, y, x) index arrays."""
    windows = np.lib.stride_tricks.sliding_window_view(
        faces, (2 * radius + 1, 2 * radius + 1), axis=(1, 2)
    )  # (k, S-2r, S-2r, C, p, p)
    f, y, x = centres
    return windows[f, y - radius, x - radius].reshape(f.size, -1)


def texture_distance(
    result: np.ndarray,
    truth: np.ndarray,
    mask: np.ndarray,
    view: HoleView | None = None,
    *,
    patch: int = 7,
    levels: int = 3,
    projections: int = 64,
    max_patches: int = 4096,
    seed: int = 0,
) -> float | None:
    """Multi-scale sliced Wasserstein distance between patch distributions of fill and truth.

    At each level of a Laplacian pyramid of the hole-centred faces, ``patch x patch`` patches
    centred on hole pixels (up to ``max_patches``, the same places in both images) are projected
    on ``projections`` random unit directions; the distance is the mean 1-D Wasserstein-1
    distance over directions, averaged over levels (see the module docstring for why).

    Returns:
        0 for identical fills, larger for blur or foreign texture; None for an empty hole.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> truth = rng.random((32, 64, 3)).astype(np.float32)
        >>> texture_distance(truth, truth, np.ones((32, 64), bool))
        0.0
    """
    if not mask.any():
        return None
    view = view or HoleView.of(mask)
    radius = patch // 2
    rng = np.random.default_rng(seed)
    mine = _laplacian_levels(view.sample(result), view.hole, levels)
    theirs = _laplacian_levels(view.sample(truth), view.hole, levels)
    distances = []
    for (a, hole), (b, _) in zip(mine, theirs, strict=True):
        inner = np.zeros_like(hole)
        inner[:, radius:-radius, radius:-radius] = hole[:, radius:-radius, radius:-radius]
        centres = np.nonzero(inner)
        if centres[0].size < 16:
            continue
        if centres[0].size > max_patches:
            pick = np.sort(rng.choice(centres[0].size, max_patches, replace=False))
            centres = tuple(c[pick] for c in centres)
        pa, pb = _patches(a, centres, radius), _patches(b, centres, radius)
        directions = rng.standard_normal((pa.shape[1], projections)).astype(np.float32)
        directions /= np.linalg.norm(directions, axis=0, keepdims=True)
        qa, qb = np.sort(pa @ directions, axis=0), np.sort(pb @ directions, axis=0)
        distances.append(float(np.abs(qa - qb).mean()))
    if not distances:
        return None
    return round(float(np.mean(distances)), 8)


def log_luminance_psnr(
    result: np.ndarray, truth: np.ndarray, mask: np.ndarray
) -> float | None:
    """PSNR of ``log10`` luminance (linear HDR values) over the hole, cos-lat weighted.

    Luminance uses Rec. 709 weights; values are floored at 1/1000 of the truth's median luminance
    (10 stops below it) so black pixels do not dominate; the peak is the truth's log-luminance
    range over the whole panorama (0.1 to 99.9 percentile), i.e. its dynamic range in decades.

    Example:
        >>> a = np.full((8, 16, 3), 2.0, np.float32); m = np.ones((8, 16), bool)
        >>> log_luminance_psnr(a, a, m)
        100.0
    """
    if not mask.any():
        return None
    r, t = _hwc(result), _hwc(truth)
    if r.shape[-1] >= 3:
        lum_r, lum_t = r[..., :3] @ _LUMA, t[..., :3] @ _LUMA
    else:
        lum_r, lum_t = r[..., 0], t[..., 0]
    positive = lum_t[lum_t > 0]
    floor = 1e-3 * float(np.median(positive)) if positive.size else 1e-6
    log_r = np.log10(np.maximum(lum_r, floor))
    log_t = np.log10(np.maximum(lum_t, floor))
    low, high = np.percentile(log_t, [0.1, 99.9])
    peak = max(float(high - low), 1e-3)
    value = _psnr(_weighted_mse(log_r, log_t, mask), peak)
    return None if value is None else round(value, 6)


def known_pixels_changed(result: np.ndarray, source: np.ndarray, mask: np.ndarray) -> int:
    """Number of pixels outside the hole whose value differs from ``source`` (any channel).

    Example:
        >>> a = np.zeros((4, 8, 3), np.uint8); b = a.copy(); b[0, 0, 1] = 1
        >>> known_pixels_changed(b, a, np.zeros((4, 8), bool))
        1
    """
    differs = np.asarray(result) != np.asarray(source)
    if differs.ndim == 3:
        differs = differs.any(axis=-1)
    return int((differs & ~mask).sum())

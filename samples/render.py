"""A deterministic, procedurally rendered sample panorama with a tripod in it and the tripod's mask.

This renderer made the sample shipped in ``pano_inpaint/data`` (``samples/make_samples.py``); it
is a tool of the source checkout, not part of the installed package.

Every equirectangular pixel is ray-cast from a camera standing ``camera_height`` metres above a
paved ground plane: sky with clouds and a sun, two ranges of distant hills (functions of
longitude), a few buildings (boxes) with window grids, a wooden fence (a vertical plane), and,
in ``image`` only, a tripod built from cylinders and spheres. ``clean`` is the same scene without
the tripod, so a fill can be scored against the ground truth.

Convention: see :mod:`pano_inpaint.geometry.conventions` (x right, y up, z forward; the camera
is at the origin, the ground is the plane ``y = -camera_height``).

The scene is drawn from ``np.random.default_rng(seed)`` only, in float64 with element-wise numpy
operations, and rounded to uint8 once at the end, so the same seed gives the same pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pano_inpaint.geometry.sphere import erp_pixel_to_lonlat, lonlat_to_xyz
from pano_inpaint.masks import dilate_mask
from pano_inpaint.masks.rigs import ErpGrid, Lighting, RigRenderer, TripodGeometry, tripod_parts

__all__ = ["SamplePanorama", "TripodGeometry", "make_sample_panorama"]

_TABLE = 512  # lattice hash table size of the value noise (a power of two)
_CHUNK_PIXELS = 1 << 17  # rays shaded per block: bounds memory, and blocks never interact
_FOG_DISTANCE = 60.0  # metres; aerial perspective towards the horizon haze

_HAZE = np.array([0.80, 0.86, 0.92])
_ZENITH = np.array([0.20, 0.40, 0.76])


@dataclass(frozen=True)
class SamplePanorama:
    """A rendered sample: the scene with and without the tripod, and the tripod mask.

    Attributes:
        clean: ``(H, 2H, 3)`` uint8 RGB, the scene without the tripod (ground truth).
        image: ``(H, 2H, 3)`` uint8 RGB, the same scene with the tripod; equals ``clean``
            wherever ``mask`` is False.
        mask: ``(H, 2H)`` bool, True = tripod pixels (the hole), dilated by a few pixels so that
            anti-aliased edges are inside it.
        tripod_degrees: angular radius around the nadir that contains every mask pixel whole.
    """

    clean: np.ndarray
    image: np.ndarray
    mask: np.ndarray
    tripod_degrees: float


# --------------------------------------------------------------------------------------------
# Noise


class _Noise:
    """Seeded value noise on an integer lattice, hashed through one permutation table."""

    def __init__(self, rng: np.random.Generator) -> None:
        perm = rng.permutation(_TABLE)
        self._perm2 = np.concatenate([perm, perm])  # perm2[perm[i] + j] needs no wrap
        self._values = rng.random(_TABLE)

    def hash2(self, ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
        """Uniform ``[0, 1)`` value per integer lattice point (any integers)."""
        m = _TABLE - 1
        return self._values[self._perm2[self._perm2[ix & m] + (iy & m)]]

    def value2(self, x: np.ndarray, y: np.ndarray, period_x: int | None = None) -> np.ndarray:
        """Smoothly interpolated lattice values in ``[0, 1]``; periodic in ``x`` if asked."""
        x0 = np.floor(x)
        y0 = np.floor(y)
        fx = x - x0
        fy = y - y0
        ix = x0.astype(np.int64)
        iy = y0.astype(np.int64)
        ix1 = ix + 1
        if period_x is not None:
            ix %= period_x
            ix1 %= period_x
        sx = fx * fx * (3.0 - 2.0 * fx)
        sy = fy * fy * (3.0 - 2.0 * fy)
        top = self.hash2(ix, iy) * (1.0 - sx) + self.hash2(ix1, iy) * sx
        bottom = self.hash2(ix, iy + 1) * (1.0 - sx) + self.hash2(ix1, iy + 1) * sx
        return top * (1.0 - sy) + bottom * sy


def _fbm(
    noise: _Noise,
    x: np.ndarray,
    y: np.ndarray,
    wavelengths: tuple[float, ...],
    offsets: np.ndarray,
    footprint: np.ndarray | float = 0.0,
    period: float | None = None,
) -> np.ndarray:
    """Sum of value-noise octaves, normalised to about ``[0, 1]`` with mean 0.5.

    An octave whose wavelength approaches the pixel footprint fades to its mean, which is the
    cheap way to keep far, fine texture from aliasing.  ``period`` makes it periodic in ``x``.
    """
    total = np.zeros(np.shape(x))
    weight_sum = 0.0
    amplitude = 1.0
    for wavelength, (ox, oy) in zip(wavelengths, offsets, strict=False):
        period_x = None if period is None else max(1, round(period / wavelength))
        scale = 1.0 / wavelength if period is None else period_x / period
        octave = noise.value2(x * scale + ox, y * scale + oy, period_x)
        fade = np.clip(wavelength / np.maximum(footprint, 1e-12) * 0.5 - 0.5, 0.0, 1.0)
        total += amplitude * (fade * octave + (1.0 - fade) * 0.5)
        weight_sum += amplitude
        amplitude *= 0.55
    return total / weight_sum


def _smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    s = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return s * s * (3.0 - 2.0 * s)


def _band_coverage(f: np.ndarray, lo: float, hi: float, width: np.ndarray) -> np.ndarray:
    """Anti-aliased indicator of ``lo <= f <= hi`` for a pixel ``width`` wide (same units)."""
    inside = np.minimum(f - lo, hi - f)
    return np.clip(inside / np.maximum(width, 1e-12) + 0.5, 0.0, 1.0)


def _mix(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``a + (b - a) w`` with ``w`` broadcast over the colour axis."""
    return a + (b - a) * np.asarray(w)[..., None]


# --------------------------------------------------------------------------------------------
# Scene


@dataclass(frozen=True)
class _Box:
    """A building: a box standing on the ground, turned by ``yaw`` about the vertical."""

    center: np.ndarray  # (3,) world position of the box centre
    half: np.ndarray  # (3,) half extents along its local x, y, z
    rotation: np.ndarray  # (3, 3) local -> world (columns are the local axes)
    color: np.ndarray  # (3,) wall colour
    floor_height: float
    window_spacing: float


@dataclass(frozen=True)
class _Fence:
    """A picket fence drawn on a vertical rectangle (flat pickets, posts and two rails)."""

    start: np.ndarray  # (3,) one bottom corner on the ground
    along: np.ndarray  # (3,) unit horizontal direction of the fence
    normal: np.ndarray  # (3,) unit horizontal normal
    length: float
    height: float


class _Scene:
    """Everything but the tripod; all random choices are drawn here, in a fixed order."""

    def __init__(self, rng: np.random.Generator, camera_height: float) -> None:
        self.camera_height = camera_height
        self.noise = _Noise(rng)
        self.offsets = {
            key: rng.uniform(0.0, _TABLE, size=(8, 2))
            for key in ("ground", "tint", "cloud", "far", "near", "wall", "wood")
        }
        sun_lon = rng.uniform(-np.pi, np.pi)
        sun_lat = np.radians(rng.uniform(28.0, 40.0))
        self.sun = lonlat_to_xyz(np.array(sun_lon), np.array(sun_lat))
        self.paving_angle = np.radians(rng.uniform(10.0, 35.0))
        self.far_ridge = [rng.random(n) for n in (5, 11, 23, 47, 97, 193)]
        self.near_ridge = [rng.random(n) for n in (7, 15, 31, 61, 127)]
        self.boxes = self._make_boxes(rng)
        self.fence = self._make_fence(rng)

    def _make_boxes(self, rng: np.random.Generator) -> list[_Box]:
        palette = np.array(
            [[0.78, 0.70, 0.58], [0.62, 0.34, 0.26], [0.66, 0.67, 0.68], [0.84, 0.78, 0.56]]
        )
        base_lon = rng.uniform(-np.pi, np.pi)
        boxes = []
        for k in range(4):
            lon = base_lon + k * (np.pi / 2) + rng.uniform(-0.35, 0.35)
            distance = rng.uniform(16.0, 28.0)
            half = np.array([rng.uniform(4.0, 8.0), 0.0, rng.uniform(3.0, 6.0)])
            half[1] = rng.uniform(5.0, 11.0)
            yaw = rng.uniform(0.0, np.pi)
            c, s = np.cos(yaw), np.sin(yaw)
            rotation = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
            center = np.array(
                [distance * np.sin(lon), half[1] - self.camera_height, distance * np.cos(lon)]
            )
            color = palette[k] * rng.uniform(0.9, 1.05)
            floor_height = rng.uniform(3.0, 3.6)
            window_spacing = rng.uniform(2.2, 3.0)
            boxes.append(_Box(center, half, rotation, color, floor_height, window_spacing))
        return boxes

    def _make_fence(self, rng: np.random.Generator) -> _Fence:
        lon = rng.uniform(-np.pi, np.pi)
        distance = rng.uniform(5.0, 7.0)
        middle = np.array([distance * np.sin(lon), -self.camera_height, distance * np.cos(lon)])
        turn = lon + np.pi / 2 + rng.uniform(-0.3, 0.3)
        along = np.array([np.sin(turn), 0.0, np.cos(turn)])
        normal = np.array([along[2], 0.0, -along[0]])
        length = 14.0
        return _Fence(middle - along * (length / 2), along, normal, length, 1.2)

    # ---- background: sky, sun, clouds and hills ----------------------------------------

    def _ridge(self, lon: np.ndarray, tables: list[np.ndarray]) -> np.ndarray:
        """Periodic 1-D fBm of longitude in ``[0, 1]`` (cells interpolated smoothly)."""
        total = np.zeros_like(lon)
        amplitude, weight_sum = 1.0, 0.0
        for values in tables:
            n = values.size
            f = (lon + np.pi) * (n / (2 * np.pi))
            i0 = np.floor(f)
            s = f - i0
            s = s * s * (3.0 - 2.0 * s)
            i0 = i0.astype(np.int64) % n
            total += amplitude * (values[i0] * (1.0 - s) + values[(i0 + 1) % n] * s)
            weight_sum += amplitude
            amplitude *= 0.5
        return total / weight_sum

    def _sky(self, xyz: np.ndarray, pix: float) -> np.ndarray:
        up = np.clip(xyz[:, 1], 0.0, 1.0)
        rgb = _mix(_HAZE, _ZENITH, up**0.55)
        angle = np.arccos(np.clip(xyz @ self.sun, -1.0, 1.0))
        rgb += np.array([1.0, 0.88, 0.65]) * (0.30 * np.exp(-angle / 0.15))[:, None]
        disc = _band_coverage(-angle, -np.radians(1.4), 1.0, np.full_like(angle, pix))
        rgb = _mix(rgb, np.array([1.0, 0.98, 0.92]), disc)
        # Clouds on a far horizontal layer: they shrink towards the horizon like real ones.
        lift = xyz[:, 1] + 0.06
        cx, cz = xyz[:, 0] / lift, xyz[:, 2] / lift
        density = _fbm(self.noise, cx, cz, (2.0, 0.9, 0.4, 0.18, 0.08), self.offsets["cloud"])
        cover = _smoothstep(0.47, 0.72, density) * _smoothstep(0.0, 0.15, xyz[:, 1])
        shade = _fbm(self.noise, cx, cz, (0.5, 0.2), self.offsets["cloud"][5:])
        cloud = _mix(np.array([0.74, 0.77, 0.83]), np.array([1.0, 1.0, 1.0]), shade)
        return _mix(rgb, cloud, 0.92 * cover)

    def _hills(self, xyz: np.ndarray, rgb: np.ndarray, pix: float) -> np.ndarray:
        """Paint the two ranges of distant hills over the sky (they sit at infinity)."""
        lon = np.arctan2(xyz[:, 0], xyz[:, 2])
        lat = np.arcsin(np.clip(xyz[:, 1], -1.0, 1.0))
        far_top = np.radians(1.5 + 14.0 * self._ridge(lon, self.far_ridge) ** 1.8)
        near_top = np.radians(0.8 + 6.0 * self._ridge(lon, self.near_ridge) ** 1.5)
        pixels = np.full_like(lat, pix)
        for top, key, color, fog in (
            (far_top, "far", np.array([0.36, 0.43, 0.56]), 0.30),
            (near_top, "near", np.array([0.22, 0.33, 0.20]), 0.12),
        ):
            cover = _band_coverage(lat, -1.0, top, pixels)
            rock = _fbm(
                self.noise, lon, lat * 8.0, (0.2, 0.08, 0.03), self.offsets[key], pix, 2 * np.pi
            )
            body = color * (0.75 + 0.5 * rock)[:, None]
            if key == "far":
                snow = _smoothstep(0.0, 0.015, lat - np.radians(5.5) + 0.03 * (rock - 0.5))
                body = _mix(body, np.array([0.92, 0.94, 0.97]), snow)
            body = _mix(body, _HAZE, fog + 0.3 * np.clip(1.0 - lat / np.radians(8.0), 0.0, 1.0))
            rgb = _mix(rgb, body, cover)
        return rgb

    # ---- ground -------------------------------------------------------------------------

    def _ground(self, xyz: np.ndarray, t: np.ndarray, pix: float) -> np.ndarray:
        """Running-bond brick paving with mortar joints, per-brick tones, grain and dirt."""
        gx, gz = xyz[:, 0] * t, xyz[:, 2] * t
        # The pixel's footprint on the ground along the view direction (the long side).
        footprint = t * pix / np.maximum(-xyz[:, 1], 1e-6)
        c, s = np.cos(self.paving_angle), np.sin(self.paving_angle)
        u, v = gx * c - gz * s, gx * s + gz * c
        brick_w, brick_h, joint = 0.24, 0.12, 0.007
        row = np.floor(v / brick_h)
        u = u + 0.5 * brick_w * (row % 2)
        col = np.floor(u / brick_w)
        fu, fv = u / brick_w - col, v / brick_h - row
        edge = np.minimum(np.minimum(fu, 1 - fu) * brick_w, np.minimum(fv, 1 - fv) * brick_h)
        detail = np.clip(brick_h / (3.0 * footprint) - 0.5, 0.0, 1.0)
        mean_joint = 2 * joint * (1 / brick_w + 1 / brick_h)
        mortar = detail * np.clip((joint - edge) / footprint + 0.5, 0.0, 1.0)
        mortar += (1.0 - detail) * mean_joint
        icol, irow = col.astype(np.int64), row.astype(np.int64)
        tone = self.noise.hash2(icol, irow)
        palette = np.array(
            [[0.62, 0.38, 0.29], [0.54, 0.32, 0.26], [0.68, 0.47, 0.36], [0.52, 0.46, 0.42]]
        )
        brick = palette[np.minimum((tone * 4).astype(np.int64), 3)]
        brick = brick * (0.88 + 0.24 * self.noise.hash2(irow + 7, icol + 3))[:, None]
        brick = _mix(palette.mean(axis=0), brick, detail)
        rgb = _mix(brick, np.array([0.74, 0.71, 0.66]), mortar)
        grain = _fbm(
            self.noise, gx, gz, (0.5, 0.17, 0.06, 0.025, 0.012), self.offsets["ground"], footprint
        )
        dirt = _fbm(self.noise, gx, gz, (9.0, 3.0, 1.2), self.offsets["tint"])
        rgb = rgb * (0.62 + 0.76 * grain)[:, None]
        rgb = _mix(rgb, np.array([0.33, 0.36, 0.22]), 0.45 * _smoothstep(0.55, 0.8, dirt))
        return rgb

    # ---- buildings ----------------------------------------------------------------------

    def _hit_box(self, box: _Box, xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Entry distance (inf on a miss) and entry axis of rays from the origin into a box."""
        d_local = xyz @ box.rotation  # (N, 3) directions in box coordinates
        o_local = -(box.center @ box.rotation)  # (3,) the camera in box coordinates
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / np.where(d_local == 0.0, 1e-300, d_local)
            t0 = (-box.half - o_local) * inv
            t1 = (box.half - o_local) * inv
        t_near = np.minimum(t0, t1)
        t_far = np.maximum(t0, t1).min(axis=1)
        axis = t_near.argmax(axis=1)
        t_in = np.take_along_axis(t_near, axis[:, None], axis=1)[:, 0]
        hit = (t_in <= t_far) & (t_in > 0.0)
        return np.where(hit, t_in, np.inf), axis

    def _facade(
        self, box: _Box, xyz: np.ndarray, t: np.ndarray, axis: np.ndarray, pix: float
    ) -> np.ndarray:
        d_local = xyz @ box.rotation
        p_local = t[:, None] * d_local - box.center @ box.rotation  # (N, 3)
        sign = -np.sign(np.take_along_axis(d_local, axis[:, None], axis=1)[:, 0])
        normal = box.rotation[:, axis].T * sign[:, None]  # (N, 3) world normals
        along = np.where(axis == 0, p_local[:, 2], p_local[:, 0])
        half_len = np.where(axis == 0, box.half[2], box.half[0])
        height = p_local[:, 1] + box.half[1]
        cos_in = np.maximum(np.abs(np.sum(normal * xyz, axis=1)), 0.08)
        footprint = t * pix / cos_in
        # Window grid: whole columns centred on each wall, a band per storey below the parapet.
        columns = np.floor((2 * half_len - 1.5) / box.window_spacing)
        margin = (2 * half_len - columns * box.window_spacing) / 2
        col_pos = (along + half_len - margin) / box.window_spacing
        storey = height / box.floor_height
        window = (
            _band_coverage(col_pos - np.floor(col_pos), 0.28, 0.72, footprint / box.window_spacing)
            * _band_coverage(storey - np.floor(storey), 0.30, 0.78, footprint / box.floor_height)
            * (col_pos >= 0)
            * (col_pos < columns)
            * (height < 2 * box.half[1] - 1.0)
        )
        ledge = _band_coverage(storey - np.floor(storey), 0.0, 0.05, footprint / box.floor_height)
        grain = _fbm(self.noise, along, height, (1.5, 0.4, 0.1), self.offsets["wall"], footprint)
        light = 0.55 + 0.45 * np.clip(normal @ self.sun, 0.0, 1.0)
        wall = box.color * (light * (0.9 + 0.2 * grain))[:, None]
        wall = _mix(wall, np.minimum(box.color * 1.25, 1.0) * light[:, None], 0.8 * ledge)
        glass = _mix(np.array([0.12, 0.15, 0.20]), np.array([0.45, 0.55, 0.68]), storey % 1.0)
        return _mix(wall, glass, window)

    # ---- fence --------------------------------------------------------------------------

    def _fence(self, xyz: np.ndarray, pix: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Distance (inf on a miss), coverage and colour of the fence along each ray."""
        fence = self.fence
        facing = xyz @ fence.normal
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (fence.start @ fence.normal) / facing
        t = np.where(np.isfinite(t) & (t > 0), t, np.inf)
        finite = np.isfinite(t)
        tt = np.where(finite, t, 0.0)
        point = tt[:, None] * xyz - fence.start
        a = point @ fence.along
        h = point[:, 1]
        inside = finite & (a >= 0) & (a <= fence.length) & (h >= 0) & (h <= fence.height)
        footprint = tt * pix / np.maximum(np.abs(facing), 0.08)
        post_pos = a / 2.0
        post = _band_coverage(post_pos - np.round(post_pos), -0.03, 0.03, footprint / 2.0)
        rails = _band_coverage(h, 0.30, 0.38, footprint) + _band_coverage(h, 0.92, 1.0, footprint)
        picket_pos = a / 0.14
        detail = np.clip(0.14 / (3.0 * np.maximum(footprint, 1e-9)) - 0.5, 0.0, 1.0)
        picket = _band_coverage(picket_pos - np.floor(picket_pos), 0.25, 0.75, footprint / 0.14)
        picket = (detail * picket + (1.0 - detail) * 0.5) * _band_coverage(
            h, 0.08, fence.height - 0.06, footprint
        )
        cover = np.clip(np.maximum(np.maximum(post, rails), picket), 0.0, 1.0) * inside
        grain = _fbm(self.noise, a * 0.3, h * 6.0, (0.5, 0.15), self.offsets["wood"], footprint)
        light = 0.6 + 0.4 * np.abs(fence.normal @ self.sun)
        wood = np.array([0.52, 0.38, 0.24]) * (light * (0.8 + 0.4 * grain))[:, None]
        wood = _mix(wood, wood * 0.7, post)
        return np.where(cover > 0, t, np.inf), cover, wood

    # ---- everything ---------------------------------------------------------------------

    def shade(self, xyz: np.ndarray, pix: float) -> np.ndarray:
        """Colour of rays ``(N, 3)`` (unit) in ``[0, 1]``, float64 ``(N, 3)``.

        ``pix`` is the angular pixel size in radians (for anti-aliasing and texture fading).
        """
        n = xyz.shape[0]
        rgb = np.empty((n, 3))
        t_best = np.full(n, np.inf)
        down = xyz[:, 1] < 0
        t_best[down] = self.camera_height / -xyz[down, 1]
        surface = np.zeros(n, dtype=np.int64)  # 0 sky, 1 ground, 2 + k box k
        surface[down] = 1
        axis_best = np.zeros(n, dtype=np.int64)
        for k, box in enumerate(self.boxes):
            # Cheap cone test around the box's bounding sphere before the slab test.
            distance = float(np.linalg.norm(box.center))
            radius = float(np.linalg.norm(box.half))
            cos_limit = np.sqrt(max(0.0, 1.0 - (radius / distance) ** 2))
            near = np.flatnonzero(xyz @ (box.center / distance) >= cos_limit)
            t_box, axis = self._hit_box(box, xyz[near])
            closer = t_box < t_best[near]
            idx = near[closer]
            t_best[idx] = t_box[closer]
            axis_best[idx] = axis[closer]
            surface[idx] = 2 + k

        sky = surface == 0
        rgb[sky] = self._hills(xyz[sky], self._sky(xyz[sky], pix), pix)
        ground = surface == 1
        rgb[ground] = self._ground(xyz[ground], t_best[ground], pix)
        for k, box in enumerate(self.boxes):
            sel = surface == 2 + k
            rgb[sel] = self._facade(box, xyz[sel], t_best[sel], axis_best[sel], pix)

        solid = ~sky
        fog = 1.0 - np.exp(-t_best[solid] / _FOG_DISTANCE)
        rgb[solid] = _mix(rgb[solid], _HAZE, fog)

        t_fence, cover, wood = self._fence(xyz, pix)
        front = np.flatnonzero(t_fence < t_best)
        wood = _mix(wood[front], _HAZE, 1.0 - np.exp(-t_fence[front] / _FOG_DISTANCE))
        rgb[front] = _mix(rgb[front], wood, cover[front])
        return rgb


# --------------------------------------------------------------------------------------------


def _to_uint8(rgb: np.ndarray) -> np.ndarray:
    return np.floor(np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def make_sample_panorama(
    height: int = 512, *, seed: int = 0, tripod: TripodGeometry | None = None
) -> SamplePanorama:
    """Render the sample panorama, with and without a tripod, and the tripod's mask.

    Args:
        height: ERP height ``H``; the width is ``2 H``. At least 16.
        seed: seed of ``np.random.default_rng``; it picks the sky, hills, paving, buildings
            and fence (the tripod's shape comes from ``tripod``).
        tripod: tripod size and placement; ``TripodGeometry()`` when None.

    Returns:
        A :class:`SamplePanorama` with ``(H, 2H, 3)`` uint8 ``clean`` and ``image`` and an
        ``(H, 2H)`` bool ``mask`` (True = tripod, dilated by ``ceil(2.5 H / 512)`` pixels).

    Raises:
        TypeError: if ``height`` or ``seed`` is not an integer.
        ValueError: if ``height < 16``.

    Convention: see :mod:`pano_inpaint.geometry.conventions`.

    Example:
        >>> sample = make_sample_panorama(32, seed=1)
        >>> sample.image.shape, sample.mask.dtype.name
        ((32, 64, 3), 'bool')
        >>> bool((sample.image == sample.clean)[~sample.mask].all())
        True
    """
    for name, value in (("height", height), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if height < 16:
        raise ValueError(f"height must be at least 16, got {height}")
    height = int(height)
    geometry = TripodGeometry() if tripod is None else tripod
    width = 2 * height
    pix = np.pi / height
    scene = _Scene(np.random.default_rng(seed), geometry.camera_height)
    grid = ErpGrid(height)
    tripod_renderer = RigRenderer(tripod_parts(geometry), geometry.camera_height,
                                  Lighting(sun=scene.sun), grid.pixel_angle)
    first_row = max(0, int(np.floor((np.pi / 2 - tripod_renderer.max_nadir_angle()) / pix)) - 1)

    clean = np.empty((height, width, 3), dtype=np.uint8)
    image = np.empty_like(clean)
    drawn = np.zeros((height, width), dtype=bool)
    rows_per_chunk = max(1, _CHUNK_PIXELS // width)
    for top in range(0, height, rows_per_chunk):
        bottom = min(top + rows_per_chunk, height)
        y, x = np.mgrid[top:bottom, 0:width]
        lon, lat = erp_pixel_to_lonlat(x.ravel(), y.ravel(), height, width)
        rgb = scene.shade(lonlat_to_xyz(lon, lat), pix).reshape(bottom - top, width, 3)
        clean[top:bottom] = _to_uint8(rgb)
        image[top:bottom] = clean[top:bottom]
        start = max(top, first_row)
        if start < bottom:
            ty, tx = np.mgrid[start:bottom, 0:width]
            coverage, tripod_rgb = tripod_renderer.render(grid, tx.ravel(), ty.ravel())
            coverage = coverage.reshape(bottom - start, width)
            tripod_rgb = tripod_rgb.reshape(bottom - start, width, 3)
            seen = coverage > 0
            mixed = _mix(rgb[start - top :], tripod_rgb, coverage)  # (rows, W, 3)
            image[start:bottom][seen] = _to_uint8(mixed[seen])
            drawn[start:bottom] = seen

    mask = dilate_mask(drawn, int(np.ceil(2.5 * height / 512)))
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size:
        _, lat = erp_pixel_to_lonlat(np.zeros(1), rows[:1], height, width)
        tripod_degrees = float(np.degrees(np.pi / 2 + lat[0] + pix / 2))
    else:
        tripod_degrees = 0.0
    return SamplePanorama(clean=clean, image=image, mask=mask, tripod_degrees=tripod_degrees)

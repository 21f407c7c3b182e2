"""Plain-floor test panoramas: faint grain, slow tint, a side light or spotlights, a few mats.

    python scripts/plain_floors.py OUT_DIR [--width 1024] [--names concrete_side,snow_sun ...]

Writes ``OUT_DIR/<name>_<width // 1024>k.png`` (``<name>_<width>px.png`` for a width that is no
multiple of 1024) for every floor in ``FLOORS`` (or ``--names``).
The rendering is deterministic: the same width and seed give the same bytes.

Why: the fill's plain-floor rules (``_PLAIN_RING`` and ``_RISING_RING`` in
``pano_inpaint/generators/patchmatch/generator.py``, the finish's ``_level_light``) act only where
the known ring around a hole is plain, and the evaluation set has a single panorama (the
warehouse) that is. These floors were drawn to measure those thresholds on a side light (whose
ring is plain and does not rise into a hole at the nadir) against a lamp's spot (whose ring
rises). They are **not** part of the evaluation set; keep them out of it, so that its numbers stay
comparable across sessions.

The camera stands ``CAMERA_HEIGHT`` above an infinite floor, inside a cylindrical wall (with a
skirting and a ceiling band) or under a sky with haze. Every pixel averages ``SUPERSAMPLE``
squared rays. Unlike :mod:`pano_inpaint.eval.scenes` (patterns with lines), these floors have no
pattern at all: their grain is value noise faded out where a pixel outgrows its period, so that
the ring's detail is as low as a real plain floor's at the fill's coarsest level. The rays come
from :mod:`pano_inpaint.geometry.sphere`, as the scenes' do; the noise, its fade and the sky are
not the scenes' (a blurred-lattice noise and another fade curve): sharing those would change every
floor's pixels, and the thresholds were measured on these.

Convention: see :mod:`pano_inpaint.geometry.conventions` (x right, y up, z forward).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pano_inpaint.geometry.sphere import erp_pixel_to_lonlat, lonlat_to_xyz  # noqa: E402

CAMERA_HEIGHT = 1.6  # metres above the floor
SUPERSAMPLE = 2  # rays per pixel along each axis
_GRID = 64  # value-noise lattice size (it tiles every _GRID periods)
_FAR = 400.0  # metres: an open floor ends here (the horizon's last rows show sky)
_CEILING = 3.5  # metres above the floor where the wall turns into the ceiling band


@dataclass(frozen=True)
class FloorSpec:
    """One plain floor.

    Attributes:
        albedo: the floor's base RGB.
        grains: ``(period m, amplitude)`` of each grain scale (relative brightness changes).
        light: ``"side"`` (a soft step of light across the floor, as from a window or a low sun)
            or ``"spots"`` (2-3 lamps above the floor, each a bright spot below it).
        wall: the cylindrical wall's distance in metres, or None for an open floor under a sky.
        mats: how many darker rectangles (mats, patches, shadows) lie 2-5 m from the camera.
    """

    albedo: tuple[float, float, float]
    grains: tuple[tuple[float, float], ...]
    light: str
    wall: float | None
    mats: int


FLOORS: dict[str, FloorSpec] = {
    "concrete_side": FloorSpec((0.55, 0.54, 0.52), ((0.02, .035), (0.15, .03), (1.2, .05)),
                               "side", 6.0, 3),
    "painted_spot": FloorSpec((0.42, 0.50, 0.46), ((0.03, .02), (0.4, .02)), "spots", 5.0, 2),
    "snow_sun": FloorSpec((0.90, 0.92, 0.96), ((0.05, .02), (0.5, .03), (3.0, .04)),
                          "side", None, 0),
    "sand_dune": FloorSpec((0.78, 0.66, 0.48), ((0.02, .03), (0.3, .03), (2.0, .06)),
                           "side", None, 2),
    "carpet_room": FloorSpec((0.36, 0.30, 0.34), ((0.01, .05), (0.08, .02)), "spots", 3.5, 2),
    "asphalt_lot": FloorSpec((0.30, 0.30, 0.31), ((0.015, .06), (0.2, .03), (1.5, .04)),
                             "side", 15.0, 4),
    "epoxy_hall": FloorSpec((0.62, 0.62, 0.60), ((0.05, .015), (0.6, .02)), "spots", 8.0, 0),
    "clay_court": FloorSpec((0.62, 0.38, 0.26), ((0.02, .03), (0.5, .025)), "side", 12.0, 1),
}


@dataclass(frozen=True)
class FloorDraw:
    """Everything random about one floor, drawn up front so that shading is a pure function of it
    (a test may replace one part, e.g. put a lamp over the nadir, and keep the rest).

    Attributes:
        grain_grids: one ``(_GRID, _GRID)`` float32 lattice per grain scale.
        tint_grid: ``(_GRID, _GRID)`` float32 lattice of the slow tint.
        mats: ``(k, 4)`` rows of ``(centre x, centre z, half size along x, aspect z/x)`` (m).
        mat_tints: ``(k, 3)`` float32 colour factors of the mats.
        side: ``(angle, softness m)`` of the side light (ignored for spots).
        lamps: ``(k, 3)`` rows of ``(x, z, height m)`` of the spotlights (empty for a side light).
        wall_colour: ``(3,)`` float32 wall colour (None without a wall).
        wall_grid: ``(_GRID, _GRID)`` float32 lattice of the wall's grain (None without a wall).
    """

    grain_grids: tuple[np.ndarray, ...]
    tint_grid: np.ndarray
    mats: np.ndarray
    mat_tints: np.ndarray
    side: tuple[float, float]
    lamps: np.ndarray
    wall_colour: np.ndarray | None
    wall_grid: np.ndarray | None


def _lattice(rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal((_GRID, _GRID)).astype(np.float32)


def draw_floor(spec: FloorSpec, rng: np.random.Generator) -> FloorDraw:
    """The random parts of ``spec``, in a fixed draw order (changing the order changes every
    image: the PNGs the rules' thresholds were measured on are this order's)."""
    grain_grids = tuple(_lattice(rng) for _ in spec.grains)
    tint_grid = _lattice(rng)
    mats, mat_tints = [], []
    for _ in range(spec.mats):
        r, a = rng.uniform(2.0, 5.0), rng.uniform(0, 2 * np.pi)
        half = rng.uniform(0.3, 0.8)
        mats.append((r * np.cos(a), r * np.sin(a), half, rng.uniform(0.6, 1.5)))
        mat_tints.append(np.asarray(rng.uniform(0.4, 0.8, 3), np.float32))
    side, lamps = (0.0, 1.0), []
    if spec.light == "side":
        side = (rng.uniform(0, 2 * np.pi), rng.uniform(3, 8))
    else:
        for _ in range(rng.integers(2, 4)):
            r, a = rng.uniform(0.5, 3.5), rng.uniform(0, 2 * np.pi)
            lamps.append((r * np.cos(a), r * np.sin(a), rng.uniform(1.5, 3.0)))
    wall_colour = wall_grid = None
    if spec.wall is not None:
        wall_colour = np.array(rng.uniform(0.5, 0.85, 3), np.float32)
        wall_grid = _lattice(rng)
    return FloorDraw(grain_grids, tint_grid, np.array(mats, np.float64).reshape(-1, 4),
                     np.array(mat_tints, np.float32).reshape(-1, 3), side,
                     np.array(lamps, np.float64).reshape(-1, 3), wall_colour, wall_grid)


def _value_noise(grid: np.ndarray, u: np.ndarray, v: np.ndarray, period: float, amp: float
                 ) -> np.ndarray:
    """Smooth noise of ``amp`` at plane coordinates ``u, v`` ``(...)`` (metres): ``grid`` values
    at every ``period``, blended with a smoothstep (no kinks at the lattice lines, which a
    gradient-based ring measure would see as texture)."""
    n = grid.shape[0]
    u, v = u / period, v / period
    i0, j0 = np.floor(u).astype(int), np.floor(v).astype(int)
    fu, fv = u - i0, v - j0
    fu, fv = fu * fu * (3 - 2 * fu), fv * fv * (3 - 2 * fv)

    def at(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return grid[a % n, b % n]

    return amp * ((1 - fu) * (1 - fv) * at(i0, j0) + fu * (1 - fv) * at(i0 + 1, j0)
                  + (1 - fu) * fv * at(i0, j0 + 1) + fu * fv * at(i0 + 1, j0 + 1))


def _floor_hit(xyz: np.ndarray, wall: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the rays ``xyz`` ``(..., 3)`` meet the floor.

    Returns:
        ``(t, floor, t_wall)``: distance to the floor plane ``(...)`` (inf for rays at or above
        the horizon), True where the floor is seen before the wall (or ``_FAR``), and the
        distance to the cylindrical wall ``(...)`` (inf without one).
    """
    down = xyz[..., 1] < -1e-4  # a grazing ray's floor hit is too far to shade stably
    t = np.where(down, CAMERA_HEIGHT / np.maximum(-xyz[..., 1], 1e-9), np.inf)
    if wall is None:
        return t, down & (t < _FAR), np.full(t.shape, np.inf)
    t_wall = wall / np.maximum(np.hypot(xyz[..., 0], xyz[..., 2]), 1e-9)
    return t, down & (t < t_wall), t_wall


def _albedo(spec: FloorSpec, draw: FloorDraw, x: np.ndarray, z: np.ndarray,
            footprint: np.ndarray) -> np.ndarray:
    """``(..., 3)`` floor colour at floor points ``x, z`` ``(...)`` before light; ``footprint``
    ``(...)`` is a pixel's size on the floor in metres."""
    grain = np.zeros_like(x, dtype=np.float32)
    for (period, amp), grid in zip(spec.grains, draw.grain_grids, strict=True):
        # A grain finer than the pixel would alias into speckle a real photo does not have.
        fade = np.clip(1.5 - footprint / period, 0, 1)
        grain += fade * _value_noise(grid, x, z, period, amp)
    albedo = np.asarray(spec.albedo, np.float32) * (1 + grain[..., None])
    # A slow warm/cool drift over metres, as of dust, damp or wear.
    tint = 1 + _value_noise(draw.tint_grid, x, z, 3.0, 0.03)[..., None] * np.array(
        [1, -0.5, -1], np.float32)
    albedo = albedo * tint
    for (cx, cz, half, aspect), factor in zip(draw.mats, draw.mat_tints, strict=True):
        inside = (np.abs(x - cx) < half) & (np.abs(z - cz) < half * aspect)
        albedo = np.where(inside[..., None], albedo * factor, albedo)
    return albedo


def _floor_light(spec: FloorSpec, draw: FloorDraw, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``(...)`` light on the floor at ``x, z`` ``(...)``: a soft step across the floor for a side
    light (its slope crosses a hole, it does not peak in one), else a dim ambient plus each
    lamp's inverse-square, cosine-weighted spot (a peak below the lamp)."""
    if spec.light == "side":
        angle, softness = draw.side
        across = x * np.cos(angle) + z * np.sin(angle)
        return 0.75 + 0.35 * np.tanh(across / softness)
    light = 0.35 * np.ones_like(x)
    for cx, cz, height in draw.lamps:
        light = light + 0.9 * height ** 3 / ((x - cx) ** 2 + (z - cz) ** 2 + height ** 2) ** 1.5
    return light


def _wall_colour(draw: FloorDraw, wall: float, xyz: np.ndarray, lon: np.ndarray,
                 t_wall: np.ndarray) -> np.ndarray:
    """``(..., 3)`` colour of the wall (and the ceiling band above ``_CEILING``) along rays
    ``xyz`` ``(..., 3)`` of longitude ``lon`` ``(...)``."""
    height = CAMERA_HEIGHT + xyz[..., 1] * t_wall
    # A broad light across the room, so the wall is no flat colour either.
    shade = np.clip(0.5 + 0.5 * xyz[..., 0] * 0.4 + 0.1 * np.cos(lon * 2), 0.2, 1.2)
    grain = _value_noise(draw.wall_grid, lon * wall, height, 0.3, 0.02)
    colour = draw.wall_colour * (1 + grain)[..., None] * shade[..., None]
    colour = np.where((np.abs(height - 0.1) < 0.1)[..., None], colour * 0.6, colour)  # skirting
    ceiling = np.float32(0.8) * (0.7 + 0.3 * xyz[..., 1:2])
    return np.where((height > _CEILING)[..., None], ceiling, colour)


def _sky(xyz: np.ndarray) -> np.ndarray:
    """``(..., 3)`` sky along rays ``xyz`` ``(..., 3)``: blue overhead, paler at the horizon."""
    up = xyz[..., 1:2]
    return (np.array([0.55, 0.7, 0.95], np.float32) * (1 - 0.4 * np.clip(up, 0, 1))
            + 0.25 * (1 - np.clip(up * 4, 0, 1)))


def shade_floor(spec: FloorSpec, draw: FloorDraw, width: int) -> np.ndarray:
    """``(width / 2, width, 3)`` float panorama in ``[0, 1]`` of ``spec`` drawn as ``draw``.

    Convention: see :mod:`pano_inpaint.geometry.conventions`.
    """
    ss = SUPERSAMPLE
    height, full = width // 2 * ss, width * ss
    ys, xs = np.mgrid[0:height, 0:full]
    lon, lat = erp_pixel_to_lonlat(xs + 0.0, ys + 0.0, height, full)  # (H*ss, W*ss) each
    xyz = lonlat_to_xyz(lon, lat)  # (H*ss, W*ss, 3)
    t, floor, t_wall = _floor_hit(xyz, spec.wall)
    x = np.where(floor, xyz[..., 0] * t, 0)
    z = np.where(floor, xyz[..., 2] * t, 0)
    # A pixel's size on the floor: its angle times the distance, stretched by the grazing angle.
    footprint = np.where(floor, t * (np.pi / height) / np.maximum(-xyz[..., 1], 0.05), 1.0)
    colour = _albedo(spec, draw, x, z, footprint) * _floor_light(spec, draw, x, z)[..., None]
    out = np.zeros(xyz.shape, np.float32)
    out[floor] = colour[floor]
    if spec.wall is not None:
        out[~floor] = _wall_colour(draw, spec.wall, xyz, lon, t_wall)[~floor]
    else:
        out[~floor] = _sky(xyz)[~floor]
        # Aerial perspective: far floor fades to a pale haze, so the horizon is no hard line.
        haze = np.exp(-np.where(floor, t, 0) / 150)[..., None]
        out = np.where(floor[..., None], out * haze + (1 - haze) * np.array([0.8, 0.85, 0.9]),
                       out)
    out = out.reshape(height // ss, ss, full // ss, ss, 3).mean((1, 3))  # (H, W, 3)
    return np.clip(out, 0, 1)


def render_floor(name: str, width: int = 1024, *, seed: int = 0) -> np.ndarray:
    """``(width / 2, width, 3)`` uint8 RGB panorama of floor ``name`` (see :data:`FLOORS`).

    Raises:
        KeyError: ``name`` is not in :data:`FLOORS`.
        ValueError: ``width`` is odd or below 8.

    Example:
        >>> render_floor("snow_sun", 16).shape
        (8, 16, 3)
    """
    if name not in FLOORS:
        raise KeyError(f"unknown floor {name!r}; known: {', '.join(FLOORS)}")
    if width < 8 or width % 2:
        raise ValueError(f"width must be even and >= 8, got {width}")
    spec = FLOORS[name]
    # Seeded by the name too, so that the floors differ and adding one changes no other.
    draw = draw_floor(spec, np.random.default_rng([seed, sum(map(ord, name))]))
    return to_uint8(shade_floor(spec, draw, width))


def to_uint8(image: np.ndarray) -> np.ndarray:
    """``(..., 3)`` uint8 of a float ``image`` in ``[0, 1]`` (rounded half up)."""
    return (image * 255 + 0.5).astype(np.uint8)


def write_floors(out_dir: Path, width: int = 1024, *, names: list[str] | None = None
                 ) -> list[Path]:
    """Render every floor (or ``names``) to ``out_dir/<name>_<size>.png``; returns the paths."""
    # PIL rather than the package's writer (OpenCV): the PNGs the thresholds were measured on
    # came from PIL's encoder, and only the same encoder reproduces them byte for byte.
    from PIL import Image

    out_dir.mkdir(parents=True, exist_ok=True)
    size = f"{width // 1024}k" if width % 1024 == 0 else f"{width}px"
    paths = []
    for name in names or list(FLOORS):
        path = out_dir / f"{name}_{size}.png"
        Image.fromarray(render_floor(name, width)).save(path)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--width", type=int, default=1024, help="panorama width (default 1024)")
    parser.add_argument("--names", nargs="+", default=None,
                        help=f"floors to draw (default all): {' '.join(FLOORS)}")
    args = parser.parse_args(argv)
    names = [n for item in args.names or [] for n in item.split(",") if n] or None
    try:
        for path in write_floors(args.out_dir, args.width, names=names):
            print(path)
    except (KeyError, ValueError) as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Synthetic hole masks drawn on the sphere: the damage a 360-degree camera really leaves behind.

Every family is a function ``(height, width, rng) -> (H, W) bool`` (True = hole) that draws caps
and thick great-circle arcs on the unit sphere and samples them at the panorama's pixel centres,
so a shape keeps its size and form wherever it sits (no equirectangular stretching). Families and
what they stand for:

* ``nadir``: a cap of 10-40 degrees around straight down (tripod head, rig base).
* ``large-cap``: a cap of 30-50 degrees around straight down (a rig, a car roof, a drone's
  landing gear): the hole whose middle is farthest from anything known.
* ``tripod``: a nadir cap plus three tapering legs reaching 55-75 degrees from the nadir, i.e.
  past the down face (which ends 45 degrees from the nadir at its edge centres) into the sides.
* ``monopod``: a selfie stick: a small nadir disc plus one arm reaching 50-80 degrees from the
  nadir and ending in a hand.
* ``shadow``: the photographer's shadow on the ground: a body widening from the nadir outwards
  and a head at its far end.
* ``cube-edge``: an object centred on one of the 12 cube edges (standard cube).
* ``cube-corner``: an object centred on one of the 8 cube corners (``lat = +-35.26``).
* ``wrap``: an object centred on the wrap-around line (``lon = 180``).
* ``zenith``: a cap of 10-30 degrees around straight up (ceiling mount, sky logo).
* ``strokes``: two to four free-form strokes, each a thick great-circle polyline.
* ``passer-by``: a person standing 2.5-12 m away, seen from a camera at eye height: feet on
  the ground below the horizon, the head just above it, so the hole cuts the horizon and
  whatever runs along it (a tree line, a shore, a wall's foot), the object people remove most.

Every family keeps the hole below 15 % of the sphere, except ``large-cap`` (a 50-degree cap is
18 %). :func:`family_rng` derives the generator
from ``(family, image name, seed)`` with a stable hash, so a case is reproducible anywhere.

Convention: see :mod:`pano_inpaint.geometry.conventions`.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np

from pano_inpaint.geometry.sphere import erp_directions, lonlat_to_xyz

__all__ = [
    "MASK_FAMILIES",
    "NADIR_FAMILIES",
    "MaskFamily",
    "family_rng",
    "list_families",
    "make_mask",
]

MaskFamily = Callable[[int, int, np.random.Generator], np.ndarray]

_DOWN = np.array([0.0, -1.0, 0.0])
_UP = np.array([0.0, 1.0, 0.0])
_CUBE_CORNER_LAT = np.degrees(np.arctan(1 / np.sqrt(2)))  # 35.26 degrees


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


def _direction(lon_deg: float, lat_deg: float) -> np.ndarray:
    return lonlat_to_xyz(np.radians(lon_deg), np.radians(lat_deg))


def _from_nadir(azimuth_deg: float, polar_deg: float) -> np.ndarray:
    """Direction ``polar_deg`` away from straight down, towards longitude ``azimuth_deg``."""
    return _direction(azimuth_deg, polar_deg - 90.0)


def _step(origin: np.ndarray, heading: np.ndarray, degrees: float) -> np.ndarray:
    """Walk ``degrees`` along the great circle leaving ``origin`` towards tangent ``heading``."""
    a = np.radians(degrees)
    return _unit(np.cos(a) * origin + np.sin(a) * heading)


def _tangent_basis(centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    helper = np.array([1.0, 0.0, 0.0]) if abs(centre[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    t1 = _unit(np.cross(centre, helper))
    return t1, np.cross(centre, t1)


def _cap(xyz: np.ndarray, centre: np.ndarray, radius_deg: float) -> np.ndarray:
    return xyz @ _unit(centre).astype(np.float32) >= np.cos(np.radians(radius_deg))


def _arc(
    xyz: np.ndarray, start: np.ndarray, end: np.ndarray, width_start: float, width_end: float
) -> np.ndarray:
    """Thick great-circle arc from ``start`` to ``end`` (< 180 degrees apart), its width (full,
    degrees) varying linearly along it, with round ends."""
    a, b = _unit(start), _unit(end)
    normal = _unit(np.cross(a, b))
    span = float(np.arccos(np.clip(a @ b, -1.0, 1.0)))
    towards_b = np.cross(normal, a)  # in-plane unit tangent at a, pointing to b
    off_circle = np.arcsin(np.clip(np.abs(xyz @ normal.astype(np.float32)), 0.0, 1.0))
    along = np.arctan2(xyz @ towards_b.astype(np.float32), xyz @ a.astype(np.float32))
    t = np.clip(along / span, 0.0, 1.0)
    half = np.radians(width_start + (width_end - width_start) * t) / 2
    inside = (along >= 0) & (along <= span) & (off_circle <= half)
    return inside | _cap(xyz, a, width_start / 2) | _cap(xyz, b, width_end / 2)


def _blob(
    xyz: np.ndarray, centre: np.ndarray, radius: float, rng: np.random.Generator
) -> np.ndarray:
    """An irregular object: a cap of ``radius`` degrees at ``centre`` plus 2-4 smaller lobes."""
    centre = _unit(centre)
    t1, t2 = _tangent_basis(centre)
    hole = _cap(xyz, centre, radius)
    for _ in range(int(rng.integers(2, 5))):
        angle = rng.uniform(0, 2 * np.pi)
        heading = np.cos(angle) * t1 + np.sin(angle) * t2
        lobe = _step(centre, heading, radius * rng.uniform(0.3, 0.7))
        hole |= _cap(xyz, lobe, radius * rng.uniform(0.35, 0.65))
    return hole


# ------------------------------------------------------------------------------------ families


def nadir(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A 10-40 degree cap around straight down."""
    return _cap(erp_directions(height, width), _DOWN, rng.uniform(10, 40))


def large_cap(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A 30-50 degree cap around straight down."""
    return _cap(erp_directions(height, width), _DOWN, rng.uniform(30, 50))


def tripod(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A 10-18 degree nadir cap plus three legs reaching 55-75 degrees from the nadir."""
    xyz = erp_directions(height, width)
    hole = _cap(xyz, _DOWN, rng.uniform(10, 18))
    first = rng.uniform(0, 360)
    for k in range(3):
        azimuth = first + 120 * k + rng.uniform(-12, 12)
        tip = _from_nadir(azimuth, rng.uniform(55, 75))
        # Legs look wide close to the camera and thin further away (perspective).
        hole |= _arc(xyz, _DOWN, tip, rng.uniform(4, 7), rng.uniform(1.5, 3))
    return hole


def monopod(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A selfie stick: a 4-9 degree nadir disc, one arm 50-80 degrees long and a hand."""
    xyz = erp_directions(height, width)
    hole = _cap(xyz, _DOWN, rng.uniform(4, 9))
    tip = _from_nadir(rng.uniform(0, 360), rng.uniform(50, 80))
    hole |= _arc(xyz, _DOWN, tip, rng.uniform(3, 5), rng.uniform(2, 3))
    return hole | _blob(xyz, tip, rng.uniform(4, 7), rng)


def shadow(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """The photographer's shadow: feet at the nadir, a body 35-55 degrees long, a head."""
    xyz = erp_directions(height, width)
    azimuth = rng.uniform(0, 360)
    shoulders = _from_nadir(azimuth + rng.uniform(-5, 5), rng.uniform(35, 55))
    hole = _cap(xyz, _DOWN, rng.uniform(6, 10))
    hole |= _arc(xyz, _DOWN, shoulders, rng.uniform(6, 9), rng.uniform(10, 14))
    head_polar = np.degrees(np.arccos(np.clip(-shoulders[1], -1, 1))) + rng.uniform(6, 9)
    return hole | _cap(xyz, _from_nadir(azimuth, head_polar), rng.uniform(4, 6))


def _cube_edges() -> list[tuple[np.ndarray, np.ndarray]]:
    """The 12 edges of the standard cube, as pairs of corners (unnormalised)."""
    corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], float)
    return [(corners[i], corners[j]) for i in range(8) for j in range(i + 1, 8)
            if np.abs(corners[i] - corners[j]).sum() == 2]


def cube_edge(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """An object centred on a cube edge, away from its corners."""
    edges = _cube_edges()
    a, b = edges[int(rng.integers(len(edges)))]
    s = rng.uniform(0.25, 0.75)
    centre = _unit((1 - s) * a + s * b)  # the edge is a straight segment on the cube surface
    return _blob(erp_directions(height, width), centre, rng.uniform(7, 14), rng)


def cube_corner(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """An object centred on a cube corner (``lon = +-45, +-135``, ``lat = +-35.26``)."""
    lon = 45.0 + 90.0 * int(rng.integers(4))
    lat = _CUBE_CORNER_LAT * (1 if rng.random() < 0.5 else -1)
    return _blob(erp_directions(height, width), _direction(lon, lat), rng.uniform(7, 14), rng)


def wrap(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """An object centred on the wrap-around line (``lon = 180``), latitude -45..45."""
    centre = _direction(180.0, rng.uniform(-45, 45))
    return _blob(erp_directions(height, width), centre, rng.uniform(6, 14), rng)


def zenith(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A 10-30 degree cap around straight up."""
    return _cap(erp_directions(height, width), _UP, rng.uniform(10, 30))


def strokes(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Two to four strokes, each a polyline of 2-4 great-circle segments, 1.5-4 degrees thick."""
    xyz = erp_directions(height, width)
    hole = np.zeros(xyz.shape[:2], bool)
    for _ in range(int(rng.integers(2, 5))):
        point = _direction(rng.uniform(-180, 180), rng.uniform(-70, 70))
        t1, t2 = _tangent_basis(point)
        angle = rng.uniform(0, 2 * np.pi)
        heading = np.cos(angle) * t1 + np.sin(angle) * t2
        thickness = rng.uniform(1.5, 4)
        for _ in range(int(rng.integers(2, 5))):
            length = rng.uniform(8, 20)
            following = _step(point, heading, length)
            hole |= _arc(xyz, point, following, thickness, thickness)
            # Continue from the new point, turned by up to 60 degrees from the arrival heading.
            a = np.radians(length)
            arrive = _unit(-np.sin(a) * point + np.cos(a) * heading)
            side = np.cross(following, arrive)
            turn = np.radians(rng.uniform(-60, 60))
            heading = _unit(np.cos(turn) * arrive + np.sin(turn) * side)
            point = following
    return hole


# A passer-by: the camera's height and the person's, in metres (eye level: the head's top only
# just above the horizon, whatever the distance), and the mask's margin around the body, as a
# share of its width (masks are drawn loosely round a person).
_CAMERA_HEIGHT = 1.6
_PERSON_HEIGHT = 1.75
_SHOULDERS = 0.45
_HEAD = 0.22
_MARGIN = 0.3


def passer_by(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A person 2.5-12 m away at any azimuth: a body from the feet, ``atan(1.6 / d)`` below
    the horizon, to the neck, and a head whose top is ``atan(0.15 / d)`` above it, each
    widened by the mask's margin."""
    xyz = erp_directions(height, width)
    distance = rng.uniform(2.5, 12.0)
    azimuth = rng.uniform(0, 360)

    def angle(metres: float) -> float:  # degrees subtended by ``metres`` at the distance
        return float(np.degrees(np.arctan2(metres, distance)))

    margin = 1.0 + _MARGIN
    feet = angle(-_CAMERA_HEIGHT)
    neck = angle(_PERSON_HEIGHT - _HEAD - _CAMERA_HEIGHT)
    head_radius = angle(_HEAD / 2) * margin
    head = angle(_PERSON_HEIGHT - _CAMERA_HEIGHT - _HEAD / 2)
    # The body narrows from the shoulders to the feet; a stance a little off the vertical.
    lean = rng.uniform(-3, 3)
    hole = _arc(xyz, _direction(azimuth + lean * 0.3, feet), _direction(azimuth, neck),
                angle(0.3) * margin, angle(_SHOULDERS) * margin)
    return hole | _cap(xyz, _direction(azimuth, head), head_radius)


MASK_FAMILIES: dict[str, MaskFamily] = {
    "nadir": nadir,
    "large-cap": large_cap,
    "tripod": tripod,
    "monopod": monopod,
    "shadow": shadow,
    "cube-edge": cube_edge,
    "cube-corner": cube_corner,
    "wrap": wrap,
    "zenith": zenith,
    "strokes": strokes,
    "passer-by": passer_by,
}

# Families that put the hole on the nadir: not scored on images whose nadir is itself a fill.
NADIR_FAMILIES = frozenset({"nadir", "large-cap", "tripod", "monopod", "shadow"})


def list_families() -> list[str]:
    """Names of the mask families, in a fixed order."""
    return list(MASK_FAMILIES)


def family_rng(family: str, image_name: str, seed: int = 0) -> np.random.Generator:
    """Generator seeded from ``(family, image name, seed)`` with a stable (non-salted) hash.

    Example:
        >>> a = family_rng("tripod", "x.png").random()
        >>> a == family_rng("tripod", "x.png").random()
        True
    """
    key = [zlib.crc32(family.encode()), zlib.crc32(image_name.encode()), int(seed)]
    return np.random.default_rng(key)


def make_mask(family: str, height: int, width: int, image_name: str = "", seed: int = 0
              ) -> np.ndarray:
    """The mask of ``family`` for one image, deterministic in ``(family, image_name, seed)``.

    Raises:
        KeyError: unknown family (the message lists the known ones).

    Example:
        >>> m = make_mask("wrap", 64, 128, "pano.png")
        >>> bool(m[:, 0].any() and m[:, -1].any())
        True
    """
    if family not in MASK_FAMILIES:
        raise KeyError(f"unknown mask family {family!r}; known: {', '.join(MASK_FAMILIES)}")
    if width != 2 * height:
        raise ValueError(f"an equirectangular mask needs W == 2 * H, got {width}x{height}")
    return MASK_FAMILIES[family](height, width, family_rng(family, image_name, seed))

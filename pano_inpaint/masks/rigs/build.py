"""Camera rigs built from parts: the sample's tripod, and random rigs of every kind for training
and evaluation.

Kinds (:data:`RIG_KINDS`), each a function ``rng -> Rig``:

* ``tripod``: three telescopic legs (sections, collars, rubber feet), the spider, a centre column,
  a ball head and its clamp; colours from black anodised to silver, carbon or painted accents.
* ``monopod``: one pole (upright or leaning) down to the ground, often on three small feet.
* ``selfie``: a stick leaving the camera downwards and outwards, the hand holding it and the
  forearm.
* ``panohead``: a tripod under a panoramic head (rotator disc, L-arm, rail and camera plate).
* ``shadow``: a tripod or monopod and the long shadow of the photographer standing out of sight.

Sizes are in metres; the camera is at the origin, the ground at ``y = -camera_height``.

Convention: see :mod:`pano_inpaint.geometry.conventions`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from pano_inpaint.geometry.rotation import rotation_matrix
from pano_inpaint.masks.rigs.parts import Box, Cylinder, Material, Part, Sphere

__all__ = [
    "RIG_KINDS", "Rig", "TripodGeometry", "list_rig_kinds", "make_rig", "transformed",
    "tripod_parts",
]

_SAMPLE_TINT = np.array([0.96, 0.98, 1.04])


def _sample_material(albedo: float) -> Material:
    """The sample's dark anodised metal: a grey with a slight blue tint and a sharp highlight."""
    return Material(albedo * _SAMPLE_TINT, 0.22 * _SAMPLE_TINT, 24.0)


@dataclass(frozen=True)
class TripodGeometry:
    """Size and placement of a tripod, in metres and degrees.

    The default (the shipped sample's) stance is wide on purpose: with the feet ``foot_distance``
    out and ``camera_height`` down, a leg reaches ``atan(foot_distance / camera_height)`` from the
    nadir (50 degrees here), which is past the edge of the cube's down face (45 degrees along its
    axes), so the hole spans several cube faces. A compact real tripod (feet at 0.8 m) stays
    inside the down face at about 27 degrees.
    """

    camera_height: float = 1.6  # camera above the ground
    foot_distance: float = 1.9  # horizontal distance from the nadir to each foot
    leg_azimuth_deg: float = 17.0  # longitude of the first leg; the others follow at +-120
    hinge_radius: float = 0.07  # horizontal distance of the leg hinges from the centre axis
    hinge_depth: float = 0.32  # depth of the leg hinges below the camera
    upper_leg_radius: float = 0.016
    lower_leg_radius: float = 0.011
    foot_radius: float = 0.022


@dataclass(frozen=True)
class Rig:
    """A rig under the camera: its parts, the ground's depth, what kind it is, and parts that
    only cast shadows (someone out of sight)."""

    kind: str
    parts: tuple[Part, ...]
    camera_height: float
    notes: dict = field(default_factory=dict)
    shadow_only: tuple[Part, ...] = ()


def _vertical(top: float, bottom: float, radius: float, material: Material) -> Cylinder:
    return Cylinder(np.array([0.0, -top, 0.0]), np.array([0.0, -bottom, 0.0]), radius, material)


def _horizontal(azimuth_deg: float) -> np.ndarray:
    a = np.radians(azimuth_deg)
    return np.array([np.sin(a), 0.0, np.cos(a)])  # horizontal, towards lon = azimuth


def tripod_parts(geometry: TripodGeometry) -> list[Part]:
    """The sample's tripod: mount stem, ball head, spider, three telescopic legs with feet."""
    m = _sample_material
    parts: list[Part] = [
        _vertical(0.05, 0.11, 0.012, m(0.06)),  # mounting stem under the camera
        _vertical(0.11, 0.16, 0.030, m(0.10)),  # clamp
        Sphere(np.array([0.0, -0.19, 0.0]), 0.027, m(0.22)),  # ball
        _vertical(0.21, 0.28, 0.034, m(0.07)),  # ball-head base
        _vertical(0.28, 0.34, 0.058, m(0.11)),  # spider holding the legs
    ]
    for k in range(3):
        out = _horizontal(geometry.leg_azimuth_deg + 120.0 * k)
        hinge = geometry.hinge_radius * out + np.array([0.0, -geometry.hinge_depth, 0.0])
        foot = geometry.foot_distance * out
        foot[1] = -geometry.camera_height + geometry.foot_radius * 0.6
        joint = hinge + 0.45 * (foot - hinge)
        collar = (hinge + 0.42 * (foot - hinge), hinge + 0.50 * (foot - hinge))
        parts += [
            Cylinder(hinge, joint, geometry.upper_leg_radius, m(0.12)),
            Cylinder(*collar, geometry.upper_leg_radius * 1.35, m(0.05)),
            Cylinder(joint, foot, geometry.lower_leg_radius, m(0.17)),
            Sphere(foot, geometry.foot_radius, m(0.04)),
        ]
    return parts


# ------------------------------------------------------------------------------ random materials


def _metal(rng: np.random.Generator) -> Material:
    """A rig metal: black anodised, gunmetal, silver aluminium, carbon or a painted colour."""
    kind = rng.choice(["black", "grey", "silver", "carbon", "paint"], p=[0.4, 0.2, 0.15, 0.1,
                                                                         0.15])
    tint = 1.0 + rng.normal(0, 0.04, 3)
    if kind == "black":
        color, spec, shine = rng.uniform(0.02, 0.08), rng.uniform(0.1, 0.3), rng.uniform(12, 40)
    elif kind == "grey":
        color, spec, shine = rng.uniform(0.1, 0.3), rng.uniform(0.15, 0.4), rng.uniform(8, 30)
    elif kind == "silver":
        color, spec, shine = rng.uniform(0.35, 0.7), rng.uniform(0.3, 0.6), rng.uniform(6, 24)
    elif kind == "carbon":
        color, spec, shine = rng.uniform(0.03, 0.07), rng.uniform(0.25, 0.45), rng.uniform(40, 80)
    else:
        hue = rng.dirichlet([0.6, 0.6, 0.6])
        color = rng.uniform(0.3, 0.7) * hue / hue.max()
        return Material(color * tint, np.full(3, rng.uniform(0.1, 0.3)), rng.uniform(8, 30))
    return Material(color * tint, spec * tint, shine)


def _rubber(rng: np.random.Generator) -> Material:
    return Material(np.full(3, rng.uniform(0.02, 0.07)), np.full(3, rng.uniform(0.01, 0.05)), 6.0)


def _accent(rng: np.random.Generator, base: Material) -> Material:
    """Collars and knobs: often the leg's material, sometimes a colour (red, orange, blue...)."""
    if rng.random() < 0.65:
        return base
    hue = rng.dirichlet([0.5, 0.5, 0.5])
    return Material(rng.uniform(0.25, 0.6) * hue / hue.max(), np.full(3, 0.2), 20.0)


def _skin(rng: np.random.Generator) -> Material:
    tone = rng.uniform(0.25, 1.05)
    return Material(tone * np.array([0.80, 0.58, 0.46]) * (1 + rng.normal(0, 0.04, 3)),
                    np.full(3, 0.05), 10.0)


def _cloth(rng: np.random.Generator) -> Material:
    hue = rng.dirichlet([1.0, 1.0, 1.0])
    color = rng.uniform(0.03, 0.6) * (0.5 + hue)
    return Material(np.clip(color, 0, 1), np.full(3, 0.02), 4.0)


# ------------------------------------------------------------------------------ rig pieces


def _legs(rng: np.random.Generator, height: float, hinge_depth: float, hinge_radius: float,
          spread_deg: float, leg: Material, accent: Material, feet: Material) -> list[Part]:
    """Three telescopic legs from hinges around the axis down to the ground."""
    parts: list[Part] = []
    first = rng.uniform(0, 360)
    upper = rng.uniform(0.010, 0.022)
    lower = upper * rng.uniform(0.55, 0.85)
    sections = int(rng.integers(2, 4))
    foot_radius = rng.uniform(0.012, 0.03) if rng.random() < 0.8 else 0.0
    for k in range(3):
        out = _horizontal(first + 120 * k + rng.uniform(-10, 10))
        reach = np.tan(np.radians(spread_deg * rng.uniform(0.9, 1.1))) * height
        hinge = hinge_radius * out + np.array([0.0, -hinge_depth, 0.0])
        foot = reach * out
        foot[1] = -height + 0.6 * max(foot_radius, 0.005)
        joints = [hinge + s * (foot - hinge) for s in np.linspace(0, 1, sections + 1)]
        for j in range(sections):
            radius = upper + (lower - upper) * j / max(sections - 1, 1)
            parts.append(Cylinder(joints[j], joints[j + 1], radius, leg))
            if j > 0:  # a clamp collar where each section slides out of the one above
                length = rng.uniform(0.02, 0.05) / np.linalg.norm(foot - hinge)
                a = joints[j] - length * (foot - hinge)
                parts.append(Cylinder(a, joints[j], radius * rng.uniform(1.3, 1.7), accent))
        if foot_radius:
            parts.append(Sphere(foot, foot_radius, feet))
    return parts


def _hub(rng: np.random.Generator, hinge_depth: float, hinge_radius: float, metal: Material,
         accent: Material) -> list[Part]:
    """Stem, clamp, ball head, centre column and spider, from the camera down to the hinges."""
    top = rng.uniform(0.06, 0.1)  # the camera's underside
    ball = rng.uniform(0.018, 0.032)
    clamp = top + rng.uniform(0.025, 0.04)
    column_top = clamp + 0.02 + 2 * ball
    parts: list[Part] = [
        _vertical(top, clamp, rng.uniform(0.008, 0.014), metal),
        Box(np.array([0.0, -clamp - 0.008, 0.0]),
            np.array([rng.uniform(0.018, 0.03), 0.008, rng.uniform(0.02, 0.035)]),
            rotation_matrix(rng.uniform(0, np.pi)), accent),  # quick-release clamp
        Sphere(np.array([0.0, -clamp - 0.02 - ball, 0.0]), ball, metal),
    ]
    spider = hinge_radius + rng.uniform(0.0, 0.02)
    if hinge_depth - column_top > 0.04:  # an extended centre column
        parts.append(_vertical(column_top, hinge_depth, rng.uniform(0.012, 0.022), metal))
    parts.append(_vertical(hinge_depth - 0.03, hinge_depth + 0.03, spider, metal))
    if rng.random() < 0.5:  # a knob on the side of the spider
        side = _horizontal(rng.uniform(0, 360))
        parts.append(Cylinder(np.array([0.0, -hinge_depth, 0.0]) + side * spider,
                              np.array([0.0, -hinge_depth, 0.0]) + side * (spider + 0.03),
                              0.01, accent))
    return parts


def _axes_along(direction: np.ndarray) -> np.ndarray:
    """Box axes whose second column is ``direction`` (a box stretched along it)."""
    d = direction / np.linalg.norm(direction)
    helper = np.array([1.0, 0.0, 0.0]) if abs(d[0]) < 0.9 else np.array([0.0, 0.0, 1.0])
    a = np.cross(d, helper)
    a /= np.linalg.norm(a)
    return np.stack([a, d, np.cross(a, d)], axis=1)


def _panohead(rng: np.random.Generator, metal: Material, accent: Material) -> tuple[list[Part],
                                                                                      float]:
    """Rotator, L-arm, upper rail and camera plate; returns the parts and the depth of the
    rotator's underside (where a tripod's ball head takes over)."""
    azimuth = rng.uniform(0, 360)
    side = _horizontal(azimuth)
    forward = _horizontal(azimuth + 90)
    axes = rotation_matrix(np.radians(azimuth))
    plate = rng.uniform(0.07, 0.11)
    arm = rng.uniform(0.06, 0.11)
    drop = rng.uniform(0.12, 0.2)
    parts: list[Part] = [
        Box(np.array([0.0, -plate, 0.0]),
            np.array([rng.uniform(0.03, 0.05), 0.008, rng.uniform(0.04, 0.07)]), axes, metal),
        Box(np.array([0.0, -plate - 0.02, 0.0]) + side * arm / 2,
            np.array([arm / 2 + 0.02, 0.01, rng.uniform(0.02, 0.03)]), axes, accent),
        Box(np.array([0.0, -plate - 0.02 - drop / 2, 0.0]) + side * arm,
            np.array([0.01, drop / 2, rng.uniform(0.02, 0.035)]), axes, metal),
        Box(np.array([0.0, -plate - 0.02 - drop, 0.0]) + side * arm / 2,
            np.array([arm / 2 + 0.02, 0.01, rng.uniform(0.025, 0.04)]), axes, metal),
    ]
    if rng.random() < 0.5:  # a knob on the rail
        knob = np.array([0.0, -plate - 0.02, 0.0]) + forward * 0.035
        parts.append(Cylinder(knob, knob + forward * 0.03, 0.012, accent))
    rotator = plate + 0.04 + drop
    parts.append(_vertical(rotator - 0.01, rotator + 0.03, rng.uniform(0.03, 0.05), metal))
    return parts, rotator + 0.03


# ------------------------------------------------------------------------------ kinds


def _tripod_rig(rng: np.random.Generator, *, head: list[Part] | None = None,
                head_depth: float = 0.0) -> tuple[list[Part], float]:
    height = rng.uniform(1.0, 1.9)
    hinge_depth = head_depth + rng.uniform(0.22, 0.65)
    hinge_radius = rng.uniform(0.04, 0.09)
    spread = rng.uniform(18, 58)
    metal = _metal(rng)
    accent = _accent(rng, metal)
    parts = list(head or [])
    hub = _hub(rng, hinge_depth - head_depth, hinge_radius, metal, accent)
    if head_depth:  # the hub hangs below the pano head
        hub = [_shifted(p, -head_depth) for p in hub]
    parts += hub
    parts += _legs(rng, height, hinge_depth, hinge_radius, spread, metal, accent, _rubber(rng))
    return parts, height


def transformed(part: Part, rotation: np.ndarray, offset: np.ndarray | None = None) -> Part:
    """``part`` turned by ``rotation`` (3 x 3, about the camera) and then moved by ``offset``."""
    t = np.zeros(3) if offset is None else np.asarray(offset, dtype=np.float64)
    if isinstance(part, Cylinder):
        return Cylinder(rotation @ part.a + t, rotation @ part.b + t, part.radius, part.material)
    if isinstance(part, Sphere):
        return Sphere(rotation @ part.center + t, part.radius, part.material)
    return Box(rotation @ part.center + t, part.half, rotation @ part.axes, part.material)


def _shifted(part: Part, dy: float) -> Part:
    return transformed(part, np.eye(3), np.array([0.0, dy, 0.0]))


def tripod(rng: np.random.Generator) -> Rig:
    """A tripod with its hub (see the module docstring)."""
    parts, height = _tripod_rig(rng)
    return Rig("tripod", tuple(parts), height)


def panohead(rng: np.random.Generator) -> Rig:
    """A tripod under a panoramic head."""
    metal = _metal(rng)
    head, depth = _panohead(rng, metal, _accent(rng, metal))
    parts, height = _tripod_rig(rng, head=head, head_depth=depth)
    return Rig("panohead", tuple(parts), height)


def monopod(rng: np.random.Generator) -> Rig:
    """A pole to the ground, upright or leaning, often on three small feet."""
    height = rng.uniform(1.0, 2.0)
    metal = _metal(rng)
    accent = _accent(rng, metal)
    lean = _horizontal(rng.uniform(0, 360)) * rng.uniform(0.0, 0.35) * height
    top = np.array([0.0, -rng.uniform(0.07, 0.12), 0.0])
    bottom = np.array([lean[0], -height, lean[2]])
    radius = rng.uniform(0.009, 0.02)
    parts: list[Part] = [Sphere(top, radius * rng.uniform(1.2, 2.0), metal)]
    sections = int(rng.integers(2, 5))
    joints = [top + s * (bottom - top) for s in np.linspace(0, 1, sections + 1)]
    for j in range(sections):
        r = radius * (1 - 0.12 * j)
        parts.append(Cylinder(joints[j], joints[j + 1], r, metal))
        if j > 0:
            parts.append(Cylinder(joints[j] - 0.03 * (bottom - top) / height, joints[j],
                                  r * rng.uniform(1.3, 1.6), accent))
    if rng.random() < 0.6:  # a mini tripod base
        base = bottom + np.array([0.0, rng.uniform(0.12, 0.25), 0.0])
        first = rng.uniform(0, 360)
        span = rng.uniform(0.12, 0.3)
        for k in range(3):
            foot = bottom + _horizontal(first + 120 * k) * span
            parts.append(Cylinder(base, foot, radius * 0.6, metal))
    return Rig("monopod", tuple(parts), height)


def selfie(rng: np.random.Generator) -> Rig:
    """A selfie stick held below the camera: the stick, the fist around its end and the arm
    leaving it outwards to the shoulder."""
    height = rng.uniform(1.3, 2.3)
    metal = _metal(rng)
    out = _horizontal(rng.uniform(0, 360))
    down = np.array([0.0, -1.0, 0.0])
    tilt = np.radians(rng.uniform(0, 12))
    along = np.cos(tilt) * down + np.sin(tilt) * _horizontal(rng.uniform(0, 360))
    top = along * rng.uniform(0.06, 0.1)
    grip = along * rng.uniform(0.35, 0.9)
    stick = rng.uniform(0.007, 0.014)
    skin = _skin(rng)
    sleeve = _cloth(rng)
    parts: list[Part] = [Cylinder(top, grip + along * 0.12, stick, metal),
                         Cylinder(grip, grip + along * 0.14, stick * 1.6, _rubber(rng))]
    # The fist around the grip: a palm box along the stick and the thumb on top.
    palm = grip + along * 0.06 + out * 0.02
    parts.append(Box(palm, np.array([0.045, 0.05, 0.03]) * rng.uniform(0.85, 1.15),
                     _axes_along(along), skin))
    parts.append(Sphere(palm - along * 0.05 + out * 0.01, 0.016, skin))
    # Forearm and upper arm: out and down to the elbow, then out (and up) to the shoulder.
    wrist = palm + along * 0.06
    elbow = wrist + out * rng.uniform(0.15, 0.25) + down * rng.uniform(0.05, 0.2)
    shoulder = elbow + out * rng.uniform(0.15, 0.3) + down * rng.uniform(-0.15, 0.1)
    forearm = sleeve if rng.random() < 0.5 else skin
    parts.append(Cylinder(wrist, elbow, rng.uniform(0.03, 0.042), forearm))
    parts.append(Cylinder(elbow, shoulder, rng.uniform(0.045, 0.06), sleeve))
    parts.append(Sphere(shoulder, 0.07, sleeve))
    return Rig("selfie", tuple(parts), height, {"hand": palm})


def shadow(rng: np.random.Generator) -> Rig:
    """A tripod or monopod and the shadow of the photographer, who stands out of sight
    (``shadow_only`` parts: they cast a shadow but are not drawn) with the sun behind them, so
    the shadow reaches towards the rig. :func:`~pano_inpaint.masks.rigs.composite.random_scene`
    lights this kind with a low sun from that side."""
    base = tripod(rng) if rng.random() < 0.6 else monopod(rng)
    ground = -base.camera_height
    azimuth = rng.uniform(0, 360)
    away = _horizontal(azimuth)
    side = np.cross(np.array([0.0, 1.0, 0.0]), away)
    body = away * rng.uniform(1.2, 2.5)
    stature = rng.uniform(1.55, 1.95)
    cloth = Material()
    hip = body + np.array([0.0, ground + 0.52 * stature, 0.0])
    shoulder = body + np.array([0.0, ground + 0.82 * stature, 0.0])
    person: list[Part] = [Cylinder(hip, shoulder, rng.uniform(0.14, 0.19), cloth),
                          Sphere(shoulder + np.array([0.0, 0.12 * stature, 0.0]), 0.1, cloth)]
    for s in (-1, 1):
        foot = body + side * s * rng.uniform(0.08, 0.2) + np.array([0.0, ground, 0.0])
        person.append(Cylinder(hip + side * s * 0.09, foot, rng.uniform(0.06, 0.08), cloth))
        hand = shoulder + side * s * 0.2 + np.array([0.0, -0.6, 0.0])
        person.append(Cylinder(shoulder + side * s * 0.2, hand, 0.045, cloth))
    return Rig("shadow", base.parts, base.camera_height,
               {"sun_azimuth_deg": azimuth}, tuple(person))


def _axes_facing(direction: np.ndarray) -> np.ndarray:
    """Upright box axes whose third column points along horizontal ``direction``."""
    z = direction / np.linalg.norm(direction)
    x = np.cross(np.array([0.0, 1.0, 0.0]), z)
    return np.stack([x, np.array([0.0, 1.0, 0.0]), z], axis=1)


RIG_KINDS: dict[str, Callable[[np.random.Generator], Rig]] = {
    "tripod": tripod,
    "monopod": monopod,
    "selfie": selfie,
    "panohead": panohead,
    "shadow": shadow,
}


def list_rig_kinds() -> list[str]:
    """Names of the rig kinds, in a fixed order."""
    return list(RIG_KINDS)


def make_rig(kind: str, rng: np.random.Generator) -> Rig:
    """A random rig of ``kind`` drawn from ``rng``.

    Raises:
        KeyError: unknown kind (the message lists the known ones).

    Example:
        >>> rig = make_rig("tripod", np.random.default_rng(0))
        >>> rig.kind, len(rig.parts) > 8, 1.0 <= rig.camera_height <= 1.9
        ('tripod', True, True)
    """
    if kind not in RIG_KINDS:
        raise KeyError(f"unknown rig kind {kind!r}; known: {', '.join(RIG_KINDS)}")
    return RIG_KINDS[kind](rng)

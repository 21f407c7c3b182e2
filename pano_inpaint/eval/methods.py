"""The methods under evaluation: every registered generator, and the peers users run today.

A method is a name and a callable ``(erp, mask) -> MethodOutput``; the panorama is native
(uint8, uint16 or float32, HDR linear) with the hole already blanked, and the output has the same
shape and dtype. Registered generators run through :func:`pano_inpaint.inpaint` and their raw
output is scored (so "known pixels changed" is honest). Peers are what a user would do without
this project, each pasted back into the input outside the hole (OpenCV may touch other pixels):

* ``erp-telea``, ``erp-ns``: ``cv2.inpaint`` (radius 5, as the registered ``telea``/``ns``) on the
  8-bit equirectangular image, ignoring the wrap line, the poles and the stretching.
* ``faces-telea``: the manual cube-face workflow: six unpadded cube faces (the same faces as
  py360convert's ``e2c``), Telea on each face on its own, faces back to the panorama.
* ``erp-pypatchmatch``: PyPatchMatch (``patchmatch.inpaint``, 7x7 patches as in its examples) on
  the 8-bit equirectangular image; optional (needs the ``pypatchmatch`` package) and slow.

Peers work in 8 bits as users do: uint16 input is reduced to 8 bits and the fill scaled back;
HDR input goes through the pipeline's invertible tone map (:class:`pano_inpaint.values.ToneMap`)
and the fill is mapped back to linear values.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from pano_inpaint.config import PipelineConfig
from pano_inpaint.generators import list_generators
from pano_inpaint.geometry.cubemap import cube_to_erp, erp_to_cube
from pano_inpaint.geometry.rotation import rotation_matrix
from pano_inpaint.pipeline import inpaint
from pano_inpaint.values import ToneMap, from_values, is_hdr, to_values

__all__ = [
    "PEERS",
    "Method",
    "MethodOutput",
    "default_generators",
    "generator_method",
    "peer_available",
    "select_methods",
]

_TELEA_RADIUS = 5.0
_PYPATCHMATCH_RADIUS = 3  # patchmatch.inpaint's patch_size is a radius: 7x7 patches
PYPATCHMATCH_MAX_WIDTH = 1024  # above this, run only when asked for (about 1 min at 4096)


@dataclass
class MethodOutput:
    """A filled panorama and the cube frames it was filled on (for the seam check).

    Attributes:
        image: same shape and dtype as the input.
        rotations: rotation matrices (None = the standard cube) whose face edges the method's
            fill could show; the standard cube is always checked as well.
        notes: anything worth reporting (e.g. regions filled).
    """

    image: np.ndarray
    rotations: list[np.ndarray | None] = field(default_factory=list)
    notes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Method:
    """One method: ``fn(erp, mask) -> MethodOutput``; ``kind`` is "generator" or "peer"."""

    name: str
    kind: str
    fn: Callable[[np.ndarray, np.ndarray], MethodOutput]
    description: str = ""
    max_width: int | None = None  # skip larger images unless asked explicitly


def generator_method(name: str, config: PipelineConfig | None = None) -> Method:
    """The registered generator ``name`` run through the full pipeline (with ``config``)."""

    def run(erp: np.ndarray, mask: np.ndarray) -> MethodOutput:
        result = inpaint(erp, mask, generator=name, config=config)
        rotations = [None if r.rotation_degrees is None
                     else rotation_matrix(*np.radians(r.rotation_degrees))
                     for r in result.regions]
        return MethodOutput(result.image, rotations, {"regions": len(result.regions)})

    return Method(name, "generator", run, f"pano_inpaint.inpaint(generator={name!r})")


def default_generators() -> list[str]:
    """Every registered generator except the ``mean`` floor."""
    return [name for name in list_generators() if name != "mean"]


class _EightBit:
    """A panorama as 8-bit RGB for the peers, and the way back to its own dtype."""

    def __init__(self, erp: np.ndarray) -> None:
        self.dtype = erp.dtype
        values = to_values(erp[..., None] if erp.ndim == 2 else erp)
        self.tone = ToneMap.for_image(values, hdr=is_hdr(erp))
        proxy = self.tone.to_proxy(values) if self.tone.hdr else np.clip(values, 0, 1)
        self.image = np.ascontiguousarray(np.rint(proxy * 255).astype(np.uint8))
        self.squeeze = erp.ndim == 2

    def back(self, image: np.ndarray) -> np.ndarray:
        proxy = image.astype(np.float32) * np.float32(1 / 255)
        values = self.tone.from_proxy(proxy) if self.tone.hdr else proxy
        out = from_values(values, self.dtype)
        return out[..., 0] if self.squeeze else out


def _paste(erp: np.ndarray, filled: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = erp.copy()
    out[mask] = filled[mask]
    return out


def _cv_fill(image: np.ndarray, hole: np.ndarray, flag: int) -> np.ndarray:
    filled = cv2.inpaint(image, hole.astype(np.uint8), _TELEA_RADIUS, flag)
    return filled.reshape(image.shape)


def _erp_opencv(flag: int) -> Callable[[np.ndarray, np.ndarray], MethodOutput]:
    def run(erp: np.ndarray, mask: np.ndarray) -> MethodOutput:
        eight = _EightBit(erp)
        return MethodOutput(_paste(erp, eight.back(_cv_fill(eight.image, mask, flag)), mask))

    return run


def _faces_telea(erp: np.ndarray, mask: np.ndarray) -> MethodOutput:
    eight = _EightBit(erp)
    height, width = mask.shape
    face_size = width // 4
    faces = erp_to_cube(eight.image, face_size)  # (6, S, S, C), unpadded
    holes = erp_to_cube(mask.astype(np.uint8) * np.uint8(255), face_size) > 0
    for face, hole in zip(faces, holes, strict=True):
        if hole.any():
            face[...] = _cv_fill(face, hole, cv2.INPAINT_TELEA)
    back = cube_to_erp(faces, height, width, mask=mask, out=eight.image.copy())
    return MethodOutput(_paste(erp, eight.back(back), mask), [None])


def _erp_pypatchmatch(erp: np.ndarray, mask: np.ndarray) -> MethodOutput:
    import patchmatch  # optional dependency (pypatchmatch)

    eight = _EightBit(erp)
    image = eight.image if eight.image.shape[-1] == 3 else np.repeat(eight.image[..., :1], 3, -1)
    filled = patchmatch.inpaint(image, mask.astype(np.uint8) * np.uint8(255),
                                patch_size=_PYPATCHMATCH_RADIUS)
    filled = filled[..., : eight.image.shape[-1]].reshape(eight.image.shape)
    return MethodOutput(_paste(erp, eight.back(filled), mask))


PEERS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("erp-telea", "peer", _erp_opencv(cv2.INPAINT_TELEA),
               "cv2.inpaint Telea on the 8-bit equirectangular image"),
        Method("erp-ns", "peer", _erp_opencv(cv2.INPAINT_NS),
               "cv2.inpaint Navier-Stokes on the 8-bit equirectangular image"),
        Method("faces-telea", "peer", _faces_telea,
               "Telea on each unpadded cube face independently (manual cube-face workflow)"),
        Method("erp-pypatchmatch", "peer", _erp_pypatchmatch,
               "PyPatchMatch on the 8-bit equirectangular image (optional)",
               max_width=PYPATCHMATCH_MAX_WIDTH),
    )
}


def peer_available(name: str) -> bool:
    """Whether a peer can run here (PyPatchMatch is an optional extra)."""
    if name == "erp-pypatchmatch":
        return importlib.util.find_spec("patchmatch") is not None
    return name in PEERS


def _peer_name(token: str) -> str:
    if token in PEERS:
        return token
    if f"erp-{token}" in PEERS:  # `--peers pypatchmatch`
        return f"erp-{token}"
    raise KeyError(f"unknown peer {token!r}; known: {', '.join(PEERS)}")


def select_methods(
    generators: list[str] | None = None, peers: list[str] | str | None = "default",
    config: PipelineConfig | None = None,
) -> tuple[list[Method], set[str]]:
    """The methods to run, and the peers asked for by name (which ignore ``max_width``).

    Args:
        generators: registered names (default: :func:`default_generators`).
        peers: "default" (every available peer; PyPatchMatch only on small images), "none",
            "all" (every available peer on every image) or a list of peer names.
        config: pipeline configuration for the generators (default ``PipelineConfig()``).

    Raises:
        KeyError: an unknown generator or peer name.
    """
    names = default_generators() if generators is None else list(generators)
    known = list_generators()
    for name in names:
        if name not in known:
            raise KeyError(f"unknown generator {name!r}; registered: {', '.join(known)}")
    methods = [generator_method(name, config) for name in names]
    forced: set[str] = set()
    if peers in (None, "none"):
        chosen: list[str] = []
    elif peers in ("default", "all"):
        chosen = [name for name in PEERS if peer_available(name)]
        forced = set(chosen) if peers == "all" else set()
    else:
        chosen = [_peer_name(token) for token in peers]
        forced = set(chosen)
        missing = [name for name in chosen if not peer_available(name)]
        if missing:
            raise KeyError(f"peers not available here: {', '.join(missing)} (pip install "
                           "pypatchmatch for erp-pypatchmatch)")
    return methods + [PEERS[name] for name in chosen], forced

"""Pipeline configuration: plain YAML files mapped onto frozen dataclasses.

Every field has a default, so ``PipelineConfig()`` is a working configuration (and equals
``pano_inpaint/configs/default.yaml``, shipped in the package). Unknown keys and wrong types raise
``ConfigError`` naming the key path.
No interpolation, no code execution: YAML is read with ``yaml.safe_load``.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from pano_inpaint.dataclass_yaml import build_dataclass, read_yaml

__all__ = [
    "AutoMaskConfig",
    "BlendConfig",
    "ChecksConfig",
    "ConfigError",
    "CubeConfig",
    "GeneratorConfig",
    "HdrConfig",
    "MaskConfig",
    "PipelineConfig",
    "config_to_dict",
    "load_config",
]


class ConfigError(ValueError):
    """A configuration file or override that does not fit the schema."""


# Sizes beyond the largest supported panorama (16384 wide, faces of 5216) are typing mistakes.
_MAX_SIDE = 16384


def _require(ok: bool, key: str, rule: str, value: object) -> None:
    """Every field is checked when its section is built, so a bad value fails before any work."""
    if not ok:
        raise ConfigError(f"{key} must be {rule}, got {value!r}")


def _finite(value: float) -> bool:
    return math.isfinite(value)


@dataclass(frozen=True)
class GeneratorConfig:
    name: str = "patchmatch"  # a name from list_generators()
    params: dict[str, Any] = field(default_factory=dict)  # constructor keyword arguments

    def __post_init__(self) -> None:
        # Whether the generator exists and takes these params is checked by building it
        # (batch.build_generator): only the registry knows.
        _require(bool(self.name), "generator.name", "a generator name", self.name)
        for key in self.params:
            _require(isinstance(key, str), "generator.params", "keyed by parameter names", key)


@dataclass(frozen=True)
class CubeConfig:
    # auto = W / pi rounded up to a multiple of 8: a face-centre pixel spans the same angle as an
    # equirectangular pixel, so the fill is made at the panorama's native resolution.
    face_size: int | Literal["auto"] = "auto"
    # auto = the generator's preference (S // 8 by default; wider round a hole that covers its
    # face where the generator asks for it: ``covered_face_pad_fraction``)
    pad: int | Literal["auto"] = "auto"
    # auto = the generator's choice: texture generators take bicubic (PatchMatch: ~0.85 of the
    # texture kept through ERP -> cube -> ERP, lanczos ~0.9-1.0 at three times the cost, bilinear
    # only ~0.4-0.7); smooth fills take bilinear, whose short kernel needs the least margin.
    interpolation: Literal["auto", "nearest", "bilinear", "bicubic", "lanczos"] = "auto"
    rotate: bool = True  # rotate the sphere so each hole sits at the centre of a face
    min_rotation_degrees: float = 5.0  # holes closer than this to a face centre are not rotated
    # Hole parts no deeper than this many pixels of a 1024-pixel-wide panorama, scaled with the
    # width (16 at 2048: about 2.8 degrees at any size), are not grown by the kernel's reach
    # before marking tile pixels unknown: strokes, cables, thin arms (0: every part grown).
    thin_depth: float = 8.0
    # A region no padded face holds whole (a band around the horizon) is filled face by face,
    # largest part first, each part seeing the parts filled before it as known pixels; off: its
    # faces are filled together and their overlaps reconciled.
    split_wide: bool = True

    def __post_init__(self) -> None:
        if self.face_size != "auto":
            _require(8 <= self.face_size <= _MAX_SIDE, "cube.face_size",
                     f"'auto' or from 8 to {_MAX_SIDE}", self.face_size)
        if self.pad != "auto":
            limit = _MAX_SIDE if self.face_size == "auto" else self.face_size
            _require(0 <= self.pad <= limit, "cube.pad",
                     f"'auto' or from 0 to the face size ({limit})", self.pad)
        _require(_finite(self.min_rotation_degrees) and 0 <= self.min_rotation_degrees <= 90,
                 "cube.min_rotation_degrees", "from 0 to 90", self.min_rotation_degrees)
        _require(_finite(self.thin_depth) and self.thin_depth >= 0, "cube.thin_depth",
                 "a number of pixels (at 1024 wide) >= 0", self.thin_depth)


@dataclass(frozen=True)
class MaskConfig:
    dilate: int = 0  # grow the hole by this many pixels before filling (covers soft edges)
    max_fraction: float = 0.6  # refuse holes covering more than this share of the sphere
    region_gap_degrees: float = 2.0  # holes closer than this are filled together

    def __post_init__(self) -> None:
        _require(0 <= self.dilate <= _MAX_SIDE, "mask.dilate",
                 f"a number of pixels from 0 to {_MAX_SIDE}", self.dilate)
        _require(_finite(self.max_fraction) and 0 < self.max_fraction <= 1, "mask.max_fraction",
                 "a share of the sphere in (0, 1]", self.max_fraction)
        _require(_finite(self.region_gap_degrees) and 0 <= self.region_gap_degrees <= 180,
                 "mask.region_gap_degrees", "from 0 to 180", self.region_gap_degrees)


@dataclass(frozen=True)
class AutoMaskConfig:
    """The automatic rig mask (``--auto``, ``pano-inpaint mask``)."""

    # auto: learned+classical when the network's weights exist (shipped or `weights`), else
    # classical;
    # see pano_inpaint.masks.auto
    detector: Literal["auto", "learned", "classical", "learned+classical"] = "auto"
    weights: str | None = None  # a learned detector's weights file; None = the shipped ones
    threshold: float = 0.5  # rig probability above which a pixel is masked
    grow_degrees: float = 0.25  # grow the mask by this angle on the sphere (soft rims)
    refine: bool = True  # snap the mask's edges to the image's at native resolution
    refine_face_max: int = 1024  # largest face size of that refinement (8K+ panoramas)
    # A doubtful detection (confidence < 0.5: more undecided than found) is used only when at
    # least this share of it looks unlike the ground around it (else nothing is filled); 0 uses
    # every detection.
    min_evidence: float = 0.2

    def __post_init__(self) -> None:
        # Out of range, these were taken: threshold 5 found nothing, -1 masked the whole sphere,
        # a negative growth was none, and refine_face_max 0 failed the fill as "a bug".
        _require(_finite(self.threshold) and 0 < self.threshold < 1, "auto_mask.threshold",
                 "a probability in (0, 1)", self.threshold)
        _require(_finite(self.grow_degrees) and 0 <= self.grow_degrees <= 180,
                 "auto_mask.grow_degrees", "from 0 to 180", self.grow_degrees)
        _require(8 <= self.refine_face_max <= _MAX_SIDE, "auto_mask.refine_face_max",
                 f"from 8 to {_MAX_SIDE}", self.refine_face_max)
        _require(_finite(self.min_evidence) and 0 <= self.min_evidence <= 1,
                 "auto_mask.min_evidence", "a share from 0 to 1", self.min_evidence)


@dataclass(frozen=True)
class BlendConfig:
    match_colour: bool = True  # remove low-frequency colour steps at the hole edge
    feather: int | Literal["auto"] = "auto"  # width (px) of the correction band inside the edge
    reconcile: bool = True  # blend the overlap of neighbouring faces so they agree at edges
    follow_rows: bool = True  # a fill across smooth ground follows the rows' line (a clear sky)

    def __post_init__(self) -> None:
        if self.feather != "auto":
            _require(0 <= self.feather <= _MAX_SIDE, "blend.feather",
                     f"'auto' or a number of pixels from 0 to {_MAX_SIDE}", self.feather)


@dataclass(frozen=True)
class HdrConfig:
    mode: Literal["auto", "on", "off"] = "auto"  # auto: float input with values > 1 is HDR
    key: float = 0.18  # tone-mapped proxy maps the median luminance to this grey

    def __post_init__(self) -> None:
        _require(_finite(self.key) and 0 < self.key < 1, "hdr.key", "a grey level in (0, 1)",
                 self.key)


@dataclass(frozen=True)
class ChecksConfig:
    """Thresholds on the consistency report; a figure above its threshold is flagged."""

    wrap_ratio_max: float = 2.0  # wrap-line jump / ordinary column step
    pole_spread_ratio_max: float = 3.0  # spread of a pole row / ordinary pixel step there
    seam_ratio_max: float = 1.5  # jump across a cube edge / ordinary step, inside the fill
    boundary_step_ratio_max: float = 2.0  # colour step at the hole edge / step just outside it

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            _require(_finite(value) and value > 0, f"checks.{item.name}", "a ratio > 0", value)


@dataclass(frozen=True)
class PipelineConfig:
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    cube: CubeConfig = field(default_factory=CubeConfig)
    mask: MaskConfig = field(default_factory=MaskConfig)
    auto_mask: AutoMaskConfig = field(default_factory=AutoMaskConfig)
    blend: BlendConfig = field(default_factory=BlendConfig)
    hdr: HdrConfig = field(default_factory=HdrConfig)
    checks: ChecksConfig = field(default_factory=ChecksConfig)


def _apply_override(data: dict, override: str) -> None:
    key, _, raw = override.partition("=")
    parts = key.strip().split(".")
    # '=3' was "unknown key ; allowed: ...", 'mask..dilate=3' the same for an empty key
    if "=" not in override or not all(parts):
        raise ConfigError(f"override {override!r} must look like key.path=value")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"override {override!r}: {part} is not a section")
    try:
        node[parts[-1]] = yaml.safe_load(raw)
    except yaml.YAMLError as exc:  # '[1': a traceback before
        raise ConfigError(f"override {override!r}: {raw!r} is not a YAML value (a list or "
                          "mapping left open?); quote it if it is text") from exc


def load_config(
    path: str | Path | None = None, overrides: typing.Sequence[str] = ()
) -> PipelineConfig:
    """Read a YAML config (or the defaults) and apply ``key.path=value`` overrides.

    Raises:
        ConfigError: unreadable YAML, unknown keys, wrong types.
        FileNotFoundError: ``path`` does not exist.

    Example:
        >>> load_config(overrides=["generator.name=ns", "mask.dilate=4"]).mask.dilate
        4
    """
    data: dict = {}
    if path is not None:
        data = read_yaml(path, ConfigError) or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: the top level must be a mapping")
    for override in overrides:
        _apply_override(data, override)
    return build_dataclass(PipelineConfig, data, "", ConfigError)


def config_to_dict(config: Any) -> dict:
    """The effective configuration as plain data (for ``dump-config`` and reports)."""
    return dataclasses.asdict(config)

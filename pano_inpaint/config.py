"""Pipeline configuration: plain YAML files mapped onto frozen dataclasses.

Every field has a default, so ``PipelineConfig()`` is a working configuration (and equals
``configs/default.yaml``). Unknown keys and wrong types raise ``ConfigError`` naming the key path.
No interpolation, no code execution: YAML is read with ``yaml.safe_load``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

__all__ = [
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


@dataclass(frozen=True)
class GeneratorConfig:
    name: str = "patchmatch"  # a name from list_generators()
    params: dict[str, Any] = field(default_factory=dict)  # constructor keyword arguments


@dataclass(frozen=True)
class CubeConfig:
    # auto = W / pi rounded up to a multiple of 8: a face-centre pixel spans the same angle as an
    # equirectangular pixel, so the fill is made at the panorama's native resolution.
    face_size: int | Literal["auto"] = "auto"
    pad: int | Literal["auto"] = "auto"  # auto = the generator's preference (S // 8 by default)
    # auto = the generator's choice: texture generators take lanczos, which keeps ~0.9-1.0 of
    # the texture through ERP -> cube -> ERP (bilinear only ~0.4-0.7); smooth fills take
    # bilinear, whose short kernel needs the least margin around the hole.
    interpolation: Literal["auto", "nearest", "bilinear", "bicubic", "lanczos"] = "auto"
    rotate: bool = True  # rotate the sphere so each hole sits at the centre of a face
    min_rotation_degrees: float = 5.0  # holes closer than this to a face centre are not rotated


@dataclass(frozen=True)
class MaskConfig:
    dilate: int = 0  # grow the hole by this many pixels before filling (covers soft edges)
    max_fraction: float = 0.6  # refuse holes covering more than this share of the sphere
    region_gap_degrees: float = 2.0  # holes closer than this are filled together


@dataclass(frozen=True)
class BlendConfig:
    match_colour: bool = True  # remove low-frequency colour steps at the hole edge
    feather: int | Literal["auto"] = "auto"  # width (px) of the correction band inside the edge
    reconcile: bool = True  # blend the overlap of neighbouring faces so they agree at edges


@dataclass(frozen=True)
class HdrConfig:
    mode: Literal["auto", "on", "off"] = "auto"  # auto: float input with values > 1 is HDR
    key: float = 0.18  # tone-mapped proxy maps the median luminance to this grey


@dataclass(frozen=True)
class ChecksConfig:
    """Thresholds on the consistency report; a figure above its threshold is flagged."""

    wrap_ratio_max: float = 2.0  # wrap-line jump / ordinary column step
    pole_spread_ratio_max: float = 3.0  # spread of a pole row / ordinary pixel step there
    seam_ratio_max: float = 1.5  # jump across a cube edge / ordinary step, inside the fill
    boundary_step_ratio_max: float = 2.0  # colour step at the hole edge / step just outside it


@dataclass(frozen=True)
class PipelineConfig:
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    cube: CubeConfig = field(default_factory=CubeConfig)
    mask: MaskConfig = field(default_factory=MaskConfig)
    blend: BlendConfig = field(default_factory=BlendConfig)
    hdr: HdrConfig = field(default_factory=HdrConfig)
    checks: ChecksConfig = field(default_factory=ChecksConfig)


def _matches(value: Any, annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if annotation is Any:
        return True
    if origin is Literal:
        return value in typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in typing.get_args(annotation))
    if origin is dict:
        return isinstance(value, dict)
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is type(None):
        return value is None
    return isinstance(value, annotation)


def _build(cls: type, data: Any, path: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{path or 'config'} must be a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        where = f"{path}." if path else ""
        raise ConfigError(
            f"unknown key {where}{unknown[0]!s}; allowed: {', '.join(sorted(fields))}"
        )
    kwargs = {}
    for name, value in data.items():
        key = f"{path}.{name}" if path else name
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            kwargs[name] = _build(hint, value, key)
            continue
        if not _matches(value, hint):
            raise ConfigError(f"{key}: {value!r} does not fit {_describe(hint)}")
        if hint is float:
            value = float(value)
        kwargs[name] = value
    return cls(**kwargs)


def _describe(annotation: Any) -> str:
    if typing.get_origin(annotation) is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(annotation))
    return getattr(annotation, "__name__", str(annotation)).replace("typing.", "")


def _apply_override(data: dict, override: str) -> None:
    if "=" not in override:
        raise ConfigError(f"override {override!r} must look like key.path=value")
    key, raw = override.split("=", 1)
    parts = key.strip().split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"override {override!r}: {part} is not a section")
    node[parts[-1]] = yaml.safe_load(raw)


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
        text = Path(path).read_text(encoding="utf-8")
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
        data = loaded or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: the top level must be a mapping")
    for override in overrides:
        _apply_override(data, override)
    return _build(PipelineConfig, data, "")


def config_to_dict(config: Any) -> dict:
    """The effective configuration as plain data (for ``dump-config`` and reports)."""
    return dataclasses.asdict(config)

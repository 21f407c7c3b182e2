"""Plain YAML data -> frozen dataclasses, strictly: unknown keys and wrong types are errors that
name the key path. Shared by the pipeline configuration and the training configurations.

Supported field types: nested dataclasses, ``tuple[Dataclass, ...]`` and ``tuple[str, ...]``
(YAML lists), ``Literal``, unions (``X | None``), ``dict``, ``Any``, and scalars (an int is
accepted where a float is asked for; a bool is never a number).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, Literal

import yaml

__all__ = ["build_dataclass", "build_stored_config", "describe_type", "fits_type",
           "load_dataclass_yaml", "read_yaml", "refuse_unknown_keys"]


def refuse_unknown_keys(cls: type, data: dict) -> None:
    """Raise ValueError naming the keys of ``data`` that are no field of the dataclass ``cls``
    (a network's stored config: a key a newer version wrote, or a typo), and the allowed ones."""
    known = {field.name for field in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown {cls.__name__} keys {unknown}; allowed: {sorted(known)}")


def build_stored_config(cls: type, data: Any) -> Any:
    """A network's stored config (a weights file's, a training config's ``net:``) as the
    dataclass ``cls``: an unknown key is refused as :func:`refuse_unknown_keys` says, a value of
    the wrong type as :func:`build_dataclass` does (``channels: '8' does not fit int``; it was
    a TypeError of ``<`` between str and int, or taken as it was: ``global_ratio: 'x'``).

    Raises:
        ValueError: naming the key.
    """
    if isinstance(data, dict):
        refuse_unknown_keys(cls, data)
    return build_dataclass(cls, data)


def fits_type(value: Any, annotation: Any) -> bool:
    """Whether a YAML scalar/mapping ``value`` fits a (non-dataclass) field ``annotation``."""
    origin = typing.get_origin(annotation)
    if annotation is Any:
        return True
    if origin is Literal:
        return value in typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(fits_type(value, arg) for arg in typing.get_args(annotation))
    if origin is dict:
        return isinstance(value, dict)
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is type(None):
        return value is None
    return isinstance(value, annotation)


def _alternatives(annotation: Any) -> list[str]:
    """The values or types a union member allows, in words (a Literal's values as written)."""
    if typing.get_origin(annotation) is Literal:
        return [repr(a) for a in typing.get_args(annotation)]
    return ["null" if annotation is type(None) else describe_type(annotation)]


def describe_type(annotation: Any) -> str:
    """A field type in words, for error messages.

    Example:
        >>> describe_type(int | Literal["auto"])  # 'Union' before
        "int or 'auto'"
    """
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(word for arg in typing.get_args(annotation)
                           for word in _alternatives(arg))
    return getattr(annotation, "__name__", str(annotation)).replace("typing.", "")


def build_dataclass(cls: type, data: Any, path: str = "", error: type[Exception] = ValueError
                    ) -> Any:
    """Build dataclass ``cls`` from ``data`` (a mapping), recursively; missing keys keep their
    defaults. ``path`` prefixes key names in messages; ``error`` is the exception raised.

    Example:
        >>> from pano_inpaint.config import CubeConfig
        >>> build_dataclass(CubeConfig, {"pad": 4}).pad
        4
        >>> try:
        ...     build_dataclass(CubeConfig, {"pads": 4}, "cube")
        ... except ValueError as exc:
        ...     print(str(exc).split(";")[0])
        unknown key cube.pads
    """
    if not isinstance(data, dict):
        raise error(f"{path or 'config'} must be a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        where = f"{path}." if path else ""
        raise error(f"unknown key {where}{unknown[0]!s}; allowed: {', '.join(sorted(names))}")
    kwargs = {}
    for name, value in data.items():
        key = f"{path}.{name}" if path else name
        kwargs[name] = _field_value(hints[name], value, key, error)
    return cls(**kwargs)


def _field_value(hint: Any, value: Any, key: str, error: type[Exception]) -> Any:
    if dataclasses.is_dataclass(hint):
        return build_dataclass(hint, value, key, error)
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        if dataclasses.is_dataclass(item):
            if not isinstance(value, list) or not value:
                raise error(f"{key} must be a non-empty list of {item.__name__} mappings")
            return tuple(build_dataclass(item, v, f"{key}[{i}]", error)
                         for i, v in enumerate(value))
        if not isinstance(value, list) or not all(fits_type(v, item) for v in value):
            raise error(f"{key} must be a list of {describe_type(item)}")
        return tuple(value)
    if not fits_type(value, hint):
        raise error(f"{key}: {value!r} does not fit {describe_type(hint)}")
    return float(value) if hint is float else value


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error in one line: PyYAML's spans three, with the line quoted and a caret."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return " ".join(str(exc).split())
    mark = exc.problem_mark or exc.context_mark
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    context = f" ({exc.context})" if exc.context else ""
    return f"{exc.problem or 'a syntax error'}{where}{context}"


def read_yaml(path: str | Path, error: type[Exception] = ValueError) -> Any:
    """The YAML document in the file ``path``.

    Raises:
        error: not valid YAML (where, in one line), or not UTF-8 text (a file saved as UTF-16,
            an image given by mistake: a UnicodeDecodeError and its traceback before).
        FileNotFoundError: ``path`` does not exist (other ``OSError``: it cannot be read).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte {exc.start}); save the YAML as UTF-8") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {_yaml_problem(exc)}") from exc


def load_dataclass_yaml(cls: type, path: str | Path | None, error: type[Exception] = ValueError
                        ) -> Any:
    """Build dataclass ``cls`` from the YAML file ``path`` (``None`` or an empty file: all
    defaults); invalid YAML and every :func:`build_dataclass` error raise ``error``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
    """
    data = (read_yaml(path, error) if path is not None else None) or {}
    return build_dataclass(cls, data, "", error)

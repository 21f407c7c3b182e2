"""The settings of a generator that the page can show and change.

Read from the generator itself: its constructor's keyword arguments typed as one scalar, and the
fields of its ``params`` dataclass when it keeps its settings in one (as PatchMatch does). File
paths are left out: the page must not make the server read a file outside FOLDER.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
import typing
from typing import Any

from pano_inpaint.generators import get_generator
from pano_inpaint.web.errors import Refused

__all__ = ["check_settings", "generator_settings"]

_SCALARS = {"bool", "int", "float", "str"}
_FILE_PARAMETER = re.compile(r"(weights|path|file|dir|folder)$")
_KIND_TYPES = {"bool": (bool,), "int": (int,), "float": (int, float), "str": (str,)}


def _choices(annotation: object) -> list[str] | None:
    """The strings of a resolved ``Literal`` of strings (``None`` for any other annotation)."""
    if typing.get_origin(annotation) is not typing.Literal:
        return None
    values = list(typing.get_args(annotation))
    return values if all(isinstance(v, str) for v in values) else None


def _form_field(name: str, annotation: object, default: object,
                resolved: object = None) -> dict[str, Any] | None:
    """A form field for a parameter typed as one scalar, possibly ``| None`` (automatic), or
    as a ``Literal`` of strings (``resolved``: the annotation evaluated; a ``str`` field with
    its ``choices``); ``None`` for anything else (dicts, objects), which the form cannot
    edit."""
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    choices = _choices(resolved)
    if choices is not None and default in choices:
        return {"name": name, "default": default, "kind": "str", "choices": choices}
    members = {m.strip() for m in str(text).split("|")} - {"None", ""}
    if not members and isinstance(default, (bool, int, float, str)):
        members = {type(default).__name__}
    if len(members) != 1 or not members <= _SCALARS:
        return None
    return {"name": name, "default": default, "kind": members.pop()}


@functools.cache
def generator_settings(name: str) -> list[dict[str, Any]]:
    """The settings of a generator the page may set: its constructor's scalar keyword
    arguments and the fields of its ``params`` dataclass when it keeps its settings in one,
    except file paths (the page must not make the server read a file outside FOLDER)."""
    generator = get_generator(name)
    fields = []
    for param in inspect.signature(type(generator).__init__).parameters.values():
        if param.kind in (param.KEYWORD_ONLY, param.POSITIONAL_OR_KEYWORD) and param.name != "self":
            default = None if param.default is param.empty else param.default
            fields.append(_form_field(param.name, param.annotation, default))
    settings = getattr(generator, "params", None)
    if dataclasses.is_dataclass(settings) and not isinstance(settings, type):
        # Evaluated as the config loader evaluates them (the modules postpone annotations).
        hints = typing.get_type_hints(type(settings))
        fields += [_form_field(f.name, f.type, getattr(settings, f.name), hints[f.name])
                   for f in dataclasses.fields(settings)]
    return [f for f in fields if f is not None and not _FILE_PARAMETER.search(f["name"])]


def check_settings(name: str, params: dict[str, Any]) -> None:
    """Refuse a setting the page cannot change, or a value of the wrong type.

    Raises:
        Refused: (400) naming the setting and what it takes.
    """
    settings = {f["name"]: f for f in generator_settings(name)}
    kinds = {key: f["kind"] for key, f in settings.items()}
    for key, value in params.items():
        if key not in kinds:
            raise Refused(f"{name} has no setting {key!r} the page can change; it has "
                          f"{', '.join(kinds) or 'none'}")
        wanted = _KIND_TYPES[kinds[key]]
        if isinstance(value, bool) != (bool in wanted) or not isinstance(value, wanted):
            raise Refused(f"{name} setting {key!r} must be {kinds[key]}, got {value!r}")
        choices = settings[key].get("choices")
        if choices is not None and value not in choices:
            raise Refused(f"{name} setting {key!r} must be one of {', '.join(choices)}, got "
                          f"{value!r}")

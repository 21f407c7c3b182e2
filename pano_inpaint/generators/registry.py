"""The generator registry: a decorator for built-in classes, lazy entries for torch-based ones."""

from __future__ import annotations

import importlib
import inspect
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from pano_inpaint.dataclass_yaml import describe_type, fits_type
from pano_inpaint.generators.base import Generator, GeneratorInfo

__all__ = [
    "UnknownGeneratorError",
    "generator_info",
    "get_generator",
    "list_generators",
    "register_generator",
    "register_lazy_generator",
    "unregister_generator",
]

T = TypeVar("T")

_FACTORIES: dict[str, Callable[..., Generator]] = {}
_INFO: dict[str, GeneratorInfo] = {}
_LAZY_TARGETS: dict[str, str] = {}  # name -> "module:Class" of entries not imported yet


class UnknownGeneratorError(KeyError):
    """Raised for a generator name that is not registered."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


def register_generator(cls: type[T]) -> type[T]:
    """Class decorator: register ``cls`` under its ``name`` class attribute."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name:
        raise TypeError(f"{cls.__name__} needs a non-empty `name` class attribute")
    # The class a lazy entry points at registers itself when its module is imported at last.
    replaces_lazy = _LAZY_TARGETS.get(name) == f"{cls.__module__}:{cls.__qualname__}"
    if name in _FACTORIES and not replaces_lazy:
        raise ValueError(f"a generator named {name!r} is already registered")
    _LAZY_TARGETS.pop(name, None)
    summary = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
    _FACTORIES[name] = cls  # type: ignore[assignment]
    _INFO[name] = GeneratorInfo(name, summary, getattr(cls, "needs_torch", False))
    return cls


def register_lazy_generator(name: str, target: str, summary: str, needs_torch: bool) -> None:
    """Register ``"package.module:Class"`` without importing it until it is asked for (torch,
    or numba kernels that take a while to load). If that class carries ``@register_generator``,
    importing its module replaces the lazy entry with the class itself."""

    def factory(**params: Any) -> Generator:
        module_name, class_name = target.split(":")
        return getattr(importlib.import_module(module_name), class_name)(**params)

    if name in _FACTORIES:
        raise ValueError(f"a generator named {name!r} is already registered")
    _FACTORIES[name] = factory
    _INFO[name] = GeneratorInfo(name, summary, needs_torch)
    _LAZY_TARGETS[name] = target


def unregister_generator(name: str) -> None:
    """Remove ``name`` (a class or a lazy entry), e.g. one registered for a single run.

    Raises:
        UnknownGeneratorError: no generator of that name is registered.
    """
    _check_known(name)
    del _FACTORIES[name], _INFO[name]
    _LAZY_TARGETS.pop(name, None)


def list_generators() -> list[str]:
    """Names of every registered generator, sorted."""
    return sorted(_FACTORIES)


def generator_info(name: str) -> GeneratorInfo:
    _check_known(name)
    return _INFO[name]


def _check_known(name: str) -> None:
    if name not in _FACTORIES:
        raise UnknownGeneratorError(
            f"unknown generator {name!r}; available: {', '.join(list_generators())}"
        )


def _generator_class(name: str) -> type | None:
    """The class behind ``name`` (importing a lazy entry's module), or None for a factory."""
    factory = _FACTORIES[name]
    if isinstance(factory, type):
        return factory
    target = _LAZY_TARGETS.get(name)
    if target is None:
        return None
    module_name, class_name = target.split(":")
    return getattr(importlib.import_module(module_name), class_name)


def _check_params(name: str, cls: type, params: dict[str, Any]) -> None:
    """Each param is a keyword of the constructor and fits its annotation (YAML and ``--set``
    values arrive untyped: ``patch_size=abc`` must be refused with its name, not fail deep in
    the generator)."""
    signature = inspect.signature(cls)
    accepted = {p.name: p for p in signature.parameters.values()
                if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
    takes_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    try:
        hints = typing.get_type_hints(cls.__init__)
    except Exception:  # unresolvable annotations: the constructor checks its own arguments
        hints = {}
    for key, value in params.items():
        if key not in accepted:
            if takes_any:
                continue
            known = ", ".join(sorted(accepted)) or "none"
            raise TypeError(f"generator {name!r} takes no parameter {key!r} (it takes: {known})")
        if key in hints and not fits_type(value, hints[key]):
            raise TypeError(f"generator {name!r}: {key}={value!r} does not fit "
                            f"{describe_type(hints[key])}")


def get_generator(name: str, **params: Any) -> Generator:
    """Build the generator registered as ``name`` with constructor ``params``.

    Raises:
        UnknownGeneratorError: ``name`` is not registered (the message lists what is).
        TypeError: a parameter the generator does not take, or of the wrong type.
        ValueError: a parameter value the generator refuses (its message names it).
    """
    _check_known(name)
    cls = _generator_class(name)
    if cls is not None:
        _check_params(name, cls, params)
    try:
        return _FACTORIES[name](**params)
    except TypeError as exc:
        raise TypeError(f"generator {name!r}: {exc}") from exc
    except ValueError as exc:
        raise ValueError(f"generator {name!r}: {exc}") from exc

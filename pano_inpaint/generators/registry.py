"""The generator registry: a decorator for built-in classes, lazy entries for torch-based ones."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

from pano_inpaint.generators.base import Generator, GeneratorInfo

__all__ = [
    "UnknownGeneratorError",
    "generator_info",
    "get_generator",
    "list_generators",
    "register_generator",
    "register_lazy_generator",
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


def get_generator(name: str, **params: Any) -> Generator:
    """Build the generator registered as ``name`` with constructor ``params``.

    Raises:
        UnknownGeneratorError: ``name`` is not registered (the message lists what is).
        TypeError: a parameter the generator does not take.
    """
    _check_known(name)
    try:
        return _FACTORIES[name](**params)
    except TypeError as exc:
        raise TypeError(f"generator {name!r}: {exc}") from exc

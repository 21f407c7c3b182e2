"""Names a package imports on first use (PEP 562), for the ``__init__`` modules that keep
``import pano_inpaint`` and the command line light."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(package: str, homes: dict[str, str]
               ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``: a name of ``homes`` is imported from
    the module it maps to when first asked for, then kept, so the next access is a plain lookup.

    Example:
        >>> getattr_, _ = lazy_names("pano_inpaint", {"nadir_mask": "pano_inpaint.masks"})
        >>> getattr_("nadir_mask").__name__
        'nadir_mask'
    """
    namespace = vars(sys.modules[package])

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(homes))

    return __getattr__, __dir__

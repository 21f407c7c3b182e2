"""A small LRU cache bounded by bytes, for sampling maps.

Maps for an 8K panorama take a few hundred MB; a 16K round trip must fit in a few GB, so the cache
is bounded by what it holds, not by how many entries. Anything bigger than the whole budget is
computed, used and dropped.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

__all__ = ["MapCache", "clear_map_cache", "map_cache", "set_map_cache_budget"]

_DEFAULT_BUDGET = 768 * 2**20


def nbytes_of(value: Any) -> int:
    """Bytes held by numpy arrays inside nested tuples/lists/dicts/objects with ``nbytes``."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (tuple, list)):
        return sum(nbytes_of(v) for v in value)
    if isinstance(value, dict):
        return sum(nbytes_of(v) for v in value.values())
    return int(getattr(value, "nbytes", 0))


class MapCache:
    """Thread-safe LRU cache whose total size stays under ``budget`` bytes."""

    def __init__(self, budget: int = _DEFAULT_BUDGET) -> None:
        self.budget = budget
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        return self._size

    def get_or_build(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """Return the cached value for ``key``, building (and caching, if it fits) on a miss."""
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit[0]
        value = build()
        size = nbytes_of(value)
        if size > self.budget:
            return value
        with self._lock:
            if key not in self._items:
                self._items[key] = (value, size)
                self._size += size
                while self._size > self.budget:
                    _, (_, old) = self._items.popitem(last=False)
                    self._size -= old
        return value

    def peek(self, key: Hashable) -> Any | None:
        with self._lock:
            hit = self._items.get(key)
            return None if hit is None else hit[0]

    def pop(self, key: Hashable) -> Any | None:
        """Remove and return the value cached for ``key`` (None if there is none)."""
        with self._lock:
            hit = self._items.pop(key, None)
            if hit is None:
                return None
            self._size -= hit[1]
            return hit[0]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0


map_cache = MapCache()


def set_map_cache_budget(nbytes: int) -> None:
    """Bound the memory held by cached sampling maps (default 768 MiB); 0 disables caching."""
    if nbytes < 0:
        raise ValueError(f"cache budget must be >= 0 bytes, got {nbytes}")
    map_cache.budget = nbytes
    map_cache.clear()


def clear_map_cache() -> None:
    """Drop every cached sampling map."""
    map_cache.clear()

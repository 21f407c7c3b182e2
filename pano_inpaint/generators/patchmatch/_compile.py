"""How the PatchMatch kernels are compiled: once per machine, cached, in parallel the first time.

numba (>= 0.59) has no ahead-of-time compiler for parallel kernels, so a fresh install compiles
them on its first fill, and that compile was most of the first fill (117 s reported, 143 s of CPU
measured on the shipped sample; 25-33 s of CPU now, 14-19 s of it in the filling process on 2
cores). What cuts it, measured on two busy cores:

* one explicit signature per kernel (the only types the generator passes): compiled once, never
  specialised again (``peel_layer`` was compiled twice, for contiguous and strided indices);
* one explicit signature per subroutine too (``try_match``, ``_cost``...): numba compiles a called
  function once per combination of argument types at its call sites (int32 from a field, int64
  from a draw, a literal ``-1``), and each compile is a whole one (LLVM optimisation, machine
  code); ``try_match`` was compiled nine times and ``_cost`` six, half of the kernels' compile time.
  With the signature fixed, call sites convert their arguments. Subroutines get no Python entry
  point (``no_cpython_wrapper``): only kernels call them;
* subroutines called, not ``inline="always"``: numba's inlining copied their IR into every call
  site and the parallel passes then worked on every copy; LLVM still inlines them (fills
  identical);
* ``parallel=True`` only where the run time is (the search, the votes, the costs, the
  upsampled field's costs: 1.5% of an 8K fill's CPU, on one thread): a parallel kernel costs
  twice a serial one to compile, and four kernels take under 1% of a fill;
* on a cold cache, the kernels of every set (the fill's and the structure step's) are split
  between this process and helper processes (one per further CPU), which compile into numba's
  disk cache at the same time; this process then reads them back from it. Later runs only read
  the cache (about a second). The structure step's kernel was compiled alone, after the rest,
  when the fill first reached it: 5.5 s of CPU added to the first fill's critical path.

numba keys a cached function on its own file only; a set's cached kernels are dropped when the
sources of its module or of a set it requires change (:func:`_flush_stale`), or a kernel keeps
a subroutine of another file as it was when it was cached.

Nothing is compiled when the module is imported: the first call of any kernel compiles (or
reads) every set's kernels, so building a generator (to check its parameters) stays cheap;
:func:`compile_all` does the same ahead of time (the generator's ``prepare``, which the pipeline
runs on a background thread while it resamples the faces).

The helpers are started with ``python -c`` rather than :mod:`multiprocessing`, which would re-run
the caller's ``__main__`` (a script without a ``__name__`` guard would fill again). If they cannot
run or cannot write the cache, this process compiles what is missing itself.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from numba import njit
from numba.core.dispatcher import Dispatcher

__all__ = ["KernelSet", "compile_all"]

logger = logging.getLogger(__name__)

# numba runs the parallel kernels on OpenMP threads (its "omp" layer), and OpenMP's default is to
# spin for a while after each parallel region, waiting for the next: on two cores a spinning
# thread takes the core the fill's own helper thread (the line search) and other
# jobs need, and a fill launches some 500 regions. Set before the first launch loads OpenMP; a
# value the user set is kept. The 4K tile of bench_generators, two threads, on a shared machine
# (alternating runs): 5.9-6.5 -> 4.9-5.2 CPU s, wall 8.7-9.8 -> 7.5-7.6 s; fills identical.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_SETS: list[KernelSet] = []  # every set made, in import order: compiled together
_LOCK = threading.Lock()


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _split(costs: dict[Hashable, float], parts: int) -> list[list[Hashable]]:
    """Longest first, each to the least loaded part: near-equal compile times per process."""
    loads = [0.0] * parts
    groups: list[list[Hashable]] = [[] for _ in range(parts)]
    for name in sorted(costs, key=costs.__getitem__, reverse=True):
        lightest = loads.index(min(loads))
        groups[lightest].append(name)
        loads[lightest] += costs[name]
    return [g for g in groups if g]


class KernelSet:
    """The compiled kernels of one module, each with its one signature.

    Example:
        >>> from numba import types
        >>> kernels = KernelSet(__name__)  # the module that holds the kernels
        >>> @kernels.add(types.int64(types.int64))  # doctest: +SKIP
        ... def twice(x):
        ...     return 2 * x
    """

    def __init__(self, module: str, requires: tuple[KernelSet, ...] = ()) -> None:
        self.module = module
        self.requires = requires  # sets whose subroutines these kernels call: compiled first
        self.signatures: dict[str, Any] = {}
        self.dispatchers: dict[str, Dispatcher] = {}
        self.costs: dict[str, float] = {}
        self.subroutines: dict[str, tuple[Dispatcher, Any]] = {}
        self._ready = False
        _SETS.append(self)

    def subroutine(self, signature: Any, **options: Any) -> Callable[[Callable], Dispatcher]:
        """Decorator: a disk-cached numba function called only from kernels, with one
        signature, compiled (or read) before any kernel in every process. Returns the numba
        dispatcher itself, which the kernels' code calls."""

        def decorate(function: Callable) -> Dispatcher:
            dispatcher = njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True,
                              **options)(function)
            self.subroutines[function.__name__] = (dispatcher, signature)
            return dispatcher

        return decorate

    def add(self, signature: Any, *, parallel: bool = False, **options: Any
            ) -> Callable[[Callable], Callable]:
        """Decorator: a disk-cached numba function with one signature, compiled with the rest
        of the set on the first call of any of them."""

        def decorate(function: Callable) -> Callable:
            dispatcher = njit(cache=True, parallel=parallel, **options)(function)
            name = function.__name__
            self.signatures[name] = signature
            self.dispatchers[name] = dispatcher
            # A compile-time estimate for sharing the work out: the bytecode's length, twice
            # for a parallel kernel (its loop body is compiled again as a separate function).
            self.costs[name] = len(function.__code__.co_code) * (2 if parallel else 1)

            @functools.wraps(function)
            def call(*args: Any) -> Any:
                if not self._ready:
                    self.compile()
                return dispatcher(*args)

            return call

        return decorate

    def _compile_subroutines(self) -> None:
        """Every subroutine for its one signature, in the order they were defined (callees
        first); then no more: a call site with other argument types converts them (int32 to
        int64...) or fails to compile, instead of specialising the subroutine again (``try_match``
        was compiled nine times, once per combination of its callers' integer types)."""
        for required in self.requires:
            required._compile_subroutines()
        for dispatcher, signature in self.subroutines.values():
            if isinstance(dispatcher, Dispatcher) and not dispatcher.signatures:
                dispatcher.compile(signature)
                dispatcher.disable_compile()

    def _compile(self, names: list[str]) -> None:
        self._compile_subroutines()
        for name in names:
            dispatcher = self.dispatchers[name]
            if not isinstance(dispatcher, Dispatcher) or dispatcher.signatures:
                continue  # NUMBA_DISABLE_JIT (plain Python), or compiled already
            dispatcher.compile(self.signatures[name])
            dispatcher.disable_compile()  # a call with other types fails instead of compiling

    def compile(self) -> None:
        """Compile every kernel of every set, or read it from the cache; on a cold cache, with
        helper processes on the other CPUs. Done once; later calls return at once."""
        with _LOCK:
            if not self._ready:
                _compile_sets(list(_SETS))


def compile_all() -> None:
    """Compile (or read from the cache) every set's kernels now, instead of at the first call
    of one. Safe from several threads at once and to call again: under the same lock as
    :meth:`KernelSet.compile`, and sets already ready are skipped."""
    with _LOCK:
        _compile_sets(list(_SETS))


def _cache_is_cold(sets: list[KernelSet]) -> bool:
    """Compile (or read) the cheapest kernel of all; a cache miss means none is cached (numba
    keys the kernels of a file on its time stamp: an install's files are all cached or none;
    a set edited since is compiled, just not shared out)."""
    owner, cheapest = min(((k, n) for k in sets for n in k.costs),
                          key=lambda kernel: kernel[0].costs[kernel[1]])
    owner._compile([cheapest])
    stats = getattr(owner.dispatchers[cheapest], "stats", None)
    return bool(stats is not None and sum(stats.cache_misses.values()))


def _sources(kernels: KernelSet) -> str:
    """SHA-256 of the source files of ``kernels``' module and of every set it requires."""
    files, todo = {}, [kernels]
    while todo:
        one = todo.pop()
        path = getattr(sys.modules.get(one.module), "__file__", None)
        if path is not None and path not in files:
            files[path] = Path(path).read_bytes()
            todo.extend(one.requires)
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(files[path])
    return digest.hexdigest()


def _flush_stale(sets: list[KernelSet]) -> None:
    """Drop the cached kernels of each set whose sources, or those of a set it requires, have
    changed since they were cached.

    numba keys a cached function on its own file's time stamp only, so a kernel that calls a
    subroutine of another file (``_offset_kernels`` calls ``_kernels``' prior and patch costs)
    was read back from the cache with the old subroutine compiled into it after that file
    changed (a git pull, an edit): a fill from code that is no longer there. The sources' hash
    is kept beside the cache, one file per set."""
    for kernels in sets:
        functions = [*kernels.dispatchers.values(), *(d for d, _ in kernels.subroutines.values())]
        caches = [f._cache for f in functions if isinstance(f, Dispatcher)]
        if not caches:
            continue  # NUMBA_DISABLE_JIT
        try:
            digest = _sources(kernels)
            marker = Path(caches[0].cache_path) / f"{kernels.module}.sources"
            if marker.is_file() and marker.read_text() == digest:
                continue
            for cache in caches:
                cache.flush()
            temporary = marker.with_name(f"{marker.name}.{os.getpid()}.tmp")
            temporary.write_text(digest)
            temporary.replace(marker)
        except OSError as exc:  # a read-only cache: numba recompiles what it cannot keep
            logger.info("cannot check the cached kernels of %s (%s)", kernels.module, exc)


def _compile_sets(sets: list[KernelSet]) -> None:
    sets = [k for k in sets if not k._ready]
    _flush_stale(sets)
    if sets and _cache_is_cold(sets):
        rest = {(k, n): c for k in sets for n, c in k.costs.items()
                if not k.dispatchers[n].signatures}
        groups = _split(rest, min(_usable_cpus(), len(rest)))
        helpers = [_start_helper(group) for group in groups[1:]]
        logger.info("compiling the PatchMatch kernels (first run only) in %d processes",
                    len(helpers) + 1)
        for kernels, name in groups[0] if groups else []:
            kernels._compile([name])
        for helper in helpers:
            if helper is not None:
                _, errors = helper.communicate()
                if helper.returncode:
                    logger.info("a kernel compile helper failed (%s); compiling here",
                                errors.strip().splitlines()[-1:] or helper.returncode)
    for kernels in sets:  # read from the cache, or compiled here
        kernels._compile(list(kernels.signatures))
        kernels._ready = True


def _start_helper(group: list[tuple[KernelSet, str]]) -> subprocess.Popen | None:
    if not sys.executable:
        return None
    jobs = [(k.module, [n for owner, n in group if owner is k])
            for k in dict.fromkeys(owner for owner, _ in group)]
    code = f"from {__name__} import compile_in_helper; compile_in_helper({jobs!r})"
    try:
        return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
    except OSError as exc:
        logger.info("cannot start a kernel compile helper (%s); compiling here", exc)
        return None


def compile_in_helper(jobs: list[tuple[str, list[str]]]) -> None:
    """Helper process: for each ``(module, names)``, import the module (which compiles
    nothing), then compile those kernels into the disk cache."""
    import importlib

    for module, names in jobs:
        kernels: KernelSet = importlib.import_module(module).KERNELS
        kernels._compile(names)

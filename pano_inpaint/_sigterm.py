"""SIGTERM handled as Ctrl-C: every command (the CLI holds it around each), and a batch and the
web app, which clean up on Ctrl-C, again for themselves when called from Python."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = ["sigterm_as_interrupt"]


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (``kill``, a service manager's stop, a Kubernetes pod stopping) raises
    ``KeyboardInterrupt`` while this is open, so it unwinds and ends as Ctrl-C does (exit 130);
    the handler before it is put back. Signals reach only the main thread: elsewhere a no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)

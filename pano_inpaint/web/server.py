"""Run the web app: bind, print the address, serve until Ctrl+C, remove the workspace."""

from __future__ import annotations

import ipaddress
import logging
import socket
import tempfile
import threading
import time
import webbrowser
from pathlib import Path

import uvicorn

from pano_inpaint._sigterm import sigterm_as_interrupt
from pano_inpaint.config import PipelineConfig
from pano_inpaint.web.app import create_app
from pano_inpaint.web.session import Session

__all__ = ["bind", "is_loopback", "serve", "url_for"]

log = logging.getLogger(__name__)

_LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0: any free port).

    Raises:
        OSError: the address is taken or cannot be bound (the message says which).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_for(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    if host in ("0.0.0.0", "[::]"):
        host = "127.0.0.1" if host == "0.0.0.0" else "[::1]"
    return f"http://{host}:{port}/"


def serve(
    folder: Path | None,
    sock: socket.socket,
    *,
    config: PipelineConfig | None = None,
    max_upload_bytes: int = 1 << 30,
    workers: int = 1,
    open_browser: bool = False,
    announce=print,
) -> None:
    """Serve ``folder`` on the bound ``sock`` until interrupted."""
    host = sock.getsockname()[0]
    allowed = _LOOPBACK_NAMES if is_loopback(host) else None
    with tempfile.TemporaryDirectory(prefix="pano-inpaint-web-") as workspace:
        session = Session(folder, Path(workspace), config=config,
                          max_upload_bytes=max_upload_bytes, workers=workers)
        app = create_app(session, allowed_hosts=allowed)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
        url = url_for(sock)
        announce(f"pano-inpaint serves {folder if folder else '(uploads only)'} at {url}")
        if allowed is None:
            announce("warning: bound to a public address: anyone who can reach it can open "
                     "the files of this folder")
        announce("press Ctrl+C to stop")
        if open_browser:
            def open_when_up() -> None:
                while not server.started and not server.should_exit:
                    time.sleep(0.05)
                if server.started:
                    webbrowser.open(url)

            threading.Thread(target=open_when_up, daemon=True).start()
        # uvicorn stops on SIGTERM (a service manager's stop, `kill`), then raises it again for
        # the handler it found: the default one ended the process there, before the workspace
        # (every upload and fill) was removed. As Ctrl-C, it unwinds through the removal and
        # ends with the same exit code (130, as a batch stopped by SIGTERM).
        try:
            with sigterm_as_interrupt():
                server.run(sockets=[sock])
        finally:
            session.queue.close()

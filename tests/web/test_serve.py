"""`pano-inpaint serve`: the command line, binding and the browser, without serving for real."""

import errno
import signal
import socket
import tempfile
import threading

import pytest

from pano_inpaint.cli import main
from pano_inpaint.web import server


@pytest.fixture
def captured(monkeypatch):
    calls = []

    def fake_serve(folder, sock, **kwargs):
        calls.append((folder, sock.getsockname(), kwargs))
        sock.close()

    monkeypatch.setattr(server, "serve", fake_serve)
    return calls


def test_serve_binds_loopback_and_opens_no_browser_by_default(captured, tmp_path):
    assert main(["serve", str(tmp_path), "--port", "0"]) == 0
    (folder, (host, port), kwargs) = captured[0]
    assert folder == tmp_path and host == "127.0.0.1" and port > 0
    assert kwargs["open_browser"] is False
    assert main(["serve", str(tmp_path), "--port", "0", "--open"]) == 0
    assert captured[1][2]["open_browser"] is True


def test_serve_refuses_a_missing_folder_as_bad_input(captured, tmp_path, capsys):
    """Exit 3 as inpaint, mask and check give a missing input (the README's table); was 2."""
    assert main(["serve", str(tmp_path / "missing")]) == 3
    assert f"{tmp_path / 'missing'}: no such folder" in capsys.readouterr().err
    (tmp_path / "pano.jpg").write_bytes(b"")
    assert main(["serve", str(tmp_path / "pano.jpg")]) == 3
    assert "pano.jpg: is a file, not a folder" in capsys.readouterr().err
    assert not captured



@pytest.mark.parametrize("mode", [0o000, 0o444], ids=["unlisted", "unsearched"])
@pytest.mark.parametrize("command", ["serve", "eval"])
def test_a_folder_that_cannot_be_listed_is_bad_input(command, mode, captured, tmp_path, capsys,
                                                     permissions_enforced):
    """A folder without read permission, or one that can be listed but not searched (444):
    exit 3 with one line (serve started and failed on the page's first listing; eval ended in
    a traceback, from the listing or from the first look at a file in it)."""
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "pano.jpg").write_bytes(b"")
    locked.chmod(mode)
    try:
        argv = [command, str(locked)] + (["--out", str(tmp_path / "out")] if command == "eval"
                                         else [])
        assert main(argv) == 3
    finally:
        locked.chmod(0o700)
    err = capsys.readouterr().err
    assert f"{locked}: cannot be read (Permission denied)" in err and "Traceback" not in err
    assert not captured


def test_serve_refuses_bad_port_and_config(captured, tmp_path, capsys):
    assert main(["serve", str(tmp_path), "--port", "70000"]) == 2
    assert main(["serve", str(tmp_path), "--set", "generator.name=nope"]) == 2
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        assert main(["serve", str(tmp_path), "--port", str(taken.getsockname()[1])]) == 2
    finally:
        taken.close()
    assert "cannot listen" in capsys.readouterr().err
    assert not captured


@pytest.mark.parametrize(("host", "error"), [
    ("999.1.1.1", socket.gaierror(-2, "Name or service not known")),
    ("192.0.2.1", OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address")),
])
def test_serve_on_an_address_not_of_this_machine_says_so(captured, tmp_path, capsys, monkeypatch,
                                                         host, error):
    """A --host that is no name, or an address of another machine (what binding them raises
    here), was told '(try another --port)'."""
    def bind(*args):
        raise error

    monkeypatch.setattr(server, "bind", bind)
    assert main(["serve", str(tmp_path), "--host", host, "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on {host}:0" in err and "--host is no address of this machine" in err
    assert "--port" not in err and not captured


def test_browser_opens_only_when_asked(monkeypatch, tmp_path):
    urls = []
    opened = threading.Event()
    monkeypatch.setattr(server.webbrowser, "open", lambda url: (urls.append(url), opened.set()))

    def fake_run(self, sockets=None):  # up at once, then serving a while
        self.started = True
        opened.wait(0.5)

    monkeypatch.setattr(server.uvicorn.Server, "run", fake_run)
    announced = []
    for open_browser in (False, True):
        sock = server.bind("127.0.0.1", 0)
        server.serve(tmp_path, sock, open_browser=open_browser, announce=announced.append)
        sock.close()
    assert len(urls) == 1 and urls[0].startswith("http://127.0.0.1:")
    assert any(urls[0] in line for line in announced)


def test_public_address_is_announced_with_a_warning(monkeypatch, tmp_path):
    monkeypatch.setattr(server.uvicorn.Server, "run", lambda self, sockets=None: None)
    announced = []
    sock = server.bind("0.0.0.0", 0)
    server.serve(tmp_path, sock, announce=announced.append)
    sock.close()
    assert any("warning" in line for line in announced)
    assert server.is_loopback("127.0.0.1") and server.is_loopback("::1")
    assert not server.is_loopback("0.0.0.0") and not server.is_loopback("192.168.1.2")


def test_sigterm_removes_the_workspace(monkeypatch, tmp_path):
    """uvicorn stops on SIGTERM, then raises it again for the handler it found: the default
    one ended the process before the workspace, uploads and fills, was removed. It ends as
    Ctrl-C does (exit 130, the exit codes' table)."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    killed = []

    def fake_run(self, sockets=None):  # an upload, then uvicorn's stop on SIGTERM
        (next(temporary.iterdir()) / "upload.jpg").write_bytes(b"a photo")
        signal.raise_signal(signal.SIGTERM)

    monkeypatch.setattr(server.uvicorn.Server, "run", fake_run)
    before = signal.signal(signal.SIGTERM, lambda *args: killed.append(True))  # as the default
    try:
        sock = server.bind("127.0.0.1", 0)
        with pytest.raises(KeyboardInterrupt):
            server.serve(tmp_path, sock, announce=lambda line: None)
        sock.close()
        assert not killed
        assert list(temporary.iterdir()) == []
        signal.raise_signal(signal.SIGTERM)  # the handler before serve is back
        assert killed
    finally:
        signal.signal(signal.SIGTERM, before)

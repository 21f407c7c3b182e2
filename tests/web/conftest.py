"""Fixtures for the web app: a session on a temporary folder, an API client, a live server on a
free port, and headless Chromium (tests that need it skip when it is not installed)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")
try:
    from fastapi.testclient import TestClient
except (ImportError, RuntimeError):  # Starlette's client needs httpx2 (or httpx)
    pytest.skip("no HTTP client for the API tests (pip install httpx2)", allow_module_level=True)

from pano_inpaint.io import write_image  # noqa: E402
from pano_inpaint.web.app import create_app  # noqa: E402
from pano_inpaint.web.session import Session  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "pano_inpaint" / "data" / "sample_pano.jpg"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """FOLDER with a small panorama, a sub-folder, and a secret file beside it (outside)."""
    served = tmp_path / "served"
    (served / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    write_image(served / "small.png", rng.integers(0, 256, (32, 64, 3), dtype=np.uint8))
    write_image(served / "sub" / "nested.jpg", np.full((16, 32, 3), 128, np.uint8))
    write_image(served / "wide.png", np.zeros((10, 40, 3), np.uint8))
    (tmp_path / "secret.txt").write_text("not for the web")
    return served


@pytest.fixture
def session(folder: Path, tmp_path: Path) -> Iterator[Session]:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    s = Session(folder, workspace, max_upload_bytes=256 * 1024)
    yield s
    s.queue.close()


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    with TestClient(create_app(session)) as c:
        yield c


class LiveServer:
    """uvicorn on a free loopback port, in a thread of this process."""

    def __init__(self, session: Session) -> None:
        import uvicorn

        from pano_inpaint.web.server import bind, url_for

        self.session = session
        self.sock = bind("127.0.0.1", 0)
        self.url = url_for(self.sock)
        app = create_app(session, allowed_hosts=["127.0.0.1", "localhost"])
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.session.queue.close()


def _chromium() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.fixture(scope="session")
def chrome(tmp_path_factory):
    """Headless Chromium driven by Selenium; skips when either is missing (never downloads)."""
    found = _chromium()
    if found is None:
        pytest.skip("no chromium/chromedriver on PATH (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
                "--window-size=1280,800", "--force-device-scale-factor=1",
                "--disable-background-networking", "--no-first-run"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
    })
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not fetch anything
    driver = webdriver.Chrome(options=options, service=Service(found[1]))
    driver.downloads = downloads
    yield driver
    driver.quit()

"""Screenshots of `pano-inpaint serve` for the README: the page before and after a fill.

    python docs/make_screenshots.py [--generator NAME]

Serves pano_inpaint/data (the shipped sample) on a free port and drives headless Chromium
(Debian's ``chromium`` and ``chromium-driver``) with Selenium: opens the sample, looks down,
loads the tripod mask, takes ``docs/web_before.jpg``, fills, and takes ``docs/web_after.jpg`` in
split view.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from pano_inpaint.web.app import create_app
from pano_inpaint.web.server import bind, url_for
from pano_inpaint.web.session import Session

ROOT = Path(__file__).resolve().parents[1]
WIDTH = 1000  # of the saved JPEGs


def _wait(driver, script: str, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not driver.execute_script(script):
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out: {script}")
        time.sleep(0.1)


def _save(driver, name: str) -> None:
    png = np.frombuffer(driver.get_screenshot_as_png(), np.uint8)
    shot = cv2.imdecode(png, cv2.IMREAD_COLOR)
    height = round(shot.shape[0] * WIDTH / shot.shape[1])
    shot = cv2.resize(shot, (WIDTH, height), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(ROOT / "docs" / name), shot, [cv2.IMWRITE_JPEG_QUALITY, 82])
    print(f"docs/{name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generator", default="patchmatch")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workspace:
        session = Session(ROOT / "pano_inpaint" / "data", Path(workspace))
        sock = bind("127.0.0.1", 0)
        server = uvicorn.Server(uvicorn.Config(create_app(session), log_level="warning"))
        threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "chromium"
        for arg in ("--headless=new", "--no-sandbox", "--use-angle=swiftshader",
                    "--enable-unsafe-swiftshader", "--window-size=1400,900",
                    "--force-device-scale-factor=1", "--hide-scrollbars"):
            options.add_argument(arg)
        driver = webdriver.Chrome(options=options,
                                  service=Service(shutil.which("chromedriver") or "chromedriver"))
        try:
            while not server.started:
                time.sleep(0.05)
            driver.get(url_for(sock))
            _wait(driver, "return document.body.dataset.ready === 'true'")
            driver.find_element("css selector", '#files li[data-path="sample_pano.jpg"]').click()
            _wait(driver, "return window.pano.state.current !== null")
            driver.execute_script("window.pano.viewer.setView({yaw: 20, pitch: -62, fov: 105})")
            select = driver.find_element("id", "mask-file")
            driver.execute_script("arguments[0].value = 'sample_mask.png';"
                                  "arguments[0].dispatchEvent(new Event('change'))", select)
            _wait(driver, "const s = window.pano.state; "
                          "return s.images[s.current].info.mask.hole_pixels > 0")
            driver.find_element("css selector", '[data-tool="paint"]').click()
            time.sleep(0.5)
            _save(driver, "web_before.jpg")
            driver.execute_script("document.getElementById('generator').value = arguments[0];"
                                  "document.getElementById('generator').dispatchEvent("
                                  "new Event('change'))", args.generator)
            time.sleep(0.5)
            driver.find_element("id", "fill").click()
            _wait(driver, "return !document.getElementById('result').hidden")
            driver.find_element("css selector", '[data-mode="2"]').click()
            driver.find_element("css selector", '[data-tool="look"]').click()
            time.sleep(0.5)
            _save(driver, "web_after.jpg")
        finally:
            driver.quit()
            server.should_exit = True


if __name__ == "__main__":
    main()

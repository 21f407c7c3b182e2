"""The page in a real browser (headless Chromium): what is painted on the 360 view is the hole,
and what is filled and downloaded differs from the input only there.

The expected hole is computed here from the pointer positions and the view alone, pixel by
pixel, with the projection of :mod:`pano_inpaint.geometry.perspective` (itself checked against
the cube faces in tests/geometry/test_perspective.py), and the rendered view is compared with
the same projection sampled in Python: so what the user sees, where the brush lands and what
gets filled are one mapping.
"""

from __future__ import annotations

import base64
import hashlib
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from pano_inpaint.geometry.perspective import PerspectiveView, view_pixel_to_xyz
from pano_inpaint.geometry.sphere import (
    erp_pixel_to_lonlat,
    lonlat_to_erp_pixel,
    lonlat_to_xyz,
    xyz_to_lonlat,
)
from pano_inpaint.io import read_image, read_mask, write_image
from pano_inpaint.web.session import Session
from tests.web.conftest import SAMPLE, LiveServer
from tests.web.strokes import brute_force_stroke


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The server on the folder of the shipped sample (pano_inpaint/data, read only)."""
    session = Session(SAMPLE.parent, tmp_path_factory.mktemp("workspace"))
    server = LiveServer(session)
    yield server
    server.stop()


def _wait(driver, script: str, timeout: float = 30.0, message: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.05)
    error = driver.execute_script("return document.getElementById('toast').textContent")
    raise AssertionError(f"timed out waiting for {message or script} (page says: {error!r})")


def _load(driver, live) -> None:
    driver.get(live.url)
    _wait(driver, "return document.body.dataset.ready === 'true'", message="the page")


def _open(driver, path: str) -> str:
    """Click ``path`` in the folder list; the open image's id once the page shows it."""
    driver.find_element("css selector", f'#files li[data-path="{path}"]').click()
    return _wait(driver, "const s = window.pano.state; return s.current && "
                 f"s.images[s.current].info.name === '{path}' && s.current",
                 message=f"{path} to open")


def _download(driver, kind: str, timeout: float = 20.0) -> Path:
    link = driver.find_element("css selector", f'#downloads a[data-kind="{kind}"]')
    name = link.get_attribute("download")
    target = driver.downloads / name
    link.click()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if target.is_file() and not list(driver.downloads.glob("*.crdownload")):
            return target
        time.sleep(0.05)
    raise AssertionError(f"{name} was not downloaded")


def test_paint_at_nadir_fill_and_download(chrome, live):
    digest = hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    _load(chrome, live)
    _open(chrome, "sample_pano.jpg")
    chrome.find_element("id", "look-down").click()
    chrome.find_element("css selector", '[data-tool="paint"]').click()
    radius = 22
    chrome.execute_script("const b = document.getElementById('brush'); b.value = arguments[0];"
                          "b.oninput();", radius)
    box = chrome.execute_script(
        "const r = window.pano.viewer.canvas.getBoundingClientRect();"
        "return [r.left, r.top, r.width, r.height, window.devicePixelRatio];")
    left, top, width, height, _ = box
    # A stroke of three points around the centre of the view (the nadir). The pointer moves in
    # whole page pixels; the canvas may sit at a fractional offset, so the stroke in canvas
    # pixels is the page position minus that offset.
    cx, cy = left + width / 2, top + height / 2
    page = [(round(cx - 90), round(cy + 40)), (round(cx - 10), round(cy - 35)),
            (round(cx + 80), round(cy + 10))]
    points = [(x - left, y - top) for x, y in page]
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    actions = ActionBuilder(chrome, duration=0)
    pointer = actions.pointer_action
    pointer.move_to_location(*page[0])
    pointer.pointer_down()
    for x, y in page[1:]:
        pointer.move_to_location(x, y)
    pointer.pointer_up()
    actions.perform()
    ActionChains(chrome).reset_actions()

    image_id = chrome.execute_script("return window.pano.state.current")
    _wait(chrome, "const s = window.pano.state; return s.images[s.current].info.mask.version "
                  ">= 1", message="the stroke to reach the mask")
    sent = chrome.execute_script("return window.pano.state.lastStroke")
    assert [tuple(p) for p in sent["points"]] == points  # the page saw the pointer where it was
    view_params = sent["view"]
    assert (view_params["yaw"], view_params["pitch"]) == (0, -90)

    chrome.execute_script("document.getElementById('generator').value = 'telea';"
                          "document.getElementById('dilate').value = '0';")
    chrome.find_element("id", "fill").click()
    _wait(chrome, "return !document.getElementById('result').hidden", 120, "the fill")
    assert chrome.find_element("id", "error").get_attribute("hidden") is not None
    rows = chrome.find_elements("css selector", "#report tbody tr")
    assert {r.find_element("css selector", "td").text for r in rows} >= {"wrap", "boundary"}

    mask_file = _download(chrome, "mask")
    result_file = _download(chrome, "lossless")
    assert _download(chrome, "result").suffix == ".jpg"

    source = read_image(SAMPLE).pixels
    h, w = source.shape[:2]
    view = PerspectiveView(np.radians(view_params["yaw"]), np.radians(view_params["pitch"]),
                           np.radians(view_params["fov"]), view_params["width"],
                           view_params["height"])
    expected, distance = brute_force_stroke(h, w, view, points, radius)
    painted = read_mask(mask_file, h, w)
    ties = np.abs(distance - radius) < 1e-6
    assert expected.sum() > 2000
    assert not ((painted != expected) & ~ties).any(), "the mask is not the painted stroke"

    result = read_image(result_file).pixels
    changed = (result != source).any(axis=-1)
    assert not (changed & ~painted).any(), "pixels outside the painted hole changed"
    assert changed[painted].mean() > 0.5  # and the hole was filled
    session = live.session
    assert session.images[image_id].source == SAMPLE.resolve()
    assert hashlib.sha256(SAMPLE.read_bytes()).hexdigest() == digest  # input never modified

    # Closing the image leaves an empty, working page; the page logged no error throughout.
    chrome.find_element("css selector", f'#images li[data-id="{image_id}"] .close').click()
    _wait(chrome, "return !document.querySelector('#images li') && "
                  "!document.getElementById('placeholder').hidden", message="the close")
    errors = [e for e in chrome.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


def test_a_fill_is_cancelled_from_the_page(chrome, live, monkeypatch):
    """Cancel beside the progress stops the fill: the page says so, its image is marked
    cancelled, and the fill left no files."""
    import threading

    session = live.session
    running, release, fill = threading.Event(), threading.Event(), session._fill

    def held(image, config, job):
        running.set()
        assert release.wait(30)
        return fill(image, config, job)

    monkeypatch.setattr(session, "_fill", held)
    try:
        _load(chrome, live)
        image_id = _open(chrome, "sample_pano.jpg")
        chrome.execute_script("const n = document.getElementById('nadir'); n.value = '20';"
                              "n.oninput(); document.getElementById('generator').value = "
                              "'telea';")
        _wait(chrome, "const s = window.pano.state; return s.images[s.current].info.mask"
                      ".nadir_degrees === 20", message="the nadir cap")
        chrome.find_element("id", "fill").click()
        assert running.wait(30)
        _wait(chrome, "return !document.getElementById('progress').hidden",
              message="the progress")
        chrome.find_element("id", "cancel-fill").click()
        _wait(chrome, "return document.getElementById('progress-text').textContent === "
                      "'cancelling…'", message="the cancel to be asked")
        release.set()  # the fill goes on, to its next progress report
        _wait(chrome, "return !document.getElementById('cancelled').hidden && "
                      "document.getElementById('progress').hidden", message="'cancelled'")
        badge = chrome.find_element("css selector", f'#images li[data-id="{image_id}"] .badge')
        assert badge.text == "cancelled"
        assert chrome.find_element("id", "result").get_attribute("hidden") is not None
        job = session.queue.get(session.images[image_id].fills[-1])
        assert job.state == "cancelled"
        assert [p.name for p in session.images[image_id].workdir.iterdir()] == ["preview.jpg"]
        errors = [e for e in chrome.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
    finally:
        release.set()


def _direction_panorama(height: int) -> np.ndarray:
    """Red and green follow the direction's x and y (a flipped axis or a turned view shows),
    blue waves 24 times around the horizon (a shift of half a texel shows)."""
    ys, xs = np.mgrid[0:height, 0 : 2 * height]
    lon, lat = erp_pixel_to_lonlat(xs, ys, height, 2 * height)
    xyz = lonlat_to_xyz(lon, lat)
    wave = np.sin(24 * lon) * np.cos(lat)
    rgb = np.stack([xyz[..., 0], xyz[..., 1], wave], axis=-1)
    return np.rint((0.5 + 0.45 * rgb) * 255).astype(np.uint8)


def test_rendered_view_is_the_projection(chrome, live, tmp_path):
    pano = _direction_panorama(256)
    upload = tmp_path / "directions.png"
    write_image(upload, pano)
    _load(chrome, live)
    chrome.find_element("id", "upload").send_keys(str(upload))
    _wait(chrome, "const s = window.pano.state; return s.current && "
                  "s.images[s.current].info.name === 'directions.png'", message="the upload")
    chrome.execute_script("window.pano.viewer.setView({yaw: 130, pitch: 25, fov: 75})")
    time.sleep(0.3)
    data = chrome.execute_script(
        "const v = window.pano.viewer; v.draw(); return v.canvas.toDataURL('image/png')")
    shot = cv2.imdecode(np.frombuffer(base64.b64decode(data.split(",")[1]), np.uint8),
                        cv2.IMREAD_COLOR)[..., ::-1]
    params = chrome.execute_script("return window.pano.viewer.viewParams()")
    assert shot.shape[:2] == (round(params["height"]), round(params["width"]))
    view = PerspectiveView(np.radians(130), np.radians(25), np.radians(75), shot.shape[1],
                           shot.shape[0])
    ys, xs = np.mgrid[0 : shot.shape[0], 0 : shot.shape[1]]
    lon, lat = xyz_to_lonlat(view_pixel_to_xyz(xs + 0.5, ys + 0.5, view))
    map_x, map_y = lonlat_to_erp_pixel(lon, lat, *pano.shape[:2])
    reference = cv2.remap(pano, map_x.astype(np.float32), map_y.astype(np.float32),
                          cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
    error = np.abs(shot.astype(int) - reference.astype(int))
    # JPEG preview and 8-bit texture filtering: about 1 level; a view shifted by half a texel
    # of the panorama already gives 9 in blue, a flipped axis 40.
    assert error.mean(axis=(0, 1)).max() < 2.5, error.mean(axis=(0, 1))
    assert np.percentile(error, 99.9) <= 8
    # An error is shown, not lost: filling an empty mask is refused with the server's reason.
    chrome.find_element("id", "fill").click()
    _wait(chrome, "const t = document.getElementById('toast');"
                  "return !t.hidden && t.textContent.includes('mask is empty')",
          message="the refusal to be shown")


def test_a_long_stroke_goes_in_pieces_that_make_the_whole(chrome, live):
    """The server takes at most STROKE_POINTS points a request; the page sends a longer stroke
    in pieces, each from where the last ended. Here the page's limit is lowered to 4: ten
    pointer positions go as four requests (4, 4, 4 and the last point alone), and the mask is
    the whole polyline's."""
    _load(chrome, live)
    image_id = _open(chrome, "sample_pano.jpg")
    chrome.find_element("id", "look-down").click()
    chrome.find_element("css selector", '[data-tool="paint"]').click()
    radius = 8
    chrome.execute_script("const b = document.getElementById('brush'); b.value = arguments[0];"
                          "b.oninput(); window.pano.state.info.stroke_points = 4;", radius)
    left, top, width, height = chrome.execute_script(
        "const r = window.pano.viewer.canvas.getBoundingClientRect();"
        "return [r.left, r.top, r.width, r.height];")
    cx, cy = round(left + width / 2), round(top + height / 2)
    page = [(cx - 100 + 20 * i, cy + (15 if i % 2 else -15)) for i in range(10)]
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    actions = ActionBuilder(chrome, duration=0)
    actions.pointer_action.move_to_location(*page[0])
    actions.pointer_action.pointer_down()
    for x, y in page[1:]:
        actions.pointer_action.move_to_location(x, y)
    actions.pointer_action.pointer_up()
    actions.perform()
    ActionChains(chrome).reset_actions()
    _wait(chrome, "const s = window.pano.state; return s.images[s.current].info.mask.version "
                  ">= 4", message="the four pieces to reach the mask")
    sent = chrome.execute_script("return window.pano.state.lastStroke")
    assert [tuple(p) for p in sent["points"]] == [(page[-1][0] - left, page[-1][1] - top)]

    view_params = sent["view"]
    view = PerspectiveView(np.radians(view_params["yaw"]), np.radians(view_params["pitch"]),
                           np.radians(view_params["fov"]), view_params["width"],
                           view_params["height"])
    mask = live.session.images[image_id].mask.snapshot()
    assert live.session.images[image_id].mask.state().version == 4  # no fifth request
    points = [(x - left, y - top) for x, y in page]
    expected, distance = brute_force_stroke(*mask.shape, view, points, radius)
    ties = np.abs(distance - radius) < 1e-6
    assert expected.sum() > 500
    assert not ((mask != expected) & ~ties).any(), "the pieces are not the whole stroke"


def test_the_page_takes_its_brush_range_and_lists_masks_apart(chrome, tmp_path, monkeypatch):
    """The brush slider's range is /api/info's brush_radius (the API's bound), and the masks
    'pano-inpaint mask' wrote beside their images are offered under 'Load a mask file', not
    in the list of panoramas to open; its previews are in neither."""
    from pano_inpaint.web import app as app_module
    from tests.mask_command_files import lay_out_a_shoot

    monkeypatch.setattr(app_module, "BRUSH_RADIUS", (3, 150))
    lay_out_a_shoot(tmp_path)
    workspace = tmp_path.parent / f"{tmp_path.name}_workspace"
    workspace.mkdir()
    server = LiveServer(Session(tmp_path, workspace))
    try:
        _load(chrome, server)
        brush = chrome.execute_script(
            "const b = document.getElementById('brush'); return [b.min, b.max];")
        assert brush == ["3", "150"]
        listed = chrome.execute_script(
            "return [...document.querySelectorAll('#files li')].map((li) => li.dataset.path);")
        assert listed == ["hall.png", "hall_mask.png", "hall_preview.jpg", "shot.png"]
        offered = chrome.execute_script(
            "return [...document.getElementById('mask-file').options].map((o) => o.value);")
        assert offered == ["", "shot_mask.png", *listed]
    finally:
        server.stop()

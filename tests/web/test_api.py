"""The HTTP API on a temporary folder: opening, uploads, mask edits, fills, progress, downloads,
and everything that must be refused."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import struct
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import piexif
import pytest

from pano_inpaint.generators.opencv import Telea
from pano_inpaint.io import ImageMetadata, read_image, read_mask, write_image
from pano_inpaint.masks import nadir_mask
from pano_inpaint.web.app import BRUSH_RADIUS, FOV_DEGREES, STATIC

NADIR_VIEW = {"yaw": 0, "pitch": -90, "fov": 90, "width": 400, "height": 400}


def _digests(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _open(client, path="small.png") -> dict:
    response = client.post("/api/images", json={"path": path})
    assert response.status_code == 200, response.text
    return response.json()


def _png_declaring(width: int, height: int) -> bytes:
    """A valid PNG signature and header declaring ``width x height``, with a tiny image body."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def _upload(client, name: str, data: bytes, url: str = "/api/images/upload"):
    return client.post(url, files={"file": (name, data, "application/octet-stream")})


def _wait(client, job_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/fills/{job_id}").json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"fill {job_id} did not finish")


# ------------------------------------------------------------------------------------ opening


def test_info_lists_generators_and_limits(client):
    info = client.get("/api/info").json()
    names = [g["name"] for g in info["generators"]]
    assert "telea" in names and info["defaults"]["generator"] in names
    assert info["max_upload_bytes"] == 256 * 1024
    params = client.get("/api/generators/telea").json()["params"]
    assert params == [{"name": "radius", "default": 5.0, "kind": "float"}]
    # Settings kept in a dataclass are read from it; file paths and dicts are not offered.
    patchmatch = {p["name"]: p for p in client.get("/api/generators/patchmatch").json()["params"]}
    assert patchmatch["patch_size"] == {"name": "patch_size", "default": 7, "kind": "int"}
    assert patchmatch["levels"]["default"] is None and patchmatch["stitch"]["kind"] == "bool"
    # A setting typed as a Literal of strings is offered as text with its choices.
    assert patchmatch["layout_stitch"] == {
        "name": "layout_stitch", "default": "peel", "kind": "str",
        "choices": ["none", "starts", "peel", "votes"]}
    net = [p["name"] for p in client.get("/api/generators/net+patchmatch").json()["params"]]
    assert "weights" not in net and "patchmatch" not in net and "detail" in net
    assert client.get("/api/generators/nope").status_code == 404


def test_files_lists_images_of_the_folder_only(client, folder, tmp_path):
    (folder / "notes.txt").write_text("not an image")
    (folder / "link_out.png").symlink_to(tmp_path / "secret.txt")
    deep = folder / "a" / "b" / "c" / "d"
    deep.mkdir(parents=True)
    write_image(deep.parent / "three.png", np.zeros((4, 8, 3), np.uint8))
    write_image(deep / "four.png", np.zeros((4, 8, 3), np.uint8))
    files = [f["path"] for f in client.get("/api/files").json()["files"]]
    assert files == ["a/b/c/three.png", "small.png", "sub/nested.jpg", "wide.png"]



def test_files_lists_what_mask_wrote_beside_the_images_as_masks_not_panoramas(client, folder):
    """After 'mask served/ -o served/' the page listed shot_mask.png and shot_preview.jpg as
    panoramas to open. Now the mask is offered as a mask (the page's mask list) and the
    preview not at all; the user's own hall_mask.png and hall_preview.jpg stay panoramas."""
    from tests.mask_command_files import lay_out_a_shoot

    lay_out_a_shoot(folder / "sub")
    listed = client.get("/api/files").json()
    assert [f["path"] for f in listed["files"] if f["path"].startswith("sub/")] == [
        "sub/hall.png", "sub/hall_mask.png", "sub/hall_preview.jpg", "sub/nested.jpg",
        "sub/shot.png"]
    assert [f["path"] for f in listed["masks"]] == ["sub/shot_mask.png"]
    assert "masks" in (STATIC / "app.js").read_text().split("async function loadFiles")[1][:400]

@pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes on Linux only")
def test_names_that_are_not_utf8_do_not_break_the_page(tmp_path, caplog):
    """A served folder named caf\\xe9 (Latin-1, from an old share or a zip) made /api/info and
    /api/files a 500 (the page's first requests: nothing worked); a file or sub-folder so named
    made /api/files one. The folder's name is shown with U+FFFD; such files are left out,
    with a warning naming them (the page could not ask for them)."""
    from fastapi.testclient import TestClient

    from pano_inpaint.web.app import create_app
    from pano_inpaint.web.session import Session

    served = tmp_path / os.fsdecode(b"caf\xe9")
    (served / os.fsdecode(b"\xe9")).mkdir(parents=True)
    for name in ("small.png", os.fsdecode(b"\xe9t\xe9.png"), os.fsdecode(b"\xe9/one.png")):
        write_image(served / name, np.zeros((32, 64, 3), np.uint8))
    session = Session(served, tmp_path / "workspace")
    try:
        with TestClient(create_app(session)) as client:
            info = client.get("/api/info")
            assert info.status_code == 200 and info.json()["folder"] == "caf\ufffd"
            listed = client.get("/api/files")
            assert listed.status_code == 200, listed.text
            assert [f["path"] for f in listed.json()["files"]] == ["small.png"]
            _open(client)
    finally:
        session.queue.close()
    warned = [r.getMessage() for r in caplog.records if "not UTF-8" in r.getMessage()]
    assert len(warned) == 2 and "\\udce9t\\udce9.png" in " ".join(warned)


def test_open_a_panorama_from_the_folder(client):
    info = _open(client, "sub/nested.jpg")
    assert (info["width"], info["height"], info["format"]) == (32, 16, "jpeg")
    preview = client.get(f"/api/images/{info['id']}/preview.jpg")
    assert preview.headers["content-type"] == "image/jpeg"
    assert preview.content[:3] == b"\xff\xd8\xff"
    assert [i["id"] for i in client.get("/api/images").json()["images"]] == [info["id"]]


def test_not_a_panorama_is_refused_without_server_paths(client, session):
    response = client.post("/api/images", json={"path": "wide.png"})
    assert response.status_code == 400
    assert "not a 2:1" in response.json()["detail"]
    assert str(session.workspace) not in response.text


def test_a_panorama_too_small_to_fill_is_refused_when_opened(client, folder):
    """A 16x8 panorama opened, took a mask, and failed only when filled ("too small")."""
    write_image(folder / "tiny.png", np.zeros((8, 16, 3), np.uint8))
    for response in (client.post("/api/images", json={"path": "tiny.png"}),
                     _upload(client, "tiny.png", (folder / "tiny.png").read_bytes())):
        assert response.status_code == 400, response.text
        assert "too small" in response.json()["detail"] and "32x16" in response.json()["detail"]
    assert client.get("/api/images").json()["images"] == []


@pytest.mark.parametrize("path", ["../secret.txt", "sub/../../secret.txt", "/etc/passwd",
                                  "..", "sub/../../served/../secret.txt", "link_out.png",
                                  "C:\\secret.txt"])
def test_no_path_outside_the_folder_is_read(client, folder, tmp_path, path):
    (folder / "link_out.png").symlink_to(tmp_path / "secret.txt")
    response = client.post("/api/images", json={"path": path})
    assert response.status_code in (403, 404), response.text
    assert "not for the web" not in response.text
    image = _open(client)
    response = client.post(f"/api/images/{image['id']}/mask/open", json={"path": path})
    assert response.status_code in (403, 404)


def test_static_files_do_not_leave_their_folder(client):
    assert client.get("/static/app.js").status_code == 200
    for url in ("/static/../../secret.txt", "/static/%2e%2e/%2e%2e/secret.txt",
                "/static/..%2f..%2fsession.py"):
        response = client.get(url)
        assert response.status_code == 404, url
    assert "not for the web" not in client.get("/static/%2e%2e/%2e%2e/secret.txt").text


# ------------------------------------------------------------------------------------ uploads


def test_upload_a_panorama(client, session, folder):
    before = _digests(folder)
    data = io.BytesIO()
    write_image(Path(session.workspace) / "tmp.png", np.full((32, 64, 3), 90, np.uint8))
    data = (Path(session.workspace) / "tmp.png").read_bytes()
    response = _upload(client, "../../evil name?.png", data)
    assert response.status_code == 200, response.text
    info = response.json()
    assert info["name"] == "evil name_.png" and info["width"] == 64
    stored = session.images[info["id"]].source
    assert stored.is_relative_to(session.workspace) and stored.read_bytes() == data
    assert _digests(folder) == before  # nothing written into FOLDER


def test_upload_that_is_not_an_image_is_refused(client, session):
    response = _upload(client, "pano.jpg", b"GIF89a not really" + bytes(100))
    assert response.status_code == 415
    assert "not a JPEG, PNG" in response.json()["detail"]
    assert not list(session.workspace.iterdir())  # nothing of it is kept


def test_corrupt_image_is_refused_cleanly(client):
    data = _png_declaring(64, 32)[:-20]  # valid header, body cut off
    response = _upload(client, "cut.png", data)
    assert response.status_code == 400
    assert "cut.png" in response.json()["detail"]


@pytest.mark.parametrize(("width", "height"), [(46000, 23000), (16400, 8200)])
def test_decompression_bomb_is_refused_from_its_header(client, width, height):
    data = _png_declaring(width, height)
    assert len(data) < 200
    started = time.perf_counter()
    response = _upload(client, "bomb.png", data)
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
    assert time.perf_counter() - started < 1.0


def test_exr_declaring_a_huge_canvas_is_refused(client, tmp_path):
    import OpenEXR

    path = tmp_path / "bomb.exr"
    header = {"displayWindow": ((0, 0), (99999, 49999)), "dataWindow": ((0, 0), (1, 1)),
              "compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    OpenEXR.File(header, {"RGB": np.zeros((2, 2, 3), np.float32)}).write(str(path))
    response = _upload(client, "bomb.exr", path.read_bytes())
    assert response.status_code == 413


@pytest.mark.parametrize("kib", [300, 400])  # read until over; refused from Content-Length
def test_oversized_upload_is_refused_and_not_kept(client, session, kib):
    data = b"\xff\xd8\xff" + bytes(kib * 1024)  # over the fixture's 256 KiB limit
    response = _upload(client, "big.jpg", data)
    assert response.status_code == 413
    # it said "the limit of 0 MB"
    assert response.json()["detail"] == "the upload is larger than the limit of 256 KB"
    assert not list(session.workspace.iterdir())


def test_upload_without_length_is_cut_at_the_limit(session):
    # Chunked, so no Content-Length to refuse early: the server must stop reading at the limit
    # (a real server: the test client would buffer the whole body first).
    import http.client

    from tests.web.conftest import LiveServer

    server = LiveServer(session)
    try:
        host, port = server.sock.getsockname()[:2]
        conn = http.client.HTTPConnection(host, port, timeout=10)
        conn.putrequest("POST", "/api/images/upload")
        conn.putheader("Content-Type", "multipart/form-data; boundary=xyz")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        head = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'
        for chunk in [head, *[bytes(64 << 10)] * 8]:  # 512 KiB of a body that never ends
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        # The body is not finished, so an answer now means reading stopped at the limit.
        response = conn.getresponse()
        assert response.status == 413
        assert "limit" in json.loads(response.read())["detail"]
        conn.close()
    finally:
        server.stop()
    assert not list(session.workspace.iterdir())


def _upload_cut_off(app, path: str) -> list[dict]:
    """Send ``app`` the start of a multipart upload, then the client's disconnect; returns
    the ASGI messages it sent back."""
    import asyncio

    head = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'
    incoming = [{"type": "http.request", "body": head + bytes(1000), "more_body": True},
                {"type": "http.disconnect"}]
    sent: list[dict] = []

    async def receive() -> dict:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1),
             "server": ("testserver", 80),
             "headers": [(b"host", b"testserver"),
                         (b"content-type", b"multipart/form-data; boundary=xyz"),
                         (b"content-length", b"100000")]}
    asyncio.run(app(scope, receive, send))
    return sent


@pytest.mark.parametrize("target", ["panorama", "mask"])
def test_an_upload_the_client_gives_up_is_no_server_error(client, session, caplog, target):
    """A closed tab mid-upload (ClientDisconnect) was a 500 with two tracebacks in the server's
    log; the upload's folder was removed even then."""
    path = "/api/images/upload"
    if target == "mask":
        path = f"/api/images/{_open(client)['id']}/mask/upload"
    before = sorted(session.workspace.rglob("*"))
    with caplog.at_level("INFO"):
        sent = _upload_cut_off(client.app, path)
    assert sent[0]["status"] == 400 and b"cut off" in sent[1]["body"]
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert sorted(session.workspace.rglob("*")) == before


def test_upload_must_be_multipart(client):
    response = client.post("/api/images/upload", content=b"raw", headers={
        "content-type": "application/octet-stream"})
    assert response.status_code == 400


# ------------------------------------------------------------------------------------ the mask


def test_stroke_undo_redo_cap_clear(client):
    image = _open(client)
    url = f"/api/images/{image['id']}/mask"
    stroke = {"view": NADIR_VIEW, "points": [[200, 200], [230, 210]], "radius": 40}
    state = client.post(f"{url}/stroke", json=stroke).json()
    assert state["version"] == 1 and state["hole_pixels"] > 0 and state["can_undo"]
    painted = state["hole_pixels"]
    erased = client.post(f"{url}/stroke", json={**stroke, "erase": True}).json()
    assert erased["hole_pixels"] == 0
    assert client.post(f"{url}/undo").json()["hole_pixels"] == painted
    assert client.post(f"{url}/redo").json()["hole_pixels"] == 0
    state = client.post(f"{url}/cap", json={"pole": "nadir", "degrees": 30}).json()
    cap30 = int(nadir_mask(32, 64, 30).sum())
    assert state["hole_pixels"] == cap30 and state["nadir_degrees"] == 30
    # Dragging the slider replaces the cap rather than piling caps up.
    state = client.post(f"{url}/cap", json={"pole": "nadir", "degrees": 10}).json()
    assert state["hole_pixels"] == int(nadir_mask(32, 64, 10).sum())
    assert client.post(f"{url}/clear").json()["hole_pixels"] == 0
    assert client.post(f"{url}/undo").json()["hole_pixels"] == int(nadir_mask(32, 64, 10).sum())


def test_mask_download_is_full_resolution(client):
    image = _open(client)
    url = f"/api/images/{image['id']}/mask"
    client.post(f"{url}/cap", json={"pole": "nadir", "degrees": 45})
    response = client.get(f"{url}.png")
    assert 'filename="small_mask.png"' in response.headers["content-disposition"]
    import cv2

    mask = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_GRAYSCALE) > 127
    assert np.array_equal(mask, nadir_mask(32, 64, 45))


def test_mask_files_are_one_bit_and_every_reader_takes_them_alike(client, folder, tmp_path):
    """The downloaded mask is a 1-bit PNG as 'pano-inpaint mask' writes (it was 8-bit): told
    from a photo by its header, and read back as the same mask by read_mask, read_image and
    the page's own mask upload."""
    from pano_inpaint.io.images import file_looks_like_mask

    image = _open(client)
    url = f"/api/images/{image['id']}/mask"
    client.post(f"{url}/cap", json={"pole": "nadir", "degrees": 45})
    client.post(f"{url}/stroke", json={"view": {**NADIR_VIEW, "pitch": 30},
                                       "points": [[100, 150], [300, 220]], "radius": 25})
    data = client.get(f"{url}.png").content
    assert data[12:16] == b"IHDR" and data[24:26] == b"\x01\x00"  # bit depth 1, grey
    path = tmp_path / "small_mask.png"
    path.write_bytes(data)
    painted = read_mask(path, 32, 64)
    assert painted.sum() > nadir_mask(32, 64, 45).sum()  # the stroke is in it
    assert np.array_equal(read_image(path).pixels[..., 0] > 127, painted)
    assert file_looks_like_mask(path)
    client.post(f"{url}/clear")
    response = _upload(client, "small_mask.png", data, f"{url}/upload")
    assert response.json()["hole_pixels"] == int(painted.sum())
    assert client.get(f"{url}.png").content == data


def test_load_a_mask_file(client, folder):
    write_image(folder / "hole.png", (nadir_mask(64, 128, 20) * 255).astype(np.uint8))
    image = _open(client)
    state = client.post(f"/api/images/{image['id']}/mask/open", json={"path": "hole.png"}).json()
    assert state["hole_pixels"] == int(nadir_mask(32, 64, 20).sum())  # resized to the image
    data = (folder / "hole.png").read_bytes()
    response = _upload(client, "hole.png", data, f"/api/images/{image['id']}/mask/upload")
    assert response.status_code == 200 and response.json()["can_undo"]
    response = _upload(client, "x.png", b"not an image",
                       f"/api/images/{image['id']}/mask/upload")
    assert response.status_code == 415


@pytest.mark.parametrize("when", ["as the upload arrives", "before the mask is read"])
def test_a_mask_upload_to_a_panorama_closed_meanwhile_is_404(client, session, folder,
                                                           monkeypatch, when):
    """The page closed the panorama (another tab) while its mask was uploading: the upload
    went into the image's folder, so it was created again and kept until the server stopped
    (and the mask answered 200), or, removed under it, the read failed with a 500."""
    from pano_inpaint.web import app as app_module
    from pano_inpaint.web import session as session_module

    hole = write_image(folder / "hole.png", (nadir_mask(64, 128, 20) * 255).astype(np.uint8))
    data = hole.read_bytes()
    image = _open(client)
    if when == "as the upload arrives":
        real_receive = app_module.receive_upload

        async def closed_first(request, destination, max_bytes):
            session.close(image["id"])
            return await real_receive(request, destination, max_bytes)

        monkeypatch.setattr(app_module, "receive_upload", closed_first)
    else:
        real_check = session_module.check_image_file

        def closed_then_checked(path, max_pixels):
            session.close(image["id"])  # its folder goes with it
            return real_check(path, max_pixels)

        monkeypatch.setattr(session_module, "check_image_file", closed_then_checked)
    response = _upload(client, "hole.png", data, f"/api/images/{image['id']}/mask/upload")
    assert response.status_code == 404 and "was closed" in response.json()["detail"]
    assert list(session.workspace.iterdir()) == []


@pytest.mark.parametrize("body", [
    {"view": {**NADIR_VIEW, "fov": 0}, "points": [[1, 1]], "radius": 5},
    {"view": {**NADIR_VIEW, "pitch": 120}, "points": [[1, 1]], "radius": 5},
    {"view": NADIR_VIEW, "points": [], "radius": 5},
    {"view": NADIR_VIEW, "points": [[1, 2, 3]], "radius": 5},
    {"view": NADIR_VIEW, "points": [[1, 1]], "radius": -1},
])
def test_bad_strokes_are_refused(client, body):
    image = _open(client)
    response = client.post(f"/api/images/{image['id']}/mask/stroke", json=body)
    assert response.status_code == 422


@pytest.mark.parametrize("fov", [19.9, 140.5, 170, 179])
def test_a_stroke_on_a_view_wider_or_narrower_than_the_page_allows_is_refused(client, fov):
    """The page zooms within 20-140 degrees; the API took up to 180, where a stroke of 20,000
    points took ~24 s of CPU. The refusal names the field and the range."""
    image = _open(client)
    response = client.post(f"/api/images/{image['id']}/mask/stroke", json={
        "view": {**NADIR_VIEW, "fov": fov}, "points": [[200, 200]], "radius": 5})
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"][-1] == "fov"
    assert ("20" if fov < 20 else "140") in problem["msg"]


def test_the_page_limits_and_the_api_agree(client):
    """Strokes at the page's zoom limits are taken; one point more than /api/info's
    stroke_points (the page sends longer strokes in pieces of that many) is refused."""
    limit = client.get("/api/info").json()["stroke_points"]
    assert 500 <= limit <= 5000
    image = _open(client)
    url = f"/api/images/{image['id']}/mask/stroke"
    for fov in (20, 140):
        response = client.post(url, json={"view": {**NADIR_VIEW, "fov": fov},
                                          "points": [[200, 200]], "radius": 5})
        assert response.status_code == 200
    line = [[100 + 200 * i / limit, 200] for i in range(limit + 1)]
    taken = client.post(url, json={"view": NADIR_VIEW, "points": line[:limit], "radius": 5})
    assert taken.status_code == 200
    refused = client.post(url, json={"view": NADIR_VIEW, "points": line, "radius": 5})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "points"
    # The range refused is the one the page's zoom keeps to (viewer.js setView).
    zoom = re.search(r"fov = Math\.max\((\d+), Math\.min\((\d+),",
                     (STATIC / "viewer.js").read_text())
    assert zoom and tuple(map(int, zoom.groups())) == FOV_DEGREES



@pytest.mark.parametrize(("radius", "taken"), [(2, True), (200, True), (1.9, False),
                                               (200.5, False), (2000, False)])
def test_the_brush_the_page_offers_is_the_range_the_api_takes(client, radius, taken):
    """The page's slider gives 2-200 pixels and takes its range from /api/info; the API took
    up to 2,000, where a 1,000-point stroke covers the whole view from every point."""
    assert tuple(client.get("/api/info").json()["brush_radius"]) == BRUSH_RADIUS
    slider = re.search(r'id="brush" min="(\d+)" max="(\d+)"', (STATIC / "index.html").read_text())
    assert slider and tuple(map(int, slider.groups())) == BRUSH_RADIUS
    assert "info.brush_radius" in (STATIC / "app.js").read_text()
    image = _open(client)
    response = client.post(f"/api/images/{image['id']}/mask/stroke", json={
        "view": {**NADIR_VIEW, "fov": 140}, "points": [[200, 200]], "radius": radius})
    assert response.status_code == (200 if taken else 422)
    if not taken:
        assert response.json()["detail"][0]["loc"][-1] == "radius"

def _stroke_text(points: str = "[[1, 1]]", radius: str = "5", yaw: str = "0") -> str:
    """A stroke's JSON as a client may send it, NaN and Infinity included."""
    view = f'{{"yaw": {yaw}, "pitch": -90, "fov": 90, "width": 400, "height": 400}}'
    return f'{{"view": {view}, "points": {points}, "radius": {radius}}}'


@pytest.mark.parametrize(("url", "body"), [
    ("mask/stroke", _stroke_text(points="[[NaN, 1]]")),
    ("mask/stroke", _stroke_text(radius="NaN")),
    ("mask/stroke", _stroke_text(points="[[Infinity, 1]]")),
    ("mask/stroke", _stroke_text(yaw="NaN")),
    ("mask/cap", '{"pole": "nadir", "degrees": NaN}'),
    ("fills", '{"generator": "telea", "params": {"radius": Infinity}}'),
])
def test_non_finite_numbers_are_refused_as_bad_requests(client, url, body):
    """Python's JSON reads NaN and Infinity: they answered 500 (the mask maths' ValueError,
    or the 422 itself failing to encode the NaN it quoted)."""
    image = _open(client)
    response = client.post(f"/api/images/{image['id']}/{url}", content=body,
                           headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert all("msg" in problem for problem in response.json()["detail"])


def test_unknown_image_is_404(client):
    assert client.get("/api/images/nope/preview.jpg").status_code == 404
    assert client.post("/api/images/nope/mask/undo").status_code == 404


# ------------------------------------------------------------------------------------ fills


def test_fill_progress_result_and_downloads(client, session, folder):
    before = _digests(folder)
    exif = piexif.dump({"0th": {piexif.ImageIFD.Make: b"TestCam"}})
    rng = np.random.default_rng(1)
    write_image(folder / "cam.jpg", rng.integers(0, 256, (64, 128, 3), dtype=np.uint8),
                ImageMetadata(exif=exif))
    before = _digests(folder)
    image = _open(client, "cam.jpg")
    client.post(f"/api/images/{image['id']}/mask/cap", json={"degrees": 25})
    job = client.post(f"/api/images/{image['id']}/fills",
                      json={"generator": "telea", "params": {"radius": 3}, "dilate": 1}).json()
    assert job["state"] in ("queued", "running", "done")
    assert job["settings"] == {"generator": "telea", "params": {"radius": 3}, "dilate": 1}
    with client.stream("GET", f"/api/fills/{job['id']}/events") as events:
        text = "".join(events.iter_text())
    kinds = [line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("event:")]
    assert kinds[-1] == "done" and set(kinds[:-1]) <= {"progress"}
    last = json.loads([line for line in text.splitlines() if line.startswith("data:")][-1][5:])
    assert last["state"] == "done" and last["fraction"] == 1.0
    assert set(last["result"]["report"]["consistency"]["checks"]) >= {"wrap", "boundary"}
    assert set(last["result"]["files"]) == {"result", "lossless", "mask", "report"}

    response = client.get(f"/api/fills/{job['id']}/files/result")
    assert 'filename="cam_inpainted.jpg"' in response.headers["content-disposition"]
    result_path = session.workspace / "result.jpg"
    result_path.write_bytes(response.content)
    result = read_image(result_path)
    assert result.metadata.exif is not None and b"TestCam" in result.metadata.exif  # kept
    assert result.metadata.gpano.full_pano_width_pixels == 128  # GPano written, as the CLI does

    lossless = session.workspace / "lossless.png"
    lossless.write_bytes(client.get(f"/api/fills/{job['id']}/files/lossless").content)
    mask_file = session.workspace / "mask.png"
    mask_file.write_bytes(client.get(f"/api/fills/{job['id']}/files/mask").content)
    assert mask_file.read_bytes()[24:26] == b"\x01\x00"  # 1-bit, as 'pano-inpaint mask' writes
    source = read_image(folder / "cam.jpg").pixels
    filled = read_image(lossless).pixels
    hole = read_image(mask_file).pixels[..., 0] > 127
    assert np.array_equal(read_mask(mask_file, 64, 128), hole)
    assert np.array_equal(hole, nadir_mask(64, 128, 25))  # the mask as painted (not dilated)
    changed = (filled != source).any(axis=-1)
    from pano_inpaint.masks import dilate_mask

    assert changed.any() and not (changed & ~dilate_mask(hole, 1)).any()
    assert client.get(f"/api/fills/{job['id']}/preview.jpg").status_code == 200
    report = client.get(f"/api/fills/{job['id']}/files/report").json()
    assert report["generator"] == "telea" and "consistency" in report  # as `inpaint --report`
    assert client.get(f"/api/fills/{job['id']}/files/other").status_code == 404
    assert _digests(folder) == before  # the input is never written


def test_an_empty_file_is_called_empty(client, folder):
    (folder / "empty.jpg").write_bytes(b"")
    for response in (client.post("/api/images", json={"path": "empty.jpg"}),
                     _upload(client, "empty.jpg", b"")):
        assert response.status_code == 400 and "empty (0 bytes)" in response.json()["detail"]


def test_closing_an_image_removes_its_files(client, session):
    """An upload's copy and its fills stayed in the workspace until the server stopped."""
    image = _upload(client, "up.png", (session.folder / "small.png").read_bytes()).json()
    client.post(f"/api/images/{image['id']}/mask/cap", json={"degrees": 25})
    job = client.post(f"/api/images/{image['id']}/fills", json={"generator": "telea"}).json()
    assert _wait(client, job["id"])["state"] == "done"
    kept = _open(client)  # another image stays as it is
    assert (session.workspace / image["id"]).is_dir()
    assert client.delete(f"/api/images/{image['id']}").status_code == 200
    assert not (session.workspace / image["id"]).exists()
    assert (session.workspace / kept["id"] / "preview.jpg").is_file()


def test_an_image_closed_while_filling_goes_when_its_fill_ends(client, session, monkeypatch):
    """Its folder stayed until the server stopped, though nothing could reach it any more
    (its files answer 404 once closed); a fill queued behind the running one still ran."""
    import threading

    image = _upload(client, "up.png", (session.folder / "small.png").read_bytes()).json()
    client.post(f"/api/images/{image['id']}/mask/cap", json={"degrees": 25})
    running, release, fill = threading.Event(), threading.Event(), session._fill

    def held(*args):
        running.set()
        assert release.wait(30)
        return fill(*args)

    monkeypatch.setattr(session, "_fill", held)
    first = client.post(f"/api/images/{image['id']}/fills", json={"generator": "telea"}).json()
    queued = client.post(f"/api/images/{image['id']}/fills", json={"generator": "telea"}).json()
    assert running.wait(30)
    assert client.delete(f"/api/images/{image['id']}").status_code == 200
    assert (session.workspace / image["id"]).is_dir()  # the running fill still writes there
    release.set()
    assert _wait(client, first["id"])["state"] == "done"
    second = _wait(client, queued["id"])
    assert second["state"] == "failed" and "closed before its fill started" in second["error"]
    assert not (session.workspace / image["id"]).exists()


def test_fills_of_one_panorama_waiting_at_once_are_bounded(client, session, monkeypatch):
    """Each queued fill holds a copy of the mask (134 MB at 16K) and writes a result: a script
    or a repeated click queued them without end. Another panorama's fills are not held up."""
    import threading

    from pano_inpaint.web.session import MAX_PENDING_FILLS

    release, fill = threading.Event(), session._fill

    def held(*args):
        assert release.wait(30)
        return fill(*args)

    monkeypatch.setattr(session, "_fill", held)
    first, other = _open(client), _open(client, "sub/nested.jpg")
    for image in (first, other):
        client.post(f"/api/images/{image['id']}/mask/cap", json={"degrees": 25})
    url = f"/api/images/{first['id']}/fills"
    jobs = [client.post(url, json={"generator": "telea"}) for _ in range(MAX_PENDING_FILLS)]
    assert [r.status_code for r in jobs] == [200] * MAX_PENDING_FILLS
    refused = client.post(url, json={"generator": "telea"})
    assert refused.status_code == 429 and "already queued or running" in refused.json()["detail"]
    assert client.post(f"/api/images/{other['id']}/fills", json={"generator": "telea"}
                       ).status_code == 200
    release.set()
    assert _wait(client, jobs[0].json()["id"])["state"] == "done"
    assert client.post(url, json={"generator": "telea"}).status_code == 200


@pytest.mark.parametrize(("path", "body", "key"), [
    ("fills", {"generator": "telea", "dilation": 8}, "dilation"),
    ("mask/cap", {"degrees": 20, "pol": "zenith"}, "pol"),
    ("mask/stroke", {"view": {**NADIR_VIEW, "roll": 30}, "points": [[200, 200]], "radius": 20},
     "roll"),
])
def test_a_key_the_api_does_not_know_is_refused(client, path, body, key):
    """It was dropped unsaid: {"dilation": 8} filled with no dilation, a misspelt pole capped
    the nadir."""
    image = _open(client)
    client.post(f"/api/images/{image['id']}/mask/cap", json={"degrees": 20})
    response = client.post(f"/api/images/{image['id']}/{path}", json=body)
    assert response.status_code == 422
    assert [d["loc"][-1] for d in response.json()["detail"]] == [key]
    assert "Extra inputs are not permitted" in response.text


def test_fill_of_an_empty_mask_is_refused(client):
    image = _open(client)
    response = client.post(f"/api/images/{image['id']}/fills", json={"generator": "telea"})
    assert response.status_code == 400 and "empty" in response.json()["detail"]


@pytest.mark.parametrize(("body", "match"), [
    ({"generator": "nope"}, "unknown generator"),
    ({"generator": "telea", "params": {"bogus": 1}}, "no setting 'bogus'"),
    ({"generator": "telea", "params": {"radius": "big"}}, "must be float"),
    ({"generator": "patchmatch", "params": {"stitch": 1}}, "must be bool"),
    ({"generator": "patchmatch", "params": {"patch_size": 7.5}}, "must be int"),
    ({"generator": "patchmatch", "params": {"layout_stitch": "on"}}, "must be one of none"),
    ({"generator": "patchmatch", "params": {"layout_stitch": True}}, "must be str"),
    ({"generator": "net", "params": {"weights": "/etc/passwd"}}, "no setting 'weights'"),
    # Out of range: refused now with the command line's words, not a failed fill later.
    ({"generator": "patchmatch", "params": {"patch_size": 2000}},
     "generator 'patchmatch': patch_size must be odd and >= 3, got 2000"),
    ({"generator": "telea", "params": {"radius": -1.0}}, "radius must be > 0, got -1.0"),
    ({"generator": "net+patchmatch", "params": {"working_size": 4}},
     "working_size must be >= 8, got 4"),
    # no upper bound: taken, and the fill held the only fill worker for ever
    ({"generator": "patchmatch", "params": {"iterations": 10**30}},
     "generator 'patchmatch': iterations must be at most 100, got 10000000000"),
])
def test_bad_fill_settings_are_refused(client, body, match):
    image = _open(client)
    client.post(f"/api/images/{image['id']}/mask/cap", json={"degrees": 20})
    response = client.post(f"/api/images/{image['id']}/fills", json=body)
    assert response.status_code == 400 and match in response.json()["detail"]


@pytest.mark.parametrize("zenith", [90, 40])  # with the nadir's 90 degrees: 100%, 62%
def test_a_hole_too_large_is_refused_when_the_fill_is_asked_for(client, session, zenith):
    """It was queued, and failed once it ran (holding the only fill worker until then); now
    it is refused with the command line's words (the same check, ``hole_to_fill``)."""
    from pano_inpaint.pipeline import hole_to_fill

    image = _open(client)
    url = f"/api/images/{image['id']}"
    client.post(f"{url}/mask/cap", json={"pole": "nadir", "degrees": 90})
    client.post(f"{url}/mask/cap", json={"pole": "zenith", "degrees": zenith})
    response = client.post(f"{url}/fills", json={"generator": "telea"})
    with pytest.raises(ValueError) as cli:
        hole_to_fill(session.image(image["id"]).mask.snapshot(), session.config)
    assert response.status_code == 400 and response.json()["detail"] == str(cli.value)
    assert "more than the allowed 60%" in str(cli.value)
    assert session.image(image["id"]).fills == [] and session.queue.jobs() == []


def test_failed_fill_shows_its_error_and_the_session_goes_on(client, monkeypatch):
    image = _open(client)
    url = f"/api/images/{image['id']}"
    client.post(f"{url}/mask/cap", json={"degrees": 20})

    # A generator that raises while filling: the error is shown, the queue goes on.
    def broken_fill(self, tiles):
        raise ValueError("the radius broke")

    with monkeypatch.context() as patch:
        patch.setattr(Telea, "inpaint", broken_fill)
        broken = _wait(client, client.post(f"{url}/fills", json={
            "generator": "telea", "params": {"radius": 3.0}}).json()["id"])
    assert broken["state"] == "failed" and "the radius broke" in broken["error"]
    done = _wait(client, client.post(f"{url}/fills", json={"generator": "telea"}).json()["id"])
    assert done["state"] == "done"


def test_a_fill_that_fails_writing_leaves_no_files(client, session, monkeypatch):
    """A full disk while the result files were written failed the fill and kept what it had
    written (a result of the panorama's size per try) until the panorama was closed."""
    import errno

    from pano_inpaint.web import session as session_module

    image = _open(client)
    url = f"/api/images/{image['id']}"
    client.post(f"{url}/mask/cap", json={"degrees": 20})

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(session_module, "write_mask", full)  # after the result is written
    failed = _wait(client, client.post(f"{url}/fills", json={"generator": "telea"}).json()["id"])
    assert failed["state"] == "failed" and "No space left" in failed["error"]
    assert sorted(p.name for p in (session.workspace / image["id"]).iterdir()) == ["preview.jpg"]


def _events(client, job_id: str) -> list[tuple[str, dict]]:
    """The fill's server-sent events, to its end: (event, data) pairs."""
    with client.stream("GET", f"/api/fills/{job_id}/events") as events:
        text = "".join(events.iter_text())
    kinds = [line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("event:")]
    data = [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:")]
    return list(zip(kinds, data, strict=True))


def _filled_image(client) -> tuple[dict, str]:
    image = _open(client)
    client.post(f"/api/images/{image['id']}/mask/cap", json={"degrees": 25})
    return image, f"/api/images/{image['id']}/fills"


def test_a_queued_fill_cancelled_never_starts(client, session, monkeypatch):
    """A fill waiting behind a slow one is cancelled at once: it never runs, writes nothing,
    frees its place among the pending fills, and the one behind it still runs."""
    import threading

    from pano_inpaint.web.session import MAX_PENDING_FILLS

    running, release, fill, filled = threading.Event(), threading.Event(), session._fill, []

    def held(image, config, job):
        filled.append(job.id)
        running.set()
        assert release.wait(30)
        return fill(image, config, job)

    monkeypatch.setattr(session, "_fill", held)
    image, url = _filled_image(client)
    jobs = [client.post(url, json={"generator": "telea"}).json()
            for _ in range(MAX_PENDING_FILLS)]
    assert running.wait(30)
    assert client.post(url, json={"generator": "telea"}).status_code == 429
    cancelled = client.post(f"/api/fills/{jobs[1]['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled" and cancelled.json()["error"] is None
    assert client.get(f"/api/fills/{jobs[1]['id']}").json()["state"] == "cancelled"
    assert _events(client, jobs[1]["id"])[-1][0] == "cancelled"
    assert client.get(f"/api/fills/{jobs[2]['id']}").json()["queue_position"] == 0
    assert session.image(image["id"]).fills_pending == MAX_PENDING_FILLS - 1
    extra = client.post(url, json={"generator": "telea"})  # its place is free again
    assert extra.status_code == 200, extra.text
    again = client.post(f"/api/fills/{jobs[1]['id']}/cancel")  # a double click: no error
    assert again.status_code == 200 and again.json()["state"] == "cancelled"
    release.set()
    for job in [*jobs[:1], *jobs[2:], extra.json()]:
        assert _wait(client, job["id"])["state"] == "done"
    assert jobs[1]["id"] not in filled
    assert not (session.workspace / image["id"] / jobs[1]["id"]).exists()
    assert session.image(image["id"]).fills_pending == 0


def test_a_running_fill_cancelled_stops_and_leaves_no_files(client, session, monkeypatch):
    """A fill held inside the generator is cancelled: it stops at the pipeline's next progress
    report, ends "cancelled" (not "failed"), writes nothing, and the fill queued behind it runs
    on the worker it held."""
    import threading

    running, release, original = threading.Event(), threading.Event(), Telea.inpaint

    def held(self, tiles):
        running.set()
        assert release.wait(30)
        return original(self, tiles)

    monkeypatch.setattr(Telea, "inpaint", held)
    image, url = _filled_image(client)
    job = client.post(url, json={"generator": "telea"}).json()
    queued = client.post(url, json={"generator": "telea"}).json()
    assert running.wait(30)
    asked = client.post(f"/api/fills/{job['id']}/cancel")
    assert asked.status_code == 200, asked.text
    assert asked.json()["state"] == "running" and asked.json()["cancel_asked"]
    release.set()
    events = _events(client, job["id"])
    assert events[-1][0] == "cancelled" and {e for e, _ in events[:-1]} <= {"progress"}
    last = events[-1][1]
    assert last["state"] == "cancelled" and last["error"] is None and last["result"] is None
    assert _wait(client, queued["id"])["state"] == "done"
    assert {p.name for p in (session.workspace / image["id"]).iterdir()} == {
        "preview.jpg", queued["id"]}  # nothing of the cancelled fill
    assert session.image(image["id"]).fills_pending == 0
    for kind in ("preview.jpg", "files/result"):
        assert client.get(f"/api/fills/{job['id']}/{kind}").status_code == 409


def test_a_fill_cancelled_while_writing_leaves_no_files(client, session, monkeypatch):
    """Its last progress report is before the files are written: a cancel asked then removes
    what was written, as a failure to write does."""
    from pano_inpaint.web import session as session_module

    image, url = _filled_image(client)
    write_mask = session_module.write_mask

    def cancelled_meanwhile(path, mask):
        job = session.queue.get(path.parent.name)
        assert client.post(f"/api/fills/{job.id}/cancel").status_code == 200
        return write_mask(path, mask)

    monkeypatch.setattr(session_module, "write_mask", cancelled_meanwhile)
    job = _wait(client, client.post(url, json={"generator": "telea"}).json()["id"])
    assert job["state"] == "cancelled" and job["result"] is None
    assert sorted(p.name for p in (session.workspace / image["id"]).iterdir()) == ["preview.jpg"]
    assert session.image(image["id"]).fills_pending == 0


def test_cancelling_a_fill_that_ended_or_is_unknown_is_refused(client, monkeypatch):
    image, url = _filled_image(client)
    done = _wait(client, client.post(url, json={"generator": "telea"}).json()["id"])
    with monkeypatch.context() as patch:
        patch.setattr(Telea, "inpaint", lambda self, tiles: 1 / 0)
        failed = _wait(client, client.post(url, json={"generator": "telea"}).json()["id"])
    assert (done["state"], failed["state"]) == ("done", "failed")
    response = client.post(f"/api/fills/{done['id']}/cancel")
    assert response.status_code == 409
    assert response.json()["detail"] == (f"fill {done['id']} is already done: there is nothing "
                                         "to cancel (its result stays until its panorama is "
                                         "closed)")
    response = client.post(f"/api/fills/{failed['id']}/cancel")
    assert response.status_code == 409 and "already failed" in response.json()["detail"]
    assert client.get(f"/api/fills/{done['id']}").json()["state"] == "done"  # unchanged
    response = client.post("/api/fills/nope/cancel")
    assert response.status_code == 404 and response.json()["detail"] == "no fill 'nope'"


# ------------------------------------------------------------------------------------ safety


def test_cross_site_requests_are_refused(client):
    response = client.post("/api/images", json={"path": "small.png"},
                           headers={"Origin": "http://evil.example"})
    assert response.status_code == 403
    response = client.post("/api/images", json={"path": "small.png"},
                           headers={"Origin": "http://testserver"})
    assert response.status_code == 200


def test_unknown_host_names_are_refused(session):
    from fastapi.testclient import TestClient

    from pano_inpaint.web.app import create_app

    app = create_app(session, allowed_hosts=["127.0.0.1", "localhost"])
    with TestClient(app, base_url="http://rebound.example") as c:
        assert c.get("/api/info").status_code == 400
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        assert c.get("/api/info").status_code == 200


def test_open_the_shipped_sample(client, session):
    info = client.post("/api/images/sample").json()
    assert (info["name"], info["width"], info["height"]) == ("sample_pano.jpg", 2048, 1024)
    assert session.images[info["id"]].source.is_relative_to(session.workspace)  # a copy


def test_hdr_panorama_is_filled_linear_and_unclipped(client, session, folder):
    rng = np.random.default_rng(2)
    hdr = (rng.random((32, 64, 3)) * 4).astype(np.float32)  # linear, up to 4
    write_image(folder / "sky.exr", hdr)
    image = _open(client, "sky.exr")
    assert image["hdr"] and image["format"] == "exr"
    assert client.get(f"/api/images/{image['id']}/preview.jpg").status_code == 200
    client.post(f"/api/images/{image['id']}/mask/cap", json={"degrees": 30})
    job = _wait(client, client.post(f"/api/images/{image['id']}/fills",
                                    json={"generator": "telea"}).json()["id"])
    assert set(job["result"]["files"]) == {"result", "mask", "report"}  # EXR is lossless
    path = session.workspace / "out.exr"
    path.write_bytes(client.get(f"/api/fills/{job['id']}/files/result").content)
    filled = read_image(path).pixels
    hole = nadir_mask(32, 64, 30)
    assert filled.dtype == np.float32 and filled[hole].max() > 1.0
    assert np.array_equal(filled[~hole], hdr[~hole])


def test_continue_from_a_fill_of_a_panorama_closed_meanwhile(client, session, monkeypatch):
    """Closed (in another tab) between the lookup and the copy of the fill: a 500 with a
    traceback, and the new image's folder left in the workspace."""
    from pano_inpaint.web import session as session_module

    image = _open(client)
    client.post(f"/api/images/{image['id']}/mask/cap", json={"degrees": 20})
    job = _wait(client, client.post(f"/api/images/{image['id']}/fills",
                                    json={"generator": "telea"}).json()["id"])
    copy = session_module.shutil.copyfile

    def closed_first(source, target):
        session.close(image["id"])
        return copy(source, target)

    monkeypatch.setattr(session_module.shutil, "copyfile", closed_first)
    before = sorted(p.name for p in session.workspace.iterdir())
    response = client.post(f"/api/fills/{job['id']}/continue")
    assert response.status_code == 404 and "was closed" in response.json()["detail"]
    assert sorted(p.name for p in session.workspace.iterdir()) == [
        name for name in before if name != image["id"]]


@pytest.mark.parametrize("url", ["/api/images/{image}/preview.jpg",
                                 "/api/fills/{job}/preview.jpg", "/api/fills/{job}/files/result"])
def test_files_of_a_panorama_closed_meanwhile_are_404(client, session, monkeypatch, url):
    """Closed (another tab) between the lookup of the image and the sending of its preview or
    a fill's file: FileResponse found the file missing only as it sent it, a 500."""
    image = _open(client)
    client.post(f"/api/images/{image['id']}/mask/cap", json={"degrees": 20})
    job = _wait(client, client.post(f"/api/images/{image['id']}/fills",
                                    json={"generator": "telea"}).json()["id"])
    lookup = session.image

    def closed_after_lookup(image_id):
        found = lookup(image_id)
        session.close(image_id)
        return found

    monkeypatch.setattr(session, "image", closed_after_lookup)
    response = client.get(url.format(image=image["id"], job=job["id"]))
    assert response.status_code == 404 and "was closed" in response.json()["detail"]


@pytest.fixture
def done_fill(client) -> str:
    """The id of a finished telea fill of the small panorama."""
    image = _open(client)
    client.post(f"/api/images/{image['id']}/mask/cap", json={"degrees": 20})
    job = _wait(client, client.post(f"/api/images/{image['id']}/fills",
                                    json={"generator": "telea"}).json()["id"])
    assert job["state"] == "done"
    return job["id"]


def test_a_range_a_download_cannot_serve_is_refused_in_json(client, done_fill):
    """Starlette answered these in plain text; every other error of the app is JSON."""
    url = f"/api/fills/{done_fill}/files/result"
    size = len(client.get(url).content)
    part = client.get(url, headers={"Range": "bytes=2-5"})
    assert part.status_code == 206 and part.content == client.get(url).content[2:6]
    beyond = client.get(url, headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    assert beyond.json() == {"detail": f"the range starts past the end of the file "
                                       f"({size} bytes)"}
    for header in ("pages=1-2", "bytes=5-2"):
        bad = client.get(url, headers={"Range": header})
        assert bad.status_code == 400 and bad.headers["content-type"] == "application/json"
        assert "range" in bad.json()["detail"].lower()


@pytest.mark.parametrize("url", ["/api/fills/{job}/files/result", "/api/fills/{job}/preview.jpg",
                                 "/api/images/{image}/preview.jpg"])
def test_downloads_answer_head(client, session, done_fill, url):
    """A HEAD (a download manager's size check) was 405."""
    url = url.format(job=done_fill, image=session.queue.get(done_fill).image_id)
    got, head = client.get(url), client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(got.content))
    assert head.headers["content-type"] == got.headers["content-type"]


def test_continue_from_a_result(client, session, folder):
    rng = np.random.default_rng(3)
    write_image(folder / "pano.jpg", rng.integers(0, 256, (32, 64, 3), dtype=np.uint8))
    image = _open(client, "pano.jpg")
    client.post(f"/api/images/{image['id']}/mask/cap", json={"degrees": 20})
    first = _wait(client, client.post(f"/api/images/{image['id']}/fills",
                                      json={"generator": "telea"}).json()["id"])
    second = client.post(f"/api/fills/{first['id']}/continue").json()
    assert second["name"] == "pano_inpainted.jpg" and second["format"] == "jpeg"
    assert second["mask"]["hole_pixels"] == 0  # a fresh mask on the filled panorama
    # It starts from the lossless copy of the fill, pixel for pixel.
    copy = session.images[second["id"]].source
    lossless = session.workspace / image["id"] / first["id"] / first["result"]["files"]["lossless"]
    assert np.array_equal(read_image(copy).pixels, read_image(lossless).pixels)
    client.post(f"/api/images/{second['id']}/mask/cap", json={"pole": "zenith", "degrees": 20})
    again = _wait(client, client.post(f"/api/images/{second['id']}/fills",
                                      json={"generator": "telea"}).json()["id"])
    assert again["result"]["files"]["result"] == "pano_inpainted_inpainted.jpg"
    assert client.post("/api/fills/nope/continue").status_code == 404

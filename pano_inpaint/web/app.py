"""The HTTP API and the page: thin routes over :class:`~pano_inpaint.web.session.Session`.

Requests that change anything must come from the page itself: a browser sends ``Origin`` with
every cross-site POST, and one naming another site is refused, so a web page open elsewhere
cannot drive this server. The ``Host`` header must name the address the server is bound to
(no DNS-rebinding of a local server).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.middleware.trustedhost import TrustedHostMiddleware

from pano_inpaint import __version__
from pano_inpaint.generators import generator_info, list_generators
from pano_inpaint.geometry.perspective import PerspectiveView
from pano_inpaint.io import encode_mask
from pano_inpaint.web.errors import Refused
from pano_inpaint.web.fills import FillJob
from pano_inpaint.web.generator_settings import generator_settings
from pano_inpaint.web.painting import stroke_blocks
from pano_inpaint.web.previews import mask_png
from pano_inpaint.web.session import OpenImage, Session
from pano_inpaint.web.uploads import receive_upload

__all__ = ["create_app"]

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_FILE_KINDS = {"result", "lossless", "mask", "report"}


class _Body(BaseModel):
    """A request body: NaN and infinities (which JSON parsers here accept) are refused with
    422 like any value out of range; they reached the mask maths as a 500. So is a key it does
    not have: a fill sent {"dilation": 8} was filled with no dilation, the key dropped unsaid."""

    model_config = ConfigDict(allow_inf_nan=False, extra="forbid")


class OpenRequest(_Body):
    path: str = Field(max_length=4096)


# The page's zoom keeps the field of view in 20-140 degrees (viewer.js setView). Wider, the
# view's edges stretch so far that a stroke there covers most of the sphere: 20,000 points at
# 170 degrees took ~24 s of CPU.
FOV_DEGREES = (20, 140)
# Points of one stroke request. The page sends a longer stroke in pieces of this many points
# (app.js, from /api/info), one every ~15 s of painting at 60 pointer events a second.
STROKE_POINTS = 1000
# Brush radius in CSS pixels: the page's slider (index.html; app.js takes it from /api/info).
# A stroke's cost grows with the pixels it covers: at fov 140 a 200-pixel brush already reaches
# most of the view, and 2,000 (what was taken) the whole of it from any point.
BRUSH_RADIUS = (2, 200)


class ViewModel(_Body):
    """The perspective view a stroke was painted on (degrees and CSS pixels)."""

    yaw: float
    pitch: float = Field(ge=-90, le=90)
    fov: float = Field(ge=FOV_DEGREES[0], le=FOV_DEGREES[1])
    width: float = Field(gt=0, le=20000)
    height: float = Field(gt=0, le=20000)

    def to_view(self) -> PerspectiveView:
        return PerspectiveView(np.radians(self.yaw), np.radians(self.pitch),
                               np.radians(self.fov), self.width, self.height)


class StrokeRequest(_Body):
    view: ViewModel
    points: list[Annotated[list[float], Field(min_length=2, max_length=2)]] = Field(
        min_length=1, max_length=STROKE_POINTS)
    radius: float = Field(ge=BRUSH_RADIUS[0], le=BRUSH_RADIUS[1])
    erase: bool = False


class CapRequest(_Body):
    pole: Literal["nadir", "zenith"] = "nadir"
    degrees: float = Field(ge=0, le=90)


class FillRequest(_Body):
    generator: str | None = None
    params: dict[str, bool | int | float | str] = Field(default_factory=dict)
    dilate: int | None = Field(default=None, ge=0, le=256)


class _WorkspaceFile(FileResponse):
    """A file of the workspace. Starlette refuses a Range header it cannot serve in plain text
    (400 malformed, 416 starting past the end); those answers are rewritten as the app's JSON
    ``{"detail": ...}``, at the ASGI level, so its range handling stays its own."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        held = []  # a refusal's start message, sent once its body is known

        async def as_json(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] in (400, 416):
                held.append(message)
            elif held and message["type"] == "http.response.body":
                start = held.pop()
                headers = dict(start["headers"])
                text = message.get("body", b"").decode("utf-8", "replace").strip()
                if start["status"] == 416:  # Content-Range: bytes */SIZE
                    size = headers.get(b"content-range", b"").decode().rpartition("/")[2]
                    text = f"the range starts past the end of the file ({size} bytes)"
                body = json.dumps({"detail": text or "bad Range header"}).encode()
                headers[b"content-type"] = b"application/json"
                headers[b"content-length"] = str(len(body)).encode()
                await send({**start, "headers": list(headers.items())})
                await send({"type": "http.response.body", "body": body})
            else:
                await send(message)

        await super().__call__(scope, receive, as_json)


def _file_response(path: Path, gone: str, **options: Any) -> FileResponse:
    """A file of the workspace, or 404 ``gone`` when it is not there: closing its panorama
    (another tab) removes its files, and FileResponse found one missing only as it sent it
    (a 500 with a traceback)."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        raise Refused(gone, 404) from None
    return _WorkspaceFile(path, stat_result=found, **options)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or request.method in _SAFE_METHODS:
        return True
    return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()


def create_app(session: Session, *, allowed_hosts: list[str] | None = None) -> FastAPI:
    """The web app over ``session``; ``allowed_hosts``: Host header values accepted (all if
    None)."""
    app = FastAPI(title="pano-inpaint", version=__version__, docs_url=None, redoc_url=None)
    if allowed_hosts is not None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)

    @app.middleware("http")
    async def refuse_cross_site(request: Request, call_next):
        if not _same_origin(request):
            return JSONResponse({"detail": "cross-site requests are refused"}, status_code=403)
        return await call_next(request)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid_body(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Without the values sent: a NaN among them made the 422 itself fail to encode (500).
        problems = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""),
                     "type": e.get("type", "")} for e in exc.errors()]
        return JSONResponse({"detail": problems}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        text = str(exc).strip().splitlines()
        return JSONResponse({"detail": f"{type(exc).__name__}: {text[0] if text else ''}"},
                            status_code=500)

    def image_of(image_id: str) -> OpenImage:
        return session.image(image_id)

    def job_of(job_id: str) -> FillJob:
        job = session.queue.get(job_id)
        if job is None:
            raise Refused(f"no fill {job_id!r}", 404)
        return job

    # ------------------------------------------------------------------ the page

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/info")
    def info() -> dict[str, Any]:
        cfg = session.config
        return {
            "version": __version__,
            "folder": session.folder_name,
            "generators": [{"name": n, "summary": generator_info(n).summary,
                            "needs_torch": generator_info(n).needs_torch}
                           for n in list_generators()],
            "defaults": {"generator": cfg.generator.name, "params": cfg.generator.params,
                         "dilate": cfg.mask.dilate},
            "max_upload_bytes": session.max_upload_bytes,
            "max_pixels": session.max_pixels,
            "stroke_points": STROKE_POINTS,
            "brush_radius": BRUSH_RADIUS,
        }

    @app.get("/api/generators/{name}")
    def generator_parameters(name: str) -> dict[str, Any]:
        if name not in list_generators():
            raise Refused(f"unknown generator {name!r}", 404)
        return {"name": name, "params": generator_settings(name)}

    # ------------------------------------------------------------------ opening

    @app.get("/api/files")
    def files() -> dict[str, Any]:
        return {"folder": session.folder_name, **session.list_files()}

    @app.get("/api/images")
    def images() -> dict[str, Any]:
        return {"images": [image.to_dict() for image in session.images.values()]}

    @app.post("/api/images")
    def open_file(body: OpenRequest) -> dict[str, Any]:
        return session.open_file(body.path).to_dict()

    @app.post("/api/images/sample")
    def open_sample() -> dict[str, Any]:
        return session.open_sample().to_dict()

    @app.post("/api/images/upload")
    async def upload(request: Request) -> dict[str, Any]:
        image_id, folder = session.upload_target()
        try:
            name, path = await receive_upload(request, folder, session.max_upload_bytes)
            image = await run_in_threadpool(session.open_upload, image_id, path, name)
        finally:
            session.discard(image_id)  # unless it was opened
        return image.to_dict()

    @app.get("/api/images/{image_id}")
    def image_info(image_id: str) -> dict[str, Any]:
        return image_of(image_id).to_dict()

    @app.delete("/api/images/{image_id}")
    def close_image(image_id: str) -> dict[str, Any]:
        session.close(image_of(image_id).id)
        return {"closed": image_id}

    # The workspace's files answer HEAD too (a download manager asks a file's size first; it
    # was 405): FileResponse sends a HEAD's headers alone. Left out of the schema, where the
    # GET's twin would repeat its operation id.
    @app.get("/api/images/{image_id}/preview.jpg")
    @app.head("/api/images/{image_id}/preview.jpg", include_in_schema=False)
    def preview(image_id: str) -> FileResponse:
        return _file_response(image_of(image_id).workdir / "preview.jpg",
                              f"image {image_id} was closed")

    # ------------------------------------------------------------------ the mask

    @app.get("/api/images/{image_id}/mask.png")
    def mask_file(image_id: str, preview: bool = False) -> Response:
        image = image_of(image_id)
        mask = image.mask.snapshot()
        if preview:
            return Response(mask_png(mask), media_type="image/png",
                            headers={"Cache-Control": "no-store"})
        # The file as 'pano-inpaint mask' writes one: 1-bit, told from a photo by its header.
        return Response(encode_mask(mask), media_type="image/png", headers={
            "Content-Disposition": f'attachment; filename="{image.stem}_mask.png"'})

    @app.post("/api/images/{image_id}/mask/stroke")
    def stroke(image_id: str, body: StrokeRequest) -> dict[str, Any]:
        image = image_of(image_id)
        blocks = stroke_blocks(image.height, image.width, body.view.to_view(), body.points,
                               body.radius)
        return image.mask.paint(blocks, erase=body.erase).to_dict()

    @app.post("/api/images/{image_id}/mask/cap")
    def cap(image_id: str, body: CapRequest) -> dict[str, Any]:
        return image_of(image_id).mask.set_cap(body.pole, body.degrees).to_dict()

    @app.post("/api/images/{image_id}/mask/undo")
    def undo(image_id: str) -> dict[str, Any]:
        return image_of(image_id).mask.undo().to_dict()

    @app.post("/api/images/{image_id}/mask/redo")
    def redo(image_id: str) -> dict[str, Any]:
        return image_of(image_id).mask.redo().to_dict()

    @app.post("/api/images/{image_id}/mask/clear")
    def clear(image_id: str) -> dict[str, Any]:
        return image_of(image_id).mask.clear().to_dict()

    @app.post("/api/images/{image_id}/mask/open")
    def mask_from_folder(image_id: str, body: OpenRequest) -> dict[str, Any]:
        image = image_of(image_id)
        return session.load_mask(image, session.resolve(body.path), body.path)

    @app.post("/api/images/{image_id}/mask/upload")
    async def mask_upload(image_id: str, request: Request) -> dict[str, Any]:
        image = image_of(image_id)
        folder = session.upload_folder()  # not in the image's folder, which a close removes
        try:
            name, path = await receive_upload(request, folder, session.max_upload_bytes)
            return await run_in_threadpool(session.load_mask, image, path, name)
        finally:
            shutil.rmtree(folder, ignore_errors=True)  # the mask is in the editor now

    # ------------------------------------------------------------------ fills

    @app.post("/api/images/{image_id}/fills")
    def fill(image_id: str, body: FillRequest) -> dict[str, Any]:
        settings = body.model_dump(exclude_none=True)
        job = session.fill(image_of(image_id), settings)
        return job.to_dict(session.queue.position(job))

    @app.get("/api/fills/{job_id}")
    def fill_state(job_id: str) -> dict[str, Any]:
        job = job_of(job_id)
        return job.to_dict(session.queue.position(job))

    @app.get("/api/fills/{job_id}/events")
    async def fill_events(job_id: str, request: Request) -> StreamingResponse:
        """Server-sent events: ``progress`` while queued or running, then ``done``, ``failed``
        or ``cancelled``."""
        job = job_of(job_id)

        async def stream():
            seen = None
            while not await request.is_disconnected():
                position = session.queue.position(job)
                if (job.version, position) != seen:
                    seen = (job.version, position)
                    event = job.state if job.finished else "progress"
                    yield f"event: {event}\ndata: {json.dumps(job.to_dict(position))}\n\n"
                    if job.finished:
                        return
                await asyncio.sleep(0.1)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    @app.post("/api/fills/{job_id}/cancel")
    def cancel_fill(job_id: str) -> dict[str, Any]:
        """A queued fill ends ``cancelled`` now; a running one answers ``cancel_asked`` and
        ends ``cancelled`` at its next progress report (follow its events)."""
        job = session.cancel(job_of(job_id))
        return job.to_dict(session.queue.position(job))

    @app.post("/api/fills/{job_id}/continue")
    def continue_from(job_id: str) -> dict[str, Any]:
        return session.open_result(job_of(job_id)).to_dict()

    @app.get("/api/fills/{job_id}/preview.jpg")
    @app.head("/api/fills/{job_id}/preview.jpg", include_in_schema=False)
    def fill_preview(job_id: str) -> FileResponse:
        job = job_of(job_id)
        if job.state != "done":
            raise Refused(f"fill {job_id} is {job.state}", 409)
        return _file_response(image_of(job.image_id).workdir / job.id / "preview.jpg",
                              f"image {job.image_id} was closed; its fills are gone")

    @app.get("/api/fills/{job_id}/files/{kind}")
    @app.head("/api/fills/{job_id}/files/{kind}", include_in_schema=False)
    def fill_file(job_id: str, kind: str) -> FileResponse:
        job = job_of(job_id)
        if job.state != "done" or job.result is None:
            raise Refused(f"fill {job_id} is {job.state}", 409)
        name = job.result["files"].get(kind) if kind in _FILE_KINDS else None
        if name is None:
            raise Refused(f"fill {job_id} has no {kind!r} file", 404)
        return _file_response(image_of(job.image_id).workdir / job.id / name,
                              f"image {job.image_id} was closed; its fills are gone",
                              filename=name)

    return app

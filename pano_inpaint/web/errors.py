"""The one error the web app answers with: what was refused and the HTTP status to say it."""

from __future__ import annotations

__all__ = ["Refused"]


class Refused(Exception):
    """A request that is refused; ``status`` is the HTTP status to answer with (400 unless
    said: 403 outside FOLDER, 404 unknown, 409 not ready or already ended, 413 too large,
    415 not an image, 429 too many fills waiting)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status

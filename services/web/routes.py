"""The officials' page: `GET /` returns index.html; its assets are served under `/static/`.

Plain HTML, CSS and JavaScript shipped in `static/` (no build step, no CDN): the page works offline and reads
the read API (`/v1/scores`, `/v1/scores/units`, `/v1/gaps`, `/v1/org-units`, `/v1/rules`, `/v1/alerts`).
Include `router` in any app that serves the read API.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent / "static"
# browsers revalidate (a cheap 304 thanks to ETag) instead of guessing a lifetime, so an upgrade shows at once
REVALIDATE = {"Cache-Control": "no-cache"}


class _Assets(StaticFiles):
    def file_response(
        self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update(REVALIDATE)
        return response


router = APIRouter(include_in_schema=False)


@router.get("/")
def index() -> FileResponse:
    """The page itself."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8", headers=REVALIDATE)


router.mount("/static", _Assets(directory=STATIC_DIR), name="static")

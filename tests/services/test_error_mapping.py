"""One handler maps every `shared.errors.DTIError` a route lets through to its status and the error body."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from services.common.errors import install_error_handlers
from shared.errors import Conflict, NotFound, Unavailable


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/missing")
    def missing() -> None:
        raise NotFound("no alert 'x'", "không có cảnh báo 'x'")

    @app.get("/conflict")
    def conflict() -> None:
        raise Conflict("already resolved", "đã hết")

    @app.get("/down")
    def down() -> None:
        raise Unavailable("broker down")

    return app


def _get(path: str) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://test") as c:
            return await c.get(path)

    return asyncio.run(go())


def test_dti_errors_become_their_status_with_both_languages() -> None:
    r = _get("/missing")
    assert r.status_code == 404
    assert r.json() == {
        "detail": {
            "message": "không có cảnh báo 'x' / no alert 'x'",
            "message_vi": "không có cảnh báo 'x'",
            "message_en": "no alert 'x'",
        }
    }
    assert _get("/conflict").status_code == 409
    down = _get("/down")
    assert down.status_code == 503 and down.headers["Retry-After"] == "1"

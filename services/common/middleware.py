"""Request id, access log and latency histogram for every request (pure ASGI: no body buffering)."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.metrics import ServiceMetrics

log = structlog.get_logger("dti.http")
_REQUEST_ID = re.compile(r"[\w.:\-]{1,64}", re.ASCII)


class RequestContext:
    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        # a client's own request id is kept when it is a plain token; anything else gets a fresh one
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]
        status = {"code": 500}
        t0 = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=rid)
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - t0
            route = _route(scope)
            self.metrics.http_duration.labels(scope["method"], route, str(status["code"])).observe(elapsed)
            if route not in ("/metrics", "/healthz", "/readyz"):
                log.info(
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    route=route,
                    status=status["code"],
                    ms=round(elapsed * 1000, 2),
                )
            structlog.contextvars.unbind_contextvars("request_id")


def _route(scope: Scope) -> str:
    """The route template, not the raw path, so the histogram's label set stays bounded."""
    r = scope.get("route")
    path = getattr(r, "path", None)
    return str(path) if path else "unmatched"

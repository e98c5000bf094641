"""`dti up`: the ingest API, scoring, the read API and /metrics in one FastAPI app on one port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware

from services.alerts import routes as alerts_routes
from services.common import ops, rules_routes, years_routes
from services.common.docs import install_docs
from services.common.errors import install_error_handlers
from services.common.metrics import ServiceMetrics
from services.common.middleware import RequestContext
from services.common.openapi import install_openapi
from services.embedded.runtime import EmbeddedRuntime
from services.ingest.routes import events, observations
from services.reports import routes as reports_routes
from services.scoring.routes import read
from services.web import routes as web
from shared.rules.loader import load_ruleset, resolve_manifest
from shared.settings import Settings

DESCRIPTION = """
DTI Monitor — theo dõi Chỉ số chuyển đổi số cấp tỉnh gần thời gian thực.

Provincial systems push events (`POST /v1/events`) with a source key (`Authorization: Bearer …`, created by
`dti keys create --source NAME`); departments submit periodic figures (`POST /v1/observations`, JSON or an
.xlsx/.csv upload). Scores are recomputed as events arrive (`GET /v1/scores`, `GET /v1/gaps`).
"""


def create_app(settings: Settings) -> FastAPI:
    rules = load_ruleset(resolve_manifest(settings.rules))
    metrics = ServiceMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = EmbeddedRuntime(settings, rules, metrics)
        app.state.backend = runtime
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="DTI Monitor", version="1", description=DESCRIPTION, lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.include_router(events.router)
    app.include_router(observations.router)
    app.include_router(read.router)
    app.include_router(rules_routes.router)
    app.include_router(years_routes.router)
    app.include_router(ops.router)
    app.include_router(alerts_routes.router)
    app.include_router(web.router)
    app.include_router(reports_routes.router)
    install_error_handlers(app)
    install_openapi(app)
    install_docs(app)
    app.add_middleware(RequestContext, metrics=metrics)
    app.add_middleware(GZipMiddleware, minimum_size=1000)  # /v1/alerts and the scores shrink ~10x on the wire
    return app

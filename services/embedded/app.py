"""`dti up`: the ingest API, scoring, the read API and /metrics in one FastAPI app on one port."""

from __future__ import annotations

from fastapi import FastAPI

from services.alerts import routes as alerts_routes
from services.common import ops, rules_routes, years_routes
from services.common.metrics import ServiceMetrics
from services.embedded.runtime import EmbeddedRuntime
from services.ingest.routes import events, observations
from services.kernel import service_app
from services.reports import routes as reports_routes
from services.scoring.routes import read
from services.web import routes as web
from shared.rules import load_ruleset, resolve_manifest
from shared.settings import Settings

DESCRIPTION = """
DTI Monitor — theo dõi Chỉ số chuyển đổi số cấp tỉnh gần thời gian thực.

Provincial systems push events (`POST /v1/events`) with a source key (`Authorization: Bearer …`, created by
`dti keys create --source NAME`); departments submit periodic figures (`POST /v1/observations`, JSON or an
.xlsx/.csv upload). Scores are recomputed as events arrive (`GET /v1/scores`, `GET /v1/gaps`).
"""


def create_app(settings: Settings) -> FastAPI:
    """Invalid rules raise RulesInvalid here, before a port is opened; the runtime opens its files when the
    app starts."""
    rules = load_ruleset(resolve_manifest(settings.rules))
    metrics = ServiceMetrics()
    routers = [
        events.router,
        observations.router,
        read.router,
        rules_routes.router,
        years_routes.router,
        ops.router,
        alerts_routes.router,
        web.router,
        reports_routes.router,
    ]
    # gzip: /v1/alerts and the scores shrink ~10x on the wire
    return service_app(
        "DTI Monitor", DESCRIPTION, metrics, lambda: EmbeddedRuntime(settings, rules, metrics), routers, gzip=True
    )

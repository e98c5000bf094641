"""Health, readiness and Prometheus metrics endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.common.backend import Backend, backend

router = APIRouter(tags=["operations"])
Dep = Annotated[Backend, Depends(backend)]


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(b: Dep) -> JSONResponse:
    """Ready once state is recovered and the rules are loaded."""
    if not b.ready:
        return JSONResponse({"status": "starting"}, status_code=503)
    return JSONResponse({"status": "ready", "rules_version": b.rules.current.version})


@router.get("/metrics")
def metrics(b: Dep) -> Response:
    return Response(generate_latest(b.metrics.registry), media_type=CONTENT_TYPE_LATEST)

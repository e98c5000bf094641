"""What the three Kafka services' FastAPI apps share: the error handler, the middleware, ops routes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from services.common import ops, rules_routes
from services.common.metrics import ServiceMetrics
from services.common.middleware import RequestContext
from services.embedded.app import _validation_error

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def service_app(title: str, description: str, metrics: ServiceMetrics, lifespan: Lifespan) -> FastAPI:
    app = FastAPI(title=title, version="1", description=description, lifespan=lifespan)
    app.include_router(ops.router)
    app.include_router(rules_routes.router)
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_middleware(RequestContext, metrics=metrics)
    return app


__all__ = ["AsyncIterator", "service_app"]

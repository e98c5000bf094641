"""The FastAPI app every service is: its runtime started and stopped with it (`app.state.backend`), the
project's error answers (`install_error_handlers`, `validation_error`), OpenAPI, /docs, request context."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Protocol

from fastapi import APIRouter, FastAPI
from fastapi.middleware.gzip import GZipMiddleware

from services.common.docs import install_docs
from services.common.errors import install_error_handlers
from services.common.metrics import ServiceMetrics
from services.common.middleware import RequestContext


class Runtime(Protocol):
    """A service's backend: started with the app, stopped with it, reachable as `app.state.backend`."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def service_app(
    title: str,
    description: str,
    metrics: ServiceMetrics,
    make_runtime: Callable[[], Runtime],
    routers: Sequence[APIRouter],
    *,
    gzip: bool = False,
) -> FastAPI:
    """`make_runtime` runs when the app starts (the embedded runtime opens its files then, not at import);
    `routers` are included in order. `gzip` for services whose answers are large (scores, /v1/alerts
    shrink about 10x on the wire)."""
    # here, not at the top: the OpenAPI builder reads the key store's auth, and the key store opens SQLite
    # through this package, so a top-level import would be circular
    from services.common.openapi import install_openapi

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = make_runtime()
        app.state.backend = runtime
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=title, version="1", description=description, lifespan=lifespan, docs_url=None, redoc_url=None)
    for router in routers:
        app.include_router(router)
    install_error_handlers(app)
    install_openapi(app)
    install_docs(app)
    app.add_middleware(RequestContext, metrics=metrics)
    if gzip:
        app.add_middleware(GZipMiddleware, minimum_size=1000)
    return app

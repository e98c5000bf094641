"""What the three Kafka services' FastAPI apps share: the runtime's lifespan, the error handler, the
middleware, ops routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from fastapi import FastAPI

from services.common import ops, rules_routes
from services.common.docs import install_docs
from services.common.errors import install_error_handlers
from services.common.metrics import ServiceMetrics
from services.common.middleware import RequestContext
from services.common.openapi import install_openapi


class Runtime(Protocol):
    """A service's backend: started with the app, stopped with it, reachable as `app.state.backend`."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def service_app(title: str, description: str, metrics: ServiceMetrics, runtime: Runtime) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.backend = runtime
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=title, version="1", description=description, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.include_router(ops.router)
    app.include_router(rules_routes.router)
    install_error_handlers(app)
    install_openapi(app)
    install_docs(app)
    app.add_middleware(RequestContext, metrics=metrics)
    return app

"""`/docs` (Swagger UI) served from files inside an installed package, so the API documentation works on a
machine without internet (a provincial data centre's network often has none).

The files come from the `fastapi-offline` wheel (Swagger UI 5, which reads OpenAPI 3.1 as FastAPI writes it);
only its static directory is used, mounted at `/docs/static`, with FastAPI's own page builder.
`swagger-ui-bundle` was tried first: it ships Swagger UI 4, which refuses an OpenAPI 3.1 document. `/redoc`
is not served: ReDoc's page loads its logo from the internet.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(str(files("fastapi_offline") / "static"))
PREFIX = "/docs/static"


def install_docs(app: FastAPI) -> None:
    """For an app created with `docs_url=None, redoc_url=None`."""
    app.mount(PREFIX, StaticFiles(directory=STATIC), name="docs-static")
    title = f"{app.title} — API"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{PREFIX}/favicon.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_ui_parameters={"persistAuthorization": True, "validatorUrl": None},  # no badge from the internet
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

"""The API docs page (/docs), served whole by the server itself: the backend is meant to run offline,
and FastAPI's default page loads Swagger UI from a CDN (a blank page without internet). The assets
come from the pinned ``swagger-ui-bundle`` package; ReDoc has no such package, so /redoc is not served.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

DOCS_URL = "/docs"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
# Swagger UI's files; the request guard lets this prefix through without a token, like the page.
STATIC_PREFIX = "/docs/static/"


def add_docs(app: FastAPI) -> None:
    """Serve /docs and its assets from this app (the app must be built with docs_url=None)."""
    title = f"{app.title} - API docs"
    app.mount(STATIC_PREFIX.rstrip("/"), StaticFiles(directory=str(swagger_ui_path)), name="docs-static")

    @app.get(DOCS_URL, include_in_schema=False)
    def docs_page() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            swagger_js_url=STATIC_PREFIX + "swagger-ui-bundle.js",
            swagger_css_url=STATIC_PREFIX + "swagger-ui.css",
            swagger_favicon_url=STATIC_PREFIX + "favicon-32x32.png",
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
            # Swagger UI would otherwise send the schema to validator.swagger.io for its badge.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

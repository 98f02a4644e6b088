"""The HTTP API the Blender add-on talks to: versioned routes under /v1, JSON in and out.

``create_app(state, token)`` builds the FastAPI app: the request guard (Host, token, body size),
the error envelope, and the routes (``threedraw.server.routes``, one router per resource). Long
work is a job: ``POST /v1/jobs`` answers 202 with the job, ``GET /v1/jobs/{id}`` reports its state
and progress and, once finished, its result; ``POST /v1/jobs/{id}/cancel`` stops it. Job results,
sketches and experience libraries live in SQLite under the data dir and survive a restart.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from .. import __version__
from .docs import add_docs
from .errors import install_error_handlers
from .guard import PUBLIC, RequestGuard
from .routes import check, jobs, libraries, runs, server_info, sketches
from .state import ServerState

BEARER = "bearer"


def api() -> FastAPI:
    """The routes and error handlers alone (what the OpenAPI schema describes)."""
    app = FastAPI(
        title="threedraw backend",
        version=__version__,
        description="Draw 3D sketches as Bezier curves with an LLM. Every route but GET /v1/health needs "
        "'Authorization: Bearer TOKEN' (the token file that threedraw serve writes); this "
        "page and its schema need none: give the token to Authorize to try the routes.",
        # "/v1/jobs/" is not a route: answer the error envelope, not a bare redirect.
        redirect_slashes=False,
        # Served by add_docs from the server's own files (offline), not from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    add_docs(app)
    for r in (server_info, check, jobs, runs, sketches, libraries):
        app.include_router(r.router)
    app.openapi = lambda: _with_bearer(app)  # type: ignore[method-assign]
    return app


def _with_bearer(app: FastAPI) -> dict[str, Any]:
    """The schema, saying every route needs the bearer token but the public ones: the docs page's
    Authorize button then takes the token and sends it with every "Try it out"."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schema.setdefault("components", {})["securitySchemes"] = {
            BEARER: {
                "type": "http",
                "scheme": "bearer",
                "description": "the token from the server's token file",
            }
        }
        schema["security"] = [{BEARER: []}]
        for method, path in PUBLIC:
            operation = schema["paths"].get(path, {}).get(method.lower())
            if operation is not None:
                operation["security"] = []
        app.openapi_schema = schema
    return app.openapi_schema


def create_app(state: ServerState, token: str, on_stop: Callable[[], None] = lambda: None) -> FastAPI:
    """The served app: the API behind the request guard; the job workers run for its lifespan.

    ``on_stop`` runs when the server shuts down (uvicorn ends a SIGTERM by re-raising it, so
    code after ``Server.run`` may never run; the lifespan's end always does)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.jobs.start()
        try:
            yield
        finally:
            try:
                state.close()
            finally:
                on_stop()

    app = api()
    app.router.lifespan_context = lifespan
    app.state.server = state
    app.add_middleware(
        RequestGuard,
        token=token,
        host_names=state.settings.host_names(),
        max_body_bytes=state.settings.max_body_bytes,
    )
    return app

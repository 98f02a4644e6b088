"""The HTTP API the Blender add-on talks to: versioned routes under /v1, JSON in and out.

``create_app(state, token)`` builds the FastAPI app: the request guard (Host, token, body size),
the error envelope, and the routes (``threedraw.server.routes``, one router per resource). Long
work is a job: ``POST /v1/jobs`` answers 202 with the job, ``GET /v1/jobs/{id}`` reports its state
and progress and, once finished, its result; ``POST /v1/jobs/{id}/cancel`` stops it. Job results,
sketches and experience libraries live in SQLite under the data dir and survive a restart.
"""

from __future__ import annotations

import contextlib
from typing import AsyncIterator, Callable

from fastapi import FastAPI

from .. import __version__
from .errors import install_error_handlers
from .guard import RequestGuard
from .routes import jobs, libraries, server_info, sketches
from .state import ServerState


def api() -> FastAPI:
    """The routes and error handlers alone (what the OpenAPI schema describes)."""
    app = FastAPI(title="threedraw backend", version=__version__,
                  description="Draw 3D sketches as Bezier curves with an LLM. Every route but GET /v1/health needs "
                              "'Authorization: Bearer TOKEN' (the token file that threedraw serve writes).")
    install_error_handlers(app)
    for r in (server_info, jobs, sketches, libraries):
        app.include_router(r.router)
    return app


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
    app.add_middleware(RequestGuard, token=token, host_names=state.settings.host_names(),
                       max_body_bytes=state.settings.max_body_bytes)
    return app

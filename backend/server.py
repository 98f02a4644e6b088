"""The HTTP API the Blender add-on talks to: versioned routes under /v1, JSON in and out.

``create_app(settings, token)`` builds the FastAPI app: the request guard (Host, token, body
size), the error envelope, and the routes below. Long work is a job: ``POST /v1/jobs`` answers
202 with the job, ``GET /v1/jobs/{id}`` reports its state and progress and, once finished, its
result; ``POST /v1/jobs/{id}/cancel`` stops it. Job results, sketches and experience libraries
live in SQLite under the data dir and survive a restart.

Route handlers are plain functions (FastAPI runs them on its thread pool), so a slow SQLite read
never blocks the event loop.
"""

from __future__ import annotations

import contextlib
import os
import platform
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from typing import Annotated, Any, AsyncIterator, Callable, Literal

from fastapi import Body, FastAPI, Query, Request, Response
from pydantic import BaseModel, Field

from . import __version__
from .api_errors import ApiError, ErrorEnvelope, install_error_handlers
from .api_guard import RequestGuard
from .experience import Database, LibraryError, LibraryStore, Operation
from .job_kinds import ScoringModel, job_kinds
from .job_requests import KINDS, JobRequest
from .job_store import STATES, JobStore, StoreError
from .jobs import JobFailed, JobManager, QueueFull
from .llm.openai_compat import API_KEY_ENV
from .settings import ServerSettings

API = "v1"
# Status codes a JobFailed raised at submit maps to.
_SUBMIT_STATUS = {"invalid_request": 422, "library_not_found": 404, "provider_unavailable": 503}
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorEnvelope, "description": text}
    for code, text in ((401, "missing or wrong token"), (403, "Host not allowed"), (404, "not found"),
                       (413, "body too large"), (422, "invalid request"))
}


class Health(BaseModel):
    status: Literal["ok"]
    api: str


class Progress(BaseModel):
    phase: str = Field(description="queued, starting, draw, score, judge, update, validate, epoch, render, done")
    epoch: int | None = None
    step: int | None = Field(None, description="finished units of work, out of total")
    total: int | None = None
    scores: list[float | None] | None = Field(None, description="latest rewards, best first where ranked")
    message: str | None = None
    updated_at: str


class JobError(BaseModel):
    code: str
    message: str
    detail: Any = None


class JobSummary(BaseModel):
    id: str
    kind: str
    state: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    created_at: str
    started_at: str | None
    finished_at: str | None
    progress: Progress
    error: JobError | None


class Job(JobSummary):
    request: dict[str, Any] = Field(description="the request as accepted (defaults filled in)")
    result: dict[str, Any] | None = Field(
        None, description="when succeeded. draw/refine/learn: sketches [{id, sketch, score}] best first; "
                          "score: scores, best; render: views, contact_sheet, cameras. Images are "
                          "{media_type, width, height, data: base64 PNG}")


class JobList(BaseModel):
    jobs: list[JobSummary]


class ServerState:
    """What the routes share: settings, the job manager, the stores (opened here, so a bad data
    dir is reported before the server starts listening)."""

    def __init__(self, settings: ServerSettings):
        self.settings = settings
        self.store = JobStore(settings.db_path)
        try:
            self.library_db = Database.open(settings.data_dir)
            self.libraries = LibraryStore(self.library_db)
        except LibraryError as e:
            self.store.close()
            raise StoreError(str(e)) from None
        self.scoring = ScoringModel(settings.score)
        self.jobs = JobManager(settings, self.store, job_kinds(self.library_db), warm_up=self.scoring.warm_up)

    def close(self) -> None:
        self.jobs.stop()
        self.store.close()
        self.library_db.close()


def api() -> FastAPI:
    """The routes and error handlers alone (what the OpenAPI schema describes)."""
    app = FastAPI(title="threedraw backend", version=__version__,
                  description="Draw 3D sketches as Bezier curves with an LLM. Every route but GET /v1/health needs "
                              "'Authorization: Bearer TOKEN' (the token file that threedraw serve writes).")
    install_error_handlers(app)
    _routes(app)
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


def _state(request: Request) -> ServerState:
    return request.app.state.server


def _routes(app: FastAPI) -> None:
    @app.get(f"/{API}/health", response_model=Health, tags=["server"])
    def health() -> dict[str, Any]:
        """Whether the server is up (no token needed)."""
        return {"status": "ok", "api": API}

    @app.get(f"/{API}/info", tags=["server"], responses=_ERRORS)
    def info(request: Request) -> dict[str, Any]:
        """Versions, the CLIP model and device, the LLM provider (never its key), limits and the queue."""
        s = _state(request)
        opts = s.settings.provider_options
        return {
            "api": API,
            "versions": {"threedraw": __version__, "python": platform.python_version(),
                         **{name: _version(name) for name in ("fastapi", "uvicorn", "torch", "open_clip_torch")}},
            "clip": s.scoring.info(),
            "device": s.scoring.info()["device"],
            "provider": {"kind": s.settings.provider_kind, "model": _model_name(s.settings.provider_kind, opts.model),
                         "base_url": _without_query(opts.base_url),
                         "api_key_set": _key_set()},
            "limits": {"max_views": s.settings.limits.max_views, "max_size": s.settings.limits.max_size,
                       "max_body_bytes": s.settings.max_body_bytes, "llm_jobs": s.jobs.llm_workers},
            "queue": s.jobs.counts(),
            "kinds": list(KINDS),
        }

    # -- jobs ------------------------------------------------------------------
    @app.post(f"/{API}/jobs", status_code=202, response_model=Job, tags=["jobs"],
              responses={**_ERRORS, 429: {"model": ErrorEnvelope, "description": "queue full; see Retry-After"},
                         503: {"model": ErrorEnvelope, "description": "the LLM provider cannot be used"}})
    def submit(request: Request, response: Response, job: Annotated[JobRequest, Body()]) -> dict[str, Any]:
        """Start a job of one of the kinds draw, score, render, refine, learn; poll it with GET."""
        try:
            out = _state(request).jobs.submit(job)
        except QueueFull as e:
            raise ApiError(429, "queue_full", f"{e}; try again in {e.retry_after} s", {"retry_after": e.retry_after},
                           headers={"Retry-After": str(e.retry_after)}) from None
        except JobFailed as e:
            raise ApiError(_SUBMIT_STATUS.get(e.code, 422), e.code, e.message, e.detail) from None
        response.headers["Location"] = f"/{API}/jobs/{out['id']}"
        return out

    @app.get(f"/{API}/jobs", response_model=JobList, tags=["jobs"], responses=_ERRORS)
    def list_jobs(request: Request,
                  state: Annotated[Literal[STATES] | None, Query()] = None,  # type: ignore[valid-type]
                  kind: Annotated[Literal[KINDS] | None, Query()] = None,  # type: ignore[valid-type]
                  limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
        """Jobs, newest first, without their results."""
        return {"jobs": _state(request).store.list_jobs(kind, state, limit)}

    @app.get(f"/{API}/jobs/{{job_id}}", response_model=Job, tags=["jobs"], responses=_ERRORS)
    def get_job(request: Request, job_id: str) -> dict[str, Any]:
        """A job: its state, progress, and its result (or error) once finished."""
        return _job_or_404(_state(request), job_id)

    @app.post(f"/{API}/jobs/{{job_id}}/cancel", response_model=Job, tags=["jobs"],
              responses={**_ERRORS, 409: {"model": ErrorEnvelope, "description": "the job already finished"}})
    def cancel_job(request: Request, job_id: str) -> dict[str, Any]:
        """Stop a job: a queued one at once, a running one at its next check (within a second of
        the LLM call in flight returning). Cancelling a cancelled job is harmless."""
        s = _state(request)
        job = _job_or_404(s, job_id)
        if job["state"] in ("succeeded", "failed"):
            raise ApiError(409, "job_finished", f"job {job_id} already {job['state']}; there is nothing to cancel")
        return s.jobs.cancel(job_id) or job

    # -- sketches --------------------------------------------------------------
    @app.get(f"/{API}/sketches", tags=["sketches"], responses=_ERRORS)
    def list_sketches(request: Request, job_id: Annotated[str | None, Query(max_length=64)] = None,
                      limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
        """Sketches jobs made, newest first (without their strokes)."""
        return {"sketches": _state(request).store.list_sketches(job_id, limit)}

    @app.get(f"/{API}/sketches/{{sketch_id}}", tags=["sketches"], responses=_ERRORS)
    def get_sketch(request: Request, sketch_id: str) -> dict[str, Any]:
        """One sketch in the canonical JSON, with its score and the job that made it."""
        found = _state(request).store.sketch(sketch_id)
        if found is None:
            raise ApiError(404, "sketch_not_found", f"no sketch with id {sketch_id[:64]!r}")
        return found

    # -- libraries ---------------------------------------------------------------
    @app.get(f"/{API}/libraries", tags=["libraries"], responses=_ERRORS)
    def list_libraries(request: Request) -> dict[str, Any]:
        """Experience libraries: name, head version, number of lessons."""
        return {"libraries": [x.to_dict() for x in _state(request).libraries.list()]}

    @app.get(f"/{API}/libraries/{{name}}", tags=["libraries"], responses=_ERRORS)
    def get_library(request: Request, name: str,
                    version: Annotated[int | None, Query(ge=0)] = None) -> dict[str, Any]:
        """A library's lessons at its head (or at ``version``)."""
        libs = _state(request).libraries
        with _not_found():
            info = libs.info(name)
            lessons = libs.lessons(name, version)
        return {"library": info.to_dict(), "version": info.head if version is None else version,
                "lessons": [x.to_dict() for x in lessons]}

    @app.delete(f"/{API}/libraries/{{name}}/lessons/{{lesson_id}}", tags=["libraries"], responses=_ERRORS)
    def delete_lesson(request: Request, name: str, lesson_id: str) -> dict[str, Any]:
        """Delete one lesson: a new head version without it (earlier versions keep it)."""
        libs = _state(request).libraries
        with _not_found():
            lessons = libs.lessons(name)
        if not any(x.id == lesson_id for x in lessons):
            ids = ", ".join(x.id for x in lessons) or "none"
            raise ApiError(404, "lesson_not_found",
                           f"library {name} has no lesson {lesson_id[:32]!r} at its head (lessons: {ids})")
        try:
            version, _ = libs.apply(name, [Operation("delete", id=lesson_id)],
                                    provenance={"source": "api"}, note=f"deleted {lesson_id} over the API")
        except LibraryError as e:  # the database could not save: nothing changed
            raise ApiError(503, "library_error", str(e)) from None
        info = libs.info(name)
        return {"library": info.to_dict(), "version": version, "deleted": lesson_id}

    @app.get(f"/{API}/libraries/{{name}}/export", tags=["libraries"], responses=_ERRORS)
    def export_library(request: Request, name: str,
                       version: Annotated[int | None, Query(ge=0)] = None) -> dict[str, Any]:
        """The library as a file ``threedraw library import`` reads (format threedraw.library/1)."""
        with _not_found():
            return _state(request).libraries.export(name, version)


def _job_or_404(state: ServerState, job_id: str) -> dict[str, Any]:
    job = state.store.get(job_id)
    if job is None:
        raise ApiError(404, "job_not_found", f"no job with id {job_id[:64]!r} (finished jobs are kept for the "
                                             f"newest {state.settings.keep_jobs})")
    return job


@contextlib.contextmanager
def _not_found() -> Any:
    """Reading a library: a LibraryError means no such library or version (the message says which)."""
    try:
        yield
    except LibraryError as e:
        raise ApiError(404, "library_not_found", str(e)) from None


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _model_name(kind: str, model: str | None) -> str | None:
    """A local model is a file: its name only, never the machine path."""
    return Path(model).name if kind == "local" and model else model


def _without_query(url: str | None) -> str | None:
    """The base URL without query or fragment (where some APIs would take a key)."""
    if not url:
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _key_set() -> bool:
    return bool(os.environ.get(API_KEY_ENV, "").strip())

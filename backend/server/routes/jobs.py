"""/v1/jobs: start a job (202), list them, read one (state, progress, result, live strokes), follow one
as server-sent events, cancel one."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from ..errors import ApiError
from ..jobs.events import job_events
from ..jobs.manager import JobFailed, QueueFull
from ..jobs.row import JobRow
from ..jobs.store import STATES
from ..schemas import KINDS, Job, JobList, JobRequest, JobStrokes, LiveStroke
from ..state import ServerState, server_state
from . import API, ERRORS, QUEUE_FULL, errors

router = APIRouter(prefix=f"/{API}/jobs", tags=["jobs"])

# Status codes a JobFailed raised at submit maps to.
_SUBMIT_STATUS = {
    "invalid_request": 422,
    "library_not_found": 404,
    "provider_unavailable": 503,
    "storage_unavailable": 503,
}


@router.post(
    "",
    status_code=202,
    response_model=Job,
    responses=errors(QUEUE_FULL, (503, "the LLM provider or the server's storage cannot be used")),
)
def submit(request: Request, response: Response, job: Annotated[JobRequest, Body()]) -> dict[str, Any]:
    """Start a job of one of the kinds draw, score, render, refine, learn; poll it with GET."""
    return submit_job(request, response, job)


def submit_job(request: Request, response: Response, job: Any) -> dict[str, Any]:
    """Queue ``job`` (a request model): the job, or the error envelope of a refusal."""
    try:
        out = server_state(request).jobs.submit(job)
    except QueueFull as e:
        raise ApiError(
            429,
            "queue_full",
            f"{e}; try again in {e.retry_after} s",
            {"retry_after": e.retry_after},
            headers={"Retry-After": str(e.retry_after)},
        ) from None
    except JobFailed as e:
        raise ApiError(_SUBMIT_STATUS.get(e.code, 422), e.code, e.message, e.detail) from None
    response.headers["Location"] = f"/{API}/jobs/{out.id}"
    return out.to_dict()


@router.get("", response_model=JobList, responses=ERRORS)
def list_jobs(
    request: Request,
    state: Annotated[Literal[STATES] | None, Query()] = None,  # type: ignore[valid-type]
    kind: Annotated[Literal[KINDS] | None, Query()] = None,  # type: ignore[valid-type]
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Jobs, newest first, without their results."""
    return {"jobs": [job.to_dict() for job in server_state(request).store.list_jobs(kind, state, limit)]}


@router.get(
    "/{job_id}",
    response_model=Job,
    responses={
        **ERRORS,
        200: {"model": JobStrokes, "description": "the job; with since, also seq and strokes (JobStrokes)"},
    },
)
def get_job(
    request: Request,
    job_id: str,
    since: Annotated[
        int | None, Query(ge=0, description="also return the live strokes after this seq")
    ] = None,
) -> Any:
    """A job: its state, progress, and its result (or error) once finished. With ``since=SEQ`` also
    ``seq`` (the highest stroke sequence number so far) and ``strokes``: the strokes a running draw or
    refine job received with seq > SEQ, in order, at most 256 (ask again from the last seq for more).
    Each names its candidate and that candidate's ``reply`` (from 1): a stroke with a higher reply than the
    candidate's last starts that candidate over (a retried stream, or the next refine round)."""
    s = server_state(request)
    job = _job_or_404(s, job_id)
    if since is None:
        return job.to_dict()
    seq, strokes = s.jobs.live.since(job_id, since)
    return JSONResponse(
        JobStrokes.model_validate(
            {**job.to_dict(), "seq": seq, "strokes": [item.to_dict() for item in strokes]}
        ).model_dump(mode="json")
    )


@router.get(
    "/{job_id}/events",
    response_class=StreamingResponse,
    responses={
        **ERRORS,
        200: {
            "model": LiveStroke,
            "description": "server-sent events: progress (the job's progress), stroke (a LiveStroke: a stroke with a "
            "higher reply than the candidate's last starts that candidate over, a retried stream or the "
            "next refine round), then one result (the finished job) or error (its error envelope); a late "
            "client first gets the strokes so far",
            "content": {"text/event-stream": {"schema": {"$ref": "#/components/schemas/LiveStroke"}}},
        },
    },
)
def job_events_stream(request: Request, job_id: str) -> StreamingResponse:
    """Follow a job as server-sent events until it finishes, then the stream closes."""
    s = server_state(request)
    _job_or_404(s, job_id)
    return StreamingResponse(
        job_events(s, job_id, request), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


@router.post(
    "/{job_id}/cancel",
    response_model=Job,
    responses=errors((409, "the job already finished")),
)
def cancel_job(request: Request, job_id: str) -> dict[str, Any]:
    """Stop a job: a queued one at once, a running one at its next check (within a second of
    the LLM call in flight returning). Cancelling a cancelled job is harmless."""
    s = server_state(request)
    job = _job_or_404(s, job_id)
    if job.state in ("succeeded", "failed"):
        raise ApiError(409, "job_finished", f"job {job_id} already {job.state}; there is nothing to cancel")
    return (s.jobs.cancel(job_id) or job).to_dict()


def _job_or_404(state: ServerState, job_id: str) -> JobRow:
    job = state.store.get(job_id)
    if job is None:
        raise ApiError(
            404,
            "job_not_found",
            f"no job with id {job_id[:64]!r} (finished jobs are kept for the "
            f"newest {state.settings.keep_jobs})",
        )
    return job

"""/v1/runs: learning runs (what ``threedraw learn`` and learn jobs record), and resuming a stopped one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from ...library.runs import RunError, RunInfo, RunStore
from ..errors import ApiError
from ..schemas import Job, LearnJob, LibraryName, RunList
from ..state import server_state
from . import API, ERRORS, QUEUE_FULL, errors
from .jobs import submit_job

router = APIRouter(prefix=f"/{API}/runs", tags=["runs"])


@router.get("", response_model=RunList, responses=ERRORS)
def list_runs(
    request: Request,
    library: Annotated[LibraryName | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Learning runs, newest first (of one library with ``library``)."""
    runs = server_state(request).runs
    return {"runs": [_summary(runs, r) for r in runs.list(library, limit)]}


@router.get("/{run_id}", responses=ERRORS)
def get_run(request: Request, run_id: str) -> dict[str, Any]:
    """A run, its finished epochs (version, validation score) and its cost so far."""
    runs = server_state(request).runs
    run = _run_or_404(runs, run_id)
    return {
        **_summary(runs, run),
        "config": run.config,
        "epochs": [e.to_dict() for e in runs.epochs(run.id)],
        "cost": runs.cost(run.id).to_dict(),
    }


@router.post(
    "/{run_id}/resume",
    status_code=202,
    response_model=Job,
    responses=errors((409, "the run is finished or running"), QUEUE_FULL),
)
def resume_run(request: Request, response: Response, run_id: str) -> dict[str, Any]:
    """Go on with a stopped run (its finished steps are kept): a learn job, as POST /v1/jobs starts one."""
    runs = server_state(request).runs
    problem = runs.resume_problem(_run_or_404(runs, run_id))
    if problem:
        raise ApiError(409, "run_not_resumable", problem)
    return submit_job(request, response, LearnJob(kind="learn", resume=run_id))


def _summary(runs: RunStore, run: RunInfo) -> dict[str, Any]:
    d = run.to_dict()
    d.pop("config")
    return {**d, "resumable": runs.resume_problem(run) is None}


def _run_or_404(runs: RunStore, run_id: str) -> RunInfo:
    try:
        return runs.get(run_id)
    except RunError:
        raise ApiError(
            404, "run_not_found", f"no learning run {run_id[:64]!r} (GET /v1/runs lists them)"
        ) from None

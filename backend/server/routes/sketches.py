"""/v1/sketches: the sketches jobs made, kept in the job store."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from ..errors import ApiError
from ..state import server_state
from . import API, ERRORS

router = APIRouter(prefix=f"/{API}/sketches", tags=["sketches"])


@router.get("", responses=ERRORS)
def list_sketches(
    request: Request,
    job_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Sketches jobs made, newest first (without their strokes)."""
    return {"sketches": [s.to_dict() for s in server_state(request).store.list_sketches(job_id, limit)]}


@router.get("/{sketch_id}", responses=ERRORS)
def get_sketch(request: Request, sketch_id: str) -> dict[str, Any]:
    """One sketch in the canonical JSON, with its score and the job that made it."""
    found = server_state(request).store.sketch(sketch_id)
    if found is None:
        raise ApiError(404, "sketch_not_found", f"no sketch with id {sketch_id[:64]!r}")
    return found.to_dict()

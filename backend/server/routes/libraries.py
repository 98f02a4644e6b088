"""/v1/libraries: the experience libraries, their lessons, deleting one lesson, the export file."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from ...library.lessons import LibraryError, Operation
from ..errors import ApiError
from ..state import server_state
from . import API, ERRORS

router = APIRouter(prefix=f"/{API}/libraries", tags=["libraries"])


@router.get("", responses=ERRORS)
def list_libraries(request: Request) -> dict[str, Any]:
    """Experience libraries: name, head version, number of lessons."""
    return {"libraries": [x.to_dict() for x in server_state(request).libraries.list()]}


@router.get("/{name}", responses=ERRORS)
def get_library(
    request: Request, name: str, version: Annotated[int | None, Query(ge=0)] = None
) -> dict[str, Any]:
    """A library's lessons at its head (or at ``version``)."""
    libs = server_state(request).libraries
    with _not_found():
        info = libs.info(name)
        lessons = libs.lessons(name, version)
    return {
        "library": info.to_dict(),
        "version": info.head if version is None else version,
        "lessons": [x.to_dict() for x in lessons],
    }


@router.delete("/{name}/lessons/{lesson_id}", responses=ERRORS)
def delete_lesson(request: Request, name: str, lesson_id: str) -> dict[str, Any]:
    """Delete one lesson: a new head version without it (earlier versions keep it)."""
    libs = server_state(request).libraries
    with _not_found():
        lessons = libs.lessons(name)
    if not any(x.id == lesson_id for x in lessons):
        ids = ", ".join(x.id for x in lessons) or "none"
        raise ApiError(
            404,
            "lesson_not_found",
            f"library {name} has no lesson {lesson_id[:32]!r} at its head (lessons: {ids})",
        )
    with _not_found():
        version, _ = libs.apply(
            name,
            [Operation("delete", id=lesson_id)],
            provenance={"source": "api"},
            note=f"deleted {lesson_id} over the API",
        )
    info = libs.info(name)
    return {"library": info.to_dict(), "version": version, "deleted": lesson_id}


@router.get("/{name}/export", responses=ERRORS)
def export_library(
    request: Request, name: str, version: Annotated[int | None, Query(ge=0)] = None
) -> dict[str, Any]:
    """The library as a file ``threedraw library import`` reads (format threedraw.library/1)."""
    with _not_found():
        return server_state(request).libraries.export(name, version)


@contextlib.contextmanager
def _not_found() -> Iterator[None]:
    """A LibraryError here means no such library or version (the message says which); a storage
    fault is a StorageError and answers 503, never 404."""
    try:
        yield
    except LibraryError as e:
        raise ApiError(404, "library_not_found", str(e)) from None

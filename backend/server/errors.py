"""One error envelope for every failure the server answers::

    {"error": {"code": "queue_full", "message": "what went wrong and what to do", "detail": ...}}

``code`` is stable (clients branch on it), ``message`` is one line a user can act on, ``detail``
is structured extra information or null. FastAPI's own 404, 405 and 422 answers, the guard's
401/403/413, storage faults (503 ``storage_unavailable``) and unexpected exceptions all come out
in this shape.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from ..storage import StorageError

log = logging.getLogger("threedraw.server")

MAX_VALIDATION_ERRORS = 20  # listed in detail; a huge bad body must not make a huge answer
MAX_MESSAGE_ERRORS = 3  # named in the one-line message

# Status -> code for errors FastAPI, Starlette or the guard raise as HTTPException.
_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}


class ErrorBody(BaseModel):
    code: str
    message: str
    detail: Any = None


class ErrorEnvelope(BaseModel):
    """The shape of every error answer."""

    error: ErrorBody


class ApiError(Exception):
    """An error answer: raise it from a route."""

    def __init__(
        self, status: int, code: str, message: str, detail: Any = None, headers: dict[str, str] | None = None
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.headers = headers


def envelope(code: str, message: str, detail: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "detail": detail}}


def error_response(
    status: int, code: str, message: str, detail: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(envelope(code, message, detail), status_code=status, headers=headers)


def error_bytes(code: str, message: str) -> bytes:
    """The envelope as bytes, for the ASGI guard that answers before FastAPI runs."""
    return json.dumps(envelope(code, message), separators=(",", ":")).encode()


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.detail, exc.headers)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        if exc.status_code == 404:
            message = f"no route {request.url.path[:200]}: the API is under /v1 (see /openapi.json)"
        elif exc.status_code == 405:
            message = f"{request.url.path[:200]} does not take {request.method} (see /openapi.json)"
        else:
            message = str(exc.detail)
        return error_response(exc.status_code, code, message, None, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [_problem(e) for e in exc.errors()]
        named = "; ".join(
            f"{p['where']}: {p['message']}" if p["where"] else p["message"]
            for p in problems[:MAX_MESSAGE_ERRORS]
        )
        more = len(problems) - MAX_MESSAGE_ERRORS
        message = f"invalid request: {named}" + (f" (and {more} more)" if more > 0 else "")
        return error_response(422, "invalid_request", message, problems[:MAX_VALIDATION_ERRORS])

    @app.exception_handler(StorageError)
    async def _storage(request: Request, exc: StorageError) -> JSONResponse:
        # A disk or database fault: the server's, not the client's, and never a "not found".
        log.error("storage fault on %s %s: %s", request.method, request.url.path, exc)
        return error_response(503, "storage_unavailable", f"the server's storage failed: {exc}")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The traceback goes to the server's log; the client gets no internals.
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(
            500, "internal_error", "the server hit an unexpected error; the server log has the details"
        )


def _problem(err: dict[str, Any]) -> dict[str, str]:
    """One validation error as {where, message, type}; the offending input is left out (it may be huge).

    ``where`` reads like the JSON path: ``draw.lessons[2]`` (a job body starts with its kind),
    ``query limit``."""
    kind = str(err.get("type", ""))
    loc = list(err.get("loc", ()))
    source = loc.pop(0) if loc and loc[0] in ("body", "query", "path", "header") else "body"
    where = ""
    for part in loc:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    if source != "body":
        where = f"{source} {where}".strip()
    message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    ctx = err.get("ctx") or {}
    if kind == "json_invalid":
        where, message = "", "the body is not valid JSON" + (f" ({ctx['error']})" if ctx.get("error") else "")
    elif kind == "union_tag_not_found":
        field = str(ctx.get("discriminator", "kind")).strip("'")
        message = f"missing {field}: say which kind of job (see /openapi.json)"
    return {"where": where, "message": message, "type": kind}

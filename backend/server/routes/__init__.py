"""The API's routes, one router per resource: server (health, info), jobs, sketches, libraries.

Route handlers are plain functions (FastAPI runs them on its thread pool), so a slow SQLite read
never blocks the event loop. A storage fault anywhere answers 503 ``storage_unavailable``.
"""

from __future__ import annotations

from typing import Any

from ..errors import ErrorEnvelope

API = "v1"
Responses = dict[int | str, dict[str, Any]]


def _envelopes(answers: tuple[tuple[int, str], ...]) -> Responses:
    return {code: {"model": ErrorEnvelope, "description": text} for code, text in answers}


# The error answers every route may give, as OpenAPI documents them.
ERRORS = _envelopes(
    (
        (401, "missing or wrong token"),
        (403, "Host not allowed"),
        (404, "not found"),
        (413, "body too large"),
        (422, "invalid request"),
        (503, "the server's storage failed (storage_unavailable)"),
    )
)
# What a route that queues a job may answer besides.
QUEUE_FULL = (429, "queue full; see Retry-After")


def errors(*answers: tuple[int, str]) -> Responses:
    """ERRORS with a route's own error answers, each (status, what it means), added or replacing."""
    return {**ERRORS, **_envelopes(answers)}

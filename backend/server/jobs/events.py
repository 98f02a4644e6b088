"""A job as server-sent events: progress, each live stroke, then its result or error.

Each stream reads the job's live buffer with its own cursor and polls the job's row, so a slow or
vanished client holds no buffer of its own: what it has not read yet stays in the job's capped one.

Streams are paced: a replay of thousands of strokes is written one stroke (a few hundred bytes) at a
time, and the stream gives the event loop back after each, so twenty clients replaying a long job
take turns with each other and with every other request instead of holding the server for the whole
replay (`threedraw bench server`: /v1/health then answers in tens of milliseconds, not seconds).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from ...shared.results import JobProgress

POLL_S = 0.1
# A comment line now and then, so proxies and clients see a quiet job is still alive.
KEEPALIVE_S = 15.0


def event(name: str, data: Any) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


async def job_events(state: Any, job_id: str, request: Any) -> AsyncIterator[bytes]:
    """Events until the job finishes (or the client goes): a late client first gets the strokes so far."""
    cursor, quiet = 0, 0.0
    progress: JobProgress | None = None
    while True:
        job = state.store.get(job_id)
        if job is None:
            yield event("error", {"code": "job_not_found", "message": f"job {job_id[:64]!r} is gone"})
            return
        if job.progress != progress:
            progress = job.progress
            yield event("progress", progress.to_dict())
        while True:  # drain what is new (256 at a time)
            _, items = state.jobs.live.since(job_id, cursor)
            if not items:
                break
            for item in items:
                yield event("stroke", item.to_dict())
                # A turn for the other streams and requests: a write alone never waits while the
                # client keeps up, so without this a replay would hold the event loop to its end.
                await asyncio.sleep(0)
            cursor = items[-1].seq
        if job.finished:
            if job.state == "succeeded":
                yield event("result", job.to_dict())
            else:
                yield event("error", job.error.to_dict() if job.error else _state_error(job.state))
            return
        if await request.is_disconnected():
            return
        await asyncio.sleep(POLL_S)
        quiet += POLL_S
        if quiet >= KEEPALIVE_S:
            quiet = 0.0
            yield b": keep-alive\n\n"


def _state_error(state: str) -> dict[str, str]:
    """The error event of a job that ended without an error of its own (none today: a safeguard)."""
    return {"code": state, "message": f"the job {state}"}

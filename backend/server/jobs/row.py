"""Jobs and sketches as the job store keeps them: rows of its ``jobs`` and ``sketches`` tables, read back typed.

``JobRow.to_dict`` is exactly the JSON of ``GET /v1/jobs/{id}`` (documented as ``Job`` in
backend/server/schemas.py; the add-on reads it as shared/results/job.JobStatus), and, without the
request and result, an item of ``GET /v1/jobs``. ``SketchRow.to_dict`` is ``GET /v1/sketches/{id}``,
and without the sketch an item of ``GET /v1/sketches``.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ...shared.results import JobError, JobProgress
from ...shared.results.fields import Record
from ...shared.results.job import FINISHED


@dataclass(frozen=True)
class JobRow:
    id: str
    kind: str
    state: str  # one of store.STATES
    progress: JobProgress
    error: JobError | None
    run_id: str | None  # learn: its learning run
    created_at: float  # Unix time; the wire has ISO 8601 (iso below)
    started_at: float | None
    finished_at: float | None
    full: bool = True  # read with the request and result (GET one), or without (a listing)
    request: Record | None = None  # the request as accepted (defaults filled in)
    result: Record | None = None  # the kind's result JSON once succeeded (see shared/results/job.py)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "created_at": iso(self.created_at),
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "progress": self.progress.to_dict(),
            "error": None if self.error is None else self.error.to_dict(),
            "run_id": self.run_id,
        }
        if self.full:
            out["request"] = self.request
            out["result"] = self.result
        return out

    @classmethod
    def from_row(cls, row: sqlite3.Row, full: bool) -> JobRow:
        return cls(
            id=row["id"],
            kind=row["kind"],
            state=row["state"],
            progress=JobProgress.shown(json.loads(row["progress"])),  # progress is only shown
            error=JobError.from_dict(json.loads(row["error"])) if row["error"] else None,
            run_id=row["run_id"],
            created_at=row["created_at"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            full=full,
            request=_json(row["request"]) if full else None,
            result=_json(row["result"]) if full else None,
        )


@dataclass(frozen=True)
class SketchRow:
    id: str
    job_id: str
    prompt: str
    strokes: int  # how many the sketch has
    score: Record | None  # the score JSON (shared/results/score.Score) the job gave it, if any
    created_at: float  # Unix time
    sketch: Record | None = None  # the canonical sketch JSON, when read whole

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "job_id": self.job_id,
            "prompt": self.prompt,
            "strokes": self.strokes,
            "score": self.score,
            "created_at": iso(self.created_at),
        }
        if self.sketch is not None:
            out["sketch"] = self.sketch
        return out

    @classmethod
    def from_row(cls, row: sqlite3.Row, whole: bool) -> SketchRow:
        columns = ("id", "job_id", "prompt", "strokes")
        sketch = _json(row["sketch"]) if whole else None
        return cls(*(row[c] for c in columns), _json(row["score"]), row["created_at"], sketch)


def iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds")


def _json(stored: str | None) -> Any:
    """A JSON column's value (an empty or NULL column: None)."""
    return json.loads(stored) if stored else None

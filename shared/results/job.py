"""A job as the add-on reads it (``GET /v1/jobs/{id}``, and the answers of submit and cancel).

Wire format (documented as ``Job`` and ``JobStrokes`` in backend/server/schemas.py): ``{"id", "kind",
"state": queued | running | succeeded | failed | cancelled, "created_at", "started_at", "finished_at",
"progress": JobProgress, "error": JobError | null, "run_id", "request", "result"}``; with ``?since=SEQ``
also ``"seq"`` and ``"strokes": [LiveStroke]``. ``result`` is the kind's result JSON: read it with the
kind's type (draw_result.DrawResult, score_result.ScoreResult, ...), or item by item where one bad
item must not cost the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..sketch import SketchError
from .fields import Record, ResultError, mapping, optional, text
from .job_error import JobError
from .live_stroke import LiveStroke
from .progress import JobProgress

FINISHED = ("succeeded", "failed", "cancelled")


@dataclass(frozen=True)
class JobStatus:
    id: str
    kind: str
    state: str
    progress: JobProgress = field(default_factory=JobProgress)
    error: JobError | None = None
    result: Record | None = None  # the kind's result JSON (see the module docstring)
    request: Record | None = None  # the request as accepted (defaults filled in)
    run_id: str | None = None  # learn: its learning run
    strokes: list[LiveStroke] = field(default_factory=list)  # with ?since=: the new live strokes read
    strokes_until: int = 0  # the seq of the answer's last live stroke, read or not: the next since

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @classmethod
    def from_dict(cls, d: Any, where: str = "job") -> JobStatus:
        """Tolerant: a malformed progress reads as none (it is only shown), a live stroke that cannot
        be read is left out (it is only a preview; the result is checked on its own)."""
        d = mapping(d, where)
        progress = JobProgress.shown(d.get("progress") or {}, f"{where}.progress")
        strokes, until = _live_strokes(d.get("strokes"))
        return cls(
            text(d, "id", where, ""),
            text(d, "kind", where, ""),
            text(d, "state", where, ""),
            progress,
            optional(d, "error", where, JobError.from_dict),
            optional(d, "result", where, mapping),
            optional(d, "request", where, mapping),
            text(d, "run_id", where, None),
            strokes,
            until,
        )


def _live_strokes(items: Any) -> tuple[list[LiveStroke], int]:
    """The live strokes that can be read, and the seq of the last item (an item without a seq ends
    the reading: that answer does not follow the live contract)."""
    out: list[LiveStroke] = []
    until = 0
    for item in items if isinstance(items, list) else ():
        seq = item.get("seq") if isinstance(item, dict) else None
        if not isinstance(seq, int) or isinstance(seq, bool):
            break
        until = max(until, seq)
        try:
            out.append(LiveStroke.from_dict(item))
        except (ResultError, SketchError):
            continue
    return out, until

"""Where a job stands (``GET /v1/jobs/{id}``'s ``progress``, the ``progress`` server-sent event).

Wire format: ``{"phase": str, "epoch": int | null, "step": int | null, "total": int | null,
"scores": [float | null] | null, "message": str | null, "updated_at": str}``; phase is one of
queued, starting, draw, score, judge, update, validate, epoch, render, done. The server builds it
(backend/server/jobs/manager.py) from the runtime's ``Progress`` reports; the add-on reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .fields import ResultError, as_optional_number, integer, items, mapping, text


@dataclass(frozen=True)
class JobProgress:
    phase: str = "queued"
    epoch: int | None = None  # the learning epoch or refine round under way
    step: int | None = 0  # finished units of work, out of total
    total: int | None = None
    scores: list[float | None] | None = None  # latest rewards, best first where ranked
    message: str | None = None
    updated_at: str = ""  # ISO 8601, UTC

    def to_dict(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "epoch": self.epoch,
            "step": self.step,
            "total": self.total,
            "scores": None if self.scores is None else list(self.scores),
            "message": self.message,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = "progress") -> JobProgress:
        """Tolerant: what is missing is its default (an unknown phase is kept as it is)."""
        d = mapping(d, where)
        counts = {key: integer(d, key, where, None) for key in ("epoch", "step", "total")}
        scores = items(d, "scores", where, as_optional_number) if d.get("scores") is not None else None
        return cls(
            phase=text(d, "phase", where, ""),
            scores=scores,
            message=text(d, "message", where, None),
            updated_at=text(d, "updated_at", where, ""),
            **counts,
        )

    @classmethod
    def shown(cls, d: Any, where: str = "progress") -> JobProgress:
        """For display only: progress that cannot be read shows as none rather than failing its job."""
        try:
            return cls.from_dict(d, where)
        except ResultError:
            return cls("")

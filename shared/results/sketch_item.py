"""A sketch a job made, kept by the server under ``id`` (GET /v1/sketches/{id}).

Wire format: ``{"id": str, "sketch": canonical sketch JSON, "score": Score | null}``, and for a
draw ``"candidate": int`` (its index in the round), for a refine ``"round": int`` (0: the start
sketch was never beaten); a drawing of either carries ``"repairs"``: what repair changed in it
(shared/repair.Change records; empty when repair was off).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..repair import Change
from ..sketch import Sketch
from .fields import ResultError, integer, mapping, text
from .score import Score


@dataclass(frozen=True)
class SketchItem:
    id: str
    sketch: Sketch
    score: Score | None
    candidate: int | None = None
    round: int | None = None
    repairs: list[Change] | None = None  # None: not a drawing (or a backend that did not say)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "sketch": self.sketch.to_dict(),
            "score": self.score.to_dict() if self.score is not None else None,
        }
        if self.candidate is not None:
            d["candidate"] = self.candidate
        if self.round is not None:
            d["round"] = self.round
        if self.repairs is not None:
            d["repairs"] = [c.to_dict() for c in self.repairs]
        return d

    @classmethod
    def from_dict(cls, d: Any, where: str = "sketch item") -> SketchItem:
        """Raises ResultError naming the field, or SketchError (shared.sketch) for a bad sketch."""
        d = mapping(d, where)
        if d.get("sketch") is None:
            raise ResultError(f"{where}.sketch: missing")
        score = d.get("score")
        return cls(
            text(d, "id", where, ""),
            Sketch.from_dict(d["sketch"]),
            None if score is None else Score.from_dict(score, f"{where}.score"),
            integer(d, "candidate", where, None),
            integer(d, "round", where, None),
            _repairs(d.get("repairs")),
        )


def _repairs(records: Any) -> list[Change] | None:
    """Repair records are information only: one this version cannot read is left out (a newer
    backend's kind), never a reason to lose the sketch."""
    if not isinstance(records, list):
        return None
    out = []
    for r in records:
        try:
            out.append(Change.from_dict(r))
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return out

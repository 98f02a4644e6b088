"""A stroke a running draw or refine job received while its candidate's reply streams in
(``GET /v1/jobs/{id}?since=SEQ``'s ``strokes``, the ``stroke`` server-sent event).

Wire format: ``{"candidate": int, "seq": int, "stroke": {"id", "points", "label" (when given)},
"reply": int}``. ``seq`` numbers a job's strokes from 1 in the order it received them; ``reply``
counts the candidate's replies within the job from 1: a stroke with a higher reply than the
candidate's last starts that candidate over (a retried stream, or the next refine round).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..sketch import FORMAT, Sketch, Stroke
from .fields import ResultError, integer, mapping


@dataclass(frozen=True)
class LiveStroke:
    candidate: int  # the candidate's index in its round, from 0
    reply: int
    stroke: Stroke
    seq: int = 0  # 0: not numbered (yet)

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate,
            "seq": self.seq,
            "stroke": self.stroke.to_dict(),
            "reply": self.reply,
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = "live stroke") -> LiveStroke:
        """Raises ResultError naming the field, or SketchError (shared.sketch) for a bad stroke."""
        d = mapping(d, where)
        if d.get("stroke") is None:
            raise ResultError(f"{where}.stroke: missing")
        stroke = Sketch.from_dict({"format": FORMAT, "strokes": [d["stroke"]]}).strokes[0]
        return cls(
            integer(d, "candidate", where), integer(d, "reply", where, 1), stroke, integer(d, "seq", where)
        )

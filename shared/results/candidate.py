"""One candidate of a draw: whether the LLM's reply gave a usable sketch, and what it cost. Its
sketch is in the result's ``sketches`` (by ``candidate``); its raw replies stay on the server.

Wire format: ``{"index": int, "ok": bool, "error": str | null, "problems": [str], "repaired": bool,
"usage": Usage, "latency_s": float}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .fields import as_text, flag, integer, items, mapping, number, optional, text
from .usage import Usage


@dataclass(frozen=True)
class CandidateSummary:
    index: int
    ok: bool
    error: str | None = None
    problems: list[str] = field(default_factory=list)  # what the parser dropped or changed in the kept reply
    repaired: bool = False  # the sketch came from the repair reply
    usage: Usage = field(default_factory=Usage)
    latency_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "ok": self.ok,
            "error": self.error,
            "problems": list(self.problems),
            "repaired": self.repaired,
            "usage": self.usage.to_dict(),
            "latency_s": self.latency_s,
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = "candidate") -> CandidateSummary:
        d = mapping(d, where)
        return cls(
            integer(d, "index", where),
            flag(d, "ok", where),
            text(d, "error", where, None),
            items(d, "problems", where, as_text),
            flag(d, "repaired", where),
            optional(d, "usage", where, Usage.from_dict, Usage()),
            number(d, "latency_s", where, 0.0),
        )

"""What a refine job returns (POST /v1/jobs {"kind": "refine"}; built in backend/server/jobs/kinds.py).

Wire format: ``{"prompt", "sketches": [SketchItem] (the best, with its "round"), "lessons":
[LessonView] (after the last round), "learned": [Event] (what changed in them), "library": str | null,
"version": int | null (the library version written), "rounds": [RoundSummary], "usage": Usage,
"calls": int}`` and ``"preview": Image`` when asked for. Lessons and events are lessons.py's types,
which backend/library makes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .fields import ResultError, as_optional_number, integer, items, mapping, number, optional, text
from .image import Image
from .lessons import Event, LessonView
from .sketch_item import SketchItem
from .usage import Usage


@dataclass(frozen=True)
class RoundSummary:
    """One refine round without its raw replies: the rewards, the judged pair, what changed."""

    round: int
    rewards: list[float | None]  # per entry of the round; None: no usable sketch
    best_reward: float | None
    pair: tuple[int, int] | None  # the judged entries (better, worse)
    skipped: str | None  # why no judge was asked, or why its answer was not used
    events: list[Event] = field(default_factory=list)  # what applying the judge's operations did

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "rewards": list(self.rewards),
            "best_reward": self.best_reward,
            "pair": list(self.pair) if self.pair is not None else None,
            "skipped": self.skipped,
            "events": [e.to_dict() for e in self.events],
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = "round") -> RoundSummary:
        d = mapping(d, where)
        pair = d.get("pair")
        if pair is not None and not (
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, int) for x in pair)
        ):
            raise ResultError(f"{where}.pair: expected two entry indexes, got {pair!r:.40}")
        return cls(
            integer(d, "round", where),
            items(d, "rewards", where, as_optional_number),
            number(d, "best_reward", where, None),
            (pair[0], pair[1]) if pair is not None else None,
            text(d, "skipped", where, None),
            items(d, "events", where, Event.from_dict),
        )


@dataclass(frozen=True)
class RefineResult:
    prompt: str
    sketches: list[SketchItem]
    lessons: list[LessonView] = field(default_factory=list)  # after the last round
    learned: list[Event] = field(default_factory=list)  # the events that changed the lessons
    library: str | None = None
    version: int | None = None
    rounds: list[RoundSummary] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    calls: int = 0
    preview: Image | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "prompt": self.prompt,
            "sketches": [s.to_dict() for s in self.sketches],
            "lessons": [x.to_dict() for x in self.lessons],
            "learned": [e.to_dict() for e in self.learned],
            "library": self.library,
            "version": self.version,
            "rounds": [r.to_dict() for r in self.rounds],
            "usage": self.usage.to_dict(),
            "calls": self.calls,
        }
        if self.preview is not None:
            d["preview"] = self.preview.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: Any, where: str = "result") -> RefineResult:
        d = mapping(d, where)
        return cls(
            text(d, "prompt", where, ""),
            items(d, "sketches", where, SketchItem.from_dict),
            items(d, "lessons", where, LessonView.from_dict),
            items(d, "learned", where, Event.from_dict),
            text(d, "library", where, None),
            integer(d, "version", where, None),
            items(d, "rounds", where, RoundSummary.from_dict),
            optional(d, "usage", where, Usage.from_dict, Usage()),
            integer(d, "calls", where, 0),
            optional(d, "preview", where, Image.from_dict),
        )

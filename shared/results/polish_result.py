"""What a polish job returns (POST /v1/jobs {"kind": "polish"}; built in backend/server/jobs/kinds.py).

Wire format: ``{"prompt", "sketches": [SketchItem] (one: the polished sketch, its score with
"polish_steps"), "reward_before", "reward_after" (mean CLIP cosine over the evaluation views),
"largest_move", "trust_radius" (cube units), "steps" (asked for), "steps_done", "best_step",
"interrupted": bool (cancelled between steps: the best sketch so far)}`` and ``"preview": Image``
when asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .fields import flag, integer, items, mapping, number, optional, text
from .image import Image
from .sketch_item import SketchItem


@dataclass(frozen=True)
class PolishResult:
    prompt: str
    sketches: list[SketchItem]
    reward_before: float
    reward_after: float
    largest_move: float
    trust_radius: float
    steps: int
    steps_done: int
    best_step: int
    interrupted: bool = False
    preview: Image | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "prompt": self.prompt,
            "sketches": [s.to_dict() for s in self.sketches],
            "reward_before": self.reward_before,
            "reward_after": self.reward_after,
            "largest_move": self.largest_move,
            "trust_radius": self.trust_radius,
            "steps": self.steps,
            "steps_done": self.steps_done,
            "best_step": self.best_step,
            "interrupted": self.interrupted,
        }
        if self.preview is not None:
            d["preview"] = self.preview.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: Any, where: str = "result") -> PolishResult:
        d = mapping(d, where)
        return cls(
            text(d, "prompt", where, ""),
            items(d, "sketches", where, SketchItem.from_dict),
            number(d, "reward_before", where),
            number(d, "reward_after", where),
            number(d, "largest_move", where, 0.0),
            number(d, "trust_radius", where, 0.0),
            integer(d, "steps", where, 0),
            integer(d, "steps_done", where, 0),
            integer(d, "best_step", where, 0),
            flag(d, "interrupted", where),
            optional(d, "preview", where, Image.from_dict),
        )

"""What a draw job returns (POST /v1/jobs {"kind": "draw"}; built in backend/server/jobs/kinds.py).

Wire format: ``{"prompt", "provider", "model", "sketches": [SketchItem] (every usable candidate,
best first), "candidates": [CandidateSummary] (all of them, in order), "usage": Usage}``
and ``"preview": Image`` when asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .candidate import CandidateSummary
from .fields import items, mapping, optional, text
from .image import Image
from .sketch_item import SketchItem
from .usage import Usage


@dataclass(frozen=True)
class DrawResult:
    prompt: str
    provider: str
    model: str
    sketches: list[SketchItem]
    candidates: list[CandidateSummary] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    preview: Image | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "prompt": self.prompt,
            "provider": self.provider,
            "model": self.model,
            "sketches": [s.to_dict() for s in self.sketches],
            "candidates": [c.to_dict() for c in self.candidates],
            "usage": self.usage.to_dict(),
        }
        if self.preview is not None:
            d["preview"] = self.preview.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: Any, where: str = "result") -> DrawResult:
        d = mapping(d, where)
        return cls(
            text(d, "prompt", where, ""),
            text(d, "provider", where, ""),
            text(d, "model", where, ""),
            items(d, "sketches", where, SketchItem.from_dict),
            items(d, "candidates", where, CandidateSummary.from_dict),
            optional(d, "usage", where, Usage.from_dict, Usage()),
            optional(d, "preview", where, Image.from_dict),
        )

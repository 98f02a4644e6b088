"""What a score job returns (POST /v1/jobs {"kind": "score"}; built in backend/server/jobs/kinds.py).

Wire format: ``{"prompt": str | null, "scores": [Score] (one per given sketch, in order),
"best": int (the index of the best)}`` and ``"preview": Image`` (the best one) when asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .fields import Readers, integer, items, optional, read_object, text
from .image import Image
from .score import Score

# The wire format, read tolerantly.
_READERS: Readers = {
    "prompt": (text, None),
    "scores": (items, Score.from_dict),
    "best": (integer, 0),
    "preview": (optional, Image.from_dict),
}


@dataclass(frozen=True)
class ScoreResult:
    prompt: str | None
    scores: list[Score]
    best: int
    preview: Image | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "prompt": self.prompt,
            "scores": [s.to_dict() for s in self.scores],
            "best": self.best,
        }
        if self.preview is not None:
            d["preview"] = self.preview.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: Any, where: str = "result") -> ScoreResult:
        return read_object(cls, d, where, _READERS)

"""A sketch's score: the reward, its CLIP term per view, and the structure term with its parts.

Wire format (``to_dict``; the score of every job result and of GET /v1/sketches/{id}):
``{"clip_mean": float | null, "clip_per_view": [float], "structure": {"total": float,
"terms": {name: float}, "details": {name: int}}, "reward": float}``. Without CLIP, ``clip_mean``
is null, ``clip_per_view`` empty and the reward is the structure total. The score of a sketch that
polish changed also says how many optimiser steps it took: ``"polish_steps": int`` (absent: 0, never
polished).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from .fields import Readers, as_number, integer, items, mapping, number, optional, read_object


@dataclass(frozen=True)
class StructureScore:
    """Joints that meet, one connected object, no duplicate or tiny strokes, the cube used well."""

    total: float
    terms: dict[str, float]
    details: dict[str, int] = field(default_factory=dict)  # the counts behind the terms

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "terms": dict(self.terms), "details": dict(self.details)}

    @classmethod
    def from_dict(cls, d: Any, where: str = "structure") -> StructureScore:
        d = mapping(d, where)
        terms = mapping(d.get("terms") or {}, f"{where}.terms")
        details = mapping(d.get("details") or {}, f"{where}.details")
        return cls(
            number(d, "total", where, 0.0),
            {str(k): as_number(v, f"{where}.terms.{k}") for k, v in terms.items()},
            {str(k): integer(details, k, f"{where}.details") for k in details},
        )


# The wire format, read tolerantly: a missing reward is 0, missing CLIP or structure parts are none.
_READERS: Readers = {
    "clip_mean": (number, None),
    "clip_per_view": (items, as_number),
    "structure": (optional, StructureScore.from_dict),
    "reward": (number, 0.0),
    "polish_steps": (integer, 0),
}


@dataclass(frozen=True)
class Score:
    clip_mean: float | None
    clip_per_view: list[float]
    structure: StructureScore | None  # None only when read from a record without one
    reward: float
    polish_steps: int = 0  # the CLIP-guided polish steps the scored sketch went through (0: none)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "clip_mean": self.clip_mean,
            "clip_per_view": list(self.clip_per_view),
            "structure": self.structure.to_dict() if self.structure is not None else None,
            "reward": self.reward,
        }
        if self.polish_steps:
            d["polish_steps"] = self.polish_steps
        return d

    @classmethod
    def from_dict(cls, d: Any, where: str = "score") -> Score:
        """Tolerant: a missing reward is 0, missing CLIP or structure parts are none."""
        return read_object(cls, d, where, _READERS)

    def finite(self) -> Score:
        """This score with a NaN or infinite reward as 0: a degenerate render must not win or poison
        a comparison."""
        return self if math.isfinite(self.reward) else replace(self, reward=0.0)

    def describe(self) -> str:
        """One line for a person: reward, CLIP over its views, structure."""
        parts = [f"reward {self.reward:.4f}"]
        if self.clip_mean is not None:
            parts.append(f"CLIP {self.clip_mean:.4f} over {len(self.clip_per_view)} views")
        else:
            parts.append("no CLIP")
        if self.structure is not None:
            parts.append(f"structure {self.structure.total:.4f}")
        if self.polish_steps:
            parts.append(f"polished {self.polish_steps} steps")
        return ", ".join(parts)

"""The settings a learning run's record keeps beside its ``learn`` part (``RunInfo.config``):
the provider it draws with and the scoring it ranks by, names only (never paths, URLs or keys).

Stored format: ``"provider": {"kind", "model", "adaptations"?: {param: value}}`` (``adaptations``:
added by ``RunStore.note_adaptations`` once the API needed some) and ``"score": {"clip_model",
"clip_pretrained", "clip_checkpoint", "views", "size", "structure_weight", "precision"}``. Reading is
tolerant: a record without them (an older one) reads as None, a missing field as None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..scoring.reward import ScoreConfig


@dataclass(frozen=True)
class ProviderRecord:
    kind: str | None  # None: a record without provider settings
    model: str | None  # an API model's name, or a local model's file stem
    adaptations: dict[str, str] = field(default_factory=dict)  # what the API needed (llm/adapt.py)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "model": self.model}
        if self.adaptations:
            out["adaptations"] = dict(self.adaptations)
        return out

    @classmethod
    def from_dict(cls, d: Any) -> ProviderRecord | None:
        if not isinstance(d, dict) or not d:
            return None
        adapted = d.get("adaptations")
        pairs = adapted.items() if isinstance(adapted, dict) else ()
        return cls(d.get("kind"), d.get("model"), {str(p): str(v) for p, v in pairs})


@dataclass(frozen=True)
class ScoreRecord:
    clip_model: str | None = None  # a file or config name, never a path
    clip_pretrained: str | None = None
    clip_checkpoint: str | None = None  # the weights file's name
    views: int | None = None
    size: int | None = None
    structure_weight: float | None = None
    precision: str | None = None

    @classmethod
    def of(cls, config: ScoreConfig) -> ScoreRecord:
        """The scoring settings for a run record: file names only, never machine paths."""
        return cls(
            Path(config.clip_model).name if config.clip_model else None,
            config.clip_pretrained,
            Path(config.clip_checkpoint).name if config.clip_checkpoint else None,
            config.views,
            config.size,
            config.structure_weight,
            config.precision,
        )

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: Any) -> ScoreRecord | None:
        """None for a record without scoring settings (then nothing holds a resumed run to them)."""
        if not isinstance(d, dict) or not d:
            return None
        return cls(**{key: d.get(key) for key in cls.__dataclass_fields__})

"""What a learn job returns (POST /v1/jobs {"kind": "learn"}; made by backend/cke/learner.py).

Wire format: ``{"run_id", "library", "epochs": [epoch record] (epoch, version, validation score,
lessons), "best_epoch": int | null, "best_version": int | null (the kept epoch's library version),
"head": int (the library's head after the run), "cost": {...}}``. Epoch and cost records are the
run store's own (backend/library/runs.py), passed through as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .fields import Record, integer, items, mapping, text


@dataclass(frozen=True)
class LearnResult:
    run_id: str
    library: str
    epochs: list[Record]
    best_epoch: int | None
    best_version: int | None
    head: int
    cost: Record = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "library": self.library,
            "epochs": list(self.epochs),
            "best_epoch": self.best_epoch,
            "best_version": self.best_version,
            "head": self.head,
            "cost": dict(self.cost),
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = "result") -> LearnResult:
        d = mapping(d, where)
        return cls(
            text(d, "run_id", where),
            text(d, "library", where, ""),
            items(d, "epochs", where, mapping),
            integer(d, "best_epoch", where, None),
            integer(d, "best_version", where, None),
            integer(d, "head", where, 0),
            mapping(d.get("cost") or {}, f"{where}.cost"),
        )

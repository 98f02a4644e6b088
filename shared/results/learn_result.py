"""What a learn job returns (POST /v1/jobs {"kind": "learn"}; made by backend/cke/learner.py).

Wire format: ``{"run_id", "library", "epochs": [LearnEpoch], "best_epoch": int | null, "best_version":
int | null (the kept epoch's library version), "head": int (the library's head after the run),
"cost": RunCost (learn_cost.py)}``. An epoch (as the run store keeps it, backend/library/runs.py):
``{"epoch", "version", "score": float | null (validation), "finished_at", "detail": EpochScores}``;
its detail (made by backend/cke/step_records.EpochDetail) is ``{"lessons", "train_best_mean"?,
"val_rewards"?, "val_clip_mean"?, "val_structure_mean"?, "head_kept"?}``: the parts the epoch had.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .fields import as_number, integer, items, mapping, number, optional, text
from .learn_cost import RunCost


@dataclass(frozen=True)
class EpochScores:
    """An epoch's lessons and scores (its ``detail``): a part the epoch did not have is not written."""

    lessons: int  # the library's lessons at the epoch's version
    trained: bool = False  # whether learn steps ran (then train_best_mean is written, null when none scored)
    train_best_mean: float | None = None  # the mean of the learn steps' best rewards
    val_rewards: list[float] | None = None  # keep-best: each validation prompt's reward (None: not validated)
    val_clip_mean: float | None = None  # validated: their best sketches' CLIP mean, where measured
    val_structure_mean: float | None = None  # and structure total
    head_kept: str | None = None  # why the library's head stayed (another run moved it)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"lessons": self.lessons}
        if self.trained:
            out["train_best_mean"] = self.train_best_mean
        if self.val_rewards is not None:
            out["val_rewards"] = list(self.val_rewards)
            out["val_clip_mean"] = self.val_clip_mean
            out["val_structure_mean"] = self.val_structure_mean
        if self.head_kept is not None:
            out["head_kept"] = self.head_kept
        return out

    @classmethod
    def from_dict(cls, d: Any, where: str = "detail") -> EpochScores:
        d = mapping(d, where)
        return cls(
            integer(d, "lessons", where, 0),
            "train_best_mean" in d,
            number(d, "train_best_mean", where, None),
            items(d, "val_rewards", where, as_number) if "val_rewards" in d else None,
            number(d, "val_clip_mean", where, None),
            number(d, "val_structure_mean", where, None),
            text(d, "head_kept", where, None),
        )


@dataclass(frozen=True)
class LearnEpoch:
    """A finished epoch (epoch 0: the starting library, validated when the run keeps the best)."""

    epoch: int
    version: int  # the library version it ended on
    score: float | None  # its validation score (None: not validated)
    finished_at: str
    detail: EpochScores

    def to_dict(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "version": self.version,
            "score": self.score,
            "finished_at": self.finished_at,
            "detail": self.detail.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = "epoch") -> LearnEpoch:
        d = mapping(d, where)
        return cls(
            integer(d, "epoch", where),
            integer(d, "version", where, 0),
            number(d, "score", where, None),
            text(d, "finished_at", where, ""),
            EpochScores.from_dict(d.get("detail") or {}, f"{where}.detail"),
        )


@dataclass(frozen=True)
class LearnResult:
    run_id: str
    library: str
    epochs: list[LearnEpoch]
    best_epoch: int | None
    best_version: int | None
    head: int
    cost: RunCost = field(default_factory=RunCost)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "library": self.library,
            "epochs": [e.to_dict() for e in self.epochs],
            "best_epoch": self.best_epoch,
            "best_version": self.best_version,
            "head": self.head,
            "cost": self.cost.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = "result") -> LearnResult:
        d = mapping(d, where)
        return cls(
            text(d, "run_id", where),
            text(d, "library", where, ""),
            items(d, "epochs", where, LearnEpoch.from_dict),
            integer(d, "best_epoch", where, None),
            integer(d, "best_version", where, None),
            integer(d, "head", where, 0),
            optional(d, "cost", where, RunCost.from_dict, RunCost()),
        )

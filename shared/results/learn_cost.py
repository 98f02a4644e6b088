"""What a learning run cost: LLM calls and tokens per epoch and per object (one query drawn K times
and judged), and for validation (a learn result's ``cost``; made by backend/library/runs.py
``RunStore.cost``, also in a run's export).

Wire format: ``{"epochs": [{"epoch", "objects", "calls", "draw_calls", "judge_calls", "prompt_tokens",
"completion_tokens", "cached_prompt_tokens", "reasoning_tokens", "cost_usd": float | null,
"per_object": {the same counts divided by objects, "cost_usd"}}], "validation": {"calls",
"prompt_tokens", "completion_tokens", "cached_prompt_tokens", "reasoning_tokens"}}``. A cost is null
once any step's price is unknown; a count a record older than it lacks reads as 0.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .fields import integer, items, mapping, optional, read_object
from .step_usage import COUNTS, StepUsage


@dataclass(frozen=True)
class PerObject:
    """An epoch's counts and cost divided by its objects."""

    calls: float
    draw_calls: float
    judge_calls: float
    prompt_tokens: float
    completion_tokens: float
    cached_prompt_tokens: float
    reasoning_tokens: float
    cost_usd: float | None


@dataclass(frozen=True)
class EpochCost:
    """The finished learn steps of one epoch, their usage summed."""

    epoch: int
    objects: int = 0  # finished learn steps
    usage: StepUsage = field(default_factory=lambda: StepUsage(cost_usd=0.0))

    @property
    def per_object(self) -> PerObject:
        n = max(1, self.objects)
        cost = self.usage.cost_usd
        return PerObject(
            **{k: self.usage.count(k) / n for k in COUNTS}, cost_usd=None if cost is None else cost / n
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "objects": self.objects,
            **self.usage.to_dict(),
            "per_object": dataclasses.asdict(self.per_object),
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = "cost.epochs[]") -> EpochCost:
        """Its per_object is not read: it follows from the counts."""
        d = mapping(d, where)
        return cls(integer(d, "epoch", where), integer(d, "objects", where, 0), StepUsage.from_dict(d, where))


@dataclass(frozen=True)
class ValidationCost:
    """Every validation step's calls and tokens summed."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_prompt_tokens: int = 0
    reasoning_tokens: int = 0

    @classmethod
    def of(cls, usage: StepUsage) -> ValidationCost:
        """The counts of ``usage`` a validation cost keeps (validation draws only: no judge calls)."""
        return cls(**{f.name: usage.count(f.name) for f in dataclasses.fields(cls)})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: Any, where: str = "cost.validation") -> ValidationCost:
        return read_object(cls, d, where, {f.name: (integer, 0) for f in dataclasses.fields(cls)})


@dataclass(frozen=True)
class RunCost:
    epochs: list[EpochCost] = field(default_factory=list)
    validation: ValidationCost = field(default_factory=ValidationCost)

    def to_dict(self) -> dict[str, Any]:
        return {"epochs": [e.to_dict() for e in self.epochs], "validation": self.validation.to_dict()}

    @classmethod
    def from_dict(cls, d: Any, where: str = "cost") -> RunCost:
        d = mapping(d, where)
        return cls(
            items(d, "epochs", where, EpochCost.from_dict),
            optional(d, "validation", where, ValidationCost.from_dict, ValidationCost()),
        )

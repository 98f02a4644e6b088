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

from .fields import integer, items, mapping, optional
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


# What a run's validation cost keeps of its steps' usage summed (validation draws only: no judge).
VALIDATION_COUNTS = (
    "calls",
    "prompt_tokens",
    "completion_tokens",
    "cached_prompt_tokens",
    "reasoning_tokens",
)


@dataclass(frozen=True)
class RunCost:
    epochs: list[EpochCost] = field(default_factory=list)
    validation: StepUsage = field(default_factory=StepUsage)  # every validation step's usage summed

    @classmethod
    def of(cls, epochs: list[EpochCost], validation: StepUsage) -> RunCost:
        """From every validation step's usage summed, of which it keeps what its JSON holds."""
        return cls(epochs, StepUsage(**{k: validation.count(k) for k in VALIDATION_COUNTS}))

    def to_dict(self) -> dict[str, Any]:
        return {
            "epochs": [e.to_dict() for e in self.epochs],
            "validation": {k: self.validation.count(k) for k in VALIDATION_COUNTS},
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = "cost") -> RunCost:
        d = mapping(d, where)
        return cls(
            items(d, "epochs", where, EpochCost.from_dict),
            optional(d, "validation", where, StepUsage.from_dict, StepUsage()),
        )

"""What one learning or refine step used: its LLM calls, split into drawing and judging, and the
tokens and cost of them all (a run record's step ``usage``; a run's cost sums these).

Stored format (``to_dict``): ``{"calls", "draw_calls", "judge_calls", "prompt_tokens",
"completion_tokens", "cached_prompt_tokens", "reasoning_tokens": int, "cost_usd": float | null}``
(cost null: a price is unknown). Reading is tolerant: a record older than a count reads it as 0,
one without a cost as unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .fields import Fields, mapping
from .usage import Usage, add_costs

COUNTS = (
    "calls",
    "draw_calls",
    "judge_calls",
    "prompt_tokens",
    "completion_tokens",
    "cached_prompt_tokens",
    "reasoning_tokens",
)


@dataclass(frozen=True)
class StepUsage:
    calls: int = 0
    draw_calls: int = 0
    judge_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_prompt_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float | None = None  # US dollars; None when a price is unknown

    @classmethod
    def of(cls, draw: Usage, judge: Usage, draw_calls: int, judge_calls: int) -> StepUsage:
        total = draw + judge
        return cls(
            draw_calls + judge_calls,
            draw_calls,
            judge_calls,
            total.prompt_tokens,
            total.completion_tokens,
            total.cached_prompt_tokens,
            total.reasoning_tokens,
            total.cost_usd,
        )

    def count(self, key: str) -> int:
        """One of ``COUNTS`` by name (a run's cost sums them key by key)."""
        assert key in COUNTS
        return int(getattr(self, key))

    def __add__(self, other: StepUsage) -> StepUsage:
        """Summed key by key; the cost is unknown once either's is."""
        return StepUsage(
            **{k: self.count(k) + other.count(k) for k in COUNTS},
            cost_usd=add_costs(self.cost_usd, other.cost_usd),
        )

    def to_dict(self) -> dict[str, Any]:
        return {**{key: self.count(key) for key in COUNTS}, "cost_usd": self.cost_usd}

    @classmethod
    def from_dict(cls, d: Any, where: str = "usage") -> StepUsage:
        fields = mapping(d, where)
        cost = fields.get("cost_usd")
        return cls(
            **{key: _count(fields, key) for key in COUNTS},
            cost_usd=float(cost) if isinstance(cost, (int, float)) else None,
        )


def _count(d: Fields, key: str) -> int:
    value = d.get(key)
    return int(value) if isinstance(value, (int, float)) else 0

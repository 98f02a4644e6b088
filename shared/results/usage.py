"""What the LLM calls of a job used. Wire format: ``{"prompt_tokens": int, "completion_tokens": int,
"cost_usd": float | null}`` (null: the provider's price is unknown)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .fields import integer, mapping, number


@dataclass(frozen=True)
class UsageRecord:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": self.cost_usd,
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = "usage") -> UsageRecord:
        d = mapping(d, where)
        return cls(
            integer(d, "prompt_tokens", where, 0),
            integer(d, "completion_tokens", where, 0),
            number(d, "cost_usd", where, None),
        )

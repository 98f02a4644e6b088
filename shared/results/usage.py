"""What LLM calls used: tokens and cost. The one usage type of the project: providers return it
(backend/llm), run records keep it, job results carry it.

Wire format (``to_dict``): ``{"prompt_tokens": int, "completion_tokens": int, "cost_usd": float | null,
"cached_prompt_tokens": int, "reasoning_tokens": int}`` (cost null: the provider's price is unknown).
The last two are optional on reading: results and records older than them read as 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .fields import Readers, integer, number, read_object

# The wire format, read tolerantly: a missing count is 0, a missing cost None (unknown).
_READERS: Readers = {
    "prompt_tokens": (integer, 0),
    "completion_tokens": (integer, 0),
    "cost_usd": (number, None),
    "cached_prompt_tokens": (integer, 0),
    "reasoning_tokens": (integer, 0),
}


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # US dollars; None when the model's price is unknown.
    cost_usd: float | None = 0.0
    # Prompt tokens the API served from its prefix cache (part of prompt_tokens, billed lower).
    cached_prompt_tokens: int = 0
    # Completion tokens a reasoning model spent thinking (part of completion_tokens, never in the text).
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            add_costs(self.cost_usd, other.cost_usd),
            self.cached_prompt_tokens + other.cached_prompt_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": self.cost_usd,
            "cached_prompt_tokens": self.cached_prompt_tokens,
            "reasoning_tokens": self.reasoning_tokens,
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = "usage") -> Usage:
        """Tolerant: a missing count is 0, a missing cost None (unknown)."""
        return read_object(cls, d, where, _READERS)

    def describe(self) -> str:
        """ "1200+300 tokens (800 cached, 120 reasoning)": the usage line every command prints."""
        return f"{self.prompt_tokens}+{self.completion_tokens} tokens{self.details()}"

    def details(self) -> str:
        """ " (800 cached, 120 reasoning)": the prompt tokens that were cache hits and the completion
        tokens spent thinking, where there are any (else "")."""
        parts = [
            f"{n} {what}"
            for n, what in ((self.cached_prompt_tokens, "cached"), (self.reasoning_tokens, "reasoning"))
            if n
        ]
        return f" ({', '.join(parts)})" if parts else ""


def add_costs(a: float | None, b: float | None) -> float | None:
    """Two costs summed; unknown (None) once either is."""
    return None if a is None or b is None else a + b

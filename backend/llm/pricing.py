"""What a call costs: US dollars per million prompt, cached prompt and completion tokens, by model.

The built-in table holds list prices at the time of writing; prices change, so a JSON file
``{"model-name": {"input": 0.28, "cached_input": 0.028, "output": 0.42}, ...}`` (dollars per
million tokens; ``cached_input``, the price of prompt tokens served from the API's prefix cache,
defaults to ``input``) overrides or extends it (``--prices FILE``). An unknown model has cost None:
we say "unknown" rather than guess.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..shared.files import read_document

MAX_PRICE_FILE_BYTES = 256 * 1024
PRICE_FIELDS = ("input", "cached_input", "output")


@dataclass(frozen=True)
class Price:
    input: float  # $ per million prompt tokens (cache misses)
    output: float  # $ per million completion tokens (reasoning included)
    cached_input: float | None = None  # $ per million prompt tokens that were cache hits (None: input)

    def cost(self, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0) -> float:
        cached = min(cached_tokens, prompt_tokens)
        cached_price = self.input if self.cached_input is None else self.cached_input
        return (
            (prompt_tokens - cached) * self.input + cached * cached_price + completion_tokens * self.output
        ) / 1e6


DEFAULT_PRICES: dict[str, Price] = {
    # DeepSeek (the paper's main model): input on a cache miss, output, input on a cache hit.
    "deepseek-chat": Price(0.28, 0.42, 0.028),
    "deepseek-reasoner": Price(0.28, 0.42, 0.028),
    # Google Gemini through its OpenAI-compatible endpoint (cache hits priced as input: a ceiling).
    "gemini-2.5-flash": Price(0.30, 2.50),
    "gemini-2.5-pro": Price(1.25, 10.00),
    # OpenAI.
    "gpt-4o": Price(2.50, 10.00, 1.25),
    "gpt-4o-mini": Price(0.15, 0.60, 0.075),
    "gpt-4.1": Price(2.00, 8.00, 0.50),
    "gpt-4.1-mini": Price(0.40, 1.60, 0.10),
    # OpenAI reasoning models (reasoning tokens are billed as output).
    "gpt-5": Price(1.25, 10.00, 0.125),
    "gpt-5-mini": Price(0.25, 2.00, 0.025),
    "gpt-5-nano": Price(0.05, 0.40, 0.005),
    "o4-mini": Price(1.10, 4.40, 0.275),
}


class PriceTable:
    def __init__(self, prices: Mapping[str, Price] | None = None):
        self._prices = dict(DEFAULT_PRICES if prices is None else prices)

    def cost(
        self, model: str, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0
    ) -> float | None:
        price = self.lookup(model)
        return None if price is None else price.cost(prompt_tokens, completion_tokens, cached_tokens)

    def lookup(self, model: str) -> Price | None:
        if model in self._prices:
            return self._prices[model]
        # Providers often name dated snapshots ("gpt-4o-2024-08-06", "models/gemini-2.5-pro"):
        # fall back to the longest known name the model starts with after any "vendor/" part.
        bare = model.rsplit("/", 1)[-1]
        matches = [k for k in self._prices if bare.startswith(k)]
        return self._prices[max(matches, key=len)] if matches else None

    def updated(self, extra: Mapping[str, Price]) -> PriceTable:
        return PriceTable({**self._prices, **extra})

    @classmethod
    def from_file(cls, path: str | Path, base: PriceTable | None = None) -> PriceTable:
        """Built-in prices overridden by a JSON file; ValueError names the bad entry."""
        p = Path(path)
        data = read_document(p, MAX_PRICE_FILE_BYTES, json.loads, "valid JSON")  # FileReadError: a ValueError
        if not isinstance(data, dict):
            raise ValueError(f'{p.name}: expected an object {{"model": {{"input": ..., "output": ...}}}}')
        extra = {}
        for model, entry in data.items():
            where = f"{p.name}: {model!r}"
            keys = set(entry) if isinstance(entry, dict) else set()
            if not isinstance(entry, dict) or keys - set(PRICE_FIELDS) or not {"input", "output"} <= keys:
                raise ValueError(
                    f'{where}: expected {{"input": dollars, "cached_input": dollars, "output": dollars}} '
                    "per million tokens (cached_input optional)"
                )
            vals: dict[str, float] = {}
            for k in PRICE_FIELDS:
                if k not in entry:
                    continue
                v = entry[k]
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                    raise ValueError(f"{where}.{k}: {v!r} is not a non-negative number")
                vals[k] = float(v)
            extra[model] = Price(vals["input"], vals["output"], vals.get("cached_input"))
        return (base or cls()).updated(extra)

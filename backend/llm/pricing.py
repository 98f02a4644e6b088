"""What a call costs: US dollars per million prompt and completion tokens, by model.

The built-in table holds list prices at the time of writing; prices change, so a
JSON file ``{"model-name": {"input": 0.28, "output": 0.42}, ...}`` (dollars per
million tokens) overrides or extends it (``--prices FILE``). An unknown model has
cost None: we say "unknown" rather than guess.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..shared.files import read_text

MAX_PRICE_FILE_BYTES = 256 * 1024


@dataclass(frozen=True)
class Price:
    input: float  # $ per million prompt tokens
    output: float  # $ per million completion tokens

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input + completion_tokens * self.output) / 1e6


DEFAULT_PRICES: dict[str, Price] = {
    # DeepSeek (the paper's main model), cache-miss input prices.
    "deepseek-chat": Price(0.28, 0.42),
    "deepseek-reasoner": Price(0.28, 0.42),
    # Google Gemini through its OpenAI-compatible endpoint.
    "gemini-2.5-flash": Price(0.30, 2.50),
    "gemini-2.5-pro": Price(1.25, 10.00),
    # OpenAI.
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
}


class PriceTable:
    def __init__(self, prices: Mapping[str, Price] | None = None):
        self._prices = dict(DEFAULT_PRICES if prices is None else prices)

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
        price = self.lookup(model)
        return None if price is None else price.cost(prompt_tokens, completion_tokens)

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
        try:
            data = json.loads(read_text(p, MAX_PRICE_FILE_BYTES))  # FileReadError is a ValueError
        except json.JSONDecodeError as e:
            raise ValueError(f"{p.name}: not valid JSON ({e})") from None
        if not isinstance(data, dict):
            raise ValueError(f'{p.name}: expected an object {{"model": {{"input": ..., "output": ...}}}}')
        extra = {}
        for model, entry in data.items():
            where = f"{p.name}: {model!r}"
            if not isinstance(entry, dict) or set(entry) - {"input", "output"} or len(entry) != 2:
                raise ValueError(
                    f'{where}: expected {{"input": dollars, "output": dollars}} per million tokens'
                )
            vals = []
            for k in ("input", "output"):
                v = entry[k]
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                    raise ValueError(f"{where}.{k}: {v!r} is not a non-negative number")
                vals.append(float(v))
            extra[model] = Price(vals[0], vals[1])
        return (base or cls()).updated(extra)

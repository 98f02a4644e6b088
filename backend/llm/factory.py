"""Making a provider: from arguments (``make_provider``) or from a ``ProviderConfig``.

``ProviderConfig`` owns the defaults every command that talks to an LLM shares (the CLI's
provider options are built from it, the server keeps one); ``KIND_DEFAULTS`` the reply and sketch
sizes per kind of provider. The API key is only ever read from THREEDRAW_API_KEY.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .base import Provider, ProviderError

KINDS = ("local", "openai-compatible")


@dataclass(frozen=True)
class KindDefaults:
    max_tokens: int  # per reply
    max_strokes: int  # asked for in the prompt and the JSON schema


# The 135M local model is slow and small: a short sketch keeps a round under a
# minute on 2 cores. API models draw the paper's richer sketches.
KIND_DEFAULTS = {
    "local": KindDefaults(max_tokens=768, max_strokes=8),
    # 8192: room for a reasoning model's thinking (often 2-5k tokens at medium effort) before a
    # 48-curve sketch (about 3k tokens), and still within every listed API's output limit
    # (deepseek-chat's is 8K). A model stops when it is done: the budget is a ceiling, not a cost.
    "openai-compatible": KindDefaults(max_tokens=8192, max_strokes=48),
}


def defaults_for(kind: str) -> KindDefaults:
    """The reply and sketch sizes for a kind of provider (API defaults for a kind not listed)."""
    return KIND_DEFAULTS.get(kind, KIND_DEFAULTS["openai-compatible"])


def make_provider(
    kind: str, base_url: str | None = None, model: str | None = None, **options: Any
) -> Provider:
    """A provider of ``kind``; ``options`` go to its constructor. Raises ProviderError."""
    if kind == "local":
        from .local import LocalProvider

        return LocalProvider(model or None, **options)
    if kind == "openai-compatible":
        from .openai_compat import OpenAICompatProvider

        if not base_url:
            raise ProviderError(
                "openai-compatible: a base URL is required (--base-url, e.g. https://api.deepseek.com/v1)"
            )
        return OpenAICompatProvider(base_url, model or "", **options)
    raise ProviderError(f"provider {kind!r}: expected one of {', '.join(KINDS)}")


@dataclass(frozen=True)
class ProviderConfig:
    """Which provider to make and how: plain values (the CLI's options and the server's settings)."""

    kind: str | None = None  # None: openai-compatible when base_url is given, else local
    base_url: str | None = None
    model: str | None = None  # API model name, or for local a .gguf path (None: the shipped SmolLM2)
    timeout: float = 120.0  # seconds to wait for one reply
    idle_timeout: float = 60.0  # seconds a streamed reply may go silent between chunks
    retries: int = 3  # on 429/5xx/timeouts
    concurrency: int = 8  # API requests in flight at once
    prices: str | None = None  # a JSON price table file
    json_schema: bool = False  # the API supports response_format json_schema
    reasoning_effort: str | None = None  # "low" | "medium" | "high", sent to reasoning models
    # (parameter, adaptation) pairs a run record kept (llm/adapt.py): a resumed run starts adapted.
    adaptations: tuple[tuple[str, str], ...] = ()

    @property
    def resolved_kind(self) -> str:
        return self.kind or ("openai-compatible" if self.base_url else "local")


def provider_from_config(config: ProviderConfig) -> Provider:
    """The provider the config names; bad values raise ProviderError or ValueError (one clear line)."""
    kind = config.resolved_kind
    if kind == "local":
        if config.base_url and config.kind == "local":
            raise ProviderError(
                "--base-url is for --provider openai-compatible; the local model needs no URL"
            )
        return make_provider("local", model=config.model)
    from .pricing import PriceTable

    # The config's tunables the API provider takes under the same names; the rest are translated.
    same = {name: getattr(config, name) for name in _PROVIDER_OPTIONS}
    return make_provider(
        kind,
        base_url=config.base_url,
        model=config.model,
        max_retries=config.retries,
        prices=PriceTable.from_file(config.prices) if config.prices else None,
        adaptations=dict(config.adaptations),
        **same,
    )


# ProviderConfig's fields that OpenAICompatProvider takes as they are (as keywords of the same name).
_PROVIDER_OPTIONS = ("timeout", "idle_timeout", "concurrency", "json_schema", "reasoning_effort")

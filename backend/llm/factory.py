"""Making a provider: from arguments (library use) or from command-line options.

``add_provider_arguments`` / ``provider_from_args`` are shared by every command that
talks to an LLM (draw, learn, serve), so they all take the same options:

    --provider local|openai-compatible   (default: openai-compatible when --base-url is given, else local)
    --base-url URL   --model NAME|PATH   --timeout S   --retries N   --concurrency N
    --prices FILE    --json-schema

Each option also reads an environment variable (THREEDRAW_PROVIDER, THREEDRAW_BASE_URL,
THREEDRAW_MODEL); the API key is only ever read from THREEDRAW_API_KEY.
"""

from __future__ import annotations

import argparse
import os
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
    "openai-compatible": KindDefaults(max_tokens=4096, max_strokes=48),
}


def defaults_for(provider: Provider) -> KindDefaults:
    """The reply and sketch sizes for a provider (API defaults for a kind not listed)."""
    return KIND_DEFAULTS.get(provider.name, KIND_DEFAULTS["openai-compatible"])


def make_provider(kind: str, base_url: str | None = None, model: str | None = None, **options: Any) -> Provider:
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


def add_provider_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("LLM provider")
    g.add_argument(
        "--provider",
        choices=KINDS,
        default=os.environ.get("THREEDRAW_PROVIDER") or None,
        help="local: the embedded model, no key, no network; openai-compatible: any chat-completions API "
        "(default: openai-compatible when --base-url is given, else local)",
    )
    g.add_argument(
        "--base-url",
        default=os.environ.get("THREEDRAW_BASE_URL") or None,
        metavar="URL",
        help="API base URL as OpenAI clients take it, e.g. https://api.deepseek.com/v1 or http://127.0.0.1:11434/v1; "
        "the key is read from THREEDRAW_API_KEY",
    )
    g.add_argument(
        "--model",
        default=os.environ.get("THREEDRAW_MODEL") or None,
        metavar="NAME",
        help="API model name (e.g. deepseek-chat); for --provider local, a .gguf path (default: the shipped SmolLM2)",
    )
    g.add_argument("--timeout", type=float, default=120.0, metavar="S", help="seconds to wait for one reply (120)")
    g.add_argument("--retries", type=int, default=3, metavar="N", help="retries on 429/5xx/timeouts (3)")
    g.add_argument("--concurrency", type=int, default=8, metavar="N", help="API requests in flight at once (8)")
    g.add_argument(
        "--prices", metavar="FILE", help='JSON price table {"model": {"input": $, "output": $}} per 1M tokens'
    )
    g.add_argument(
        "--json-schema",
        action="store_true",
        help="the API supports response_format json_schema: ask for schema-constrained JSON",
    )


def provider_kind(args: argparse.Namespace) -> str:
    return args.provider or ("openai-compatible" if args.base_url else "local")


def provider_from_args(args: argparse.Namespace) -> Provider:
    """The provider the options name; bad options raise UserError (one clear line)."""
    from ..cli import UserError

    kind = provider_kind(args)
    try:
        if kind == "local":
            if args.base_url and args.provider == "local":
                raise UserError("--base-url is for --provider openai-compatible; the local model needs no URL")
            return make_provider("local", model=args.model)
        from .pricing import PriceTable

        prices = PriceTable.from_file(args.prices) if args.prices else None
        return make_provider(
            kind,
            base_url=args.base_url,
            model=args.model,
            timeout=args.timeout,
            max_retries=args.retries,
            concurrency=args.concurrency,
            prices=prices,
            json_schema=args.json_schema,
        )
    except (ProviderError, ValueError) as e:
        raise UserError(str(e)) from None

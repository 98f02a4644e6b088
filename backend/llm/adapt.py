"""Adapting requests to what a model accepts, once per (base URL, model), remembered.

APIs differ in the parameters they take: OpenAI's reasoning models refuse ``max_tokens`` (they
take ``max_completion_tokens``) and any temperature but 1; some servers refuse ``seed`` or
``stream_options``; llama.cpp's Python server takes ``response_format`` ``json_object`` with a
schema but not ``json_schema``. When a request is refused with an error naming such a parameter
(its ``param`` field, or the message), ``adaptation_for`` says what to send instead; the provider
retries once with it and ``record`` keeps it for the rest of the process, keyed by endpoint and
model, so every later request starts adapted. Each parameter only ever moves forward (at most
one adaptation each; ``response_format`` steps json_schema -> json_object -> text), so adapting
can never loop. The adaptations are plain strings a run record can keep (``{"temperature":
"default"}``) and hand back to a resumed run.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from typing import Any

# What each parameter becomes when the API refuses it.
DROP = "default"  # leave it out: the API's own default applies
RENAMED = "max_completion_tokens"
JSON_OBJECT, TEXT = "json_object", "text"  # response_format's fallbacks, in order
ADAPTABLE = ("max_tokens", "temperature", "seed", "stream_options", "response_format", "reasoning_effort")
# Statuses that can carry a refused parameter: 400/422 as APIs document, and 500 as
# llama-cpp-python's server answers a request its pydantic model rejects.
STATUSES = frozenset({400, 422, 500})
# Words of an error that refuses a parameter itself (OpenAI, vLLM, Ollama, pydantic validation).
REFUSALS = (
    "unsupported",
    "not supported",
    "does not support",
    "unrecognized",
    "unknown",
    "not permitted",
    "not allowed",
    "extra inputs",
    "input should be",
)

_lock = threading.Lock()
_known: dict[tuple[str, str], dict[str, str]] = {}


def known(url: str, model: str) -> dict[str, str]:
    """The adaptations this process has learned for ``model`` at ``url`` (a copy)."""
    with _lock:
        return dict(_known.get((url, model), {}))


def record(url: str, model: str, adaptations: Mapping[str, str]) -> dict[str, str]:
    """Remember adaptations (a resumed run's, or one just learned); returns those that were new."""
    new = {}
    with _lock:
        have = _known.setdefault((url, model), {})
        for param, value in adaptations.items():
            if (
                param in ADAPTABLE
                and isinstance(value, str)
                and _rank(param, value) > _rank(param, have.get(param))
            ):
                have[param] = new[param] = value
    return new


def _rank(param: str, value: str | None) -> int:
    if value is None:
        return 0
    return 2 if param == "response_format" and value == TEXT else 1


def error_fields(raw: bytes) -> tuple[str, str]:
    """An OpenAI-style error body's ``param`` and message (empty strings when absent)."""
    try:
        err = json.loads(raw).get("error")
    except (ValueError, AttributeError):
        return "", raw.decode("utf-8", errors="replace")[:2000]
    if isinstance(err, dict):
        return str(err.get("param") or ""), str(err.get("message") or "")
    return "", str(err or "")


def refused_param(status: int, raw: bytes, sent: Mapping[str, Any]) -> str | None:
    """The parameter of ``sent`` an error reply refuses, if it names one we can adapt."""
    if status not in STATUSES:
        return None
    param, message = error_fields(raw)
    lowered = message.lower()
    if not any(word in lowered for word in REFUSALS):
        return None  # e.g. "max_tokens is too large": a value to change, not a parameter to drop
    if param in ADAPTABLE and param in sent:
        return param
    if status == 500 and "response_format" not in lowered:
        return None  # a server error about something else is transient, as before
    for name in ADAPTABLE:
        # "Unsupported parameter: 'max_tokens'", "('body', 'response_format', 'type')", "...supplied: seed"
        if name in sent and re.search(rf"\b{name}\b", lowered):
            return name
    return None


def next_value(param: str, sent: Mapping[str, Any]) -> str | None:
    """What to send instead of ``sent[param]``; None when there is nothing further to try."""
    if param == "max_tokens":
        return RENAMED
    if param == "response_format":
        fmt = sent.get("response_format") or {}
        return (
            JSON_OBJECT
            if fmt.get("type") == "json_schema"
            else TEXT
            if fmt.get("type") == JSON_OBJECT
            else None
        )
    return DROP


def apply(body: dict[str, Any], adaptations: Mapping[str, str]) -> dict[str, Any]:
    """``body`` as the adapted API takes it (changed in place and returned)."""
    for param, value in adaptations.items():
        if param not in body:
            continue
        if param == "max_tokens" and value == RENAMED:
            body[RENAMED] = body.pop("max_tokens")
        elif param == "response_format" and value == JSON_OBJECT:
            schema = (body["response_format"].get("json_schema") or {}).get("schema")
            body["response_format"] = {"type": JSON_OBJECT, **({"schema": schema} if schema else {})}
        elif param == "response_format" and value == TEXT or value == DROP:
            del body[param]
    return body


def describe(model: str, learned: Mapping[str, str]) -> str:
    """The one line a user reads about what one request had to be adapted to, e.g. "gpt-5-mini takes
    no max_tokens (its reply budget is sent as max_completion_tokens) and no temperature (sampling at
    its default; candidates still differ)"."""
    return f"{model} takes " + " and ".join(
        _PHRASES[(p, v if p == "response_format" else "")] for p, v in learned.items()
    )


_PHRASES = {
    ("max_tokens", ""): "no max_tokens (its reply budget is sent as max_completion_tokens)",
    ("temperature", ""): "no temperature (sampling at its default; candidates still differ)",
    ("seed", ""): "no seed (candidates are drawn without one, not reproducibly)",
    ("stream_options", ""): "no stream_options (streamed replies may come without token counts)",
    ("reasoning_effort", ""): "no reasoning_effort (asking without it)",
    (
        "response_format",
        JSON_OBJECT,
    ): "no json_schema response_format (asking for json_object with the schema)",
    ("response_format", TEXT): "no structured output (asking for JSON by the prompt alone)",
}

"""Does drawing work with this endpoint and model? A few tiny requests, a table of what works.

``threedraw check`` and ``GET /v1/check`` run ``check_provider``: is the API reachable, is the key
accepted, is the model listed, does a tiny chat completion come back (plain and streamed), which
structured output the server has (``json_schema``, ``json_object`` with a schema, or none), whether
it takes an image (for ``--judge-images``), what requests had to be adapted to (``adapt``), and
which token-usage fields it reports. Each request asks for a handful of tokens; the whole check
takes a few seconds against a live API. Drawing works when a completion came back.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from .base import ChatRequest, Completion, Message, Provider, ProviderError, Usage

# A 1x1 white PNG: the smallest picture a multimodal API takes.
PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC"
)
# Enough for a reasoning model to think a little and answer "ok"; a few tokens for the others.
CHECK_MAX_TOKENS = 256
SCHEMA = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}


@dataclass
class Row:
    name: str
    ok: bool | None  # None: not applicable or not known
    detail: str


@dataclass
class CheckResult:
    model: str
    rows: list[Row] = field(default_factory=list)
    adaptations: dict[str, str] = field(default_factory=dict)
    ok: bool = False
    verdict: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "verdict": self.verdict,
            "model": self.model,
            "adaptations": self.adaptations,
            "rows": [{"name": r.name, "ok": r.ok, "detail": r.detail} for r in self.rows],
        }

    def table(self) -> str:
        """The rows as a plain text table, then the verdict."""
        width = max(len(r.name) for r in self.rows) if self.rows else 0
        mark = {True: "yes", False: "NO", None: "-"}
        lines = [f"{r.name:<{width}}  {mark[r.ok]:<3}  {r.detail}" for r in self.rows]
        return "\n".join([*lines, "", self.verdict])


def _ask(text: str, images: tuple[bytes, ...] = (), schema: dict[str, Any] | None = None) -> ChatRequest:
    return ChatRequest(
        (Message("user", text, images=images),),
        temperature=0.7,
        max_tokens=CHECK_MAX_TOKENS,
        json_schema=schema,
    )


async def check_provider(provider: Provider, judge_images: bool = False) -> CheckResult:
    """Probe ``provider``'s endpoint and model (see the module docstring); never raises ProviderError."""
    result = CheckResult(provider.model)
    rows = result.rows
    answered: list[Completion] = []  # every completion that came back
    remote = provider.name == "openai-compatible"
    if remote:
        if not await _reachable(provider, rows):
            return _verdict(result, provider, rows[-1].detail)
    if remote:
        provider.stream = False  # plain first (servers count tokens there), then streamed
    chat = await _try(provider, _ask("Reply with the word ok."), answered)
    if isinstance(chat, str):
        rows.append(Row("chat completion", False, chat))
        return _verdict(result, provider, chat)
    rows.append(Row("chat completion", True, f"{chat.text.strip()[:40]!r} in {chat.latency_s:.1f} s"))
    if remote:
        await _streaming(provider, rows, answered)
    await _structured(provider, rows, answered)
    if remote:
        image = await _try(
            provider, _ask("What colour is this picture? One word.", images=(PIXEL_PNG,)), answered
        )
        ok = not isinstance(image, str)
        why = "the model takes images" if ok else f"{image} (--judge-images will not work)"
        rows.append(Row("image input", ok, why))
        if judge_images and not ok:
            return _verdict(result, provider, "it takes no images, and --judge-images needs them")
    else:
        rows.append(
            Row("image input", False, "the local model reads text only (--judge-images will not work)")
        )
    # A server may count tokens on plain replies only (llama.cpp's streams none): the best seen.
    usage = max((c.usage for c in answered), key=lambda u: (u.total_tokens > 0, u.cached_prompt_tokens))
    rows.append(Row("token usage", bool(usage.total_tokens) or None, _usage_fields(usage)))
    return _verdict(result, provider, None)


async def _reachable(provider: Any, rows: list[Row]) -> bool:
    """Reachable, key accepted, model listed (GET /models); False when drawing cannot work."""
    status, models, why = await provider.list_models()
    if status is None:
        rows.append(Row("reachable", False, why))
        return False
    rows.append(Row("reachable", True, f"{provider.host} answered HTTP {status}"))
    if status in (401, 403):
        rows.append(Row("key accepted", False, f"HTTP {status}: set THREEDRAW_API_KEY to a valid key"))
        return False
    rows.append(
        Row("key accepted", True if status == 200 else None, "" if status == 200 else f"HTTP {status}")
    )
    if models is None:
        rows.append(Row("model listed", None, "the server lists no models (GET /models)"))
    else:
        listed = provider.model in models
        rows.append(Row("model listed", listed, "" if listed else f"not among {len(models)} listed models"))
    return True


async def _streaming(provider: Any, rows: list[Row], answered: list[Completion]) -> None:
    heard: list[str | None] = []
    provider.stream = True
    comp = await _try(provider, _ask("Reply with the word ok."), answered, heard.append)
    if isinstance(comp, str):
        rows.append(Row("streaming", False, comp))
    elif provider.stream and heard:
        usage = "with usage" if comp.usage.total_tokens else "no usage chunk: token counts unknown"
        rows.append(Row("streaming", True, f"{len(heard)} pieces, {usage}"))
    else:
        rows.append(Row("streaming", False, "asks without streaming (the server refused it)"))


async def _structured(provider: Any, rows: list[Row], answered: list[Completion]) -> None:
    if provider.name != "openai-compatible":
        rows.append(Row("structured output", True, "json_schema (a grammar on the local model)"))
        return
    wanted, provider.constrained = provider.constrained, True
    try:
        comp = await _try(provider, _ask('Answer {"ok": true} as JSON.', schema=SCHEMA), answered)
    finally:
        provider.constrained = wanted
    kind = provider.adaptations.get("response_format")
    if isinstance(comp, str):
        rows.append(Row("structured output", False, comp))
    elif kind is None:
        rows.append(Row("structured output", True, "json_schema (--json-schema)"))
    elif kind == "json_object":
        rows.append(
            Row("structured output", True, "json_object with the schema (--json-schema adapts to it)")
        )
    else:
        rows.append(Row("structured output", False, "none: --json-schema asks for JSON by the prompt alone"))


async def _try(
    provider: Provider, req: ChatRequest, answered: list[Completion], on_text: Any = None
) -> Completion | str:
    """The completion (also added to ``answered``), or the error's message."""
    try:
        comp = await provider.complete(req, on_text=on_text)
    except ProviderError as e:
        return str(e)
    answered.append(comp)
    return comp


def _usage_fields(u: Usage) -> str:
    if not u.total_tokens:
        return "no token counts: costs are unknown"
    cached = "cached prompt tokens reported" if u.cached_prompt_tokens else "no cache hits seen"
    return f"{u.describe()}; {cached}"


def _verdict(result: CheckResult, provider: Any, problem: str | None) -> CheckResult:
    result.adaptations = dict(getattr(provider, "adaptations", {}) or {})
    if result.adaptations:
        said = ", ".join(f"{p}: {v}" for p, v in sorted(result.adaptations.items()))
        result.rows.append(Row("adaptations", True, said))
    else:
        result.rows.append(Row("adaptations", None, "none needed"))
    result.ok = problem is None
    where = (
        f"{provider.model} at {provider.host}"
        if hasattr(provider, "host")
        else f"local model {provider.model}"
    )
    result.verdict = (
        f"drawing works with {where}" if result.ok else f"drawing will not work with {where}: {problem}"
    )
    return result

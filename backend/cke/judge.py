"""The CKE judge: an LLM compares a better and a worse sketch and edits the experience library.

It sees the prompt, both sketches (their curves as text, their CLIP and structure scores, and
optionally a rendered sheet of each when the model takes images) and the library's lessons,
numbered G1..Gn as Training-Free GRPO shows them. It replies with JSON::

    {"analysis": "...", "operations": [{"operation": "add", "content": "..."},
                                       {"operation": "modify", "id": "G2", "content": "..."},
                                       {"operation": "delete", "id": "G3"}, {"operation": "keep"}]}

A reply that is not usable as it is (no JSON, an unknown id, a lesson too long) gets exactly one
repair request naming the problems. After that, the operations that are valid are taken and the
rest are recorded as rejected; a reply unusable twice is recorded and skipped. Nothing here
raises on a bad reply; a failed LLM call raises ``ProviderError`` for the caller to handle.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import prompts
from ..draw.agent import repair_conversation
from ..library.lessons import (
    DEFAULT_CAP,
    TARGET_LESSON_WORDS,
    Lesson,
    LibraryError,
    Operation,
    clean_lesson_text,
)
from ..llm.base import ChatRequest, Message, Provider, Usage
from ..shared.results.score import Score
from ..shared.sketch import Sketch

MAX_OPS = 8
MAX_REPLY_CHARS = 200_000  # a reply is read up to here; the rest is ignored
MAX_JSON_STARTS = 200  # '{' positions tried when looking for the JSON object
DEFAULT_TEMPERATURE = 0.3
DEFAULT_MAX_TOKENS = 1024

_SYNONYMS = {
    "add": "add",
    "insert": "add",
    "new": "add",
    "create": "add",
    "modify": "modify",
    "update": "modify",
    "edit": "modify",
    "revise": "modify",
    "replace": "modify",
    "delete": "delete",
    "remove": "delete",
    "drop": "delete",
    "keep": "keep",
    "none": "keep",
    "noop": "keep",
    "no-op": "keep",
    "nothing": "keep",
}
_GID = re.compile(r"^\[?\s*g?\s*(\d+)\s*\]?$", re.IGNORECASE)

# For providers that constrain decoding: the reply is then this JSON, always.
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "analysis": {"type": "string"},
        "operations": {
            "type": "array",
            "maxItems": MAX_OPS,
            "items": {
                "type": "object",
                "properties": {
                    "operation": {"type": "string", "enum": ["add", "modify", "delete", "keep"]},
                    "id": {"type": "string"},
                    "content": {"type": "string"},
                },
                "required": ["operation"],
            },
        },
    },
    "required": ["analysis", "operations"],
}


@dataclass
class Side:
    """One sketch of the pair: the sketch, its score and maybe a PNG of it."""

    sketch: Sketch
    score: Score
    image: bytes | None = None


@dataclass(frozen=True)
class Rejected:
    """An operation of the judge's reply that was not taken, and why."""

    operation: Any  # the operation as the judge wrote it (shortened); None: no operation could be read
    problem: str

    def to_dict(self) -> dict[str, Any]:
        return {"operation": self.operation, "problem": self.problem}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Rejected:
        return cls(d.get("operation"), str(d.get("problem", "")))


@dataclass
class Parsed:
    analysis: str = ""
    operations: list[Operation] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    fatal: str | None = None  # why nothing at all could be read

    @property
    def problems(self) -> list[str]:
        return [self.fatal] if self.fatal else [r.problem for r in self.rejected]


@dataclass
class JudgeResult:
    analysis: str = ""
    operations: list[Operation] = field(default_factory=list)  # valid, with stable lesson ids
    rejected: list[Rejected] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)  # every raw reply: the first, then the repair
    repaired: bool = False
    error: str | None = None  # set when the judge's output was unusable twice: nothing applied
    usage: Usage = field(default_factory=Usage)

    @property
    def calls(self) -> int:
        return len(self.replies)

    def to_dict(self) -> dict[str, Any]:
        return {
            "analysis": self.analysis,
            "operations": [o.to_dict() for o in self.operations],
            "rejected": [r.to_dict() for r in self.rejected],
            # Only this much of a reply is ever read; a runaway one is not stored whole either.
            "replies": [r[:MAX_REPLY_CHARS] for r in self.replies],
            "repaired": self.repaired,
            "error": self.error,
            "usage": self.usage.to_dict(),
            "calls": self.calls,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> JudgeResult:
        u = d.get("usage") or {}
        return cls(
            d.get("analysis", ""),
            [Operation.from_dict(o) for o in d.get("operations", [])],
            [Rejected.from_dict(r) for r in d.get("rejected", [])],
            list(d.get("replies", [])),
            bool(d.get("repaired")),
            d.get("error"),
            Usage.from_dict(u),
        )


# ---------------------------------------------------------------------------
# Messages


def describe_score(score: Score) -> str:
    """One line a judge can read: CLIP, structure and its terms, and the faults behind them."""
    parts = []
    if score.clip_mean is not None:
        parts.append(f"CLIP {score.clip_mean:.3f} over {len(score.clip_per_view)} views")
    st = score.structure
    if st is not None:
        inner = ", ".join(f"{k} {v:.2f}" for k, v in st.terms.items())
        parts.append(f"structure {st.total:.2f} ({inner})")
    d = st.details if st is not None else {}
    facts = [
        f"{d[k]} {label}"
        for k, label in (
            ("strokes", "strokes"),
            ("free_ends", "free ends"),
            ("duplicates", "duplicate strokes"),
            ("degenerate", "tiny strokes"),
        )
        if d.get(k)
    ]
    if d.get("parts", 1) > 1:
        facts.append(f"in {d['parts']} separate pieces")
    if facts:
        parts.append(", ".join(facts))
    parts.append(f"reward {score.reward:.3f}")
    return "; ".join(parts)


def format_lessons(lessons: Sequence[Lesson]) -> str:
    if not lessons:
        return "(empty: no lessons yet)"
    return "\n".join(f"[G{i}] {x.text}" for i, x in enumerate(lessons, 1))


def build_messages(
    prompt: str, better: Side, worse: Side, lessons: Sequence[Lesson], cap: int = DEFAULT_CAP
) -> list[Message]:
    system = prompts.render(
        "judge_system.md", max_words=str(TARGET_LESSON_WORDS), max_ops=str(MAX_OPS), cap=str(cap)
    )
    images: tuple[bytes, ...] = ()
    note = ""
    if better.image is not None and worse.image is not None:
        images = (better.image, worse.image)
        note = "\nImage 1 shows the BETTER sketch and image 2 the WORSE one, each from four sides.\n"
    user = prompts.render(
        "judge_user.md",
        prompt=prompt,
        lessons=format_lessons(lessons),
        better_scores=describe_score(better.score),
        better_sketch=prompts.format_sketch(better.sketch, json_mode=False),
        worse_scores=describe_score(worse.score),
        worse_sketch=prompts.format_sketch(worse.sketch, json_mode=False),
        images=note,
    )
    return [Message("system", system.strip()), Message("user", user.strip(), images=images)]


# ---------------------------------------------------------------------------
# Reading a reply


def parse_reply(text: str, lessons: Sequence[Lesson]) -> Parsed:
    """The analysis and valid operations of a judge reply, with stable lesson ids; never raises."""
    obj = _find_object(text[:MAX_REPLY_CHARS] if isinstance(text, str) else "")
    if obj is None:
        return Parsed(fatal="no JSON object found in the reply")
    raw_ops = obj.get("operations", obj.get("ops"))
    if not isinstance(raw_ops, list):
        return Parsed(fatal="the JSON object has no 'operations' list")
    analysis = obj.get("analysis", "")
    out = Parsed(analysis=" ".join(analysis.split())[:4000] if isinstance(analysis, str) else "")
    for n, raw in enumerate(raw_ops, 1):
        if n > MAX_OPS:
            out.rejected.append(Rejected(_short(raw), f"operation {n}: more than {MAX_OPS} operations"))
            continue
        op, problem = _operation(raw, lessons, n)
        if op is None:
            out.rejected.append(Rejected(_short(raw), problem))
        else:
            out.operations.append(op)
    return out


def _find_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in the text holding 'operations' (else the first object at all)."""
    decoder = json.JSONDecoder()
    first = None
    start = text.find("{")
    tries = 0
    while start != -1 and tries < MAX_JSON_STARTS:
        tries += 1
        try:
            obj, _ = decoder.raw_decode(text, start)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            if "operations" in obj or "ops" in obj:
                return obj
            first = first or obj
        start = text.find("{", start + 1)
    return first


def _operation(raw: Any, lessons: Sequence[Lesson], n: int) -> tuple[Operation | None, str]:
    where = f"operation {n}"
    if not isinstance(raw, dict):
        return None, f'{where}: expected an object like {{"operation": "add", "content": "..."}}'
    name = raw.get("operation", raw.get("op", raw.get("action")))
    kind = _SYNONYMS.get(name.strip().lower()) if isinstance(name, str) else None
    if kind is None:
        return None, f"{where}: unknown operation {name!r} (expected add, modify, delete or keep)"
    if kind == "keep":
        return Operation("keep"), ""
    lesson_id = None
    if kind in ("modify", "delete"):
        lesson_id, problem = _resolve_id(raw.get("id"), lessons)
        if lesson_id is None:
            return None, f"{where} ({kind}): {problem}"
    text = None
    if kind in ("add", "modify"):
        content = raw.get("content", raw.get("text", raw.get("lesson")))
        try:
            text = clean_lesson_text(content, f"{where} ({kind}) content")
        except LibraryError as e:
            return None, str(e)
    return Operation(kind, lesson_id, text), ""


def _resolve_id(raw: Any, lessons: Sequence[Lesson]) -> tuple[str | None, str]:
    known = f"the library has G1 to G{len(lessons)}" if lessons else "the library is empty"
    if isinstance(raw, bool) or raw is None:
        return None, f"no lesson id given ({known})"
    key = str(raw).strip()
    m = _GID.match(key)
    if m:
        i = int(m.group(1))
        if 1 <= i <= len(lessons):
            return lessons[i - 1].id, ""
        return None, f"no lesson G{i} ({known})"
    for x in lessons:  # a stable id (L7), as stored
        if x.id.lower() == key.lower():
            return x.id, ""
    return None, f"no lesson {key[:40]!r} ({known})"


def _short(raw: Any) -> Any:
    text = json.dumps(raw) if not isinstance(raw, str) else raw
    return raw if len(text) <= 500 else text[:500] + "..."


# ---------------------------------------------------------------------------
# The call


async def ajudge(
    provider: Provider,
    prompt: str,
    better: Side,
    worse: Side,
    lessons: Sequence[Lesson],
    *,
    cap: int = DEFAULT_CAP,
    temperature: float = DEFAULT_TEMPERATURE,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    seed: int | None = None,
) -> JudgeResult:
    """Ask the judge about one pair; one repair request at most (see the module docstring)."""
    messages = build_messages(prompt, better, worse, lessons, cap)
    schema = SCHEMA if provider.constrained else None
    result = JudgeResult()

    async def ask(msgs: list[Message]) -> str:
        comp = await provider.complete(
            ChatRequest(
                tuple(msgs), temperature=temperature, max_tokens=max_tokens, json_schema=schema, seed=seed
            )
        )
        result.replies.append(comp.text)
        result.usage = result.usage + comp.usage
        return comp.text

    first_text = await ask(messages)
    first = parse_reply(first_text, lessons)
    chosen = first
    if first.problems:
        second_text = await ask(
            repair_conversation(
                messages, first_text, first.problems, template="judge_repair.md", most=MAX_OPS
            )
        )
        second = parse_reply(second_text, lessons)
        result.repaired = second.fatal is None
        # The repair wins unless it is unreadable and the first reply was not.
        chosen = second if second.fatal is None or first.fatal is not None else first
    if chosen.fatal is not None:
        result.error = f"the judge's reply was unusable, even after a repair request: {chosen.fatal}"
        result.rejected = [Rejected(None, chosen.fatal)]
        return result
    result.analysis = chosen.analysis
    result.operations = chosen.operations
    result.rejected = chosen.rejected
    return result

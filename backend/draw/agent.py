"""The drawing agent: a text prompt becomes K candidate sketches from one LLM round.

The K requests of a round go out concurrently (the provider bounds how many are in
flight). Each reply goes through the shared parser; a reply the parser rejects
gets exactly one repair request quoting the parser's problems. A candidate that
still fails, or whose provider call failed, is reported with the reason and the
other candidates carry on.

With ``on_stroke`` (or ``on_text``, which hears each new piece of a reply), replies stream:
each stroke is reported as ``on_stroke(index, stroke)`` the moment the incremental parser sees
it complete (provisional: the candidate's sketch is the whole reply's parse, as without
streaming); only the first reply streams, since a repair reply redraws from scratch.
``on_stroke(index, None)`` says "candidate ``index`` starts over": once before each reply (each
``adraw`` call, so each refine round), and again whenever the provider restarts the reply (a
retried stream); the strokes after the last None are the live strokes of the reply under way.

A streamed reply that loops (draw/loops.py: ``loop_limit`` strokes in a row adding nothing; 0 turns
the cut-off off) is stopped there: the strokes so far make the candidate, whose ``problems`` begin
with "stopped a looping reply after N strokes". A reply that did not stream is kept whole.

``adraw`` is the async core; ``draw`` wraps it for synchronous callers. Drawing a
round to use it (finalised, scored, ranked) is ``threedraw.draw.pipeline``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import prompts
from ..library.lessons import MAX_CAP as MAX_LESSONS
from ..library.lessons import MAX_LESSON_CHARS
from ..llm.base import STOPPED, ChatRequest, Message, OnText, Provider, ProviderError, StopReply, Usage
from ..runtime import run_llm
from ..shared.parser import ParseError, StreamParser, parse
from ..shared.sketch import MAX_PROMPT_CHARS, MAX_STROKES, Sketch, Stroke
from .loops import DEFAULT_LOOP_LIMIT, LoopDetector, check_loop_limit, stopped_note

# A stroke completed while a reply streams: (candidate index, the stroke); (index, None): that
# candidate starts over (a new reply, or a retried one), its earlier live strokes are void.
OnStroke = Callable[[int, Stroke | None], None]
# A new piece of a candidate's reply: (candidate index, the text); restarts are told by OnStroke only.
OnCandidateText = Callable[[int, str], None]

MAX_K = 16
# The paper's temperatures: K candidates are sampled at 0.7, one drawing with lessons at 0.3.
SAMPLE_TEMPERATURE = 0.7
DRAW_TEMPERATURE = 0.3
# Fewer curves than this rarely reads as an object; a schema-constrained model is
# held to it (the 135M local model otherwise often stops after one curve).
MIN_STROKES = 6
# A junk reply quoted back in a repair request is cut to this: the model needs to
# see what it wrote, not pay for all of it again.
MAX_QUOTED_REPLY_CHARS = 6000
MAX_QUOTED_PROBLEMS = 8


@dataclass
class Candidate:
    index: int  # position in the round, 0-based
    sketch: Sketch | None = None
    responses: list[str] = field(default_factory=list)  # every raw reply: the first, then the repair
    problems: list[str] = field(default_factory=list)  # what the parser dropped or changed in the kept reply
    error: str | None = None  # why there is no sketch
    repaired: bool = False  # the sketch came from the repair reply
    usage: Usage = field(default_factory=Usage)
    latency_s: float = 0.0
    finish_reasons: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.sketch is not None

    @property
    def raw(self) -> str:
        return self.responses[-1] if self.responses else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "ok": self.ok,
            "sketch": self.sketch.to_dict() if self.sketch else None,
            "responses": self.responses,
            "problems": self.problems,
            "error": self.error,
            "repaired": self.repaired,
            "usage": self.usage.to_dict(),
            "latency_s": round(self.latency_s, 3),
        }


def default_temperature(k: int) -> float:
    """Sample several candidates widely; draw a single one carefully."""
    return SAMPLE_TEMPERATURE if k > 1 else DRAW_TEMPERATURE


def check_inputs(prompt: str, lessons: Sequence[str], k: int, max_strokes: int) -> str:
    """The stripped prompt; ValueError naming the bad input otherwise."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError('prompt: empty; say what to draw, e.g. "a wooden chair"')
    prompt = " ".join(prompt.split())
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ValueError(f"prompt: {len(prompt)} characters, at most {MAX_PROMPT_CHARS} allowed")
    if not 1 <= k <= MAX_K:
        raise ValueError(f"k={k}: expected 1 to {MAX_K} candidates")
    if not 1 <= max_strokes <= MAX_STROKES:
        raise ValueError(f"max strokes {max_strokes}: expected 1 to {MAX_STROKES}")
    if len(lessons) > MAX_LESSONS:
        raise ValueError(f"lessons: {len(lessons)} given, at most {MAX_LESSONS}")
    for i, lesson in enumerate(lessons, 1):
        if not isinstance(lesson, str) or not lesson.strip():
            raise ValueError(f"lesson {i}: empty")
        if len(lesson) > MAX_LESSON_CHARS:
            raise ValueError(f"lesson {i}: {len(lesson)} characters, at most {MAX_LESSON_CHARS}")
    return prompt


def build_messages(
    prompt: str,
    lessons: Sequence[str] = (),
    current: Sketch | None = None,
    *,
    json_mode: bool = False,
    max_strokes: int = 48,
) -> list[Message]:
    """System + user message of a drawing request (the paper's prompt sections)."""
    output_format = prompts.load("format_json.md" if json_mode else "format_actions.md").strip()
    system = prompts.render(
        "draw_system.md",
        output_format=output_format,
        example=prompts.format_sketch(prompts.worked_example(), json_mode),
        min_strokes=str(min(MIN_STROKES, max_strokes)),
        max_strokes=str(max_strokes),
    )
    experience = ""
    if lessons:
        numbered = "\n".join(f"{i}. {' '.join(lesson.split())}" for i, lesson in enumerate(lessons, 1))
        experience = prompts.render("experience.md", lessons=numbered)
    current_block = ""
    if current is not None and current.strokes:
        current_block = prompts.render("current_sketch.md", sketch=prompts.format_sketch(current, json_mode))
    user = prompts.render("draw_user.md", prompt=prompt, experience=experience, current_sketch=current_block)
    return [Message("system", system.strip()), Message("user", user.strip())]


def repair_conversation(
    messages: Sequence[Message],
    reply: str,
    problems: Sequence[str],
    *,
    template: str = "repair.md",
    most: int = MAX_QUOTED_PROBLEMS,
) -> list[Message]:
    """The one repair request (the drawing agent's and the judge's): the conversation so far, the
    model's reply (cut to MAX_QUOTED_REPLY_CHARS) and a ``template`` naming at most ``most`` problems."""
    shown = list(problems[:most])
    if len(problems) > most:
        shown.append(f"... and {len(problems) - most} more problems")
    ask = prompts.render(template, problems="\n".join(f"- {p}" for p in shown)).strip()
    quoted = reply[:MAX_QUOTED_REPLY_CHARS] or "(empty reply)"
    return [*messages, Message("assistant", quoted), Message("user", ask)]


async def adraw(
    provider: Provider,
    prompt: str,
    *,
    lessons: Sequence[str] = (),
    k: int = 1,
    temperature: float = SAMPLE_TEMPERATURE,
    current: Sketch | None = None,
    max_tokens: int = 4096,
    max_strokes: int = 48,
    seed: int | None = None,
    on_stroke: OnStroke | None = None,
    on_text: OnCandidateText | None = None,
    loop_limit: int = DEFAULT_LOOP_LIMIT,
) -> list[Candidate]:
    """K candidate sketches for ``prompt``, in round order; failed ones carry ``error``."""
    prompt = check_inputs(prompt, lessons, k, max_strokes)
    check_loop_limit(loop_limit)
    json_mode = bool(provider.constrained)
    messages = build_messages(prompt, lessons, current, json_mode=json_mode, max_strokes=max_strokes)
    schema = prompts.sketch_schema(max_strokes, MIN_STROKES) if json_mode else None

    def request(msgs: Sequence[Message], i: int) -> ChatRequest:
        return ChatRequest(
            tuple(msgs),
            temperature=temperature,
            max_tokens=max_tokens,
            json_schema=schema,
            seed=None if seed is None else seed + i,
        )

    request(messages, 0)  # checks temperature and max tokens before any call goes out

    async def one(i: int) -> Candidate:
        cand = Candidate(index=i)
        start = time.monotonic()
        try:
            loops = LoopDetector(loop_limit) if loop_limit else None
            streamed = on_stroke is not None or on_text is not None or loops is not None
            live = _live(i, on_stroke, on_text, prompt, loops) if streamed else None
            first = await _ask(provider, request(messages, i), cand, live)
            stopped = stopped_note(loops.count) if loops and cand.finish_reasons[-1] == STOPPED else None
            problems = _accept(cand, first, prompt)
            if stopped is not None and problems is None:
                cand.problems.insert(0, stopped)
            if problems is not None:
                # One repair: show the model its reply and what was wrong with it.
                second = await _ask(
                    provider, request(repair_conversation(messages, first, problems), i), cand
                )
                again = _accept(cand, second, prompt)
                if again is None:
                    cand.repaired = True
                else:
                    cand.error = (
                        (f"{stopped}; " if stopped else "")
                        + "the reply could not be read as a sketch, even after a repair request: "
                        + "; ".join(again[:MAX_QUOTED_PROBLEMS])
                    )
        except ProviderError as e:
            cand.error = f"{provider.name}: {e}"
        cand.latency_s = time.monotonic() - start
        return cand

    return list(await asyncio.gather(*(one(i) for i in range(k))))


def _live(
    index: int,
    on_stroke: OnStroke | None,
    on_text: OnCandidateText | None,
    prompt: str,
    loops: LoopDetector | None = None,
) -> OnText:
    """An ``on_text`` that feeds each new piece of the reply to an incremental parser, reporting its strokes.

    A new reply begins: ``on_stroke(index, None)`` first. The provider's None (the reply starts
    over) gets a fresh parser (and loop detector) and says None again. Once ``loops`` says the reply
    loops, the stroke is reported and StopReply raised: the provider stops the reply there."""
    parser = StreamParser(prompt)
    if on_stroke is not None:
        on_stroke(index, None)

    def grown(piece: str | None) -> None:
        nonlocal parser
        if piece is None:
            parser = StreamParser(prompt)
            if loops is not None:
                loops.reset()
            if on_stroke is not None:
                on_stroke(index, None)
            return
        if on_text is not None:
            on_text(index, piece)
        if on_stroke is not None or loops is not None:
            for stroke in parser.feed(piece):
                if on_stroke is not None:
                    on_stroke(index, stroke)
                if loops is not None and loops.add(stroke):
                    raise StopReply(stopped_note(loops.count))

    return grown


async def _ask(provider: Provider, req: ChatRequest, cand: Candidate, on_text: OnText | None = None) -> str:
    comp = await (provider.complete(req) if on_text is None else provider.complete(req, on_text=on_text))
    cand.responses.append(comp.text)
    cand.finish_reasons.append(comp.finish_reason)
    cand.usage = cand.usage + comp.usage
    return comp.text


def _accept(cand: Candidate, text: str, prompt: str) -> list[str] | None:
    """Parse a reply into the candidate; the parser's problems when it rejects it, else None."""
    try:
        result = parse(text, prompt)
    except ParseError as e:
        return [str(p) for p in e.problems] or [str(e)]
    cand.sketch = result.sketch
    cand.problems = [str(p) for p in result.problems]
    return None


def draw(provider: Provider, prompt: str, **options: Any) -> list[Candidate]:
    """Synchronous ``adraw``; closes the provider's connections afterwards (it stays usable)."""
    return run_llm(provider, lambda: adraw(provider, prompt, **options))

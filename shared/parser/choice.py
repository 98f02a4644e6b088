"""LLM response text -> Sketch, plus a list of problems naming stroke and reason.

Accepted, wherever they appear in the text (after a preamble, in code fences,
inside <answer> or <curves> tags, after a <thinking> block):

* action lines ``draw_bezier[(x, y, z), (x, y, z), (x, y, z), (x, y, z)]`` with
  round or square point brackets, optional numbering and trailing labels;
* a Python/JSON list of strokes, each a list of 4 points of 3 numbers;
* JSON objects keyed ``strokes``, ``curves``, ``beziers`` or ``sketch`` (canonical
  sketch JSON among them), points under ``points``, ``control_points``,
  ``controlPoints``, ``ctrl`` or ``p0``..``p3``, as lists or ``{"x", "y", "z"}``,
  numbers as numbers or strings; a tool call whose ``arguments`` is such JSON;
* markdown tables (one point or one stroke per row), YAML block lists, CSV rows
  of 12 numbers, bullet lines ``P0: (x, y, z)`` under a stroke heading;
* decimal commas where semicolons make them unambiguous: ``(0,5; -0,5; 1,0)``.

Unicode minus signs, dashes, fullwidth forms and odd spaces are folded first
(normalise); a dash whose meaning is ambiguous drops its stroke with a
problem saying so, never a guessed sign.

How: the text is tokenised once (linear time) into numbers, words, strings and
bracket groups, tolerant of mismatched and unclosed brackets; the line formats
are read from their own lines. Every reading is tried on the answer region;
the one that yields the most valid strokes wins (ties: the order above), and
when another reading found different strokes, a note says which was used.
Problems refer to strokes by their 1-based position in the winning reading.

Bounded: at most MAX_RESPONSE_CHARS are read, no pattern backtracks, and every
token or candidate line spends one unit of a fixed budget (MAX_TOKENS; when a long
reply spends it, its last TAIL_CHARS are read on a budget of their own, since
answers come last), so the worst input costs a bounded, linear amount of work:
about 0.3 s for 2 MB on a 2-core machine (`threedraw bench parser`). A caller that
runs a parse inside a job needs no cancellation point: it ends that soon.
Nothing but ParseError ever escapes ``parse``, whatever the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..sketch import MAX_STROKES, Sketch, Stroke
from .brackets import read_actions, read_lists, read_objects
from .lines import read_bullets, read_csv, read_tables, read_yaml
from .normalise import normalise
from .reading import Problem, Reading
from .tokens import Budget, tokenize, unquote

MAX_RESPONSE_CHARS = 2_000_000
# Tokens and candidate lines one parse may read: a full 256-stroke sketch in the
# most verbose format spends under 30,000; the rest of the budget is for prose.
# It bounds the worst input to about 0.3 s on a 2-core machine (`threedraw bench parser`).
MAX_TOKENS = 100_000
# When a long reply spends that budget, its end (where answers come) is read on its own.
TAIL_CHARS = 250_000
TAIL_TOKENS = 50_000


class ParseError(ValueError):
    """The response held no usable stroke; the message says why."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = problems or []


@dataclass
class ParseResult:
    sketch: Sketch
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


# --------------------------------------------------------------------------
# Where the answer is

_THINK = re.compile(r"<(think|thinking|reasoning|scratchpad)>.*?(?:</\1>|\Z)", re.IGNORECASE | re.DOTALL)
_TAGGED = re.compile(r"<(answer|curves|sketch)>(.*?)(?:</\1>|\Z)", re.IGNORECASE | re.DOTALL)
_DIGIT = re.compile(r"[0-9]")
_FENCE = re.compile(r"```[^\n`]*+\n(.*?)(?:```|\Z)", re.DOTALL)


def _regions(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _THINK.sub(" ", text)
    tagged = [m.group(2) for m in _TAGGED.finditer(text)]
    base = "\n".join(tagged) if tagged else text
    fenced = "\n".join(m.group(1) for m in _FENCE.finditer(base))
    if not fenced or fenced == base:
        return [base]
    # The whole text is read too (strokes may sit outside the fences), unless outside
    # the fences there is not a single digit: then it would only read the fences again.
    outside = _FENCE.sub(" ", base)
    return [fenced, base] if _DIGIT.search(outside) else [fenced]


def _readings(region: str, budget: Budget) -> list[Reading]:
    items = tokenize(region, budget)
    return [
        read_actions(region, budget),
        read_objects(items, budget),
        read_lists(items),
        read_tables(region, budget),
        read_yaml(region, budget),
        read_csv(region, budget),
        read_bullets(region, budget),
    ]


def parse(text: str, prompt: str = "") -> ParseResult:
    """Parse an LLM response. Raises ParseError (only) when no stroke is usable."""
    try:
        return _parse(text, prompt)
    except ParseError:
        raise
    except Exception as e:  # a parser bug must not crash a learning run; say so plainly
        raise ParseError(f"could not parse the response ({type(e).__name__}: {e})") from None


def _parse(text: str, prompt: str) -> ParseResult:
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    if len(text) > MAX_RESPONSE_CHARS:
        raise ParseError(f"response is {len(text)} characters, at most {MAX_RESPONSE_CHARS} are read")
    if not text.strip():
        raise ParseError("the response is empty")
    clean = normalise(text)
    budget = Budget(MAX_TOKENS)
    readings = [r for region in _regions(clean) for r in _readings(region, budget)]
    cut = ""
    if budget.spent_out:
        cut = "only its start was read"
        if len(clean) > TAIL_CHARS:
            # The answer usually comes last: read the end too, from a line start, on its own budget.
            tail = clean[-TAIL_CHARS:]
            tail = tail[tail.find("\n") + 1 :]
            tail_budget = Budget(TAIL_TOKENS)
            readings += [r for region in _regions(tail) for r in _readings(region, tail_budget)]
            cut = f"its start and its last {len(tail):,} characters were read"
    # Most valid strokes wins; among empty readings, the one that found candidates
    # explains best what went wrong. max() keeps the first of equals: the order above.
    best = max(readings, key=lambda r: (len(r.strokes), r.count))
    problems = list(best.problems)
    if cut:
        problems.append(
            Problem(None, f"the response holds more than {MAX_TOKENS:,} tokens; {cut}", "warning")
        )
    if not best.strokes:
        if problems:
            detail = "; ".join(str(p) for p in problems[:5])
            more = f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
            raise ParseError(f"no valid stroke in the response: {detail}{more}", problems)
        raise ParseError(
            "no stroke found in the response (expected draw_bezier[...] lines or a list of strokes)"
        )
    note = _which_reading(best, readings)
    if note:
        problems.append(note)
    kept = best.strokes
    if len(kept) > MAX_STROKES:
        problems.append(
            Problem(None, f"{len(kept)} strokes, only the first {MAX_STROKES} were kept", "warning")
        )
        kept = kept[:MAX_STROKES]
    strokes = []
    used: set[str] = set()
    for i, (pts, label, sid) in enumerate(kept):
        if not sid or sid in used or len(sid) > 64:
            sid = f"s{i + 1}"
            while sid in used:
                sid += "_"
        used.add(sid)
        strokes.append(Stroke(id=sid, points=pts, label=label))
    sketch_prompt = prompt or _embedded_prompt(text)
    return ParseResult(Sketch(prompt=sketch_prompt[:2000], strokes=strokes), problems)


def _which_reading(best: Reading, readings: list[Reading]) -> Problem | None:
    """A note naming the reading used, when another one found different strokes."""
    chosen = [s[0] for s in best.strokes]
    others: dict[str, int] = {}
    for r in readings:
        if r.strokes and r.name != best.name and [s[0] for s in r.strokes] != chosen:
            others[r.name] = max(others.get(r.name, 0), len(r.strokes))
    if not others:
        return None
    rest = ", ".join(f"{name} ({n})" for name, n in others.items())
    return Problem(
        None,
        f"read as {best.name} ({len(best.strokes)} strokes), the reading with the most valid strokes; "
        f"also found: {rest}",
        "note",
    )


_PROMPT = re.compile(r'"prompt"\s*+:\s*+"((?:[^"\\\n]++|\\.)*+)"')


def _embedded_prompt(text: str) -> str:
    m = _PROMPT.search(text)
    return unquote('"' + m.group(1) + '"') if m else ""

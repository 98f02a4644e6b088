"""LLM response text -> Sketch, plus a list of problems naming stroke and reason.

Accepted, wherever they appear in the text (after a preamble, in code fences,
inside <answer> or <curves> tags, after a <thinking> block):

* action lines ``draw_bezier[(x, y, z), (x, y, z), (x, y, z), (x, y, z)]`` with
  round or square point brackets, optional numbering and trailing labels;
* a Python/JSON list of strokes, each a list of 4 points of 3 numbers;
* canonical sketch JSON, or any object with a ``"strokes"`` list.

How: the text is tokenised once (linear time) into numbers, words, strings and
bracket groups, tolerant of mismatched and unclosed brackets. Each of the three
readings above is tried on the answer region; the one that yields the most
valid strokes wins (ties: actions, then JSON, then lists). Problems refer to
strokes by their 1-based position in the winning reading.

Nothing but ParseError ever escapes ``parse``, whatever the text.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Iterator, Union

from .sketch import CUBE, MAX_LABEL_CHARS, MAX_STROKES, Point, Points, Sketch, Stroke

MAX_RESPONSE_CHARS = 2_000_000
# Coordinates within this magnitude are clamped into the cube; beyond it the
# stroke is nonsense (wrong units, a stray index) and is dropped.
MAX_ABS_COORD = 10.0
# Deeper nesting than any sketch needs is ignored rather than recursed into.
MAX_DEPTH = 32

__all__ = ["parse", "ParseResult", "ParseError", "Problem", "MAX_RESPONSE_CHARS", "MAX_ABS_COORD"]


class ParseError(ValueError):
    """The response held no usable stroke; the message says why."""

    def __init__(self, message: str, problems: "list[Problem] | None" = None):
        super().__init__(message)
        self.problems = problems or []


@dataclass(frozen=True)
class Problem:
    stroke: int | None  # 1-based position in the response; None for the whole response
    message: str
    severity: str = "error"  # "error": stroke dropped; "warning": kept, changed

    def __str__(self) -> str:
        return f"stroke {self.stroke}: {self.message}" if self.stroke is not None else self.message


@dataclass
class ParseResult:
    sketch: Sketch
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


# --------------------------------------------------------------------------
# Tokens and bracket groups

@dataclass
class Num:
    value: float
    text: str


@dataclass
class Word:
    text: str


@dataclass
class Str:
    text: str


@dataclass
class Group:
    opener: str
    start: int  # offset of the opening bracket
    end: int = -1  # offset just past the closing bracket
    closed: bool = False
    items: list["Item"] = field(default_factory=list)
    comment: str = ""  # a trailing comment on the line where the group closed


Item = Union[Num, Word, Str, Group]

_TOKEN = re.compile(
    r"""
    (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.]))
  | (?P<word>[A-Za-z_][\w.]*)
  | (?P<dq>"(?:[^"\\\n]|\\.)*"?)
  | (?P<open>[\[({])
  | (?P<close>[\])}])
  | (?P<comment>\#[^\n]*|//[^\n]*)
  | (?P<sq>'[^'\n]*'?)
  | (?P<other>\S)
    """,
    re.VERBOSE,
)

_OPENERS_BEFORE_QUOTE = set("[({,:=")


def _tokenize(text: str) -> list[Item]:
    """One pass: top-level items; groups nest. Unclosed groups stay open (closed=False)."""
    root = Group("", 0)
    stack = [root]
    last_closed: Group | None = None
    prev_sig = ""  # previous significant character, to tell quotes from apostrophes
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        tok = m.group()
        top = stack[-1]
        if kind == "comment":
            if last_closed is not None and "\n" not in text[last_closed.end : m.start()]:
                last_closed.comment = tok.lstrip("#/ ").strip()
            continue
        if kind == "sq" and prev_sig not in _OPENERS_BEFORE_QUOTE and prev_sig != "":
            prev_sig = "'"  # an apostrophe in prose, not a string
            continue
        prev_sig = tok[-1]
        if kind == "open":
            g = Group(tok, m.start())
            if len(stack) <= MAX_DEPTH:
                top.items.append(g)
            stack.append(g)
        elif kind == "close":
            if len(stack) > 1:
                g = stack.pop()
                g.closed = True
                g.end = m.end()
                last_closed = g
        elif kind == "num":
            try:
                top.items.append(Num(float(tok), tok))
            except ValueError:  # pragma: no cover - the pattern only admits floats
                top.items.append(Word(tok))
        elif kind == "word":
            top.items.append(Word(tok))
        elif kind in ("dq", "sq"):
            top.items.append(Str(_unquote(tok)))
        # "other" (commas, colons, operators, prose punctuation) carries no value
    return root.items


def _unquote(tok: str) -> str:
    if tok[0] == '"' and len(tok) >= 2 and tok[-1] == '"':
        try:
            return str(json.loads(tok))  # JSON escapes (\\u001f, \\n) exactly
        except ValueError:
            pass
    body = tok[1:-1] if len(tok) >= 2 and tok[-1] == tok[0] else tok[1:]
    return re.sub(r"\\(.)", r"\1", body)


def _groups(items: list[Item]) -> list[Group]:
    return [i for i in items if isinstance(i, Group)]


def _walk(items: list[Item]) -> Iterator[Group]:
    """All groups, outermost first (iterative: depth is bounded but be safe)."""
    stack = list(reversed(_groups(items)))
    while stack:
        g = stack.pop()
        yield g
        stack.extend(reversed(_groups(g.items)))


def _is_point(g: Group) -> bool:
    return g.opener != "{" and not _groups(g.items) and any(isinstance(i, Num) for i in g.items)


def _is_stroke(g: Group) -> bool:
    """A group of point-like groups (and nothing but groups)."""
    if g.opener == "{":
        return False
    subs = g.items
    return bool(subs) and all(isinstance(i, Group) and not _groups(i.items) for i in subs) and any(
        _is_point(i) for i in subs if isinstance(i, Group)
    )


# --------------------------------------------------------------------------
# Turning a candidate into a stroke

@dataclass
class _Candidate:
    group: Group | None
    label: str = ""
    sid: str = ""
    flat: bool = False  # twelve bare numbers instead of four point groups
    explicit_label: bool = False  # a "label" value, kept as written (not comment text)


class _Reading:
    """Strokes and problems from one way of reading the text."""

    def __init__(self) -> None:
        self.strokes: list[tuple[Points, str, str]] = []  # (points, label, id)
        self.problems: list[Problem] = []
        self.count = 0

    def add(self, cand: _Candidate, last: bool) -> None:
        self.count += 1
        n = self.count
        g = cand.group
        if g is None:
            self.problems.append(Problem(n, "no control points"))
            return
        if not g.closed:
            why = "incomplete (the response was cut off)" if last else "missing closing bracket"
            self.problems.append(Problem(n, why))
            return
        if cand.flat:
            nums: list[Item] = [i for i in g.items if not isinstance(i, Group)]
            if len(nums) != 12:
                self.problems.append(Problem(n, f"{len(nums)} values, expected 4 points of 3 numbers"))
                return
            pts_items = [nums[k : k + 3] for k in range(0, 12, 3)]
        else:
            subs = _groups(g.items)
            if len(subs) != 4:
                self.problems.append(Problem(n, f"{len(subs)} control points, expected 4"))
                return
            pts_items = [s.items for s in subs]
            for k, s in enumerate(subs):
                if _groups(s.items):
                    self.problems.append(Problem(n, f"point {k + 1} is nested, expected (x, y, z)"))
                    return
        points: list[Point] = []
        clamped = False
        for k, items in enumerate(pts_items):
            if len(items) != 3:
                self.problems.append(Problem(n, f"point {k + 1} has {len(items)} coordinates, expected 3"))
                return
            coords = []
            for axis, it in zip("xyz", items):
                if isinstance(it, Word) and it.text.lower() in ("nan", "inf", "infinity"):
                    self.problems.append(Problem(n, f"point {k + 1} {axis} is {it.text}, not a finite number"))
                    return
                if not isinstance(it, Num):
                    shown = it.text if isinstance(it, (Word, Str)) else "a list"
                    self.problems.append(Problem(n, f"point {k + 1} {axis} is {shown!r}, not a number"))
                    return
                v = it.value
                if not math.isfinite(v):
                    self.problems.append(Problem(n, f"point {k + 1} {axis} is {it.text}, not a finite number"))
                    return
                if abs(v) > MAX_ABS_COORD:
                    self.problems.append(
                        Problem(n, f"point {k + 1} {axis}={it.text} is beyond {MAX_ABS_COORD:g}; stroke dropped")
                    )
                    return
                if abs(v) > CUBE:
                    clamped = True
                    v = max(-CUBE, min(CUBE, v))
                coords.append(v)
            points.append((coords[0], coords[1], coords[2]))
        if clamped:
            self.problems.append(Problem(n, "coordinates outside the cube [-1, 1] were clamped", "warning"))
        label = cand.label[:MAX_LABEL_CHARS] if cand.explicit_label else _clean_label(cand.label)
        self.strokes.append(((points[0], points[1], points[2], points[3]), label, cand.sid))


def _clean_label(text: str) -> str:
    text = text.strip().strip("#/-:;,>=. \t\"'()").strip()
    return text[:MAX_LABEL_CHARS]


# --------------------------------------------------------------------------
# The three readings

_ACTION = re.compile(r"draw_bezier\s*(?=[\[(])", re.IGNORECASE)


def _read_actions(text: str) -> _Reading:
    r = _Reading()
    spans = [(m.start(), m.end()) for m in _ACTION.finditer(text)]
    for idx, (_, s) in enumerate(spans):
        # Each action reads up to the next action's name, so one cannot leak into the next.
        seg = text[s : spans[idx + 1][0] if idx + 1 < len(spans) else len(text)]
        last = idx + 1 == len(spans)
        items = _tokenize(seg)
        outer = items[0] if items and isinstance(items[0], Group) else None
        if outer is None:
            r.add(_Candidate(None), last)
            continue
        # draw_bezier[((x,y,z), ...)] wraps the points once more: unwrap a lone inner group.
        g = outer
        while len(_groups(g.items)) == 1 and not _is_point(_groups(g.items)[0]) and g.closed:
            g = _groups(g.items)[0]
        flat = not _groups(g.items)
        label = g.comment or outer.comment or _trailing_label(seg, outer)
        r.add(_Candidate(g, label, flat=flat), last and not outer.closed)
    return r


def _trailing_label(seg: str, g: Group) -> str:
    if not g.closed:
        return ""
    rest = seg[g.end :].split("\n", 1)[0]
    return rest if re.search(r"[A-Za-z]", rest) else ""


def _read_json(text: str) -> _Reading:
    """Objects with a "strokes" list (canonical JSON and looser variants)."""
    r = _Reading()
    for obj in _walk(_tokenize(text)):
        if obj.opener != "{":
            continue
        value = _key_value(obj, "strokes")
        if not isinstance(value, Group):
            continue
        elems = _groups(value.items)
        for k, e in enumerate(elems):
            last = k + 1 == len(elems) and not value.closed
            if e.opener == "{":
                pts = _key_value(e, "points")
                label = _key_value(e, "label")
                sid = _key_value(e, "id")
                if not e.closed and not isinstance(pts, Group):
                    r.add(_Candidate(e), last)
                    continue
                g = pts if isinstance(pts, Group) else None
                if g is not None and not e.closed:
                    g = Group(g.opener, g.start, g.end, False, g.items)
                r.add(
                    _Candidate(
                        g,
                        label.text if isinstance(label, Str) else "",
                        sid.text if isinstance(sid, Str) else "",
                        explicit_label=True,
                    ),
                    last,
                )
            else:
                r.add(_Candidate(e, e.comment), last)
        break  # the first sketch object wins; a second one is usually an echo
    return r


def _key_value(obj: Group, key: str) -> Item | None:
    items = obj.items
    for i, it in enumerate(items[:-1]):
        if isinstance(it, (Str, Word)) and it.text == key:
            return items[i + 1]
    return None


def _read_lists(text: str) -> _Reading:
    """The outermost list(s) whose elements are strokes (lists of points)."""
    r = _Reading()
    top = _tokenize(text)
    for g in _outermost_stroke_lists(top):
        elems = _groups(g.items)
        for k, e in enumerate(elems):
            last = k + 1 == len(elems) and not g.closed
            r.add(_Candidate(e, e.comment), last)
    if r.count == 0:
        # A lone stroke, not wrapped in a list.
        for item in top:
            if isinstance(item, Group) and _is_stroke(item):
                r.add(_Candidate(item, item.comment), not item.closed)
    return r


def _outermost_stroke_lists(items: list[Item]) -> Iterator[Group]:
    for g in _groups(items):
        if g.opener == "{":
            continue
        subs = _groups(g.items)
        if subs and any(_is_stroke(s) or _looks_cut_stroke(s) for s in subs) and not any(
            isinstance(i, (Num, Str)) for i in g.items
        ):
            yield g
        else:
            yield from _outermost_stroke_lists(g.items)


def _looks_cut_stroke(g: Group) -> bool:
    return not g.closed and g.opener != "{" and any(_is_point(s) for s in _groups(g.items))


# --------------------------------------------------------------------------
# Where the answer is

_THINK = re.compile(r"<(think|thinking|reasoning|scratchpad)>.*?(</\1>|\Z)", re.IGNORECASE | re.DOTALL)
_TAGGED = re.compile(r"<(answer|curves|sketch)>(.*?)(?:</\1>|\Z)", re.IGNORECASE | re.DOTALL)
_FENCE = re.compile(r"```[^\n`]*\n(.*?)(?:```|\Z)", re.DOTALL)


def _regions(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _THINK.sub(" ", text)
    tagged = [m.group(2) for m in _TAGGED.finditer(text)]
    base = "\n".join(tagged) if tagged else text
    fenced = [m.group(1) for m in _FENCE.finditer(base)]
    return (["\n".join(fenced)] if fenced else []) + [base]


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
    best: _Reading | None = None
    for region in _regions(text):
        for reader in (_read_actions, _read_json, _read_lists):
            reading = reader(region)
            # Most valid strokes wins; among empty readings, the one that found candidates
            # explains best what went wrong.
            if best is None or (len(reading.strokes), reading.count) > (len(best.strokes), best.count):
                best = reading
    assert best is not None
    problems = list(best.problems)
    if not best.strokes:
        if problems:
            detail = "; ".join(str(p) for p in problems[:5])
            more = f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
            raise ParseError(f"no valid stroke in the response: {detail}{more}", problems)
        raise ParseError("no stroke found in the response (expected draw_bezier[...] lines or a list of strokes)")
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


def _embedded_prompt(text: str) -> str:
    m = re.search(r'"prompt"\s*:\s*"((?:[^"\\\n]|\\.)*)"', text)
    return _unquote('"' + m.group(1) + '"') if m else ""

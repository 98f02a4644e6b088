"""Tokens and bracket groups of untrusted text, in bounded linear time.

The text is scanned once, left to right, by patterns that cannot backtrack
(possessive quantifiers, disjoint alternatives), into numbers, words, strings,
odd characters and bracket groups. Mismatched and unclosed brackets are tolerated.
Work is bounded twice: nesting deeper than MAX_DEPTH is counted, not built, and
every token spends one unit of a Budget shared by the whole parse, so no input,
however hostile, costs more than a fixed number of Python steps.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from .normalise import DASHES, FRACTIONS, OPERATORS

# Deeper nesting than any sketch needs is counted rather than built.
MAX_DEPTH = 32


class Budget:
    """Units of work one parse may spend (one per token or candidate line)."""

    def __init__(self, units: int) -> None:
        self.left = units
        self.total = units
        self.spent_out = False

    def spend(self, n: int = 1) -> bool:
        """False (and remembered) once the budget is gone."""
        self.left -= n
        if self.left < 0:
            self.spent_out = True
        return not self.spent_out


@dataclass(slots=True)
class _Text:
    """A token as written; its class says what kind of text it is."""

    text: str


@dataclass(slots=True)
class Num(_Text):
    """A number: its text as written (for messages) and the value read from it."""

    value: float


@dataclass(slots=True)
class Word(_Text):
    """A bare word (a name, a key, a keyword)."""


@dataclass(slots=True)
class Str(_Text):
    """A string: a quoted one (its quotes removed), or a value read as text."""


@dataclass(slots=True)
class Odd(_Text):
    """A character that makes the numbers around it unreadable as written: a dash that may
    or may not be a minus (see normalise), an operator (1×10⁻⁵, 1/2), a number in a
    form not read (½, Arabic-Indic digits)."""


@dataclass(slots=True)
class Separators:
    """Commas and semicolons seen directly in one group, to tell decimal commas (0,5; 1,0)."""

    semis: int = 0
    commas: int = 0
    glued: list[int] = field(default_factory=list)  # indexes of numbers glued to the previous by a comma
    field_commas: int = 0
    many_commas: bool = False  # some field between semicolons held two commas: not decimal commas


_NO_COLONS: list[int] = []  # shared by every group without a colon; never appended to


class Group:
    """A bracket group; plain slots, since hostile text may hold a hundred thousand of them."""

    __slots__ = ("opener", "start", "end", "closed", "items", "comment", "colons", "seps")

    def __init__(
        self,
        opener: str,
        start: int = 0,
        end: int = -1,
        closed: bool = False,
        items: list[Item] | None = None,
    ) -> None:
        self.opener = opener
        self.start = start  # offset of the opening bracket
        self.end = end  # offset just past the closing bracket
        self.closed = closed
        self.items: list[Item] = [] if items is None else items
        self.comment = ""  # a trailing comment on the line where the group closed
        self.colons = _NO_COLONS  # item indexes that follow a colon (key: value)
        self.seps: Separators | None = None

    def add_colon(self) -> None:
        if self.colons is _NO_COLONS:
            self.colons = []
        self.colons.append(len(self.items))


Item = Num | Word | Str | Odd | Group

_NUM = r"[-+]?+(?:[0-9]++(?:\.[0-9]*+)?+|\.[0-9]++)(?:[eE][-+]?+[0-9]++)?+"
NUMBER = re.compile(_NUM)
_TOKEN = re.compile(
    r"\s*+(?:"
    r"(?P<num>" + _NUM + r")"
    r"|(?P<word>[A-Za-z_][\w.]*+)"
    r'|(?P<dq>"(?:[^"\\\n]++|\\.)*+"?+)'
    r"|(?P<open>[\[({]++)"
    r"|(?P<close>[\])}]++)"
    r"|(?P<comment>\#[^\n]*+|//[^\n]*+)"
    r"|(?P<sq>'[^'\n]*+'?+)"
    r"|(?P<odd>[" + DASHES + re.escape(OPERATORS) + FRACTIONS + r"]|\d)"  # \d: digits of other scripts
    r"|(?P<sep>[,;])"
    r"|(?P<other>\S)"
    r")"
)
# Outside every bracket only groups, strings and comments matter: skip the rest in one step.
# The token pattern's groups, by index (m.lastindex is cheaper than m.lastgroup).
K_NUM, K_WORD, K_DQ, K_OPEN, K_CLOSE, K_COMMENT, K_SQ, K_ODD, K_SEP = (
    _TOKEN.groupindex[k] for k in ("num", "word", "dq", "open", "close", "comment", "sq", "odd", "sep")
)
_TOP_SKIP = re.compile(r"[^\[\](){}\"'#/]*+")
_WORD_TAIL = re.compile(r"[\w.]*+")
_OPENERS_BEFORE_QUOTE = frozenset("[({,:=")
_INT = re.compile(r"[-+]?[0-9]+")
_FRACTION = re.compile(r"[0-9]+(?:[eE][-+]?[0-9]+)?")


def tokenize(text: str, budget: Budget) -> list[Item]:
    """Top-level items; groups nest. Unclosed groups stay open (closed=False).

    Only groups are kept at the top level: bare words and numbers outside any
    bracket are prose, and no reader looks at them.
    """
    root = Group("")
    stack = [root]
    deep = 0  # open brackets beyond MAX_DEPTH, counted only
    last_closed: Group | None = None
    glue_at = -1  # offset where a number glued to the previous one by a comma would start
    pos, n = 0, len(text)
    left = budget.left
    match, top_skip = _TOKEN.match, _TOP_SKIP.match
    while pos < n:
        top = stack[-1]
        if top is root and not deep:
            pos = top_skip(text, pos).end()  # type: ignore[union-attr]  # a * pattern always matches
        m = match(text, pos)
        if m is None:
            break
        left -= 1
        if left < 0:
            budget.spent_out = True
            break
        kind = m.lastindex
        start = m.start(kind)  # type: ignore[arg-type]
        pos = m.end()
        if kind == K_OPEN:
            for ch in text[start:pos]:
                if deep or len(stack) > MAX_DEPTH:
                    deep += 1
                    continue
                g = Group(ch, start)
                top.items.append(g)
                stack.append(g)
                top = g
                start += 1
        elif kind == K_CLOSE:
            while start < pos:
                start += 1
                if deep:
                    deep -= 1
                elif len(stack) > 1:
                    g = stack.pop()
                    g.closed = True
                    g.end = start
                    if g.seps is not None:
                        _merge_decimal_commas(g, g.seps)
                    last_closed = g
        elif kind == K_COMMENT:
            # One comment per group, and each stretch of text is searched once: linear.
            if last_closed is not None and text.find("\n", last_closed.end, start) < 0:
                last_closed.comment = text[start:pos].lstrip("#/ ").strip()
            last_closed = None
        elif kind == K_SQ and _after_word(text, start):
            pos = start + 1  # an apostrophe in prose (chair's), not a string: read on after it
        elif deep or top is root:
            continue
        elif kind == K_NUM:
            if pos < n and (text[pos].isalnum() or text[pos] in "_."):
                # Glued to letters or more dots (1x, 2D, 1.2.3): a word, not a number.
                pos = _WORD_TAIL.match(text, pos).end()  # type: ignore[union-attr]
                top.items.append(Word(text[start:pos]))
                continue
            if start == glue_at and top.seps is not None:
                top.seps.glued.append(len(top.items))
            tok = text[start:pos]
            top.items.append(Num(tok, float(tok)))
        elif kind == K_SEP:
            seps = top.seps
            if seps is None:
                seps = top.seps = Separators()
            if text[start] == ";":
                seps.semis += 1
                seps.field_commas = 0
            else:
                seps.commas += 1
                seps.field_commas += 1
                if seps.field_commas > 1:
                    seps.many_commas = True
                if top.items and isinstance(top.items[-1], Num) and text[start - 1 : start].isdigit():
                    glue_at = pos
        elif kind == K_WORD:
            top.items.append(Word(text[start:pos]))
        elif kind == K_DQ or kind == K_SQ:
            top.items.append(Str(unquote(text[start:pos])))
        elif kind == K_ODD:
            top.items.append(Odd(text[start:pos]))
        elif text[start] == ":":
            top.add_colon()
        # other punctuation (operators, prose) carries no value
    budget.left = left
    return root.items


def _after_word(text: str, quote: int) -> bool:
    """Whether a ' follows a word (an apostrophe), judged by the nearest non-space before it."""
    before = text[max(0, quote - 64) : quote].rstrip()
    return bool(before) and before[-1] not in _OPENERS_BEFORE_QUOTE


def _merge_decimal_commas(g: Group, seps: Separators) -> None:
    """Glued commas as decimal commas, where nothing else can be meant.

    ``(0,5; -0,5; 1,0)``: semicolons separate and each field holds one comma between
    digits. ``(0,5, -0,5, 1,0)``: spaced commas separate, glued ones pair up disjointly,
    and only the decimal reading gives a point its 3 coordinates.
    """
    if not seps.glued:
        return
    items = g.items
    if seps.semis:
        if seps.many_commas or len(seps.glued) != seps.commas:
            return
    elif not (
        len(items) - len(seps.glued) == 3
        and len(items) != 3
        and all(b - a > 1 for a, b in zip(seps.glued, seps.glued[1:]))
        and all(isinstance(i, Num) for i in items)
    ):
        return
    pairs = [(items[i - 1], items[i]) for i in seps.glued]
    if not all(
        isinstance(a, Num) and isinstance(b, Num) and _INT.fullmatch(a.text) and _FRACTION.fullmatch(b.text)
        for a, b in pairs
    ):
        return
    for i in reversed(seps.glued):
        a, b = items[i - 1], items[i]
        items[i - 1 : i + 1] = [Num(f"{a.text},{b.text}", float(f"{a.text}.{b.text}"))]  # type: ignore[union-attr]


def unquote(tok: str) -> str:
    if "\\" not in tok:
        return tok[1:-1] if len(tok) >= 2 and tok[-1] == tok[0] else tok[1:]
    if tok[0] == '"' and len(tok) >= 2 and tok[-1] == '"':
        try:
            return str(json.loads(tok))  # JSON escapes (\\u001f, \\n) exactly
        except ValueError:
            pass
    body = tok[1:-1] if len(tok) >= 2 and tok[-1] == tok[0] else tok[1:]
    return re.sub(r"\\(.)", r"\1", body)


def groups(items: list[Item]) -> list[Group]:
    return [i for i in items if isinstance(i, Group)]


def walk(items: list[Item]) -> Iterator[Group]:
    """All groups that hold something, outermost first (iteratively)."""
    stack = [i for i in reversed(items) if isinstance(i, Group) and i.items]
    while stack:
        g = stack.pop()
        yield g
        stack.extend(i for i in reversed(g.items) if isinstance(i, Group) and i.items)


def number_of(item: Item) -> Num | None:
    """The number an item stands for: a number, or a string holding exactly one ("-0.5")."""
    if isinstance(item, Num):
        return item
    if isinstance(item, Str):
        text = item.text.strip()
        if len(text) <= 64 and NUMBER.fullmatch(text):
            return Num(text, float(text))
    return None


def is_point(g: Group) -> bool:
    return g.opener != "{" and not groups(g.items) and any(number_of(i) for i in g.items)


def is_stroke(g: Group) -> bool:
    """A group of point-like groups (and nothing but groups)."""
    if g.opener == "{":
        return False
    subs = g.items
    return (
        bool(subs)
        and all(isinstance(i, Group) and not groups(i.items) for i in subs)
        and any(is_point(i) for i in subs if isinstance(i, Group))
    )

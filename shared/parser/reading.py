"""One reading of a reply: candidate strokes checked into strokes and problems.

Every format reader (brackets, lines) turns what it finds into
candidates shaped as bracket groups (a stroke = a group of 4 point groups, or
of 12 bare values), so the checks and their messages live here once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..sketch import CUBE, MAX_LABEL_CHARS, Point, Points
from .normalise import DASHES, OPERATORS
from .tokens import Group, Item, Odd, Str, Word, groups, number_of

# Coordinates within this magnitude are clamped into the cube; beyond it the
# stroke is nonsense (wrong units, a stray index) and is dropped.
MAX_ABS_COORD = 10.0


@dataclass(frozen=True)
class Problem:
    stroke: int | None  # 1-based position in the response; None for the whole response
    message: str
    # "error": stroke dropped; "warning": kept, changed; "note": how the reply was read
    severity: str = "error"

    def __str__(self) -> str:
        return f"stroke {self.stroke}: {self.message}" if self.stroke is not None else self.message


@dataclass
class Candidate:
    group: Group | None
    label: str = ""
    sid: str = ""
    flat: bool = False  # twelve bare numbers instead of four point groups
    explicit_label: bool = False  # a "label" value, kept as written (not comment text)


def keys(obj: Group) -> dict[str, Item]:
    """An object's {key: value} (first wins): a string or word before a colon, the item after it."""
    out: dict[str, Item] = {}
    items = obj.items
    for i in obj.colons:
        if 0 < i < len(items):
            k = items[i - 1]
            if isinstance(k, (Str, Word)) and k.text not in out:
                out[k.text] = items[i]
    return out


def xyz_point(obj: Group) -> Group:
    """{"x": .., "y": .., "z": ..} as the point group (x, y, z); a missing axis stays missing."""
    kv = {k.lower(): v for k, v in keys(obj).items()}
    items = [kv[a] for a in "xyz" if a in kv]
    return Group("(", obj.start, obj.end, obj.closed, items)


@dataclass
class Reading:
    """Strokes and problems from one way of reading the text."""

    name: str
    strokes: list[tuple[Points, str, str]] = field(default_factory=list)  # (points, label, id)
    problems: list[Problem] = field(default_factory=list)
    count: int = 0

    def add(self, cand: Candidate, last: bool) -> None:
        self.count += 1
        n = self.count
        why = _why_not(cand, last)
        if isinstance(why, str):
            self.problems.append(Problem(n, why))
            return
        points, clamped = why
        if clamped:
            self.problems.append(Problem(n, "coordinates outside the cube [-1, 1] were clamped", "warning"))
        label = cand.label[:MAX_LABEL_CHARS] if cand.explicit_label else clean_label(cand.label)
        self.strokes.append((points, label, cand.sid))


def _why_not(cand: Candidate, last: bool) -> str | tuple[Points, bool]:
    """The stroke's points (and whether any were clamped), or why it is dropped."""
    g = cand.group
    if g is None:
        return "no control points"
    if not g.closed:
        return "incomplete (the response was cut off)" if last else "missing closing bracket"
    if cand.flat:
        values: list[Item] = [i for i in g.items if not isinstance(i, Group)]
        odd = next((i for i in values if isinstance(i, Odd)), None)
        if odd is not None:
            return _unreadable(odd, "")
        if len(values) != 12:
            return f"{len(values)} values, expected 4 points of 3 numbers"
        pts_items: list[list[Item]] = [values[k : k + 3] for k in range(0, 12, 3)]
    else:
        subs = [xyz_point(s) if s.opener == "{" else s for s in groups(g.items)]
        if len(subs) != 4:
            return f"{len(subs)} control points, expected 4"
        for k, s in enumerate(subs):
            if groups(s.items):
                return f"point {k + 1} is nested, expected (x, y, z)"
        pts_items = [s.items for s in subs]
    points: list[Point] = []
    clamped = False
    for k, items in enumerate(pts_items):
        odd = next((i for i in items if isinstance(i, Odd)), None)
        if odd is not None:
            return _unreadable(odd, f"point {k + 1} ")
        if len(items) != 3:
            return f"point {k + 1} has {len(items)} coordinates, expected 3"
        coords = []
        for axis, it in zip("xyz", items):
            num = number_of(it)
            if num is None:
                text = it.text if isinstance(it, (Word, Str)) else ""
                if text.strip().lower() in ("nan", "inf", "infinity", "-inf", "+inf", "-infinity"):
                    return f"point {k + 1} {axis} is {text}, not a finite number"
                if not isinstance(it, (Word, Str)):
                    return f"point {k + 1} {axis} is a list, not a number"
                return f"point {k + 1} {axis} is {_short(text)!r}, not a number"
            v = num.value
            if not math.isfinite(v):
                return f"point {k + 1} {axis} is {_short(num.text)}, not a finite number"
            if abs(v) > MAX_ABS_COORD:
                return f"point {k + 1} {axis}={_short(num.text)} is beyond {MAX_ABS_COORD:g}; stroke dropped"
            if abs(v) > CUBE:
                clamped = True
                v = max(-CUBE, min(CUBE, v))
            coords.append(v)
        points.append((coords[0], coords[1], coords[2]))
    return (points[0], points[1], points[2], points[3]), clamped


def _unreadable(odd: Odd, where: str) -> str:
    if odd.text in DASHES:
        what = "a minus sign or a dash?"
    elif odd.text in OPERATORS:
        what = "an expression, not a number."
    else:
        what = "a number in a form that is not read (write decimals like 0.5)."
    found = f"{odd.text!r} (U+{ord(odd.text):04X})"
    return f"{where}has {found} next to a number: {what} Stroke dropped rather than guessed"


def _short(text: str) -> str:
    """A number as written, shortened when it is absurdly long (a 400-digit integer)."""
    return text if len(text) <= 24 else f"{text[:12]}...({len(text)} characters)"


def clean_label(text: str) -> str:
    text = text.strip().strip("#/-:;,>=.*| \t\"'()").strip()
    return text[:MAX_LABEL_CHARS]

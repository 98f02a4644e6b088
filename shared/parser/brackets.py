"""Readings of bracketed replies: draw_bezier actions, JSON-like objects, bare lists.

* actions ``draw_bezier[(x, y, z), (x, y, z), (x, y, z), (x, y, z)]``, round or
  square brackets, numbered, with trailing labels;
* objects keyed ``strokes``, ``curves``, ``beziers`` or ``sketch`` whose strokes
  hold their points under ``points``, ``control_points``, ``controlPoints``,
  ``ctrl`` or ``p0``..``p3``; points as lists or ``{"x", "y", "z"}`` objects;
  a tool call whose ``arguments`` is that JSON as a string;
* a Python/JSON list of strokes, each a list of 4 points of 3 numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .normalise import normalise
from .reading import Candidate, Reading, keys
from .tokens import Budget, Group, Item, Num, Str, groups, is_point, is_stroke, tokenize, walk

STROKE_LIST_KEYS = ("strokes", "curves", "beziers", "sketch")
POINT_LIST_KEYS = ("points", "control_points", "controlPoints", "ctrl")
LABEL_KEYS = ("label", "name")
# A tool call's arguments may hold another tool call's JSON, but not forever.
MAX_ARGUMENT_DEPTH = 2

_ACTION = re.compile(r"draw_bezier\s*+(?=[\[(])", re.IGNORECASE)


def read_actions(text: str, budget: Budget) -> Reading:
    r = Reading("draw_bezier actions")
    spans = [m.end() for m in _ACTION.finditer(text)]
    for idx, s in enumerate(spans):
        if not budget.spend():
            break
        # Each action reads up to the next action's name, so one cannot leak into the next.
        end = spans[idx + 1] if idx + 1 < len(spans) else len(text)
        seg = text[s:end]
        last = idx + 1 == len(spans)
        items = tokenize(seg, budget)
        outer = items[0] if items and isinstance(items[0], Group) else None
        if outer is None:
            r.add(Candidate(None), last)
            continue
        # draw_bezier[((x,y,z), ...)] wraps the points once more: unwrap a lone inner group.
        g = outer
        while len(groups(g.items)) == 1 and not is_point(groups(g.items)[0]) and g.closed:
            g = groups(g.items)[0]
        flat = not groups(g.items)
        label = g.comment or outer.comment or _trailing_label(seg, outer)
        r.add(Candidate(g, label, flat=flat), last and not outer.closed)
    return r


def _trailing_label(seg: str, g: Group) -> str:
    if not g.closed:
        return ""
    end = seg.find("\n", g.end)
    rest = seg[g.end : end if end >= 0 else len(seg)]
    return rest if re.search(r"[A-Za-z]", rest) else ""


def read_objects(items: list[Item], budget: Budget, name: str = "JSON", depth: int = 0) -> Reading:
    """The first object holding a list of strokes, or a top-level list of stroke objects."""
    for g in walk(items):
        if g.opener != "{":
            if _is_stroke_object_list(g):
                return _read_stroke_list(g, name)
            continue
        kv = keys(g)
        for key in STROKE_LIST_KEYS:
            value = kv.get(key)
            if isinstance(value, Group) and value.opener != "{":
                return _read_stroke_list(value, name)  # the first sketch object wins; a second is an echo
        args = kv.get("arguments")
        if isinstance(args, Str) and depth < MAX_ARGUMENT_DEPTH and args.text.lstrip()[:1] in ("{", "["):
            inner = read_objects(
                tokenize(normalise(args.text), budget), budget, "tool call arguments (JSON)", depth + 1
            )
            if inner.count:
                return inner
    return Reading(name)


def _is_stroke_object_list(g: Group) -> bool:
    subs = groups(g.items)
    return (
        bool(subs)
        and len(subs) == len(g.items)
        and all(s.opener == "{" and _points_of(s) is not None for s in subs)
    )


def _read_stroke_list(value: Group, name: str) -> Reading:
    r = Reading(name)
    elems = groups(value.items)
    for k, e in enumerate(elems):
        last = k + 1 == len(elems) and not value.closed
        if e.opener != "{":
            r.add(Candidate(e, e.comment, flat=not groups(e.items)), last)
            continue
        kv = keys(e)
        pts = _points_of(e)
        label = next((kv[k2] for k2 in LABEL_KEYS if isinstance(kv.get(k2), Str)), None)
        sid = kv.get("id")
        if not e.closed and pts is None:
            r.add(Candidate(e), last)
            continue
        if pts is not None and not e.closed:
            pts = Group(pts.opener, pts.start, pts.end, False, pts.items)
        r.add(
            Candidate(
                pts,
                label.text if isinstance(label, Str) else "",
                sid.text if isinstance(sid, Str) else "",
                flat=pts is not None
                and bool(pts.items)
                and not groups(pts.items),  # "points": [x0, y0, ..., z3]
                explicit_label=True,
            ),
            last,
        )
    return r


def _points_of(stroke: Group) -> Group | None:
    """A stroke object's control points as one group of point groups (None: it has none)."""
    kv = keys(stroke)
    for key in POINT_LIST_KEYS:
        value = kv.get(key)
        if isinstance(value, Group):
            return _points_of(value) if value.opener == "{" else value
    lower = {k.lower(): v for k, v in kv.items()}
    named = [lower.get(f"p{i}") for i in range(4)]
    if any(isinstance(p, Group) for p in named):
        return Group("[", stroke.start, stroke.end, stroke.closed, [p for p in named if isinstance(p, Group)])
    return None


def read_lists(items: list[Item]) -> Reading:
    """The outermost list(s) whose elements are strokes (lists of points)."""
    r = Reading("Python/JSON lists")
    for g in _outermost_stroke_lists(items):
        elems = groups(g.items)
        for k, e in enumerate(elems):
            last = k + 1 == len(elems) and not g.closed
            r.add(Candidate(e, e.comment), last)
    if r.count == 0:
        # A lone stroke, not wrapped in a list.
        for item in items:
            if isinstance(item, Group) and is_stroke(item):
                r.add(Candidate(item, item.comment), not item.closed)
    return r


def _outermost_stroke_lists(items: list[Item]) -> Iterator[Group]:
    for g in groups(items):
        if g.opener == "{":
            continue
        subs = groups(g.items)
        if not subs:
            continue  # a leaf group holds no stroke
        if any(is_stroke(s) or _looks_cut_stroke(s) for s in subs) and not any(
            isinstance(i, (Num, Str)) for i in g.items
        ):
            yield g
        else:
            yield from _outermost_stroke_lists(g.items)


def _looks_cut_stroke(g: Group) -> bool:
    return not g.closed and g.opener != "{" and any(is_point(s) for s in groups(g.items))

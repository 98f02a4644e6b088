"""Readings of line-based replies: markdown tables, YAML, CSV rows, P0..P3 bullets.

Each reader finds its lines with one anchored, possessive (non-backtracking)
pattern, spends one budget unit per line, and hands candidates shaped as
bracket groups to reading, so every format is checked by the same rules.
"""

from __future__ import annotations

import re

from .brackets import read_objects
from .reading import Candidate, Reading
from .tokens import MAX_DEPTH, NUMBER, Budget, Group, Item, Num, Str, Word, groups, is_point, tokenize

_DECIMAL_COMMA = re.compile(r"[-+]?[0-9]+,[0-9]+(?:[eE][-+]?[0-9]+)?")


def _cell_value(cell: str, budget: Budget, decimal_comma: bool) -> Item:
    """One value written alone in a cell or field: a number, a point, or the text itself."""
    text = cell.strip().strip("*`").strip()
    if NUMBER.fullmatch(text):
        return Num(text, float(text))
    if decimal_comma and _DECIMAL_COMMA.fullmatch(text):
        return Num(text, float(text.replace(",", ".")))
    items = tokenize(text, budget)
    if len(items) == 1:
        return items[0]
    if items and all(isinstance(i, Group) for i in items):  # "(x, y, z), (x, y, z), ..." in one cell
        return _stroke(items)  # type: ignore[arg-type]
    return Str(text)


def _stroke(points: list[Group]) -> Group:
    return Group("[", closed=all(p.closed for p in points), items=list(points))


def _point(values: list[Item]) -> Group:
    return Group("(", closed=True, items=values)


# --------------------------------------------------------------------------
# Markdown tables

_ROW = re.compile(r"(?m)^[ \t]*+\|([^\n]*+)$")
_RULE = re.compile(r":?-{1,}+:?")
_AXIS = re.compile(r"[xyz]")
_TWELVE = re.compile(r"p([0-3])([xyz])|([xyz])([0-3])")
_POINT_COL = re.compile(r"(?:p|pt|point|cp|ctrl|controlpoint)([0-3])")
_KEY_COLS = {
    "stroke",
    "curve",
    "bezier",
    "id",
    "no",
    "segment",
    "strokeid",
    "curveid",
    "strokeno",
    "index",
    "",
}
_LABEL_COLS = {"label", "name", "part", "description", "component"}
_PLABEL_COLS = {"point", "pt", "p", "cp", "ctrl", "controlpoint", "pointid", "k"}
_COORD_COLS = {"points", "controlpoints", "coordinates", "coords", "xyz", "position", "pointsxyz"}


def read_tables(text: str, budget: Budget) -> Reading:
    r = Reading("markdown table")
    tables: list[list[list[str]]] = []
    prev_end = -2
    for m in _ROW.finditer(text):
        if not budget.spend():
            break
        cells = m.group(1).split("|")
        if cells and not cells[-1].strip():
            cells.pop()  # the closing pipe
        if m.start() != prev_end + 1:
            tables.append([])
        tables[-1].append([c.strip() for c in cells])
        prev_end = m.end()
    cands: list[Candidate] = []
    for rows in tables:
        cands.extend(_table_candidates(rows, budget))
    for k, c in enumerate(cands):
        r.add(c, k + 1 == len(cands))
    return r


def _table_candidates(rows: list[list[str]], budget: Budget) -> list[Candidate]:
    header: list[str] = []
    if len(rows) >= 2 and rows[1] and all(_RULE.fullmatch(c) for c in rows[1]):
        header = [re.sub(r"[^a-z0-9#]", "", c.lower()) for c in rows[0]]
        rows = rows[2:]
    rows = [row for row in rows if not all(_RULE.fullmatch(c) for c in row if c)]
    role = {i: _role(h) for i, h in enumerate(header)}
    out: list[Candidate] = []
    current: list[Group] = []
    label, key, first_plabel = "", None, None

    def flush() -> None:
        if current:
            out.append(Candidate(_stroke(current), label))
            current.clear()

    for row in rows:
        if not budget.spend(len(row)):
            break
        cells = [_cell_value(c, budget, True) for c in row]
        text_of = {
            role.get(i): row[i]
            for i in range(len(row))
            if role.get(i) in ("key", "label", "plabel") and not isinstance(cells[i], Group)
        }
        pts = _row_points(cells, role)
        if pts is None:
            continue
        if len(pts) != 1:  # a whole stroke per row
            flush()
            out.append(Candidate(_stroke(pts), text_of.get("label") or _text_key(text_of.get("key"))))
            continue
        row_key, plabel = text_of.get("key"), text_of.get("plabel")
        if first_plabel is None:
            first_plabel = plabel
        starts = (
            not current
            or (row_key is not None and row_key != key)
            or (row_key is None and plabel is not None and plabel == first_plabel)
            or (row_key is None and plabel is None and len(current) == 4)
        )
        if starts:
            flush()
            label = text_of.get("label") or _text_key(row_key)
        key = row_key
        current.append(pts[0])
    flush()
    return out


def _role(h: str) -> str | tuple[int, str] | int:
    if _AXIS.fullmatch(h):
        return h
    m = _TWELVE.fullmatch(h)
    if m:
        return (int(m.group(1) or m.group(4)), m.group(2) or m.group(3))
    m = _POINT_COL.fullmatch(h)
    if m:
        return int(m.group(1))
    if h in _KEY_COLS or h == "#":
        return "key"
    if h in _LABEL_COLS:
        return "label"
    if h in _PLABEL_COLS:
        return "plabel"
    if h in _COORD_COLS:
        return "coords"
    return "other"


def _row_points(cells: list[Item], role: dict) -> list[Group] | None:
    """The point groups a row holds (1: a point row, 4: a stroke row), None: not a data row."""
    axes = {role.get(i): c for i, c in enumerate(cells) if role.get(i) in ("x", "y", "z")}
    if len(axes) == 3:
        return [_point([axes["x"], axes["y"], axes["z"]])]
    twelve = {role[i]: c for i, c in enumerate(cells) if isinstance(role.get(i), tuple)}
    if len(twelve) == 12:
        return [_point([twelve[(p, a)] for a in "xyz"]) for p in range(4)]
    named = [(role[i], c) for i, c in enumerate(cells) if isinstance(role.get(i), int)]
    if named:
        return [c if isinstance(c, Group) else _point([c]) for _, c in sorted(named, key=lambda t: t[0])]
    # No header that says: points are the groups in the coordinate cells, or three bare numbers.
    found: list[Group] = []
    for i, c in enumerate(cells):
        if role.get(i) in ("key", "label") or not isinstance(c, Group):
            continue
        found.extend(groups(c.items) if not is_point(c) else [c])
    if found:
        return found
    nums = [c for i, c in enumerate(cells) if isinstance(c, Num) and role.get(i) not in ("key", "plabel")]
    if len(nums) == 3 and len(cells) - len(nums) <= 3:
        return [_point(list(nums))]
    return None


def _text_key(key: str | None) -> str:
    return "" if key is None or NUMBER.fullmatch(key.strip()) else key


# --------------------------------------------------------------------------
# YAML block lists (the subset models write: mappings, "- " lists, flow [..] values)

_YAML = re.compile(
    r"(?m)^( *+)(-(?: ++|$)[^\n]*+|(?:\"[^\"\n]*+\"|'[^'\n]*+'|[A-Za-z_][\w.-]*+) *+:(?: [^\n]*+)?)$"
)
_KEY = re.compile(r"(\"[^\"\n]*+\"|'[^'\n]*+'|[A-Za-z_][\w.-]*+) *+:(?: ++(.*))?")
_SEQ = re.compile(r"-(?: ++(.*))?")


def read_yaml(text: str, budget: Budget) -> Reading:
    lines: list[tuple[int, str]] = []
    for m in _YAML.finditer(text):
        if not budget.spend():
            break
        lines.append((len(m.group(1)), m.group(2).rstrip()))
    if not any(s.startswith("-") for _, s in lines):
        return Reading("YAML")
    nodes: list[Item] = []
    i = 0
    while i < len(lines):
        node, j = _block(lines, i, 0, budget)
        if j <= i:
            j = i + 1
        elif node is not None:
            nodes.append(node)
        i = j
    top = Group("[", closed=True, items=nodes)
    return read_objects([top], budget, "YAML")


def _block(lines: list[tuple[int, str]], i: int, depth: int, budget: Budget) -> tuple[Item | None, int]:
    """The mapping or sequence starting at line i; returns it and the next line's index."""
    if depth > MAX_DEPTH or i >= len(lines):
        return None, i
    indent, content = lines[i]
    if _SEQ.fullmatch(content):
        seq = Group("[", closed=True)
        while i < len(lines) and lines[i][0] == indent and (m := _SEQ.fullmatch(lines[i][1])):
            rest = (m.group(1) or "").strip()
            if not rest:
                child, j = (
                    _block(lines, i + 1, depth + 1, budget)
                    if _deeper(lines, i + 1, indent)
                    else (None, i + 1)
                )
            elif _SEQ.fullmatch(rest) or _KEY.fullmatch(rest):
                # "- key: value" or "- - x": the item is a block indented where its text starts.
                lines[i] = (indent + len(lines[i][1]) - len(rest), rest)
                child, j = _block(lines, i, depth + 1, budget)
            else:
                child, j = _scalar(rest, budget), i + 1
            seq.items.append(child if child is not None else Str(""))
            i = max(j, i + 1)
        return seq, i
    obj = Group("{", closed=True)
    while i < len(lines) and lines[i][0] == indent and (m := _KEY.fullmatch(lines[i][1])):
        key = m.group(1).strip("\"'")
        rest = (m.group(2) or "").strip()
        value: Item | None
        if rest:
            value, j = _scalar(rest, budget), i + 1
        elif i + 1 < len(lines) and (
            lines[i + 1][0] > indent or (lines[i + 1][0] == indent and _SEQ.fullmatch(lines[i + 1][1]))
        ):
            value, j = _block(lines, i + 1, depth + 1, budget)
        else:
            value, j = Str(""), i + 1
        obj.items.append(Str(key))
        obj.add_colon()
        obj.items.append(value if value is not None else Str(""))
        i = max(j, i + 1)
    return obj, i


def _deeper(lines: list[tuple[int, str]], i: int, indent: int) -> bool:
    return i < len(lines) and lines[i][0] > indent


def _scalar(text: str, budget: Budget) -> Item:
    if " #" in text:
        text = text.split(" #", 1)[0].strip()
    value = _cell_value(text, budget, False)
    return Str(value.text) if isinstance(value, Word) else value


# --------------------------------------------------------------------------
# CSV rows of 12 numbers

# 12 values, maybe a label or id first and a trailing separator (with decimal commas,
# up to 27 separators); longer lines are not rows, and are skipped in one C-speed step.
_CSV = re.compile(r"(?m)^[ \t]*+([^\n,;]*+(?:[,;][^\n,;]*+){11,31}+)$")
_ID_COLS = {"id", "stroke", "curve", "index", "#", "n", "no"}


def read_csv(text: str, budget: Budget) -> Reading:
    r = Reading("CSV rows")
    cands: list[Candidate] = []
    header_first = ""
    order: list = []  # (point, axis) of each column, from a header naming them
    for m in _CSV.finditer(text):
        if not budget.spend():
            break
        line = m.group(1).strip()
        if not budget.spend(12):
            break
        semicolons = ";" in line
        fields = [f.strip().strip("\"'") for f in line.split(";" if semicolons else ",")]
        if fields and not fields[-1]:
            fields.pop()
        values = [_csv_number(f, semicolons) for f in fields]
        numeric = [v for v in values if v is not None]
        if not numeric and all(re.fullmatch(r"[\w #.-]+", f) for f in fields):
            names = [re.sub(r"[^a-z0-9#]", "", f.lower()) for f in fields]
            header_first = names[0] if names else ""
            order = [_role(h) for h in names if isinstance(_role(h), tuple)]
            continue
        label = ""
        if values and values[0] is None:
            label, values = fields[0], values[1:]
        elif len(values) == 13 and header_first in _ID_COLS:
            values = values[1:]
        if not values or any(v is None for v in values) or not 9 <= len(values) <= 15:
            continue
        if len(values) == 12 and sorted(order) == [(p, a) for p in range(4) for a in "xyz"]:
            # Columns named x0, x1, ... y0 ...: put each value where its name says.
            by_name = dict(zip(order, values))
            values = [by_name[(p, a)] for p in range(4) for a in "xyz"]
        cands.append(Candidate(Group("[", closed=True, items=list(values)), label, flat=True))  # type: ignore[arg-type]
    for k, c in enumerate(cands):
        r.add(c, k + 1 == len(cands))
    return r


def _csv_number(field: str, decimal_comma: bool) -> Num | None:
    if NUMBER.fullmatch(field):
        return Num(field, float(field))
    if decimal_comma and _DECIMAL_COMMA.fullmatch(field):
        return Num(field, float(field.replace(",", ".")))
    return None


# --------------------------------------------------------------------------
# Bullet lines "P0: (x, y, z)" under a stroke heading

_P_LABEL = r"(?:P|p|CP|cp|Point|point|ctrl)[ _]?([0-4])(?![0-9])"
_P_COLON = r"(?:\*\*|__)?+ *+[:=]?+ *+(?:\*\*|__)?+ *+"
_BULLET = re.compile(
    r"(?m)^[ >]*+(?:[-*+\u2022]|[0-9]{1,3}[.)])?+ *+(?:\*\*|__)?+ *+"
    r"(?:" + _P_LABEL + r"|(?=[(\[]))" + _P_COLON + r"([(\[][^\n]*+|[-+.0-9][^\n]*+)$"
)
_LABELLED = re.compile(_P_LABEL + _P_COLON + r"[-+.0-9(\[]")
_BARE_VALUES = re.compile(r"[-+.0-9eE,; ]*+")
_LIST_MARK = re.compile(r"^[ >]*+(?:[-*+\u2022]|[0-9]{1,3}[.)]) ++")


def read_bullets(text: str, budget: Budget) -> Reading:
    r = Reading("P0..P3 bullet lines")
    if not _LABELLED.search(text):
        return r  # bare "(x, y, z)" lines without a single P0..P3 label are not this format
    strokes: list[tuple[str, list[Group]]] = []
    prev_end = 0
    first_label = None  # "0" for P0..P3, "1" for P1..P4
    for m in _BULLET.finditer(text):
        if not budget.spend():
            break
        rest = m.group(2)
        if rest[0] not in "([":  # bare values: "P0: -0.5, 0.5, 1" (a trailing remark is not read)
            rest = "(" + _BARE_VALUES.match(rest).group() + ")"  # type: ignore[union-attr]
        items = tokenize(rest, budget)  # empty only when the budget is spent
        point = items[0] if items else None
        if not isinstance(point, Group) or not is_point(point):
            continue  # a list of points on one line: the list readers' business
        label = m.group(1)
        if first_label is None and label is not None:
            first_label = label
        between = text[prev_end : m.start()].strip()
        prev_end = m.end()
        if between or not strokes or (label is not None and label == first_label):
            heading = _LIST_MARK.sub("", between.rsplit("\n", 1)[-1]) if between else ""
            strokes.append((heading, []))
        strokes[-1][1].append(point)
    if first_label is None:
        return r
    for k, (heading, points) in enumerate(strokes):
        r.add(Candidate(_stroke(points), heading), k + 1 == len(strokes))
    return r

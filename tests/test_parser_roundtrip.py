"""Property: a random sketch written in any supported format and Unicode form reads back exactly.

Each writer renders control points the way some model writes them; each number
form renders one float the way a model may (ASCII, Unicode minus, en dash,
fullwidth, decimal comma) without changing its value. The parser must return
exactly the same points, in order, bit for bit.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from threedraw.shared.parser import parse

Points = list[tuple[float, float, float]]
Fmt = Callable[[float], str]

_FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in "0123456789.e+"} | {"-": "\uff0d"}


def ascii_form(v: float) -> str:
    return repr(v)


def minus_sign(v: float) -> str:
    return repr(v).replace("-", "\u2212")


def en_dash(v: float) -> str:
    return repr(v).replace("-", "\u2013")


def fullwidth(v: float) -> str:
    return "".join(_FULLWIDTH.get(c, c) for c in repr(v))


NUMBER_FORMS = [ascii_form, minus_sign, en_dash, fullwidth]
# Separators: commas followed by the spaces models put there.
SPACES = [" ", "\u00a0", "\u2009", "\u202f", "\u3000", ""]


# -- writers: (strokes, number form, space) -> reply text -----------------------------


def actions(strokes: list[Points], f: Fmt, sp: str) -> str:
    return "\n".join(
        f"{i + 1}. draw_bezier[" + f",{sp}".join(_tuple(p, f, sp) for p in s) + "]"
        for i, s in enumerate(strokes)
    )


def python_lists(strokes: list[Points], f: Fmt, sp: str) -> str:
    body = f",\n{sp}".join("[" + f",{sp}".join(_tuple(p, f, sp) for p in s) + "]" for s in strokes)
    return f"```python\ncurves = [\n{body}\n]\n```"


def decimal_commas(strokes: list[Points], f: Fmt, sp: str) -> str:
    def point(p: tuple[float, float, float]) -> str:
        return "(" + f";{sp}".join(f(v).replace(".", ",").replace("\uff0e", ",") for v in p) + ")"

    return "\n".join("draw_bezier[" + f",{sp}".join(point(p) for p in s) + "]" for s in strokes)


def decimal_commas_spaced(strokes: list[Points], f: Fmt, sp: str) -> str:
    """(0,5, -0,25, 1,0): spaced commas separate, glued ones are decimal commas."""

    def point(p: tuple[float, float, float]) -> str:
        return "(" + ", ".join(f(v).replace(".", ",").replace("\uff0e", ",") for v in p) + ")"

    return "\n".join("draw_bezier[" + ", ".join(point(p) for p in s) + "]" for s in strokes)


def _tuple(p: tuple[float, float, float], f: Fmt, sp: str) -> str:
    return "(" + f",{sp}".join(f(v) for v in p) + ")"


def _json_writer(container: str, point_key: str, point_form: str, as_strings: bool) -> Callable:
    def write(strokes: list[Points], f: Fmt, sp: str) -> str:
        def num(v: float) -> str:
            return json.dumps(f(v), ensure_ascii=False) if as_strings else f(v)

        def point(p: tuple[float, float, float]) -> str:
            if point_form == "xyz":
                return "{" + f",{sp}".join(f'"{a}":{sp}{num(v)}' for a, v in zip("xyz", p)) + "}"
            return "[" + f",{sp}".join(num(v) for v in p) + "]"

        def stroke(i: int, s: Points) -> str:
            if point_key in ("p", "P"):
                pts = f",{sp}".join(f'"{point_key}{k}":{sp}{point(p)}' for k, p in enumerate(s))
            else:
                pts = f'"{point_key}":{sp}[' + f",{sp}".join(point(p) for p in s) + "]"
            return f'{{"id":{sp}"c{i}",{sp}{pts}}}'

        return f'{{"{container}":{sp}[' + f",\n{sp}".join(stroke(i, s) for i, s in enumerate(strokes)) + "]}"

    write.__name__ = f"json_{container}_{point_key}_{point_form}{'_strings' if as_strings else ''}"
    return write


def tool_call(strokes: list[Points], f: Fmt, sp: str) -> str:
    inner = _json_writer("strokes", "points", "list", False)(strokes, f, sp)
    call = {"type": "function", "function": {"name": "draw_sketch", "arguments": inner}}
    # APIs escape non-ASCII inside the arguments string (\u2212); some send it raw.
    return json.dumps({"tool_calls": [call]}, ensure_ascii=f is not fullwidth)


def table_points(strokes: list[Points], f: Fmt, sp: str) -> str:
    rows = ["| stroke | point | x | y | z |", "|---|---|---|---|---|"]
    for i, s in enumerate(strokes):
        rows += [
            f"| {i + 1} | P{k} |{sp}" + f"{sp}|{sp}".join(f(v) for v in p) + f"{sp}|" for k, p in enumerate(s)
        ]
    return "\n".join(rows)


def table_strokes(strokes: list[Points], f: Fmt, sp: str) -> str:
    rows = ["| # | P0 | P1 | P2 | P3 |", "|---|---|---|---|---|"]
    rows += [f"| {i + 1} | " + " | ".join(_tuple(p, f, sp) for p in s) + " |" for i, s in enumerate(strokes)]
    return "\n".join(rows)


def table_twelve_columns(strokes: list[Points], f: Fmt, sp: str) -> str:
    cols = [f"{a}{k}" for k in range(4) for a in "xyz"]
    rows = ["| id | " + " | ".join(cols) + " |", "|" + "---|" * 13]
    rows += [f"| s{i} | " + " | ".join(f(v) for p in s for v in p) + " |" for i, s in enumerate(strokes)]
    return "\n".join(rows)


def yaml_lists(strokes: list[Points], f: Fmt, sp: str) -> str:
    rows = ["```yaml", "strokes:"]
    for i, s in enumerate(strokes):
        rows += [f"  - id: s{i}", "    points:"] + [
            "      - [" + f",{sp}".join(f(v) for v in p) + "]" for p in s
        ]
    return "\n".join(rows + ["```"])


def yaml_mappings(strokes: list[Points], f: Fmt, sp: str) -> str:
    rows = ["curves:"]
    for s in strokes:
        rows.append("- control_points:")
        for p in s:
            rows += [f"  - x: {f(p[0])}", f"    y: {f(p[1])}", f"    z: {f(p[2])}"]
    return "\n".join(rows)


def csv_rows(strokes: list[Points], f: Fmt, sp: str) -> str:
    header = ",".join(f"{a}{k}" for k in range(4) for a in "xyz")
    return "\n".join([header] + [f",{sp}".join(f(v) for p in s for v in p) for s in strokes])


def csv_semicolons(strokes: list[Points], f: Fmt, sp: str) -> str:
    return "\n".join(
        f"curve {i};" + ";".join(f(v).replace(".", ",").replace("\uff0e", ",") for p in s for v in p)
        for i, s in enumerate(strokes)
    )


def bullets(strokes: list[Points], f: Fmt, sp: str) -> str:
    rows = ["Here is the sketch."]
    for i, s in enumerate(strokes):
        rows += ["", f"**Stroke {i + 1}**"] + [f"- P{k}: {_tuple(p, f, sp)}" for k, p in enumerate(s)]
    return "\n".join(rows)


WRITERS = [
    actions,
    python_lists,
    decimal_commas,
    decimal_commas_spaced,
    tool_call,
    table_points,
    table_strokes,
    table_twelve_columns,
    yaml_lists,
    yaml_mappings,
    csv_rows,
    csv_semicolons,
    bullets,
] + [
    _json_writer(c, k, form, strings)
    for c, k in [
        ("strokes", "points"),
        ("curves", "control_points"),
        ("beziers", "controlPoints"),
        ("sketch", "ctrl"),
        ("strokes", "p"),
        ("curves", "P"),
    ]
    for form in ("list", "xyz")
    for strings in (False, True)
]

# Coordinates as models write them (short decimals) and as floats come (17 digits, exponents).
COORD = st.one_of(
    st.integers(min_value=-1000, max_value=1000).map(lambda i: i / 1000),
    st.floats(min_value=-1, max_value=1, allow_nan=False, width=64),
)
POINT = st.tuples(COORD, COORD, COORD)
STROKES = st.lists(st.lists(POINT, min_size=4, max_size=4), min_size=1, max_size=6)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STROKES, st.sampled_from(WRITERS), st.sampled_from(NUMBER_FORMS), st.sampled_from(SPACES))
def test_every_format_and_number_form_reads_back_the_same_points(strokes, writer, form, space):
    text = writer(strokes, form, space)
    result = parse(text)
    got = [list(s.points) for s in result.sketch.strokes]
    assert got == [[tuple(p) for p in s] for s in strokes], text
    assert not result.errors, [str(p) for p in result.errors]


def test_every_writer_is_exercised_with_negative_numbers():
    """The signs are the point of the Unicode forms: check each writer on one fixed negative sketch."""
    strokes = [[(-0.5, -0.25, -1.0), (-1e-05, 0.5, -0.125), (0.0, -0.75, 0.25), (-0.0625, -0.5, 1.0)]]
    for writer in WRITERS:
        for form in NUMBER_FORMS:
            got = [list(s.points) for s in parse(writer(strokes, form, " ")).sketch.strokes]
            assert got == strokes, (writer.__name__, form.__name__)

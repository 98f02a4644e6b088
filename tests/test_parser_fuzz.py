"""Arbitrary text built from every format's pieces: only ParseError escapes, results are valid sketches."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parser_corpus import ACTION_PIECES
from threedraw.shared.parser import ParseError, parse
from threedraw.shared.sketch import MAX_STROKES

PIECES = [
    *ACTION_PIECES,
    ";",
    ":",
    " ",
    "\n",
    "  ",
    "- ",
    "| ",
    " |",
    "|---|",
    "0.5",
    "-1",
    "1e3",
    "0,5",
    "-0,25",
    "\u22120.5",
    "\u20130.5",
    "\uff0d\uff10\uff0e\uff15",
    "\u00a0",
    "\u200b",
    "\u00d7",
    "/",
    "nan",
    '"strokes"',
    '"curves"',
    '"points"',
    '"x"',
    '"P0"',
    '"arguments"',
    '"{\\"strokes\\": [',
    "strokes:",
    "points:",
    "x:",
    "P0:",
    "P3 =",
    "**Stroke 1**",
    "#",
    "```",
    "```yaml",
    "<think>",
    "</think>",
    "'",
    '"',
    "label,x0,y0,z0,x1,y1,z1,x2,y2,z2,x3,y3,z3",
    "1," * 11 + "1",
]
TEXT = st.lists(st.sampled_from(PIECES), max_size=200).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_text_from_every_formats_pieces_raises_only_parse_error(text):
    try:
        result = parse(text)
    except ParseError as e:
        assert str(e) and "\n" not in str(e).strip()
        return
    assert 1 <= len(result.sketch.strokes) <= MAX_STROKES
    result.sketch.validate()
    assert all(str(p) and p.severity in ("error", "warning", "note") for p in result.problems)

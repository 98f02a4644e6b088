"""`threedraw bench parser`: the time of each target input, with what it is.

Targets (the parser's bounds): any input up to the accepted maximum (2 MB) in under 0.5 s;
1 MB of the adversarial inputs (digit runs, brackets, parentheses) in under 0.3 s.
Each input's best of REPEAT runs (CPU time of this process) is printed with its target,
and how many inputs missed theirs. Stdlib only.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from ..shared.parser import MAX_RESPONSE_CHARS, ParseError, StreamParser, parse

MB = 1_000_000
ACTION = "draw_bezier[(0,0,0),(0,0,0.3),(0,0,0.6),(0,0,1)]"
STROKE = [[-0.5, -0.5, -1.0], [-0.5, -0.5, -0.5], [-0.5, -0.5, 0.0], [-0.5, -0.5, 0.5]]


def _fill(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _canonical(n: int) -> str:
    strokes = [{"id": f"s{i + 1}", "points": STROKE, "label": f"part {i}"} for i in range(n)]
    return json.dumps({"format": "threedraw.sketch/1", "prompt": "a chair", "strokes": strokes}, indent=2)


def _yaml(n: int) -> str:
    rows = ["strokes:"]
    for i in range(n):
        rows += [f"  - id: s{i + 1}", "    points:"] + [f"      - [{x}, {y}, {z}]" for x, y, z in STROKE]
    return "\n".join(rows)


def _table(n: int) -> str:
    rows = ["| stroke | point | x | y | z |", "|---|---|---|---|---|"]
    rows += [f"| {i + 1} | P{k} | {p[0]} | {p[1]} | {p[2]} |" for i in range(n) for k, p in enumerate(STROKE)]
    return "\n".join(rows)


def _long_reply(size: int) -> str:
    """Prose (with asides in parentheses and a few numbers) up to size, then 256 actions."""
    answer = "\n".join([ACTION] * 256)
    prose = _fill(
        "The seat (about 0.5 high) rests on four legs; the back leans a little. ", size - len(answer) - 1
    )
    return prose + "\n" + answer


def inputs() -> list[tuple[str, str, float]]:
    """(what it is, the text, target seconds)."""
    out = [
        ("issue repro: an action, then 600 digits glued to a letter", ACTION + " " + "1" * 600 + "x", 0.3),
        ("1.3 KB hostile reply (digit run glued to a letter)", ACTION + " " + "1" * 1250 + "x", 0.3),
        ("realistic: 256 strokes of canonical JSON", _canonical(256), 0.5),
        ("realistic: 256 draw_bezier lines", "\n".join([ACTION] * 256), 0.5),
        ("realistic: 256 strokes of YAML", _yaml(256), 0.5),
        ("realistic: 1,024-row markdown table", _table(256), 0.5),
        ("realistic: 2 MB of prose, then 256 draw_bezier lines", _long_reply(MAX_RESPONSE_CHARS), 0.5),
    ]
    adversarial_1mb = [
        ("digit run glued to a letter", "1" * (MB - 1) + "x"),
        ("digit run after an action", ACTION + _fill("1", MB - len(ACTION) - 1) + "x"),
        ("open parentheses", "(" * MB),
        ("open brackets", "[" * MB),
        ("alternating ([", _fill("([", MB)),
        ("empty pairs ()", _fill("()", MB)),
        ("(1) groups", _fill("(1)", MB)),
        ("numbers in one open group", "(" + _fill("1,", MB - 1)),
    ]
    out += [(f"1 MB adversarial: {what}", text, 0.3) for what, text in adversarial_1mb]
    size = MAX_RESPONSE_CHARS
    maximum = [
        ("digit run glued to a letter", "1" * (size - 1) + "x"),
        ("open parentheses", "(" * size),
        ("closing brackets", "]" * size),
        ("braces {", "{" * size),
        ("empty pairs []", _fill("[]", size)),
        ("(1) groups", _fill("(1)", size)),
        ("1, 1, 1 inside brackets", "[" + _fill("1, ", size - 1)),
        ("bare numbers 1,1,1 (CSV-like lines)", _fill("1," * 11 + "1\n", size)),
        ("words", _fill("word ", size)),
        ("newlines", "\n" * size),
        ("double quotes", '"' * size),
        ("apostrophes", "'" * size),
        ("comments #", _fill("()#\n", size)),
        ("draw_bezier( repeated", _fill("draw_bezier(", size)),
        ("draw_bezier[(1,1,1) repeated", _fill("draw_bezier[(1,1,1)", size)),
        ("unicode minus signs before digits", _fill("(\u22121", size)),
        ("fullwidth digits and commas", _fill("\uff11\uff0c", size)),
        ("decimal commas 0,5;", "(" + _fill("0,5; ", size - 1)),
        ("markdown table rows", _fill("| 1 | P0 | 0.5 | 0.5 | 0.5 |\n", size)),
        ("table pipes", "|" * size),
        ("YAML list items", _fill("- [1, 2, 3]\n", size)),
        ("YAML keys", _fill("a:\n ", size)),
        ("YAML dashes", _fill("- ", size)),
        ("bullet lines P0:", _fill("- P0: (1, 2, 3)\n", size)),
        ("code fences", _fill("```\n", size)),
        ("thinking tags", _fill("<think>", size)),
        ("spaces then x", " " * (size - 1) + "x"),
        ("minus signs", "-" * size),
        ("JSON strokes keys", _fill('{"strokes":[', size)),
        ("tool-call arguments strings", _fill('{"arguments":"{\\"strokes\\":[', size)),
    ]
    out += [(f"2 MB maximum: {what}", text, 0.5) for what, text in maximum]
    # Time against size: linear while the token budget lasts, then flat (the bound).
    for kb in (125, 250, 500, 1000, 2000):
        out.append((f"scaling: (1) groups, {kb:,} KB", _fill("(1)", kb * 1000), 0.5))
        out.append((f"scaling: digits glued to a letter, {kb:,} KB", "1" * (kb * 1000 - 1) + "x", 0.5))
    return out


def measure(text: str, repeat: int) -> tuple[float, str]:
    best = float("inf")
    outcome = ""
    for _ in range(repeat):
        t0 = time.process_time()
        try:
            outcome = f"{len(parse(text).sketch)} strokes"
        except ParseError:
            outcome = "ParseError"
        best = min(best, time.process_time() - t0)
    return best, outcome


REPEAT = 3
STREAM_CHUNK = 4096
JSON_STROKE = '{"label": "rung", "points": [[0, 0, 0.1], [0.1, 0.2, 0.1], [0.2, 0.2, 0.1], [0.3, 0, 0.1]]}'


def measure_stream(text: str) -> tuple[float, str]:
    """CPU seconds to feed text to the incremental parser in 4 KB chunks and finish (the live strokes' cost)."""
    t0 = time.process_time()
    sp = StreamParser()
    for at in range(0, len(text), STREAM_CHUNK):
        sp.feed(text[at : at + STREAM_CHUNK])
    try:
        outcome = f"{len(sp.strokes)} live, {len(sp.finish().sketch)} final strokes"
    except ParseError:
        outcome = f"{len(sp.strokes)} live, ParseError"
    return time.process_time() - t0, outcome


def stream_inputs() -> list[tuple[str, str]]:
    size = MAX_RESPONSE_CHARS
    return [
        ("2 MB of prose, then 256 draw_bezier lines", _long_reply(size)),
        ("2 MB of draw_bezier lines", _fill(ACTION + "\n", size)),
        ("2 MB markdown table rows", _fill("| 1 | P0 | 0.5 | 0.5 | 0.5 |\n", size)),
        ("2 MB of YAML list items", _fill("- [1, 2, 3]\n", size)),
        ("2 MB of (1) groups on lines", _fill("(1) (1) (1)\n", size)),
        (
            "2 MB of one-line JSON stroke objects",
            '{"strokes": [' + _fill(JSON_STROKE + ", ", size - 20) + "]}",
        ),
        ("2 MB of unclosed braces and quotes", _fill('{"points": [[\'', size)),
    ]


def run_benchmark(args: argparse.Namespace | None = None) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    slow = 0
    for what, text, target in inputs():
        seconds, outcome = measure(text, REPEAT)
        slow += seconds >= target
        figures[f"{what} ({len(text):,} chars -> {outcome}), s, target < {target}"] = round(seconds, 4)
    figures["inputs over their target"] = slow
    for what, text in stream_inputs():
        seconds, outcome = measure_stream(text)
        figures[f"streamed in 4 KB chunks: {what} ({outcome}), s"] = round(seconds, 4)
    return figures

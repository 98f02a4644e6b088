"""Parser benchmark: the time of each target input, with what it is.

    python tests/bench_parser.py [--json] [--repeat N]

Targets (issue 11): any input up to the accepted maximum (2 MB) in under 0.5 s;
1 MB of the adversarial inputs (digit runs, brackets, parentheses) in under 0.3 s.
Each input's best of N runs (CPU time of this process) is printed with its target;
the exit status is 1 when any target is missed. Stdlib only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout: the repository root holds shared/

try:  # installed (pip install -e .) or straight from the checkout
    from threedraw.shared.parser import MAX_RESPONSE_CHARS, ParseError, parse
except ImportError:  # pragma: no cover - a bare checkout without the package installed
    from shared.parser import MAX_RESPONSE_CHARS, ParseError, parse  # type: ignore[no-redef]

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
    prose = _fill("The seat (about 0.5 high) rests on four legs; the back leans a little. ", size - len(answer) - 1)
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    ap.add_argument("--repeat", type=int, default=3, help="runs per input; the best is kept (default 3)")
    args = ap.parse_args(argv)
    rows = []
    for what, text, target in inputs():
        seconds, outcome = measure(text, max(1, args.repeat))
        rows.append({"input": what, "chars": len(text), "seconds": round(seconds, 4), "target_s": target,
                     "ok": seconds < target, "result": outcome})
        if not args.json:
            mark = "ok  " if seconds < target else "SLOW"
            print(f"{mark} {seconds:7.3f} s (< {target} s)  {len(text):>9,} chars  {what}  -> {outcome}", flush=True)
    slow = [r for r in rows if not r["ok"]]
    if args.json:
        print(json.dumps({"inputs": rows, "all_ok": not slow}, indent=1))
    else:
        worst = max(rows, key=lambda r: r["seconds"])
        print(f"{len(rows)} inputs, {len(slow)} over target; slowest {worst['seconds']:.3f} s: {worst['input']}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())

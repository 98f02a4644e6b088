"""`threedraw parse FILE`: LLM response text -> canonical sketch JSON."""

from __future__ import annotations

import argparse
import sys

from ..shared.parser import MAX_RESPONSE_CHARS, ParseError, parse
from . import UserError

HELP = "parse an LLM response (FILE, or - for stdin) into canonical sketch JSON"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="response text file, or - to read standard input")
    p.add_argument("--prompt", default="", help="prompt to record in the sketch")
    p.add_argument("--indent", type=int, default=None, help="pretty-print with one stroke per line")


def read_text(path: str) -> str:
    """Read a text file or stdin, bounded, with a clear error."""
    try:
        if path == "-":
            text = sys.stdin.read(MAX_RESPONSE_CHARS + 1)
        else:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read(MAX_RESPONSE_CHARS + 1)
    except OSError as e:
        raise UserError(f"cannot read {path}: {e.strerror or e}") from None
    return text


def run(args: argparse.Namespace) -> int:
    text = read_text(args.file)
    try:
        result = parse(text, args.prompt)
    except ParseError as e:
        raise UserError(str(e)) from None
    for problem in result.problems:
        print(f"{problem.severity}: {problem}", file=sys.stderr)
    sys.stdout.write(result.sketch.to_json(indent=args.indent) + ("" if args.indent else "\n"))
    return 0

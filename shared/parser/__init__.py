"""The parser: an LLM reply's text -> Sketch, in steps, one module each.

normalise (unicode folded) -> tokens (bracket groups, linear) -> readers (brackets: actions, lists,
objects; lines: tables, YAML, CSV, bullets) -> reading (candidates checked into strokes and problems)
-> choice (``parse``: the reading with the most valid strokes wins). incremental (``StreamParser``,
with objects' ``ObjectScanner``) yields strokes while a reply streams in, then ``parse``'s result.
"""

from .choice import MAX_RESPONSE_CHARS, MAX_TOKENS, ParseError, ParseResult, parse
from .incremental import LIVE_READ_CHARS, WINDOW_CHARS, StreamParser
from .reading import MAX_ABS_COORD, Problem

# The public surface: the steps' modules are the package's own.
__all__ = [
    "parse",
    "ParseResult",
    "ParseError",
    "Problem",
    "MAX_RESPONSE_CHARS",
    "MAX_ABS_COORD",
    "MAX_TOKENS",
    "StreamParser",
    "WINDOW_CHARS",
    "LIVE_READ_CHARS",
]

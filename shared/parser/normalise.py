"""Fold the Unicode forms LLMs write for numbers into ASCII, before parsing.

Models write ``−0.5`` (U+2212 MINUS SIGN), ``–0.5`` (an en dash), fullwidth
``（０．５，－１）`` and non-breaking or thin spaces between coordinates. Read
naively, the minus signs are skipped and the number comes out positive. Here:

* fullwidth ASCII (U+FF01..U+FF5E) becomes ASCII, the ideographic comma a comma;
* every Unicode space becomes a plain space; zero-width characters disappear;
* a minus sign or dash directly before a number becomes ``-`` when what comes
  before it is a separator (start, space, bracket, comma, colon, quote...) or
  the ``e`` of an exponent (``1e−5``).

A dash glued to a word or number (``0.5–0.5``: a range? a subtraction?) or
followed by a space is ambiguous and left as it is; the tokenizer keeps it as a
``Odd`` token so the stroke holding it is reported, never read with a guessed sign.

Every step is one C-speed pass (str.translate, a regex without backtracking),
and ASCII text is returned untouched at once.
"""

from __future__ import annotations

import re

# Minus signs and dashes a model may put before a number (not the ASCII hyphen).
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2796\ufe58\ufe63\uff0d"
# Operators and superscripts that make "1×10⁻⁵" or "1/2" an expression: inside a point
# they are kept (as an Odd token) so the point is refused, not read as two numbers.
OPERATORS = "*/^%\u00d7\u00f7\u00b7\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207a\u207b"
# Numbers in forms the parser does not read (½, ¾, ⅓...): kept visible the same way.
FRACTIONS = "\u00bc\u00bd\u00be" + "".join(chr(c) for c in range(0x2150, 0x215F))

_TABLE: dict[int, int | None] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
del _TABLE[0xFF0D]  # the fullwidth hyphen-minus follows the dash rule below
_TABLE[0x3001] = ord(",")  # ideographic comma
for _cp in (0x00A0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000, 0x2028, 0x2029):
    _TABLE[_cp] = ord(" ")
for _cp in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD):
    _TABLE[_cp] = None  # zero width: a reader sees nothing there

# A dash that is a minus: preceded by a separator, an exponent's e or nothing, followed
# by a number. The dash comes first in the pattern so the engine scans for it at C speed;
# the lookbehinds then check the character before it.
_D = "[" + DASHES + "]"
_MINUS = re.compile(
    _D
    + r"(?:(?<=[\s(\[{,;:=|\"'<>*]"
    + _D
    + r")|(?<=[0-9.][eE]"
    + _D
    + r")|(?<![\s\S]"
    + _D
    + r"))(?=\.?[0-9])"
)


def normalise(text: str) -> str:
    """The same text with Unicode number forms folded to ASCII (see the module doc)."""
    if text.isascii():
        return text
    return _MINUS.sub("-", text.translate(_TABLE))

"""The stroke objects of a JSON-like reply, each as soon as its closing brace arrives.

JSON replies (what constrained providers write) often put a whole sketch on one line, or one
key per line, so the stream parser's line window sees no stroke until the end. This scanner
follows braces and brackets outside strings and hands back the text of every object that
holds a point list (``"points": ...``, ``p0``, ...) and no such object inside it: a stroke.

Linear and bounded: only brackets, quotes and backslashes are visited (one regex scan), at most
MAX_DEPTH objects are open, an object longer than MAX_OBJECT_CHARS is not a live stroke, and
after MAX_SCANNED characters nothing more is scanned.
"""

from __future__ import annotations

import re

from .brackets import POINT_LIST_KEYS

MAX_DEPTH = 64
MAX_OBJECT_CHARS = 32_000
MAX_SCANNED = 4_000_000
_SIGNIFICANT = re.compile(r"[{}\[\]\"'\\]")
# A key the parser reads a stroke's points from (a point list, or p0..p3), quoted or not.
_POINT_KEY = re.compile(
    r"\b(?:" + "|".join(re.escape(k) for k in (*POINT_LIST_KEYS, "p0")) + r")\b[\"']?\s*:"
)


class _Open:
    __slots__ = ("bracket", "start", "holds")

    def __init__(self, bracket: str, start: int):
        self.bracket, self.start = bracket, start
        self.holds = False  # a stroke was found inside: this is no stroke


class ObjectScanner:
    def __init__(self) -> None:
        self._buf = ""  # the reply from offset self._base on: enough to cut out any open candidate
        self._base = 0
        self._size = 0
        self._quote = ""  # the open string's quote character, "" outside strings
        self._escaped = False
        self._last = ""  # the last character before this chunk that is not a space
        self._keyed = False  # a point-list key was seen
        self._stack: list[_Open] = []
        self.stopped = False

    @property
    def in_object(self) -> bool:
        """An object that names point lists is open: a line-by-line reading now could read a
        stroke this scanner will (objects holding bare lists are left to that reading)."""
        return self._keyed and any(o.bracket == "{" for o in self._stack)

    def feed(self, chunk: str) -> list[str]:
        """The texts of the stroke objects this chunk completed, in order."""
        if self.stopped or not chunk:
            return []
        start = self._size
        self._size += len(chunk)
        if self._size > MAX_SCANNED:
            self.stopped = True
            return []
        self._buf += chunk
        self._keyed = self._keyed or bool(
            _POINT_KEY.search(self._buf[-len(chunk) - 24 :])
        )  # a key cut in two too
        found = []
        for m in _SIGNIFICANT.finditer(chunk):
            c, at = m.group(), start + m.start()
            if self._escaped:
                self._escaped = False
            elif self._quote:
                if c == "\\":
                    self._escaped = True
                elif c == self._quote:
                    self._quote = ""
            elif c == '"' or (c == "'" and self._opens_string(chunk, m.start())):
                self._quote = c
            elif c in "{[":
                if len(self._stack) >= MAX_DEPTH:
                    self.stopped = True
                    break
                self._stack.append(_Open(c, at))
            elif c in "}]" and self._stack:
                o = self._stack.pop()
                if c == "}" and o.bracket == "{" and not o.holds and o.start >= self._base:
                    text = self._buf[o.start - self._base : at + 1 - self._base]
                    if len(text) <= MAX_OBJECT_CHARS and _POINT_KEY.search(text):
                        found.append(text)
                        for outer in self._stack:
                            outer.holds = True
        self._last = chunk.rstrip()[-1:] or self._last
        self._trim()
        return found

    def _opens_string(self, chunk: str, i: int) -> bool:
        """A single quote starts a string only where a key or value may start (not "chair's")."""
        before = chunk[max(0, i - 16) : i].rstrip() or self._last
        return not before or before[-1] in "{[,:"

    def _trim(self) -> None:
        """Drop text before the outermost open object that may still be a stroke (in big steps,
        so that feeding token by token stays linear)."""
        starts = [o.start for o in self._stack if o.bracket == "{" and not o.holds]
        keep = max(starts[0] if starts else self._size, self._size - MAX_OBJECT_CHARS)
        drop = keep - self._base
        if drop > 0 and (not starts or 2 * drop >= len(self._buf)):
            self._buf = self._buf[drop:]
            self._base = keep

"""An LLM reply fed in chunks -> each stroke as soon as it is complete, then ``parse``'s result.

Live strokes are provisional, for showing progress: they come from re-reading, with
``parse`` itself (same tolerance), only the completed lines not yet yielded from (the
"window"). The final result is ``parse`` of the whole text, so it equals the batch
parser's result on any text, whatever the chunking.

JSON-like replies (often one line, or one key per line) are read object by object instead:
``objects.ObjectScanner`` cuts out each stroke object as its closing brace arrives, and
``parse`` reads it alone. While an object is open the window is not read (it would read the
same strokes), and once the scanner has found a stroke it alone reads the reply.

Bounded, linear work: a window is re-read only when a line completed and the lines added
since its last reading are at least a quarter of what it held before; it never holds more
than WINDOW_CHARS (older lines drop out); after MAX_STROKES live strokes, or LIVE_READ_CHARS
re-read in all, nothing more is read live. So a 2 MB reply costs at most about three batch
parses (0.8 s measured, ``threedraw bench parser``).
"""

from __future__ import annotations

from ..sketch import MAX_STROKES, Stroke
from .choice import MAX_RESPONSE_CHARS, ParseError, ParseResult, parse
from .objects import ObjectScanner

WINDOW_CHARS = 32_000
# Characters all live readings of one reply may re-read: a 256-stroke answer in the most
# verbose format needs under 100,000; text that never yields a stroke stops being read
# live when it is spent (the final parse is unaffected).
LIVE_READ_CHARS = 400_000
_GROWTH = 4  # re-read a window when it grew by 1/_GROWTH since its last reading


class StreamParser:
    """``feed(chunk)`` returns the strokes completed by that chunk; ``finish()`` returns ``parse(text)``."""

    def __init__(self, prompt: str = ""):
        self.prompt = prompt
        self.strokes: list[Stroke] = []  # live strokes so far, in order
        self._parts: list[str] = []
        self._size = 0
        self._tail = ""  # text after the last newline (an incomplete line)
        self._window: list[str] = []  # completed lines not yet yielded from
        self._window_size = 0
        self._since = 0  # characters added to the window since its last reading
        self._ids: set[str] = set()
        self._reread = 0
        self._objects = ObjectScanner()
        self._json = False  # the scanner found a stroke object: it alone reads this reply

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def feed(self, chunk: str) -> list[Stroke]:
        if not isinstance(chunk, str) or not chunk:
            return []
        self._size += len(chunk)
        if self._size <= MAX_RESPONSE_CHARS:
            self._parts.append(chunk)
        if (
            len(self.strokes) >= MAX_STROKES
            or self._size > MAX_RESPONSE_CHARS
            or self._reread > LIVE_READ_CHARS
        ):
            return []
        objects = self._objects.feed(chunk)
        if objects:
            self._json = True
            return self._read_objects(objects)
        if self._json:
            return []
        cut = chunk.rfind("\n")
        if cut < 0:
            self._tail += chunk
            if len(self._tail) > WINDOW_CHARS:  # one endless line: keep its end only
                self._tail = self._tail[-WINDOW_CHARS:]
            return []
        self._add_lines(self._tail + chunk[: cut + 1])
        self._tail = chunk[cut + 1 :]
        if self._since * _GROWTH < self._window_size - self._since or self._objects.in_object:
            return []
        return self._read_window()

    def finish(self) -> ParseResult:
        """The batch parser's result on the whole text (raises ParseError like ``parse``)."""
        if self._size > MAX_RESPONSE_CHARS:
            raise ParseError(f"response is {self._size} characters, at most {MAX_RESPONSE_CHARS} are read")
        return parse(self.text, self.prompt)

    def _add_lines(self, lines: str) -> None:
        self._window.append(lines)
        self._window_size += len(lines)
        self._since += len(lines)
        if self._window_size > WINDOW_CHARS:  # drop older lines, from a line start
            joined = "".join(self._window)[-WINDOW_CHARS:]
            joined = joined[joined.find("\n") + 1 :]
            self._window, self._window_size = [joined], len(joined)

    def _read_window(self) -> list[Stroke]:
        self._since = 0
        self._reread += self._window_size
        try:
            found = parse("".join(self._window)).sketch.strokes
        except ParseError:
            return []
        self._window, self._window_size = [], 0
        return self._accept(found)

    def _read_objects(self, objects: list[str]) -> list[Stroke]:
        found = []
        for text in objects:
            self._reread += len(text)
            try:
                found += parse('{"strokes": [' + text + "]}").sketch.strokes
            except ParseError:
                continue
        return self._accept(found)

    def _accept(self, found: list[Stroke]) -> list[Stroke]:
        """Add strokes read live, with ids unique in the reply; the added ones."""
        new = []
        for s in found[: MAX_STROKES - len(self.strokes)]:
            sid = s.id if s.id not in self._ids and not _default_id(s.id) else f"s{len(self.strokes) + 1}"
            while sid in self._ids:
                sid += "_"
            self._ids.add(sid)
            stroke = Stroke(id=sid, points=s.points, label=s.label)
            self.strokes.append(stroke)
            new.append(stroke)
        return new


def _default_id(sid: str) -> bool:
    return sid[:1] == "s" and sid[1:].rstrip("_").isdigit()

"""The Sketch: the one currency between every part of threedraw.

Canonical JSON (format ``threedraw.sketch/1``)::

    {"format": "threedraw.sketch/1", "prompt": "a chair",
     "strokes": [{"id": "s1", "points": [[x, y, z], [x, y, z], [x, y, z], [x, y, z]],
                  "label": "front left leg"}]}

One cubic Bezier per stroke (P0, P1, P2, P3). Coordinates lie in the cube
[-1, 1]^3, Z up (Blender's), the object's front faces -Y. ``label`` is optional.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .files import FileReadError, read_text, write_text_atomic

FORMAT = "threedraw.sketch/1"
CUBE = 1.0
MAX_STROKES = 256
MAX_LABEL_CHARS = 64
MAX_PROMPT_CHARS = 2000
MAX_ID_CHARS = 64
# A sketch file is small (256 strokes are ~40 KB); refuse anything far larger
# before json.loads spends memory on it.
MAX_FILE_BYTES = 4 * 1024 * 1024

Point = tuple[float, float, float]
Points = tuple[Point, Point, Point, Point]


class SketchError(ValueError):
    """A sketch that breaks the format; the message says what and where."""


@dataclass(frozen=True)
class Stroke:
    id: str
    points: Points
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "points": [list(p) for p in self.points]}
        if self.label:
            d["label"] = self.label
        return d


@dataclass
class Sketch:
    prompt: str = ""
    strokes: list[Stroke] = field(default_factory=list)

    # -- construction -----------------------------------------------------
    @classmethod
    def from_points(
        cls, prompt: str, curves: Iterable[Sequence[Sequence[float]]], labels: Sequence[str] = ()
    ) -> Sketch:
        """Build and validate a sketch from bare control points; ids are s1, s2, ..."""
        strokes = []
        labels = list(labels)
        for i, pts in enumerate(curves):
            label = labels[i] if i < len(labels) else ""
            strokes.append(_make_stroke(f"s{i + 1}", pts, label, f"stroke {i + 1}"))
        sketch = cls(prompt=prompt, strokes=strokes)
        sketch.validate()
        return sketch

    @classmethod
    def from_dict(cls, data: Any) -> Sketch:
        if not isinstance(data, dict):
            raise SketchError(f"sketch: expected a JSON object, got {type(data).__name__}")
        fmt = data.get("format")
        if fmt != FORMAT:
            raise SketchError(f"format: expected {FORMAT!r}, got {fmt!r}")
        prompt = data.get("prompt", "")
        if not isinstance(prompt, str):
            raise SketchError("prompt: expected a string")
        raw = data.get("strokes")
        if not isinstance(raw, list):
            raise SketchError("strokes: expected a list")
        if len(raw) > MAX_STROKES:
            raise SketchError(f"strokes: {len(raw)} strokes, at most {MAX_STROKES} allowed")
        strokes = []
        for i, s in enumerate(raw):
            where = f"stroke {i + 1}"  # counted from 1, as the parser and every message count strokes
            if not isinstance(s, dict):
                raise SketchError(f"{where}: expected an object with 'id' and 'points'")
            sid = s.get("id", f"s{i + 1}")
            label = s.get("label", "")
            if not isinstance(sid, str) or not sid or len(sid) > MAX_ID_CHARS:
                raise SketchError(
                    f"{where} id: expected a non-empty string of at most {MAX_ID_CHARS} characters"
                )
            if not isinstance(label, str):
                raise SketchError(f"{where} label: expected a string")
            strokes.append(_make_stroke(sid, s.get("points"), label, where))
        sketch = cls(prompt=prompt, strokes=strokes)
        sketch.validate()
        return sketch

    @classmethod
    def from_json(cls, text: str) -> Sketch:
        if len(text) > MAX_FILE_BYTES:
            raise SketchError(f"sketch JSON is {len(text)} characters, at most {MAX_FILE_BYTES} allowed")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise SketchError(f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
        except ValueError:  # json.loads refuses integers over Python's 4300-digit limit
            raise SketchError("not valid JSON: a number has more than 4300 digits") from None
        except RecursionError:
            raise SketchError("not valid JSON: nested too deeply") from None
        return cls.from_dict(data)

    @classmethod
    def load(cls, path: str | Path) -> Sketch:
        p = Path(path)
        try:
            text = read_text(p, MAX_FILE_BYTES)
        except FileReadError as e:
            raise SketchError(str(e)) from None
        try:
            return cls.from_json(text)
        except SketchError as e:
            raise SketchError(f"{p.name}: {e}") from None

    # -- output -------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "prompt": self.prompt, "strokes": [s.to_dict() for s in self.strokes]}

    def to_json(self, indent: int | None = None) -> str:
        if indent is None:
            return json.dumps(self.to_dict(), separators=(",", ":"))
        # One stroke per line: compact, yet diff-friendly for files in a repo.
        lines = [f'{{"format": {json.dumps(FORMAT)}, "prompt": {json.dumps(self.prompt)}, "strokes": [']
        body = [" " * indent + json.dumps(s.to_dict()) for s in self.strokes]
        lines.append(",\n".join(body))
        lines.append("]}")
        return "\n".join(lines) + "\n"

    def save(self, path: str | Path) -> None:
        """Write atomically, so a crash never leaves a half-written sketch behind."""
        self.validate()
        write_text_atomic(path, self.to_json(indent=1))

    # -- checks -------------------------------------------------------------
    def validate(self) -> None:
        if len(self.prompt) > MAX_PROMPT_CHARS:
            raise SketchError(f"prompt: {len(self.prompt)} characters, at most {MAX_PROMPT_CHARS} allowed")
        if len(self.strokes) > MAX_STROKES:
            raise SketchError(f"strokes: {len(self.strokes)} strokes, at most {MAX_STROKES} allowed")
        seen: set[str] = set()
        for i, s in enumerate(self.strokes):
            if s.id in seen:
                raise SketchError(f"stroke {i + 1} id: duplicate id {s.id!r}")
            seen.add(s.id)
            if len(s.label) > MAX_LABEL_CHARS:
                raise SketchError(f"stroke {i + 1} label: longer than {MAX_LABEL_CHARS} characters")
            for k, p in enumerate(s.points):
                for axis, v in zip("xyz", p):
                    v = _coordinate(v, f"stroke {i + 1} point {k + 1} {axis}")
                    if abs(v) > CUBE + 1e-9:
                        raise SketchError(
                            f"stroke {i + 1} point {k + 1} {axis}: {v} lies outside the cube [-1, 1]"
                        )

    def bounds(self) -> tuple[Point, Point]:
        """Axis-aligned box of all control points ((0,0,0),(0,0,0) when empty)."""
        pts = [p for s in self.strokes for p in s.points]
        if not pts:
            return (0.0, 0.0, 0.0), (0.0, 0.0, 0.0)
        lo = tuple(min(p[a] for p in pts) for a in range(3))
        hi = tuple(max(p[a] for p in pts) for a in range(3))
        return lo, hi  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self.strokes)


def fit_to_cube(curves: Sequence[Sequence[Point]], margin: float = 0.0) -> tuple[list[list[Point]], float]:
    """Scale control points down, uniformly and about the origin, when some leave the cube.

    Returns the (possibly unchanged) curves and the scale applied (1.0 = untouched, else < 1).
    Nothing is moved when every point is inside; nothing is ever centred or scaled up, so an
    artist's drawing keeps its place and size: one point just outside shrinks it by a hair.
    """
    pts = [p for c in curves for p in c]
    reach = max((abs(v) for p in pts for v in p), default=0.0)
    if reach <= CUBE:
        return [list(c) for c in curves], 1.0
    scale = (CUBE - margin) / reach
    out = [[tuple(max(-CUBE, min(CUBE, v * scale)) for v in p) for p in c] for c in curves]
    return out, scale  # type: ignore[return-value]


def _coordinate(v: Any, where: str) -> float:
    """A JSON number as a float; strings, booleans and numbers no float can hold are invalid values.

    Strings are refused even when they spell a number ("-0.5"): a sketch file is
    written by a program, and the parser is where lenient reading belongs.
    """
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return _invalid(v, where, "is not a number")
    try:
        f = float(v)  # an int beyond 1.8e308 raises OverflowError here
    except OverflowError:
        return _invalid(v, where, "is not a finite number")
    if not math.isfinite(f):
        return _invalid(v, where, "is not a finite number")
    return f


def _invalid(v: Any, where: str, why: str) -> float:
    shown = (
        repr(v)
        if not isinstance(v, int)
        else str(v)
        if v.bit_length() < 80
        else f"an integer of {_digits(v)} digits"
    )
    if isinstance(v, str) and len(shown) > 40:
        shown = shown[:30] + f"...' ({len(v)} characters)"
    raise SketchError(f"{where}: {shown} {why}")


def _digits(v: int) -> int:
    """Decimal digits of |v| without str(), which refuses integers over 4300 digits."""
    v = abs(v)
    d = max(1, math.floor(v.bit_length() * math.log10(2)) + 1)  # exact or one too many
    return d - 1 if d > 1 and 10 ** (d - 1) > v else d


def _make_stroke(sid: str, pts: Any, label: str, where: str) -> Stroke:
    if not isinstance(pts, (list, tuple)):
        raise SketchError(f"{where} points: expected a list of 4 points")
    if len(pts) != 4:
        raise SketchError(f"{where}: {len(pts)} control points, expected 4")
    points = []
    for k, p in enumerate(pts):
        if not isinstance(p, (list, tuple)) or len(p) != 3:
            n = len(p) if isinstance(p, (list, tuple)) else type(p).__name__
            raise SketchError(f"{where} point {k + 1}: expected [x, y, z], got {n} values")
        coords = [_coordinate(v, f"{where} point {k + 1} {axis}") for axis, v in zip("xyz", p)]
        points.append((coords[0], coords[1], coords[2]))
    if len(label) > MAX_LABEL_CHARS:
        raise SketchError(f"{where} label: longer than {MAX_LABEL_CHARS} characters")
    return Stroke(id=sid, points=(points[0], points[1], points[2], points[3]), label=label)

"""Prompt templates, kept as files next to this module.

Templates use ``{{name}}`` placeholders (not str.format braces, which JSON in the
prompts would trip). ``render`` fails loudly on a missing or unknown value, so a
renamed placeholder can never silently ship an unfilled prompt.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from ..shared.sketch import Sketch

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


@cache
def load(name: str) -> str:
    """The text of a prompt file shipped in this package (e.g. ``"draw_system.md"``)."""
    if "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"prompt name {name!r}: expected a bare file name")
    try:
        return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"prompt file {name!r} is missing from the threedraw.prompts package") from None


def placeholders(name: str) -> set[str]:
    return set(_PLACEHOLDER.findall(load(name)))


def render(name: str, **values: str) -> str:
    """Fill every ``{{key}}`` of a template; every key must be given, and no other."""
    text = load(name)
    wanted = placeholders(name)
    missing, unknown = wanted - set(values), set(values) - wanted
    if missing or unknown:
        raise KeyError(f"{name}: missing values {sorted(missing)}, unknown values {sorted(unknown)}")
    # One pass, so a value containing "{{x}}" (a user prompt) is never expanded itself.
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)


def format_sketch(sketch: Sketch, json_mode: bool) -> str:
    """A sketch written the way the model is asked to answer (actions or JSON)."""
    if json_mode:
        strokes = [
            {"label": s.label, "points": [[_round(v) for v in p] for p in s.points]} for s in sketch.strokes
        ]
        return json.dumps({"strokes": strokes})
    lines = []
    for s in sketch.strokes:
        pts = ", ".join("(" + ", ".join(f"{_round(v):g}" for v in p) + ")" for p in s.points)
        lines.append(f"draw_bezier[{pts}]" + (f"  # {s.label}" if s.label else ""))
    return "<curves>\n" + "\n".join(lines) + "\n</curves>"


def _round(v: float) -> float:
    # Two decimals, as the prompt asks of the model; -0.0 becomes 0.0.
    return round(v, 2) + 0.0


def worked_example() -> Sketch:
    return Sketch.from_json(load("example_table.json"))


def sketch_schema(max_strokes: int, min_strokes: int = 1) -> dict[str, Any]:
    """The JSON schema of a sketch answer, with ``min_strokes`` to ``max_strokes`` strokes."""
    schema = copy.deepcopy(_base_schema())
    schema["properties"]["strokes"]["minItems"] = min(min_strokes, max_strokes)
    schema["properties"]["strokes"]["maxItems"] = max_strokes
    return schema


@lru_cache(maxsize=1)
def _base_schema() -> dict[str, Any]:
    return json.loads(load("sketch_schema.json"))

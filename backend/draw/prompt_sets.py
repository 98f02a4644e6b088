"""Prompt sets: the built-in ones (``modelnet40``, ``fine-grained``) or a text file, one prompt a line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import prompts
from ..shared.files import read_text
from ..shared.sketch import MAX_PROMPT_CHARS

BUILTIN_SETS = {"modelnet40": "set_modelnet40.txt", "fine-grained": "set_fine_grained.txt"}
MAX_PROMPTS = 1000
MAX_PROMPT_FILE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class PromptSet:
    name: str  # the built-in set's name or the file's stem
    prompts: tuple[str, ...]


def load_prompt_set(spec: str) -> PromptSet:
    """A built-in set (``modelnet40``, ``fine-grained``) or a text file: one prompt a line, ``#`` comments."""
    key = spec.strip().lower().replace("_", "-")
    if key in BUILTIN_SETS:
        return PromptSet(key, tuple(parse_prompt_lines(prompts.load(BUILTIN_SETS[key]), key)))
    path = Path(spec).expanduser()
    if not path.is_file():
        raise ValueError(
            f"prompts {spec!r}: no such file and no built-in set (built-in: {', '.join(BUILTIN_SETS)})"
        )
    text = read_text(path, MAX_PROMPT_FILE_BYTES)  # FileReadError is a ValueError
    return PromptSet(path.stem, tuple(parse_prompt_lines(text, path.name)))


def parse_prompt_lines(text: str, origin: str) -> list[str]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        line = " ".join(line.split())
        if not line or line.startswith("#"):
            continue
        if len(line) > MAX_PROMPT_CHARS:
            raise ValueError(
                f"{origin}, line {n}: {len(line)} characters, at most {MAX_PROMPT_CHARS} allowed"
            )
        out.append(line)
    if not out:
        raise ValueError(f"{origin}: no prompts (one prompt a line; '#' starts a comment)")
    if len(out) > MAX_PROMPTS:
        raise ValueError(f"{origin}: {len(out)} prompts, at most {MAX_PROMPTS} allowed")
    return out

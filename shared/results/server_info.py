"""What the add-on reads of the backend: ``GET /v1/info`` (versions, the LLM provider, CLIP) and a
library's lessons (``GET /v1/libraries/{name}``). Read only, and tolerant: a field this version does
not know is ignored, a missing one is its default (an older or newer backend still shows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .fields import ResultError, as_text, flag, integer, items, mapping, text
from .lessons import LessonView


@dataclass(frozen=True)
class ProviderInfo:
    kind: str = "?"
    model: str = ""
    api_key_set: bool = False

    @classmethod
    def from_dict(cls, d: Any, where: str = "provider") -> ProviderInfo:
        d = mapping(d, where)
        return cls(text(d, "kind", where, "?"), text(d, "model", where, ""), flag(d, "api_key_set", where))


@dataclass(frozen=True)
class ClipInfo:
    model: str | None = None
    pretrained: str | None = None
    state: str = "?"  # not loaded, loading, ready, failed

    @classmethod
    def from_dict(cls, d: Any, where: str = "clip") -> ClipInfo:
        d = mapping(d, where)
        return cls(
            text(d, "model", where, None), text(d, "pretrained", where, None), text(d, "state", where, "?")
        )


@dataclass(frozen=True)
class ServerInfo:
    api: str = ""
    versions: dict[str, str | None] = field(default_factory=dict)  # package -> version; None: not installed
    provider: ProviderInfo = field(default_factory=ProviderInfo)
    clip: ClipInfo = field(default_factory=ClipInfo)

    @classmethod
    def from_dict(cls, d: Any, where: str = "info") -> ServerInfo:
        d = mapping(d, where)
        versions = mapping(d.get("versions") or {}, f"{where}.versions")
        return cls(
            text(d, "api", where, ""),
            {str(k): None if v is None else str(v) for k, v in versions.items()},
            ProviderInfo.from_dict(d.get("provider") or {}, f"{where}.provider"),
            ClipInfo.from_dict(d.get("clip") or {}, f"{where}.clip"),
        )


@dataclass(frozen=True)
class LibraryView:
    """A library's lessons at a version (its head unless asked otherwise), as the add-on lists them."""

    version: int | None
    lessons: list[LessonView]

    @classmethod
    def from_dict(cls, d: Any, where: str = "library") -> LibraryView:
        d = mapping(d, where)
        return cls(integer(d, "version", where, None), items(d, "lessons", where, LessonView.from_dict))


def library_names(d: Any, where: str = "libraries") -> list[str]:
    """The names ``GET /v1/libraries`` lists (an entry without one is left out)."""
    out = []
    for i, x in enumerate(items(mapping(d, where), "libraries", where, lambda x, w: x)):
        try:
            out.append(as_text(mapping(x, f"{where}[{i}]").get("name"), f"{where}[{i}].name"))
        except ResultError:
            continue
    return out

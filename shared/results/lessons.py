"""A library's lessons and what changed them, as both sides read them (backend/library/lessons.py
makes them: its ``Lesson`` is a ``LessonView`` that checks what it reads).

A lesson (``GET /v1/libraries/{name}``'s lessons, a refine result's ``lessons``): ``{"id", "text",
"created_at", "updated_at", "support", "provenance": [object]}``. An event, one per effect of
applying judge operations (stored in learning-run records, a refine result's ``learned`` and each
round's ``events``): ``{"event", "id"?, "merged_id"?, "text"?, "into"?, "previous"?, "op"?:
Operation, "reason"?}``, the fields that are set, in this order. An operation: ``{"op", "id"?, "text"?}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .fields import Fields, Record, integer, items, mapping, optional, read_object, text, with_set


@dataclass(frozen=True)
class LessonView:
    """A lesson as the add-on lists it and a refine result returns it."""

    id: str  # stable within its library: L1, L2, ...
    text: str
    created_at: str = ""
    updated_at: str = ""
    support: int = 1  # how many comparisons found it (added once, merged into later)
    # The origin first, then the latest changes: each the provenance its maker gave (a learning run's,
    # a refine's: their own keys, in their order) with the event and when. Free-form: shown, never read.
    provenance: tuple[Record, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "support": self.support,
            "provenance": [dict(p) for p in self.provenance],
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = "lesson") -> LessonView:
        return read_object(cls, d, where, _LESSON_READERS)


def _provenance(d: Fields, key: str, where: str) -> tuple[Record, ...]:
    return tuple(items(d, key, where, mapping))


_LESSON_READERS = {
    "id": (text, ""),
    "text": (text, ""),
    "created_at": (text, ""),
    "updated_at": (text, ""),
    "support": (integer, 1),
    "provenance": (_provenance,),
}


@dataclass(frozen=True)
class Operation:
    """A judge's operation on the lessons, as it asked for it (read leniently: ``apply_operations``
    turns a bad one into a ``skip`` event naming why)."""

    op: str  # add | modify | delete | keep
    id: str | None = None  # the lesson's stable id (modify, delete)
    text: str | None = None  # the new text (add, modify)

    def to_dict(self) -> dict[str, Any]:
        return with_set({"op": self.op}, id=self.id, text=self.text)

    @classmethod
    def from_dict(cls, d: Any, where: str = "operation") -> Operation:
        d = mapping(d, where)
        return cls(str(d["op"]), d.get("id"), d.get("text"))


@dataclass(frozen=True)
class Event:
    """One effect of applying operations: ``event`` is add, modify, delete, merge, evict, keep, skip
    (an operation that could not apply) or reject (one a batch refused: threedraw.cke.batch)."""

    event: str
    id: str | None = None  # the lesson's id (the one kept, for a merge)
    merged_id: str | None = None  # merge of two lessons: the one folded in
    text: str | None = None  # the lesson's text (add, delete, evict), the new text (modify, merge)
    into: str | None = None  # merge: the text of the lesson it was folded into
    previous: str | None = None  # modify: the text before
    op: Operation | None = None  # skip, reject: the operation
    reason: str | None = None  # skip, reject, evict: why

    @property
    def changes(self) -> bool:
        """Whether it changed the library (adds, modifications, deletions, merges, evictions)."""
        return self.event not in ("keep", "skip", "reject")

    def to_dict(self) -> dict[str, Any]:
        return with_set(
            {"event": self.event},
            id=self.id,
            merged_id=self.merged_id,
            text=self.text,
            into=self.into,
            previous=self.previous,
            op=None if self.op is None else self.op.to_dict(),
            reason=self.reason,
        )

    @classmethod
    def from_dict(cls, d: Any, where: str = "event") -> Event:
        """An event as ``to_dict`` wrote it (in a run record, a result)."""
        d = mapping(d, where)
        return cls(
            text(d, "event", where),
            text(d, "id", where, None),
            text(d, "merged_id", where, None),
            text(d, "text", where, None),
            text(d, "into", where, None),
            text(d, "previous", where, None),
            optional(d, "op", where, Operation.from_dict) if d.get("op") else None,
            text(d, "reason", where, None),
        )

"""Lessons and the judge's operations on them: pure Python, no storage.

A lesson is a short piece of experience (at most ~32 words) with a stable id, when it was made or
changed, how often it was found, and provenance. ``apply_operations`` applies judge operations
(``add``, ``modify``, ``delete``, ``keep``) to a list of lessons, then merges near-duplicates and
evicts down to the cap; the learning loop, ``refine`` and the store all go through it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..shared.results.fields import Record
from ..shared.results.lessons import Event, LessonView, Operation
from ..storage import now_utc

TARGET_LESSON_WORDS = 32  # what the judge is asked for (Training-Free GRPO's limit)
MAX_LESSON_WORDS = 48  # what is accepted: a little slack, then the lesson is refused
MAX_LESSON_CHARS = 400  # the one bound on a lesson's length: stored, sent over HTTP, put in a prompt
DEFAULT_CAP = 16
MAX_CAP = 64  # the drawing agent accepts at most this many lessons
DEFAULT_MERGE_THRESHOLD = 0.6
MAX_PROVENANCE = 10  # events kept per lesson: the origin and the latest changes
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # fullmatch: "$" would let a final newline in
_WORD = re.compile(r"[a-z0-9]+")
# Words that carry no lesson: two lessons sharing only these are not alike.
_STOPWORDS = frozenset(
    "a an the and or of to in on at for with by from as is are be it its this that these those each every "
    "all any use make draw keep your you so than then into over under more less very should must".split()
)


class LibraryError(ValueError):
    """A bad library name, version, file or lesson; the message says what and where."""


@dataclass(frozen=True)
class Lesson(LessonView):
    """A lesson as the library stores it: its JSON is ``LessonView``'s; reading one checks it."""

    @classmethod
    def from_dict(cls, d: Any, where: str = "lesson") -> Lesson:
        if not isinstance(d, dict):
            raise LibraryError(f"{where}: expected an object with 'text'")
        text = clean_lesson_text(d.get("text"), where + ".text")
        stamps: list[str] = []
        for key in ("created_at", "updated_at"):
            v = d.get(key, stamps[0] if stamps else now_utc())
            if not isinstance(v, str) or len(v) > 40:
                raise LibraryError(f"{where}.{key}: expected a timestamp string")
            stamps.append(v)
        created, updated = stamps
        support = d.get("support", 1)
        if isinstance(support, bool) or not isinstance(support, int) or not 1 <= support <= 1_000_000:
            raise LibraryError(f"{where}.support: expected a positive whole number")
        prov = d.get("provenance", [])
        if not isinstance(prov, list) or not all(isinstance(p, dict) for p in prov):
            raise LibraryError(f"{where}.provenance: expected a list of objects")
        lid = d.get("id", "")
        if not isinstance(lid, str) or len(lid) > 32:
            raise LibraryError(f"{where}.id: expected a short string")
        return cls(lid, text, created, updated, support, tuple(_bounded_provenance(prov)))


OPERATIONS = ("add", "modify", "delete", "keep")


@dataclass
class Applied:
    """What applying a batch of operations did: the new list and one event per effect."""

    lessons: list[Lesson]
    next_id: int
    events: list[Event] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(e.changes for e in self.events)

    @property
    def learned(self) -> list[Event]:
        """The events that changed the library (adds, modifications, deletions, merges, evictions)."""
        return [e for e in self.events if e.changes]


def clean_lesson_text(text: Any, where: str = "lesson") -> str:
    """Whitespace-normalised lesson text; LibraryError when empty or too long."""
    if not isinstance(text, str):
        raise LibraryError(f"{where}: expected text")
    text = " ".join(text.split())
    if not text:
        raise LibraryError(f"{where}: empty")
    words = len(text.split())
    if words > MAX_LESSON_WORDS:
        raise LibraryError(
            f"{where}: {words} words, at most {MAX_LESSON_WORDS} allowed (aim for {TARGET_LESSON_WORDS})"
        )
    if len(text) > MAX_LESSON_CHARS:
        raise LibraryError(f"{where}: {len(text)} characters, at most {MAX_LESSON_CHARS} allowed")
    return text


def similarity(a: str, b: str) -> float:
    """Jaccard overlap of the two lessons' content words (light plural folding); 1.0 = same words."""
    wa, wb = _content_words(a), _content_words(b)
    if not wa or not wb:
        return float(" ".join(a.lower().split()) == " ".join(b.lower().split()))
    return len(wa & wb) / len(wa | wb)


def _content_words(text: str) -> set[str]:
    words = set()
    for w in _WORD.findall(text.lower()):
        if w in _STOPWORDS:
            continue
        words.add(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w)
    return words


def apply_operations(
    lessons: Sequence[Lesson],
    ops: Iterable[Operation],
    *,
    next_id: int,
    provenance: Record | None = None,
    cap: int = DEFAULT_CAP,
    merge_threshold: float = DEFAULT_MERGE_THRESHOLD,
    when: str | None = None,
) -> Applied:
    """Apply judge operations in order, then merge near-duplicates and evict down to ``cap``.

    An operation that cannot apply (unknown id, bad text) is skipped with a ``skip`` event naming
    why; it never raises. Merging keeps the older lesson (its id and text) and adds the newer one's
    support. Eviction drops the least-supported, least recently changed lessons.
    """
    when = when or now_utc()
    prov = dict(provenance or {})
    out = list(lessons)
    events: list[Event] = []

    def find(lid: str | None) -> int | None:
        return next((i for i, x in enumerate(out) if x.id == lid), None)

    for op in ops:
        if op.op == "keep":
            events.append(Event("keep"))
            continue
        if op.op not in OPERATIONS:
            events.append(Event("skip", op=op, reason=f"unknown operation {op.op!r}"))
            continue
        text = None
        if op.op in ("add", "modify"):
            try:
                text = clean_lesson_text(op.text, f"{op.op} text")
            except LibraryError as e:
                events.append(Event("skip", op=op, reason=str(e)))
                continue
        if op.op == "add":
            assert text is not None
            twin = _most_similar(out, text, merge_threshold)
            if twin is not None:
                out[twin] = _merged(out[twin], text, {**prov, "event": "merge", "at": when})
                events.append(Event("merge", out[twin].id, text=text, into=out[twin].text))
                continue
            lid = f"L{next_id}"
            next_id += 1
            out.append(Lesson(lid, text, when, when, 1, ({**prov, "event": "add", "at": when},)))
            events.append(Event("add", lid, text=text))
            continue
        i = find(op.id)
        if i is None:
            events.append(Event("skip", op=op, reason=f"{op.op} {op.id}: no such lesson"))
            continue
        if op.op == "delete":
            events.append(Event("delete", out[i].id, text=out[i].text))
            del out[i]
        else:
            assert text is not None
            old = out[i]
            if text == old.text:
                events.append(Event("keep", old.id))
                continue
            out[i] = replace(
                old,
                text=text,
                updated_at=when,
                provenance=_bounded_provenance(
                    [*old.provenance, {**prov, "event": "modify", "at": when, "previous": old.text}]
                ),
            )
            events.append(Event("modify", old.id, text=text, previous=old.text))

    out, merge_events = _merge_duplicates(out, merge_threshold, prov, when)
    events += merge_events
    while len(out) > cap:
        # Least support first, then the least recently changed, then the oldest position.
        victim = min(range(len(out)), key=lambda k: (out[k].support, out[k].updated_at, k))
        events.append(Event("evict", out[victim].id, text=out[victim].text, reason=f"cap {cap}"))
        del out[victim]
    return Applied(out, next_id, events)


def _most_similar(lessons: Sequence[Lesson], text: str, threshold: float) -> int | None:
    best, best_sim = None, threshold
    for i, lesson in enumerate(lessons):
        sim = similarity(lesson.text, text)
        if sim >= best_sim:
            best, best_sim = i, sim
    return best


def _merged(keep: Lesson, other_text: str, event: Record, extra_support: int = 1) -> Lesson:
    ev = {**event, "merged_text": other_text}
    return replace(
        keep,
        support=keep.support + extra_support,
        updated_at=event["at"],
        provenance=_bounded_provenance([*keep.provenance, ev]),
    )


def _merge_duplicates(
    lessons: list[Lesson], threshold: float, prov: Record, when: str
) -> tuple[list[Lesson], list[Event]]:
    """Fold each lesson into an earlier near-duplicate (a modify can make two lessons alike)."""
    out: list[Lesson] = []
    events = []
    for lesson in lessons:
        twin = _most_similar(out, lesson.text, threshold)
        if twin is None:
            out.append(lesson)
            continue
        out[twin] = _merged(
            out[twin],
            lesson.text,
            {**prov, "event": "merge", "at": when, "merged_id": lesson.id},
            extra_support=lesson.support,
        )
        events.append(Event("merge", out[twin].id, lesson.id, lesson.text, into=out[twin].text))
    return out, events


def _bounded_provenance(events: Sequence[Record]) -> tuple[Record, ...]:
    events = list(events)
    if len(events) > MAX_PROVENANCE:
        events = [events[0], *events[-(MAX_PROVENANCE - 1) :]]
    return tuple(events)


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise LibraryError(
            f"library name {name!r}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def check_cap(cap: Any) -> int:
    if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= MAX_CAP:
        raise LibraryError(f"cap {cap!r}: expected a whole number from 1 to {MAX_CAP}")
    return cap

"""One learning batch's operations applied together: the conflict rules, deterministic and recorded.

The B prompts of a batch are judged against the same library version, so their judges may
disagree about a lesson. ``apply_batch`` applies their operations in prompt order, each prompt's
through ``apply_operations`` exactly as a sequential step would (near-duplicate adds merged by the
similarity rule, the cap evicting as always), with one rule on top:

* a lesson changes at most once per batch: a ``modify`` or ``delete`` of a lesson that an
  earlier prompt of the batch already modified, deleted, merged away or evicted is rejected
  (that judge saw the older text), with an event ``{"event": "reject", "op", "reason"}`` naming
  the earlier prompt and what it did.

Operations of one judge reply among themselves behave as today, so a batch of one prompt is
exactly the sequential step. The result is one list of lessons: one library version per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..library.lessons import Event, Lesson, Operation, apply_operations
from ..shared.results.fields import Record


@dataclass(frozen=True)
class Proposal:
    """One prompt's operations: its index in the epoch, the prompt, and the provenance its lessons get."""

    index: int
    prompt: str
    operations: Sequence[Operation]
    provenance: Record


@dataclass
class BatchApplied:
    lessons: list[Lesson]
    next_id: int
    events: list[list[Event]] = field(default_factory=list)  # per proposal, in order

    @property
    def changed(self) -> bool:
        return any(self.learned(i) for i in range(len(self.events)))

    def learned(self, i: int) -> list[Event]:
        """What proposal ``i`` changed (as ``Applied.learned``; rejections change nothing)."""
        return [e for e in self.events[i] if e.changes]

    def rejected(self) -> list[Event]:
        return [e for ev in self.events for e in ev if e.event == "reject"]


# What removing or rewriting a lesson is called in a rejection's reason.
_DID = {"modify": "modified", "delete": "deleted", "merge": "merged into another lesson", "evict": "evicted"}


def apply_batch(
    lessons: Sequence[Lesson],
    proposals: Sequence[Proposal],
    *,
    next_id: int,
    cap: int,
    merge_threshold: float,
    when: str | None = None,
) -> BatchApplied:
    """Apply the proposals in order (see the module docstring); never raises on a bad operation."""
    current = list(lessons)
    touched: dict[str, tuple[Proposal, str]] = {}  # lesson id -> the earlier proposal and what it did
    out = BatchApplied(current, next_id)
    for prop in proposals:
        kept: list[Operation] = []
        rejected: list[Event] = []
        for op in prop.operations:
            earlier = touched.get(op.id or "") if op.op in ("modify", "delete") else None
            if earlier is None:
                kept.append(op)
                continue
            other, did = earlier
            rejected.append(
                Event(
                    "reject",
                    op=op,
                    reason=f"{op.op} {op.id}: {_DID[did]} earlier in this batch by prompt "
                    f"{other.index + 1} {other.prompt!r}; a lesson changes once per batch",
                )
            )
        applied = apply_operations(
            current,
            kept,
            next_id=out.next_id,
            provenance=prop.provenance,
            cap=cap,
            merge_threshold=merge_threshold,
            when=when,
        )
        for e in applied.events:
            gone = e.merged_id if e.event == "merge" else e.id
            if e.event in _DID and gone:  # an add merged into a lesson leaves it as it was
                touched.setdefault(gone, (prop, e.event))
        current, out.next_id = applied.lessons, applied.next_id
        out.events.append(applied.events + rejected)
    out.lessons = current
    return out

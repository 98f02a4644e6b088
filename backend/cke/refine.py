"""Refine: CKE rounds on one prompt, optionally from an artist's sketch.

Each round draws K candidates refining the best sketch so far, scores them together with it,
pairs and judges them, and updates the lessons; the best sketch never gets worse than the start.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..draw import agent
from ..draw.agent import OnStroke
from ..draw.pipeline import DrawConfig, Entry, Scorer, draw_round
from ..library.lessons import DEFAULT_CAP, DEFAULT_MERGE_THRESHOLD, Event, Lesson, apply_operations
from ..library.store import LibraryStore
from ..llm.base import Provider, Usage
from ..runtime import Progress, ProgressFn, StepError, check_cancel, no_progress
from ..scoring.reward import ScoreConfig, score_sketches
from ..shared.repair import Change
from ..shared.results.fields import Record
from ..shared.results.score import Score
from ..shared.sketch import Sketch
from ..storage import now_utc
from .pairing import PAIRINGS, judge_round, round_usage

MAX_ROUNDS = 10


@dataclass(frozen=True)
class RefineConfig:
    """The defaults of a refine (the HTTP refine job reads them from here)."""

    rounds: int = 2
    k: int = 3
    temperature: float = agent.SAMPLE_TEMPERATURE
    pairing: str = PAIRINGS[0]
    judge_images: bool = False


# How a refine draws unless told otherwise (the provider's sizes, no seed, repaired drawings).
REFINE_DRAW = DrawConfig(k=RefineConfig.k, temperature=RefineConfig.temperature)


@dataclass
class RefineResult:
    prompt: str
    best: Sketch
    best_score: Score
    best_round: int  # 0: the start sketch was never beaten
    lessons: list[Lesson]  # the lessons after the last round
    learned: list[Event]  # what changed in them: add, modify, delete, merge, evict events
    rounds: list[Record]  # every round's candidates, scores, judge reply and events
    usage: Usage
    calls: int
    version: int | None = None  # the library version written (commit=True)
    best_repairs: list[Change] = field(default_factory=list)  # what repair changed in the best drawing

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "best": self.best.to_dict(),
            "best_score": self.best_score.to_dict(),
            "best_round": self.best_round,
            "lessons": [x.to_dict() for x in self.lessons],
            "learned": [e.to_dict() for e in self.learned],
            "rounds": self.rounds,
            "usage": self.usage.to_dict(),
            "calls": self.calls,
            "version": self.version,
            "best_repairs": [c.to_dict() for c in self.best_repairs],
        }


def refine(
    prompt: str,
    provider: Provider,
    score_config: ScoreConfig,
    *,
    store: LibraryStore | None = None,
    library: str | None = None,
    lessons: Sequence[str] | None = None,
    commit: bool = False,
    rounds: int = RefineConfig.rounds,
    draw: DrawConfig = REFINE_DRAW,
    start: Sketch | None = None,
    pairing: str = RefineConfig.pairing,
    judge_images: bool = RefineConfig.judge_images,
    merge_threshold: float = DEFAULT_MERGE_THRESHOLD,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    on_stroke: OnStroke | None = None,
    scorer: Scorer = score_sketches,
) -> RefineResult:
    """Run CKE rounds on one prompt and return the best sketch and the lessons learned.

    Lessons start from ``library``'s head (needs ``store``) or from ``lessons``. Each round draws
    K candidates refining the best sketch so far (``start`` at first, when given), scores them
    with it, pairs, judges and updates the lessons; the best sketch never gets worse than the
    start. With ``commit`` every round's changes are written to the library as a new version.
    ``on_stroke`` hears each round's live strokes (agent.OnStroke): every round's reply of candidate i
    begins with ``on_stroke(i, None)``, as the round reuses the index.
    """
    if not 1 <= rounds <= MAX_ROUNDS:
        raise ValueError(f"rounds={rounds}: expected 1 to {MAX_ROUNDS}")
    if (library is None) != (store is None):
        raise ValueError("refine: give both store and library, or neither")
    if commit and library is None:
        raise ValueError("refine: commit needs a library")
    if library is not None and lessons is not None:
        raise ValueError("refine: give a library or a list of lessons, not both")
    agent.check_inputs(prompt, [], draw.k, 1)
    report = progress or no_progress
    version: int | None = None
    if store is not None and library is not None:
        info = store.ensure(library)
        cap, version = info.cap, info.head
        current_lessons = store.lessons(library, version)
        next_id = store.next_lesson_id(library)
    else:
        cap = DEFAULT_CAP
        when = now_utc()
        current_lessons = [Lesson(f"L{i}", t, when, when) for i, t in enumerate(lessons or [], 1)]
        next_id = len(current_lessons) + 1
    rng = random.Random(draw.seed)
    incumbent: Entry | None = None
    best_round = 0
    best_repairs: list[Change] = []
    if start is not None and not start.strokes:
        start = None
    record: list[Record] = []
    learned: list[Event] = []
    usage, calls = Usage(), 0
    written: int | None = None
    best_rewards: list[float | None] = []
    for r in range(1, rounds + 1):
        check_cancel(cancel)
        base_sketch = incumbent.sketch if incumbent is not None else start
        report(
            Progress("draw", f"round {r}/{rounds}: drawing {draw.k} candidates", r - 1, rounds, index=r - 1)
        )
        rnd = draw_round(
            provider,
            prompt,
            [x.text for x in current_lessons],
            score_config,
            draw.offset_seed(100 * r),
            current=base_sketch,
            include=[base_sketch] if base_sketch is not None else [],
            cancel=cancel,
            scorer=scorer,
            on_stroke=on_stroke,
        )
        report(Progress("judge", f"round {r}/{rounds}: judging", r - 1, rounds, index=r - 1))
        outcome = judge_round(
            provider,
            rnd,
            current_lessons,
            pairing=pairing,
            rng=rng,
            cap=cap,
            images=judge_images,
            cancel=cancel,
        )
        prov = {
            "source": "refine",
            "query": prompt,
            "round": r,
            "pair": list(outcome.pair) if outcome.pair else None,
        }
        applied = apply_operations(
            current_lessons,
            outcome.operations,
            next_id=next_id,
            provenance=prov,
            cap=cap,
            merge_threshold=merge_threshold,
        )
        if commit and applied.changed:
            assert store is not None and library is not None
            written, applied = store.apply(
                library,
                outcome.operations,
                base=written or version,
                provenance=prov,
                note=f"refine {prompt[:60]!r} round {r}",
                merge_threshold=merge_threshold,
            )
        current_lessons, next_id = applied.lessons, applied.next_id
        learned += applied.learned
        # The incumbent is in the pool, so the round's best is never worse; on a tie it stays.
        best = rnd.best()
        if best is not None:
            if best.source == "drawn":
                best_round, best_repairs = r, best.repairs
            incumbent = best
        best_rewards.append(best.reward if best is not None else None)
        usage = usage + rnd.usage + (outcome.judge.usage if outcome.judge else Usage())
        calls += rnd.calls + (outcome.judge.calls if outcome.judge else 0)
        record.append(
            {
                "round": r,
                "draw": rnd.to_dict(),
                "judge": outcome.to_dict(),
                "events": [e.to_dict() for e in applied.events],
                "usage": round_usage(rnd, outcome).to_dict(),
            }
        )
        report(
            Progress(
                "update", f"round {r}/{rounds}: {len(applied.learned)} lesson changes", r, rounds, index=r - 1
            )
        )
    if incumbent is None or incumbent.sketch is None or incumbent.score is None:
        raise StepError(f"no usable sketch of {prompt!r} in {rounds} rounds of {draw.k} candidates")
    report(Progress("done", f"best sketch from round {best_round}", rounds, rounds, scores=best_rewards))
    return RefineResult(
        prompt,
        incumbent.sketch,
        incumbent.score,
        best_round,
        list(current_lessons),
        learned,
        record,
        usage,
        calls,
        written,
        best_repairs,
    )

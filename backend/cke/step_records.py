"""What a learning run keeps of each step (``threedraw.library.runs`` stores it as the step's record).

A learn step's record grows as the step goes (``learner.Learner.learn_batch``): ``{"round"}`` once
its candidates are scored, ``{"round", "judge"}`` once the judge replied, and once done
``{"round", "judge", "events", "usage", "lessons", "batch"}``. A validation step's record is
``{"round", "best", "score", "reward", "usage"}``. ``to_dict`` writes exactly these; ``from_dict``
reads them back, records of earlier versions included (a missing part is None).

An epoch's detail (``EpochDetail``, kept with the epoch and returned in the learn result's epochs) is
written as shared/results/learn_result.EpochScores: the means of its lists, the parts the epoch had.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..draw.pipeline import Round
from ..library.lessons import Event
from ..shared.results import Score
from ..shared.results.fields import Record, with_set
from ..shared.results.learn_result import EpochScores
from ..shared.results.step_usage import StepUsage
from .pairing import JudgeOutcome


@dataclass(frozen=True)
class BatchInfo:
    """The batch a learn step was applied in, and the library version that batch produced."""

    number: int  # from 1, within its epoch
    size: int  # the run's batch size
    queries: list[int]  # the prompts (indexes) the batch judged now
    version: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "size": self.size,
            "queries": list(self.queries),
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, d: Record) -> BatchInfo:
        return cls(int(d["number"]), int(d["size"]), [int(q) for q in d["queries"]], int(d["version"]))


@dataclass(frozen=True)
class LearnStep:
    round: Round
    judge: JudgeOutcome | None = None  # once judged
    # Once done: the operations' effects, the step's usage, the library's size after and the batch.
    events: list[Event] | None = None
    usage: StepUsage | None = None
    lessons: int | None = None
    batch: BatchInfo | None = None

    def to_dict(self) -> dict[str, Any]:
        return with_set(
            {"round": self.round.to_dict()},
            judge=None if self.judge is None else self.judge.to_dict(),
            events=None if self.events is None else [e.to_dict() for e in self.events],
            usage=None if self.usage is None else self.usage.to_dict(),
            lessons=self.lessons,
            batch=None if self.batch is None else self.batch.to_dict(),
        )

    @classmethod
    def from_dict(cls, d: Record) -> LearnStep:
        return cls(
            Round.from_dict(d["round"]),
            JudgeOutcome.from_dict(d["judge"]) if "judge" in d else None,
            [Event.from_dict(e) for e in d["events"]] if "events" in d else None,
            StepUsage.from_dict(d["usage"]) if "usage" in d else None,
            d.get("lessons"),
            BatchInfo.from_dict(d["batch"]) if "batch" in d else None,
        )


@dataclass(frozen=True)
class ValStep:
    round: Round
    best: int | None  # the best candidate's index (None: none usable)
    score: Score | None  # its score
    reward: float  # its reward (0.0 when none is usable)
    usage: StepUsage

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.round.to_dict(),
            "best": self.best,
            "score": None if self.score is None else self.score.to_dict(),
            "reward": self.reward,
            "usage": self.usage.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Record) -> ValStep:
        return cls(
            Round.from_dict(d["round"]),
            d.get("best"),
            Score.from_dict(d["score"]) if d.get("score") else None,
            float(d["reward"]),
            StepUsage.from_dict(d.get("usage") or {}),
        )


@dataclass
class EpochDetail:
    lessons: int  # the library's lessons at the epoch's version
    train_bests: list[float] | None = None  # each finished learn step's best reward (None: none ran)
    val_rewards: list[float] | None = None  # keep-best: each validation prompt's reward
    val_clips: list[float] = field(default_factory=list)  # their best sketches' CLIP means, where measured
    val_structures: list[float] = field(default_factory=list)  # and structure totals
    head_kept: str | None = None  # why the library's head stayed (another run moved it)

    def scores(self) -> EpochScores:
        """What is kept of it: the means of its lists, the parts the epoch had."""
        validated = self.val_rewards is not None
        return EpochScores(
            self.lessons,
            self.train_bests is not None,
            mean(self.train_bests or []),
            list(self.val_rewards) if self.val_rewards is not None else None,
            mean(self.val_clips) if validated else None,
            mean(self.val_structures) if validated else None,
            self.head_kept,
        )

    def to_dict(self) -> dict[str, Any]:
        return self.scores().to_dict()


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None

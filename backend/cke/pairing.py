"""Pairing and judging a round: which two sketches the judge compares, and what it says about them.

``pick_pair`` chooses ``best-worst`` (the paper's; random pairing hurt there), ``best-second`` or
``random`` from the round's ranking; ``judge_round`` asks the judge (``threedraw.cke.judge``) about
that pair and returns its operations on the lessons.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..draw.pipeline import Entry, Round, rank
from ..library.lessons import DEFAULT_CAP, Lesson, Operation
from ..llm.base import Provider, ProviderError, Usage
from ..runtime import StepError, run_llm
from ..shared.results.step_usage import StepUsage
from ..shared.sketch import Sketch
from .judge import DEFAULT_MAX_TOKENS as JUDGE_MAX_TOKENS
from .judge import DEFAULT_TEMPERATURE as JUDGE_TEMPERATURE
from .judge import JudgeResult, Side, ajudge

PAIRINGS = ("best-worst", "best-second", "random")
MIN_GAP = 1e-9  # two candidates closer than this in reward teach nothing
JUDGE_VIEWS = 4
JUDGE_IMAGE_SIZE = 160
JUDGE_IMAGES = "also show the judge rendered views of both sketches (the model must accept images)"


def pick_pair(round_: Round, strategy: str, rng: random.Random) -> tuple[Entry, Entry] | str:
    """(better, worse) for the judge, or why there is no pair."""
    if strategy not in PAIRINGS:
        raise ValueError(f"pairing {strategy!r}: expected one of {', '.join(PAIRINGS)}")

    ranked = round_.ranked()
    if len(ranked) < 2:
        return f"fewer than two usable sketches ({len(ranked)} of {len(round_.entries)})"
    if strategy == "best-worst":
        better, worse = ranked[0], ranked[-1]
    elif strategy == "best-second":
        better, worse = ranked[0], ranked[1]
    else:
        better, worse = rank(rng.sample(ranked, 2))
    if (better.reward or 0.0) - (worse.reward or 0.0) <= MIN_GAP:
        return f"no contrast: both sketches score {better.reward or 0.0:.4f}"
    return better, worse


@dataclass
class JudgeOutcome:
    pair: tuple[int, int] | None  # entry indexes (better, worse)
    skipped: str | None  # why no judge was asked, or why its answer was not used
    judge: JudgeResult | None

    @property
    def operations(self) -> list[Operation]:
        return list(self.judge.operations) if self.judge and not self.judge.error else []

    def to_dict(self) -> dict[str, Any]:
        return {
            "pair": list(self.pair) if self.pair else None,
            "skipped": self.skipped,
            "judge": self.judge.to_dict() if self.judge else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> JudgeOutcome:
        """An outcome as ``to_dict`` stored it (a judged step picked up after a crash)."""
        pair = d.get("pair")
        return cls(
            (int(pair[0]), int(pair[1])) if pair else None,
            d.get("skipped"),
            JudgeResult.from_dict(d["judge"]) if d.get("judge") else None,
        )


def judge_round(
    provider: Provider,
    round_: Round,
    lessons: Sequence[Lesson],
    *,
    cancel: threading.Event | None = None,
    **options: Any,
) -> JudgeOutcome:
    """Pair the round's sketches and ask the judge (``ajudge_round``'s options), blocking; a set
    ``cancel`` stops it. ProviderError becomes StepError (resumable)."""
    return run_llm(provider, lambda: ajudge_round(provider, round_, lessons, **options), cancel)


async def ajudge_round(
    provider: Provider,
    round_: Round,
    lessons: Sequence[Lesson],
    *,
    pairing: str = "best-worst",
    rng: random.Random | None = None,
    cap: int = DEFAULT_CAP,
    temperature: float = JUDGE_TEMPERATURE,
    max_tokens: int = JUDGE_MAX_TOKENS,
    images: bool = False,
    seed: int | None = None,
) -> JudgeOutcome:
    """Pick the pair (``pairing``, from the round's ranking) and ask the judge about it, inside a running
    event loop (a learning batch judges its prompts at once). ProviderError becomes StepError."""
    pair = pick_pair(round_, pairing, rng or random.Random(0))
    if isinstance(pair, str):
        return JudgeOutcome(None, pair, None)
    better, worse = pair
    sides = []
    for e in (better, worse):
        assert e.sketch is not None and e.score is not None
        sheet = await asyncio.to_thread(_sheet_png, e.sketch) if images else None
        sides.append(Side(e.sketch, e.score, sheet))
    try:
        result = await ajudge(
            provider,
            round_.prompt,
            sides[0],
            sides[1],
            lessons,
            cap=cap,
            temperature=temperature,
            max_tokens=max_tokens,
            seed=seed,
        )
    except ProviderError as e:
        raise StepError(f"the judge's LLM call failed: {e}") from None
    return JudgeOutcome((better.index, worse.index), result.error, result)


def _sheet_png(sketch: Sketch) -> bytes:
    from ..rendering.images import sheet_png

    return sheet_png(sketch, views=JUDGE_VIEWS, size=JUDGE_IMAGE_SIZE)


def round_usage(round_: Round | None, outcome: JudgeOutcome | None) -> StepUsage:
    """Calls and tokens of one step, split into drawing and judging."""
    judge = outcome.judge if outcome else None
    return StepUsage.of(
        round_.usage if round_ else Usage(),
        judge.usage if judge else Usage(),
        round_.calls if round_ else 0,
        judge.calls if judge else 0,
    )

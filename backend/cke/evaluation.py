"""Evaluation: draw prompt sets with a library (or none) and score every drawing.

``evaluate`` draws every prompt of every set once per method (a library version, or no
experience) at the drawing temperature through the drawing pipeline, all at once, and scores it: CLIP-ST
(mean CLIP over the views, the paper's metric) and the structure score. With ``DrawConfig.polish``
each prompt's best drawing is then polished and scored again (one at a time: polish is CPU-bound).
``threedraw.cke.report`` writes the table and the report.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..draw import agent
from ..draw.concurrent import ScoreBatcher, run_all
from ..draw.pipeline import DrawConfig, GroupScorer, Round, adraw_round, cancellable_polisher, polish_best
from ..draw.prompt_sets import PromptSet
from ..llm.base import Provider, Usage
from ..runtime import Progress, ProgressFn, check_cancel, no_progress
from ..scoring.reward import ScoreConfig, score_groups
from ..shared.sketch import Sketch


@dataclass(frozen=True)
class EvalConfig:
    """The defaults of an evaluation (``threedraw eval`` reads them from here)."""

    # One candidate per prompt (the best by reward counts when more), at the temperature the paper
    # draws with the library; the provider's sizes, no seed.
    draw: DrawConfig = DrawConfig(k=1, temperature=agent.DRAW_TEMPERATURE)


# How an evaluation draws unless told otherwise.
EVAL_DRAW = EvalConfig.draw


@dataclass
class PromptResult:
    set: str
    index: int
    prompt: str
    clip: float | None  # CLIP-ST: mean CLIP over views; None without CLIP weights
    structure: float | None
    reward: float | None
    strokes: int
    sketch: Sketch | None = None
    error: str | None = None
    calls: int = 0
    usage: Usage = field(default_factory=Usage)
    polish_steps: int = 0  # the polish steps its sketch went through before it was scored (0: none)

    def to_dict(self) -> dict[str, Any]:
        return {
            "set": self.set,
            "index": self.index,
            "prompt": self.prompt,
            "clip_st": self.clip,
            "structure": self.structure,
            "reward": self.reward,
            "strokes": self.strokes,
            "error": self.error,
            "calls": self.calls,
            "usage": self.usage.to_dict(),
            "polish_steps": self.polish_steps,
        }


@dataclass
class Method:
    """What is evaluated: a list of lessons (empty: no experience) and where it came from."""

    label: str
    lessons: list[str]
    library: str | None = None
    version: int | None = None
    results: list[PromptResult] = field(default_factory=list)

    def of(self, set_name: str) -> list[PromptResult]:
        return [r for r in self.results if r.set == set_name]

    def mean(self, set_name: str, key: str) -> float | None:
        # A prompt that drew nothing holds 0.0 (so it counts against the method); None is "not measured".
        vals = [v for v in (getattr(r, key) for r in self.of(set_name)) if v is not None]
        return sum(vals) / len(vals) if vals else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "library": self.library,
            "version": self.version,
            "lessons": self.lessons,
            "results": [r.to_dict() for r in self.results],
        }


def evaluate(
    provider: Provider,
    score_config: ScoreConfig,
    sets: Sequence[PromptSet],
    methods: Sequence[Method],
    *,
    draw: DrawConfig = EVAL_DRAW,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    scorer: GroupScorer = score_groups,
) -> list[Method]:
    """Draw and score every prompt of every set for every method (best of ``draw.k``; prompt i draws
    with seed ``draw.seed + 100 i``); fills ``results``.

    All the drawings are asked for at once (the provider bounds how many are in flight) and the
    finished ones are scored together in batches (``threedraw.draw.concurrent``)."""
    report = progress or no_progress
    items = [(m, ps, i, prompt) for m in methods for ps in sets for i, prompt in enumerate(ps.prompts)]
    total = len(items)
    done = 0

    async def one(method: Method, ps: PromptSet, i: int, prompt: str, batcher: ScoreBatcher) -> Round:
        nonlocal done
        check_cancel(cancel)
        rnd = await adraw_round(
            provider,
            prompt,
            method.lessons,
            batcher.score,
            draw.offset_seed(100 * i),
        )
        done += 1
        report(
            Progress(
                "draw",
                f"{method.label}: {ps.name} {i + 1}/{len(ps.prompts)} {prompt!r}",
                done,
                total,
                index=i,
            )
        )
        return rnd

    rounds = run_all(provider, lambda b: [one(*item, b) for item in items], score_config, scorer, cancel)
    if draw.polish:
        for n, rnd in enumerate(rounds):
            check_cancel(cancel)
            report(Progress("polish", f"polishing {rnd.prompt!r} ({draw.polish} steps)", n, total))
            polish_best(
                rnd,
                score_config,
                draw.polish,
                cancellable_polisher(cancel),
                lambda sketches, pr, cfg: scorer([(sketches, pr)], cfg)[0],
            )
    for method in methods:
        method.results = []
    for (method, ps, i, prompt), rnd in zip(items, rounds):
        method.results.append(_result(ps.name, i, prompt, rnd, score_config.has_clip))
    report(Progress("done", f"evaluated {total} drawings", done, total))
    return list(methods)


def _result(set_name: str, i: int, prompt: str, rnd: Round, has_clip: bool) -> PromptResult:
    best = rnd.best()
    if best is None or best.score is None:
        errors = "; ".join(e.error or "" for e in rnd.entries if e.error)
        # A prompt with no sketch counts as 0: a method that breaks drawings must not look better.
        return PromptResult(
            set_name,
            i,
            prompt,
            0.0 if has_clip else None,
            0.0,
            0.0,
            0,
            None,
            errors or "no usable sketch",
            rnd.calls,
            rnd.usage,
        )
    s = best.score
    return PromptResult(
        set_name,
        i,
        prompt,
        s.clip_mean,
        s.structure.total if s.structure is not None else 0.0,
        s.reward,
        len(best.sketch or ()),
        best.sketch,
        None,
        rnd.calls,
        rnd.usage,
        s.polish_steps,
    )

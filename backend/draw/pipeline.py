"""The drawing pipeline: (prompt, lessons, K, provider, scorer) -> ranked, scored candidates.

Every drawing goes through ``draw_round``: the CLI's ``threedraw draw``, the server's draw,
refine and learn jobs, CKE's rounds and the evaluation. It asks the drawing agent for K
candidates at once, finalises each delivered sketch (``finalise``: the one place a drawn sketch
is changed after parsing: its near-miss joints are repaired), adds any given sketches (an
artist's, the incumbent), scores them all with one scorer call, and ``rank`` orders them. With
``DrawConfig.polish`` the best one is then polished (``polish_best``: CLIP-guided, joints kept)
and scored again. A round is stored as it is (``Round.to_dict``), so a learning run picks it up
again after a crash.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ..layers import missing_layer
from ..llm.base import Provider, Usage
from ..llm.factory import defaults_for
from ..polish import MAX_STEPS as POLISH_MAX_STEPS
from ..runtime import StepError, check_cancel, run_llm
from ..scoring.reward import ScoreConfig, SketchScore, score_sketches
from ..shared.repair import Change, repair, summarize
from ..shared.results.fields import Record
from ..shared.results.score import Score
from ..shared.sketch import Sketch
from . import agent
from .loops import DEFAULT_LOOP_LIMIT

MAX_STORED_REPLY_CHARS = 256 * 1024  # per raw reply in a run record
REPAIR_WHAT = (
    "as `threedraw repair` does: near-miss joints snapped together, repeated and degenerate strokes removed"
)
REPAIR_HELP = f"repair the drawing {REPAIR_WHAT} (the default); off keeps the drawing as the LLM wrote it"
POLISH_HELP = (
    "polish the delivered sketch for STEPS optimiser steps after the repair: its control points move "
    "a little to raise the CLIP reward, joints stay joined (needs CLIP weights; 0: off)"
)

# How a round's sketches get scored: score_sketches itself, or (in the server) a function
# that runs it on the one worker owning the CLIP model.
Scorer = Callable[[list[Sketch], str, ScoreConfig], list[SketchScore]]
# Scoring the sketches of several prompts in one call ((sketches, prompt) groups): one render and
# one CLIP image pass for all of them (``score_groups``, or the server's worker running it).
GroupScorer = Callable[[list[tuple[list[Sketch], str]], ScoreConfig], list[list[SketchScore]]]
# What ``adraw_round`` awaits to score one round (``threedraw.draw.concurrent.ScoreBatcher.score``).
AsyncScore = Callable[[list[Sketch], str], Awaitable[list[SketchScore]]]
# How the delivered sketch gets polished: (sketch, prompt, score config, steps) -> polish's result
# (threedraw.polish.optimise.PolishResult). ``polish_sketch`` itself, or a function that reports
# progress and runs it on the server's scoring worker.
Polisher = Callable[[Sketch, str, ScoreConfig, int], Any]


@dataclass(frozen=True)
class DrawConfig:
    """What one drawing asks for; None means the default named beside it.

    The one place a drawing option lives: ``from_options`` reads it by name from the CLI's parsed
    arguments or a server request, so a new option is a field here plus its argument or field there.
    """

    k: int = 1  # candidates; the best one is kept
    temperature: float | None = None  # None: agent.default_temperature(k), the paper's rule
    max_strokes: int | None = None  # None: the provider kind's default (llm.factory.KIND_DEFAULTS)
    max_tokens: int | None = None  # None: the provider kind's default
    seed: int | None = None  # candidate i samples with seed + i
    repair: bool = True  # deliver drawings with their near-miss joints repaired (shared.repair)
    loop_limit: int = DEFAULT_LOOP_LIMIT  # stop a streamed reply this many strokes into a loop; 0: off
    polish: int = 0  # optimiser steps of CLIP-guided polish on the delivered sketch, after the repair

    def __post_init__(self) -> None:
        if not 0 <= self.polish <= POLISH_MAX_STEPS:
            raise ValueError(f"polish: {self.polish} steps is out of range [0, {POLISH_MAX_STEPS}]")

    @classmethod
    def from_options(cls, options: object) -> DrawConfig:
        """The config from any object that carries the options as attributes of the same names (an
        argparse Namespace, a server request); one it does not carry keeps its default."""
        return cls(**{f.name: getattr(options, f.name, f.default) for f in fields(cls)})

    @property
    def sampling_temperature(self) -> float:
        return self.temperature if self.temperature is not None else agent.default_temperature(self.k)

    def sizes(self, provider_kind: str) -> tuple[int, int]:
        """(max strokes, max tokens) for a kind of provider."""
        d = defaults_for(provider_kind)
        return self.max_strokes or d.max_strokes, self.max_tokens or d.max_tokens

    def offset_seed(self, offset: int) -> DrawConfig:
        """The same drawing with its seed moved by ``offset`` (one seed per prompt or round); no
        seed stays none."""
        return self if self.seed is None else replace(self, seed=self.seed + offset)


@dataclass
class Entry:
    """One scored sketch of a round: drawn by the LLM, or given (an artist's sketch, the incumbent)."""

    index: int
    source: str  # "drawn" | "given"
    sketch: Sketch | None
    score: Score | None
    candidate: Record | None = None  # the agent's record: raw replies, problems, usage
    error: str | None = None
    repairs: list[Change] = field(default_factory=list)  # shared.repair's changes to the drawing
    polish: Record | None = None  # polish_summary of the polish applied after the repair

    @property
    def repair_summary(self) -> str:
        return summarize(self.repairs)

    @property
    def reward(self) -> float | None:
        return None if self.score is None else self.score.reward

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "source": self.source,
            "sketch": self.sketch.to_dict() if self.sketch else None,
            "score": self.score.to_dict() if self.score is not None else None,
            "candidate": self.candidate,
            "error": self.error,
            "repairs": [c.to_dict() for c in self.repairs],
            **({"polish": self.polish} if self.polish is not None else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Entry:
        return cls(
            d["index"],
            d["source"],
            Sketch.from_dict(d["sketch"]) if d.get("sketch") else None,
            Score.from_dict(d["score"]) if d.get("score") is not None else None,
            d.get("candidate"),
            d.get("error"),
            [Change.from_dict(r) for r in d.get("repairs") or []],
            d.get("polish"),
        )


def _rank_key(e: Entry) -> tuple[float, bool, int]:
    return (e.reward or 0.0, e.source == "given", -e.index)


def rank(entries: Iterable[Entry]) -> list[Entry]:
    """The entries that hold a sketch, best first: the higher reward; on a tie a given sketch (the
    incumbent stays unless beaten), then the earlier candidate."""
    return sorted((e for e in entries if e.sketch is not None), key=_rank_key, reverse=True)


@dataclass
class Round:
    prompt: str
    temperature: float
    entries: list[Entry]
    usage: Usage = field(default_factory=Usage)
    calls: int = 0  # LLM replies received (first tries and repairs)
    # The agent's candidates as drawn (whole replies); not stored: a stored round has the records.
    candidates: list[agent.Candidate] = field(default_factory=list, repr=False, compare=False)

    def usable(self) -> list[Entry]:
        return [e for e in self.entries if e.sketch is not None]

    def ranked(self) -> list[Entry]:
        return rank(self.entries)

    def best(self) -> Entry | None:
        ranked = self.ranked()
        return ranked[0] if ranked else None

    @property
    def no_reply(self) -> bool:
        """Every drawing failed without a single reply: the LLM is unreachable, not drawing badly."""
        drawn = [e for e in self.entries if e.source == "drawn"]
        return bool(drawn) and all(
            e.sketch is None and not (e.candidate or {}).get("responses") for e in drawn
        )

    def failure_reasons(self) -> str:
        """Why each drawing failed, for an error message when none is usable."""
        return "; ".join(f"candidate {e.index + 1}: {e.error}" for e in self.entries if e.source == "drawn")

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "temperature": self.temperature,
            "entries": [e.to_dict() for e in self.entries],
            "usage": self.usage.to_dict(),
            "calls": self.calls,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Round:
        u = d.get("usage") or {}
        return cls(
            d["prompt"],
            d["temperature"],
            [Entry.from_dict(e) for e in d["entries"]],
            Usage.from_dict(u),
            d.get("calls", 0),
        )


def finalise(sketch: Sketch, repair_joints: bool = True) -> tuple[Sketch, list[Change]]:
    """The sketch a drawing delivers, made from what the parser read, and the changes made to it:
    the one place where a drawn sketch is changed. Near-miss joints meet and repeated strokes go
    (shared.repair, at its default tolerance), so rewards score what the artist gets; the raw
    reply stays in the candidate's record."""
    if not repair_joints:
        return sketch, []
    fixed, changes = repair(sketch)
    if not fixed.strokes:  # nothing left would be no drawing at all: deliver it as drawn
        return sketch, []
    return fixed, changes


def draw_round(
    provider: Provider,
    prompt: str,
    lessons: Sequence[str],
    score_config: ScoreConfig,
    draw: DrawConfig,
    *,
    current: Sketch | None = None,
    include: Sequence[Sketch] = (),
    cancel: threading.Event | None = None,
    scorer: Scorer | None = score_sketches,
    require_reply: bool = True,
    on_stroke: agent.OnStroke | None = None,
    on_text: agent.OnCandidateText | None = None,
    polisher: Polisher | None = None,
) -> Round:
    """Draw ``draw.k`` candidates (refining ``current`` when given), add the ``include`` sketches,
    score all; with ``draw.polish``, polish the best (``polisher``, default ``polish_sketch``) and
    score it again.

    ``on_stroke(candidate, stroke)`` hears each stroke as its reply streams in, and
    ``on_stroke(candidate, None)`` when that candidate's reply begins or starts over (a retry);
    ``on_text(candidate, piece)`` each new piece of it (agent.adraw).

    With ``scorer=None`` nothing is scored (one candidate needs no ranking) and ``rank`` keeps the
    round's order. With ``require_reply`` a round in which the provider gave no reply at all raises
    StepError (an outage, not a bad drawing); else the caller reads ``Round.no_reply``.
    """
    candidates = run_llm(
        provider, lambda: _adraw(provider, prompt, lessons, draw, current, on_stroke, on_text), cancel
    )
    rnd = _round(prompt, draw, candidates, include, require_reply)
    check_cancel(cancel)
    scored = rnd.usable()
    if scored and scorer is not None:
        set_scores(scored, scorer([e.sketch for e in scored if e.sketch is not None], prompt, score_config))
    if draw.polish:
        polish_best(
            rnd, score_config, draw.polish, polisher or cancellable_polisher(cancel), scorer or score_sketches
        )
        check_cancel(cancel)
    return rnd


async def adraw_round(
    provider: Provider,
    prompt: str,
    lessons: Sequence[str],
    score: AsyncScore,
    draw: DrawConfig,
    *,
    on_stroke: agent.OnStroke | None = None,
) -> Round:
    """``draw_round`` inside a running event loop, for drawing many prompts at once
    (``threedraw.draw.concurrent``): ``score`` is awaited, so the sketches of several prompts are
    scored together while other prompts still wait on the LLM. Both share ``_adraw`` and ``_round``;
    only the scoring differs (a plain call there, awaited here)."""
    candidates = await _adraw(provider, prompt, lessons, draw, None, on_stroke, None)
    rnd = _round(prompt, draw, candidates, (), True)
    scored = rnd.usable()
    if scored:
        set_scores(scored, await score([e.sketch for e in scored if e.sketch is not None], prompt))
    return rnd


def _adraw(
    provider: Provider,
    prompt: str,
    lessons: Sequence[str],
    draw: DrawConfig,
    current: Sketch | None,
    on_stroke: agent.OnStroke | None,
    on_text: agent.OnCandidateText | None,
) -> Awaitable[list[agent.Candidate]]:
    strokes, tokens = draw.sizes(provider.name)
    return agent.adraw(
        provider,
        prompt,
        lessons=list(lessons),
        k=draw.k,
        temperature=draw.sampling_temperature,
        current=current,
        max_tokens=tokens,
        max_strokes=strokes,
        seed=draw.seed,
        on_stroke=on_stroke,
        on_text=on_text,
        loop_limit=draw.loop_limit,
    )


def _round(
    prompt: str,
    draw: DrawConfig,
    candidates: list[agent.Candidate],
    include: Sequence[Sketch],
    require_reply: bool,
) -> Round:
    """The round of the drawn candidates (finalised) plus the ``include`` sketches, not yet scored."""
    entries = []
    for c in candidates:
        sketch, repairs = finalise(c.sketch, draw.repair) if c.sketch is not None else (None, [])
        entries.append(Entry(c.index, "drawn", sketch, None, _candidate_record(c), c.error, repairs))
    usage = sum((c.usage for c in candidates), Usage())
    rnd = Round(
        prompt,
        draw.sampling_temperature,
        entries,
        usage,
        sum(len(c.responses) for c in candidates),
        candidates,
    )
    if require_reply and rnd.no_reply:
        raise StepError(f"the LLM gave no reply for {prompt!r}: {candidates[0].error}")
    for sk in include:
        entries.append(Entry(len(entries), "given", Sketch(prompt=prompt, strokes=list(sk.strokes)), None))
    return rnd


def polish_sketch(
    sketch: Sketch,
    prompt: str,
    config: ScoreConfig,
    steps: int,
    on_step: Callable[[int, int, float, float], None] | None = None,
    cancel: threading.Event | None = None,
    trust_radius: float | None = None,
    seed: int = 0,
) -> Any:
    """``threedraw.polish.optimise.polish`` with the scoring config's CLIP, views, size and precision
    (the polish defaults for the rest); ClipUnavailable without CLIP weights."""
    try:
        from ..polish.optimise import PolishConfig, polish
        from ..scoring.clip import load_clip
    except ModuleNotFoundError as e:  # the core install: no torch
        from ..scoring.errors import ClipUnavailable

        raise ClipUnavailable(f"polish needs CLIP: {missing_layer(e) or e}") from None
    clip = load_clip(config.clip_model, config.clip_pretrained, config.clip_checkpoint)
    polish_config = PolishConfig(
        steps=steps,
        views=config.views,
        size=config.size,
        trust_radius=trust_radius,
        seed=seed,
        precision=config.precision,
    )
    return polish(sketch, prompt, clip, polish_config, on_step=on_step, cancel=cancel)


def cancellable_polisher(cancel: threading.Event | None) -> Polisher:
    """``polish_sketch`` as a Polisher that stops between steps once ``cancel`` is set."""
    return lambda sketch, prompt, config, steps: polish_sketch(sketch, prompt, config, steps, cancel=cancel)


def polish_summary(result: Any) -> dict[str, Any]:
    """What a polish did, without its sketch: rewards on the evaluation views before and after,
    steps, the largest move (a record of ``threedraw.polish.optimise.PolishResult``)."""
    keys = ("reward_before", "reward_after", "steps_done", "best_step", "largest_move", "trust_radius")
    return {k: getattr(result, k) for k in keys} | {"interrupted": result.interrupted}


def polish_best(
    rnd: Round, config: ScoreConfig, steps: int, polisher: Polisher, scorer: Scorer
) -> Entry | None:
    """Polish the round's best sketch in place (after its repair) and score it again; its score
    says how many steps polished it. The best entry, or None when the round has no sketch."""
    best = rnd.best()
    if best is None or best.sketch is None:
        return None
    result, best.score = polish_scored(best.sketch, rnd.prompt, config, steps, polisher, scorer)
    best.sketch = result.sketch
    best.polish = polish_summary(result)
    return best


def polish_scored(
    sketch: Sketch, prompt: str, config: ScoreConfig, steps: int, polisher: Polisher, scorer: Scorer
) -> tuple[Any, Score]:
    """A sketch polished and scored again: polish's result and the score, which says how many steps
    polished it."""
    result = polisher(sketch, prompt, config, steps)
    (score,) = scorer([result.sketch], prompt, config)
    return result, replace(score.finite(), polish_steps=result.steps_done)


def set_scores(entries: Sequence[Entry], scores: Sequence[SketchScore]) -> None:
    for e, s in zip(entries, scores):
        e.score = s.finite()


def _candidate_record(c: agent.Candidate) -> Record:
    d = c.to_dict()
    d.pop("sketch", None)  # kept once, in the entry
    # A runaway reply is junk past this point; the record keeps its start and says so.
    d["responses"] = [
        r if len(r) <= MAX_STORED_REPLY_CHARS else r[:MAX_STORED_REPLY_CHARS] + " [truncated]"
        for r in d["responses"]
    ]
    return d

"""Contrastive knowledge extraction (CKE): draw K, score, pair, judge, update the library.

The pieces, each usable on its own (the HTTP server runs them as jobs):

``draw_round``
    K candidates from the drawing agent, scored together (CLIP and structure).
``pick_pair``
    Which two the judge compares: ``best-worst`` (the paper's; random pairing hurt there),
    ``best-second`` or ``random``.
``judge_round``
    The judge's operations for that pair.
``refine``
    CKE rounds on one prompt, optionally from an artist's sketch: the best sketch and the lessons.
``Learner`` / ``learn``
    The learning loop over a prompt set for several epochs. Every step is kept in the run
    record (``threedraw.runs``) so a killed run resumes where it stopped; after each epoch the
    library is scored on a validation set and the best epoch's snapshot becomes the library's
    head (keep-best), so a late decline never reaches a user.

Everything here blocks (the LLM calls run in a private event loop): call it from a worker
thread in an async program. Each function takes ``progress`` (a callable receiving
``Progress``) and ``cancel`` (a ``threading.Event``); a set event stops the work at the next
LLM call or step boundary with ``Cancelled``, leaving everything stored consistent.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Sequence, TypeVar

from . import agent, prompts
from .experience import (DEFAULT_CAP, DEFAULT_MERGE_THRESHOLD, Database, Lesson, LibraryStore, Operation,
                         apply_operations, now_utc)
from .judge import DEFAULT_MAX_TOKENS as JUDGE_MAX_TOKENS
from .judge import DEFAULT_TEMPERATURE as JUDGE_TEMPERATURE
from .judge import JudgeResult, Side, ajudge
from .llm.base import Provider, ProviderError, Usage
from .llm.factory import defaults_for
from .runs import RunInfo, RunStore
from .scoring import ScoreConfig, SketchScore, score_sketches
from .shared.files import read_text
from .shared.sketch import MAX_PROMPT_CHARS, Sketch

PAIRINGS = ("best-worst", "best-second", "random")
LEARN_TEMPERATURE = agent.SAMPLE_TEMPERATURE  # sampling K candidates (the paper)
DRAW_TEMPERATURE = agent.DRAW_TEMPERATURE  # drawing with the library (the paper)
MAX_EPOCHS = 20
MAX_ROUNDS = 10
MAX_PROMPTS = 1000
MAX_PROMPT_FILE_BYTES = 1024 * 1024
MIN_GAP = 1e-9  # two candidates closer than this in reward teach nothing
CANCEL_POLL_S = 0.1
BUILTIN_SETS = {"modelnet40": "set_modelnet40.txt", "fine-grained": "set_fine_grained.txt"}
MAX_STORED_REPLY_CHARS = 256 * 1024  # per raw reply in a run record
JUDGE_VIEWS = 4
JUDGE_IMAGE_SIZE = 160

T = TypeVar("T")


class Cancelled(Exception):
    """The work was cancelled through its ``cancel`` event; what was stored stays consistent."""


class StepError(RuntimeError):
    """An LLM call failed for good (after the provider's retries); the run can be resumed."""


@dataclass
class Progress:
    stage: str  # start | draw | score | judge | update | validate | epoch | done
    message: str
    done: int = 0  # finished units of the whole job (steps)
    total: int = 0
    epoch: int | None = None
    index: int | None = None  # query or round, 0-based

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


ProgressFn = Callable[[Progress], None]


# ---------------------------------------------------------------------------
# Prompt sets


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
        raise ValueError(f"prompts {spec!r}: no such file and no built-in set (built-in: {', '.join(BUILTIN_SETS)})")
    text = read_text(path, MAX_PROMPT_FILE_BYTES)  # FileReadError is a ValueError
    return PromptSet(path.stem, tuple(parse_prompt_lines(text, path.name)))


def parse_prompt_lines(text: str, origin: str) -> list[str]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        line = " ".join(line.split())
        if not line or line.startswith("#"):
            continue
        if len(line) > MAX_PROMPT_CHARS:
            raise ValueError(f"{origin}, line {n}: {len(line)} characters, at most {MAX_PROMPT_CHARS} allowed")
        out.append(line)
    if not out:
        raise ValueError(f"{origin}: no prompts (one prompt a line; '#' starts a comment)")
    if len(out) > MAX_PROMPTS:
        raise ValueError(f"{origin}: {len(out)} prompts, at most {MAX_PROMPTS} allowed")
    return out


# ---------------------------------------------------------------------------
# Running LLM work with cooperative cancel


def check_cancel(cancel: threading.Event | None) -> None:
    """Raise Cancelled when the event is set."""
    if cancel is not None and cancel.is_set():
        raise Cancelled("cancelled")


def run_llm(provider: Provider, make: Callable[[], Awaitable[T]], cancel: threading.Event | None = None) -> T:
    """Run an LLM coroutine to the end in a private loop; a set ``cancel`` stops it within 0.1 s."""
    check_cancel(cancel)

    async def main() -> T:
        task = asyncio.ensure_future(make())
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=CANCEL_POLL_S)
                if done:
                    return task.result()
                if cancel is not None and cancel.is_set():
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task
                    raise Cancelled("cancelled")
        finally:
            await provider.aclose()

    return asyncio.run(main())


def _defaults(provider: Provider, max_strokes: int | None, max_tokens: int | None) -> tuple[int, int]:
    d = defaults_for(provider)
    return max_strokes or d.max_strokes, max_tokens or d.max_tokens


# ---------------------------------------------------------------------------
# A round: K candidates, scored


@dataclass
class Entry:
    """One scored sketch of a round: drawn by the LLM, or given (an artist's sketch, the incumbent)."""

    index: int
    source: str  # "drawn" | "given"
    sketch: Sketch | None
    score: dict[str, Any] | None  # SketchScore.to_dict()
    candidate: dict[str, Any] | None = None  # the agent's record: raw replies, problems, usage
    error: str | None = None

    @property
    def reward(self) -> float | None:
        return None if self.score is None else float(self.score["reward"])

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "source": self.source, "sketch": self.sketch.to_dict() if self.sketch else None,
                "score": self.score, "candidate": self.candidate, "error": self.error}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Entry":
        return cls(d["index"], d["source"], Sketch.from_dict(d["sketch"]) if d.get("sketch") else None,
                   d.get("score"), d.get("candidate"), d.get("error"))


@dataclass
class Round:
    prompt: str
    temperature: float
    entries: list[Entry]
    usage: Usage = field(default_factory=Usage)
    calls: int = 0  # LLM replies received (first tries and repairs)

    def usable(self) -> list[Entry]:
        return [e for e in self.entries if e.sketch is not None and e.score is not None]

    def best(self) -> Entry | None:
        usable = self.usable()
        return max(usable, key=_rank) if usable else None

    def to_dict(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "temperature": self.temperature,
                "entries": [e.to_dict() for e in self.entries], "usage": self.usage.to_dict(), "calls": self.calls}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Round":
        u = d.get("usage") or {}
        return cls(d["prompt"], d["temperature"], [Entry.from_dict(e) for e in d["entries"]],
                   Usage(u.get("prompt_tokens", 0), u.get("completion_tokens", 0), u.get("cost_usd")),
                   d.get("calls", 0))


# How a round's sketches get scored: score_sketches itself, or (in the server) a function
# that runs it on the one worker owning the CLIP model.
Scorer = Callable[[list[Sketch], str, ScoreConfig], list[SketchScore]]


def draw_round(
    provider: Provider,
    prompt: str,
    lessons: Sequence[str],
    score_config: ScoreConfig,
    *,
    k: int,
    temperature: float = LEARN_TEMPERATURE,
    current: Sketch | None = None,
    include: Sequence[Sketch] = (),
    max_strokes: int | None = None,
    max_tokens: int | None = None,
    seed: int | None = None,
    cancel: threading.Event | None = None,
    scorer: Scorer = score_sketches,
) -> Round:
    """Draw K candidates (refining ``current`` when given), add the ``include`` sketches, score all.

    Raises StepError when the provider gave no reply at all (an outage, not a bad drawing).
    """
    strokes, tokens = _defaults(provider, max_strokes, max_tokens)
    candidates = run_llm(provider, lambda: agent.adraw(
        provider, prompt, lessons=list(lessons), k=k, temperature=temperature, current=current,
        max_tokens=tokens, max_strokes=strokes, seed=seed), cancel)
    if candidates and all(not c.ok for c in candidates) and all(not c.responses for c in candidates):
        raise StepError(f"the LLM gave no reply for {prompt!r}: {candidates[0].error}")
    entries = [Entry(c.index, "drawn", c.sketch, None, _candidate_record(c), c.error) for c in candidates]
    for sk in include:
        entries.append(Entry(len(entries), "given", Sketch(prompt=prompt, strokes=list(sk.strokes)), None))
    check_cancel(cancel)
    scored = [e for e in entries if e.sketch is not None]
    if scored:
        scores = scorer([e.sketch for e in scored if e.sketch is not None], prompt, score_config)
        for e, s in zip(scored, scores):
            e.score = _finite_score(s.to_dict())
    usage = sum((c.usage for c in candidates), Usage())
    return Round(prompt, temperature, entries, usage, sum(len(c.responses) for c in candidates))


def _candidate_record(c: agent.Candidate) -> dict[str, Any]:
    d = c.to_dict()
    d.pop("sketch", None)  # kept once, in the entry
    # A runaway reply is junk past this point; the record keeps its start and says so.
    d["responses"] = [r if len(r) <= MAX_STORED_REPLY_CHARS else r[:MAX_STORED_REPLY_CHARS] + " [truncated]"
                      for r in d["responses"]]
    return d


def _finite_score(d: dict[str, Any]) -> dict[str, Any]:
    # A NaN from a degenerate render must not win or poison a comparison.
    if not math.isfinite(d.get("reward", 0.0)):
        d["reward"] = 0.0
    return d


def _rank(e: Entry) -> tuple[float, int]:
    """Higher reward first; on a tie, the earlier candidate."""
    return (e.reward or 0.0, -e.index)


def pick_pair(round_: Round, strategy: str, rng: random.Random) -> tuple[Entry, Entry] | str:
    """(better, worse) for the judge, or why there is no pair."""
    if strategy not in PAIRINGS:
        raise ValueError(f"pairing {strategy!r}: expected one of {', '.join(PAIRINGS)}")

    ranked = sorted(round_.usable(), key=_rank, reverse=True)
    if len(ranked) < 2:
        return f"fewer than two usable sketches ({len(ranked)} of {len(round_.entries)})"
    if strategy == "best-worst":
        better, worse = ranked[0], ranked[-1]
    elif strategy == "best-second":
        better, worse = ranked[0], ranked[1]
    else:
        a, b = rng.sample(ranked, 2)
        better, worse = (a, b) if _rank(a) >= _rank(b) else (b, a)
    if _rank(better)[0] - _rank(worse)[0] <= MIN_GAP:
        return f"no contrast: both sketches score {_rank(better)[0]:.4f}"
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
        return {"pair": list(self.pair) if self.pair else None, "skipped": self.skipped,
                "judge": self.judge.to_dict() if self.judge else None}


def judge_round(
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
    cancel: threading.Event | None = None,
) -> JudgeOutcome:
    """Pair the round's sketches and ask the judge. ProviderError becomes StepError (resumable)."""
    pair = pick_pair(round_, pairing, rng or random.Random(0))
    if isinstance(pair, str):
        return JudgeOutcome(None, pair, None)
    better, worse = pair
    sides = []
    for e in (better, worse):
        assert e.sketch is not None and e.score is not None
        sides.append(Side(e.sketch, e.score, _sheet_png(e.sketch) if images else None))
    try:
        result = run_llm(provider, lambda: ajudge(provider, round_.prompt, sides[0], sides[1], lessons, cap=cap,
                                                  temperature=temperature, max_tokens=max_tokens, seed=seed), cancel)
    except ProviderError as e:
        raise StepError(f"the judge's LLM call failed: {e}") from None
    return JudgeOutcome((better.index, worse.index), result.error, result)


def _sheet_png(sketch: Sketch) -> bytes:
    from .images import sheet_png

    return sheet_png(sketch, views=JUDGE_VIEWS, size=JUDGE_IMAGE_SIZE)


def round_usage(round_: Round | None, outcome: JudgeOutcome | None) -> dict[str, Any]:
    """Calls and tokens of one step, split into drawing and judging."""
    draw_u = round_.usage if round_ else Usage()
    judge_u = outcome.judge.usage if outcome and outcome.judge else Usage()
    draw_calls = round_.calls if round_ else 0
    judge_calls = outcome.judge.calls if outcome and outcome.judge else 0
    total = draw_u + judge_u
    return {"calls": draw_calls + judge_calls, "draw_calls": draw_calls, "judge_calls": judge_calls,
            "prompt_tokens": total.prompt_tokens, "completion_tokens": total.completion_tokens,
            "cost_usd": total.cost_usd}


# ---------------------------------------------------------------------------
# Refine: CKE rounds on one prompt


@dataclass
class RefineResult:
    prompt: str
    best: Sketch
    best_score: dict[str, Any]
    best_round: int  # 0: the start sketch was never beaten
    lessons: list[Lesson]  # the lessons after the last round
    learned: list[dict[str, Any]]  # what changed in them: add, modify, delete, merge, evict events
    rounds: list[dict[str, Any]]  # every round's candidates, scores, judge reply and events
    usage: Usage
    calls: int
    version: int | None = None  # the library version written (commit=True)

    def to_dict(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "best": self.best.to_dict(), "best_score": self.best_score,
                "best_round": self.best_round, "lessons": [x.to_dict() for x in self.lessons],
                "learned": self.learned, "rounds": self.rounds, "usage": self.usage.to_dict(),
                "calls": self.calls, "version": self.version}


def refine(
    prompt: str,
    provider: Provider,
    score_config: ScoreConfig,
    *,
    store: LibraryStore | None = None,
    library: str | None = None,
    lessons: Sequence[str] | None = None,
    commit: bool = False,
    rounds: int = 2,
    k: int = 3,
    start: Sketch | None = None,
    temperature: float = LEARN_TEMPERATURE,
    pairing: str = "best-worst",
    judge_images: bool = False,
    seed: int | None = None,
    max_strokes: int | None = None,
    max_tokens: int | None = None,
    merge_threshold: float = DEFAULT_MERGE_THRESHOLD,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    scorer: Scorer = score_sketches,
) -> RefineResult:
    """Run CKE rounds on one prompt and return the best sketch and the lessons learned.

    Lessons start from ``library``'s head (needs ``store``) or from ``lessons``. Each round draws
    K candidates refining the best sketch so far (``start`` at first, when given), scores them
    with it, pairs, judges and updates the lessons; the best sketch never gets worse than the
    start. With ``commit`` every round's changes are written to the library as a new version.
    """
    if not 1 <= rounds <= MAX_ROUNDS:
        raise ValueError(f"rounds={rounds}: expected 1 to {MAX_ROUNDS}")
    if (library is None) != (store is None):
        raise ValueError("refine: give both store and library, or neither")
    if commit and library is None:
        raise ValueError("refine: commit needs a library")
    if library is not None and lessons is not None:
        raise ValueError("refine: give a library or a list of lessons, not both")
    agent.check_inputs(prompt, [], k, 1)
    report = progress or (lambda p: None)
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
    rng = random.Random(seed)
    incumbent: Entry | None = None
    best_round = 0
    if start is not None and not start.strokes:
        start = None
    record: list[dict[str, Any]] = []
    learned: list[dict[str, Any]] = []
    usage, calls = Usage(), 0
    written: int | None = None
    for r in range(1, rounds + 1):
        check_cancel(cancel)
        base_sketch = incumbent.sketch if incumbent is not None else start
        report(Progress("draw", f"round {r}/{rounds}: drawing {k} candidates", r - 1, rounds, index=r - 1))
        rnd = draw_round(provider, prompt, [x.text for x in current_lessons], score_config, k=k,
                         temperature=temperature, current=base_sketch,
                         include=[base_sketch] if base_sketch is not None else [],
                         max_strokes=max_strokes, max_tokens=max_tokens,
                         seed=None if seed is None else seed + 100 * r, cancel=cancel, scorer=scorer)
        report(Progress("judge", f"round {r}/{rounds}: judging", r - 1, rounds, index=r - 1))
        outcome = judge_round(provider, rnd, current_lessons, pairing=pairing, rng=rng, cap=cap,
                              images=judge_images, cancel=cancel)
        prov = {"source": "refine", "query": prompt, "round": r,
                "pair": list(outcome.pair) if outcome.pair else None}
        applied = apply_operations(current_lessons, outcome.operations, next_id=next_id, provenance=prov, cap=cap,
                                   merge_threshold=merge_threshold)
        if commit and applied.changed:
            assert store is not None and library is not None
            written, applied = store.apply(library, outcome.operations, base=written or version, provenance=prov,
                                           note=f"refine {prompt[:60]!r} round {r}",
                                           merge_threshold=merge_threshold)
        current_lessons, next_id = applied.lessons, applied.next_id
        learned += applied.learned
        # The incumbent is in the pool, so the round's best is never worse; on a tie it stays.
        usable = rnd.usable()
        if usable:
            best = max(usable, key=lambda e: (e.reward, e.source == "given", -e.index))
            if best.source == "drawn":
                best_round = r
            incumbent = best
        usage = usage + rnd.usage + (outcome.judge.usage if outcome.judge else Usage())
        calls += rnd.calls + (outcome.judge.calls if outcome.judge else 0)
        record.append({"round": r, "draw": rnd.to_dict(), "judge": outcome.to_dict(), "events": applied.events,
                       "usage": round_usage(rnd, outcome)})
        report(Progress("update", f"round {r}/{rounds}: {len(applied.learned)} lesson changes", r, rounds, index=r - 1))
    if incumbent is None or incumbent.sketch is None or incumbent.score is None:
        raise StepError(f"no usable sketch of {prompt!r} in {rounds} rounds of {k} candidates")
    report(Progress("done", f"best sketch from round {best_round}", rounds, rounds))
    return RefineResult(prompt, incumbent.sketch, incumbent.score, best_round, list(current_lessons), learned,
                        record, usage, calls, written)


# ---------------------------------------------------------------------------
# The learning loop


@dataclass
class LearnConfig:
    prompts: list[str]
    prompt_set: str = "prompts"
    validation: list[str] | None = None  # None: the training prompts stand in
    validation_set: str | None = None
    epochs: int = 3
    k: int = 5
    temperature: float = LEARN_TEMPERATURE
    draw_temperature: float = DRAW_TEMPERATURE
    val_k: int = 1
    pairing: str = "best-worst"
    keep_best: bool = True
    seed: int | None = None
    max_strokes: int | None = None
    max_tokens: int | None = None
    judge_images: bool = False
    judge_temperature: float = JUDGE_TEMPERATURE
    judge_max_tokens: int = JUDGE_MAX_TOKENS
    merge_threshold: float = DEFAULT_MERGE_THRESHOLD

    def check(self) -> "LearnConfig":
        if not self.prompts or len(self.prompts) > MAX_PROMPTS:
            raise ValueError(f"prompts: expected 1 to {MAX_PROMPTS}, got {len(self.prompts)}")
        if self.validation is not None and not 1 <= len(self.validation) <= MAX_PROMPTS:
            raise ValueError(f"validation prompts: expected 1 to {MAX_PROMPTS}")
        if not 1 <= self.epochs <= MAX_EPOCHS:
            raise ValueError(f"epochs={self.epochs}: expected 1 to {MAX_EPOCHS}")
        if not 2 <= self.k <= agent.MAX_K:
            raise ValueError(f"k={self.k}: expected 2 to {agent.MAX_K} (CKE compares two candidates at least)")
        if not 1 <= self.val_k <= agent.MAX_K:
            raise ValueError(f"validation k={self.val_k}: expected 1 to {agent.MAX_K}")
        if self.pairing not in PAIRINGS:
            raise ValueError(f"pairing {self.pairing!r}: expected one of {', '.join(PAIRINGS)}")
        for name in ("temperature", "draw_temperature", "judge_temperature"):
            if not 0.0 <= getattr(self, name) <= 2.0:
                raise ValueError(f"{name.replace('_', ' ')} {getattr(self, name)}: expected 0 to 2")
        if not 0.0 < self.merge_threshold <= 1.0:
            raise ValueError(f"merge threshold {self.merge_threshold}: expected more than 0 and at most 1")
        return self

    @property
    def validation_prompts(self) -> list[str]:
        return list(self.validation if self.validation is not None else self.prompts)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "LearnConfig":
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class LearnResult:
    run_id: str
    library: str
    epochs: list[dict[str, Any]]  # epoch, version, score (validation), lessons
    best_epoch: int | None
    best_version: int | None
    head: int
    cost: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def score_config_record(config: ScoreConfig) -> dict[str, Any]:
    """The scoring settings for a run record: file names only, never machine paths."""
    return {
        "clip_model": Path(config.clip_model).name if config.clip_model else None,
        "clip_pretrained": config.clip_pretrained,
        "clip_checkpoint": Path(config.clip_checkpoint).name if config.clip_checkpoint else None,
        "views": config.views,
        "size": config.size,
        "structure_weight": config.structure_weight,
    }


class Learner:
    """The learning loop, persisted step by step (see the module docstring)."""

    def __init__(self, db: Database, provider: Provider, score_config: ScoreConfig, *,
                 progress: ProgressFn | None = None, cancel: threading.Event | None = None,
                 scorer: Scorer = score_sketches):
        self.db = db
        self.scorer = scorer
        self.store = LibraryStore(db)
        self.runs = RunStore(db)
        self.provider = provider
        self.score_config = score_config
        self.progress = progress or (lambda p: None)
        self.cancel = cancel
        self._done = 0
        self._total = 0

    # -- starting and resuming -------------------------------------------------
    def start(self, library: str, config: LearnConfig, cap: int | None = None) -> RunInfo:
        config.check()
        with self.db.transaction():
            info = self.store.ensure(library, cap)
            if cap is not None and cap != info.cap:
                self.store.set_cap(library, cap)
            record = {
                "learn": config.to_dict(),
                "score": score_config_record(self.score_config),
                "provider": {"kind": self.provider.name, "model": Path(self.provider.model).name},
            }
            return self.runs.create(library, record, info.head)

    def resume(self, run_id: str) -> RunInfo:
        return self.runs.claim(run_id)

    # -- the loop ---------------------------------------------------------------
    def run(self, run_id: str) -> LearnResult:
        """Run (or go on with) a run to its end; finished steps are never redone."""
        try:
            result = self._run(run_id)
        except Cancelled:
            self.runs.set_status(run_id, "cancelled")
            raise
        except KeyboardInterrupt:
            self.runs.set_status(run_id, "interrupted")
            raise
        except BaseException as e:
            self.runs.set_status(run_id, "failed", f"{type(e).__name__}: {e}"[:500])
            raise
        return result

    def _run(self, run_id: str) -> LearnResult:
        run = self.runs.get(run_id)
        cfg = LearnConfig.from_dict(run.config["learn"])
        queries, val = cfg.prompts, cfg.validation_prompts
        val_rounds = cfg.epochs + 1 if cfg.keep_best else 0
        self._total = cfg.epochs * len(queries) + val_rounds * len(val)
        self._done = len([s for s in self.runs.steps(run_id) if s.status == "done"])
        finished = {e.epoch for e in self.runs.epochs(run_id)}
        self._say("start", f"run {run_id}: {len(queries)} prompts x {cfg.epochs} epochs, k={cfg.k}")
        if cfg.keep_best and 0 not in finished:
            self._finish_epoch(run_id, 0, run.start_version)
        for epoch in range(1, cfg.epochs + 1):
            if epoch in finished:
                continue
            for q in range(len(queries)):
                check_cancel(self.cancel)
                self.learn_step(run_id, epoch, q)
            self._finish_epoch(run_id, epoch, self.runs.get(run_id).work_version)
        self.runs.set_status(run_id, "done")
        run = self.runs.get(run_id)
        head = self.store.info(run.library).head
        self._say("done", f"run {run_id} finished; library {run.library} head is version {head}")
        return LearnResult(run_id, run.library, [e.to_dict() for e in self.runs.epochs(run_id)], run.best_epoch,
                           run.best_version, head, self.runs.cost(run_id))

    def learn_step(self, run_id: str, epoch: int, index: int) -> dict[str, Any]:
        """One query of one epoch: draw K, score, pair, judge, update. Idempotent once done.

        Saved twice: after scoring (a crash in the judge call never pays for drawing again) and,
        in one transaction with the new library version, when done.
        """
        row = self.runs.step(run_id, "learn", epoch, index)
        if row is not None and row.status == "done":
            return row.record
        run = self.runs.get(run_id)
        cfg = LearnConfig.from_dict(run.config["learn"])
        prompt = cfg.prompts[index]
        base = run.work_version
        lessons = self.store.lessons(run.library, base)
        where = f"epoch {epoch}/{cfg.epochs}, prompt {index + 1}/{len(cfg.prompts)} {prompt!r}"
        if row is not None and row.status == "scored" and row.base_version == base:
            rnd = Round.from_dict(row.record["round"])
        else:
            self._say("draw", f"{where}: drawing {cfg.k} candidates", epoch, index)
            rnd = draw_round(self.provider, prompt, [x.text for x in lessons], self.score_config, k=cfg.k,
                             temperature=cfg.temperature, max_strokes=cfg.max_strokes, max_tokens=cfg.max_tokens,
                             seed=_seed(cfg.seed, epoch, index), cancel=self.cancel, scorer=self.scorer)
            self.runs.save_step(run_id, "learn", epoch, index, prompt, "scored", {"round": rnd.to_dict()},
                                base_version=base)
        self._say("judge", f"{where}: judging", epoch, index)
        cap = self.store.info(run.library).cap
        outcome = judge_round(self.provider, rnd, lessons, pairing=cfg.pairing,
                              rng=random.Random(f"{cfg.seed}:{epoch}:{index}"), cap=cap,
                              temperature=cfg.judge_temperature, max_tokens=cfg.judge_max_tokens,
                              images=cfg.judge_images, seed=_seed(cfg.seed, epoch, index), cancel=self.cancel)
        check_cancel(self.cancel)
        prov = {"source": "learn", "run": run_id, "epoch": epoch, "query_index": index, "query": prompt,
                "pair": list(outcome.pair) if outcome.pair else None}
        with self.db.transaction():
            version, applied = self.store.apply(
                run.library, outcome.operations, base=base, provenance=prov, publish=False,
                note=f"run {run_id} epoch {epoch} prompt {index + 1}", merge_threshold=cfg.merge_threshold)
            record = {"round": rnd.to_dict(), "judge": outcome.to_dict(), "events": applied.events,
                      "usage": round_usage(rnd, outcome), "lessons": len(applied.lessons)}
            self.runs.save_step(run_id, "learn", epoch, index, prompt, "done", record, base, version)
            self.runs.set_work_version(run_id, version)
        self._done += 1
        changes = ", ".join(f"{e['event']} {e.get('id', '')}".strip() for e in applied.learned) or "no change"
        self._say("update", f"{where}: {changes}", epoch, index)
        return record

    def validate_step(self, run_id: str, epoch: int, index: int, version: int) -> dict[str, Any]:
        """Draw one validation prompt with library ``version`` at the drawing temperature and score it."""
        row = self.runs.step(run_id, "val", epoch, index)
        if row is not None and row.status == "done" and row.base_version == version:
            return row.record
        run = self.runs.get(run_id)
        cfg = LearnConfig.from_dict(run.config["learn"])
        val = cfg.validation_prompts
        prompt = val[index]
        self._say("validate", f"epoch {epoch} validation {index + 1}/{len(val)} {prompt!r}", epoch, index)
        lessons = [x.text for x in self.store.lessons(run.library, version)]
        rnd = draw_round(self.provider, prompt, lessons, self.score_config, k=cfg.val_k,
                         temperature=cfg.draw_temperature, max_strokes=cfg.max_strokes, max_tokens=cfg.max_tokens,
                         seed=_seed(cfg.seed, 1000 + epoch, index), cancel=self.cancel, scorer=self.scorer)
        best = rnd.best()
        record = {"round": rnd.to_dict(), "best": best.index if best else None,
                  "score": best.score if best else None, "reward": best.reward if best else 0.0,
                  "usage": round_usage(rnd, None)}
        self.runs.save_step(run_id, "val", epoch, index, prompt, "done", record, version, version)
        self._done += 1
        return record

    def _finish_epoch(self, run_id: str, epoch: int, version: int) -> None:
        run = self.runs.get(run_id)
        cfg = LearnConfig.from_dict(run.config["learn"])
        detail: dict[str, Any] = {"lessons": len(self.store.lessons(run.library, version))}
        train = [s.record for s in self.runs.steps(run_id, "learn") if s.epoch == epoch and s.status == "done"]
        if train:
            bests = [b.reward for b in (Round.from_dict(r["round"]).best() for r in train)
                     if b is not None and b.reward is not None]
            detail["train_best_mean"] = sum(bests) / len(bests) if bests else None
        score = None
        if cfg.keep_best:
            check_cancel(self.cancel)
            records = [self.validate_step(run_id, epoch, i, version) for i in range(len(cfg.validation_prompts))]
            rewards = [float(r["reward"]) for r in records]
            score = sum(rewards) / len(rewards)
            clips = [r["score"]["clip_mean"] for r in records if r["score"] and r["score"]["clip_mean"] is not None]
            structs = [r["score"]["structure"]["total"] for r in records if r["score"]]
            detail.update(val_rewards=rewards, val_clip_mean=sum(clips) / len(clips) if clips else None,
                          val_structure_mean=sum(structs) / len(structs) if structs else None)
        with self.db.transaction():
            self.runs.finish_epoch(run_id, epoch, version, score, detail)
            run = self.runs.get(run_id)
            if not cfg.keep_best:
                self.store.set_head(run.library, version, f"run {run_id} epoch {epoch}")
            elif run.best_score is None or score > run.best_score + MIN_GAP:  # type: ignore[operator]
                # Earlier epochs win ties: the smaller change is kept.
                self.runs.set_best(run_id, epoch, version, score)
                self.store.set_head(run.library, version,
                                    f"keep-best: run {run_id} epoch {epoch} scored {score:.4f} on validation")
        best = self.runs.get(run_id)
        note = f"validation {score:.4f}, best epoch {best.best_epoch}" if score is not None else "done"
        self._say("epoch", f"epoch {epoch} finished: {note}", epoch)

    def _say(self, stage: str, message: str, epoch: int | None = None, index: int | None = None) -> None:
        self.progress(Progress(stage, message, self._done, self._total, epoch, index))


def _seed(seed: int | None, epoch: int, index: int) -> int | None:
    # Distinct per (epoch, query); the agent adds the candidate's index to it.
    return None if seed is None else seed + 100_000 * epoch + 100 * index


def learn(
    db: Database,
    provider: Provider,
    score_config: ScoreConfig,
    library: str,
    config: LearnConfig | None = None,
    *,
    resume: str | None = None,
    cap: int | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> LearnResult:
    """Start a learning run on ``library`` with ``config``, or resume run ``resume``; run it to the end."""
    learner = Learner(db, provider, score_config, progress=progress, cancel=cancel)
    if resume is not None:
        run = learner.resume(resume)
    else:
        if config is None:
            raise ValueError("learn: a LearnConfig is needed to start a run")
        run = learner.start(library, config, cap)
    return learner.run(run.id)

"""The learning loop of contrastive knowledge extraction (CKE) over a prompt set.

Per prompt and epoch: K candidates from the drawing pipeline (``threedraw.draw.pipeline``), scored;
a pair of them judged (``threedraw.cke.pairing``); the judge's operations applied to the library.
An epoch's prompts go ``batch`` at a time: drawn and judged concurrently against the same library
version (``threedraw.draw.concurrent``), their operations applied in prompt order as one version
(``threedraw.cke.batch``); a batch of 1 is the sequential loop of the paper.
Every step is kept in the run record (``threedraw.library.runs``) so a killed run resumes where it
stopped; after each epoch the library is scored on a validation set and the best epoch's snapshot
becomes the library's head (keep-best), so a late decline never reaches a user.

Everything here blocks (see ``threedraw.runtime``): call it from a worker thread in an async program.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, fields, replace
from typing import Any

from ..draw import agent, concurrent
from ..draw.concurrent import ScoreBatcher
from ..draw.pipeline import DrawConfig, GroupScorer, Round, Scorer, adraw_round
from ..draw.prompt_sets import MAX_PROMPTS
from ..library.lessons import DEFAULT_MERGE_THRESHOLD
from ..library.runs import RunInfo, RunStore
from ..library.store import LibraryStore
from ..llm.base import Provider
from ..runtime import Cancelled, Progress, ProgressFn, check_cancel, no_progress
from ..scoring.reward import ScoreConfig, score_sketches
from ..shared.results.fields import Record
from ..shared.results.learn_result import LearnEpoch, LearnResult
from ..storage import Database
from .batch import Proposal, apply_batch
from .judge import DEFAULT_MAX_TOKENS as JUDGE_MAX_TOKENS
from .judge import DEFAULT_TEMPERATURE as JUDGE_TEMPERATURE
from .pairing import MIN_GAP, PAIRINGS, JudgeOutcome, ajudge_round, round_usage
from .run_record import ProviderRecord, ScoreRecord
from .step_records import BatchInfo, EpochDetail, LearnStep, ValStep

MAX_EPOCHS = 20


# How a run draws its K candidates unless told otherwise: the paper's K=5 at temperature 0.7.
LEARN_DRAW = DrawConfig(k=5, temperature=agent.SAMPLE_TEMPERATURE)
# The drawing's fields a run record keeps, flat in its "learn" part (as before the nesting).
_DRAW_KEYS = ("k", "temperature", "seed", "max_strokes", "max_tokens", "loop_limit")


@dataclass
class LearnConfig:
    prompts: list[str]
    prompt_set: str = "prompts"
    validation: list[str] | None = None  # None: the training prompts stand in
    validation_set: str | None = None
    epochs: int = 3
    # How the K candidates of a prompt are drawn: k, temperature, seed, sizes (the run record keeps
    # these, flat, as _DRAW_KEYS; repair is always the drawing default, and a record from before
    # the loop cut-off was a setting has the default's).
    draw: DrawConfig = LEARN_DRAW
    draw_temperature: float = agent.DRAW_TEMPERATURE  # drawing with the library, for validation
    val_k: int = 1
    pairing: str = PAIRINGS[0]
    keep_best: bool = True
    judge_images: bool = False
    judge_temperature: float = JUDGE_TEMPERATURE
    judge_max_tokens: int = JUDGE_MAX_TOKENS
    merge_threshold: float = DEFAULT_MERGE_THRESHOLD
    # Prompts drawn and judged at once against the same library version, their operations then
    # applied in prompt order as one version (threedraw.cke.batch); 1 is the sequential loop.
    batch: int = 8

    @classmethod
    def from_options(cls, options: object, **given: Any) -> LearnConfig:
        """A run's config from ``given`` fields and any object carrying the others as attributes of
        their names (the CLI's parsed arguments, a server request): the one place options become a
        LearnConfig. Its drawing, unless given, is ``DrawConfig.from_options``; what the options do
        not carry keeps its default."""
        named = {
            f.name: getattr(options, f.name)
            for f in fields(cls)
            if f.name not in given and f.name != "draw" and hasattr(options, f.name)
        }
        if "draw" not in given:  # built only when needed: DrawConfig checks what it reads
            given["draw"] = DrawConfig.from_options(options)
        return cls(**named, **given)

    def drawing(self, k: int, temperature: float, seed: int | None) -> DrawConfig:
        """How one drawing of this run is asked for: its K, temperature and seed, this run's sizes."""
        return replace(self.draw, k=k, temperature=temperature, seed=seed)

    def check(self) -> LearnConfig:
        if not self.prompts or len(self.prompts) > MAX_PROMPTS:
            raise ValueError(f"prompts: expected 1 to {MAX_PROMPTS}, got {len(self.prompts)}")
        if self.validation is not None and not 1 <= len(self.validation) <= MAX_PROMPTS:
            raise ValueError(f"validation prompts: expected 1 to {MAX_PROMPTS}")
        if not 1 <= self.epochs <= MAX_EPOCHS:
            raise ValueError(f"epochs={self.epochs}: expected 1 to {MAX_EPOCHS}")
        if not 2 <= self.draw.k <= agent.MAX_K:
            raise ValueError(
                f"k={self.draw.k}: expected 2 to {agent.MAX_K} (CKE compares two candidates at least)"
            )
        if not 1 <= self.val_k <= agent.MAX_K:
            raise ValueError(f"validation k={self.val_k}: expected 1 to {agent.MAX_K}")
        if self.pairing not in PAIRINGS:
            raise ValueError(f"pairing {self.pairing!r}: expected one of {', '.join(PAIRINGS)}")
        temperatures = {
            "temperature": self.draw.sampling_temperature,
            "draw_temperature": self.draw_temperature,
            "judge_temperature": self.judge_temperature,
        }
        for name, value in temperatures.items():
            if not 0.0 <= value <= 2.0:
                raise ValueError(f"{name.replace('_', ' ')} {value}: expected 0 to 2")
        if (
            isinstance(self.batch, bool)
            or not isinstance(self.batch, int)
            or not 1 <= self.batch <= MAX_PROMPTS
        ):
            raise ValueError(f"batch {self.batch!r}: expected 1 to {MAX_PROMPTS} prompts")
        if not 0.0 < self.merge_threshold <= 1.0:
            raise ValueError(f"merge threshold {self.merge_threshold}: expected more than 0 and at most 1")
        return self

    @property
    def validation_prompts(self) -> list[str]:
        return list(self.validation if self.validation is not None else self.prompts)

    def to_dict(self) -> dict[str, Any]:
        """The run record's "learn" part: flat, the drawing's fields beside the others."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "draw":
                out.update({key: getattr(self.draw, key) for key in _DRAW_KEYS})
            else:
                out[f.name] = getattr(self, f.name)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LearnConfig:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__ and k != "draw"}
        known.setdefault("batch", 1)  # a run recorded before batches learned one prompt at a time
        draw = replace(LEARN_DRAW, **{k: d[k] for k in _DRAW_KEYS if k in d})
        return cls(**known, draw=draw)


def score_config_record(config: ScoreConfig) -> Record:
    """The scoring settings for a run record (run_record.ScoreRecord): file names only, never machine paths."""
    return ScoreRecord.of(config).to_dict()


class Learner:
    """The learning loop, persisted step by step (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        provider: Provider,
        score_config: ScoreConfig,
        *,
        progress: ProgressFn | None = None,
        cancel: threading.Event | None = None,
        scorer: Scorer = score_sketches,
        group_scorer: GroupScorer | None = None,
    ):
        self.db = db
        self.scorer = scorer
        # Batches and validation score several prompts' candidates in one call.
        self.group_scorer = group_scorer or concurrent.group_scorer(scorer)
        self.store = LibraryStore(db)
        self.runs = RunStore(db)
        self.provider = provider
        self.score_config = score_config
        self.progress = progress or no_progress
        self.cancel = cancel
        self._done = 0
        self._total = 0

    # -- starting and resuming -------------------------------------------------
    def start(
        self, library: str, config: LearnConfig, cap: int | None = None, allow_concurrent: bool = False
    ) -> RunInfo:
        """A new run; RunError when another run is learning ``library`` (unless ``allow_concurrent``)."""
        config.check()
        with self.db.transaction():
            if not allow_concurrent:
                self.runs.refuse_concurrent(library)
            info = self.store.ensure(library, cap)
            if cap is not None and cap != info.cap:
                self.store.set_cap(library, cap)
            record = {
                "learn": config.to_dict(),
                "score": score_config_record(self.score_config),
                # An API model's name, or a local model's file stem: never a path.
                "provider": ProviderRecord(self.provider.name, self.provider.model).to_dict(),
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
        finally:
            # What the API needed (a reasoning model's max_completion_tokens...): a resumed run starts so.
            self.runs.note_adaptations(run_id, getattr(self.provider, "adaptations", {}))
        return result

    def _run(self, run_id: str) -> LearnResult:
        run = self.runs.get(run_id)
        cfg = LearnConfig.from_dict(run.config["learn"])
        queries, val = cfg.prompts, cfg.validation_prompts
        val_rounds = cfg.epochs + 1 if cfg.keep_best else 0
        self._total = cfg.epochs * len(queries) + val_rounds * len(val)
        self._done = len([s for s in self.runs.steps(run_id) if s.status == "done"])
        finished = {e.epoch for e in self.runs.epochs(run_id)}
        self._say("start", f"run {run_id}: {len(queries)} prompts x {cfg.epochs} epochs, k={cfg.draw.k}")
        if cfg.keep_best and 0 not in finished:
            self._finish_epoch(run_id, 0, run.start_version)
        for epoch in range(1, cfg.epochs + 1):
            if epoch in finished:
                continue
            for first in range(0, len(queries), cfg.batch):
                check_cancel(self.cancel)
                self.learn_batch(run_id, epoch, list(range(first, min(first + cfg.batch, len(queries)))))
            self._finish_epoch(run_id, epoch, self.runs.get(run_id).work_version)
        self.runs.set_status(run_id, "done")
        run = self.runs.get(run_id)
        head = self.store.info(run.library).head
        self._say("done", f"run {run_id} finished; library {run.library} head is version {head}")
        return LearnResult(
            run_id,
            run.library,
            [LearnEpoch.from_dict(e.to_dict()) for e in self.runs.epochs(run_id)],
            run.best_epoch,
            run.best_version,
            head,
            self.runs.cost(run_id),
        )

    def learn_step(self, run_id: str, epoch: int, index: int) -> LearnStep:
        """One query of one epoch (a batch of one): draw K, score, pair, judge, update. Idempotent once done."""
        return self.learn_batch(run_id, epoch, [index])[0]

    def learn_batch(self, run_id: str, epoch: int, indices: list[int]) -> list[LearnStep]:
        """One batch of an epoch's queries: drawn, scored and judged concurrently against the same
        library version, their operations then applied in prompt order (``threedraw.cke.batch``) in
        one transaction with the steps' records: one library version per batch. Idempotent once done.

        Each step is also saved as it goes: ``scored`` once its candidates are scored, ``judged`` once
        its judge replied, so a crash anywhere redoes no finished drawing and no finished judge call.
        """
        rows = {i: self.runs.step(run_id, "learn", epoch, i) for i in indices}
        todo = [i for i in indices if rows[i] is None or rows[i].status != "done"]  # type: ignore[union-attr]
        if not todo:
            return [LearnStep.from_dict(rows[i].record) for i in indices]  # type: ignore[union-attr]
        run = self.runs.get(run_id)
        cfg = LearnConfig.from_dict(run.config["learn"])
        base = run.work_version
        lessons = self.store.lessons(run.library, base)
        cap = self.store.info(run.library).cap

        parsed: dict[int, LearnStep] = {}  # a judged step is asked for twice: read its record once

        def saved(i: int, status: str) -> LearnStep | None:
            row = rows[i]
            if row is None or row.base_version != base or row.status not in ("judged", status):
                return None
            if i not in parsed:
                parsed[i] = LearnStep.from_dict(row.record)
            return parsed[i]

        async def one(i: int, batcher: ScoreBatcher) -> tuple[Round, JudgeOutcome]:
            prompt = cfg.prompts[i]
            where = f"epoch {epoch}/{cfg.epochs}, prompt {i + 1}/{len(cfg.prompts)} {prompt!r}"
            if (rec := saved(i, "scored")) is not None:
                rnd = rec.round
            else:
                self._say("draw", f"{where}: drawing {cfg.draw.k} candidates", epoch, i)
                check_cancel(self.cancel)
                rnd = await adraw_round(
                    self.provider,
                    prompt,
                    [x.text for x in lessons],
                    batcher.score,
                    cfg.drawing(cfg.draw.k, cfg.draw.sampling_temperature, _seed(cfg.draw.seed, epoch, i)),
                )
                self.runs.save_step(
                    run_id, "learn", epoch, i, prompt, "scored", LearnStep(rnd).to_dict(), base_version=base
                )
            if (rec := saved(i, "judged")) is not None and rec.judge is not None:
                return rnd, rec.judge
            self._say("judge", f"{where}: judging", epoch, i)
            check_cancel(self.cancel)
            outcome = await ajudge_round(
                self.provider,
                rnd,
                lessons,
                pairing=cfg.pairing,
                rng=random.Random(f"{cfg.draw.seed}:{epoch}:{i}"),
                cap=cap,
                temperature=cfg.judge_temperature,
                max_tokens=cfg.judge_max_tokens,
                images=cfg.judge_images,
                seed=_seed(cfg.draw.seed, epoch, i),
            )
            self.runs.save_step(
                run_id,
                "learn",
                epoch,
                i,
                prompt,
                "judged",
                LearnStep(rnd, outcome).to_dict(),
                base_version=base,
            )
            return rnd, outcome

        judged = concurrent.run_all(
            self.provider,
            lambda b: [one(i, b) for i in todo],
            self.score_config,
            self.group_scorer,
            self.cancel,
        )
        check_cancel(self.cancel)
        number = indices[0] // cfg.batch + 1

        provs = [
            {
                "source": "learn",
                "run": run_id,
                "epoch": epoch,
                "query_index": i,
                "query": cfg.prompts[i],
                "pair": list(o.pair) if o.pair else None,
                "batch": number,
            }
            for i, (_, o) in zip(todo, judged)
        ]
        proposals = [
            Proposal(i, cfg.prompts[i], o.operations, prov) for i, (_, o), prov in zip(todo, judged, provs)
        ]
        which = (
            f"prompt {todo[0] + 1}"
            if len(todo) == 1
            else f"batch {number}, prompts {todo[0] + 1}-{todo[-1] + 1}"
        )
        with self.db.transaction():
            out = apply_batch(
                lessons,
                proposals,
                next_id=self.store.next_lesson_id(run.library),
                cap=self.store.info(run.library).cap,
                merge_threshold=cfg.merge_threshold,
            )
            version = base
            if out.changed:
                source = (
                    provs[0]
                    if len(todo) == 1
                    else {"source": "learn", "run": run_id, "epoch": epoch, "batch": number, "queries": todo}
                )
                version = self.store.commit(
                    run.library,
                    out.lessons,
                    parent=base,
                    source=source,
                    note=f"run {run_id} epoch {epoch} {which}",
                    next_id=out.next_id,
                    publish=False,
                )
            records: dict[int, LearnStep] = {}
            for j, (i, (rnd, outcome)) in enumerate(zip(todo, judged)):
                records[i] = LearnStep(
                    rnd,
                    outcome,
                    list(out.events[j]),
                    round_usage(rnd, outcome),
                    len(out.lessons),
                    BatchInfo(number, cfg.batch, todo, version),
                )
                self.runs.save_step(
                    run_id, "learn", epoch, i, cfg.prompts[i], "done", records[i].to_dict(), base, version
                )
            self.runs.set_work_version(run_id, version)
        for j, i in enumerate(todo):
            self._done += 1
            changes = ", ".join(f"{e.event} {e.id or ''}".strip() for e in out.learned(j)) or "no change"
            rejected = len([e for e in out.events[j] if e.event == "reject"])
            note = f" ({rejected} rejected: conflicts within the batch)" if rejected else ""
            prompt = cfg.prompts[i]
            self._say(
                "update",
                f"epoch {epoch}/{cfg.epochs}, prompt {i + 1}/{len(cfg.prompts)} {prompt!r}: {changes}{note}",
                epoch,
                i,
            )
        return [
            records[i] if i in records else LearnStep.from_dict(rows[i].record)  # type: ignore[union-attr]
            for i in indices
        ]

    def validate_step(self, run_id: str, epoch: int, index: int, version: int) -> ValStep:
        """Draw one validation prompt with library ``version`` at the drawing temperature and score it."""
        return self.validate_all(run_id, epoch, version, [index])[0]

    def validate_all(
        self, run_id: str, epoch: int, version: int, indices: list[int] | None = None
    ) -> list[ValStep]:
        """Draw the validation prompts (default: all) with library ``version`` at once, each saved as it
        is scored (finished ones are not drawn again), scoring several prompts' drawings together."""
        run = self.runs.get(run_id)
        cfg = LearnConfig.from_dict(run.config["learn"])
        val = cfg.validation_prompts
        indices = list(range(len(val))) if indices is None else indices
        lessons = [x.text for x in self.store.lessons(run.library, version)]
        rows = {i: self.runs.step(run_id, "val", epoch, i) for i in indices}

        async def one(i: int, batcher: ScoreBatcher) -> ValStep:
            row = rows[i]
            if row is not None and row.status == "done" and row.base_version == version:
                return ValStep.from_dict(row.record)
            self._say("validate", f"epoch {epoch} validation {i + 1}/{len(val)} {val[i]!r}", epoch, i)
            check_cancel(self.cancel)
            rnd = await adraw_round(
                self.provider,
                val[i],
                lessons,
                batcher.score,
                cfg.drawing(cfg.val_k, cfg.draw_temperature, _seed(cfg.draw.seed, 1000 + epoch, i)),
            )
            best = rnd.best()
            record = ValStep(
                rnd,
                best.index if best else None,
                best.score if best and best.score else None,
                best.reward if best else 0.0,
                round_usage(rnd, None),
            )
            self.runs.save_step(run_id, "val", epoch, i, val[i], "done", record.to_dict(), version, version)
            self._done += 1
            return record

        return concurrent.run_all(
            self.provider,
            lambda b: [one(i, b) for i in indices],
            self.score_config,
            self.group_scorer,
            self.cancel,
        )

    def _finish_epoch(self, run_id: str, epoch: int, version: int) -> None:
        run = self.runs.get(run_id)
        cfg = LearnConfig.from_dict(run.config["learn"])
        detail = EpochDetail(len(self.store.lessons(run.library, version)))
        train = [
            LearnStep.from_dict(s.record)
            for s in self.runs.steps(run_id, "learn")
            if s.epoch == epoch and s.status == "done"
        ]
        if train:
            detail.train_bests = [
                b.reward for b in (r.round.best() for r in train) if b is not None and b.reward is not None
            ]
        score = None
        if cfg.keep_best:
            check_cancel(self.cancel)
            records = self.validate_all(run_id, epoch, version)
            detail.val_rewards = [float(r.reward) for r in records]
            score = sum(detail.val_rewards) / len(detail.val_rewards)
            scores = [r.score for r in records if r.score]
            detail.val_clips = [s.clip_mean for s in scores if s.clip_mean is not None]
            detail.val_structures = [s.structure.total for s in scores if s.structure is not None]
        with self.db.transaction():
            run = self.runs.get(run_id)
            ours = self._head_set_by(run)  # read before this epoch's row is written
            if not cfg.keep_best:
                reason: str | None = f"run {run_id} epoch {epoch}"
            elif run.best_score is None or score > run.best_score + MIN_GAP:  # type: ignore[operator]
                # Earlier epochs win ties: the smaller change is kept. Compared within this run only.
                self.runs.set_best(run_id, epoch, version, score)
                reason = f"keep-best: run {run_id} epoch {epoch} scored {score:.4f} on validation"
            else:
                reason = None
            head = self.store.info(run.library).head
            if reason is not None and head != ours:
                # Another run (or a restore) moved the head since this run last set it: never undo that silently.
                detail.head_kept = (
                    f"library {run.library} head stays at version {head}, set elsewhere since this "
                    f"run last moved it; this run's version is {version} "
                    f"(threedraw library restore {run.library} {version} to use it)"
                )
            elif reason is not None:
                self.store.set_head(run.library, version, reason)
            self.runs.finish_epoch(run_id, epoch, version, score, detail.to_dict())
        best = self.runs.get(run_id)
        note = f"validation {score:.4f}, best epoch {best.best_epoch}" if score is not None else "done"
        self._say(
            "epoch",
            f"epoch {epoch} finished: {note}" + (f"; {detail.head_kept}" if detail.head_kept else ""),
            epoch,
        )

    def _head_set_by(self, run: RunInfo) -> int:
        """The head version this run set last (its start version before it set any)."""
        if LearnConfig.from_dict(run.config["learn"]).keep_best:
            return run.start_version if run.best_version is None else run.best_version
        finished = self.runs.epochs(run.id)
        return finished[-1].version if finished else run.start_version

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
    allow_concurrent: bool = False,
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
        run = learner.start(library, config, cap, allow_concurrent)
    return learner.run(run.id)

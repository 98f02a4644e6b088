"""What each kind of job does, on top of the drawing pipeline, the scorer and CKE.

``score``, ``render`` and ``polish`` run on the scoring worker. ``draw``, ``refine`` and ``learn`` run
in the LLM pool, each with its own provider, and hand their scoring (and a polish) to the scoring
worker. Every
sketch a job makes comes back in the canonical JSON with an id (``GET /v1/sketches/{id}``).

Failures become ``JobFailed`` with a stable code and a message a user can act on:
``provider_error`` (the LLM could not be reached or refused), ``no_usable_sketch``,
``clip_error``, ``library_error``, ``storage_unavailable``, ``invalid_input``; at submit, a polish on a
server without CLIP weights is ``clip_unavailable``.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import io
from collections.abc import Callable, Iterator
from typing import Any

from ...cke import learner, refine
from ...draw.pipeline import (
    DrawConfig,
    Entry,
    GroupScorer,
    Polisher,
    Scorer,
    draw_round,
    polish_scored,
    polish_sketch,
    rank,
)
from ...draw.prompt_sets import load_prompt_set
from ...library.store import LibraryError, LibraryStore
from ...llm.base import Provider, ProviderError
from ...runtime import Cancelled, Progress, StepError
from ...scoring.reward import ScoreConfig, score_groups, score_sketches
from ...shared.repair import Change
from ...shared.results import (
    CandidateSummary,
    DrawResult,
    Event,
    Image,
    LearnResult,
    PolishResult,
    RefineResult,
    RenderResult,
    RenderView,
    RoundSummary,
    Score,
    ScoreResult,
    SketchItem,
)
from ...shared.sketch import Sketch
from ...storage import Database, StorageError
from ..schemas import DrawJob, LearnJob, PolishJob, RefineJob, RenderJob, ScoreJob
from ..settings import ServerSettings
from .manager import LLM, SCORING, JobContext, JobFailed, JobKind, new_sketch_id

SCORE_CHUNK = 8  # sketches scored between cancel checks
PREVIEW_VIEWS = 4


# -- shared helpers ---------------------------------------------------------------
@contextlib.contextmanager
def job_errors() -> Iterator[None]:
    """The project's exceptions, as the job failures a client sees (Cancelled passes through)."""
    from ...scoring.errors import ClipError  # not scoring.clip: the core install has no torch

    try:
        yield
    except ProviderError as e:
        raise JobFailed("provider_error", f"the LLM call failed: {e}") from None
    except StepError as e:
        raise JobFailed("provider_error", str(e)) from None
    except ClipError as e:
        raise JobFailed("clip_error", str(e)) from None
    except StorageError as e:
        raise JobFailed("storage_unavailable", f"the server's storage failed: {e}") from None
    except LibraryError as e:
        raise JobFailed("library_error", str(e)) from None
    except ValueError as e:  # the project's own checks (sketch, camera, agent inputs) say what and where
        raise JobFailed("invalid_input", str(e)) from None


def score_config(settings: ServerSettings, request: Any) -> ScoreConfig:
    """The server's scoring settings with the job's own views, size and structure weight."""
    base = settings.score
    return dataclasses.replace(
        base,
        views=request.views if request.views is not None else base.views,
        size=request.size if request.size is not None else base.size,
        structure_weight=request.structure_weight
        if request.structure_weight is not None
        else base.structure_weight,
    )


def check_limits(settings: ServerSettings, request: Any) -> None:
    """Refuse, at submit, views or sizes above what this server allows."""
    views, size = getattr(request, "views", None), getattr(request, "size", None)
    if views is not None and views > settings.limits.max_views:
        raise JobFailed(
            "invalid_request",
            f"views: {views} is more than this server allows ({settings.limits.max_views}, its --max-views)",
        )
    if size is not None and size > settings.limits.max_size:
        raise JobFailed(
            "invalid_request",
            f"size: {size} is more than this server allows ({settings.limits.max_size}, its --max-size)",
        )


def check_scoring(settings: ServerSettings, request: Any) -> None:
    """``check_limits``, and refuse a polish (a polish job, or a draw/refine with polish steps) on a
    server without CLIP weights: it optimises the CLIP reward."""
    check_limits(settings, request)
    if (request.kind == "polish" or getattr(request, "polish", 0)) and not settings.score.has_clip:
        raise JobFailed(
            "clip_unavailable",
            "polish needs CLIP weights (it optimises the CLIP reward) and this server has none: restart "
            "`threedraw serve` with --clip-pretrained TAG or --clip-checkpoint PATH",
        )


def png_record(image: Any) -> Image:
    """A PIL image, or PNG bytes, as the Image a result carries (base64 PNG)."""
    from PIL import Image as PILImage

    from ...rendering.images import png_bytes

    if isinstance(image, bytes):
        data = image
        image = PILImage.open(io.BytesIO(data))
    else:
        data = png_bytes(image)
    return Image(image.width, image.height, base64.b64encode(data).decode("ascii"))


def preview(sketch: Sketch, size: int) -> Image:
    """A contact sheet of the sketch from PREVIEW_VIEWS sides (run on the scoring worker)."""
    from ...rendering.images import sheet_png

    return png_record(sheet_png(sketch, views=PREVIEW_VIEWS, size=size))


def sketch_item(
    sketch: Sketch,
    score: Score | None,
    repairs: list[Change],
    candidate: int | None = None,
    round: int | None = None,
) -> SketchItem:
    """One drawing of a result: stored under ``id`` for GET /v1/sketches/{id}."""
    return SketchItem(new_sketch_id(), sketch, score, candidate=candidate, round=round, repairs=list(repairs))


def _drawing(ctx: JobContext, req: Any) -> DrawConfig:
    """A draw, refine or learn request's drawing (DrawConfig's fields, by name); a loop limit it does
    not give is the server's --loop-limit."""
    given = req.loop_limit
    return dataclasses.replace(
        DrawConfig.from_options(req), loop_limit=ctx.settings.loop_limit if given is None else given
    )


def _provider(ctx: JobContext, model: str | None) -> Provider:
    try:
        return ctx.settings.make_provider(model)
    except (ProviderError, ValueError) as e:
        raise JobFailed("provider_error", f"the LLM provider cannot be used: {e}") from None


def _worker_scorer(ctx: JobContext) -> Scorer:
    """Score on the one worker that owns the CLIP model."""
    return lambda sketches, prompt, config: ctx.on_scorer(score_sketches, sketches, prompt, config)


def _on_step(ctx: JobContext) -> Callable[[int, int, float, float], None]:
    """Each polish step as the job's progress: step of steps, its reward and the best so far."""

    def on_step(step: int, steps: int, reward: float, best: float) -> None:
        ctx.report(
            Progress("polish", f"reward {reward:.4f}, best {best:.4f}", step, steps, scores=[reward, best])
        )

    return on_step


def _worker_polisher(ctx: JobContext) -> Polisher:
    """Polish on the scoring worker (the CLIP model's owner), reporting every step; a cancel stops it
    between steps with the best sketch so far."""

    def polisher(sketch: Sketch, prompt: str, config: ScoreConfig, steps: int) -> Any:
        ctx.report(Progress("polish", f"polishing {steps} steps", 0, steps))
        return ctx.on_scorer(polish_sketch, sketch, prompt, config, steps, _on_step(ctx), ctx.cancel_event)

    return polisher


def _worker_group_scorer(ctx: JobContext) -> GroupScorer:
    """Score several prompts' sketches in one call on that worker (a learning batch, validation)."""
    return lambda groups, config: ctx.on_scorer(score_groups, groups, config)


# -- score and render (the scoring lane) ------------------------------------------
def run_score(ctx: JobContext, req: ScoreJob) -> ScoreResult:
    config = score_config(ctx.settings, req)
    sketches = [Sketch.from_dict(s) for s in req.sketches]
    scores: list[Score] = []
    what = f"scoring {len(sketches)} sketches"
    ctx.report(Progress("score", what, 0, len(sketches)))
    with job_errors():
        for lo in range(0, len(sketches), SCORE_CHUNK):
            ctx.check()
            chunk = sketches[lo : lo + SCORE_CHUNK]
            prompts = [req.prompt or sk.prompt for sk in chunk]
            scored: dict[int, Score] = {}
            for prompt in dict.fromkeys(prompts):  # one batch per prompt, in order
                same = [i for i, p in enumerate(prompts) if p == prompt]
                for i, s in zip(same, score_sketches([chunk[i] for i in same], prompt, config)):
                    scored[i] = s
            scores += [scored[i] for i in range(len(chunk))]
            ctx.report(Progress("score", what, len(scores), len(sketches), scores=[s.reward for s in scores]))
        best = rank(Entry(i, "given", sk, s) for i, (sk, s) in enumerate(zip(sketches, scores)))[0].index
        shown = preview(sketches[best], config.size) if req.preview else None
    return ScoreResult(req.prompt, scores, best, shown)


def run_render(ctx: JobContext, req: RenderJob) -> RenderResult:
    from ...rendering.camera import CameraRig
    from ...rendering.images import contact_sheet, render_tiles

    views = req.views or ctx.settings.score.views
    size = req.size or ctx.settings.score.size
    ctx.report(Progress("render", f"rendering {views} views", 0, views))
    with job_errors():
        rig = CameraRig(views=views, azimuth=req.azimuth)
        tiles = render_tiles(Sketch.from_dict(req.sketch), views, size, azimuth=req.azimuth)
        labels = [f"az {az:g}  el {el:g}" for az, el in rig.angles()]
        out = RenderResult(
            [
                RenderView(k, az, el, png_record(tile))
                for k, ((az, el), tile) in enumerate(zip(rig.angles(), tiles))
            ],
            png_record(contact_sheet(tiles, labels)),
            rig.describe(size),
        )
    ctx.report(Progress("render", "rendered", views, views))
    return out


def run_polish(ctx: JobContext, req: PolishJob) -> PolishResult:
    """Polish a given sketch (on the scoring worker: this lane); a cancel between steps keeps the best so far."""
    config = score_config(ctx.settings, req)
    sketch = Sketch.from_dict(req.sketch)
    prompt = req.prompt or sketch.prompt
    ctx.report(Progress("polish", f"polishing {req.steps} steps", 0, req.steps))

    def polisher(sketch: Sketch, prompt: str, config: ScoreConfig, steps: int) -> Any:
        on_step, cancel = _on_step(ctx), ctx.cancel_event
        return polish_sketch(sketch, prompt, config, steps, on_step, cancel, req.trust_radius, req.seed)

    with job_errors():
        res, score = polish_scored(sketch, prompt, config, req.steps, polisher, score_sketches)
        shown = preview(res.sketch, config.size) if req.preview else None
    ctx.report(Progress("done", f"polished {res.steps_done} of {req.steps} steps", res.steps_done, req.steps))
    return PolishResult(
        prompt,
        [SketchItem(new_sketch_id(), res.sketch, score)],
        res.reward_before,
        res.reward_after,
        res.largest_move,
        res.trust_radius,
        req.steps,
        res.steps_done,
        res.best_step,
        res.interrupted,
        shown,
    )


# -- draw, refine, learn (the LLM lane) ---------------------------------------------
def make_draw(store: LibraryStore) -> Callable[[JobContext, DrawJob], DrawResult]:
    def run_draw(ctx: JobContext, req: DrawJob) -> DrawResult:
        provider = _provider(ctx, req.model)
        config = score_config(ctx.settings, req)
        draw = _drawing(ctx, req)
        on_worker = _worker_scorer(ctx)

        def scorer(sketches: list[Sketch], prompt: str, cfg: ScoreConfig) -> Any:
            ctx.report(Progress("score", f"scoring {len(sketches)} sketches", req.k, req.k))
            return on_worker(sketches, prompt, cfg)

        with job_errors():
            lessons = [x.text for x in store.lessons(req.library)] if req.library else list(req.lessons)
            current = Sketch.from_dict(req.sketch) if req.sketch else None
            ctx.report(Progress("draw", f"drawing {req.k} candidates with {provider.model}", 0, req.k))
            rnd = draw_round(
                provider,
                req.prompt,
                lessons,
                config,
                draw,
                current=current,
                cancel=ctx.cancel_event,
                scorer=scorer,
                require_reply=False,
                on_stroke=ctx.on_stroke,
                polisher=_worker_polisher(ctx),
            )
        ranked = rnd.ranked()
        if not ranked:
            code = "provider_error" if rnd.no_reply else "no_usable_sketch"
            raise JobFailed(
                code,
                f"no usable sketch from {provider.name} model {provider.model}: {rnd.failure_reasons()}",
                {"candidates": [_candidate(c).to_dict() for c in rnd.candidates]},
            )
        sketches = [sketch_item(e.sketch, e.score, e.repairs, candidate=e.index) for e in ranked if e.sketch]
        shown = None
        if req.preview:
            with job_errors():
                shown = ctx.on_scorer(preview, ranked[0].sketch, config.size)
        ctx.report(
            Progress(
                "done",
                f"{len(ranked)} of {req.k} candidates usable",
                req.k,
                req.k,
                scores=[e.reward for e in ranked],
            )
        )
        return DrawResult(
            req.prompt,
            provider.name,
            provider.model,
            sketches,
            [_candidate(c) for c in rnd.candidates],
            rnd.usage,
            shown,
        )

    return run_draw


def _candidate(c: Any) -> CandidateSummary:
    """A candidate without its sketch (that is in sketches) and raw replies (large)."""
    return CandidateSummary(
        c.index, c.ok, c.error, list(c.problems), c.repaired, c.usage, round(c.latency_s, 3)
    )


def make_refine(store: LibraryStore) -> Callable[[JobContext, RefineJob], RefineResult]:
    def run_refine(ctx: JobContext, req: RefineJob) -> RefineResult:
        provider = _provider(ctx, req.model)
        config = score_config(ctx.settings, req)
        with job_errors():
            res = refine.refine(
                req.prompt,
                provider,
                config,
                store=store if req.library else None,
                library=req.library,
                lessons=req.lessons,
                commit=req.commit,
                rounds=req.rounds,
                draw=dataclasses.replace(_drawing(ctx, req), polish=0),  # the last best only
                start=Sketch.from_dict(req.sketch) if req.sketch else None,
                pairing=req.pairing,
                judge_images=req.judge_images,
                progress=ctx.report,
                cancel=ctx.cancel_event,
                scorer=_worker_scorer(ctx),
                on_stroke=ctx.on_stroke,
            )
            best, best_score = res.best, res.best_score
            if req.polish:
                best, best_score = _polish_one(ctx, best, res.prompt, config, req.polish)
            shown = ctx.on_scorer(preview, best, config.size) if req.preview else None
        return RefineResult(
            res.prompt,
            [sketch_item(best, best_score, res.best_repairs, round=res.best_round)],
            list(res.lessons),
            list(res.learned),
            req.library,
            res.version,
            [_round_summary(r) for r in res.rounds],
            res.usage,
            res.calls,
            shown,
        )

    return run_refine


def _polish_one(
    ctx: JobContext, sketch: Sketch, prompt: str, config: ScoreConfig, steps: int
) -> tuple[Sketch, Score]:
    """A delivered sketch polished on the scoring worker and scored again."""
    res, score = polish_scored(sketch, prompt, config, steps, _worker_polisher(ctx), _worker_scorer(ctx))
    ctx.check()
    return res.sketch, score


def _round_summary(r: dict[str, Any]) -> RoundSummary:
    """A refine round without the raw replies: rewards, the judged pair, what changed."""
    entries = r["draw"]["entries"]
    rewards = [Score.from_dict(e["score"]).reward if e.get("score") else None for e in entries]
    usable = [x for x in rewards if x is not None]
    pair = r["judge"]["pair"]
    return RoundSummary(
        r["round"],
        rewards,
        max(usable) if usable else None,
        (pair[0], pair[1]) if pair else None,
        r["judge"]["skipped"],
        [Event.from_dict(e) for e in r["events"]],
    )


def _resumed_score_config(ctx: JobContext, db: Database, req: LearnJob, config: ScoreConfig) -> ScoreConfig:
    """A run resumed here goes on with the views and sizes it was scored with, and only when this
    server draws with the run's own model and scores with its own CLIP (never two scorers in one run)."""
    from ...cke.resume import ResumeConflict, default_local_model, resume_settings
    from ...library.runs import RunStore

    assert req.resume is not None
    options = ctx.settings.provider_options
    pconfig = dataclasses.replace(options, kind=options.resolved_kind, model=req.model or options.model)
    with job_errors():
        record = RunStore(db).get(req.resume).config
    try:
        return resume_settings(
            req.resume,
            record,
            pconfig,
            config,
            {"kind", "model", "clip_model", "clip_pretrained", "clip_checkpoint"},
            default_local_model(),
        )[1]
    except ResumeConflict as e:
        raise JobFailed("invalid_request", f"this server cannot resume the run: {e}") from None


def make_learn(db: Database) -> Callable[[JobContext, LearnJob], LearnResult]:
    def run_learn(ctx: JobContext, req: LearnJob) -> LearnResult:
        provider = _provider(ctx, req.model)
        config = score_config(ctx.settings, req)
        if req.resume:
            config = _resumed_score_config(ctx, db, req, config)
        lrn = learner.Learner(
            db,
            provider,
            config,
            progress=ctx.report,
            cancel=ctx.cancel_event,
            scorer=_worker_scorer(ctx),
            group_scorer=_worker_group_scorer(ctx),
        )
        with job_errors():
            if req.resume:
                ctx.set_run(req.resume)
                run = lrn.resume(req.resume)
            else:
                prompts = req.prompts or list(load_prompt_set(req.prompt_set).prompts)  # type: ignore[arg-type]
                cfg = learner.LearnConfig.from_options(
                    req,
                    prompts=prompts,
                    prompt_set=req.prompt_set or "prompts",
                    validation=req.validation,
                    draw=_drawing(ctx, req),
                )
                run = lrn.start(req.library, cfg, req.cap, req.allow_concurrent)  # type: ignore[arg-type]
                ctx.set_run(run.id)
        ctx.report(Progress("start", f"learning run {run.id} on library {run.library}"))
        try:
            with job_errors():
                res = lrn.run(run.id)
        except (Cancelled, JobFailed) as e:  # say how to go on
            e.detail = {"run_id": run.id, "resume": f"POST /v1/runs/{run.id}/resume"}
            raise
        return res  # its library is the run's

    return run_learn


def job_kinds(db: Database) -> dict[str, JobKind]:
    """The kinds the server runs, bound to its library database."""
    store = LibraryStore(db)

    def check_llm(settings: ServerSettings, req: Any) -> None:
        check_scoring(settings, req)
        try:
            settings.make_provider(req.model)
        except (ProviderError, ValueError) as e:
            if req.model is not None:
                raise JobFailed("invalid_request", str(e)) from None
            raise JobFailed(
                "provider_unavailable",
                f"the server's LLM provider cannot be used: {e}; "
                "restart the server with working provider options",
            ) from None

    def check_draw(settings: ServerSettings, req: DrawJob) -> None:
        check_llm(settings, req)
        if req.library:
            try:
                store.info(req.library)
            except StorageError as e:
                raise JobFailed("storage_unavailable", f"the server's storage failed: {e}") from None
            except LibraryError as e:
                raise JobFailed("library_not_found", str(e)) from None

    return {
        "score": JobKind(SCORING, run_score, check_limits),
        "render": JobKind(SCORING, run_render, check_limits),
        "draw": JobKind(LLM, make_draw(store), check_draw),
        "refine": JobKind(LLM, make_refine(store), check_llm),
        "learn": JobKind(LLM, make_learn(db), check_llm),
        "polish": JobKind(SCORING, run_polish, check_scoring),
    }

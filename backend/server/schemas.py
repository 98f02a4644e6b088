"""What a client may ask for (one request model per job kind, every bound stated) and what the server answers.

Defaults are read from the config dataclasses that own them (``DrawConfig``, ``RefineConfig``,
``LearnConfig``), so the API and the CLI cannot drift apart.

These models are the body of ``POST /v1/jobs`` (a union told apart by ``kind``) and so the
OpenAPI schema the add-on is written against. Unknown fields are refused (a typo such as
``"K": 5`` must not silently run with the default). Sketches are checked by the shared Sketch
model itself, so the API accepts exactly what the rest of threedraw accepts.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from ..cke.learner import LEARN_DRAW, MAX_EPOCHS, LearnConfig
from ..cke.pairing import JUDGE_IMAGES, PAIRINGS
from ..cke.refine import MAX_ROUNDS, RefineConfig
from ..draw.agent import DRAW_TEMPERATURE, MAX_K, MAX_LESSONS, SAMPLE_TEMPERATURE
from ..draw.loops import MAX_LOOP_LIMIT
from ..draw.pipeline import POLISH_HELP, REPAIR_HELP, DrawConfig
from ..draw.prompt_sets import BUILTIN_SETS
from ..library.lessons import MAX_CAP, MAX_LESSON_CHARS, check_name
from ..llm.base import MAX_TOKENS_LIMIT
from ..polish import DEFAULT_STEPS as POLISH_DEFAULT_STEPS
from ..polish import MAX_STEPS as POLISH_MAX_STEPS
from ..rendering.camera import MAX_SIZE, MAX_VIEWS, MIN_SIZE
from ..scoring.reward import MAX_STRUCTURE_WEIGHT
from ..shared.results.fields import Record
from ..shared.sketch import FORMAT, MAX_PROMPT_CHARS, MAX_STROKES, Sketch, SketchError

MAX_SCORE_SKETCHES = 64  # sketches in one score job
MAX_LEARN_PROMPTS = 200  # prompts in one learn job sent over HTTP
MAX_MODEL_CHARS = 200
MAX_SEED = 2**31 - 1

_SKETCH_SCHEMA = {
    "type": "object",
    "description": f"A sketch in the canonical JSON ({FORMAT}): cubic Bezier strokes in the cube [-1, 1]^3, "
    "Z up, the object's front facing -Y.",
    "required": ["format", "strokes"],
    "properties": {
        "format": {"const": FORMAT},
        "prompt": {"type": "string", "maxLength": MAX_PROMPT_CHARS},
        "strokes": {
            "type": "array",
            "maxItems": MAX_STROKES,
            "items": {
                "type": "object",
                "required": ["id", "points"],
                "properties": {
                    "id": {"type": "string", "minLength": 1, "maxLength": 64},
                    "label": {"type": "string", "maxLength": 64},
                    "points": {
                        "type": "array",
                        "minItems": 4,
                        "maxItems": 4,
                        "items": {
                            "type": "array",
                            "minItems": 3,
                            "maxItems": 3,
                            "items": {"type": "number", "minimum": -1, "maximum": 1},
                        },
                    },
                },
            },
        },
    },
}


def _canonical_sketch(value: dict[str, Any]) -> dict[str, Any]:
    try:
        return Sketch.from_dict(value).to_dict()
    except SketchError as e:
        raise ValueError(str(e)) from None


def _library_name(value: str) -> str:
    check_name(value)  # LibraryError is a ValueError: pydantic reports it at the field
    return value


SketchJSON = Annotated[dict[str, Any], AfterValidator(_canonical_sketch), WithJsonSchema(_SKETCH_SCHEMA)]
LibraryName = Annotated[
    str,
    AfterValidator(_library_name),
    Field(description="an experience library's name (letters, digits, '.', '_', '-')"),
]
Prompt = Annotated[str, Field(min_length=1, max_length=MAX_PROMPT_CHARS, description="what to draw")]
LOOP_LIMIT_HELP = (
    "stop a streamed reply once this many strokes in a row added nothing new, keeping the strokes so far "
    "(default: the server's --loop-limit; 0: never stop)"
)
Lesson = Annotated[str, Field(min_length=1, max_length=MAX_LESSON_CHARS)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScoringOptions(_Request):
    """How sketches are scored (defaults: the server's --views and --structure-weight, 224 px)."""

    views: int | None = Field(
        None, ge=1, le=MAX_VIEWS, description="views rendered per sketch (server --max-views)"
    )
    size: int | None = Field(
        None, ge=MIN_SIZE, le=MAX_SIZE, description="render size in pixels (server --max-size)"
    )
    structure_weight: float | None = Field(
        None, ge=0.0, le=MAX_STRUCTURE_WEIGHT, description="reward = CLIP + weight x structure"
    )
    preview: bool = Field(False, description="add a PNG contact sheet of the result's best sketch")


class LlmOptions(_Request):
    model: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_MODEL_CHARS,
        description="another model of the same OpenAI-compatible API (default: the server's)",
    )
    max_strokes: int | None = Field(None, ge=1, le=MAX_STROKES)
    max_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS_LIMIT)
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description="sampling seed, for reproducible runs")
    loop_limit: int | None = Field(None, ge=0, le=MAX_LOOP_LIMIT, description=LOOP_LIMIT_HELP)


class DrawJob(LlmOptions, ScoringOptions):
    """K candidates from one LLM round; all are scored and the best comes first."""

    kind: Literal["draw"]
    prompt: Prompt
    k: int = Field(DrawConfig.k, ge=1, le=MAX_K, description="candidates to draw")
    temperature: float | None = Field(
        DrawConfig.temperature,
        ge=0.0,
        le=2.0,
        description=f"default {SAMPLE_TEMPERATURE} when k > 1, else {DRAW_TEMPERATURE}",
    )
    lessons: list[Lesson] = Field(
        default_factory=list, max_length=MAX_LESSONS, description="experience to draw with (or give library)"
    )
    library: LibraryName | None = Field(None, description="draw with the lessons of this library's head")
    sketch: SketchJSON | None = Field(None, description="an existing sketch to refine in this one call")
    repair: bool = Field(DrawConfig.repair, description=REPAIR_HELP)
    polish: int = Field(DrawConfig.polish, ge=0, le=POLISH_MAX_STEPS, description=POLISH_HELP)

    @model_validator(mode="after")
    def _one_source(self) -> DrawJob:
        if self.lessons and self.library:
            raise ValueError("give lessons or library, not both")
        return self


class ScoreJob(ScoringOptions):
    """CLIP and structure scores of given sketches against a prompt."""

    kind: Literal["score"]
    sketches: list[SketchJSON] = Field(min_length=1, max_length=MAX_SCORE_SKETCHES)
    prompt: Prompt | None = Field(None, description="default: each sketch's own prompt")

    @model_validator(mode="after")
    def _has_prompt(self) -> ScoreJob:
        if self.prompt is None:
            for i, s in enumerate(self.sketches):
                if not s["prompt"].strip():
                    raise ValueError(f"sketches[{i}] has no prompt; give prompt to score against")
        return self


class RenderJob(_Request):
    """PNG views of a sketch around a circle, a contact sheet and the cameras."""

    kind: Literal["render"]
    sketch: SketchJSON
    views: int | None = Field(None, ge=1, le=MAX_VIEWS, description="default: the server's --views")
    size: int | None = Field(
        None,
        ge=MIN_SIZE,
        le=MAX_SIZE,
        description="image side in pixels (default: 224, or the server's --max-size)",
    )
    azimuth: float = Field(0.0, ge=-360.0, le=360.0, description="degrees of the first view; 0 = front")


class RefineJob(LlmOptions, ScoringOptions):
    """CKE rounds on one prompt: draw K, score, judge, update the lessons; the best sketch wins."""

    kind: Literal["refine"]
    prompt: Prompt
    sketch: SketchJSON | None = Field(None, description="start from this sketch (it is kept unless beaten)")
    library: LibraryName | None = Field(None, description="start from this library's lessons")
    lessons: list[Lesson] | None = Field(None, max_length=MAX_LESSONS, description="or from these lessons")
    commit: bool = Field(False, description="write what was learned to the library as a new version")
    rounds: int = Field(RefineConfig.rounds, ge=1, le=MAX_ROUNDS)
    k: int = Field(RefineConfig.k, ge=2, le=MAX_K)
    temperature: float = Field(RefineConfig.temperature, ge=0.0, le=2.0)
    pairing: Literal[PAIRINGS] = RefineConfig.pairing  # type: ignore[valid-type]
    judge_images: bool = Field(RefineConfig.judge_images, description=JUDGE_IMAGES)
    repair: bool = Field(DrawConfig.repair, description=REPAIR_HELP)
    polish: int = Field(
        DrawConfig.polish,
        ge=0,
        le=POLISH_MAX_STEPS,
        description=POLISH_HELP.replace("the delivered sketch", "the best sketch of the last round"),
    )

    @model_validator(mode="after")
    def _sources(self) -> RefineJob:
        if self.library and self.lessons is not None:
            raise ValueError("give library or lessons, not both")
        if self.commit and not self.library:
            raise ValueError("commit needs a library")
        return self


class PolishJob(ScoringOptions):
    """CLIP-guided polish of a given sketch: its control points move a little to raise the CLIP reward,
    joints stay joined; progress per step, and cancel stops it between steps with the best so far
    (the job then succeeds with ``interrupted``). Needs CLIP weights on the server."""

    kind: Literal["polish"]
    sketch: SketchJSON
    prompt: Prompt | None = Field(
        None, description="text to polish towards (default: the sketch's own prompt)"
    )
    steps: int = Field(POLISH_DEFAULT_STEPS, ge=1, le=POLISH_MAX_STEPS, description="optimiser steps")
    trust_radius: float | None = Field(
        None,
        gt=0.0,
        le=2.0,
        description="no control point moves farther than this (default: 5% of the sketch's bounding-box "
        "diagonal)",
    )
    seed: int = Field(0, ge=0, le=MAX_SEED, description="random views and augmentations")

    @model_validator(mode="after")
    def _has_prompt(self) -> PolishJob:
        if self.prompt is None and not self.sketch["prompt"].strip():
            raise ValueError("the sketch has no prompt; give prompt to polish towards")
        if not self.sketch["strokes"]:
            raise ValueError("the sketch has no strokes, nothing to polish")
        return self


class LearnJob(LlmOptions, ScoringOptions):
    """A learning run over a prompt set, writing the library (or resuming a stopped run)."""

    kind: Literal["learn"]
    library: LibraryName | None = Field(None, description="the library to learn into (created when missing)")
    prompts: list[Prompt] | None = Field(None, min_length=1, max_length=MAX_LEARN_PROMPTS)
    prompt_set: Literal[tuple(BUILTIN_SETS)] | None = Field(  # type: ignore[valid-type]
        None, description="a built-in prompt set instead of prompts"
    )
    validation: list[Prompt] | None = Field(None, min_length=1, max_length=MAX_LEARN_PROMPTS)
    epochs: int = Field(LearnConfig.epochs, ge=1, le=MAX_EPOCHS)
    k: int = Field(LEARN_DRAW.k, ge=2, le=MAX_K)
    temperature: float = Field(LEARN_DRAW.temperature, ge=0.0, le=2.0)
    draw_temperature: float = Field(LearnConfig.draw_temperature, ge=0.0, le=2.0)
    val_k: int = Field(LearnConfig.val_k, ge=1, le=MAX_K)
    pairing: Literal[PAIRINGS] = LearnConfig.pairing  # type: ignore[valid-type]
    keep_best: bool = LearnConfig.keep_best
    judge_images: bool = Field(LearnConfig.judge_images, description=JUDGE_IMAGES)
    batch: int = Field(
        LearnConfig.batch,
        ge=1,
        le=MAX_LEARN_PROMPTS,
        description="prompts drawn and judged at once against the same library version (1: sequential)",
    )
    cap: int | None = Field(None, ge=1, le=MAX_CAP)
    resume: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="the run id of a stopped run to go on with (then give nothing else)",
    )
    allow_concurrent: bool = Field(False, description="start even while another run learns this library")

    @model_validator(mode="after")
    def _start_or_resume(self) -> LearnJob:
        starting = [
            n
            for n in (
                "library",
                "prompts",
                "prompt_set",
                "validation",
                "cap",
                "judge_images",
                "allow_concurrent",
            )
            if getattr(self, n)
        ] + [n for n in ("batch",) if n in self.model_fields_set]
        if self.resume:
            if starting:
                raise ValueError(f"resume goes on with a run as it was started; drop {', '.join(starting)}")
            return self
        if not self.library:
            raise ValueError("library: required (the library to learn into), or give resume")
        if (self.prompts is None) == (self.prompt_set is None):
            raise ValueError("give prompts (a list) or prompt_set (a built-in set), one of the two")
        return self


JobRequest = Annotated[
    DrawJob | ScoreJob | RenderJob | RefineJob | LearnJob | PolishJob, Field(discriminator="kind")
]
KINDS = ("draw", "score", "render", "refine", "learn", "polish")


# -- what the server answers ---------------------------------------------------------
# Results are documented, not narrowed: their parts (typed in shared/results/, described here) and
# the records other parts own (fields.Record) pass through unchanged, nothing filled in on the way.
USAGE = (
    "prompt_tokens, completion_tokens, cost_usd (null: the provider's price is unknown), and "
    "cached_prompt_tokens (served from the API's prefix cache), reasoning_tokens (spent thinking): "
    "these two 0 or absent from older servers"
)


class Health(BaseModel):
    status: Literal["ok"]
    api: str


class CheckRow(BaseModel):
    name: str = Field(description="what was tried: reachable, key accepted, chat completion, streaming, ...")
    ok: bool | None = Field(description="null: not applicable or not known")
    detail: str


class CheckReport(BaseModel):
    ok: bool = Field(description="drawing works with the configured provider")
    verdict: str = Field(description="one line: whether drawing works, and if not why")
    model: str
    adaptations: dict[str, str] = Field(description="parameters requests were adapted for, e.g. temperature")
    rows: list[CheckRow]


class Progress(BaseModel):
    phase: str = Field(
        description="queued, starting, draw, score, judge, update, validate, epoch, render, polish, done"
    )
    epoch: int | None = None
    step: int | None = Field(None, description="finished units of work, out of total")
    total: int | None = None
    scores: list[float | None] | None = Field(
        None,
        description="latest rewards, best first where ranked; polish: [this step's reward on its jittered "
        "views, the best evaluation-view reward so far]",
    )
    message: str | None = None
    updated_at: str


class JobError(BaseModel):
    code: str
    message: str
    detail: Any = None


class JobSummary(BaseModel):
    id: str
    kind: str
    state: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    created_at: str
    started_at: str | None
    finished_at: str | None
    progress: Progress
    error: JobError | None
    run_id: str | None = Field(
        None,
        description="learn: the learning run, recorded as soon as it exists "
        "(GET /v1/runs/{run_id}; POST /v1/runs/{run_id}/resume)",
    )


class _Result(BaseModel):
    # Results are documented, not narrowed: a field added later still reaches the client. The
    # server builds them as the typed results in shared/results/ (one module per job kind).
    model_config = ConfigDict(extra="allow")


class Image(_Result):
    media_type: Literal["image/png"]
    width: int
    height: int
    data: str = Field(description="base64 PNG")


class SketchItem(_Result):
    """A sketch a job made, kept for GET /v1/sketches/{id}. A drawing of a draw or refine job also
    carries ``repairs``: what repair changed in it, each {kind: joint|t_joint|duplicate|degenerate,
    strokes, onto, distance} (empty with ``"repair": false``)."""

    id: str
    sketch: Record = Field(description=f"the canonical sketch JSON ({FORMAT})")
    score: Record | None = Field(
        description="clip_mean, clip_per_view, structure {total, terms, details}, reward, and "
        "polish_steps when polish changed the sketch (absent: 0)"
    )


class DrawResult(_Result):
    """draw: every usable candidate, best first (and preview: an Image, when asked for)."""

    prompt: str
    provider: str
    model: str
    sketches: list[SketchItem]
    candidates: list[Record] = Field(
        description="each candidate: index, ok, error, problems, repaired, usage, latency_s"
    )
    usage: Record = Field(description=USAGE)


class ScoreResult(_Result):
    """score: one score per given sketch, in order, and the index of the best (and preview, when asked for)."""

    prompt: str | None
    scores: list[Record]
    best: int


class RenderResult(_Result):
    """render: one image per view, a contact sheet of them, and the cameras."""

    views: list[Record] = Field(description="each view: index, azimuth, elevation, image")
    contact_sheet: Image
    cameras: Record


class RefineResult(_Result):
    """refine: the best sketch, the lessons after the last round and what changed (and preview, when asked for)."""

    prompt: str
    sketches: list[SketchItem]
    lessons: list[Record]
    learned: list[Record]
    library: str | None
    version: int | None
    rounds: list[Record] = Field(description="each round: rewards, best_reward, pair, skipped, events")
    usage: Record = Field(description=USAGE)
    calls: int


class LearnResult(_Result):
    """learn: the run, its epochs with their validation scores, the kept epoch and the library's head."""

    run_id: str
    library: str
    epochs: list[Record] = Field(description="each epoch: epoch, version, validation score, lessons")
    best_epoch: int | None = Field(description="the epoch kept as the head (null: none validated)")
    best_version: int | None = Field(description="the library version of the kept epoch")
    head: int = Field(description="the library's head version after the run")
    cost: Record = Field(
        description="LLM calls, tokens and cost_usd per epoch (and per object) and for validation"
    )


class PolishResult(_Result):
    """polish: the polished sketch (its score with polish_steps), the mean CLIP cosine over the evaluation
    views before and after, the largest move (and preview, when asked for)."""

    prompt: str
    sketches: list[SketchItem]
    reward_before: float
    reward_after: float
    largest_move: float = Field(description="the farthest any control point moved, cube units")
    trust_radius: float
    steps: int
    steps_done: int
    best_step: int = Field(description="the step whose sketch is the result (0: the sketch as given)")
    interrupted: bool = Field(description="cancelled between steps: the best sketch so far")


class Job(JobSummary):
    request: Record = Field(description="the request as accepted (defaults filled in)")
    result: DrawResult | ScoreResult | RenderResult | RefineResult | LearnResult | PolishResult | None = (
        Field(None, description="when succeeded: the result of the job's kind")
    )


class StrokeJSON(BaseModel):
    """One stroke of the canonical sketch JSON, and "label" when given."""

    model_config = ConfigDict(extra="allow")
    id: str
    points: list[list[float]] = Field(description="4 control points, each [x, y, z]")


class LiveStroke(BaseModel):
    """A stroke a running draw or refine job received, as its candidate's reply streams in."""

    candidate: int = Field(description="the candidate's index in its round, from 0")
    seq: int = Field(description="1, 2, ... in the order the job received its strokes")
    stroke: StrokeJSON
    reply: int = Field(
        description="the candidate's reply within the job, from 1: a stroke with a higher reply "
        "than the candidate's last starts that candidate over (a retried stream, "
        "or the next refine round)"
    )


class JobStrokes(Job):
    """``GET /v1/jobs/{id}?since=SEQ``: the job plus the strokes after SEQ."""

    seq: int = Field(description="the highest sequence number so far (0: none yet)")
    strokes: list[LiveStroke] = Field(description="the strokes with seq > since, in seq order, at most 256")


class JobList(BaseModel):
    jobs: list[JobSummary]


class Run(BaseModel):
    """A learning run: its library, status, where it stands and its kept epoch."""

    model_config = ConfigDict(extra="allow")
    id: str
    library: str
    status: Literal["running", "done", "cancelled", "interrupted", "failed"]
    created_at: str
    updated_at: str
    start_version: int
    work_version: int = Field(description="the library version the next learning step builds on")
    best_epoch: int | None
    best_version: int | None
    best_score: float | None
    error: str | None
    resumable: bool = Field(description="whether POST /v1/runs/{id}/resume can go on with it now")


class RunList(BaseModel):
    runs: list[Run]

"""`threedraw learn --prompts FILE|SET --library NAME`: learn lessons by contrastive experience (CKE).

Per prompt and epoch: K candidates at the sampling temperature, scored; the best and the worst go
to the judge, whose operations update the library. After every epoch the library is scored on the
validation prompts (drawn at the drawing temperature) and the best epoch becomes the library's
head. Every step is stored as it finishes: a run stopped any way resumes with ``--resume``.
Every default is ``LearnConfig``'s own.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import Any

from ..cke.learner import LearnConfig
from ..cke.pairing import JUDGE_IMAGES, PAIRINGS
from ..library.lessons import DEFAULT_CAP
from ..llm.base import Usage
from ..shared.results.learn_result import LearnResult
from . import UserError
from .options import (
    SEED,
    Setting,
    add_clip_arguments,
    add_data_dir_argument,
    add_provider_arguments,
    add_score_size_argument,
    add_settings,
    add_size_arguments,
    draw_config_from_args,
    given_options,
    loop_limit_setting,
    make_provider,
    open_database,
    preload_clip,
    provider_config,
    score_config_from_args,
    size_settings,
)
from .output import ProgressPrinter, write_json

HELP = "learn an experience library: draw K sketches per prompt, score them, let a judge write lessons"


def _settings() -> tuple[Setting, ...]:
    """The run's settings (kept in its record, so not for --resume): LearnConfig's fields and its
    drawing's, read back by name (LearnConfig.from_options), and the library's lesson cap."""
    d = LearnConfig
    return (
        Setting("--epochs", "epochs", int, d.epochs, "passes over the prompts"),
        Setting("-k", "k", int, d.draw.k, "candidates per prompt and epoch"),
        Setting(
            "--pairing",
            "pairing",
            None,
            d.pairing,
            "which two candidates the judge compares (default: %(default)s, the paper's)",
            choices=PAIRINGS,
        ),
        Setting(
            "--temperature",
            "temperature",
            float,
            d.draw.temperature,
            _paren("sampling temperature of the K candidates"),
        ),
        Setting(
            "--draw-temperature",
            "draw_temperature",
            float,
            d.draw_temperature,
            _paren("temperature when drawing with the library, for validation"),
        ),
        Setting(
            "--val-k", "val_k", int, d.val_k, _paren("candidates per validation prompt; the best counts")
        ),
        Setting(
            "--no-keep-best",
            "keep_best",
            None,
            d.keep_best,
            "skip validation; the last epoch becomes the head (the paper's plain loop)",
            action="store_false",
            name="keep_best",
        ),
        Setting(
            "--batch",
            "batch",
            int,
            d.batch,
            "prompts drawn and judged at once against the same library, their lessons applied together "
            "(1: one prompt after another, the paper's loop; default: %(default)s)",
            "B",
        ),
        Setting(
            "--cap",
            "cap",
            int,
            None,
            f"most lessons the library keeps (default: {DEFAULT_CAP} for a new library)",
        ),
        Setting("--judge-images", "judge_images", None, d.judge_images, JUDGE_IMAGES, action="store_true"),
        SEED,
    )


def _paren(help: str) -> str:
    """Help that gives its default in brackets, as these options always have: "... (0.7)"."""
    return f"{help} (%(default)s)"


# What a new run learns from and into (LearnConfig's prompt sets, read as given, and the library).
_INPUTS = (
    Setting(
        "--prompts",
        "prompts",
        None,
        None,
        "training prompts: a text file (one prompt a line) or a built-in set: modelnet40, fine-grained",
        "FILE|SET",
    ),
    Setting("--library", "library", None, None, "the library to learn into (made when missing)", "NAME"),
    Setting(
        "--validation",
        "validation",
        None,
        None,
        "held-out prompts that pick the best epoch (default: the training prompts)",
        "FILE|SET",
    ),
)
# Where the run's record also goes, and whether it may share its library with another run.
_OUTPUTS = (
    Setting(
        "--record", "record", None, None, "also write the whole run record to this JSON file", "FILE.json"
    ),
    Setting(
        "--allow-concurrent",
        "allow_concurrent",
        None,
        False,
        "start even while another run learns this library (the head stays with whoever set it)",
        action="store_true",
    ),
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_settings(p, _INPUTS)
    add_settings(p, _settings())
    add_size_arguments(p, reply="drawing reply")
    add_settings(p, (loop_limit_setting(),))
    p.add_argument(
        "--resume",
        nargs="?",
        const="latest",
        metavar="RUN_ID",
        help="go on with a stopped run (default: the library's latest unfinished run)",
    )
    add_settings(p, _OUTPUTS)
    add_score_size_argument(p)
    add_data_dir_argument(p)
    add_provider_arguments(p)
    add_clip_arguments(p)


def run(args: argparse.Namespace) -> int:
    from ..cke.learner import Learner
    from ..draw.prompt_sets import load_prompt_set
    from ..library.lessons import LibraryError, check_name
    from ..library.runs import RunStore
    from ..runtime import Cancelled, StepError
    from ..storage import StorageError

    score_config = score_config_from_args(args)
    if args.library:
        try:
            check_name(args.library)
        except LibraryError as e:
            raise UserError(str(e)) from None
    db = open_database(args)
    try:
        runs = RunStore(db)
        if args.resume:
            run_id = _resume_target(args, runs)
            config = None
        else:
            if not args.prompts or not args.library:
                raise UserError(
                    "give --prompts FILE|SET and --library NAME (or --resume to go on with a run)"
                )
            try:
                train = load_prompt_set(args.prompts)
                val = load_prompt_set(args.validation) if args.validation else None
                config = LearnConfig.from_options(
                    args,
                    prompts=list(train.prompts),
                    prompt_set=train.name,
                    validation=list(val.prompts) if val else None,
                    validation_set=val.name if val else None,
                    draw=draw_config_from_args(args),
                ).check()
            except ValueError as e:
                raise UserError(str(e)) from None
            if config.keep_best and val is None:
                print(
                    "threedraw learn: no --validation set, so keep-best scores the training prompts",
                    file=sys.stderr,
                )
        pconfig = provider_config(args)
        if config is None:
            pconfig, score_config = _resumed_settings(args, runs, run_id, pconfig, score_config)
        preload_clip(score_config)
        provider = make_provider(pconfig)
        learner = Learner(db, provider, score_config, progress=ProgressPrinter("learn"))
        try:
            run = (
                learner.resume(run_id)
                if config is None
                else learner.start(args.library, config, args.cap, args.allow_concurrent)
            )
        except (LibraryError, StorageError, ValueError) as e:
            raise UserError(str(e)) from None
        hint = f"resume with: threedraw learn --resume {run.id}"
        try:
            result = learner.run(run.id)
        except StepError as e:
            raise UserError(f"run {run.id} stopped: {e}; the finished steps are saved, {hint}") from None
        except (Cancelled, KeyboardInterrupt):
            print(f"threedraw learn: run {run.id} stopped; {hint}", file=sys.stderr)
            raise KeyboardInterrupt from None
        except (LibraryError, StorageError) as e:
            raise UserError(f"run {run.id} stopped: {e}; {hint}") from None
        _summary(result, runs)
        if args.record:
            write_json(args.record, runs.export(run.id))
        return 0
    finally:
        db.close()


def _resume_target(args: argparse.Namespace, runs: Any) -> str:
    from ..library.runs import RESUMABLE

    if args.prompts or args.validation:
        raise UserError("--resume goes on with the run's own prompts; drop --prompts and --validation")
    given = given_options(args)
    # What a run is started with and keeps (its LearnConfig, the cap): not for --resume.
    kept = [*_settings(), *size_settings(), loop_limit_setting()]
    fixed = [s.flag for s in kept if s.dest in given]
    if fixed:
        raise UserError(f"--resume goes on with the run's own settings; drop {', '.join(fixed)}")
    if args.resume != "latest":
        return str(args.resume)
    run = runs.latest(args.library, resumable=True)
    if run is None:
        where = f" of library {args.library}" if args.library else ""
        raise UserError(f"no unfinished run{where} to resume ({', '.join(RESUMABLE)} runs can be resumed)")
    return run.id


# Command-line dests -> the ProviderConfig / ScoreConfig fields a resumed run holds to its record.
_FIELDS = {
    "provider": "kind",
    "base_url": "base_url",
    "model": "model",
    "clip_model": "clip_model",
    "clip_pretrained": "clip_pretrained",
    "clip_checkpoint": "clip_checkpoint",
    "views": "views",
    "score_size": "size",
    "structure_weight": "structure_weight",
    "precision": "precision",
}


def _resumed_settings(
    args: argparse.Namespace, runs: Any, run_id: str, pconfig: Any, score_config: Any
) -> Any:
    """The run's own provider and scoring settings (its record's), the flags checked against them."""
    from ..cke.resume import ResumeConflict, default_local_model, resume_settings
    from ..library.lessons import LibraryError

    try:
        record = runs.get(run_id).config
    except LibraryError as e:
        raise UserError(str(e)) from None
    given = {_FIELDS[d] for d in given_options(args) if d in _FIELDS}
    if pconfig.base_url and "base_url" not in given and (record.get("provider") or {}).get("kind") == "local":
        pconfig = replace(pconfig, base_url=None)  # THREEDRAW_BASE_URL is for API runs; this one drew locally
    try:
        return resume_settings(run_id, record, pconfig, score_config, given, default_local_model())
    except (ResumeConflict, ValueError) as e:
        raise UserError(str(e)) from None


def _summary(result: LearnResult, runs: Any) -> None:
    print(f"run {result.run_id}: library {result.library}, head is version {result.head}")
    print(f"{'epoch':>5} {'version':>7} {'validation':>10} {'lessons':>7}")
    for e in result.epochs:
        score = "-" if e.score is None else f"{e.score:.4f}"
        kept = "  <- kept (head)" if e.epoch == result.best_epoch else ""
        print(f"{e.epoch:>5} {e.version:>7} {score:>10} {e.detail.lessons:>7}{kept}")
    for e in result.epochs:
        if e.detail.head_kept is not None:
            print(f"epoch {e.epoch}: {e.detail.head_kept}")
    note = _empty_head_note(result)
    if note:
        print(note)
    for c in result.cost.epochs:
        p = c.per_object
        cost = "unknown cost" if p.cost_usd is None else f"${p.cost_usd:.4f}"
        extra = Usage(
            cached_prompt_tokens=round(p.cached_prompt_tokens), reasoning_tokens=round(p.reasoning_tokens)
        ).details()
        print(
            f"epoch {c.epoch} per object: {p.calls:.1f} LLM calls ({p.draw_calls:.1f} draw, "
            f"{p.judge_calls:.1f} judge), {p.prompt_tokens:.0f} prompt + {p.completion_tokens:.0f} "
            f"completion tokens{extra}, {cost}"
        )


def _empty_head_note(result: LearnResult) -> str:
    """A head with no lessons draws as if nothing was learned: say so, and why (a tie keeps the earlier epoch)."""
    kept = next((e for e in result.epochs if e.epoch == result.best_epoch), None)
    if kept is None or kept.detail.lessons:
        return ""
    tied = [
        e
        for e in result.epochs
        if e.epoch != kept.epoch
        and e.score is not None
        and kept.score is not None
        and e.score == kept.score
        and e.detail.lessons
    ]
    epochs = f"epoch{'s' if len(tied) > 1 else ''} {', '.join(str(e.epoch) for e in tied)}"
    why = (
        f"{epochs} scored the same on validation ({kept.score:.4f}) and a tie keeps the earlier epoch"
        if tied
        else "no epoch did better on validation"
    )
    later = tied[-1] if tied else max(result.epochs, key=lambda e: e.detail.lessons)
    hint = (
        (
            f"; to draw with epoch {later.epoch}'s {later.detail.lessons} lessons: threedraw library restore "
            f"{result.library} {later.version}"
        )
        if later.detail.lessons
        else ""
    )
    return (
        f"note: the head (epoch {kept.epoch}, version {result.head}) holds no lessons, so --library "
        f"{result.library} draws without experience: {why}{hint}"
    )

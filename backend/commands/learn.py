"""`threedraw learn --prompts FILE|SET --library NAME`: learn lessons by contrastive experience (CKE).

Per prompt and epoch: K candidates at temperature 0.7, scored; the best and the worst go to
the judge, whose operations update the library. After every epoch the library is scored on
the validation prompts (drawn at 0.3) and the best epoch becomes the library's head. Every
step is stored as it finishes: a run stopped any way resumes with ``--resume``.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from typing import Any, TextIO

from ..cli import UserError
from ..llm.factory import add_provider_arguments, provider_from_args
from ..scoring import add_clip_arguments, config_from_args
from .library import add_data_dir_argument, open_database

HELP = "learn an experience library: draw K sketches per prompt, score them, let a judge write lessons"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..cke import PAIRINGS

    p.add_argument("--prompts", metavar="FILE|SET",
                   help="training prompts: a text file (one prompt a line) or a built-in set: modelnet40, fine-grained")
    p.add_argument("--library", metavar="NAME", help="the library to learn into (made when missing)")
    p.add_argument("--validation", metavar="FILE|SET",
                   help="held-out prompts that pick the best epoch (default: the training prompts)")
    p.add_argument("--epochs", type=int, default=3, help="passes over the prompts (default: %(default)s)")
    p.add_argument("-k", type=int, default=5, help="candidates per prompt and epoch (default: %(default)s)")
    p.add_argument("--pairing", choices=PAIRINGS, default="best-worst",
                   help="which two candidates the judge compares (default: %(default)s, the paper's)")
    p.add_argument("--temperature", type=float, default=0.7, help="sampling temperature of the K candidates (0.7)")
    p.add_argument("--draw-temperature", type=float, default=0.3,
                   help="temperature when drawing with the library, for validation (0.3)")
    p.add_argument("--val-k", type=int, default=1, help="candidates per validation prompt; the best counts (1)")
    p.add_argument("--no-keep-best", action="store_true",
                   help="skip validation; the last epoch becomes the head (the paper's plain loop)")
    p.add_argument("--cap", type=int, help="most lessons the library keeps (default: 16 for a new library)")
    p.add_argument("--judge-images", action="store_true",
                   help="also show the judge rendered views of both sketches (the model must accept images)")
    p.add_argument("--seed", type=int, help="sampling seed, for providers that honour one")
    p.add_argument("--max-strokes", type=int, help="most curves to ask for (default: 10 local, 48 API)")
    p.add_argument("--max-tokens", type=int, help="most tokens per drawing reply (default: 1024 local, 4096 API)")
    p.add_argument("--resume", nargs="?", const="latest", metavar="RUN_ID",
                   help="go on with a stopped run (default: the library's latest unfinished run)")
    p.add_argument("--record", metavar="FILE.json", help="also write the whole run record to this JSON file")
    p.add_argument("--score-size", type=int, default=224, help="render size for CLIP scoring, px (default: 224)")
    add_data_dir_argument(p)
    add_provider_arguments(p)
    add_clip_arguments(p)


def run(args: argparse.Namespace) -> int:
    from ..cke import Cancelled, LearnConfig, Learner, StepError, load_prompt_set
    from ..experience import LibraryError, check_name
    from ..runs import RunStore

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
                raise UserError("give --prompts FILE|SET and --library NAME (or --resume to go on with a run)")
            try:
                train = load_prompt_set(args.prompts)
                val = load_prompt_set(args.validation) if args.validation else None
                config = LearnConfig(
                    prompts=list(train.prompts), prompt_set=train.name,
                    validation=list(val.prompts) if val else None, validation_set=val.name if val else None,
                    epochs=args.epochs, k=args.k, temperature=args.temperature,
                    draw_temperature=args.draw_temperature, val_k=args.val_k, pairing=args.pairing,
                    keep_best=not args.no_keep_best, seed=args.seed, max_strokes=args.max_strokes,
                    max_tokens=args.max_tokens, judge_images=args.judge_images,
                ).check()
            except ValueError as e:
                raise UserError(str(e)) from None
            if config.keep_best and val is None:
                print("threedraw learn: no --validation set, so keep-best scores the training prompts",
                      file=sys.stderr)
        preload_clip(score_config)
        provider = provider_from_args(args)
        learner = Learner(db, provider, score_config, progress=ProgressPrinter("learn"))
        try:
            run = learner.resume(run_id) if config is None else learner.start(args.library, config, args.cap)
        except (LibraryError, ValueError) as e:
            raise UserError(str(e)) from None
        hint = f"resume with: threedraw learn --resume {run.id}"
        try:
            result = learner.run(run.id)
        except StepError as e:
            raise UserError(f"run {run.id} stopped: {e}; the finished steps are saved, {hint}") from None
        except (Cancelled, KeyboardInterrupt):
            print(f"threedraw learn: run {run.id} stopped; {hint}", file=sys.stderr)
            raise KeyboardInterrupt from None
        except LibraryError as e:
            raise UserError(f"run {run.id} stopped: {e}; {hint}") from None
        _summary(result, runs)
        if args.record:
            write_json(args.record, runs.export(run.id))
        return 0
    finally:
        db.close()


def _resume_target(args: argparse.Namespace, runs: Any) -> str:
    from ..runs import RESUMABLE

    if args.prompts or args.validation:
        raise UserError("--resume goes on with the run's own prompts; drop --prompts and --validation")
    if args.resume != "latest":
        return str(args.resume)
    run = runs.latest(args.library, resumable=True)
    if run is None:
        where = f" of library {args.library}" if args.library else ""
        raise UserError(f"no unfinished run{where} to resume ({', '.join(RESUMABLE)} runs can be resumed)")
    return run.id


def score_config_from_args(args: argparse.Namespace) -> Any:
    """The CLIP/structure options plus --score-size, as a ScoreConfig (bad values: UserError)."""
    try:
        return replace(config_from_args(args), size=args.score_size)
    except ValueError as e:
        raise UserError(str(e)) from None


def preload_clip(score_config: Any) -> None:
    """Load CLIP before the first LLM call, so a bad model or weights file costs nothing."""
    if not score_config.has_clip:
        return
    from ..clip_score import ClipError, load_clip

    try:
        load_clip(score_config.clip_model, score_config.clip_pretrained, score_config.clip_checkpoint)
    except ClipError as e:
        raise UserError(str(e)) from None


def write_json(path: str, data: Any) -> None:
    import json
    from pathlib import Path

    p = Path(path)
    try:
        tmp = p.with_name(p.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        tmp.replace(p)
    except OSError as e:
        raise UserError(f"{path}: cannot write ({e.strerror or e})") from None


def _summary(result: Any, runs: Any) -> None:
    print(f"run {result.run_id}: library {result.library}, head is version {result.head}")
    print(f"{'epoch':>5} {'version':>7} {'validation':>10} {'lessons':>7}")
    for e in result.epochs:
        score = "-" if e["score"] is None else f"{e['score']:.4f}"
        kept = "  <- kept (head)" if e["epoch"] == result.best_epoch else ""
        print(f"{e['epoch']:>5} {e['version']:>7} {score:>10} {e['detail'].get('lessons', 0):>7}{kept}")
    for e in result.cost["epochs"]:
        p = e["per_object"]
        cost = "unknown cost" if p["cost_usd"] is None else f"${p['cost_usd']:.4f}"
        print(f"epoch {e['epoch']} per object: {p['calls']:.1f} LLM calls ({p['draw_calls']:.1f} draw, "
              f"{p['judge_calls']:.1f} judge), {p['prompt_tokens']:.0f} prompt + {p['completion_tokens']:.0f} "
              f"completion tokens, {cost}")


class ProgressPrinter:
    """Progress to stderr: one redrawn bar on a terminal, plain lines otherwise (logs, CI)."""

    WIDTH = 24

    def __init__(self, command: str, stream: TextIO | None = None):
        self.command = command
        self.stream = stream
        self.started = time.monotonic()
        self._bar_shown = False

    def __call__(self, p: Any) -> None:
        stream = self.stream or sys.stderr
        elapsed = time.monotonic() - self.started
        tty = hasattr(stream, "isatty") and stream.isatty()
        if tty:
            frac = p.done / p.total if p.total else 0.0
            filled = int(frac * self.WIDTH)
            bar = "#" * filled + "." * (self.WIDTH - filled)
            line = f"[{bar}] {p.done}/{p.total} {elapsed:5.0f}s {p.message}"
            cols = 120
            stream.write("\r" + line[:cols].ljust(cols))
            if p.stage in ("epoch", "done", "start"):
                stream.write("\n")
            stream.flush()
        else:
            count = f"[{p.done}/{p.total}] " if p.total else ""
            stream.write(f"threedraw {self.command}: {count}{p.message}\n")
            stream.flush()

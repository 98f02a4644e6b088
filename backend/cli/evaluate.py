"""`threedraw eval --prompts SET --library NAME --out DIR`: the paper's table, a plot and a report.

Draws every prompt with the library (and, with ``--baseline``, without it), scores CLIP-ST
and structure, and writes results.json, table.md/.csv, the score-by-epoch plot of the
library's learning run, contact sheets and report.md/.html into DIR.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cke.evaluation import EVAL_DRAW
from ..cke.report import TILE_SIZE
from . import UserError
from .options import (
    SEED,
    Setting,
    add_clip_arguments,
    add_data_dir_argument,
    add_polish_argument,
    add_provider_arguments,
    add_score_size_argument,
    add_settings,
    add_size_arguments,
    check_polish,
    draw_config_from_args,
    loop_limit_setting,
    open_database,
    preload_clip,
    provider_from_args,
    score_config_from_args,
)
from .output import ProgressPrinter, add_force_argument, check_outputs

HELP = "evaluate a library: CLIP-ST and structure per prompt set, the paper's table, a plot and a report"


# The DrawConfig fields the options set, read back by name (DrawConfig.from_options); EvalConfig's defaults.
_DRAWING = (
    Setting("-k", "k", int, EVAL_DRAW.k, "candidates per prompt; the best by reward counts"),
    Setting(
        "--temperature",
        "temperature",
        float,
        EVAL_DRAW.temperature,
        "drawing temperature (default: %(default)s, the paper's)",
    ),
    SEED,
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--prompts",
        action="append",
        required=True,
        metavar="FILE|SET",
        help="a prompt set: a text file (one prompt a line) or modelnet40 / fine-grained; "
        "repeat for more columns (the paper: --prompts modelnet40 --prompts fine-grained)",
    )
    p.add_argument("--library", metavar="NAME", help="draw with this library's lessons (default: none)")
    p.add_argument("--version", type=int, help="the library version (default: its head)")
    p.add_argument(
        "--baseline", action="store_true", help="also draw without experience, as a row of its own"
    )
    p.add_argument(
        "--run",
        metavar="RUN_ID",
        help="the learning run to plot by epoch (default: the library's latest run; 'none' for no plot)",
    )
    p.add_argument("--out", metavar="DIR", help="output folder (default: ./eval-LIBRARY)")
    add_force_argument(p)
    add_settings(p, _DRAWING)
    add_size_arguments(p)
    add_settings(p, (loop_limit_setting(),))
    add_score_size_argument(p)
    p.add_argument(
        "--sheet-size", type=int, default=TILE_SIZE, help="contact sheet tile size, px (default: %(default)s)"
    )
    add_data_dir_argument(p)
    add_provider_arguments(p)
    add_clip_arguments(p)
    add_polish_argument(p)


def run(args: argparse.Namespace) -> int:
    from ..cke.evaluation import Method, evaluate
    from ..cke.learner import score_config_record
    from ..cke.report import markdown_table, table_rows, write_report
    from ..draw.prompt_sets import load_prompt_set
    from ..library.runs import RunStore
    from ..library.store import LibraryError, LibraryStore
    from ..runtime import StepError
    from ..storage import StorageError

    if not 32 <= args.sheet_size <= 1024:
        raise UserError(f"--sheet-size {args.sheet_size}: expected 32 to 1024")
    if not 0.0 <= args.temperature <= 2.0:
        raise UserError(f"--temperature {args.temperature}: expected 0 to 2")
    score_config = score_config_from_args(args)
    check_polish(args.polish, score_config)  # before the config: its message names the flag
    draw = draw_config_from_args(args)
    try:
        sets = [load_prompt_set(s) for s in args.prompts]
    except ValueError as e:
        raise UserError(str(e)) from None
    names = [s.name for s in sets]
    if len(set(names)) != len(names):
        raise UserError(f"--prompts: the sets {names} repeat a name; give each set once")
    db = open_database(args)
    try:
        store, runs = LibraryStore(db), RunStore(db)
        methods = []
        run_export = None
        try:
            if args.library:
                info = store.info(args.library)
                version = info.head if args.version is None else args.version
                lessons = [x.text for x in store.lessons(args.library, version)]
                methods.append(
                    Method(f"threedraw + {args.library} v{version}", lessons, args.library, version)
                )
                run_export = _run_export(args, runs)
            elif args.version is not None:
                raise UserError("--version needs --library")
            if args.baseline or not args.library:
                methods.insert(0, Method("threedraw, no experience", []))
        except (LibraryError, StorageError) as e:
            raise UserError(str(e)) from None
        for m in methods if args.polish else ():  # the table says which rows were polished
            m.label += f", polish {args.polish}"
        out = Path(args.out or f"eval-{args.library or 'baseline'}")
        # A finished report is replaced only with --force, and the folder is proven writable before any drawing.
        check_outputs([("--out", out / "report.md")], inputs=args.prompts, force=args.force)
        preload_clip(score_config)
        provider = provider_from_args(args)
        try:
            evaluate(
                provider,
                score_config,
                sets,
                methods,
                draw=draw,
                progress=ProgressPrinter("eval"),
            )
        except StepError as e:
            raise UserError(str(e)) from None
        except ValueError as e:
            raise UserError(str(e)) from None
        try:
            paths = write_report(
                out,
                methods,
                sets,
                run=run_export,
                score=score_config_record(score_config),
                sheet_size=args.sheet_size,
            )
        except OSError as e:
            raise UserError(f"{out}: cannot write the report ({e.strerror or e})") from None
    finally:
        db.close()
    sys.stdout.write(markdown_table(table_rows(methods, sets)))
    if not score_config.has_clip:
        print("(no CLIP weights: CLIP-ST is not measured; give --clip-pretrained or --clip-checkpoint)")
    print(
        f"wrote {paths['report_html'].name}, {paths['report_md'].name}, table.md, results.json"
        f"{', epochs.png' if 'plot' in paths else ''} and contact sheets to {out}"
    )
    return 0


def _run_export(args: argparse.Namespace, runs) -> dict | None:
    if args.run and args.run.lower() == "none":
        return None
    if args.run:
        run = runs.get(args.run)
        if run.library != args.library:
            raise UserError(f"run {run.id} learned library {run.library}, not {args.library}")
    else:
        run = runs.latest(args.library)
        if run is None:
            return None
    return runs.export(run.id)

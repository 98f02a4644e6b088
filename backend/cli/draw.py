"""`threedraw draw "a wooden chair" --out out/chair.blend`: the main job.

A text prompt becomes native Blender Bezier curves: the drawing pipeline draws K
candidates and ranks them (by CLIP when weights are configured, else by the structure
score), the best one's canonical JSON is written next to the .blend, and Blender builds
the curves, saves the .blend and renders a preview. Blender starts in a child process
before the LLM is asked, so its start-up hides behind the LLM's latency.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from ..blender.protocol import MAX_PREVIEW_SIZE, MIN_PREVIEW_SIZE, PREVIEW_SIZE
from ..draw.agent import DRAW_TEMPERATURE, SAMPLE_TEMPERATURE
from ..draw.pipeline import REPAIR_WHAT, DrawConfig
from ..llm.base import ChatRequest, Message
from ..shared.files import FileReadError, read_text
from . import UserError
from .options import (
    Setting,
    add_clip_arguments,
    add_data_dir_argument,
    add_polish_argument,
    add_provider_arguments,
    add_settings,
    add_size_arguments,
    check_image_size,
    check_polish,
    config_from_args,
    draw_config_from_args,
    loop_limit_setting,
    make_provider,
    open_database,
    printing_polisher,
    provider_config,
)
from .output import LiveDrawPrinter, add_force_argument, check_outputs, log_to_stderr, say_written, write_json

HELP = "draw a 3D sketch from a text prompt with an LLM and save it as Blender curves"

MAX_LESSONS_FILE_BYTES = 256 * 1024
_NUMBERING = re.compile(r"^\s*(?:[-*]|\[?G?\d+[.):\]]?)\s+")


# The DrawConfig fields the options set, read back by name (DrawConfig.from_options).
_CANDIDATES = (
    Setting(
        "-k",
        "k",
        int,
        DrawConfig.k,
        f"candidates to draw; the best one is kept (default {DrawConfig.k})",
        "N",
    ),
    Setting(
        "--temperature",
        "temperature",
        float,
        DrawConfig.temperature,
        f"sampling temperature (default {SAMPLE_TEMPERATURE} when k > 1, as the paper samples; "
        f"else {DRAW_TEMPERATURE})",
        "T",
    ),
)
_SEED = Setting("--seed", "seed", int, DrawConfig.seed, "sampling seed (candidate i uses seed + i)", "N")
_NO_REPAIR = Setting(
    "--no-repair",
    "repair",
    None,
    DrawConfig.repair,
    "keep the drawing as the LLM wrote it; by default it is repaired " + REPAIR_WHAT,
    action="store_false",
    name="repair",
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("prompt", help='what to draw, e.g. "a wooden chair"')
    p.add_argument(
        "--out",
        required=True,
        metavar="FILE.blend",
        help="the .blend to write (the sketch JSON goes next to it)",
    )
    p.add_argument("--preview", metavar="FILE.png", help="also render a PNG preview with Blender")
    p.add_argument(
        "--size",
        type=int,
        default=PREVIEW_SIZE,
        metavar="PX",
        help=f"preview size in pixels ({MIN_PREVIEW_SIZE}..{MAX_PREVIEW_SIZE}, default {PREVIEW_SIZE})",
    )
    add_settings(p, _CANDIDATES)
    lessons = p.add_mutually_exclusive_group()
    lessons.add_argument("--lessons", metavar="FILE", help="experience: a text file of lessons, one per line")
    lessons.add_argument(
        "--library", metavar="NAME", help="experience: the lessons of a library `threedraw learn` made"
    )
    add_data_dir_argument(p)
    p.add_argument("--from", dest="current", metavar="SKETCH.json", help="refine an existing sketch")
    add_size_arguments(p)
    add_settings(p, (_SEED,))
    p.add_argument(
        "--report", metavar="FILE.json", help="write a JSON report: candidates, raw replies, usage, timings"
    )
    add_settings(p, (_NO_REPAIR, loop_limit_setting()))
    add_force_argument(p)
    add_provider_arguments(p)
    # Ranking k > 1 candidates: CLIP when weights are configured, else the structure score.
    add_clip_arguments(p)
    add_polish_argument(p)


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    log_to_stderr("threedraw draw: ")
    check_image_size(args.size)
    out, preview, json_path = _paths(args)
    lessons = read_lessons(args.lessons) if args.lessons else library_lessons(args) if args.library else []
    current = _load_sketch(args.current) if args.current else None
    from ..blender.client import BlenderError, BlenderProcess
    from ..draw import agent
    from ..draw.pipeline import draw_round

    options = provider_config(args)
    kind = options.resolved_kind
    score_config = config_from_args(args)
    check_polish(args.polish, score_config)
    draw = draw_config_from_args(args)
    max_strokes, max_tokens = draw.sizes(kind)

    # Every option is checked before Blender starts or a token is spent.
    try:
        agent.check_inputs(args.prompt, lessons, args.k, max_strokes)
        ChatRequest((Message("user", "check"),), temperature=draw.sampling_temperature, max_tokens=max_tokens)
    except ValueError as e:
        raise UserError(str(e)) from None
    provider = make_provider(options)
    # Ranking k > 1 candidates, or polishing, with CLIP needs torch and the model: load them while
    # the LLM works.
    clip_ready = (
        _Background(lambda: _load_clip(score_config))
        if (args.k > 1 or draw.polish) and score_config.has_clip
        else None
    )
    try:
        blender = BlenderProcess()  # starts loading bpy now, in parallel with the LLM
    except BlenderError as e:
        raise UserError(str(e)) from None
    report: dict[str, Any] = {"prompt": args.prompt, "provider": kind, "model": provider.model}
    try:
        print(f"drawing {args.prompt!r} with {kind} model {provider.model} (k={args.k})...", file=sys.stderr)
        llm_start = time.monotonic()
        live = LiveDrawPrinter("draw", draw.k)
        try:
            rnd = draw_round(
                provider,
                args.prompt,
                lessons,
                score_config,
                draw,
                current=current,
                scorer=_scorer(clip_ready) if args.k > 1 else None,
                require_reply=False,
                on_stroke=live.on_stroke,
                on_text=live.on_text,
                polisher=printing_polisher("draw"),
            )
        except ValueError as e:
            raise UserError(str(e)) from None
        live.done()
        llm_s = time.monotonic() - llm_start
        report["candidates"] = [c.to_dict() for c in rnd.candidates]
        for c in rnd.candidates:
            _say_candidate(c, args.k)
        ranked = rnd.ranked()
        if not ranked:
            _write_report(args.report, report)
            raise UserError(f"no usable sketch from the {kind} model: {rnd.failure_reasons()}")
        chosen = ranked[0]
        why = _why(chosen, len(ranked))
        sketch = chosen.sketch
        assert sketch is not None
        if draw.repair:
            print(f"repaired: {chosen.repair_summary}", file=sys.stderr)
        if chosen.polish is not None:
            _say_polished(chosen)
        try:
            sketch.save(json_path)
        except OSError as e:
            where = _rescue(args, sketch, rnd)
            raise UserError(
                f"cannot write {json_path} ({e.strerror or e}); the sketch and the reply are saved in {where}"
            ) from None
        blender_start = time.monotonic()
        try:
            info = blender.write(sketch, out, preview, args.size)
        except BlenderError as e:
            raise UserError(f"{e} (the sketch is saved in {json_path})") from None
        blender_s = time.monotonic() - blender_start
    except BaseException:
        blender.close(kill=True)  # Ctrl-C or an error: don't wait for Blender to finish starting
        raise
    blender.close()
    usage = rnd.usage
    total_s = time.monotonic() - started
    report.update(
        chosen=chosen.index,
        repairs=[c.to_dict() for c in chosen.repairs],
        **(
            {"polish": chosen.polish, "score": chosen.score.to_dict()}
            if chosen.polish and chosen.score
            else {}
        ),
        chosen_because=why,
        usage=usage.to_dict(),
        timings={
            "llm_s": round(llm_s, 3),
            "blender_write_s": round(blender_s, 3),
            "total_s": round(total_s, 3),
        },
    )
    try:
        _write_report(args.report, report)
    except UserError as e:
        raise UserError(
            f"{e}; the report, the sketch and the replies are saved in {_rescue(args, sketch, rnd, report)}"
        ) from None
    cost = "unknown cost" if usage.cost_usd is None else f"${usage.cost_usd:.4f}"
    if args.k > 1:
        print(f"kept candidate {chosen.index + 1} of {args.k}: {why}", file=sys.stderr)
    saved = say_written([out, json_path, preview, args.report])
    dup = _duplicates_note(chosen)
    print(
        f"wrote {saved}: {info.get('strokes', len(sketch))} curves{dup}; "
        f"{usage.describe()}, {cost}; "
        f"LLM {llm_s:.1f} s, total {total_s:.1f} s",
        file=sys.stderr,
    )
    return 0


# -- helpers -----------------------------------------------------------------
def _paths(args: argparse.Namespace) -> tuple[Path, Path | None, Path]:
    out = Path(args.out)
    if out.suffix.lower() != ".blend":
        raise UserError(f"--out {args.out}: expected a .blend file name")
    preview = Path(args.preview) if args.preview else None
    if preview is not None and preview.suffix.lower() != ".png":
        raise UserError(f"--preview {args.preview}: expected a .png file name")
    json_path = out.with_suffix(".json")
    # Every output is checked before Blender starts or the LLM is paid; --from is never overwritten.
    check_outputs(
        [
            ("--out", out),
            ("the sketch JSON", json_path),
            ("--preview", preview),
            ("--report", Path(args.report) if args.report else None),
        ],
        inputs=[args.current, args.lessons],
        force=args.force,
    )
    return out, preview, json_path


def library_lessons(args: argparse.Namespace) -> list[str]:
    """The head version of a learned library: its best epoch, when learn kept the best."""
    from ..library.store import LibraryError, LibraryStore
    from ..storage import StorageError

    try:
        store = LibraryStore(open_database(args))
        if not store.exists(args.library):
            names = ", ".join(i.name for i in store.list()) or "none yet; make one with threedraw learn"
            raise UserError(f"--library {args.library!r}: no such library (libraries: {names})")
        info = store.info(args.library)
        lessons = [x.text for x in store.lessons(args.library)]
    except (LibraryError, StorageError) as e:
        raise UserError(f"--library {args.library}: {e}") from None
    note = "" if lessons else " (an empty library: drawing without experience)"
    count = f"{len(lessons)} lesson{'' if len(lessons) == 1 else 's'}"
    print(
        f"using {count} from library {args.library!r} (version {info.head}, its head){note}", file=sys.stderr
    )
    return lessons


def read_lessons(path: str) -> list[str]:
    """Lessons from a text file: one per line; blank lines and '#' comments skipped, numbering removed."""
    try:
        text = read_text(path, MAX_LESSONS_FILE_BYTES)
    except FileReadError as e:
        raise UserError(f"--lessons {e}") from None
    lessons = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            lessons.append(_NUMBERING.sub("", line, count=1).strip())
    return [x for x in lessons if x]


def _load_sketch(path: str) -> Any:
    from ..shared.sketch import Sketch, SketchError

    try:
        return Sketch.load(path)
    except SketchError as e:
        raise UserError(f"--from: {e}") from None


def _say_candidate(c: Any, k: int) -> None:
    name = f"candidate {c.index + 1}/{k}"
    if c.ok:
        note = " (after a repair request)" if c.repaired else ""
        dropped = f"; {len(c.problems)} parser notes, first: {c.problems[0]}" if c.problems else ""
        print(f"  {name}: {len(c.sketch)} curves{note}{dropped}", file=sys.stderr)
    else:
        print(f"  {name} failed: {c.error}", file=sys.stderr)


def _scorer(clip_ready: _Background | None) -> Any:
    """Score the candidates once CLIP has loaded; a scoring failure is one line saying so."""
    from ..scoring.reward import score_sketches

    def score(sketches: list[Any], prompt: str, config: Any) -> Any:
        try:
            if clip_ready is not None:
                clip_ready.result()
            return score_sketches(sketches, prompt, config)
        except (ValueError, RuntimeError, OSError, ImportError) as e:
            # ClipError/ClipUnavailable derive from these: a bad checkpoint, a missing config.
            raise UserError(f"cannot rank the candidates: {e}") from None

    return score


def _why(chosen: Any, usable: int) -> str:
    if usable == 1:
        return "the only usable candidate"
    s = chosen.score
    if s.clip_mean is not None:
        return f"best CLIP score {s.clip_mean:.4f} (reward {s.reward:.4f})"
    return f"best structure score {s.structure.total:.4f} (no CLIP weights configured)"


def _load_clip(config: Any) -> None:
    from ..scoring.clip import load_clip  # imports torch

    load_clip(config.clip_model, config.clip_pretrained, config.clip_checkpoint)


class _Background:
    """Run a function in a thread now; ``result()`` waits for it (re-raising its error)."""

    def __init__(self, fn: Any):
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self._thread.start()

    def _run(self, fn: Any) -> None:
        try:
            self._value = fn()
        except BaseException as e:  # handed to the caller of result()
            self._error = e

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def _write_report(path: str | None, report: dict[str, Any]) -> None:
    if path:
        write_json(path, report, "--report")


def _say_polished(chosen: Any) -> None:
    p = chosen.polish
    print(
        f"\npolished {p['steps_done']} steps: CLIP reward {p['reward_before']:.4f} -> {p['reward_after']:.4f} "
        f"on the evaluation views, largest move {p['largest_move']:.4g} (trust radius {p['trust_radius']:.4g})",
        file=sys.stderr,
    )


def _duplicates_note(chosen: Any) -> str:
    """Small models repeat one curve many times: say how many repeats repair dropped, or kept."""
    n = sum(r.kind == "duplicate" for r in chosen.repairs)
    if n:
        return f" ({n} duplicate strokes the model drew were dropped)"
    from ..scoring.structure import duplicate_strokes

    kept = len(duplicate_strokes(chosen.sketch))
    return f" ({kept} duplicate strokes kept: --no-repair)" if kept else ""


def _rescue(args: argparse.Namespace, sketch: Any, rnd: Any, report: dict[str, Any] | None = None) -> Path:
    """The sketch and the raw replies, saved where they can be: the data folder, else the temp folder.
    Called when an output could not be written after the LLM was paid."""
    from ..cke.report import slug
    from ..shared.files import write_text_atomic
    from ..storage import default_data_dir

    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{slug(args.prompt)}"
    replies = "\n\n".join(r for c in rnd.candidates for r in c.responses)
    last: OSError | None = None
    for base in (Path(args.data_dir) if args.data_dir else default_data_dir(), Path(tempfile.gettempdir())):
        folder = base / "rescued" / name
        try:
            folder.mkdir(parents=True, exist_ok=True)
            sketch.save(folder / "sketch.json")
            write_text_atomic(folder / "replies.txt", replies)
            if report is not None:
                write_text_atomic(folder / "report.json", json.dumps(report, indent=1))
            return folder
        except OSError as e:
            last = e
    raise UserError(f"cannot save the sketch anywhere ({last}); the reply was:\n{replies}") from None

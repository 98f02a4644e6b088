"""Options several commands share: the LLM provider, CLIP scoring, the data folder.

The defaults shown in ``--help`` are read from the config dataclasses that own them
(``ProviderConfig``, ``KIND_DEFAULTS``, ``ScoreConfig``), so help and behaviour cannot drift apart.
Bad values become a ``UserError`` (one line, exit status 2).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ..llm.base import MAX_TIMEOUT_S, REASONING_EFFORTS, ProviderError
from ..llm.factory import KIND_DEFAULTS, KINDS, ProviderConfig, provider_from_config
from ..rendering.camera import DEFAULT_VIEWS, MAX_SIZE, MAX_VIEWS, MIN_SIZE
from ..scoring.reward import PRECISIONS, ScoreConfig
from ..storage import DATA_DIR_ENV, Database, StorageError
from . import UserError


def kind_defaults_help(field: str) -> str:
    """ "8 local, 48 API": a KIND_DEFAULTS field per provider kind, as help text shows it."""
    return ", ".join(
        f"{getattr(d, field)} {'local' if kind == 'local' else 'API'}" for kind, d in KIND_DEFAULTS.items()
    )


# -- the LLM provider ------------------------------------------------------------
def add_provider_arguments(parser: argparse.ArgumentParser) -> None:
    """--provider, --base-url, --model (also from THREEDRAW_PROVIDER/_BASE_URL/_MODEL), --timeout, ..."""
    d = ProviderConfig()
    g = parser.add_argument_group("LLM provider")
    g.add_argument(
        "--provider",
        choices=KINDS,
        default=_env("PROVIDER"),
        help="local: the embedded model, no key, no network; openai-compatible: any chat-completions "
        "API (default: openai-compatible when --base-url is given, else local)",
    )
    g.add_argument(
        "--base-url",
        default=_env("BASE_URL"),
        metavar="URL",
        help="API base URL as OpenAI clients take it, e.g. https://api.deepseek.com/v1 or "
        "http://127.0.0.1:11434/v1; the key is read from THREEDRAW_API_KEY",
    )
    g.add_argument(
        "--model",
        default=_env("MODEL"),
        metavar="NAME",
        help="API model name (e.g. deepseek-chat); for --provider local, a .gguf path "
        "(default: the shipped SmolLM2)",
    )
    add_settings(g, _provider_bounds(d))
    g.add_argument(
        "--prices", metavar="FILE", help='JSON price table {"model": {"input": $, "output": $}} per 1M tokens'
    )
    g.add_argument(
        "--json-schema",
        action="store_true",
        help="ask for schema-constrained JSON (response_format json_schema; falls back to json_object "
        "with the schema, then to the JSON prompt alone, where the server has less)",
    )
    g.add_argument(
        "--reasoning-effort",
        choices=REASONING_EFFORTS,
        default=_env("REASONING_EFFORT"),
        help="how long a reasoning model (gpt-5, o-series, ...) thinks before it answers; sent as "
        "reasoning_effort (default: the model's own)",
    )


def _provider_bounds(d: ProviderConfig) -> tuple[Setting, ...]:
    """How long and how often the provider waits and retries (ProviderConfig's fields, read by name)."""
    return (
        Setting("--timeout", "timeout", float, d.timeout, "seconds to wait for one reply (%(default)g)", "S"),
        Setting(
            "--idle-timeout",
            "idle_timeout",
            float,
            d.idle_timeout,
            "seconds a streamed reply may send nothing before it counts as a timeout and is retried "
            "(%(default)g)",
            "S",
        ),
        Setting("--retries", "retries", int, d.retries, "retries on 429/5xx/timeouts (%(default)s)", "N"),
        Setting(
            "--concurrency",
            "concurrency",
            int,
            d.concurrency,
            "API requests in flight at once (%(default)s)",
            "N",
        ),
    )


def _env(name: str) -> str | None:
    """THREEDRAW_<name> as a flag's default (unset or empty: none)."""
    return os.environ.get(f"THREEDRAW_{name}") or None


# ProviderConfig fields whose flag has another name (every other flag is --FIELD-NAME), and
# fields with no flag (a run record sets them).
_PROVIDER_FLAGS = {"kind": "provider"}
_NOT_FLAGS = {"adaptations"}


def provider_config(args: argparse.Namespace) -> ProviderConfig:
    """The provider options as plain values, read by field name (a new ProviderConfig field needs
    only its flag); a bad timeout is a UserError naming its option."""
    config = ProviderConfig(
        **{
            f.name: getattr(args, _PROVIDER_FLAGS.get(f.name, f.name))
            for f in fields(ProviderConfig)
            if f.name not in _NOT_FLAGS
        }
    )
    _seconds(config.timeout, "--timeout")
    _seconds(config.idle_timeout, "--idle-timeout")
    return config


def _seconds(value: float, option: str) -> float:
    if not 0 < value <= MAX_TIMEOUT_S:  # NaN fails the comparison too
        raise UserError(f"{option} {value:g}: expected seconds, more than 0 and at most {MAX_TIMEOUT_S}")
    return value


def make_provider(config: ProviderConfig) -> Any:
    """The provider a config names; bad options raise UserError (one clear line)."""
    try:
        return provider_from_config(config)
    except (ProviderError, ValueError) as e:
        raise UserError(str(e)) from None


def provider_from_args(args: argparse.Namespace) -> Any:
    return make_provider(provider_config(args))


def size_settings(reply: str = "reply") -> tuple[Setting, ...]:
    """--max-strokes and --max-tokens (DrawConfig's), whose defaults depend on the kind of provider."""
    return (
        Setting(
            "--max-strokes",
            "max_strokes",
            int,
            None,
            f"most curves to ask for (default: {kind_defaults_help('max_strokes')})",
            "N",
        ),
        Setting(
            "--max-tokens",
            "max_tokens",
            int,
            None,
            f"most tokens per {reply} (default: {kind_defaults_help('max_tokens')})",
            "N",
        ),
    )


def add_size_arguments(parser: argparse.ArgumentParser, reply: str = "reply") -> None:
    add_settings(parser, size_settings(reply))


# -- pictures and sketch files ----------------------------------------------------
def check_image_size(size: int, option: str = "--size") -> None:
    """Every picture a command makes has the renderer's size range (render, draw, blend, serve)."""
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise UserError(f"{option} {size} is outside {MIN_SIZE}..{MAX_SIZE}")


def load_sketch(path: str, doing: str) -> Any:
    """A sketch file for a command to work on (``doing``: "render"); an empty one is refused, since
    a blank picture or a zero score would look like a result."""
    from ..shared.sketch import Sketch, SketchError

    try:
        sketch = Sketch.load(path)
    except SketchError as e:
        raise UserError(str(e)) from None
    if not sketch.strokes:
        raise UserError(f"{path}: the sketch has no strokes, nothing to {doing}")
    return sketch


def sketch_prompt(sketch: Any, given: str | None) -> str:
    """The prompt to score or polish against: --prompt, else the sketch's own (checked)."""
    from ..shared.sketch import MAX_PROMPT_CHARS

    prompt = sketch.prompt if given is None else given
    if not prompt.strip():
        raise UserError("no prompt: give --prompt TEXT (the sketch has none)")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise UserError(f"--prompt: {len(prompt)} characters, at most {MAX_PROMPT_CHARS} allowed")
    return prompt


# -- CLIP and structure scoring ---------------------------------------------------
def _clip_settings() -> tuple[tuple[Setting, ...], tuple[Setting, ...], tuple[Setting, ...]]:
    """ScoreConfig's fields the scoring options set: the model, its weights (one or the other), the rest."""
    model = Setting(
        "--clip-model",
        "clip_model",
        None,
        ScoreConfig.clip_model,
        "open_clip model name, or path to an open_clip model-config JSON (default: %(default)s)",
        "NAME_OR_CONFIG",
    )
    weights = (
        Setting(
            "--clip-pretrained",
            "clip_pretrained",
            None,
            None,
            "open_clip pretrained tag, e.g. openai (downloaded once; needs the internet)",
            "TAG",
        ),
        Setting("--clip-checkpoint", "clip_checkpoint", None, None, "local open_clip weights file", "PATH"),
    )
    scoring = (
        Setting("--views", "views", int, DEFAULT_VIEWS, f"views rendered per sketch, 1-{MAX_VIEWS}", "N"),
        Setting(
            "--structure-weight",
            "structure_weight",
            float,
            ScoreConfig.structure_weight,
            "reward = CLIP + LAMBDA x structure (default: %(default)s, the paper's reward)",
            "LAMBDA",
        ),
        Setting(
            "--precision",
            "precision",
            None,
            ScoreConfig.precision,
            "CLIP image encoding: fp32, bf16, or auto: bfloat16/float16 where the hardware does it "
            "natively (a GPU, a CPU with AMX or AVX-512 BF16), else fp32 (default: %(default)s)",
            choices=PRECISIONS,
        ),
    )
    return (model,), weights, scoring


def add_clip_arguments(parser: argparse.ArgumentParser) -> None:
    """The scoring options shared by score, draw, learn, eval and serve."""
    group = parser.add_argument_group("scoring (CLIP and structure)")
    model, weights, scoring = _clip_settings()
    add_settings(group, model)
    add_settings(group.add_mutually_exclusive_group(), weights)
    add_settings(group, scoring)


def add_polish_argument(parser: argparse.ArgumentParser) -> None:
    """--polish STEPS (draw, eval): CLIP-guided polish of the delivered sketch, after the repair."""
    from ..draw.pipeline import POLISH_HELP, DrawConfig

    parser.add_argument(
        "--polish", type=int, default=DrawConfig.polish, metavar="STEPS", help=f"{POLISH_HELP} (default: 0)"
    )


def check_polish(steps: int, score_config: ScoreConfig) -> None:
    """Refuse --polish, before anything is drawn, when it is out of range or there is no CLIP to polish with."""
    from ..draw.pipeline import POLISH_MAX_STEPS

    if not 0 <= steps <= POLISH_MAX_STEPS:
        raise UserError(f"--polish {steps}: expected 0 to {POLISH_MAX_STEPS} steps")
    if steps and not score_config.has_clip:
        from ..scoring.clip import HOW_TO

        raise UserError(f"--polish needs CLIP weights (it optimises the CLIP reward): {HOW_TO}")


def polish_progress(doing: str) -> Any:
    """A polish on_step callback printing each step on the terminal (``threedraw DOING: step 3/30 ...``)."""
    from ..runtime import Progress
    from .output import ProgressPrinter

    printer = ProgressPrinter(doing)

    def on_step(step: int, steps: int, reward: float, best: float) -> None:
        printer(Progress(doing, f"step {step}/{steps} reward {reward:.4f} best {best:.4f}", step, steps))

    return on_step


def printing_polisher(doing: str) -> Any:
    """A draw.pipeline.Polisher that prints each step (``polish_progress``)."""
    from ..draw.pipeline import polish_sketch
    from ..scoring.errors import ClipError

    on_step = polish_progress(doing)

    def polisher(sketch: Any, prompt: str, config: ScoreConfig, steps: int) -> Any:
        try:
            return polish_sketch(sketch, prompt, config, steps, on_step)
        except ClipError as e:  # a CLIP that loaded for nothing else: a bad weights file, a missing layer
            raise UserError(f"cannot polish: {e}") from None

    return polisher


def add_score_size_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--score-size",
        type=int,
        default=ScoreConfig.size,
        help="render size for CLIP scoring, px (default: %(default)s)",
    )


def config_from_args(args: argparse.Namespace) -> ScoreConfig:
    """A ScoreConfig from the options add_clip_arguments added; bad values are a UserError."""
    ckpt = args.clip_checkpoint
    if ckpt and not Path(ckpt).expanduser().is_file():  # said now, before torch takes seconds to load
        raise UserError(
            f"--clip-checkpoint {ckpt}: no such file (a local open_clip weights file: "
            ".pt, .bin or .safetensors)"
        )
    try:
        return ScoreConfig(**settings_from_args(args, sum(_clip_settings(), ())))
    except ValueError as e:
        raise UserError(str(e)) from None


def score_config_from_args(args: argparse.Namespace) -> ScoreConfig:
    """The CLIP/structure options plus --score-size, as a ScoreConfig (bad values: UserError)."""
    try:
        return replace(config_from_args(args), size=args.score_size)
    except ValueError as e:
        raise UserError(str(e)) from None


def preload_clip(score_config: ScoreConfig) -> None:
    """Load CLIP before the first LLM call, so a bad model or weights file costs nothing."""
    if not score_config.has_clip:
        return
    from ..scoring.clip import ClipError, load_clip

    try:
        load_clip(score_config.clip_model, score_config.clip_pretrained, score_config.clip_checkpoint)
    except ClipError as e:
        raise UserError(str(e)) from None


# -- the data folder --------------------------------------------------------------
def add_data_dir_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        help=f"where libraries and run records live (default: ${DATA_DIR_ENV}, else the user's data "
        "folder, e.g. ~/.local/share/threedraw)",
    )


def open_database(args: argparse.Namespace) -> Database:
    try:
        return Database.open(args.data_dir)
    except StorageError as e:
        raise UserError(str(e)) from None


def given_options(args: argparse.Namespace) -> set[str]:
    """The options (dests) the user typed on the command line, whatever their value: a default
    and the same value given explicitly differ here (``threedraw learn --resume`` needs that)."""
    parser, argv = getattr(args, "_parser", None), getattr(args, "_argv", None)
    if parser is None or argv is None:
        return set()
    unset = object()
    # argparse fills in a default only where the namespace has no value yet.
    ns = argparse.Namespace(**{a.dest: unset for a in parser._actions if a.dest != argparse.SUPPRESS})
    parsed, _ = parser.parse_known_args(argv, ns)
    return {k for k, v in vars(parsed).items() if v is not unset and not k.startswith("_")}


# -- options that set a config's fields ----------------------------------------
@dataclass(frozen=True)
class Setting:
    """A command-line option that sets one field of a config object: a row of a command's table,
    from which both its ``add_argument`` call and the config's keyword arguments are made."""

    flag: str  # "--trust-radius"; its dest (trust_radius) is argparse's, from the flag
    field: str  # the config's field it sets (or, for a command's other options, what it is read as)
    type: Callable[[str], Any] | None
    default: Any
    help: str  # "(default: %(default)s)" is appended unless it speaks of its default itself or has none
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    action: str | None = None  # "store_true" / "store_false": a switch, whose default goes unsaid
    name: str | None = None  # its dest where not the flag's (a config read by name needs the field's)

    @property
    def dest(self) -> str:
        return self.name or self.flag.lstrip("-").replace("-", "_")


def add_settings(parser: Any, settings: tuple[Setting, ...]) -> None:
    """Each row's option, on ``parser``: an argparse parser, argument group or mutually exclusive group."""
    for s in settings:
        said = s.action or s.default is None or "default" in s.help  # a switch or no default: unsaid
        help = s.help if said else f"{s.help} (default: %(default)s)"
        given = {"type": s.type, "metavar": s.metavar, "choices": s.choices, "action": s.action}
        parser.add_argument(
            s.flag,
            default=s.default,
            help=help,
            **({"dest": s.name} if s.name else {}),
            **{k: v for k, v in given.items() if v is not None},
        )


def settings_from_args(args: argparse.Namespace, settings: tuple[Setting, ...]) -> dict[str, Any]:
    """The config's keyword arguments the options of ``settings`` give."""
    return {s.field: getattr(args, s.dest) for s in settings}


def draw_config_from_args(args: argparse.Namespace) -> Any:
    """The drawing options (read by name) as a DrawConfig, its loop limit checked; bad values: UserError."""
    from ..draw.loops import check_loop_limit
    from ..draw.pipeline import DrawConfig

    try:
        draw = DrawConfig.from_options(args)
        check_loop_limit(draw.loop_limit)
    except ValueError as e:
        raise UserError(str(e)) from None
    return draw


# --seed of learn and eval (draw's says how its candidates use it).
SEED = Setting("--seed", "seed", int, None, "sampling seed, for providers that honour one")


def loop_limit_setting() -> Setting:
    """--loop-limit N (draw, learn, eval, serve): DrawConfig.loop_limit, the streamed-reply loop cut-off."""
    from ..draw.pipeline import DrawConfig

    return Setting(
        "--loop-limit",
        "loop_limit",
        int,
        DrawConfig.loop_limit,
        "stop a streamed reply once N strokes in a row added nothing new, keeping the strokes so "
        f"far (default: {DrawConfig.loop_limit}; 0: never stop)",
        metavar="N",
    )

"""``threedraw serve``'s options: flags, else the environment, else a config file, else the defaults.

Every option of ``threedraw serve`` can be given three ways; the first that is set wins:

1. the flag itself, ``--clip-checkpoint PATH``;
2. the environment, ``THREEDRAW_CLIP_CHECKPOINT=PATH`` (the flag's name, upper case);
3. the config file (``--config``, ``THREEDRAW_CONFIG``, else ``config.toml`` in the user's
   config dir), a flat TOML table: ``clip_checkpoint = "PATH"``.

The provider and CLIP options are the very ones ``draw``, ``score`` and ``learn`` take
(``threedraw.cli.options``). The defaults are ``ServerSettings``'s own.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tomllib
from pathlib import Path
from typing import Any

from ..draw.loops import check_loop_limit
from ..rendering.camera import MAX_SIZE, MAX_VIEWS, MIN_SIZE
from ..scoring.reward import ScoreConfig
from ..server.settings import Limits, ServerSettings, default_config_file, is_loopback
from ..shared.files import FileReadError, read_document
from ..storage import default_data_dir
from . import UserError
from .options import (
    Setting,
    add_clip_arguments,
    add_provider_arguments,
    add_settings,
    config_from_args,
    loop_limit_setting,
    provider_config,
)
from .options import settings_from_args as table_values

ENV_PREFIX = "THREEDRAW_"
CONFIG_ENV = "THREEDRAW_CONFIG"
MAX_CONFIG_BYTES = 64 * 1024
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


# -- the command line ----------------------------------------------------------
class _Unset:
    """A flag's default, wrapped so ``resolve`` can tell "not given" from "given as the default"."""

    def __init__(self, value: Any):
        self.value = value

    def __str__(self) -> str:  # what --help shows as the default
        return str(self.value)

    def __float__(self) -> float:  # for help that shows a number as "%(default)g"
        return float(self.value)


def _defaults() -> dict[str, Any]:
    return {f.name: f.default for f in dataclasses.fields(ServerSettings)}


def _listening() -> tuple[Setting, ...]:
    """ServerSettings fields of where it listens (the rest of the table: ``_capacity``)."""
    d = _defaults()
    return (
        Setting("--host", "host", None, d["host"], "address to listen on"),
        Setting("--port", "port", int, d["port"], "port to listen on; 0 picks a free one"),
        Setting(
            "--allow-remote",
            "allow_remote",
            None,
            d["allow_remote"],
            "allow listening on a non-loopback address (anyone who can reach it and has the token "
            "can run jobs)",
            action="store_true",
        ),
    )


def _capacity() -> tuple[Setting, ...]:
    """ServerSettings fields that bound its work and its connections."""
    d = _defaults()
    return (
        Setting(
            "--max-queued",
            "max_queued",
            int,
            d["max_queued"],
            "jobs waiting to start before new ones get 429",
            "N",
        ),
        Setting(
            "--llm-jobs",
            "llm_jobs",
            int,
            d["llm_jobs"],
            "LLM-bound jobs (draw, refine, learn) running at once",
            "N",
        ),
        Setting("--keep-jobs", "keep_jobs", int, d["keep_jobs"], "finished jobs kept in the data dir", "N"),
        Setting(
            "--max-body-bytes",
            "max_body_bytes",
            int,
            d["max_body_bytes"],
            "largest request body accepted",
            "N",
        ),
        Setting(
            "--read-timeout",
            "read_timeout_s",
            float,
            d["read_timeout_s"],
            "seconds a client has to send a whole request; a slower one is dropped",
            "S",
        ),
        Setting(
            "--max-connections",
            "max_connections",
            int,
            d["max_connections"],
            "open connections at once; more are closed at once",
            "N",
        ),
    )


def _limits() -> tuple[Setting, ...]:
    """Limits' fields: what one job may ask for."""
    return (
        Setting(
            "--max-views",
            "max_views",
            int,
            Limits.max_views,
            f"most views a job may ask for, 1..{MAX_VIEWS}",
            "N",
        ),
        Setting(
            "--max-size",
            "max_size",
            int,
            Limits.max_size,
            f"largest render size a job may ask for, within {MIN_SIZE}..{MAX_SIZE} as every command's",
            "PX",
        ),
    )


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("server")
    add_settings(g, _listening())
    g.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer requests for this Host name (with --allow-remote); repeatable",
    )
    g.add_argument(
        "--token-file",
        metavar="PATH",
        default=None,
        help="where the access token is written, owner-only (default: in the user's config dir, token for "
        "port 8765, token-PORT for any other port)",
    )
    g.add_argument(
        "--allow-shared-token-dir",
        action="store_true",
        help="write the token even where other users can write to its folder (they could replace the "
        "token file; without this flag serve refuses such a folder)",
    )
    g.add_argument(
        "--data-dir",
        metavar="DIR",
        default=None,
        help="job results and libraries (default: $THREEDRAW_DATA_DIR or ~/.local/share/threedraw)",
    )
    g.add_argument(
        "--config",
        metavar="FILE",
        default=None,
        help=f"TOML config file (default: ${CONFIG_ENV}, else config.toml in the user's config dir)",
    )
    add_settings(g, (*_capacity(), *_limits(), loop_limit_setting()))
    add_provider_arguments(parser)
    add_clip_arguments(parser)
    # Wrap every default so resolve() knows which flags were really given (an append
    # flag keeps its list: it appends to it; an empty list means "not given").
    for action in _settable(parser):
        if not isinstance(action, argparse._AppendAction):
            action.default = _Unset(action.default)


def _settable(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.option_strings and a.dest not in ("help", "config")]


def resolve(args: argparse.Namespace) -> argparse.Namespace:
    """Flags, else THREEDRAW_* environment, else the config file, else the built-in default."""
    file_path, explicit = _config_path(args)
    from_file = read_config(file_path, explicit)
    reference = argparse.ArgumentParser(add_help=False)
    add_server_arguments(reference)
    actions = {a.dest: a for a in _settable(reference)}
    unknown = sorted(set(from_file) - set(actions))
    if unknown:
        raise UserError(
            f"{file_path.name}: unknown setting {unknown[0]!r} (known: {', '.join(sorted(actions))})"
        )
    out = argparse.Namespace(**vars(args))
    for dest, action in actions.items():
        value = getattr(args, dest, None)
        if not isinstance(value, _Unset) and value != []:
            continue  # given on the command line
        env = os.environ.get(ENV_PREFIX + dest.upper())
        if isinstance(action, argparse._AppendAction):
            value = env.split(",") if env else from_file.get(dest, [])
            if dest in from_file and not env:
                value = _from_toml(action, value, f"{file_path.name}: {dest}")
        elif env is not None:
            value = _convert(action, env, f"${ENV_PREFIX}{dest.upper()}")
        elif dest in from_file:
            value = _from_toml(action, from_file[dest], f"{file_path.name}: {dest}")
        else:
            value = value.value
        setattr(out, dest, value)
    return out


def settings_from_args(args: argparse.Namespace) -> ServerSettings:
    """Resolved, checked ServerSettings; bad values raise UserError naming the setting."""
    a = resolve(args)
    for name, lo, hi in (
        ("port", 0, 65535),
        ("max_queued", 1, 10_000),
        ("llm_jobs", 1, 64),
        ("keep_jobs", 10, 1_000_000),
        ("max_body_bytes", 1024, 64 * 1024 * 1024),
        ("max_views", 1, MAX_VIEWS),
        ("max_size", MIN_SIZE, MAX_SIZE),
        ("max_connections", 4, 10_000),
        ("read_timeout", 0.1, 3600),
    ):
        v = getattr(a, name)
        if not lo <= v <= hi:
            raise UserError(f"--{name.replace('_', '-')} {v}: expected {lo} to {hi}")
    if not is_loopback(a.host) and not a.allow_remote:
        raise UserError(
            f"--host {a.host}: not a loopback address; the server runs jobs for anyone who can reach "
            "it, so listening there needs --allow-remote"
        )
    limits = Limits(**table_values(a, _limits()))
    # Jobs render at the scoring size unless they say otherwise: keep it within --max-size.
    score = dataclasses.replace(config_from_args(a), size=min(ScoreConfig.size, limits.max_size))
    if score.views > limits.max_views:
        raise UserError(f"--views {score.views}: more than --max-views {limits.max_views}")
    try:
        check_loop_limit(a.loop_limit)  # the default of its draw, refine and learn jobs
    except ValueError as e:
        raise UserError(str(e)) from None
    return ServerSettings(
        **table_values(a, (*_listening(), *_capacity(), loop_limit_setting())),
        token_file=Path(a.token_file).expanduser() if a.token_file else None,
        allow_shared_token_dir=a.allow_shared_token_dir,
        data_dir=Path(a.data_dir).expanduser() if a.data_dir else default_data_dir(),
        allowed_hosts=tuple(h.lower() for h in a.allowed_host),
        limits=limits,
        score=score,
        provider_options=provider_config(a),
    )


# -- the config file -----------------------------------------------------------
def _config_path(args: argparse.Namespace) -> tuple[Path, bool]:
    given = getattr(args, "config", None) or os.environ.get(CONFIG_ENV)
    return (Path(given).expanduser(), True) if given else (default_config_file(), False)


def read_config(path: Path, required: bool) -> dict[str, Any]:
    """The settings in a TOML config file ({} when the default file does not exist)."""
    if not required and not path.exists():
        return {}
    try:
        data = read_document(path, MAX_CONFIG_BYTES, tomllib.loads, "valid TOML")
    except FileReadError as e:
        raise UserError(f"config {e}") from None
    settings = {k.replace("-", "_"): v for k, v in data.items()}
    if any(k in ("key", "apikey") or k.endswith("_key") for k in settings):
        raise UserError(
            f"config {path.name}: API keys are never read from files; set THREEDRAW_API_KEY in the "
            "environment of the server"
        )
    return settings


def _convert(action: argparse.Action, text: str, where: str) -> Any:
    """An environment value, converted as the flag converts its argument."""
    if isinstance(action, argparse._StoreTrueAction):
        low = text.strip().lower()
        if low not in _TRUE | _FALSE:
            raise UserError(f"{where}={text!r}: expected true or false")
        return low in _TRUE
    convert = action.type if callable(action.type) else str
    try:
        value = convert(text)
    except ValueError:
        raise UserError(f"{where}={text!r}: expected {getattr(action.type, '__name__', 'a value')}") from None
    if action.choices and value not in action.choices:
        raise UserError(f"{where}={text!r}: expected one of {', '.join(map(str, action.choices))}")
    return value


def _from_toml(action: argparse.Action, value: Any, where: str) -> Any:
    """A config-file value, type-checked against the flag."""
    if isinstance(action, argparse._StoreTrueAction):
        if not isinstance(value, bool):
            raise UserError(f"{where}: expected true or false")
        return value
    if isinstance(action, argparse._AppendAction):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise UserError(f"{where}: expected a list of strings")
        return value
    if isinstance(value, (dict, list, bool)):
        raise UserError(f"{where}: expected a single value")
    if action.type in (int, float) and not isinstance(value, (int, float)):
        raise UserError(f"{where}: expected a number")
    if action.type is int and not isinstance(value, int):
        raise UserError(f"{where}: expected a whole number")
    return _convert(action, str(value), where)

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

from ..rendering.camera import MAX_SIZE, MAX_VIEWS, MIN_SIZE
from ..scoring.reward import ScoreConfig
from ..server.settings import Limits, ServerSettings, default_config_file, is_loopback
from ..shared.files import FileReadError, read_document
from ..storage import default_data_dir
from . import UserError
from .options import add_clip_arguments, add_provider_arguments, config_from_args, provider_config

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


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    d = ServerSettings.__dataclass_fields__
    g = parser.add_argument_group("server")
    g.add_argument("--host", default=d["host"].default, help="address to listen on (default: %(default)s)")
    g.add_argument(
        "--port",
        type=int,
        default=d["port"].default,
        help="port to listen on; 0 picks a free one (default: %(default)s)",
    )
    g.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow listening on a non-loopback address (anyone who can reach it and has the token "
        "can run jobs)",
    )
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
    g.add_argument(
        "--max-queued",
        type=int,
        default=d["max_queued"].default,
        metavar="N",
        help="jobs waiting to start before new ones get 429 (default: %(default)s)",
    )
    g.add_argument(
        "--llm-jobs",
        type=int,
        default=d["llm_jobs"].default,
        metavar="N",
        help="LLM-bound jobs (draw, refine, learn) running at once (default: %(default)s)",
    )
    g.add_argument(
        "--keep-jobs",
        type=int,
        default=d["keep_jobs"].default,
        metavar="N",
        help="finished jobs kept in the data dir (default: %(default)s)",
    )
    g.add_argument(
        "--max-body-bytes",
        type=int,
        default=d["max_body_bytes"].default,
        metavar="N",
        help="largest request body accepted (default: %(default)s)",
    )
    g.add_argument(
        "--read-timeout",
        type=float,
        default=d["read_timeout_s"].default,
        metavar="S",
        help="seconds a client has to send a whole request; a slower one is dropped (default: %(default)s)",
    )
    g.add_argument(
        "--max-connections",
        type=int,
        default=d["max_connections"].default,
        metavar="N",
        help="open connections at once; more are closed at once (default: %(default)s)",
    )
    g.add_argument(
        "--max-views",
        type=int,
        default=Limits.max_views,
        metavar="N",
        help=f"most views a job may ask for, 1..{MAX_VIEWS} (default: %(default)s)",
    )
    g.add_argument(
        "--max-size",
        type=int,
        default=Limits.max_size,
        metavar="PX",
        help=f"largest render size a job may ask for, within {MIN_SIZE}..{MAX_SIZE} as every "
        "command's (default: %(default)s)",
    )
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
    limits = Limits(max_views=a.max_views, max_size=a.max_size)
    # Jobs render at the scoring size unless they say otherwise: keep it within --max-size.
    score = dataclasses.replace(config_from_args(a), size=min(ScoreConfig.size, limits.max_size))
    if score.views > limits.max_views:
        raise UserError(f"--views {score.views}: more than --max-views {limits.max_views}")
    return ServerSettings(
        host=a.host,
        port=a.port,
        token_file=Path(a.token_file).expanduser() if a.token_file else None,
        allow_shared_token_dir=a.allow_shared_token_dir,
        data_dir=Path(a.data_dir).expanduser() if a.data_dir else default_data_dir(),
        allow_remote=a.allow_remote,
        allowed_hosts=tuple(h.lower() for h in a.allowed_host),
        max_body_bytes=a.max_body_bytes,
        read_timeout_s=a.read_timeout,
        max_connections=a.max_connections,
        max_queued=a.max_queued,
        llm_jobs=a.llm_jobs,
        keep_jobs=a.keep_jobs,
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

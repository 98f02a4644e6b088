"""The `threedraw` command line.

Each subcommand lives in its own module in this package and is imported only when
called, so `threedraw parse` never pays for torch or bpy. A command module defines
``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``; shared options are in
``options``, terminal output in ``output``. Nothing outside the CLI imports it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .. import __version__
from ..layers import install_hint, missing_layer

# name -> module in threedraw.cli
COMMANDS = {
    "parse": "parse",
    "repair": "repair",
    "blend": "blend",
    "render": "render",
    "score": "score",
    "polish": "polish",
    "bench": "bench",
    "draw": "draw",
    "learn": "learn",
    "eval": "evaluate",
    "library": "library",
    "serve": "serve",
    "check": "check",
}


class UserError(Exception):
    """An error the user can act on: printed as one line, exit status 2."""


def _load(name: str):
    return importlib.import_module(f"threedraw.cli.{COMMANDS[name]}")


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="threedraw", description="Draw 3D sketches as Bezier curves with an LLM."
    )
    parser.add_argument("--version", action="version", version=f"threedraw {__version__}")
    sub = parser.add_subparsers(
        dest="command",
        metavar="COMMAND",
        title="commands",
        description="`threedraw COMMAND --help` tells more about each",
    )
    # Only the command being run is imported (parse never pays for torch); without one, each is
    # imported for its line of help (under a second: torch and bpy load only when a command runs).
    wanted = next((a for a in argv if a in COMMANDS), None)
    for name in COMMANDS:
        if name == wanted:
            mod = _load(name)
            p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
            mod.add_arguments(p)
            p.set_defaults(_run=mod.run, _parser=p)
        elif wanted is None:
            sub.add_parser(name, add_help=False, help=_help_line(name))
        else:
            sub.add_parser(name, add_help=False)
    return parser


def _help_line(name: str) -> str:
    try:
        return str(_load(name).HELP)
    except ModuleNotFoundError as e:
        return f"(not available in this installation: {install_hint(e.name or '?')})"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser(argv)
    except ModuleNotFoundError as e:
        print(
            f"threedraw: this command is not available here: {install_hint(e.name or '?')}", file=sys.stderr
        )
        return 2
    args = parser.parse_args(argv)
    if getattr(args, "_parser", None) is not None:
        args._argv = argv[argv.index(args.command) + 1 :]  # what options.given_options reads
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)  # no command: the list of commands, and a usage error's status
        return 2
    try:
        return int(args._run(args) or 0)
    except UserError as e:
        print(f"threedraw {args.command}: {e}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as e:
        hint = missing_layer(e)
        if hint is None:
            raise
        print(f"threedraw {args.command}: {hint}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Work in flight was abandoned on the way here (a local generation stops at its next token).
        print(f"threedraw {args.command}: interrupted, stopping", file=sys.stderr)
        _exit_if_a_local_model_is_busy(130)
        return 130


def _exit_if_a_local_model_is_busy(status: int) -> None:
    """A local generation abandoned inside llama.cpp's prompt evaluation cannot be stopped, and the
    normal exit would free llama.cpp under it: end the process at once instead."""
    local = sys.modules.get("threedraw.llm.local")
    if local is not None and not local.wait_idle():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)

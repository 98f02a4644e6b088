"""The `threedraw` command line.

Each subcommand lives in its own module in this package and is imported only when
called, so `threedraw parse` never pays for torch or bpy. A command module defines
``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``; shared options are in
``options``, terminal output in ``output``. Nothing outside the CLI imports it.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__

# name -> module in threedraw.cli
COMMANDS = {
    "parse": "parse",
    "blend": "blend",
    "render": "render",
    "score": "score",
    "bench": "bench",
    "draw": "draw",
    "learn": "learn",
    "eval": "evaluate",
    "library": "library",
    "serve": "serve",
}


class UserError(Exception):
    """An error the user can act on: printed as one line, exit status 2."""


def _load(name: str):
    return importlib.import_module(f"threedraw.cli.{COMMANDS[name]}")


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="threedraw", description="Draw 3D sketches as Bezier curves with an LLM.")
    parser.add_argument("--version", action="version", version=f"threedraw {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Only the command being run is imported; the rest are listed by name.
    wanted = next((a for a in argv if a in COMMANDS), None)
    for name in COMMANDS:
        if name == wanted:
            mod = _load(name)
            p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
            mod.add_arguments(p)
            p.set_defaults(_run=mod.run, _parser=p)
        else:
            sub.add_parser(name, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser(argv)
    except ModuleNotFoundError as e:
        print(f"threedraw: this command is not available in this installation ({e.name})", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    if getattr(args, "_parser", None) is not None:
        args._argv = argv[argv.index(args.command) + 1:]  # what options.given_options reads
    if not getattr(args, "_run", None):
        parser.print_help()
        return 0 if not argv else 2
    try:
        return int(args._run(args) or 0)
    except UserError as e:
        print(f"threedraw {args.command}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"threedraw {args.command}: interrupted", file=sys.stderr)
        return 130

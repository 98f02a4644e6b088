"""`threedraw serve`: the local HTTP backend the Blender add-on talks to (see threedraw.server.app)."""

from __future__ import annotations

import argparse
import json
import logging
import socket
import sys
from pathlib import Path

from . import UserError
from .output import log_to_stderr
from .serve_options import add_server_arguments, settings_from_args

HELP = "run the local HTTP backend (jobs: draw, score, render, refine, learn) for the Blender add-on"
SHUTDOWN_GRACE_S = 5
KEEP_ALIVE_S = 5  # an idle keep-alive connection is closed after this


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = (
        "Every option can also come from the environment (--clip-checkpoint as THREEDRAW_CLIP_CHECKPOINT) "
        'or from the TOML config file (clip_checkpoint = "..."); a flag wins over the environment, which '
        "wins over the file. The API key is read from THREEDRAW_API_KEY only."
    )
    add_server_arguments(p)
    p.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        default="warning",
        help="server log detail on stderr (default: %(default)s)",
    )
    p.add_argument("--openapi", action="store_true", help="print the API's OpenAPI schema (JSON) and exit")


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from ..server.app import api, create_app
    from ..server.http import MAX_HEADER_BYTES, bounded_protocol
    from ..server.state import ServerState
    from ..server.token import SharedFolderError, new_token, remove_token, write_token
    from ..storage import StorageError

    if args.openapi:
        print(json.dumps(api().openapi(), indent=1))
        return 0
    settings = settings_from_args(args)
    log_to_stderr(
        "threedraw serve: %(levelname)s ",
        logging.INFO if args.log_level in ("debug", "info") else logging.WARNING,
    )
    sock = _bind(settings.host, settings.port)
    host, port = sock.getsockname()[:2]
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    try:
        state = ServerState(settings, owner=url)
    except StorageError as e:
        sock.close()
        raise UserError(str(e)) from None
    token, token_file = new_token(), settings.token_path(port)
    try:
        warnings = write_token(token_file, token, settings.allow_shared_token_dir)
    except (OSError, SharedFolderError) as e:
        sock.close()
        state.close()
        if isinstance(e, SharedFolderError):
            raise UserError(
                f"{e}; run chmod 700 {_tilde(token_file.parent)}, or start with --allow-shared-token-dir "
                "to accept that"
            ) from None
        raise UserError(
            f"--token-file {_tilde(token_file)}: cannot write the token ({e.strerror or e})"
        ) from None
    print(
        f"threedraw serve: listening on {url}/v1 (API docs: /docs, /openapi.json); "
        f"token in {_tilde(token_file)}",
        file=sys.stderr,
        flush=True,
    )
    for warning in warnings:
        print(
            f"threedraw serve: warning: {warning} (accepted: --allow-shared-token-dir)",
            file=sys.stderr,
            flush=True,
        )
    if settings.provider_kind == "local":
        print("threedraw serve: LLM: the local model, one job at a time", file=sys.stderr, flush=True)
    app = create_app(state, token, on_stop=lambda: remove_token(token_file, token))
    config = uvicorn.Config(
        app,
        log_level=args.log_level,
        access_log=args.log_level == "debug",
        lifespan="on",
        timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
        server_header=False,
        http=bounded_protocol(settings.read_timeout_s, settings.max_connections),
        timeout_keep_alive=KEEP_ALIVE_S,
        # uvicorn counts the asking connection too: N open ones are all served
        limit_concurrency=settings.max_connections + 1,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        remove_token(token_file, token)
        sock.close()
    return 0


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so a busy port is one clear line and port 0 can be reported."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as e:
        sock.close()
        why = (
            "already in use (is another threedraw serve running?)"
            if e.errno == 98
            else (e.strerror or str(e))
        )
        raise UserError(f"cannot listen on {host}:{port}: {why}") from None
    sock.set_inheritable(True)
    return sock


def _tilde(path: Path) -> str:
    """The path with the home folder as ~, so the log line names no user's folder."""
    try:
        return "~/" + str(path.resolve().relative_to(Path.home().resolve()))
    except ValueError:
        return str(path)

"""Starting `threedraw serve` from Blender, detached, and waiting until it answers (no bpy: this
runs on a worker thread while the UI stays live)."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
import urllib.parse
from pathlib import Path

from .http import BackendClient, BackendError

START_WAIT_S = 60.0
LOG_TAIL_CHARS = 300


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "threedraw"


def log_path() -> Path:
    """Where Start Backend sends the server's output."""
    return _cache_dir() / "serve.log"


def start_command(command: str, url: str, token_file: str) -> list[str]:
    """The start command with the backend URL's port and host and the token file added when it
    names none."""
    args = shlex.split(command)
    parts = urllib.parse.urlsplit(url)
    if "--port" not in args and parts.port:
        args += ["--port", str(parts.port)]
    if "--host" not in args and parts.hostname:
        args += ["--host", parts.hostname]
    if "--token-file" not in args and token_file:
        args += ["--token-file", str(Path(token_file).expanduser())]
    return args


def _wait_healthy(client: BackendClient, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = " ".join(log.read_text(errors="replace")[-LOG_TAIL_CHARS:].split())
            raise BackendError(
                f"the backend exited with status {proc.returncode}: {tail or 'no output'} (log: {log})",
                "start_failed",
            )
        try:
            client.health()
            client.info()  # the token file is written too
            return f"backend started at {client.url} (log: {log})"
        except BackendError:
            time.sleep(0.2)
    raise BackendError(
        f"the backend did not answer at {client.url} within {timeout:g} s (log: {log})", "timeout"
    )


def start(client: BackendClient, args: list[str], log: Path) -> tuple[str, int | None]:
    """Start the backend unless it answers already: (what happened, the new process's pid or None)."""
    try:
        client.health()
        return f"the backend is already running at {client.url}", None
    except BackendError as e:
        if e.code not in ("not_running", "timeout"):
            raise
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )  # detached: it outlives Blender
    except FileNotFoundError:
        raise BackendError(
            f"cannot start the backend: {args[0]!r} is not on PATH; set Backend Command in the "
            f"add-on's preferences to its full path",
            "start_failed",
        ) from None
    except OSError as e:
        raise BackendError(
            f"cannot start the backend ({args[0]}): {e.strerror or e}", "start_failed"
        ) from None
    return _wait_healthy(client, proc, log, START_WAIT_S), proc.pid

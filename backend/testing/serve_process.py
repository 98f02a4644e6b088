"""`threedraw serve` as its own process on a free port, as the add-on sees it: for the server's tests
and ``threedraw bench server``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ..shared.token_path import token_file_for_url

START_TIMEOUT_S = 60


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a server under ``home``: no user config, no user data, no inherited THREEDRAW_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREEDRAW_")}
    env.update(
        XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data-home"), PYTHONUNBUFFERED="1"
    )
    env.update(extra)
    return env


def token_path(url: str, home: Path) -> Path:
    """Where a client finds the token of the server at ``url`` started with ``isolated_env(home)``."""
    return token_file_for_url(url, home / "config" / "threedraw")


def launch(
    data_dir: Path,
    args: list[str],
    env: dict[str, str],
    log: Path,
    python: str = sys.executable,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start `threedraw serve --port 0 --data-dir DATA_DIR ARGS` under ``python``, its output to ``log``."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            [python, "-m", "threedraw.cli", "serve", "--port", "0", "--data-dir", str(data_dir), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
        )


def wait_listening(proc: subprocess.Popen[bytes], log: Path, timeout: float = START_TIMEOUT_S) -> str:
    """The server's URL once it answers /v1/health; RuntimeError with its log if it exits or never does."""
    deadline = time.monotonic() + timeout
    url = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"threedraw serve exited with {proc.returncode}:\n{log.read_text()}")
        found = re.search(r"listening on (http://\S+)/v1", log.read_text(errors="replace"))
        if found:
            url = found.group(1)
            try:  # the line comes just before uvicorn listens
                if httpx.get(url + "/v1/health", timeout=2).status_code == 200:
                    return url
            except httpx.TransportError:
                pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"threedraw serve did not answer at {url} within {timeout} s:\n{log.read_text()}")

"""What the CLI writes besides results: progress on stderr, log lines, JSON files."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any, TextIO

from ..runtime import Progress
from ..shared.files import write_text_atomic
from . import UserError


class ProgressPrinter:
    """Progress to stderr: one redrawn bar on a terminal, plain lines otherwise (logs, CI)."""

    WIDTH = 24

    def __init__(self, command: str, stream: TextIO | None = None):
        self.command = command
        self.stream = stream
        self.started = time.monotonic()

    def __call__(self, p: Progress) -> None:
        stream = self.stream or sys.stderr
        elapsed = time.monotonic() - self.started
        tty = hasattr(stream, "isatty") and stream.isatty()
        if tty:
            frac = p.done / p.total if p.total else 0.0
            filled = int(frac * self.WIDTH)
            bar = "#" * filled + "." * (self.WIDTH - filled)
            line = f"[{bar}] {p.done}/{p.total} {elapsed:5.0f}s {p.message}"
            cols = 120
            stream.write("\r" + line[:cols].ljust(cols))
            if p.stage in ("epoch", "done", "start"):
                stream.write("\n")
            stream.flush()
        else:
            count = f"[{p.done}/{p.total}] " if p.total else ""
            stream.write(f"threedraw {self.command}: {count}{p.message}\n")
            stream.flush()


def log_to_stderr(prefix: str, level: int = logging.INFO) -> None:
    """The project's log records (provider retries, server events) as one plain stderr line each."""
    log = logging.getLogger("threedraw")
    if not any(isinstance(h, _StderrHandler) for h in log.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter(f"{prefix}%(message)s"))
        log.addHandler(handler)
    log.setLevel(level)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (it may be swapped, e.g. under pytest)."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def write_text(path: str, text: str, what: str | None = None) -> None:
    """Write a file atomically; a failure is a UserError naming it (``what``: the option, e.g. --report)."""
    try:
        write_text_atomic(path, text)
    except OSError as e:
        raise UserError(f"{what + ' ' if what else ''}{path}: cannot write ({e.strerror or e})") from None


def write_json(path: str, data: Any, what: str | None = None) -> None:
    write_text(path, json.dumps(data, indent=1), what)

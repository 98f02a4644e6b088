"""What the CLI writes besides results: progress on stderr, log lines, JSON files."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
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


class LiveDrawPrinter:
    """While candidates stream: strokes so far, tokens/s (about 4 characters a token) and elapsed,
    per candidate; redrawn in place on a terminal (10 times a second at most), else a plain line
    at most once a second."""

    def __init__(self, command: str, k: int, stream: TextIO | None = None):
        self.command = command
        self.stream = stream
        self.started = time.monotonic()
        self.strokes = [0] * k
        self.chars = [0] * k
        self._shown = 0.0

    def on_text(self, candidate: int, piece: str) -> None:
        if 0 <= candidate < len(self.chars):
            self.chars[candidate] += len(piece)
            self._show()

    def on_stroke(self, candidate: int, stroke: object | None) -> None:
        """One more stroke; None: the candidate's reply starts over, its count with it."""
        if 0 <= candidate < len(self.strokes):
            self.strokes[candidate] = 0 if stroke is None else self.strokes[candidate] + 1
            self._show()

    def line(self) -> str:
        elapsed = max(1e-6, time.monotonic() - self.started)
        cands = " | ".join(
            f"#{i + 1}: {n} strokes, {c / 4 / elapsed:.0f} tok/s"
            for i, (n, c) in enumerate(zip(self.strokes, self.chars))
        )
        return f"{cands} | {elapsed:.1f} s"

    def _show(self, force: bool = False) -> None:
        stream = self.stream or sys.stderr
        tty = hasattr(stream, "isatty") and stream.isatty()
        now = time.monotonic()
        if not force and now - self._shown < (0.1 if tty else 1.0):
            return
        self._shown = now
        if tty:
            stream.write("\r" + self.line()[:120].ljust(120))
        else:
            stream.write(f"threedraw {self.command}: {self.line()}\n")
        stream.flush()

    def done(self) -> None:
        """The last state, and a line break on a terminal."""
        self._show(force=True)
        stream = self.stream or sys.stderr
        if hasattr(stream, "isatty") and stream.isatty():
            stream.write("\n")
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


# -- where results go ----------------------------------------------------------------
def check_outputs(
    outputs: Sequence[tuple[str, Path | None]], inputs: Sequence[str | Path | None] = (), force: bool = False
) -> None:
    """Before any work is done (or paid for): every output can be written, and none is lost.

    ``outputs``: (what names a file, e.g. an option or "the sketch JSON", its path) pairs. An input is never
    overwritten, not even with --force; an existing output is replaced only with --force; each folder
    is created and proven writable by writing a scratch file into it.
    """
    given = [Path(p) for p in inputs if p is not None]
    seen: dict[Path, str] = {}
    for what, path in outputs:
        if path is None:
            continue
        for source in given:
            if _same_file(path, source):
                raise UserError(
                    f"{what} {path} is the input {source}: a command never overwrites its input; "
                    "choose another name"
                )
        key = path.resolve()
        if key in seen:
            raise UserError(f"{what} {path} is also {seen[key]}: give each output its own name")
        seen[key] = what
        if path.is_dir():
            raise UserError(f"{what} {path} is a folder, expected a file name")
        if path.exists() and not force:
            raise UserError(f"{what} {path} exists; pass --force to replace it, or choose another name")
        check_writable_folder(path.parent, f"{what} {path}")


def check_writable_folder(folder: Path, what: str) -> None:
    """Create ``folder`` if needed and write (and remove) a scratch file in it; a UserError if either fails."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, scratch = tempfile.mkstemp(prefix=".threedraw-check-", dir=folder)
        os.close(fd)
        os.unlink(scratch)
    except OSError as e:
        raise UserError(f"{what}: cannot write in {folder} ({e.strerror or e})") from None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def add_force_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--force",
        action="store_true",
        help="replace output files that exist (an input file is never replaced)",
    )


def say_written(paths: Sequence[Path | str | None]) -> str:
    """'a.blend, a.json and a.png': every file a command wrote, for its last line."""
    names = [str(p) for p in paths if p]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

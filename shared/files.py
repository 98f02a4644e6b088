"""Small user-given text files: read bounded in size, written atomically, with one-line errors."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


class FileReadError(ValueError):
    """The file could not be read; the message names it and says why."""


def read_text(path: str | Path, max_bytes: int) -> str:
    """UTF-8 text of `path`, refusing files over `max_bytes` before reading them."""
    p = Path(path).expanduser()
    try:
        size = p.stat().st_size
        if size > max_bytes:
            limit = (
                f"{max_bytes // 1024} KiB" if max_bytes < 1024 * 1024 else f"{max_bytes // (1024 * 1024)} MiB"
            )
            raise FileReadError(f"{p.name}: {size} bytes, larger than {limit}")
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileReadError(f"{p}: no such file") from None
    except OSError as e:
        raise FileReadError(f"{p}: cannot read ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise FileReadError(f"{p.name}: not UTF-8 text") from None


def read_document(path: str | Path, max_bytes: int, loads: Callable[[str], Any], valid: str) -> Any:
    """A small config document, `read_text` decoded by ``loads`` (json.loads, tomllib.loads); text it
    cannot decode is a FileReadError too, "NAME: not ``valid`` (why)" ("not valid TOML (...)")."""
    text = read_text(path, max_bytes)
    try:
        return loads(text)
    except ValueError as e:  # json.JSONDecodeError and tomllib.TOMLDecodeError are ValueErrors
        raise FileReadError(f"{Path(path).expanduser().name}: not {valid} ({e})") from None


def write_text_atomic(path: str | Path, text: str, *, private: bool = False) -> None:
    """Write UTF-8 `text` to `path` through a temporary file beside it, so a crash never leaves a
    half-written file. `private`: owner-only (0600) from the first byte. Raises OSError."""
    p = Path(path)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if private else os.O_TRUNC)
    fd = os.open(tmp, flags, 0o600 if private else 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:  # the text as given, on every OS
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise

"""Reading small user-given text files: bounded in size, with one-line errors."""

from __future__ import annotations

from pathlib import Path


class FileReadError(ValueError):
    """The file could not be read; the message names it and says why."""


def read_text(path: str | Path, max_bytes: int) -> str:
    """UTF-8 text of `path`, refusing files over `max_bytes` before reading them."""
    p = Path(path).expanduser()
    try:
        size = p.stat().st_size
        if size > max_bytes:
            limit = f"{max_bytes // 1024} KiB" if max_bytes < 1024 * 1024 else f"{max_bytes // (1024 * 1024)} MiB"
            raise FileReadError(f"{p.name}: {size} bytes, larger than {limit}")
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileReadError(f"{p}: no such file") from None
    except OSError as e:
        raise FileReadError(f"{p}: cannot read ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise FileReadError(f"{p.name}: not UTF-8 text") from None

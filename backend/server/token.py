"""The server's access token: made fresh at every start, kept in a file only its owner can read.

The add-on (or curl) reads the file and sends ``Authorization: Bearer <token>``. Another user
on a shared machine cannot read the file, so cannot drive the server, even though the port is
open to every local process.
"""

from __future__ import annotations

import secrets
import stat
from pathlib import Path

from ..shared.files import write_text_atomic

TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def write_token(path: Path, token: str) -> None:
    """Write ``token`` to ``path`` with mode 0600 (its folder 0700 when we create it), atomically."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # 0600 from the first byte: the token is never readable by others, not even briefly.
    write_text_atomic(path, token + "\n", private=True)


def remove_token(path: Path, token: str) -> None:
    """Delete the file if it still holds our token (a newer server may have replaced it)."""
    try:
        if read_token(path) == token:
            path.unlink()
    except OSError:
        pass


def read_token(path: Path) -> str:
    return path.read_text(encoding="ascii").strip()


def folder_warnings(path: Path) -> list[str]:
    """A warning when other users can write to the token's folder: they could swap the file."""
    try:
        mode = path.parent.stat().st_mode
    except OSError:
        return []
    if mode & 0o022 and not mode & stat.S_ISVTX:  # in a sticky folder (/tmp) no one can swap others' files
        return [
            f"other users can write to the token's folder {path.parent.name}/ (mode {stat.S_IMODE(mode):o}): "
            "they could replace the token file; run chmod go-w on that folder"
        ]
    return []


def is_private(path: Path) -> bool:
    """True when only the owner may read or write the file."""
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0

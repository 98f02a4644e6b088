"""The server's access token: made fresh at every start, kept in a file only its owner can read.

The add-on (or curl) reads the file and sends ``Authorization: Bearer <token>``. Another user
on a shared machine cannot read the file, so cannot drive the server, even though the port is
open to every local process; nor can they swap it: the server refuses a folder where they could
(``folder_problem``), and the client refuses a file that is not its user's own, owner-only one.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from ..shared.files import write_text_atomic

TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


class SharedFolderError(Exception):
    """The token's folder lets other users replace files in it."""


def write_token(path: Path, token: str, allow_shared_folder: bool = False) -> list[str]:
    """Write ``token`` to ``path`` with mode 0600 (its folder 0700 when we create it), atomically.

    SharedFolderError when other users could replace the file in its folder, unless
    ``allow_shared_folder``: then the token is written and the problem is the warning returned."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    problem = folder_problem(path.parent)
    if problem and not allow_shared_folder:
        raise SharedFolderError(problem)
    # 0600 from the first byte: the token is never readable by others, not even briefly.
    write_text_atomic(path, token + "\n", private=True)
    return [problem] if problem else []


def remove_token(path: Path, token: str) -> None:
    """Delete the file if it still holds our token (a newer server may have replaced it)."""
    try:
        if read_token(path) == token:
            path.unlink()
    except OSError:
        pass


def read_token(path: Path) -> str:
    return path.read_text(encoding="ascii").strip()


def folder_problem(folder: Path) -> str | None:
    """Why other users could replace a file in ``folder`` (None when they cannot).

    A folder others may write to lets them swap the token file for their own. A sticky one
    (like /tmp) owned by us or by root does not: there only a file's owner may rename or delete it,
    and a file another user put there first is refused by the client (not ours). POSIX only."""
    if os.name == "nt":
        return None
    try:
        info = folder.stat()
    except OSError:
        return None  # the token cannot be written there either: that error names it
    mode = stat.S_IMODE(info.st_mode)
    if not mode & 0o022 or (mode & stat.S_ISVTX and info.st_uid in (0, os.getuid())):
        return None
    return (
        f"other users can write to the token's folder {folder.name}/ (mode {mode:o}): they could replace "
        "the token file"
    )


def is_private(path: Path) -> bool:
    """True when only the owner may read or write the file."""
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0

"""One server per data folder: an exclusive lock on ``server.lock`` held for the server's life.

A second ``threedraw serve`` on the same folder would mark the first one's running jobs as
interrupted at start-up and then lose their results, so it is refused with the first server's
pid and URL. The operating system drops the lock when the process ends, however it ends, so a
killed server never leaves a stale lock behind.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from ..storage import StorageError

LOCK_FILE = "server.lock"
MAX_SHOWN = 200

if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(f: IO[str]) -> bool:
        try:
            f.seek(0)
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
else:
    import fcntl

    def _try_lock(f: IO[str]) -> bool:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False


class DataDirBusy(StorageError):
    """Another server holds the data folder."""


class DataDirLock:
    """Hold ``data_dir/server.lock``; ``DataDirBusy`` naming the holder when another server has it."""

    def __init__(self, data_dir: Path, owner: str):
        self.path = data_dir / LOCK_FILE
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            self._file: IO[str] | None = open(self.path, "a+", encoding="utf-8")
        except OSError as e:
            raise StorageError(f"{self.path}: cannot create the server lock ({e.strerror or e})") from None
        if not _try_lock(self._file):
            self._file.seek(0)
            holder = self._file.read(MAX_SHOWN).strip() or "a process that has not said which"
            self._file.close()
            self._file = None
            raise DataDirBusy(
                f"the data folder {data_dir} is in use by another threedraw serve ({holder}); "
                "stop that one, or start this one with --data-dir ANOTHER_FOLDER"
            )
        # Who holds it, for the message a second server prints (the lock itself is the OS's).
        self._file.truncate(0)
        self._file.write(f"pid {os.getpid()}{', ' + owner if owner else ''}\n")
        self._file.flush()

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing drops the lock
            self._file = None

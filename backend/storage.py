"""Where everything threedraw keeps lives: one SQLite database per data directory, and its faults.

``Database`` is one connection shared by the library, run and job stores (thread-safe, reentrant
transactions). Any SQLite or file-system fault it meets is a ``StorageError`` naming the file and
what failed, never a "not found": a full disk must not look like a missing library.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

DB_FILE = "threedraw.sqlite3"
# How long a statement waits for another process's lock, opening included (seconds).
BUSY_TIMEOUT_S = 30.0
DATA_DIR_ENV = "THREEDRAW_DATA_DIR"
T = TypeVar("T")


class StorageError(RuntimeError):
    """The database or the data folder cannot be used; the message says which file and what failed."""


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_data_dir() -> Path:
    """``$THREEDRAW_DATA_DIR``, else the platform's per-user data folder + ``threedraw``."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "threedraw"


class Database:
    """One SQLite connection, shared by the library and run stores (thread-safe, reentrant transactions).

    A file that fails SQLite's quick check at open is ``damage``d: it can still be read (to export
    what survives) but every transaction is refused with a message saying how to recover.

    WAL mode lets a reader (the HTTP server, ``library show``) look while a learning run writes.
    ``transaction()`` nests through savepoints: an inner failure rolls back only its own part,
    and nothing is visible to others until the outermost block commits.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_S
            )
            self.conn.row_factory = sqlite3.Row
            _while_busy(lambda: self.conn.execute("PRAGMA journal_mode=WAL"))
            self.conn.execute("PRAGMA synchronous=FULL")  # a committed lesson survives a power cut too
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.damage = _while_busy(lambda: _quick_check(self.conn))
        except sqlite3.DatabaseError as e:
            raise StorageError(f"{self.path}: cannot open the threedraw database ({e})") from None
        except OSError as e:
            raise StorageError(
                f"{self.path.parent}: cannot create the data folder ({e.strerror or e})"
            ) from None
        self._lock = threading.RLock()
        self._depth = 0
        self._schemas: set[str] = set()

    @classmethod
    def open(cls, data_dir: str | Path | None = None) -> Database:
        return cls(Path(data_dir).expanduser() / DB_FILE if data_dir else default_data_dir() / DB_FILE)

    def damaged_message(self) -> str:
        return (
            f"{self.path.name} in the data folder: the database is damaged (SQLite's quick check: "
            f"{self.damage}); nothing is written to it. To recover: move the file away (threedraw "
            "starts a new one), then bring the libraries back with threedraw library import FILE from "
            "their exports, or copy back a backup (*.bak beside it, made before each schema upgrade)"
        )

    def backup(self, label: str) -> Path:
        """A consistent copy of the whole file beside it, ``NAME.LABEL.bak`` (before a schema upgrade)."""
        dest = self.path.with_name(f"{self.path.name}.{label}.bak")
        with self._lock:
            try:
                with contextlib.closing(sqlite3.connect(dest)) as out:
                    self.conn.backup(out)
            except (sqlite3.DatabaseError, OSError) as e:
                raise StorageError(
                    f"{dest}: cannot back up the database before upgrading it ({e}); nothing was changed"
                ) from None
        return dest

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        if self.damage:
            raise StorageError(self.damaged_message())
        with self._lock:
            depth = self._depth
            try:
                self.conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT sp{depth}")
            except sqlite3.DatabaseError as e:
                raise StorageError(f"{self.path.name}: {e}") from None
            self._depth += 1
            try:
                yield self.conn
            except BaseException as e:
                self._depth -= 1
                self.conn.execute("ROLLBACK" if depth == 0 else f"ROLLBACK TO sp{depth}")
                if depth:
                    self.conn.execute(f"RELEASE sp{depth}")
                if isinstance(e, sqlite3.DatabaseError):  # disk full, I/O error, a locked file
                    raise StorageError(f"{self.path.name}: {e}; nothing was changed") from None
                raise
            self._depth -= 1
            if depth:
                self.conn.execute(f"RELEASE sp{depth}")
                return
            try:
                self.conn.execute("COMMIT")
            except sqlite3.DatabaseError as e:  # disk full, I/O error: nothing of this transaction stays
                self.conn.execute("ROLLBACK")
                raise StorageError(f"{self.path.name}: could not save ({e}); nothing was changed") from None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self.conn.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as e:
                raise StorageError(
                    self.damaged_message() if self.damage else f"{self.path.name}: {e}"
                ) from None

    def ensure_schema(self, sql: str) -> None:
        """Create the tables a store needs (once per connection and schema).

        Statement by statement inside a transaction: ``executescript`` would commit whatever
        transaction another part of this process has open.
        """
        with self._lock:
            if sql in self._schemas:
                return
            if self.damage:  # read what can be read (an export, to recover); never write
                self._schemas.add(sql)
                return
            try:
                with self.transaction() as c:
                    for statement in sql.split(";"):
                        if statement.strip():
                            c.execute(statement)
            except sqlite3.DatabaseError as e:
                raise StorageError(f"{self.path}: not a usable threedraw database ({e})") from None
            self._schemas.add(sql)

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _while_busy(step: Callable[[], T]) -> T:
    """``step``, tried again while another process holds the lock it needs, for up to BUSY_TIMEOUT_S.

    Processes opening a new file together all switch it to WAL: SQLite answers "database is locked"
    to all but one at once, without waiting (its busy timeout does not cover that switch)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            return step()
        except sqlite3.OperationalError as e:
            if not _busy(e) or time.monotonic() > deadline:
                raise
        time.sleep(random.uniform(0.005, 0.05))  # jittered, so the contenders do not retry in step


def _busy(e: sqlite3.Error) -> bool:
    text = str(e).lower()
    return "database is locked" in text or "busy" in text


def _quick_check(conn: sqlite3.Connection) -> str | None:
    """None when SQLite's quick check passes, else what it found (its first problems); a lock held by
    another process is no damage: raised."""
    try:
        found = [str(r[0]) for r in conn.execute("PRAGMA quick_check(3)").fetchall()]
    except sqlite3.DatabaseError as e:
        if isinstance(e, sqlite3.OperationalError) and _busy(e):
            raise
        return str(e)
    if found == ["ok"]:
        return None
    lines = [x.strip() for f in found for x in f.splitlines() if x.strip() and not x.startswith("***")]
    return "; ".join(lines)[:300] or "failed"


def dumps_finite(obj: Any) -> str:
    """Compact JSON for SQLite; NaN and infinities (a degenerate score) become null, not invalid JSON."""
    try:
        return json.dumps(obj, separators=(",", ":"), allow_nan=False)
    except ValueError:  # a NaN score: stored as null rather than as invalid JSON
        return json.dumps(_finite(obj), separators=(",", ":"), allow_nan=False)


def _finite(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj

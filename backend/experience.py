"""The experience library: named sets of short lessons, stored in SQLite, every change a snapshot.

A library is a list of lessons (id, text of at most ~32 words, when made or changed, how often it
was found, and provenance: which run, epoch, query and candidate pair it came from). Every change
writes a new numbered *version* holding the whole list, so any state can be read back or restored;
nothing is ever overwritten. The *head* is the version users draw with. Learning runs write their
own versions and move the head only when a version earns it (keep-best), and every head move is
logged too.

Changes come as judge operations (``add``, ``modify``, ``delete``, ``keep``); ``apply_operations``
applies them to a list of lessons in memory (the learning loop, ``refine``), then merges
near-duplicates and evicts down to the library's cap. ``LibraryStore.apply`` does the same on a
stored library inside one transaction.

One SQLite file per data directory (``threedraw.sqlite3``) holds the libraries and the learning
runs (``threedraw.runs``), so a learning step's library version and its run record commit
together: a crash never leaves one without the other.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import re
import sqlite3
import sys
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from .shared.files import FileReadError, read_text

FORMAT = "threedraw.library/1"
DB_FILE = "threedraw.sqlite3"
DATA_DIR_ENV = "THREEDRAW_DATA_DIR"

TARGET_LESSON_WORDS = 32  # what the judge is asked for (Training-Free GRPO's limit)
MAX_LESSON_WORDS = 48  # what is accepted: a little slack, then the lesson is refused
MAX_LESSON_CHARS = 400  # well inside the drawing agent's own per-lesson bound
DEFAULT_CAP = 16
MAX_CAP = 64  # the drawing agent accepts at most this many lessons
DEFAULT_MERGE_THRESHOLD = 0.6
MAX_PROVENANCE = 10  # events kept per lesson: the origin and the latest changes
MAX_IMPORT_BYTES = 1024 * 1024
MAX_NOTE_CHARS = 300
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_WORD = re.compile(r"[a-z0-9]+")
# Words that carry no lesson: two lessons sharing only these are not alike.
_STOPWORDS = frozenset(
    "a an the and or of to in on at for with by from as is are be it its this that these those each every "
    "all any use make draw keep your you so than then into over under more less very should must".split()
)


class LibraryError(ValueError):
    """A bad library name, version, file or lesson; the message says what and where."""


def now_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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


# ---------------------------------------------------------------------------
# The database file


class Database:
    """One SQLite connection, shared by the library and run stores (thread-safe, reentrant transactions).

    WAL mode lets a reader (the HTTP server, ``library show``) look while a learning run writes.
    ``transaction()`` nests through savepoints: an inner failure rolls back only its own part,
    and nothing is visible to others until the outermost block commits.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")  # a committed lesson survives a power cut too
            self.conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as e:
            raise LibraryError(f"{self.path}: cannot open the threedraw database ({e})") from None
        except OSError as e:
            raise LibraryError(f"{self.path.parent}: cannot create the data folder ({e.strerror or e})") from None
        self._lock = threading.RLock()
        self._depth = 0
        self._schemas: set[str] = set()

    @classmethod
    def open(cls, data_dir: str | Path | None = None) -> "Database":
        return cls(Path(data_dir).expanduser() / DB_FILE if data_dir else default_data_dir() / DB_FILE)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            depth = self._depth
            try:
                self.conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT sp{depth}")
            except sqlite3.DatabaseError as e:
                raise LibraryError(f"{self.path.name}: {e}") from None
            self._depth += 1
            try:
                yield self.conn
            except BaseException as e:
                self._depth -= 1
                self.conn.execute("ROLLBACK" if depth == 0 else f"ROLLBACK TO sp{depth}")
                if depth:
                    self.conn.execute(f"RELEASE sp{depth}")
                if isinstance(e, sqlite3.DatabaseError):  # disk full, I/O error, a locked file
                    raise LibraryError(f"{self.path.name}: {e}; nothing was changed") from None
                raise
            self._depth -= 1
            if depth:
                self.conn.execute(f"RELEASE sp{depth}")
                return
            try:
                self.conn.execute("COMMIT")
            except sqlite3.DatabaseError as e:  # disk full, I/O error: nothing of this transaction stays
                self.conn.execute("ROLLBACK")
                raise LibraryError(f"{self.path.name}: could not save ({e}); nothing was changed") from None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self.conn.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as e:
                raise LibraryError(f"{self.path.name}: {e}") from None

    def ensure_schema(self, sql: str) -> None:
        """Create the tables a store needs (once per connection and schema).

        Statement by statement inside a transaction: ``executescript`` would commit whatever
        transaction another part of this process has open.
        """
        with self._lock:
            if sql in self._schemas:
                return
            try:
                with self.transaction() as c:
                    for statement in sql.split(";"):
                        if statement.strip():
                            c.execute(statement)
            except sqlite3.DatabaseError as e:
                raise LibraryError(f"{self.path}: not a usable threedraw database ({e})") from None
            self._schemas.add(sql)

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------
# Lessons and operations (pure Python)


@dataclass(frozen=True)
class Lesson:
    id: str  # stable within its library: L1, L2, ...
    text: str
    created_at: str
    updated_at: str
    support: int = 1  # how many comparisons found it (added once, merged into later)
    provenance: tuple[dict[str, Any], ...] = ()  # the origin first, then the latest changes

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "support": self.support,
            "provenance": [dict(p) for p in self.provenance],
        }

    @classmethod
    def from_dict(cls, data: Any, where: str = "lesson") -> "Lesson":
        if not isinstance(data, dict):
            raise LibraryError(f"{where}: expected an object with 'text'")
        text = clean_lesson_text(data.get("text"), where + ".text")
        stamps: list[str] = []
        for key in ("created_at", "updated_at"):
            v = data.get(key, stamps[0] if stamps else now_utc())
            if not isinstance(v, str) or len(v) > 40:
                raise LibraryError(f"{where}.{key}: expected a timestamp string")
            stamps.append(v)
        created, updated = stamps
        support = data.get("support", 1)
        if isinstance(support, bool) or not isinstance(support, int) or not 1 <= support <= 1_000_000:
            raise LibraryError(f"{where}.support: expected a positive whole number")
        prov = data.get("provenance", [])
        if not isinstance(prov, list) or not all(isinstance(p, dict) for p in prov):
            raise LibraryError(f"{where}.provenance: expected a list of objects")
        lid = data.get("id", "")
        if not isinstance(lid, str) or len(lid) > 32:
            raise LibraryError(f"{where}.id: expected a short string")
        return cls(lid, text, created, updated, support, tuple(_bounded_provenance(prov)))


@dataclass(frozen=True)
class Operation:
    op: str  # add | modify | delete | keep
    id: str | None = None  # the lesson's stable id (modify, delete)
    text: str | None = None  # the new text (add, modify)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"op": self.op}
        if self.id is not None:
            d["id"] = self.id
        if self.text is not None:
            d["text"] = self.text
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Operation":
        return cls(str(d["op"]), d.get("id"), d.get("text"))


OPERATIONS = ("add", "modify", "delete", "keep")


@dataclass
class Applied:
    """What applying a batch of operations did: the new list and one event per effect."""

    lessons: list[Lesson]
    next_id: int
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(e["event"] not in ("keep", "skip") for e in self.events)

    @property
    def learned(self) -> list[dict[str, Any]]:
        """The events that changed the library (adds, modifications, deletions, merges, evictions)."""
        return [e for e in self.events if e["event"] not in ("keep", "skip")]


def clean_lesson_text(text: Any, where: str = "lesson") -> str:
    """Whitespace-normalised lesson text; LibraryError when empty or too long."""
    if not isinstance(text, str):
        raise LibraryError(f"{where}: expected text")
    text = " ".join(text.split())
    if not text:
        raise LibraryError(f"{where}: empty")
    words = len(text.split())
    if words > MAX_LESSON_WORDS:
        raise LibraryError(f"{where}: {words} words, at most {MAX_LESSON_WORDS} allowed (aim for {TARGET_LESSON_WORDS})")
    if len(text) > MAX_LESSON_CHARS:
        raise LibraryError(f"{where}: {len(text)} characters, at most {MAX_LESSON_CHARS} allowed")
    return text


def similarity(a: str, b: str) -> float:
    """Jaccard overlap of the two lessons' content words (light plural folding); 1.0 = same words."""
    wa, wb = _content_words(a), _content_words(b)
    if not wa or not wb:
        return float(" ".join(a.lower().split()) == " ".join(b.lower().split()))
    return len(wa & wb) / len(wa | wb)


def _content_words(text: str) -> set[str]:
    words = set()
    for w in _WORD.findall(text.lower()):
        if w in _STOPWORDS:
            continue
        words.add(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w)
    return words


def apply_operations(
    lessons: Sequence[Lesson],
    ops: Iterable[Operation],
    *,
    next_id: int,
    provenance: dict[str, Any] | None = None,
    cap: int = DEFAULT_CAP,
    merge_threshold: float = DEFAULT_MERGE_THRESHOLD,
    when: str | None = None,
) -> Applied:
    """Apply judge operations in order, then merge near-duplicates and evict down to ``cap``.

    An operation that cannot apply (unknown id, bad text) is skipped with a ``skip`` event naming
    why; it never raises. Merging keeps the older lesson (its id and text) and adds the newer one's
    support. Eviction drops the least-supported, least recently changed lessons.
    """
    when = when or now_utc()
    prov = dict(provenance or {})
    out = list(lessons)
    events: list[dict[str, Any]] = []

    def find(lid: str | None) -> int | None:
        return next((i for i, x in enumerate(out) if x.id == lid), None)

    for op in ops:
        if op.op == "keep":
            events.append({"event": "keep"})
            continue
        if op.op not in OPERATIONS:
            events.append({"event": "skip", "op": op.to_dict(), "reason": f"unknown operation {op.op!r}"})
            continue
        text = None
        if op.op in ("add", "modify"):
            try:
                text = clean_lesson_text(op.text, f"{op.op} text")
            except LibraryError as e:
                events.append({"event": "skip", "op": op.to_dict(), "reason": str(e)})
                continue
        if op.op == "add":
            assert text is not None
            twin = _most_similar(out, text, merge_threshold)
            if twin is not None:
                out[twin] = _merged(out[twin], text, {**prov, "event": "merge", "at": when})
                events.append({"event": "merge", "id": out[twin].id, "text": text, "into": out[twin].text})
                continue
            lid = f"L{next_id}"
            next_id += 1
            out.append(Lesson(lid, text, when, when, 1, ({**prov, "event": "add", "at": when},)))
            events.append({"event": "add", "id": lid, "text": text})
            continue
        i = find(op.id)
        if i is None:
            events.append({"event": "skip", "op": op.to_dict(), "reason": f"{op.op} {op.id}: no such lesson"})
            continue
        if op.op == "delete":
            events.append({"event": "delete", "id": out[i].id, "text": out[i].text})
            del out[i]
        else:
            assert text is not None
            old = out[i]
            if text == old.text:
                events.append({"event": "keep", "id": old.id})
                continue
            out[i] = replace(old, text=text, updated_at=when,
                             provenance=_bounded_provenance([*old.provenance, {**prov, "event": "modify", "at": when,
                                                                                 "previous": old.text}]))
            events.append({"event": "modify", "id": old.id, "text": text, "previous": old.text})

    out, merge_events = _merge_duplicates(out, merge_threshold, prov, when)
    events += merge_events
    while len(out) > cap:
        # Least support first, then the least recently changed, then the oldest position.
        victim = min(range(len(out)), key=lambda k: (out[k].support, out[k].updated_at, k))
        events.append({"event": "evict", "id": out[victim].id, "text": out[victim].text, "reason": f"cap {cap}"})
        del out[victim]
    return Applied(out, next_id, events)


def _most_similar(lessons: Sequence[Lesson], text: str, threshold: float) -> int | None:
    best, best_sim = None, threshold
    for i, lesson in enumerate(lessons):
        sim = similarity(lesson.text, text)
        if sim >= best_sim:
            best, best_sim = i, sim
    return best


def _merged(keep: Lesson, other_text: str, event: dict[str, Any], extra_support: int = 1) -> Lesson:
    ev = {**event, "merged_text": other_text}
    return replace(keep, support=keep.support + extra_support, updated_at=event["at"],
                   provenance=_bounded_provenance([*keep.provenance, ev]))


def _merge_duplicates(lessons: list[Lesson], threshold: float, prov: dict[str, Any], when: str):
    """Fold each lesson into an earlier near-duplicate (a modify can make two lessons alike)."""
    out: list[Lesson] = []
    events = []
    for lesson in lessons:
        twin = _most_similar(out, lesson.text, threshold)
        if twin is None:
            out.append(lesson)
            continue
        out[twin] = _merged(out[twin], lesson.text, {**prov, "event": "merge", "at": when, "merged_id": lesson.id},
                            extra_support=lesson.support)
        events.append({"event": "merge", "id": out[twin].id, "merged_id": lesson.id, "text": lesson.text,
                       "into": out[twin].text})
    return out, events


def _bounded_provenance(events: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    events = list(events)
    if len(events) > MAX_PROVENANCE:
        events = [events[0], *events[-(MAX_PROVENANCE - 1):]]
    return tuple(events)


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise LibraryError(
            f"library name {name!r}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def check_cap(cap: Any) -> int:
    if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= MAX_CAP:
        raise LibraryError(f"cap {cap!r}: expected a whole number from 1 to {MAX_CAP}")
    return cap


# ---------------------------------------------------------------------------
# The store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS libraries (
    name TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    head INTEGER NOT NULL,
    latest INTEGER NOT NULL,
    next_lesson INTEGER NOT NULL,
    cap INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS library_versions (
    library TEXT NOT NULL REFERENCES libraries(name) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    parent INTEGER,
    created_at TEXT NOT NULL,
    note TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (library, version)
);
CREATE TABLE IF NOT EXISTS lessons (
    library TEXT NOT NULL,
    version INTEGER NOT NULL,
    position INTEGER NOT NULL,
    id TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    support INTEGER NOT NULL,
    provenance TEXT NOT NULL,
    PRIMARY KEY (library, version, position),
    FOREIGN KEY (library, version) REFERENCES library_versions(library, version) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS library_heads (
    library TEXT NOT NULL REFERENCES libraries(name) ON DELETE CASCADE,
    at TEXT NOT NULL,
    version INTEGER NOT NULL,
    previous INTEGER,
    reason TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class LibraryInfo:
    name: str
    head: int  # the version users draw with
    latest: int  # the newest version (a learning run may be ahead of the head)
    cap: int
    lessons: int  # at the head
    created_at: str
    updated_at: str  # when the head version was made

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class VersionInfo:
    version: int
    parent: int | None
    created_at: str
    note: str
    source: dict[str, Any]
    lessons: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class LibraryStore:
    """Named experience libraries in a ``Database``; see the module docstring.

    (Annotations say ``builtins.list``: the ``list`` method would shadow the type here.)
    """

    def __init__(self, db: Database):
        self.db = db
        db.ensure_schema(_SCHEMA)

    @classmethod
    def open(cls, data_dir: str | Path | None = None) -> "LibraryStore":
        return cls(Database.open(data_dir))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "LibraryStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------
    def list(self) -> builtins.list[LibraryInfo]:
        rows = self.db.query("SELECT name FROM libraries ORDER BY name")
        return [self.info(r["name"]) for r in rows]

    def exists(self, name: str) -> bool:
        return bool(self.db.query("SELECT 1 FROM libraries WHERE name = ?", (name,)))

    def info(self, name: str) -> LibraryInfo:
        row = self._row(name)
        head = row["head"]
        ver = self.db.query("SELECT created_at FROM library_versions WHERE library = ? AND version = ?", (name, head))
        count = self.db.query("SELECT COUNT(*) AS n FROM lessons WHERE library = ? AND version = ?", (name, head))
        return LibraryInfo(name, head, row["latest"], row["cap"], count[0]["n"], row["created_at"],
                           ver[0]["created_at"] if ver else row["created_at"])

    def lessons(self, name: str, version: int | None = None) -> builtins.list[Lesson]:
        """The lessons of ``version`` (default: the head), in order."""
        v = self._version(name, version)
        rows = self.db.query(
            "SELECT * FROM lessons WHERE library = ? AND version = ? ORDER BY position", (name, v)
        )
        return [
            Lesson(r["id"], r["text"], r["created_at"], r["updated_at"], r["support"],
                   tuple(json.loads(r["provenance"])))
            for r in rows
        ]

    def next_lesson_id(self, name: str) -> int:
        """The number the library's next new lesson gets (L<n>)."""
        return int(self._row(name)["next_lesson"])

    def versions(self, name: str) -> builtins.list[VersionInfo]:
        self._row(name)
        rows = self.db.query(
            "SELECT v.*, (SELECT COUNT(*) FROM lessons l WHERE l.library = v.library AND l.version = v.version) AS n "
            "FROM library_versions v WHERE v.library = ? ORDER BY v.version",
            (name,),
        )
        return [VersionInfo(r["version"], r["parent"], r["created_at"], r["note"], json.loads(r["source"]), r["n"])
                for r in rows]

    def head_history(self, name: str) -> builtins.list[dict[str, Any]]:
        self._row(name)
        rows = self.db.query("SELECT * FROM library_heads WHERE library = ? ORDER BY rowid", (name,))
        return [{"at": r["at"], "version": r["version"], "previous": r["previous"], "reason": r["reason"]}
                for r in rows]

    # -- writing ---------------------------------------------------------------
    def create(self, name: str, cap: int = DEFAULT_CAP) -> LibraryInfo:
        check_name(name)
        check_cap(cap)
        with self.db.transaction() as c:
            if self.exists(name):
                raise LibraryError(f"a library named {name!r} exists already")
            when = now_utc()
            c.execute("INSERT INTO libraries VALUES (?, ?, 0, 0, 1, ?)", (name, when, cap))
            c.execute("INSERT INTO library_versions VALUES (?, 0, NULL, ?, 'created, empty', '{}')", (name, when))
            c.execute("INSERT INTO library_heads VALUES (?, ?, 0, NULL, 'created')", (name, when))
        return self.info(name)

    def ensure(self, name: str, cap: int | None = None) -> LibraryInfo:
        """The library, created (empty) when missing."""
        with self.db.transaction():
            if not self.exists(check_name(name)):
                return self.create(name, DEFAULT_CAP if cap is None else cap)
            return self.info(name)

    def set_cap(self, name: str, cap: int) -> None:
        with self.db.transaction() as c:
            self._row(name)
            c.execute("UPDATE libraries SET cap = ? WHERE name = ?", (check_cap(cap), name))

    def commit(
        self,
        name: str,
        lessons: Sequence[Lesson],
        *,
        parent: int | None,
        note: str,
        source: dict[str, Any] | None = None,
        next_id: int | None = None,
        publish: bool = True,
    ) -> int:
        """Write ``lessons`` as a new version (the head too when ``publish``); returns its number."""
        with self.db.transaction() as c:
            row = self._row(name)
            if len(lessons) > MAX_CAP:
                raise LibraryError(f"library {name}: {len(lessons)} lessons, at most {MAX_CAP} allowed")
            if parent is not None:
                self._version(name, parent)
            version = row["latest"] + 1
            when = now_utc()
            c.execute(
                "INSERT INTO library_versions VALUES (?, ?, ?, ?, ?, ?)",
                (name, version, parent, when, note[:MAX_NOTE_CHARS], json.dumps(source or {})),
            )
            c.executemany(
                "INSERT INTO lessons VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(name, version, pos, x.id, x.text, x.created_at, x.updated_at, x.support,
                  json.dumps(list(x.provenance))) for pos, x in enumerate(lessons)],
            )
            nxt = max(row["next_lesson"], next_id or 0, _next_free_id(lessons))
            c.execute("UPDATE libraries SET latest = ?, next_lesson = ? WHERE name = ?", (version, nxt, name))
            if publish:
                self.set_head(name, version, note)
        return version

    def apply(
        self,
        name: str,
        ops: Iterable[Operation],
        *,
        base: int | None = None,
        provenance: dict[str, Any] | None = None,
        note: str = "operations",
        publish: bool = True,
        merge_threshold: float = DEFAULT_MERGE_THRESHOLD,
    ) -> tuple[int, Applied]:
        """Apply operations to version ``base`` (default: the head) in one transaction.

        Returns the new version (``base`` itself when nothing changed) and what was done.
        """
        with self.db.transaction():
            row = self._row(name)
            base = self._version(name, base)
            applied = apply_operations(
                self.lessons(name, base), ops, next_id=row["next_lesson"], provenance=provenance,
                cap=row["cap"], merge_threshold=merge_threshold,
            )
            if not applied.changed:
                return base, applied
            version = self.commit(name, applied.lessons, parent=base, note=note, source=provenance,
                                  next_id=applied.next_id, publish=publish)
            return version, applied

    def set_head(self, name: str, version: int, reason: str) -> None:
        with self.db.transaction() as c:
            row = self._row(name)
            self._version(name, version)
            if row["head"] == version:
                return
            c.execute("UPDATE libraries SET head = ? WHERE name = ?", (version, name))
            c.execute("INSERT INTO library_heads VALUES (?, ?, ?, ?, ?)",
                      (name, now_utc(), version, row["head"], reason[:MAX_NOTE_CHARS]))

    def restore(self, name: str, version: int) -> int:
        """Make ``version``'s lessons the head again, as a new version (history stays linear)."""
        with self.db.transaction():
            lessons = self.lessons(name, self._version(name, version))
            return self.commit(name, lessons, parent=version, note=f"restored from version {version}",
                               source={"restored_from": version})

    # -- JSON ------------------------------------------------------------------
    def export(self, name: str, version: int | None = None) -> dict[str, Any]:
        info = self.info(name)
        v = self._version(name, version)
        return {
            "format": FORMAT,
            "name": name,
            "version": v,
            "cap": info.cap,
            "exported_at": now_utc(),
            "lessons": [x.to_dict() for x in self.lessons(name, v)],
        }

    def import_(self, data: Any, name: str | None = None, *, origin: str = "import") -> tuple[str, int]:
        """Import an exported library: a new library, or a new version of an existing one."""
        file_name, cap, lessons = parse_export(data, origin)
        if name is None:
            if file_name is None:
                raise LibraryError(f"{origin}: no library name in the file; give one with --name")
            name = file_name
        check_name(name)
        with self.db.transaction():
            created = not self.exists(name)
            if created:
                self.create(name, cap)
            row = self._row(name)
            cap = row["cap"]
            if len(lessons) > cap:
                raise LibraryError(f"{origin}: {len(lessons)} lessons, more than library {name}'s cap of {cap}")
            # Ids from another library may clash with ours or be missing: give clashing ones fresh ids.
            nxt = row["next_lesson"]
            seen: set[str] = set()
            fixed = []
            for x in lessons:
                if not re.fullmatch(r"L\d+", x.id) or x.id in seen:
                    x = replace(x, id=f"L{nxt}")
                    nxt += 1
                seen.add(x.id)
                fixed.append(x)
            version = self.commit(name, fixed, parent=row["head"], note=f"imported {len(fixed)} lessons",
                                  source={"imported": origin}, next_id=nxt)
            return name, version

    # -- helpers ---------------------------------------------------------------
    def _row(self, name: str) -> sqlite3.Row:
        rows = self.db.query("SELECT * FROM libraries WHERE name = ?", (name,))
        if not rows:
            known = [r["name"] for r in self.db.query("SELECT name FROM libraries ORDER BY name LIMIT 20")]
            hint = f" (known: {', '.join(known)})" if known else " (there are none yet)"
            raise LibraryError(f"no library named {name!r}{hint}")
        return rows[0]

    def _version(self, name: str, version: int | None) -> int:
        row = self._row(name)
        if version is None:
            return int(row["head"])
        if isinstance(version, bool) or not isinstance(version, int):
            raise LibraryError(f"library {name}: version {version!r} is not a whole number")
        if not self.db.query("SELECT 1 FROM library_versions WHERE library = ? AND version = ?", (name, version)):
            raise LibraryError(f"library {name}: no version {version} (versions 0 to {row['latest']})")
        return version


def parse_export(data: Any, origin: str) -> tuple[str | None, int, list[Lesson]]:
    """Check an exported library object; LibraryError names the file and the bad field."""
    if not isinstance(data, dict):
        raise LibraryError(f"{origin}: expected a JSON object with format {FORMAT!r}")
    if data.get("format") != FORMAT:
        raise LibraryError(f"{origin}: format {data.get('format')!r}, expected {FORMAT!r}")
    raw = data.get("lessons")
    if not isinstance(raw, list):
        raise LibraryError(f"{origin}: 'lessons' must be a list")
    if len(raw) > MAX_CAP:
        raise LibraryError(f"{origin}: {len(raw)} lessons, at most {MAX_CAP} allowed")
    lessons = [Lesson.from_dict(x, f"{origin}: lessons[{i}]") for i, x in enumerate(raw)]
    cap = data.get("cap", DEFAULT_CAP)
    try:
        cap = check_cap(cap)
    except LibraryError as e:
        raise LibraryError(f"{origin}: {e}") from None
    name = data.get("name")
    return (name if isinstance(name, str) else None), max(cap, len(lessons)), lessons


def read_export_file(path: str | Path) -> Any:
    p = Path(path)
    try:
        return json.loads(read_text(p, MAX_IMPORT_BYTES))
    except FileReadError as e:
        raise LibraryError(str(e)) from None
    except json.JSONDecodeError as e:
        raise LibraryError(f"{p.name}: not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})") from None


def _next_free_id(lessons: Sequence[Lesson]) -> int:
    nums = [int(x.id[1:]) for x in lessons if re.fullmatch(r"L\d+", x.id)]
    return max(nums, default=0) + 1

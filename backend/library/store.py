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

The lessons and their operations are pure logic in ``threedraw.library.lessons``. One SQLite
file per data directory (``threedraw.storage``) holds the libraries and the learning runs
(``threedraw.library.runs``), so a learning step's library version and its run record commit
together: a crash never leaves one without the other.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..shared.files import FileReadError, read_text
from ..shared.results.fields import Record
from ..storage import Database, StorageError, now_utc
from .lessons import (
    DEFAULT_CAP,
    DEFAULT_MERGE_THRESHOLD,
    MAX_CAP,
    Applied,
    Lesson,
    LibraryError,
    Operation,
    apply_operations,
    check_cap,
    check_name,
)

FORMAT = "threedraw.library/1"
MAX_IMPORT_BYTES = 1024 * 1024
MAX_NOTE_CHARS = 300


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
    checksum TEXT,
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
    source: Record  # what made the version: a run's or refine's provenance, an import
    lessons: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class HeadChange:
    """One move of a library's head (``library show --json``'s ``heads``)."""

    at: str
    version: int
    previous: int | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class LibraryStore:
    """Named experience libraries in a ``Database``; see the module docstring.

    (Annotations say ``builtins.list``: the ``list`` method would shadow the type here.)
    """

    def __init__(self, db: Database):
        self.db = db
        db.ensure_schema(_SCHEMA)
        self._add_checksums()

    @classmethod
    def open(cls, data_dir: str | Path | None = None) -> LibraryStore:
        """The store of a data folder; a folder or file that cannot hold one is a LibraryError saying why."""
        try:
            db = Database.open(data_dir)
        except StorageError as e:
            raise LibraryError(str(e)) from None
        try:
            return cls(db)
        except StorageError as e:
            db.close()
            raise LibraryError(str(e)) from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> LibraryStore:
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
        ver = self.db.query(
            "SELECT created_at FROM library_versions WHERE library = ? AND version = ?", (name, head)
        )
        count = self.db.query(
            "SELECT COUNT(*) AS n FROM lessons WHERE library = ? AND version = ?", (name, head)
        )
        return LibraryInfo(
            name,
            head,
            row["latest"],
            row["cap"],
            count[0]["n"],
            row["created_at"],
            ver[0]["created_at"] if ver else row["created_at"],
        )

    def lessons(self, name: str, version: int | None = None) -> builtins.list[Lesson]:
        """The lessons of ``version`` (default: the head), in order."""
        v = self._version(name, version)
        rows = self.db.query(
            "SELECT * FROM lessons WHERE library = ? AND version = ? ORDER BY position", (name, v)
        )
        lessons = [_lesson(r) for r in rows]
        for r, x in zip(rows, lessons, strict=True):
            stored = r["checksum"] if "checksum" in r.keys() else None  # a damaged file not yet upgraded
            if stored is not None and stored != lesson_checksum(x):
                raise StorageError(
                    f"library {name} version {v}, lesson {x.id}: its text does not match the checksum "
                    "stored with it (changed outside threedraw, or the file is damaged), so it is not "
                    f"used. To recover: threedraw library restore {name} N (an earlier version, see "
                    f"threedraw library show {name}), or threedraw library import FILE from an export"
                )
        return lessons

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
        return [
            VersionInfo(
                r["version"], r["parent"], r["created_at"], r["note"], json.loads(r["source"]), r["n"]
            )
            for r in rows
        ]

    def head_history(self, name: str) -> builtins.list[HeadChange]:
        """Every move of the library's head, oldest first."""
        self._row(name)
        rows = self.db.query("SELECT * FROM library_heads WHERE library = ? ORDER BY rowid", (name,))
        return [HeadChange(r["at"], r["version"], r["previous"], r["reason"]) for r in rows]

    # -- writing ---------------------------------------------------------------
    def create(self, name: str, cap: int = DEFAULT_CAP) -> LibraryInfo:
        check_name(name)
        check_cap(cap)
        with self.db.transaction() as c:
            if self.exists(name):
                raise LibraryError(f"a library named {name!r} exists already")
            when = now_utc()
            c.execute("INSERT INTO libraries VALUES (?, ?, 0, 0, 1, ?)", (name, when, cap))
            c.execute(
                "INSERT INTO library_versions VALUES (?, 0, NULL, ?, 'created, empty', '{}')", (name, when)
            )
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
        source: Record | None = None,
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
                "INSERT INTO lessons VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        name,
                        version,
                        pos,
                        x.id,
                        x.text,
                        x.created_at,
                        x.updated_at,
                        x.support,
                        json.dumps(list(x.provenance)),
                        lesson_checksum(x),
                    )
                    for pos, x in enumerate(lessons)
                ],
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
        provenance: Record | None = None,
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
                self.lessons(name, base),
                ops,
                next_id=row["next_lesson"],
                provenance=provenance,
                cap=row["cap"],
                merge_threshold=merge_threshold,
            )
            if not applied.changed:
                return base, applied
            version = self.commit(
                name,
                applied.lessons,
                parent=base,
                note=note,
                source=provenance,
                next_id=applied.next_id,
                publish=publish,
            )
            return version, applied

    def set_head(self, name: str, version: int, reason: str) -> None:
        with self.db.transaction() as c:
            row = self._row(name)
            self._version(name, version)
            if row["head"] == version:
                return
            c.execute("UPDATE libraries SET head = ? WHERE name = ?", (version, name))
            c.execute(
                "INSERT INTO library_heads VALUES (?, ?, ?, ?, ?)",
                (name, now_utc(), version, row["head"], reason[:MAX_NOTE_CHARS]),
            )

    def restore(self, name: str, version: int) -> int:
        """Make ``version``'s lessons the head again, as a new version (history stays linear)."""
        with self.db.transaction():
            lessons = self.lessons(name, self._version(name, version))
            return self.commit(
                name,
                lessons,
                parent=version,
                note=f"restored from version {version}",
                source={"restored_from": version},
            )

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
                raise LibraryError(
                    f"{origin}: {len(lessons)} lessons, more than library {name}'s cap of {cap}"
                )
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
            version = self.commit(
                name,
                fixed,
                parent=row["head"],
                note=f"imported {len(fixed)} lessons",
                source={"imported": origin},
                next_id=nxt,
            )
            return name, version

    # -- helpers ---------------------------------------------------------------
    def _add_checksums(self) -> None:
        """A database from before lesson checksums gets them, computed from its lessons as they are
        (after a backup beside it, as before any schema upgrade); a damaged one is only read."""
        if self.db.damage or _has_checksums(self.db.query("PRAGMA table_info(lessons)")):
            return
        self.db.backup("checksums")  # outside the transaction: SQLite cannot copy a file it is writing
        with self.db.transaction() as c:
            if _has_checksums(c.execute("PRAGMA table_info(lessons)").fetchall()):
                return  # another process upgraded it meanwhile
            c.execute("ALTER TABLE lessons ADD COLUMN checksum TEXT")
            rows = c.execute("SELECT rowid AS at, * FROM lessons").fetchall()
            c.executemany(
                "UPDATE lessons SET checksum = ? WHERE rowid = ?",
                [(lesson_checksum(_lesson(r)), r["at"]) for r in rows],
            )

    def _row(self, name: str) -> sqlite3.Row:
        rows = self.db.query("SELECT * FROM libraries WHERE name = ?", (name,))
        if not rows:
            if self.db.damage:  # a damaged page can hide a row: never call that "no such library"
                raise StorageError(self.db.damaged_message())
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
        if not self.db.query(
            "SELECT 1 FROM library_versions WHERE library = ? AND version = ?", (name, version)
        ):
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
        raise LibraryError(
            f"{p.name}: not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})"
        ) from None


def lesson_checksum(x: Lesson) -> str:
    """A lesson's checksum (SHA-256 of all it holds), stored with it and checked when it is read."""
    fields = [x.id, x.text, x.created_at, x.updated_at, x.support, list(x.provenance)]
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def _lesson(r: sqlite3.Row) -> Lesson:
    return Lesson(
        r["id"], r["text"], r["created_at"], r["updated_at"], r["support"], tuple(json.loads(r["provenance"]))
    )


def _has_checksums(table_info: Sequence[sqlite3.Row]) -> bool:
    return any(col["name"] == "checksum" for col in table_info)


def _next_free_id(lessons: Sequence[Lesson]) -> int:
    nums = [int(x.id[1:]) for x in lessons if re.fullmatch(r"L\d+", x.id)]
    return max(nums, default=0) + 1

"""Jobs and the sketches they made, in SQLite under the data dir, so they outlive the server.

The connection is the project's ``Database`` (the one the libraries use: shared between threads,
WAL, every change in a transaction), so a crash never leaves a half-written row. Every JSON column holds exactly what
the API returns, so a job read after a restart is the job the client saw before it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ...shared.results import JobError, JobProgress, SketchItem
from ...shared.results.fields import Record
from ...storage import Database, StorageError, dumps_finite
from .row import FINISHED, JobRow, SketchRow

SCHEMA_VERSION = 2  # 2: jobs.run_id
STATES = ("queued", "running", "succeeded", "failed", "cancelled")
MAX_LIST = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    request TEXT NOT NULL,
    progress TEXT NOT NULL,
    result TEXT,
    error TEXT,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    run_id TEXT
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
CREATE TABLE IF NOT EXISTS sketches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    job_id TEXT NOT NULL,
    prompt TEXT NOT NULL,
    strokes INTEGER NOT NULL,
    sketch TEXT NOT NULL,
    score TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sketches_job ON sketches(job_id);
"""


class JobStore:
    def __init__(self, path: Path):
        self.path = path
        try:
            self._db = Database(path)
            version = self._db.query("PRAGMA user_version")[0][0]
        except StorageError as e:
            raise _unusable(path, e) from None
        if version > SCHEMA_VERSION:
            self._db.close()
            raise StorageError(
                f"{path.name} was written by a newer threedraw (schema {version}); upgrade threedraw"
            )
        try:
            if 0 < version < SCHEMA_VERSION:
                self._db.backup(f"schema{version}")  # a way back if the upgrade goes wrong
            self._db.ensure_schema(_SCHEMA)
            with self._db.transaction() as c:
                if version == 1:
                    c.execute("ALTER TABLE jobs ADD COLUMN run_id TEXT")
                c.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except StorageError as e:
            raise _unusable(path, e) from None

    def close(self) -> None:
        self._db.close()

    def _exec(self, sql: str, args: Iterable[Any] = ()) -> int:
        """Run a change; the number of rows it touched."""
        with self._db.transaction() as c:
            return c.execute(sql, tuple(args)).rowcount

    def _query(self, sql: str, args: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return self._db.query(sql, tuple(args))

    # -- jobs -----------------------------------------------------------------
    def recover(self) -> int:
        """Jobs a previous server left queued or running end as failed ("interrupted"); how many.

        A learn job's error names its run and how to resume it."""
        with self._db.transaction() as c:
            rows = c.execute("SELECT id, run_id FROM jobs WHERE state IN ('queued','running')").fetchall()
            c.executemany(
                "UPDATE jobs SET state='failed', error=?, finished_at=? WHERE id=?",
                [
                    (dumps_finite(interrupted_error(r["run_id"]).to_dict()), time.time(), r["id"])
                    for r in rows
                ],
            )
            return len(rows)

    def set_run(self, job_id: str, run_id: str) -> None:
        self._exec("UPDATE jobs SET run_id=? WHERE id=?", (run_id, job_id))

    def insert(self, job_id: str, kind: str, request: Record, progress: JobProgress) -> None:
        self._exec(
            "INSERT INTO jobs (id, kind, state, request, progress, created_at) VALUES (?,?,?,?,?,?)",
            (job_id, kind, "queued", dumps_finite(request), dumps_finite(progress.to_dict()), time.time()),
        )

    def mark_running(self, job_id: str) -> bool:
        """queued -> running; False when the job is no longer queued (cancelled meanwhile)."""
        return (
            self._exec(
                "UPDATE jobs SET state='running', started_at=? WHERE id=? AND state='queued'",
                (time.time(), job_id),
            )
            == 1
        )

    def set_progress(self, job_id: str, progress: JobProgress) -> None:
        self._exec(
            "UPDATE jobs SET progress=? WHERE id=? AND state IN ('queued','running')",
            (dumps_finite(progress.to_dict()), job_id),
        )

    def finish(
        self, job_id: str, state: str, result: Record | None = None, error: JobError | None = None
    ) -> bool:
        """Move an unfinished job to a finished state (``result``: its JSON); False if it had already finished."""
        assert state in FINISHED
        return (
            self._exec(
                "UPDATE jobs SET state=?, result=?, error=?, finished_at=? "
                "WHERE id=? AND state IN ('queued','running')",
                (
                    state,
                    None if result is None else dumps_finite(result),
                    None if error is None else dumps_finite(error.to_dict()),
                    time.time(),
                    job_id,
                ),
            )
            == 1
        )

    def get(self, job_id: str) -> JobRow | None:
        rows = self._query("SELECT * FROM jobs WHERE id=?", (job_id,))
        return JobRow.from_row(rows[0], full=True) if rows else None

    def state(self, job_id: str) -> str | None:
        rows = self._query("SELECT state FROM jobs WHERE id=?", (job_id,))
        return str(rows[0]["state"]) if rows else None

    def list_jobs(self, kind: str | None = None, state: str | None = None, limit: int = 50) -> list[JobRow]:
        return [JobRow.from_row(r, full=False) for r in self._newest("jobs", limit, kind=kind, state=state)]

    def count(self, state: str) -> int:
        return int(self._query("SELECT COUNT(*) FROM jobs WHERE state=?", (state,))[0][0])

    def prune(self, keep: int) -> int:
        """Delete the oldest finished jobs (and their sketches) beyond the newest ``keep``."""
        with self._db.transaction() as c:
            rows = c.execute(
                "SELECT id FROM jobs WHERE state IN ('succeeded','failed','cancelled') ORDER BY seq DESC LIMIT -1 "
                "OFFSET ?",
                (keep,),
            ).fetchall()
            ids = [(r["id"],) for r in rows]
            c.executemany("DELETE FROM sketches WHERE job_id=?", ids)
            c.executemany("DELETE FROM jobs WHERE id=?", ids)
            return len(ids)

    # -- sketches -------------------------------------------------------------
    def add_sketches(self, job_id: str, items: list[SketchItem]) -> None:
        """Store the sketches a job made (each kept under its id, with its score)."""
        now = time.time()
        rows = [
            (
                it.id,
                job_id,
                it.sketch.prompt,
                len(it.sketch.strokes),
                dumps_finite(it.sketch.to_dict()),
                None if it.score is None else dumps_finite(it.score.to_dict()),
                now,
            )
            for it in items
        ]
        with self._db.transaction() as c:
            c.executemany(
                "INSERT INTO sketches (id, job_id, prompt, strokes, sketch, score, created_at) "
                "VALUES (?,?,?,?,?,?,?)",
                rows,
            )

    def sketch(self, sketch_id: str) -> SketchRow | None:
        rows = self._query("SELECT * FROM sketches WHERE id=?", (sketch_id,))
        return SketchRow.from_row(rows[0], whole=True) if rows else None

    def list_sketches(self, job_id: str | None = None, limit: int = 50) -> list[SketchRow]:
        return [SketchRow.from_row(r, whole=False) for r in self._newest("sketches", limit, job_id=job_id)]

    def _newest(self, table: str, limit: int, **equal: str | None) -> list[sqlite3.Row]:
        """A table's newest rows (at most MAX_LIST) whose columns equal the values given (None: any)."""
        given = {col: v for col, v in equal.items() if v}  # column names come from code, never a request
        where = " WHERE " + " AND ".join(f"{col}=?" for col in given) if given else ""
        return self._query(
            f"SELECT * FROM {table}{where} ORDER BY seq DESC LIMIT ?", [*given.values(), min(limit, MAX_LIST)]
        )


def interrupted_error(run_id: str | None, detail: Any = None) -> JobError:
    """The error of a job the server stopped; a learn job's says how to go on with its run."""
    if run_id is None:
        return JobError("interrupted", "the server stopped before this job finished; submit it again", detail)
    return JobError(
        "interrupted",
        f"the server stopped before this job finished; its learning run {run_id} keeps every finished "
        f"step: resume it with POST /v1/runs/{run_id}/resume",
        {"run_id": run_id, "resume": f"POST /v1/runs/{run_id}/resume"},
    )


def _unusable(path: Path, e: StorageError) -> StorageError:
    return StorageError(
        f"{path.name} in the data dir cannot be used as the job database ({e}); "
        "move it away or choose another --data-dir"
    )

"""Learning-run records: every candidate, score, judge reply and operation of a run, in SQLite.

A run (``threedraw learn``) is a sequence of steps, each keyed by (kind, epoch, index):
``learn`` steps (one query of the training set in one epoch) and ``val`` steps (one validation
prompt drawn with the library at the end of an epoch; epoch 0 is the starting library).

A learn step is saved twice: ``scored`` once its candidates are drawn and scored (so a crash
during the judge call never pays for drawing again), and ``done`` together with the library
version its operations produced, in one transaction. Resuming skips every ``done`` step and
picks a ``scored`` step up at the judge. Records live in the same database file as the
libraries (``threedraw.storage.Database``) for exactly that shared transaction.

Records hold model names and file *names*, never machine paths, keys or URLs.
"""

from __future__ import annotations

import builtins
import json
import os
import secrets
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..shared.results.fields import Record
from ..shared.results.learn_cost import EpochCost, RunCost
from ..shared.results.step_usage import StepUsage
from ..storage import Database, dumps_finite, now_utc
from .lessons import LibraryError

RUN_FORMAT = "threedraw.run/1"
KINDS = ("learn", "val")
RESUMABLE = ("running", "cancelled", "interrupted", "failed")
MAX_RECORD_BYTES = 16 * 1024 * 1024  # one step: K candidates' replies and a judge reply

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    library TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    config TEXT NOT NULL,
    start_version INTEGER NOT NULL,
    work_version INTEGER NOT NULL,
    best_epoch INTEGER,
    best_version INTEGER,
    best_score REAL,
    error TEXT,
    owner TEXT
);
CREATE TABLE IF NOT EXISTS run_steps (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    prompt TEXT NOT NULL,
    status TEXT NOT NULL,
    base_version INTEGER,
    result_version INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (run_id, kind, epoch, idx)
);
CREATE TABLE IF NOT EXISTS run_epochs (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    version INTEGER NOT NULL,
    score REAL,
    finished_at TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (run_id, epoch)
);
"""


class RunError(LibraryError):
    """No such run, or a run that cannot be resumed; the message says which and why."""


@dataclass(frozen=True)
class RunInfo:
    id: str
    library: str
    status: str  # running | done | cancelled | interrupted | failed
    created_at: str
    updated_at: str
    config: Record  # the run's settings: learn (LearnConfig.to_dict), provider, scoring
    start_version: int
    work_version: int  # the library version the next learn step builds on
    best_epoch: int | None
    best_version: int | None
    best_score: float | None
    error: str | None
    owner: str | None  # "host:pid" of the process running it

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d.pop("owner")
        return d


@dataclass(frozen=True)
class StepRow:
    kind: str
    epoch: int
    index: int
    prompt: str
    status: str  # scored | done
    base_version: int | None
    result_version: int | None
    created_at: str
    updated_at: str
    # The step's own record, as the learner (threedraw.cke.step_records) wrote it: a round, the
    # judge's reply, events, usage. Kept as stored so an export is exactly what was saved.
    record: Record

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def usage(self) -> StepUsage:
        """The step's usage (none yet: zeros)."""
        return StepUsage.from_dict(self.record.get("usage") or {})


@dataclass(frozen=True)
class EpochRow:
    epoch: int
    version: int
    score: float | None
    finished_at: str
    detail: Record  # the epoch's scores and notes

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# Runs this process is running now: a server runs several in one process, so its pid alone
# cannot tell a live run from one a crashed job left marked running.
_ACTIVE: set[str] = set()
_ACTIVE_LOCK = threading.Lock()


def owner_tag() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _mark_active(run_id: str, active: bool) -> None:
    with _ACTIVE_LOCK:
        (_ACTIVE.add if active else _ACTIVE.discard)(run_id)


def _alive(run: RunInfo) -> bool:
    """Whether a 'running' run is really running (another machine's: assume so)."""
    owner = run.owner
    if run.status != "running" or not owner or ":" not in owner:
        return False
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname():
        return True
    if pid.isdigit() and int(pid) == os.getpid():
        with _ACTIVE_LOCK:
            return run.id in _ACTIVE
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunStore:
    def __init__(self, db: Database):
        self.db = db
        db.ensure_schema(_SCHEMA)

    # -- runs ------------------------------------------------------------------
    def create(self, library: str, config: Record, start_version: int) -> RunInfo:
        run_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
        when = now_utc()
        with self.db.transaction() as c:
            c.execute(
                "INSERT INTO runs VALUES (?, ?, 'running', ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, ?)",
                (
                    run_id,
                    library,
                    when,
                    when,
                    dumps_finite(config),
                    start_version,
                    start_version,
                    owner_tag(),
                ),
            )
        _mark_active(run_id, True)
        return self.get(run_id)

    def running(self, library: str) -> builtins.list[RunInfo]:
        """Runs learning ``library`` right now (in this process or another live one)."""
        rows = self.db.query("SELECT * FROM runs WHERE library = ? AND status = 'running'", (library,))
        return [run for run in map(_run, rows) if _alive(run)]

    def refuse_concurrent(self, library: str) -> None:
        """RunError naming the run when ``library`` is being learned: two runs would race on its head."""
        for run in self.running(library):
            raise RunError(
                f"library {library} is being learned by run {run.id} (process {run.owner}, started "
                f"{run.created_at}); wait for it, stop it, or start another run anyway with "
                "--allow-concurrent (allow_concurrent over the API)"
            )

    def resume_problem(self, run: RunInfo) -> str | None:
        """Why ``run`` cannot be resumed now, or None."""
        if run.status == "done":
            return f"run {run.id} is finished; start a new run instead of resuming it"
        if _alive(run):
            return f"run {run.id} is still running (process {run.owner}); stop it before resuming"
        return None

    def get(self, run_id: str) -> RunInfo:
        rows = self.db.query("SELECT * FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise RunError(f"no learning run {run_id!r} (threedraw library show NAME lists a library's runs)")
        return _run(rows[0])

    def list(self, library: str | None = None, limit: int = 100) -> builtins.list[RunInfo]:
        if library is None:
            rows = self.db.query("SELECT * FROM runs ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,))
        else:
            rows = self.db.query(
                "SELECT * FROM runs WHERE library = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
                (library, limit),
            )
        return [_run(r) for r in rows]

    def latest(self, library: str | None = None, resumable: bool = False) -> RunInfo | None:
        for run in self.list(library):
            if not resumable or run.status in RESUMABLE:
                return run
        return None

    def claim(self, run_id: str) -> RunInfo:
        """Mark a run as running in this process; RunError when it is done or running elsewhere."""
        with self.db.transaction() as c:
            problem = self.resume_problem(self.get(run_id))
            if problem:
                raise RunError(problem)
            c.execute(
                "UPDATE runs SET status = 'running', error = NULL, owner = ?, updated_at = ? WHERE id = ?",
                (owner_tag(), now_utc(), run_id),
            )
        _mark_active(run_id, True)
        return self.get(run_id)

    def set_status(self, run_id: str, status: str, error: str | None = None) -> None:
        with self.db.transaction() as c:
            c.execute(
                "UPDATE runs SET status = ?, error = ?, owner = NULL, updated_at = ? WHERE id = ?",
                (status, error, now_utc(), run_id),
            )
        _mark_active(run_id, status == "running")

    def set_work_version(self, run_id: str, version: int) -> None:
        with self.db.transaction() as c:
            c.execute(
                "UPDATE runs SET work_version = ?, updated_at = ? WHERE id = ?", (version, now_utc(), run_id)
            )

    def set_best(self, run_id: str, epoch: int, version: int, score: float | None) -> None:
        with self.db.transaction() as c:
            c.execute(
                "UPDATE runs SET best_epoch = ?, best_version = ?, best_score = ?, updated_at = ? WHERE id = ?",
                (epoch, version, score, now_utc(), run_id),
            )

    # -- steps -----------------------------------------------------------------
    def note_adaptations(self, run_id: str, adaptations: dict[str, str]) -> None:
        """Keep what the provider adapted its requests to (``llm/adapt.py``: ``{"temperature":
        "default"}``) in the run's provider record, so a resumed run starts adapted."""
        if not adaptations:
            return
        with self.db.transaction() as c:
            row = c.execute("SELECT config FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                return
            config = json.loads(row["config"])
            provider = config.setdefault("provider", {})
            provider["adaptations"] = {**(provider.get("adaptations") or {}), **adaptations}
            c.execute("UPDATE runs SET config = ? WHERE id = ?", (dumps_finite(config), run_id))

    def step(self, run_id: str, kind: str, epoch: int, index: int) -> StepRow | None:
        rows = self.db.query(
            "SELECT * FROM run_steps WHERE run_id = ? AND kind = ? AND epoch = ? AND idx = ?",
            (run_id, kind, epoch, index),
        )
        return _step(rows[0]) if rows else None

    def steps(self, run_id: str, kind: str | None = None) -> builtins.list[StepRow]:
        sql = "SELECT * FROM run_steps WHERE run_id = ?" + (" AND kind = ?" if kind else "")
        rows = self.db.query(sql + " ORDER BY kind, epoch, idx", (run_id, kind) if kind else (run_id,))
        return [_step(r) for r in rows]

    def save_step(
        self,
        run_id: str,
        kind: str,
        epoch: int,
        index: int,
        prompt: str,
        status: str,
        record: Record,
        base_version: int | None = None,
        result_version: int | None = None,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"step kind {kind!r}: expected one of {KINDS}")
        text = dumps_finite(record)
        if len(text) > MAX_RECORD_BYTES:
            raise RunError(
                f"run {run_id}: the record of {kind} step {epoch}/{index + 1} is larger than "
                f"{MAX_RECORD_BYTES // (1024 * 1024)} MiB"
            )
        when = now_utc()
        with self.db.transaction() as c:
            c.execute(
                "INSERT INTO run_steps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (run_id, kind, epoch, idx) DO UPDATE SET status = excluded.status, "
                "base_version = excluded.base_version, result_version = excluded.result_version, "
                "updated_at = excluded.updated_at, record = excluded.record",
                (run_id, kind, epoch, index, prompt, status, base_version, result_version, when, when, text),
            )
            c.execute("UPDATE runs SET updated_at = ? WHERE id = ?", (when, run_id))

    # -- epochs ----------------------------------------------------------------
    def finish_epoch(
        self, run_id: str, epoch: int, version: int, score: float | None, detail: Record
    ) -> None:
        with self.db.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO run_epochs VALUES (?, ?, ?, ?, ?, ?)",
                (run_id, epoch, version, score, now_utc(), dumps_finite(detail)),
            )

    def epochs(self, run_id: str) -> builtins.list[EpochRow]:
        rows = self.db.query("SELECT * FROM run_epochs WHERE run_id = ? ORDER BY epoch", (run_id,))
        return [
            EpochRow(r["epoch"], r["version"], r["score"], r["finished_at"], json.loads(r["detail"]))
            for r in rows
        ]

    # -- summaries -------------------------------------------------------------
    def cost(self, run_id: str) -> RunCost:
        """LLM calls and tokens per object (one query drawn K times and judged), per epoch and overall:
        the learn result's ``cost``."""
        per_epoch: dict[int, EpochCost] = {}
        for s in self.steps(run_id, "learn"):
            if s.status == "done":
                e = per_epoch.get(s.epoch) or EpochCost(s.epoch)
                per_epoch[s.epoch] = EpochCost(s.epoch, e.objects + 1, e.usage + s.usage())
        val = sum((s.usage() for s in self.steps(run_id, "val")), StepUsage())
        return RunCost.of([per_epoch[epoch] for epoch in sorted(per_epoch)], val)

    def export(self, run_id: str) -> dict[str, Any]:
        """The whole run record as one JSON-ready object."""
        run = self.get(run_id)
        return {
            "format": RUN_FORMAT,
            "run": run.to_dict(),
            "epochs": [e.to_dict() for e in self.epochs(run_id)],
            "steps": [s.to_dict() for s in self.steps(run_id)],
            "cost": self.cost(run_id).to_dict(),
        }


def _run(r: Any) -> RunInfo:
    return RunInfo(
        r["id"],
        r["library"],
        r["status"],
        r["created_at"],
        r["updated_at"],
        json.loads(r["config"]),
        r["start_version"],
        r["work_version"],
        r["best_epoch"],
        r["best_version"],
        r["best_score"],
        r["error"],
        r["owner"],
    )


def _step(r: Any) -> StepRow:
    return StepRow(
        r["kind"],
        r["epoch"],
        r["idx"],
        r["prompt"],
        r["status"],
        r["base_version"],
        r["result_version"],
        r["created_at"],
        r["updated_at"],
        json.loads(r["record"]),
    )

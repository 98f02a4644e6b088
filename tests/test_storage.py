"""Storage faults are StorageErrors that say what failed: never a "no such library", never a 404."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import subprocess
import sys
from typing import Any

import pytest
from fastapi.testclient import TestClient

from threedraw.library.lessons import LibraryError, Operation
from threedraw.library.store import LibraryStore
from threedraw.server.app import create_app
from threedraw.server.jobs.store import JobStore
from threedraw.server.settings import ServerSettings
from threedraw.server.state import ServerState
from threedraw.storage import DB_FILE, Database, StorageError


class _FailingConnection:
    """A connection whose disk has gone: every statement fails as SQLite reports an I/O error."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
        if sql.split()[0].upper() in ("ROLLBACK", "RELEASE"):
            return self._conn.execute(sql, *args)
        raise sqlite3.OperationalError("disk I/O error")

    def __getattr__(self, name: str) -> object:
        return getattr(self._conn, name)


def test_a_disk_fault_is_a_storage_error_and_changes_nothing(tmp_path):
    db = Database.open(tmp_path)
    store = LibraryStore(db)
    store.create("chairs")
    db.conn = _FailingConnection(db.conn)  # type: ignore[assignment]
    with pytest.raises(StorageError, match=r"threedraw.sqlite3: .*disk I/O error") as caught:
        store.apply("chairs", [Operation("add", text="Join every leg to the seat.")])
    assert not isinstance(caught.value, LibraryError)
    with pytest.raises(StorageError, match="disk I/O error"):
        store.info("chairs")
    db.conn = db.conn._conn  # type: ignore[attr-defined]
    assert store.info("chairs").latest == 0
    db.close()


def test_the_server_answers_a_storage_fault_with_503_saying_what_failed(tmp_path):
    settings = ServerSettings(data_dir=tmp_path / "data", token_file=tmp_path / "token")
    state = ServerState(settings)
    LibraryStore(state.library_db).create("chairs")
    app = create_app(state, "secret")
    client = TestClient(app, base_url="http://127.0.0.1", headers={"Authorization": "Bearer secret"})
    try:
        assert client.get("/v1/libraries/chairs").status_code == 200
        assert client.get("/v1/libraries/nope").json()["error"]["code"] == "library_not_found"
        state.library_db.conn = _FailingConnection(state.library_db.conn)  # type: ignore[assignment]
        for path in ("/v1/libraries", "/v1/libraries/chairs", "/v1/libraries/chairs/export"):
            resp = client.get(path)
            err = resp.json()["error"]
            assert resp.status_code == 503 and err["code"] == "storage_unavailable", (path, resp.text)
            assert "disk I/O error" in err["message"] and "threedraw.sqlite3" in err["message"]
        resp = client.delete("/v1/libraries/chairs/lessons/L1")
        assert resp.status_code == 503 and resp.json()["error"]["code"] == "storage_unavailable"
    finally:
        state.library_db.conn = getattr(state.library_db.conn, "_conn", state.library_db.conn)
        state.store.close()
        state.library_db.close()


def _damaged_data_dir(tmp_path):
    """A data folder whose library database has a page overwritten (SQLite's check fails), and an export."""
    data = tmp_path / "data"
    with Database.open(data) as db:
        store = LibraryStore(db)
        for i in range(30):
            store.create(f"lib{i}")
            store.apply(f"lib{i}", [Operation("add", text=f"Lesson {i}: join every leg to the seat corner.")])
        export = tmp_path / "lib3.json"
        export.write_text(json.dumps(store.export("lib3")))
    path = data / DB_FILE
    size = path.stat().st_size
    with open(path, "r+b") as f:  # page 2 holds the libraries table: scribble over its cell pointers
        f.seek(4096 + 8)
        f.write(b"\xff" * 64)
    assert path.stat().st_size == size
    return data, path, export


def test_a_damaged_database_is_never_written_and_says_how_to_recover(tmp_path, cli):
    data, path, export = _damaged_data_dir(tmp_path)
    before = path.read_bytes()
    db = Database.open(data)
    assert db.damage and "page 2" in db.damage
    store = LibraryStore(db)
    for write in (
        lambda: store.create("new"),
        lambda: store.restore("lib3", 0),
        lambda: store.import_(json.loads(export.read_text()), "lib3"),
    ):
        with pytest.raises(
            StorageError, match="the database is damaged .*library import FILE .*backup"
        ) as caught:
            write()
        assert not isinstance(caught.value, LibraryError)
    db.close()
    for args in (("library", "import", str(export)), ("library", "restore", "lib3", "0")):
        out = cli(*args, "--data-dir", str(data))
        assert (
            out.returncode == 2 and "the database is damaged" in out.stderr and "Traceback" not in out.stderr
        )
    assert path.read_bytes() == before  # nothing was written into it

    state = ServerState(ServerSettings(data_dir=data))
    client = TestClient(
        create_app(state, "secret"), base_url="http://127.0.0.1", headers={"Authorization": "Bearer secret"}
    )
    try:
        resp = client.get("/v1/libraries/lib3")  # a hidden row is a damaged file, never "no such library"
        assert resp.status_code == 503 and resp.json()["error"]["code"] == "storage_unavailable", resp.text
        assert "damaged" in resp.json()["error"]["message"]
    finally:
        state.close()


def test_the_job_database_is_backed_up_before_its_schema_is_upgraded(tmp_path):
    path = tmp_path / "server.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, "
        "state TEXT NOT NULL, request TEXT NOT NULL, progress TEXT NOT NULL, result TEXT, error TEXT, "
        "created_at REAL NOT NULL, started_at REAL, finished_at REAL);"
        "INSERT INTO jobs (id, kind, state, request, progress, created_at) "
        "VALUES ('j1', 'learn', 'running', '{}', '{}', 0);"
        "PRAGMA user_version=1;"
    )
    old.close()
    store = JobStore(path)
    try:
        assert store.recover() == 1 and store.get("j1").run_id is None
        assert "submit it again" in store.get("j1").error.message
    finally:
        store.close()
    backup = sqlite3.connect(tmp_path / "server.sqlite3.schema1.bak")
    try:
        assert backup.execute("SELECT id, state FROM jobs").fetchall() == [("j1", "running")]
        assert backup.execute("PRAGMA user_version").fetchone()[0] == 1
    finally:
        backup.close()


def _open_when_released(path: str, barrier: Any, said: Any) -> None:
    barrier.wait()  # all at once, as the add-on's Start Backend and a terminal command on first use
    try:
        Database.open(path).close()
        said.put("ok")
    except StorageError as e:
        said.put(str(e))


def test_processes_opening_a_new_data_folder_together_all_succeed(tmp_path):
    ctx = multiprocessing.get_context("fork")
    for attempt in range(25):
        barrier, said = ctx.Barrier(6), ctx.Queue()
        folder = str(tmp_path / f"new{attempt}" / "data")
        procs = [ctx.Process(target=_open_when_released, args=(folder, barrier, said)) for _ in range(6)]
        for p in procs:
            p.start()
        answers = [said.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(timeout=60)
        assert answers == ["ok"] * 6, attempt


def test_threedraw_commands_started_together_on_a_new_data_folder_all_succeed(tmp_path):
    for attempt in range(2):
        folder = tmp_path / f"new{attempt}" / "data"
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "threedraw.cli", "library", "list", "--data-dir", str(folder)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(6)
        ]
        done = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0] * 6, [err for _, err in done]
        assert (folder / DB_FILE).is_file()

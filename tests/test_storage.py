"""Storage faults are StorageErrors that say what failed: never a "no such library", never a 404."""

from __future__ import annotations

import sqlite3

import pytest
from fastapi.testclient import TestClient

from threedraw.library.lessons import LibraryError, Operation
from threedraw.library.store import LibraryStore
from threedraw.server.app import create_app
from threedraw.server.settings import ServerSettings
from threedraw.server.state import ServerState
from threedraw.storage import Database, StorageError


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

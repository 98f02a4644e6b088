"""The experience library: operations, merging, the cap, versions, restore, JSON, transactions, CLI."""

from __future__ import annotations

import contextlib
import json
import sqlite3

import pytest

from threedraw.library.lessons import LibraryError, Operation, apply_operations, similarity
from threedraw.library.store import LibraryStore
from threedraw.storage import DB_FILE, Database, StorageError, default_data_dir

LEG = "Join every leg to the seat corner so the end points coincide exactly."
BACK = "Draw the backrest as two posts and a curved top rail above the seat."
CUBE = "Span at least three quarters of the cube with the whole object."
TWICE = "Never trace an edge twice; every edge appears exactly once."


@pytest.fixture
def store(tmp_path):
    s = LibraryStore.open(tmp_path / "data")
    yield s
    s.close()


def texts(lessons):
    return [x.text for x in lessons]


# -- operations in memory ------------------------------------------------------------


def test_each_operation_does_what_it_says():
    a = apply_operations(
        [],
        [Operation("add", text=LEG), Operation("add", text=BACK), Operation("add", text=CUBE)],
        next_id=1,
        provenance={"run": "r1", "query": "a chair", "pair": [0, 2]},
    )
    assert [x.id for x in a.lessons] == ["L1", "L2", "L3"] and texts(a.lessons) == [LEG, BACK, CUBE]
    assert a.next_id == 4 and a.changed
    assert a.lessons[0].provenance[0] == {
        "run": "r1",
        "query": "a chair",
        "pair": [0, 2],
        "event": "add",
        "at": a.lessons[0].created_at,
    }
    b = apply_operations(
        a.lessons,
        [Operation("modify", "L2", TWICE), Operation("delete", "L1"), Operation("keep")],
        next_id=a.next_id,
        provenance={"run": "r1"},
    )
    assert [x.id for x in b.lessons] == ["L2", "L3"] and texts(b.lessons) == [TWICE, CUBE]
    assert b.lessons[0].provenance[-1]["previous"] == BACK
    assert [e.event for e in b.events] == ["modify", "delete", "keep"]
    # keep alone changes nothing.
    c = apply_operations(b.lessons, [Operation("keep")], next_id=b.next_id)
    assert not c.changed and c.lessons == b.lessons


def test_operations_that_cannot_apply_are_skipped_with_a_reason():
    a = apply_operations([], [Operation("add", text=LEG)], next_id=1)
    b = apply_operations(
        a.lessons,
        [
            Operation("modify", "L9", BACK),
            Operation("delete", "L7"),
            Operation("add", text=" "),
            Operation("add", text="word " * 60),
            Operation("explode"),
        ],
        next_id=a.next_id,
    )
    assert texts(b.lessons) == [LEG] and not b.changed
    reasons = [e.reason for e in b.events]
    assert reasons[0] == "modify L9: no such lesson" and reasons[1] == "delete L7: no such lesson"
    assert (
        "empty" in reasons[2] and "60 words, at most 48" in reasons[3] and "unknown operation" in reasons[4]
    )


def test_near_duplicates_merge_into_the_older_lesson():
    assert similarity(LEG, "Join each leg to the seat corners so their end points coincide exactly!") >= 0.6
    assert similarity(LEG, BACK) < 0.3
    a = apply_operations([], [Operation("add", text=LEG), Operation("add", text=BACK)], next_id=1)
    b = apply_operations(
        a.lessons,
        [Operation("add", text="Join each leg to the seat corners so the end points coincide exactly.")],
        next_id=a.next_id,
    )
    assert texts(b.lessons) == [LEG, BACK] and b.lessons[0].support == 2 and b.next_id == a.next_id
    assert b.events[0].event == "merge" and b.events[0].id == "L1"
    # A modify that makes two lessons alike folds the later one into the earlier.
    c = apply_operations(
        b.lessons,
        [Operation("modify", "L2", "Join every leg exactly to the seat corner end points.")],
        next_id=b.next_id,
    )
    assert [x.id for x in c.lessons] == ["L1"] and c.lessons[0].support == 3
    assert [e.event for e in c.events] == ["modify", "merge"]


def test_the_cap_evicts_the_least_supported_then_the_oldest():
    a = apply_operations(
        [],
        [Operation("add", text=t) for t in (LEG, BACK, CUBE)],
        next_id=1,
        cap=3,
        when="2026-01-01T00:00:00Z",
    )
    a = apply_operations(
        a.lessons, [Operation("add", text=LEG)], next_id=a.next_id, cap=3, when="2026-01-02T00:00:00Z"
    )  # L1 now has support 2
    b = apply_operations(
        a.lessons, [Operation("add", text=TWICE)], next_id=a.next_id, cap=3, when="2026-01-03T00:00:00Z"
    )
    assert [x.id for x in b.lessons] == ["L1", "L3", "L4"]
    assert b.events[-1].to_dict() == {"event": "evict", "id": "L2", "text": BACK, "reason": "cap 3"}


# -- the store --------------------------------------------------------------------------


def test_every_change_is_a_version_and_any_version_can_be_restored(store):
    store.create("chairs", cap=8)
    v1, _ = store.apply("chairs", [Operation("add", text=LEG)], note="first")
    v2, _ = store.apply("chairs", [Operation("add", text=BACK)])
    v3, _ = store.apply("chairs", [Operation("delete", "L1"), Operation("modify", "L2", CUBE)])
    assert (v1, v2, v3) == (1, 2, 3)
    assert texts(store.lessons("chairs")) == [CUBE] and store.info("chairs").head == 3
    assert texts(store.lessons("chairs", 2)) == [LEG, BACK]
    same, applied = store.apply("chairs", [Operation("keep")])
    assert same == 3 and not applied.changed and store.info("chairs").latest == 3
    v4 = store.restore("chairs", 2)
    assert v4 == 4 and texts(store.lessons("chairs")) == [LEG, BACK]
    assert [x.id for x in store.lessons("chairs")] == ["L1", "L2"]
    # New lessons never reuse an id, even after a restore.
    store.apply("chairs", [Operation("add", text=TWICE)])
    assert [x.id for x in store.lessons("chairs")][-1] == "L3"
    assert [v.version for v in store.versions("chairs")] == [0, 1, 2, 3, 4, 5]
    assert store.versions("chairs")[4].note == "restored from version 2"
    assert [h.version for h in store.head_history("chairs")] == [0, 1, 2, 3, 4, 5]


def test_unpublished_versions_do_not_move_the_head(store):
    store.create("lib")
    v, _ = store.apply("lib", [Operation("add", text=LEG)], publish=False)
    assert store.info("lib").head == 0 and store.info("lib").latest == v == 1
    assert store.lessons("lib") == [] and texts(store.lessons("lib", 1)) == [LEG]
    store.set_head("lib", 1, "keep-best")
    assert texts(store.lessons("lib")) == [LEG] and store.head_history("lib")[-1].reason == "keep-best"


def test_a_failed_transaction_leaves_nothing_half_applied(store):
    store.create("lib")
    store.apply("lib", [Operation("add", text=LEG)])
    with pytest.raises(RuntimeError, match="crash"):
        with store.db.transaction():
            store.apply("lib", [Operation("add", text=BACK)])
            assert texts(store.lessons("lib")) == [LEG, BACK]  # visible inside the transaction
            raise RuntimeError("crash")
    assert texts(store.lessons("lib")) == [LEG] and store.info("lib").latest == 1
    assert [v.version for v in store.versions("lib")] == [0, 1]
    # A second connection (another process) sees the same committed state.
    other = sqlite3.connect(store.db.path)
    assert other.execute("SELECT COUNT(*) FROM library_versions WHERE library = 'lib'").fetchone()[0] == 2
    other.close()


def test_export_and_import_round_trip(store, tmp_path):
    store.create("src", cap=5)
    store.apply(
        "src",
        [Operation("add", text=LEG), Operation("add", text=BACK)],
        provenance={"run": "r9", "query": "a chair", "pair": [1, 4]},
    )
    data = store.export("src")
    assert data["format"] == "threedraw.library/1" and data["version"] == 1 and data["cap"] == 5
    name, version = store.import_(json.loads(json.dumps(data)), "copy")
    assert (name, version) == ("copy", 1)
    got = store.lessons("copy")
    assert texts(got) == [LEG, BACK] and [x.id for x in got] == ["L1", "L2"]
    assert got[0].provenance[0]["run"] == "r9" and got[0].provenance[0]["pair"] == [1, 4]
    # Importing into an existing library makes a new version; the old ones stay.
    name, version = store.import_(data)
    assert (name, version) == ("src", 2) and texts(store.lessons("src", 1)) == [LEG, BACK]


def test_bad_imports_name_the_problem_and_change_nothing(store):
    store.create("lib")
    store.apply("lib", [Operation("add", text=LEG)])
    bad = {"format": "threedraw.library/1", "name": "lib", "lessons": [{"text": BACK}, {"text": ""}]}
    with pytest.raises(LibraryError, match=r"lib.json: lessons\[1\].text: empty"):
        store.import_(bad, origin="lib.json")
    with pytest.raises(LibraryError, match="format None, expected 'threedraw.library/1'"):
        store.import_({"lessons": []}, origin="x.json")
    with pytest.raises(LibraryError, match="more than library lib's cap of 16"):
        store.import_(
            {
                "format": "threedraw.library/1",
                "cap": 40,
                "lessons": [{"text": f"Lesson number {i} about curve {i}."} for i in range(20)],
            },
            "lib",
        )
    assert texts(store.lessons("lib")) == [LEG] and store.info("lib").latest == 1


def test_names_versions_and_missing_libraries_are_checked(store):
    with pytest.raises(LibraryError, match="library name '../x'"):
        store.create("../x")
    store.create("ok")
    with pytest.raises(LibraryError, match="exists already"):
        store.create("ok")
    with pytest.raises(LibraryError, match=r"no library named 'nope' \(known: ok\)"):
        store.lessons("nope")
    with pytest.raises(LibraryError, match=r"library ok: no version 7 \(versions 0 to 0\)"):
        store.restore("ok", 7)


def test_a_file_that_is_not_a_database_is_refused_clearly(tmp_path):
    (tmp_path / DB_FILE).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(LibraryError, match="threedraw"):
        LibraryStore.open(tmp_path)
    assert (tmp_path / DB_FILE).read_bytes().startswith(b"this is not sqlite")


def test_default_data_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("THREEDRAW_DATA_DIR", str(tmp_path / "td"))
    assert default_data_dir() == tmp_path / "td"
    monkeypatch.delenv("THREEDRAW_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "threedraw"


# -- the CLI ---------------------------------------------------------------------------


def _chairs(tmp_path):
    """A data folder holding library chairs: version 1 with LEG, version 2 (the head) with BACK too."""
    data = tmp_path / "data"
    with Database.open(data) as db:
        store = LibraryStore(db)
        store.create("chairs")
        store.apply("chairs", [Operation("add", text=LEG)])
        store.apply("chairs", [Operation("add", text=BACK)])
    return data


def test_library_cli_export_import_restore(cli, tmp_path):
    data = _chairs(tmp_path)
    d = ["--data-dir", str(data)]
    r = cli("library", "list", *d)
    assert r.returncode == 0 and "chairs" in r.stdout and "2" in r.stdout.splitlines()[1]
    r = cli("library", "show", "chairs", *d)
    assert r.returncode == 0 and LEG in r.stdout and BACK in r.stdout and "G2 [L2" in r.stdout
    out = tmp_path / "chairs.json"
    r = cli("library", "export", "chairs", str(out), *d)
    assert r.returncode == 0 and json.loads(out.read_text())["lessons"][1]["text"] == BACK
    txt = tmp_path / "chairs.txt"
    assert cli("library", "export", "chairs", str(txt), "--version", "1", *d).returncode == 0
    assert txt.read_text().splitlines()[1:] == [LEG]
    r = cli("library", "import", str(out), "--name", "copy", *d)
    assert r.returncode == 0 and "into copy as version 1" in r.stdout
    r = cli("library", "restore", "chairs", "1", *d)
    assert r.returncode == 0 and "as version 3" in r.stdout
    r = cli("library", "show", "chairs", "--json", *d)
    shown = json.loads(r.stdout)
    assert [x["text"] for x in shown["lessons"]] == [LEG] and shown["library"]["head"] == 3
    # Errors: one clear line, exit 2, nothing changed.
    r = cli("library", "restore", "chairs", "9", *d)
    assert r.returncode == 2 and "library chairs: no version 9" in r.stderr and "Traceback" not in r.stderr
    (tmp_path / "bad.json").write_text("{not json")
    r = cli("library", "import", str(tmp_path / "bad.json"), *d)
    assert r.returncode == 2 and "bad.json: not valid JSON" in r.stderr
    with Database.open(data) as db:
        assert LibraryStore(db).info("chairs").latest == 3


# -- lessons verified by their checksums --------------------------------------------------


def _tamper(data, old: str, new: str) -> None:
    """Change a lesson's text in the file itself, as an editor or a flipped byte would."""
    assert len(old) == len(new)  # same length: SQLite's own checks see nothing
    with contextlib.closing(sqlite3.connect(data / DB_FILE)) as conn, conn:
        assert conn.execute("UPDATE lessons SET text = replace(text, ?, ?)", (old, new)).rowcount


def test_a_lesson_altered_in_place_is_never_shown_or_exported_as_learned(cli, tmp_path):
    data = _chairs(tmp_path)
    _tamper(data, "backrest", "backdoor")
    d = ["--data-dir", str(data)]
    with Database.open(data) as db:
        assert db.damage is None  # SQLite's quick check passes: only the checksum tells
        store = LibraryStore(db)
        with pytest.raises(StorageError, match="library chairs version 2, lesson L2: .*does not match"):
            store.lessons("chairs")
        assert texts(store.lessons("chairs", 1)) == [LEG]  # the version before it is whole
    for args in (("library", "show", "chairs"), ("library", "export", "chairs", str(tmp_path / "c.json"))):
        r = cli(*args, *d)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert "library chairs version 2, lesson L2" in r.stderr and "library restore chairs" in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and "backdoor" not in r.stdout + r.stderr
    assert not (tmp_path / "c.json").exists()
    r = cli("library", "restore", "chairs", "1", *d)  # the way back the message gives
    assert r.returncode == 0 and cli("library", "show", "chairs", *d).returncode == 0


def test_a_library_from_before_checksums_opens_gets_them_and_is_then_verified(tmp_path):
    data = tmp_path / "data"
    with Database.open(data) as db:
        store = LibraryStore(db)
        store.create("chairs")
        store.apply("chairs", [Operation("add", text=LEG), Operation("add", text=BACK)])
    with contextlib.closing(sqlite3.connect(data / DB_FILE)) as conn:
        conn.execute("ALTER TABLE lessons DROP COLUMN checksum")  # as an older threedraw wrote it
    with Database.open(data) as db:
        assert texts(LibraryStore(db).lessons("chairs")) == [LEG, BACK]
    assert (data / f"{DB_FILE}.checksums.bak").is_file()  # a way back, as before any upgrade
    with contextlib.closing(sqlite3.connect(data / DB_FILE)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM lessons WHERE checksum IS NULL").fetchone() == (0,)
    _tamper(data, "backrest", "backdoor")
    with Database.open(data) as db, pytest.raises(StorageError, match="lesson L2"):
        LibraryStore(db).lessons("chairs")

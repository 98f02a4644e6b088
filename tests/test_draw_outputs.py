"""No command loses a user's file: inputs are never overwritten, existing outputs only with --force,
and `threedraw draw` refuses unwritable places before the LLM is paid; a write that still fails at
the end leaves the sketch and the replies somewhere that works. Duplicate strokes are dropped."""

from __future__ import annotations

import threading
import time

import pytest

from llm_fixtures import GOOD_ACTIONS, GOOD_STROKES, running_server, scripted_args
from threedraw.cli import main
from threedraw.draw.pipeline import finalise
from threedraw.shared.sketch import Sketch
from threedraw.testing.scripted_server import Reply

LEG = [(-0.5, -0.5, -1.0), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0.0), (-0.5, -0.5, 0.2)]
SEAT = [(-0.5, -0.5, 0.2), (0.0, -0.5, 0.2), (0.2, -0.5, 0.2), (0.5, -0.5, 0.2)]


@pytest.fixture
def server():
    yield from running_server()


def draw(srv, out, *extra: str) -> int:
    return main(
        [
            "draw",
            "a simple table",
            "--out",
            str(out),
            *scripted_args(srv),
            "--data-dir",
            str(out.parent / "data"),
            *extra,
        ]
    )


def test_draw_never_overwrites_its_input_even_with_force(server, tmp_path, capsys):
    mine = tmp_path / "mychair.json"
    Sketch.from_points("my chair", [LEG]).save(mine)
    before = mine.read_bytes()
    server.default = Reply.completion(GOOD_ACTIONS)
    for force in ([], ["--force"]):
        assert draw(server, tmp_path / "mychair.blend", "--from", str(mine), *force) == 2
        err = capsys.readouterr().err
        assert f"the sketch JSON {mine} is the input {mine}: a command never overwrites its input" in err
    assert mine.read_bytes() == before and not server.requests  # refused before the LLM was asked


def test_an_existing_output_is_replaced_only_with_force(server, tmp_path, capsys):
    (tmp_path / "chair.json").write_text("my own notes")
    server.default = Reply.completion(GOOD_ACTIONS)
    assert draw(server, tmp_path / "chair.blend") == 2
    assert (
        f"the sketch JSON {tmp_path / 'chair.json'} exists; pass --force to replace it"
        in capsys.readouterr().err
    )
    assert (tmp_path / "chair.json").read_text() == "my own notes" and not server.requests
    report = tmp_path / "run.json"
    assert draw(server, tmp_path / "chair.blend", "--force", "--report", str(report)) == 0
    err = capsys.readouterr().err
    # The last line names every file written.
    assert (
        f"wrote {tmp_path / 'chair.blend'}, {tmp_path / 'chair.json'} and {report}: {GOOD_STROKES} curves"
        in err
    )
    assert len(Sketch.load(tmp_path / "chair.json")) == GOOD_STROKES


@pytest.mark.parametrize("option", ["--out", "--preview", "--report"])
def test_an_unwritable_output_is_refused_before_the_llm_is_asked(server, tmp_path, capsys, option):
    server.default = Reply.completion(GOOD_ACTIONS)
    name = {"--out": "a.blend", "--preview": "a.png", "--report": "a.json"}[option]
    extra = [] if option == "--out" else [option, f"/proc/{name}"]
    out = "/proc/a.blend" if option == "--out" else str(tmp_path / "a.blend")
    assert main(["draw", "a table", "--out", out, *extra, "--base-url", server.base_url, "--model", "m"]) == 2
    err = capsys.readouterr().err
    assert "cannot write in /proc" in err and "Traceback" not in err and len(err.strip().splitlines()) <= 2
    assert not server.requests


def test_a_write_that_fails_after_the_llm_saves_sketch_and_reply_in_the_data_dir(server, tmp_path, capsys):
    out = tmp_path / "gone" / "t.blend"
    server.push(Reply.completion(GOOD_ACTIONS, delay=1.0))

    def remove_folder_while_the_llm_writes() -> None:  # the disk goes away mid-run
        deadline = time.monotonic() + 30
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        out.parent.rmdir()

    t = threading.Thread(target=remove_folder_while_the_llm_writes)
    t.start()
    code = main(
        [
            "draw",
            "a simple table",
            "--out",
            str(out),
            "--base-url",
            server.base_url,
            "--model",
            "m",
            "--data-dir",
            str(tmp_path / "data"),
        ]
    )
    t.join()
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert f"cannot write {out.with_suffix('.json')}" in err and "saved in" in err
    [folder] = (tmp_path / "data" / "rescued").iterdir()
    assert str(folder) in err
    assert len(Sketch.load(folder / "sketch.json")) == GOOD_STROKES
    assert (folder / "replies.txt").read_text() == GOOD_ACTIONS


def test_draw_says_how_many_lessons_of_a_library_it_used(server, tmp_path, capsys):
    from threedraw.library.lessons import Operation
    from threedraw.library.store import LibraryStore

    store = LibraryStore.open(tmp_path / "data")
    store.create("chairs")
    store.apply(
        "chairs", [Operation("add", None, "Legs end on the seat."), Operation("add", None, "Be symmetric.")]
    )
    server.push(Reply.completion(GOOD_ACTIONS))
    assert draw(server, tmp_path / "t.blend", "--library", "chairs") == 0
    assert "using 2 lessons from library 'chairs' (version 1, its head)" in capsys.readouterr().err


def test_finalise_drops_duplicate_strokes_and_says_so():
    reversed_leg = LEG[::-1]
    sketch = Sketch.from_points("a stool", [LEG, SEAT, LEG, reversed_leg])
    kept, repairs = finalise(sketch)
    assert [s.id for s in kept.strokes] == ["s1", "s2"]
    assert [(r.kind, list(r.strokes), list(r.onto)) for r in repairs if r.kind == "duplicate"] == [
        ("duplicate", ["s3"], ["s1"]),
        ("duplicate", ["s4"], ["s1"]),
    ]


def test_draw_writes_no_duplicate_strokes_and_reports_them(server, tmp_path, capsys):
    line = "draw_bezier[(-0.5, -0.5, -1), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0), (-0.5, -0.5, 0.2)]"
    seat = "draw_bezier[(-0.5, -0.5, 0.2), (0, -0.5, 0.2), (0.2, -0.5, 0.2), (0.5, -0.5, 0.2)]"
    # Never 5 repeats in a row: that would be a looping reply, stopped by the loop cut-off (draw/loops.py).
    server.push(Reply.completion("\n".join([line] * 4 + [seat] + [line] * 3)))
    assert draw(server, tmp_path / "t.blend") == 0
    err = capsys.readouterr().err
    assert ": 2 curves (6 duplicate strokes the model drew were dropped)" in err
    assert len(Sketch.load(tmp_path / "t.json")) == 2


def test_blend_render_and_export_never_overwrite_an_input_and_replace_outputs_only_with_force(
    tmp_path, capsys
):
    from threedraw.library.lessons import Operation
    from threedraw.library.store import LibraryStore

    sketch = tmp_path / "s.json"
    Sketch.from_points("a stool", [LEG, SEAT]).save(sketch)
    before = sketch.read_bytes()
    # blend: its input named as the preview is refused, even with --force.
    assert (
        main(["blend", str(sketch), "--out", str(tmp_path / "s.blend"), "--preview", str(sketch), "--force"])
        == 2
    )
    assert (
        f"--preview {sketch} is the input {sketch}: a command never overwrites its input"
        in capsys.readouterr().err
    )
    assert sketch.read_bytes() == before and not (tmp_path / "s.blend").exists()
    store = LibraryStore.open(tmp_path / "data")
    store.create("chairs")
    store.apply("chairs", [Operation("add", None, "Legs end on the seat.")])
    export = [
        "library",
        "export",
        "chairs",
        str(tmp_path / "chairs.txt"),
        "--data-dir",
        str(tmp_path / "data"),
    ]
    runs = {
        "blend": ["blend", str(sketch), "--out", str(tmp_path / "s.blend")],
        "render": ["render", str(sketch), "--views", "2", "--size", "32", "--out", str(tmp_path / "views")],
        "library": export,
    }
    for name, command in runs.items():
        assert main(command) == 0, name
        capsys.readouterr()
        assert main(command) == 2, name  # the second time the outputs exist
        assert "exists; pass --force to replace it" in capsys.readouterr().err
        assert main([*command, "--force"]) == 0, name
    assert sketch.read_bytes() == before

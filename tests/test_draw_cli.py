"""`threedraw draw` end to end: scripted API server and the real local model, to a .blend
that Blender (bpy, in its own process) opens with the curves in it."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from llm_fixtures import GOOD_ACTIONS, GOOD_STROKES, PROSE, SECRET_KEY, running_server, scripted_args
from threedraw.cli import main
from threedraw.cli.draw import read_lessons
from threedraw.scoring.structure import duplicate_strokes
from threedraw.shared.parser import parse
from threedraw.shared.sketch import Sketch
from threedraw.testing.scripted_server import Reply

# Opens a .blend with bpy and reports its curves (bpy must not load into the test process).
READ_BLEND = r"""
import json, sys
import bpy
bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
curves = [o for o in bpy.data.objects if o.type == "CURVE"]
segments = sum(len(s.bezier_points) - 1 + int(s.use_cyclic_u) for o in curves for s in o.data.splines)
print("@@" + json.dumps({"curve_objects": len(curves), "segments": segments}))
"""


@pytest.fixture
def server():
    yield from running_server()


def read_blend(path: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", READ_BLEND, str(path)], capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("@@"))
    return json.loads(line[2:])


def api_args(srv, out: Path, *extra: str) -> list[str]:
    return [
        "draw",
        "a simple table",
        "--out",
        str(out),
        *scripted_args(srv),
        *extra,
    ]


def demo_command(folder: Path) -> list[str]:
    """`make demo`'s draw command from the Makefile, writing into ``folder`` instead of out/."""
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    line = next(x.strip() for x in makefile.splitlines() if "/threedraw draw " in x)
    args = shlex.split(line)[1:]
    return [sys.executable, "-m", "threedraw.cli", *[a.replace("out/", f"{folder}/") for a in args]]


@pytest.mark.slow
def test_local_model_draws_a_blend_with_curves(tmp_path):
    """`make demo` itself: the shipped GGUF, no key, no network: prompt -> sketch -> .blend with curves,
    and no duplicate strokes (the small model repeats a curve; the drops are said)."""
    out = tmp_path / "out" / "chair.blend"
    preview = tmp_path / "out" / "chair.png"
    report = tmp_path / "report.json"
    cmd = [*demo_command(out.parent), "--report", str(report)]
    assert "--provider" in cmd and str(out) in cmd and str(preview) in cmd
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "THREEDRAW_API_KEY": ""}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "with local model SmolLM2" in proc.stderr and "wrote " in proc.stderr
    sketch = Sketch.load(out.with_suffix(".json"))
    assert sketch.prompt == "a wooden chair" and len(sketch) >= 1
    assert duplicate_strokes(sketch) == []
    dropped = sum(r["kind"] == "duplicate" for r in json.loads(report.read_text())["repairs"])
    assert (f"({dropped} duplicate strokes the model drew were dropped)" in proc.stderr) == (dropped > 0)
    rep = json.loads(report.read_text())
    (cand,) = rep["candidates"]
    assert cand["ok"] and cand["usage"]["completion_tokens"] > 0 and rep["usage"]["cost_usd"] == 0.0
    # The model's JSON answer was constrained by the schema: it parses as JSON as is, or, when the
    # loop cut-off stopped it (the small model repeats one curve), once its list is closed after the
    # last stroke written; the report and the candidate's line say so.
    reply = cand["responses"][-1]
    if cand["problems"][:1] == [f"stopped a looping reply after {len(sketch) + dropped} strokes"]:
        assert cand["problems"][0] in proc.stderr
        reply = reply.rstrip().removesuffix(",") + "]}"
    assert "strokes" in json.loads(reply)
    blend = read_blend(out)
    assert blend["curve_objects"] >= 1
    assert blend["segments"] == len(sketch)
    assert preview.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_api_draw_writes_blend_json_and_report(server, tmp_path, capsys):
    server.push(Reply.completion(GOOD_ACTIONS, usage=(1000, 250)))
    out = tmp_path / "table.blend"
    assert main(api_args(server, out, "--report", str(tmp_path / "r.json"))) == 0
    err = capsys.readouterr().err
    assert f"{GOOD_STROKES} curves" in err and "1000+250 tokens" in err
    # Live progress, a plain line when stderr is no terminal: the streamed strokes, tokens/s, elapsed.
    assert re.search(rf"threedraw draw: #1: {GOOD_STROKES} strokes, \d+ tok/s \| \d+\.\d s\n", err)
    assert read_blend(out) == {"curve_objects": GOOD_STROKES, "segments": GOOD_STROKES}
    sketch = Sketch.load(tmp_path / "table.json")
    assert len(sketch) == GOOD_STROKES and sketch.prompt == "a simple table"
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["chosen"] == 0 and rep["timings"]["llm_s"] > 0


def test_no_api_key_in_output_logs_or_files(server, tmp_path, capfd, monkeypatch, caplog):
    monkeypatch.setenv("THREEDRAW_API_KEY", SECRET_KEY)
    # A rate limit and a server error (both echoing the key), prose, then a sketch.
    server.push(
        Reply.error(429, f"rate limited for key {SECRET_KEY}", retry_after=0.1),
        Reply.error(500, f"internal error, key={SECRET_KEY}"),
        Reply.completion(PROSE),
        Reply.completion(GOOD_ACTIONS),
    )
    out = tmp_path / "t.blend"
    files = ["--report", str(tmp_path / "report.json"), "--preview", str(tmp_path / "t.png")]
    assert main(api_args(server, out, *files)) == 0
    # And a failing run: the API rejects the key and echoes it back.
    server.push(Reply.error(401, f"Incorrect API key provided: {SECRET_KEY}"))
    assert main(api_args(server, tmp_path / "u.blend")) == 2
    captured = capfd.readouterr()
    text = captured.out + captured.err + caplog.text
    assert "HTTP 429" in text and "retrying" in text and "HTTP 401" in text and "after a repair" in text
    # The key was really used...
    assert all(r.headers["authorization"] == f"Bearer {SECRET_KEY}" for r in server.requests)
    # ...and appears nowhere we wrote.
    assert SECRET_KEY not in text
    files = list(tmp_path.rglob("*"))
    assert {p.name for p in files} >= {"t.blend", "t.json", "t.png", "report.json"}
    for p in files:
        if p.is_file():
            assert SECRET_KEY.encode() not in plain_bytes(p), p.name


def plain_bytes(path: Path) -> bytes:
    """A file's bytes, zstd-decompressed when compressed (Blender 5 compresses .blend files)."""
    data = path.read_bytes()
    if data[:4] == b"\x28\xb5\x2f\xfd":
        import io

        import zstandard  # a dependency of bpy

        with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True) as r:
            data = r.read()
        assert data[:7] == b"BLENDER"
    return data


def test_no_usable_sketch_is_one_clear_error(server, tmp_path, capsys):
    server.default = Reply.completion(PROSE)
    assert main(api_args(server, tmp_path / "t.blend", "-k", "2", "--seed", "3")) == 2
    err = capsys.readouterr().err
    assert "threedraw draw: no usable sketch from the openai-compatible model" in err
    assert "candidate 1:" in err and "candidate 2:" in err and "no stroke found" in err
    assert "Traceback" not in err
    assert not (tmp_path / "t.blend").exists()


def test_lessons_and_refine_reach_the_prompt(server, tmp_path):
    lessons = tmp_path / "lessons.txt"
    lessons.write_text("# experience\n1. Legs must touch the top.\n\n- Keep it symmetric.\n")
    start = Sketch.from_points("a table", [[(0, 0, 0), (0.1, 0, 0), (0.2, 0, 0), (0.3, 0, 0)]])
    start.save(tmp_path / "start.json")
    server.push(Reply.completion(GOOD_ACTIONS))
    args = api_args(
        server, tmp_path / "t.blend", "--lessons", str(lessons), "--from", str(tmp_path / "start.json")
    )
    assert main(args) == 0
    user = server.requests[0].messages[1]["content"]
    assert "1. Legs must touch the top.\n2. Keep it symmetric." in user
    assert "draw_bezier[(0, 0, 0), (0.1, 0, 0), (0.2, 0, 0), (0.3, 0, 0)]" in user
    assert server.requests[0].body["temperature"] == 0.3  # k = 1 draws at the paper's 0.3


def test_a_learned_library_reaches_the_prompt(server, tmp_path, capsys):
    from threedraw.library.lessons import Operation
    from threedraw.library.store import LibraryStore

    store = LibraryStore.open(tmp_path / "data")
    store.create("chairs")
    store.apply("chairs", [Operation("add", None, "Every leg ends on the seat frame.")])
    server.push(Reply.completion(GOOD_ACTIONS))
    data = ["--data-dir", str(tmp_path / "data")]
    assert main(api_args(server, tmp_path / "t.blend", "--library", "chairs", *data)) == 0
    assert "1. Every leg ends on the seat frame." in server.requests[0].messages[1]["content"]
    assert main(api_args(server, tmp_path / "u.blend", "--library", "tables", *data)) == 2
    assert "--library 'tables': no such library (libraries: chairs)" in capsys.readouterr().err


def test_idle_timeout_reaches_the_provider(server, tmp_path, capsys):
    import time

    server.default = Reply(text=GOOD_ACTIONS, stall_after=32)  # 32 characters, then silence
    start = time.monotonic()
    assert main(api_args(server, tmp_path / "t.blend", "--idle-timeout", "0.5", "--retries", "1")) == 2
    assert time.monotonic() - start < 20  # the default idle timeout alone would take 60 s per attempt
    err = capsys.readouterr().err
    assert "the stream sent nothing for 0.5 s (gave up after 2 attempts)" in err and "Traceback" not in err
    assert len(server.requests) == 2


def test_read_lessons_strips_numbering(tmp_path):
    f = tmp_path / "l.txt"
    f.write_text("G0. First lesson\n[2] Second\n* third\n  \n# skip\n10) tenth\n")
    assert read_lessons(str(f)) == ["First lesson", "Second", "third", "tenth"]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--out", "x.txt"], "expected a .blend file name"),
        (["--preview", "x.jpg"], "expected a .png file name"),
        (["--size", "9000"], "outside 16..1024"),
        (["-k", "40"], "k=40: expected 1 to 16"),
        (["--lessons", "/no/such/lessons.txt"], "--lessons /no/such/lessons.txt: no such file"),
        (["--from", "/no/such/sketch.json"], "--from: "),
        (["--base-url", "api.example.com"], "expected http(s)://"),
        (["--prices", "/no/such/prices.json"], "prices.json: no such file"),
    ],
)
def test_bad_options_are_one_line_errors(server, tmp_path, capsys, extra, message):
    args = api_args(server, tmp_path / "t.blend") + extra
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "Traceback" not in err
    assert server.requests == []


def test_api_provider_needs_a_model(tmp_path, capsys):
    assert (
        main(["draw", "a cup", "--out", str(tmp_path / "c.blend"), "--base-url", "http://127.0.0.1:9/v1"])
        == 2
    )
    assert "a model name is required" in capsys.readouterr().err


# Three different drawings, one per candidate (answered by seed: candidate i sends seed + i).
SCATTERED = "\n".join(
    f"draw_bezier[({x}, -0.5, -0.5), ({x}, 0.1, 0.4), ({x + 0.1}, 0.2, -0.3), ({x + 0.2}, 0.5, 0.6)]"
    for x in (-0.9, -0.4, 0.1, 0.6)
)
LEGS_ONLY = "\n".join(
    f"draw_bezier[({x}, {y}, 0.3), ({x}, {y}, -0.1), ({x}, {y}, -0.5), ({x}, {y}, -0.9)]"
    for x in (-0.9, 0.9)
    for y in (-0.6, 0.6)
)
RANKED_REPLIES = {10: SCATTERED, 11: GOOD_ACTIONS, 12: LEGS_ONLY}


def expected_best(config) -> tuple[int, list]:
    """The candidate the scorer ranks first, computed here independently of the command."""
    from threedraw.scoring.reward import score_sketches

    sketches = [parse(RANKED_REPLIES[10 + i], "a simple table").sketch for i in range(3)]
    rewards = [s.reward for s in score_sketches(sketches, "a simple table", config)]
    top, second = sorted(rewards, reverse=True)[:2]
    assert top > second  # the test means something only if one candidate is strictly best
    best = max(range(3), key=rewards.__getitem__)
    return best, [s.points for s in sketches[best].strokes]


def ranked_server():
    from threedraw.testing.scripted_server import ScriptedServer

    return ScriptedServer(lambda req: Reply.completion(RANKED_REPLIES[req.body["seed"]]))


def test_k_candidates_ranked_by_structure_without_clip(tmp_path, capsys):
    from threedraw.scoring.reward import ScoreConfig

    best, points = expected_best(ScoreConfig())
    with ranked_server() as srv:
        assert main(api_args(srv, tmp_path / "t.blend", "-k", "3", "--seed", "10")) == 0
        assert all(r.body["temperature"] == 0.7 for r in srv.requests)  # the paper's sampling temperature
    err = capsys.readouterr().err
    assert f"kept candidate {best + 1} of 3: best structure score" in err and "no CLIP weights" in err
    assert [s.points for s in Sketch.load(tmp_path / "t.json").strokes] == points


def test_k_candidates_ranked_by_clip_when_weights_are_given(tmp_path, capsys):
    from clip_fixtures import clip_args, make_tiny_clip
    from threedraw.scoring.reward import ScoreConfig

    config_path, checkpoint = make_tiny_clip(tmp_path / "clip")
    best, points = expected_best(
        ScoreConfig(clip_model=str(config_path), clip_checkpoint=str(checkpoint), views=2)
    )
    with ranked_server() as srv:
        args = api_args(
            srv, tmp_path / "t.blend", "-k", "3", "--seed", "10", *clip_args(config_path, checkpoint)
        )
        assert main(args) == 0
    err = capsys.readouterr().err
    assert f"kept candidate {best + 1} of 3: best CLIP score" in err
    assert [s.points for s in Sketch.load(tmp_path / "t.json").strokes] == points


def test_missing_clip_checkpoint_is_a_clear_error(server, tmp_path, capsys):
    server.default = Reply.completion(GOOD_ACTIONS)
    args = api_args(server, tmp_path / "t.blend", "-k", "2", "--clip-checkpoint", str(tmp_path / "none.pt"))
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--clip-checkpoint" in err and "none.pt: no such file" in err and "Traceback" not in err
    assert not server.requests  # said before the LLM was paid


def test_live_progress_redraws_one_line_on_a_terminal():
    import io

    from threedraw.cli.output import LiveDrawPrinter

    class Tty(io.StringIO):
        def isatty(self):
            return True

    out = Tty()
    live = LiveDrawPrinter("draw", 2, out)
    live.on_text(0, "x" * 400)
    live.on_stroke(0, "a stroke")
    live.on_stroke(0, None)  # candidate 1's reply starts over (a retried stream)
    live.on_stroke(1, "a stroke")
    live.done()
    text = out.getvalue()
    assert text.startswith("\r#1: 0 strokes") and text.endswith("\n") and text.count("\n") == 1
    last = text.rsplit("\r", 1)[1]
    assert "#1: 0 strokes" in last and "#2: 1 strokes" in last

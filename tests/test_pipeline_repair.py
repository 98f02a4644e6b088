"""Every delivered drawing is repaired (parts joined, duplicates removed): the pipeline's one finalise step, seen from
draw_round, `threedraw draw` and the server's draw result."""

from __future__ import annotations

import json

from llm_fixtures import fast_provider
from threedraw.draw.pipeline import DrawConfig, draw_round
from threedraw.scoring.reward import ScoreConfig
from threedraw.shared.parser import parse
from threedraw.shared.repair import repair
from threedraw.testing.scripted_server import Reply

# Fixtures taken from the shared fixture modules (tests/blender runs without them).
pytest_plugins = ("llm_fixtures",)

# A leg that stops 0.01 short of the seat edge, and the seat edge written twice (once backwards).
NEAR_MISS = """<curves>
draw_bezier[(-0.5, 0, 0), (-0.2, 0, 0), (0.2, 0, 0), (0.5, 0, 0)]
draw_bezier[(0.51, 0, 0.01), (0.5, 0, 0.3), (0.5, 0, 0.6), (0.5, 0, 1)]
draw_bezier[(0.5, 0, 0), (0.2, 0, 0), (-0.2, 0, 0), (-0.5, 0, 0)]
</curves>"""


def _round(server, **kw):
    server.push(Reply.completion(NEAR_MISS))
    return draw_round(fast_provider(server), "a table", [], ScoreConfig(), DrawConfig(k=1, **kw), scorer=None)


def test_a_drawing_is_delivered_repaired_and_the_raw_reply_kept(server):
    rnd = _round(server)
    (entry,) = rnd.entries
    expected, changes = repair(parse(NEAR_MISS).sketch)
    assert [s.points for s in entry.sketch.strokes] == [s.points for s in expected.strokes]
    assert len(entry.sketch) == 2, "the repeated seat edge is removed"
    assert entry.sketch.strokes[1].points[0] == entry.sketch.strokes[0].points[3], "the leg meets the seat"
    assert {r.kind for r in entry.repairs} == {"joint", "duplicate"} == {c.kind for c in changes}
    assert entry.repair_summary == "snapped 1 joint, removed 1 duplicate stroke"
    assert NEAR_MISS in entry.candidate["responses"], "the run record keeps the reply as written"
    assert entry.to_dict()["repairs"] == [c.to_dict() for c in entry.repairs]


def test_no_repair_keeps_the_drawing_as_written(server):
    (entry,) = _round(server, repair=False).entries
    assert [s.points for s in entry.sketch.strokes] == [s.points for s in parse(NEAR_MISS).sketch.strokes]
    assert entry.repairs == []


def test_threedraw_draw_says_what_it_repaired_and_no_repair_turns_it_off(server, tmp_path, cli):
    out = tmp_path / "t.blend"
    base = ["draw", "a table", "--base-url", server.base_url, "--model", "scripted", "--report"]
    server.push(Reply.completion(NEAR_MISS))
    proc = cli(*base, str(tmp_path / "r.json"), "--out", str(out), env={"THREEDRAW_API_KEY": ""})
    assert proc.returncode == 0, proc.stderr
    assert "repaired: snapped 1 joint, removed 1 duplicate stroke" in proc.stderr
    assert len(json.loads(out.with_suffix(".json").read_text())["strokes"]) == 2
    assert {r["kind"] for r in json.loads((tmp_path / "r.json").read_text())["repairs"]} == {
        "joint",
        "duplicate",
    }

    raw = tmp_path / "raw.blend"
    server.push(Reply.completion(NEAR_MISS))
    proc = cli(
        *base, str(tmp_path / "r2.json"), "--out", str(raw), "--no-repair", env={"THREEDRAW_API_KEY": ""}
    )
    assert proc.returncode == 0, proc.stderr
    assert "repaired:" not in proc.stderr
    assert len(json.loads(raw.with_suffix(".json").read_text())["strokes"]) == 3


def test_the_addon_reports_what_the_backend_repaired(server):
    """The add-on reads a draw result's change records (bpy-free, on its worker thread)."""
    from threedraw.addon.jobs.prepare import sketches
    from threedraw.addon.shared.results import JobStatus

    (entry,) = _round(server).entries
    job = {
        "id": "j1",
        "result": {
            "prompt": "a table",
            "sketches": [
                {
                    "id": "k1",
                    "sketch": entry.sketch.to_dict(),
                    "score": None,
                    "repairs": [c.to_dict() for c in entry.repairs],
                }
            ],
        },
    }
    assert sketches(JobStatus.from_dict(job)).repaired == "snapped 1 joint, removed 1 duplicate stroke"
    del job["result"]["sketches"][0]["repairs"]  # an older backend
    assert sketches(JobStatus.from_dict(job)).repaired == ""

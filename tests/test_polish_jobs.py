"""Polish wherever a drawing is delivered: the server's polish job (progress per step on the event
stream, cancel keeps the best so far), draw jobs with "polish", and `threedraw draw --polish`, all
with a tiny open_clip model made here and the scripted LLM server."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from clip_fixtures import chair
from llm_fixtures import GOOD_ACTIONS
from server_fixtures import (
    DrawingLLM,
    assert_envelope,
    clip_args,
    llm_args,
    server_env,
    start_server,
    wait_job,
    wait_state,
)
from test_server_jobs import submit
from threedraw.cli import main
from threedraw.shared.results import DrawResult, PolishResult
from threedraw.shared.sketch import Sketch
from threedraw.testing.scripted_server import Reply, ScriptedServer

pytest_plugins = ("server_fixtures", "clip_fixtures")

SIZE = 64  # the tiny CLIP's image size: renders stay small


@pytest.fixture(scope="module")
def server(tmp_path_factory, tiny_clip):
    home = tmp_path_factory.mktemp("serve")
    with ScriptedServer(DrawingLLM()) as llm:
        srv = start_server(home, *llm_args(llm), *clip_args(*tiny_clip), env=server_env(home))
        yield srv
        srv.stop()


def events(client: httpx.Client, job_id: str) -> list[tuple[str, dict]]:
    """The job's server-sent events, read until the stream closes."""
    out, name = [], None
    with client.stream("GET", f"/v1/jobs/{job_id}/events", timeout=120) as resp:
        assert resp.status_code == 200
        for line in resp.iter_lines():
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                out.append((name, json.loads(line[len("data: ") :])))
    return out


def test_a_polish_job_streams_its_steps_and_returns_the_polished_sketch(client):
    given = chair()
    steps = 120  # a few seconds: the stream samples progress every 0.1 s, so it sees several steps
    job = submit(client, {"kind": "polish", "sketch": given.to_dict(), "steps": steps, "size": SIZE})
    seen = events(client, job["id"])
    polish_steps = [d["step"] for name, d in seen if name == "progress" and d["phase"] == "polish"]
    # Progress is sampled by the stream (the latest at each poll), so it may skip steps, the last too.
    assert polish_steps == sorted(polish_steps) and set(polish_steps) <= set(range(steps + 1)), polish_steps
    assert len(set(polish_steps)) >= 2, polish_steps
    rewards = [d["scores"] for name, d in seen if name == "progress" and d["phase"] == "polish" and d["step"]]
    assert rewards and all(len(r) == 2 for r in rewards)  # this step's reward, the best so far
    name, finished = seen[-1]
    assert name == "result" and finished["state"] == "succeeded"
    res = PolishResult.from_dict(finished["result"])
    (item,) = res.sketches
    assert [s.id for s in item.sketch.strokes] == [s.id for s in given.strokes]
    # The best measured sketch; the one given when no step beat it (a random-weight CLIP's reward is noise).
    assert (item.sketch.to_dict() != given.to_dict()) == (res.best_step > 0), res.best_step
    assert res.steps_done == res.steps == steps and not res.interrupted
    assert res.reward_after >= res.reward_before and res.largest_move <= res.trust_radius + 1e-6
    assert (res.largest_move > 0) == (res.best_step > 0)
    assert item.score is not None and item.score.polish_steps == steps
    assert item.score.clip_mean is not None and f"polished {steps} steps" in item.score.describe()
    stored = client.get(f"/v1/sketches/{item.id}").json()
    assert stored["sketch"] == item.sketch.to_dict() and stored["score"]["polish_steps"] == steps


def test_cancel_stops_between_steps_and_keeps_the_best_so_far(client):
    given = chair()
    job = submit(
        client, {"kind": "polish", "sketch": given.to_dict(), "steps": 2000, "size": SIZE, "seed": 3}
    )
    deadline = time.monotonic() + 60
    while (client.get(f"/v1/jobs/{job['id']}").json()["progress"].get("step") or 0) < 7:
        assert time.monotonic() < deadline, "the polish never got going"
        time.sleep(0.05)
    assert client.post(f"/v1/jobs/{job['id']}/cancel").status_code == 200
    done = wait_job(client, job["id"], timeout=60)
    assert done["state"] == "succeeded", done["error"]  # it delivers what it has
    res = PolishResult.from_dict(done["result"])
    assert res.interrupted and 7 <= res.steps_done < 2000
    assert res.reward_after >= res.reward_before  # the best measured, never worse than the start
    (item,) = res.sketches
    assert len(item.sketch.strokes) == len(given.strokes) and item.score.polish_steps == res.steps_done
    assert client.post(f"/v1/jobs/{job['id']}/cancel").status_code == 409  # finished


def test_draw_and_refine_jobs_polish_the_sketch_they_deliver_and_score_it_again(client):
    job = submit(client, {"kind": "draw", "prompt": "a chair", "k": 2, "polish": 4, "size": SIZE})
    done = wait_job(client, job["id"], timeout=120)
    assert done["state"] == "succeeded", done["error"]
    res = DrawResult.from_dict(done["result"])
    best, other = res.sketches
    assert best.score.polish_steps == 4 and other.score.polish_steps == 0
    assert "polish_steps" not in done["result"]["sketches"][1]["score"]  # additive on the wire
    # A refine polishes the best sketch of its last round, once.
    job = submit(client, {"kind": "refine", "prompt": "a chair", "k": 2, "polish": 3, "size": SIZE})
    done = wait_job(client, job["id"], timeout=120)
    assert done["state"] == "succeeded", done["error"]
    (item,) = done["result"]["sketches"]
    assert item["score"]["polish_steps"] == 3


def test_without_clip_a_polish_is_refused_naming_what_is_missing(tmp_path):
    with ScriptedServer(DrawingLLM()) as llm:
        srv = start_server(tmp_path, *llm_args(llm), env=server_env(tmp_path))
        try:
            with srv.client() as c:
                for body in (
                    {"kind": "polish", "sketch": chair().to_dict()},
                    {"kind": "draw", "prompt": "a chair", "polish": 5},
                    {"kind": "refine", "prompt": "a chair", "polish": 5},
                ):
                    err = assert_envelope(c.post("/v1/jobs", json=body), 422, "clip_unavailable")
                    assert "CLIP weights" in err["message"] and "--clip-checkpoint" in err["message"]
                assert llm.requests == [] and c.get("/v1/jobs").json()["jobs"] == []
                job = c.post("/v1/jobs", json={"kind": "draw", "prompt": "a chair"}).json()  # 0: no polish
                assert wait_state(c, job["id"], ("succeeded",), timeout=60)
        finally:
            srv.stop()


def test_draw_cli_polishes_the_delivered_sketch(tmp_path, tiny_clip, capsys):
    config, checkpoint = tiny_clip
    clip = ["--clip-model", str(config), "--clip-checkpoint", str(checkpoint), "--views", "2"]
    with ScriptedServer() as llm:
        llm.push(Reply.completion(GOOD_ACTIONS), Reply.completion(GOOD_ACTIONS))
        base = ["draw", "a simple table", "--base-url", llm.base_url, "--model", "scripted", *clip]
        assert main([*base, "--out", str(tmp_path / "plain.blend")]) == 0
        out, report = tmp_path / "t.blend", tmp_path / "r.json"
        assert main([*base, "--out", str(out), "--polish", "5", "--report", str(report)]) == 0
    err = capsys.readouterr().err
    assert "step 5/5" in err and "polished 5 steps: CLIP reward" in err
    plain, polished = Sketch.load(tmp_path / "plain.json"), Sketch.load(out.with_suffix(".json"))
    assert [s.id for s in polished.strokes] == [s.id for s in plain.strokes]
    rep = json.loads(report.read_text())
    # The best measured sketch; the drawing as it was when no step beat it (a random-weight CLIP is noise).
    assert (polished.to_dict() != plain.to_dict()) == (rep["polish"]["best_step"] > 0), rep["polish"]
    assert rep["polish"]["steps_done"] == 5 and rep["score"]["polish_steps"] == 5
    assert rep["polish"]["reward_after"] >= rep["polish"]["reward_before"]


def test_draw_and_eval_refuse_polish_without_clip_before_drawing(tmp_path, capsys):
    with ScriptedServer() as llm:
        api = ["--base-url", llm.base_url, "--model", "scripted"]
        assert main(["draw", "a table", "--out", str(tmp_path / "t.blend"), "--polish", "5", *api]) == 2
        assert (
            main(["eval", "--prompts", "modelnet40", "--out", str(tmp_path / "e"), "--polish", "5", *api])
            == 2
        )
        assert llm.requests == []
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and all("--polish needs CLIP weights" in x for x in lines), lines
    assert not (tmp_path / "t.json").exists() and not (tmp_path / "e").exists()


def test_eval_polish_polishes_each_prompts_best_and_says_so_in_the_table(tmp_path, tiny_clip, capsys):
    config, checkpoint = tiny_clip
    (tmp_path / "set.txt").write_text("a chair\na table\n")
    with ScriptedServer(DrawingLLM()) as llm:
        args = ["eval", "--prompts", str(tmp_path / "set.txt"), "--data-dir", str(tmp_path / "data")]
        args += ["--base-url", llm.base_url, "--model", "scripted", "--retries", "0", "--views", "2"]
        args += ["--clip-model", str(config), "--clip-checkpoint", str(checkpoint), "--score-size", "64"]
        args += ["--sheet-size", "64", "--seed", "0"]
        assert main([*args, "--out", str(tmp_path / "plain")]) == 0
        assert main([*args, "--out", str(tmp_path / "polished"), "--polish", "3"]) == 0
    out = capsys.readouterr().out
    assert "threedraw, no experience, polish 3 |" in out
    plain, polished = (json.loads((tmp_path / d / "results.json").read_text()) for d in ("plain", "polished"))
    rows = [r for m in polished["methods"] for r in m["results"]]
    assert len(rows) == 2 and all(r["polish_steps"] == 3 and r["clip_st"] is not None for r in rows)
    assert all(r["polish_steps"] == 0 for m in plain["methods"] for r in m["results"])

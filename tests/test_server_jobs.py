"""Jobs over HTTP against a real `threedraw serve`: scoring under load, drawing with a scripted
LLM, cancel, libraries, restart, and an LLM that is down."""

from __future__ import annotations

import concurrent.futures
import time
from pathlib import Path

import httpx
import pytest

from llm_fixtures import SECRET_KEY
from server_fixtures import (
    LESSON,
    DrawingLLM,
    assert_envelope,
    clip_args,
    llm_args,
    png_size,
    server_env,
    sketch_dict,
    start_server,
    wait_job,
    wait_state,
)
from threedraw.shared import results
from threedraw.shared.sketch import Sketch
from threedraw.testing.scripted_server import ScriptedServer

# Fixtures taken from the shared fixture modules (tests/blender runs without them).
pytest_plugins = ("server_fixtures", "clip_fixtures")

MAX_QUEUED = 8


@pytest.fixture(scope="module")
def server(tmp_path_factory, tiny_clip, llm):
    home = tmp_path_factory.mktemp("serve")
    srv = start_server(
        home,
        *llm_args(llm),
        *clip_args(*tiny_clip),
        "--max-queued",
        str(MAX_QUEUED),
        "--llm-jobs",
        "1",
        env=server_env(home, THREEDRAW_API_KEY=SECRET_KEY),
    )
    yield srv
    srv.stop()


def submit(client: httpx.Client, body: dict) -> dict:
    resp = client.post("/v1/jobs", json=body)
    assert resp.status_code == 202, resp.text
    assert resp.headers["location"] == f"/v1/jobs/{resp.json()['id']}"
    return resp.json()


def test_fifty_concurrent_score_requests_each_complete_or_get_429(server, client):
    before = {j["id"] for j in client.get("/v1/jobs", params={"kind": "score", "limit": 500}).json()["jobs"]}
    # Keep the scoring worker busy, so the burst meets a full queue whatever the machine's speed.
    blocker = submit(
        client,
        {
            "kind": "score",
            "prompt": "a box",
            "views": 16,
            "size": 128,
            "sketches": [sketch_dict(shift=i / 200) for i in range(64)],
        },
    )
    wait_state(client, blocker["id"], ("running",))

    def one(i: int) -> httpx.Response:
        with server.client() as c:
            return c.post(
                "/v1/jobs",
                json={"kind": "score", "prompt": f"box {i}", "sketches": [sketch_dict(shift=i / 200)]},
            )

    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        responses = list(pool.map(one, range(50)))
    client.post(f"/v1/jobs/{blocker['id']}/cancel")

    accepted = [r.json()["id"] for r in responses if r.status_code == 202]
    refused = [r for r in responses if r.status_code != 202]
    assert len(accepted) == MAX_QUEUED  # the queue bound, exactly
    for r in refused:
        err = assert_envelope(r, 429, "queue_full")
        assert int(r.headers["retry-after"]) >= 1
        assert err["detail"]["retry_after"] == int(r.headers["retry-after"])
    assert len(set(accepted)) == len(accepted)
    finished = [wait_job(client, job_id) for job_id in accepted]
    assert all(j["state"] == "succeeded" for j in finished), [j["error"] for j in finished]
    for job in finished:
        [score] = job["result"]["scores"]
        assert job["request"]["prompt"].startswith("box ") and len(score["clip_per_view"]) == 2
    assert wait_job(client, blocker["id"])["state"] == "cancelled"
    listed = [j["id"] for j in client.get("/v1/jobs", params={"kind": "score", "limit": 500}).json()["jobs"]]
    new = [i for i in listed if i not in before]
    assert sorted(new) == sorted(accepted + [blocker["id"]])  # none lost, none twice


def test_score_job_scores_each_sketch_with_its_own_prompt_and_previews_the_best(client):
    job = submit(
        client,
        {
            "kind": "score",
            "preview": True,
            "size": 64,
            "sketches": [sketch_dict("a box"), sketch_dict("a table", shift=0.2)],
        },
    )
    done = wait_job(client, job["id"])
    assert done["state"] == "succeeded", done["error"]
    scores = done["result"]["scores"]
    assert len(scores) == 2 and all(
        len(s["clip_per_view"]) == 2 and s["clip_mean"] is not None for s in scores
    )
    assert scores[0]["clip_mean"] != scores[1]["clip_mean"]
    assert done["result"]["best"] == max(range(2), key=lambda i: scores[i]["reward"])
    assert png_size(done["result"]["preview"])[1] > 64
    assert done["progress"]["step"] == done["progress"]["total"] == 2
    typed = results.ScoreResult.from_dict(done["result"])
    assert typed.to_dict() == done["result"] and typed.scores[typed.best].reward == max(
        s["reward"] for s in scores
    )


def test_render_job_returns_every_view_a_contact_sheet_and_the_cameras(client):
    done = wait_job(
        client, submit(client, {"kind": "render", "sketch": sketch_dict(), "views": 3, "size": 48})["id"]
    )
    assert done["state"] == "succeeded", done["error"]
    result = done["result"]
    assert [png_size(v["image"]) for v in result["views"]] == [(48, 48)] * 3
    assert [v["azimuth"] for v in result["views"]] == [0.0, 120.0, 240.0]
    assert png_size(result["contact_sheet"])[0] > 3 * 48
    assert len(result["cameras"]["views"]) == 3
    typed = results.RenderResult.from_dict(result)
    assert typed.to_dict() == result and [v.image.width for v in typed.views] == [48] * 3


def test_draw_job_ranks_candidates_and_keeps_each_sketch(client, llm):
    seen = len(llm.requests)
    job = submit(
        client,
        {
            "kind": "draw",
            "prompt": "a chair",
            "k": 2,
            "temperature": 0.2,
            "seed": 7,
            "model": "another-model",
            "preview": True,
            "size": 64,
        },
    )
    done = wait_job(client, job["id"])
    assert done["state"] == "succeeded", done["error"]
    result = done["result"]
    rewards = [s["score"]["reward"] for s in result["sketches"]]
    assert len(rewards) == 2 and rewards == sorted(rewards, reverse=True)
    assert done["progress"]["phase"] == "done" and done["progress"]["scores"] == rewards
    assert result["usage"]["completion_tokens"] > 0
    png_size(result["preview"])
    typed = results.DrawResult.from_dict(result)  # what a draw returns: shared/results/draw_result.py
    assert typed.to_dict() == result
    assert [s.score.reward for s in typed.sketches if s.score] == rewards
    assert [c.index for c in typed.candidates] == [0, 1] and all(c.ok for c in typed.candidates)
    for item in result["sketches"]:
        stored = client.get(f"/v1/sketches/{item['id']}").json()
        assert stored["sketch"] == item["sketch"] == Sketch.from_dict(item["sketch"]).to_dict()
        assert stored["job_id"] == job["id"] and stored["score"] == item["score"]
    # The job's own settings reached the LLM, and the key only as the Authorization header.
    calls = llm.requests[seen:]
    assert len(calls) == 2
    assert {c.body["model"] for c in calls} == {"another-model"}
    assert {c.body["temperature"] for c in calls} == {0.2}
    assert {c.headers["authorization"] for c in calls} == {f"Bearer {SECRET_KEY}"}


def test_job_settings_beyond_the_servers_limits_are_refused(client):
    err = assert_envelope(
        client.post("/v1/jobs", json={"kind": "score", "views": 40, "sketches": [sketch_dict()]}),
        422,
        "invalid_request",
    )
    assert "views" in err["message"] and "--max-views" in err["message"]
    err = assert_envelope(client.post("/v1/jobs", json={"kind": "draw", "prompt": "x", "k": 99}), 422)
    assert "draw.k" in err["message"] and "16" in err["message"]
    err = assert_envelope(
        client.post(
            "/v1/jobs",
            json={
                "kind": "score",
                "sketches": [{**sketch_dict(), "strokes": [{"id": "s1", "points": [[0, 0, 0]] * 3}]}],
            },
        ),
        422,
    )
    assert "score.sketches[0]" in err["message"] and "stroke 1: " in err["message"]


def test_cancel_stops_a_running_job_and_a_queued_one_at_once(client, llm, script):
    script.delay = 1.0
    try:
        running = submit(client, {"kind": "refine", "prompt": "a chair", "rounds": 3, "k": 2})
        queued = submit(client, {"kind": "draw", "prompt": "a lamp"})  # --llm-jobs 1: it waits
        wait_state(client, running["id"], ("running",))
        deadline = time.monotonic() + 10
        while not llm.requests or llm.requests[-1].last_user_text.find("chair") < 0:
            assert time.monotonic() < deadline, "the refine job never called the LLM"
            time.sleep(0.02)
        # Cancel the queued one first: it ends at once, never reaching the LLM.
        job = client.post(f"/v1/jobs/{queued['id']}/cancel").json()
        assert job["state"] == "cancelled" and job["error"]["code"] == "cancelled"
        asked = time.monotonic()
        assert client.post(f"/v1/jobs/{running['id']}/cancel").status_code == 200
        done = wait_job(client, running["id"], timeout=10)
        stopped = time.monotonic()
        assert done["state"] == "cancelled" and done["error"]["code"] == "cancelled"
        assert stopped - asked < script.delay + 1.0  # within a second of the LLM call in flight
        time.sleep(script.delay + 0.5)
        assert not [r for r in llm.requests if r.received_at > stopped]  # nothing asked after it stopped
        assert not [r for r in llm.requests if "a lamp" in r.last_user_text]
    finally:
        script.delay = 0.0
    again = client.post(f"/v1/jobs/{running['id']}/cancel")
    assert again.status_code == 200 and again.json()["state"] == "cancelled"
    assert_envelope(client.post("/v1/jobs/0123456789abcdef/cancel"), 404, "job_not_found")


def test_cancelling_a_finished_job_is_a_conflict(client):
    done = wait_job(client, submit(client, {"kind": "score", "sketches": [sketch_dict()]})["id"])
    err = assert_envelope(client.post(f"/v1/jobs/{done['id']}/cancel"), 409, "job_finished")
    assert "succeeded" in err["message"]
    assert client.get(f"/v1/jobs/{done['id']}").json()["state"] == "succeeded"


def test_refine_writes_a_library_that_the_api_reads_edits_and_exports(client, llm):
    done = wait_job(
        client,
        submit(
            client,
            {
                "kind": "refine",
                "prompt": "a chair",
                "rounds": 1,
                "k": 2,
                "library": "chairs",
                "commit": True,
                "sketch": sketch_dict("a chair"),
            },
        )["id"],
    )
    assert done["state"] == "succeeded", done["error"]
    result = done["result"]
    assert [x["text"] for x in result["lessons"]] == [LESSON] and result["version"] == 1
    assert client.get(f"/v1/sketches/{result['sketches'][0]['id']}").status_code == 200
    typed = results.RefineResult.from_dict(result)
    assert typed.to_dict() == result and typed.sketches[0].round is not None and typed.rounds

    libraries = client.get("/v1/libraries").json()["libraries"]
    assert [(x["name"], x["head"], x["lessons"]) for x in libraries] == [("chairs", 1, 1)]
    lib = client.get("/v1/libraries/chairs").json()
    [lesson] = lib["lessons"]
    assert lesson["text"] == LESSON
    exported = client.get("/v1/libraries/chairs/export").json()
    assert exported["format"] == "threedraw.library/1" and exported["lessons"][0]["id"] == lesson["id"]

    # Drawing with the library puts its lessons into the prompt.
    seen = len(llm.requests)
    drawn = wait_job(client, submit(client, {"kind": "draw", "prompt": "a stool", "library": "chairs"})["id"])
    assert drawn["state"] == "succeeded", drawn["error"]
    assert LESSON in llm.requests[seen].last_user_text

    deleted = client.delete(f"/v1/libraries/chairs/lessons/{lesson['id']}").json()
    assert deleted["version"] == 2 and deleted["library"]["lessons"] == 0
    assert client.get("/v1/libraries/chairs").json()["lessons"] == []
    assert client.get("/v1/libraries/chairs", params={"version": 1}).json()["lessons"][0]["text"] == LESSON
    assert_envelope(client.delete(f"/v1/libraries/chairs/lessons/{lesson['id']}"), 404, "lesson_not_found")
    assert_envelope(client.get("/v1/libraries/nope"), 404, "library_not_found")
    assert_envelope(client.get("/v1/libraries/chairs", params={"version": 9}), 404, "library_not_found")
    assert_envelope(
        client.post("/v1/jobs", json={"kind": "draw", "prompt": "x", "library": "nope"}),
        404,
        "library_not_found",
    )


def test_learn_job_runs_and_moves_the_library_head(client):
    done = wait_job(
        client,
        submit(client, {"kind": "learn", "library": "learned", "prompts": ["a chair"], "epochs": 1, "k": 2})[
            "id"
        ],
        timeout=90,
    )
    assert done["state"] == "succeeded", done["error"]
    result = done["result"]
    assert result["library"] == "learned" and result["run_id"]
    assert [e["epoch"] for e in result["epochs"]] == [0, 1]
    assert results.LearnResult.from_dict(result).to_dict() == result
    head = client.get("/v1/libraries/learned").json()
    assert head["library"]["head"] == result["head"]
    assert done["progress"]["total"] and done["progress"]["step"] == done["progress"]["total"]


def test_a_learn_job_takes_a_batch_and_makes_one_library_version_for_it(client):
    done = wait_job(
        client,
        submit(
            client,
            {
                "kind": "learn",
                "library": "batched",
                "keep_best": False,
                "epochs": 1,
                "k": 2,
                "batch": 3,
                "prompts": ["a chair", "a stool", "a bench"],
            },
        )["id"],
        timeout=90,
    )
    assert done["state"] == "succeeded", done["error"]
    assert done["request"]["batch"] == 3
    lib = client.get("/v1/libraries/batched").json()
    # The judges (one per prompt whose candidates differed: the script alternates good and poor
    # drawings across the concurrent requests) proposed the same lesson against the same version:
    # one version for the batch, the proposals merged into one lesson.
    (lesson,) = lib["lessons"]
    judged = done["result"]["cost"]["epochs"][0]["judge_calls"]
    assert lib["library"]["latest"] == 1 and lesson["text"] == LESSON and lesson["support"] == judged >= 1
    assert_envelope(
        client.post("/v1/jobs", json={"kind": "learn", "library": "b", "prompts": ["x"], "batch": 0}),
        422,
        "invalid_request",
    )


def test_judge_images_reach_the_judge_through_the_api(client, llm):
    before = len(llm.requests)
    done = wait_job(
        client,
        submit(
            client,
            {
                "kind": "learn",
                "library": "seen",
                "prompts": ["a chair"],
                "epochs": 1,
                "k": 2,
                "keep_best": False,
                "judge_images": True,
            },
        )["id"],
        timeout=90,
    )
    assert done["state"] == "succeeded", done["error"] and done["request"]["judge_images"] is True
    judged = [r for r in llm.requests[before:] if "You are a judge" in str(r.messages[0].get("content"))]
    parts = [
        p for r in judged for m in r.messages if isinstance(m.get("content"), list) for p in m["content"]
    ]
    assert judged and sum(p.get("type") == "image_url" for p in parts) == 2 * len(judged)


def test_the_api_key_never_appears_in_answers_logs_or_stored_data(server, client):
    info = client.get("/v1/info").json()
    assert info["provider"]["api_key_set"] is True and info["provider"]["model"] == "scripted-model"
    assert info["clip"]["state"] == "ready" and info["clip"]["checkpoint"] == "tiny-clip-test.pt"
    assert info["device"] == "cpu"
    answers = [
        client.get(p).text for p in ("/v1/info", "/v1/jobs?limit=500", "/v1/sketches", "/v1/libraries")
    ]
    answers += [client.get(f"/v1/jobs/{j['id']}").text for j in client.get("/v1/jobs").json()["jobs"]]
    for text in answers:
        assert SECRET_KEY not in text
        assert str(Path.home()) not in text and str(server.data_dir) not in text  # no machine paths
    assert SECRET_KEY not in server.log_text()
    for f in server.data_dir.iterdir():
        assert SECRET_KEY.encode() not in f.read_bytes(), f.name


def test_restart_keeps_finished_results_and_libraries(tmp_path):
    data = tmp_path / "data"
    script = DrawingLLM()
    with ScriptedServer(script) as llm:
        first = start_server(tmp_path / "a", *llm_args(llm), data_dir=data)
        with first.client() as c:
            drawn = wait_job(c, submit(c, {"kind": "draw", "prompt": "a chair", "k": 2})["id"])
            refined = wait_job(
                c,
                submit(
                    c,
                    {
                        "kind": "refine",
                        "prompt": "a chair",
                        "rounds": 1,
                        "k": 2,
                        "library": "kept",
                        "commit": True,
                    },
                )["id"],
            )
            assert drawn["state"] == refined["state"] == "succeeded"
            script.delay = 30  # the next job is in its LLM call when the server stops
            busy = submit(c, {"kind": "draw", "prompt": "a lamp"})
            wait_state(c, busy["id"], ("running",))
            old_token = first.token
        first.stop()
        assert not first.token_file.exists()  # the token goes with the server

        second = start_server(tmp_path / "b", *llm_args(llm), data_dir=data)
        try:
            assert second.token != old_token
            with second.client(token=old_token) as stale:
                assert_envelope(stale.get("/v1/info"), 401, "unauthorized")
            with second.client() as c:
                assert c.get(f"/v1/jobs/{drawn['id']}").json() == drawn
                assert c.get(f"/v1/jobs/{refined['id']}").json() == refined
                sketch_id = drawn["result"]["sketches"][0]["id"]
                assert (
                    c.get(f"/v1/sketches/{sketch_id}").json()["sketch"]
                    == drawn["result"]["sketches"][0]["sketch"]
                )
                lessons = c.get("/v1/libraries/kept").json()["lessons"]
                assert [x["text"] for x in lessons] == [LESSON]
                lost = c.get(f"/v1/jobs/{busy['id']}").json()
                assert lost["state"] == "failed" and lost["error"]["code"] == "interrupted"
                assert "submit it again" in lost["error"]["message"]
        finally:
            second.stop()


def test_llm_down_fails_the_job_clearly_and_the_server_stays_up(tmp_path):
    with ScriptedServer() as gone:
        dead_url = gone.base_url  # a port that was just closed: nothing listens there
    srv = start_server(tmp_path, "--base-url", dead_url, "--model", "m", "--retries", "0")
    try:
        with srv.client() as c:
            failed = wait_job(c, submit(c, {"kind": "draw", "prompt": "a chair", "k": 2})["id"])
            assert failed["state"] == "failed" and failed["error"]["code"] == "provider_error"
            assert (
                "cannot connect" in failed["error"]["message"] and "127.0.0.1" in failed["error"]["message"]
            )
            refine = wait_job(c, submit(c, {"kind": "refine", "prompt": "a chair", "k": 2})["id"])
            assert refine["state"] == "failed" and refine["error"]["code"] == "provider_error"
            assert c.get("/v1/health").json()["status"] == "ok"
            assert c.get("/v1/info").json()["queue"] == {"queued": 0, "running": 0, "max_queued": 32}
        assert srv.proc.poll() is None
    finally:
        srv.stop()

"""Live strokes of a running draw job through a real `threedraw serve`: ``?since=`` and ``/events`` (SSE)."""

from __future__ import annotations

import collections
import json
import time

import pytest

from clip_fixtures import make_tiny_clip
from llm_fixtures import SECRET_KEY
from server_fixtures import JUDGE_REPLY, clip_args, is_judge, llm_args, server_env, start_server, wait_job
from threedraw.testing.scripted_server import RecordedRequest, Reply, ScriptedServer

N = 24
REPLY = (
    "<curves>\n"
    + "".join(
        f"draw_bezier[(0, 0, {i / 40:.3f}), (0.1, 0.2, {i / 40:.3f}), (0.2, 0.2, {i / 40:.3f}), (0.3, 0, {i / 40:.3f})]"
        f"  # rung {i}\n"
        for i in range(N)
    )
    + "</curves>\n"
)


class LadderLLM:
    """Drawing requests get the pushed replies first, then REPLY streamed in about 1.5 s (16 characters
    every 10 ms); the judge gets a lesson."""

    def __init__(self) -> None:
        self.queue: collections.deque[Reply] = collections.deque()

    def __call__(self, req: RecordedRequest) -> Reply:
        if is_judge(req):
            return Reply.completion(JUDGE_REPLY)
        return (
            self.queue.popleft() if self.queue else Reply.completion(REPLY, chunk_chars=16, chunk_delay=0.01)
        )


@pytest.fixture(scope="module")
def script():
    return LadderLLM()


@pytest.fixture(scope="module")
def server(tmp_path_factory, script):
    with ScriptedServer(script) as llm:
        home = tmp_path_factory.mktemp("serve")
        srv = start_server(
            home,
            *llm_args(llm, "--retries", "1"),
            *clip_args(*make_tiny_clip(tmp_path_factory.mktemp("clip"))),
            env=server_env(home, THREEDRAW_API_KEY=SECRET_KEY),
        )
        yield srv
        srv.stop()


def _draw(client):
    resp = client.post("/v1/jobs", json={"kind": "draw", "prompt": "a ladder", "k": 1})
    assert resp.status_code == 202, resp.text
    return resp.json()["id"]


def test_since_returns_only_new_strokes_in_order_while_the_job_runs(server):
    with server.client() as client:
        job_id = _draw(client)
        got, seq, polls_while_running = [], 0, 0
        while True:
            body = client.get(f"/v1/jobs/{job_id}", params={"since": seq}).json()
            assert [s["seq"] for s in body["strokes"]] == list(range(seq + 1, body["seq"] + 1))
            got += body["strokes"]
            seq = body["seq"]
            if body["state"] != "running" and body["state"] != "queued":
                break
            polls_while_running += bool(body["strokes"]) and body["state"] == "running"
            time.sleep(0.05)
        assert body["state"] == "succeeded", body["error"]
        assert polls_while_running >= 3  # strokes came in while the reply was still arriving
        assert [s["seq"] for s in got] == list(range(1, N + 1)) and {s["candidate"] for s in got} == {0}
        assert [s["stroke"]["label"] for s in got] == [f"rung {i}" for i in range(N)]
        assert all(len(s["stroke"]["points"]) == 4 and s["stroke"]["id"] for s in got)
        assert client.get(f"/v1/jobs/{job_id}", params={"since": N}).json()["strokes"] == []
        plain = client.get(f"/v1/jobs/{job_id}").json()
        assert "seq" not in plain and "strokes" not in plain and plain["result"]["sketches"]
        assert client.get(f"/v1/jobs/{job_id}", params={"since": -1}).status_code == 422


def _events(client, job_id):
    out = []
    with client.stream("GET", f"/v1/jobs/{job_id}/events") as resp:
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
        name = None
        for line in resp.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                out.append((name, json.loads(line[6:])))
    return out


def test_events_need_the_token_and_stream_strokes_then_the_result(server):
    with server.client(token=None) as anonymous:
        assert anonymous.get("/v1/jobs/nope/events").status_code == 401
    with server.client() as client:
        job_id = _draw(client)
        events = _events(client, job_id)
        names = [n for n, _ in events]
        assert names[0] == "progress" and names[-1] == "result" and names.count("result") == 1
        strokes = [d for n, d in events if n == "stroke"]
        assert [d["seq"] for d in strokes] == list(range(1, N + 1))
        assert events[-1][1]["state"] == "succeeded" and events[-1][1]["id"] == job_id
        # A late client first gets the strokes so far, then the result.
        late = _events(client, job_id)
        assert [d for n, d in late if n == "stroke"] == strokes and late[-1][0] == "result"
        assert wait_job(client, job_id)["state"] == "succeeded"


def _items(client, job_id):
    body = client.get(f"/v1/jobs/{job_id}", params={"since": 0}).json()
    assert body["seq"] == len(body["strokes"]) and body["seq"] < 256
    return body["strokes"]


def test_a_retried_stream_starts_its_candidate_over_with_reply_2(server, script):
    # The first reply is cut halfway: the provider retries it and the candidate starts over.
    script.queue.append(Reply.completion(REPLY, chunk_chars=16, chunk_delay=0.01, cut=True))
    with server.client() as client:
        job = wait_job(client, _draw(client))
        assert job["state"] == "succeeded", job["error"]
        items = _items(client, job["id"])
        events = [d for n, d in _events(client, job["id"]) if n == "stroke"]
    assert set(items[0]) == {"candidate", "seq", "stroke", "reply"} and events == items
    replies = [s["reply"] for s in items]
    cut = replies.index(2)
    assert 0 < cut < N and replies == [1] * cut + [2] * N  # the cut reply's strokes, then the retry's
    final = job["result"]["sketches"][0]["sketch"]["strokes"]
    assert [s["stroke"]["points"] for s in items[cut:]] == [s["points"] for s in final]
    assert [s["stroke"]["label"] for s in items[cut:]] == [f"rung {i}" for i in range(N)]


def test_each_refine_round_is_a_new_reply_of_its_candidates(server):
    with server.client() as client:
        resp = client.post("/v1/jobs", json={"kind": "refine", "prompt": "a ladder", "rounds": 2, "k": 2})
        assert resp.status_code == 202, resp.text
        job = wait_job(client, resp.json()["id"])
        assert job["state"] == "succeeded", job["error"]
        items = _items(client, job["id"])
    for candidate in (0, 1):
        replies = [s["reply"] for s in items if s["candidate"] == candidate]
        assert replies == [1] * N + [2] * N  # round 1's strokes, then round 2's


def test_the_openapi_schema_documents_the_live_contract():
    from threedraw.server.app import api

    schema = api().openapi()
    parts = schema["components"]["schemas"]
    assert set(parts["LiveStroke"]["properties"]) == {"candidate", "seq", "stroke", "reply"}
    assert "starts that candidate over" in parts["LiveStroke"]["properties"]["reply"]["description"]
    assert {"seq", "strokes"} <= set(parts["JobStrokes"]["properties"])
    job = schema["paths"]["/v1/jobs/{job_id}"]["get"]
    assert any(p["name"] == "since" for p in job["parameters"])
    assert (
        "text/event-stream"
        in schema["paths"]["/v1/jobs/{job_id}/events"]["get"]["responses"]["200"]["content"]
    )


def test_a_restart_opens_a_new_reply_only_after_strokes():
    from threedraw.server.jobs.live import LiveStrokes
    from threedraw.shared.sketch import Stroke

    def stroke(sid: str) -> Stroke:
        return Stroke(sid, ((0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0)))

    live = LiveStrokes()
    live.restart(0)
    live.restart(0)  # announced, then started over before any stroke: still its first reply
    live.add(0, stroke("a"))
    live.restart(1)
    live.add(1, stroke("b"))
    live.restart(0)
    live.restart(0)
    live.add(0, stroke("c"))
    assert [(i.candidate, i.reply, i.seq) for i in live.since(0)[1]] == [
        (0, 1, 1),
        (1, 1, 2),
        (0, 2, 3),
    ]

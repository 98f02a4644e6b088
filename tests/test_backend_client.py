"""The add-on's bpy-free backend client and job follower, with plain pytest against a real
`threedraw serve` (scripted LLM, no CLIP: rewards are the structure score)."""

from __future__ import annotations

import socket
import sys
import time

import pytest

from conftest import ROOT
from llm_fixtures import GOOD_ACTIONS
from server_fixtures import llm_args, start_server
from threedraw.addon.client import BackendClient, BackendError, default_token_file
from threedraw.addon.jobs.follow import JobFollower, progress_text, wait_for
from threedraw.addon.shared.results import JobStatus
from threedraw.testing.scripted_server import RecordedRequest, Reply, ScriptedServer


def script(req: RecordedRequest) -> Reply:
    return Reply.completion(GOOD_ACTIONS, delay=2.0 if "slowly" in req.last_user_text else 0.0)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with ScriptedServer(script) as llm:
        srv = start_server(tmp_path_factory.mktemp("serve"), *llm_args(llm))
        yield srv
        srv.stop()


@pytest.fixture
def client(server):
    return BackendClient(server.url, server.token_file)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_token_file_is_the_one_the_server_at_the_url_writes(monkeypatch, tmp_path):
    from threedraw.server.settings import ServerSettings

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    folder = tmp_path / "threedraw"
    assert default_token_file() == ServerSettings().token_path(8765) == folder / "token"
    assert BackendClient().url == "http://127.0.0.1:8765" and BackendClient().token_file == folder / "token"
    # A second server on another port has its own token file; the preference's default finds it.
    assert ServerSettings().token_path(9000) == folder / "token-9000"
    assert BackendClient("http://127.0.0.1:9000").token_file == folder / "token-9000"
    assert (
        BackendClient("http://127.0.0.1:9000", str(default_token_file())).token_file == folder / "token-9000"
    )
    mine = tmp_path / "elsewhere" / "tok"
    assert BackendClient("http://127.0.0.1:9000", str(mine)).token_file == mine


def test_info_libraries_and_a_draw_job(client):
    assert client.health() == "ok"
    assert client.info().provider.model == "scripted-model"
    assert client.libraries() == []
    job = client.submit({"kind": "draw", "prompt": "a chair", "k": 1})
    for _ in range(600):
        job = client.job(job.id)
        if job.state == "succeeded":
            break
        time.sleep(0.05)
    assert job.state == "succeeded"
    assert job.result is not None and job.result["sketches"][0]["sketch"]["format"] == "threedraw.sketch/1"


def test_follower_streams_progress_then_the_prepared_result(client):
    events = []
    follower = JobFollower(
        client,
        {"kind": "draw", "prompt": "a lamp", "k": 2},
        lambda job: len(job.result["sketches"]),
        poll_s=0.02,
    ).start()
    wait_for(follower, lambda ev: events.append(ev) or ev.kind in ("done", "failed", "cancelled"), timeout=60)
    assert events[0].kind == "submitted" and events[0].job_id
    assert events[-1].kind == "done" and events[-1].payload == 2 and events[-1].fraction == 1.0
    assert all(e.kind in ("submitted", "progress") for e in events[:-1])


def test_follower_cancel_cancels_the_job_on_the_server(client):
    follower = JobFollower(
        client, {"kind": "draw", "prompt": "a chair drawn slowly", "k": 1}, lambda job: job, poll_s=0.02
    ).start()
    events = []
    wait_for(follower, lambda ev: events.append(ev) or ev.kind == "progress", timeout=30)
    follower.cancel()
    wait_for(follower, lambda ev: events.append(ev) or ev.kind in ("done", "failed", "cancelled"), timeout=30)
    assert events[-1].kind == "cancelled"
    assert client.job(follower.job_id).state == "cancelled"


def test_progress_text_reads_stage_and_fraction():
    text, fraction = progress_text(
        JobStatus.from_dict(
            {
                "state": "running",
                "progress": {"phase": "draw", "step": 3, "total": 5, "message": "with scripted-model"},
            }
        )
    )
    assert text == "drawing 3/5: with scripted-model" and fraction == pytest.approx(0.6)
    assert progress_text(JobStatus.from_dict({"state": "queued", "progress": {"phase": "judge"}})) == (
        "judging",
        0.0,
    )


def test_backend_down_is_one_actionable_line(server):
    port = free_port()
    with pytest.raises(BackendError) as e:
        BackendClient(f"http://127.0.0.1:{port}", server.token_file).info()
    assert e.value.code == "not_running"
    assert e.value.message == (
        f"backend not running at http://127.0.0.1:{port}: start it with `threedraw serve` or the Start button"
    )


def test_token_is_read_at_request_time_and_a_wrong_one_is_named(server, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("wrong\n")
    token_file.chmod(0o600)  # owner-only, as threedraw serve writes it (the client refuses others)
    c = BackendClient(server.url + "/v1", token_file)  # the address as `threedraw serve` prints it
    with pytest.raises(BackendError) as e:
        c.info()
    assert e.value.code == "token_rejected" and e.value.status == 401
    assert e.value.message.startswith("token rejected: the backend was restarted")
    assert "token" in e.value.message and "\n" not in e.value.message
    token_file.write_text(server.token)  # as a restarted server rewrites it
    assert c.info().api == "v1"
    token_file.unlink()
    with pytest.raises(BackendError, match=r"no token file token in .*start it with `threedraw serve`"):
        c.info()


def test_server_error_envelope_becomes_one_backend_error(client):
    with pytest.raises(BackendError) as e:
        client.submit({"kind": "draw", "prompt": "a chair", "k": 0})
    assert e.value.status == 422 and e.value.message.startswith("backend: ")
    assert "k" in e.value.message and "\n" not in e.value.message
    with pytest.raises(BackendError) as e:
        client.job("nope")
    assert e.value.code == "job_not_found" and e.value.status == 404
    with pytest.raises(BackendError, match="not an http:// address"):
        BackendClient("ftp://example")


def test_what_runs_on_worker_threads_never_imports_bpy():
    import ast

    worker_side = [
        *sorted((ROOT / "blender_addon" / "client").glob("*.py")),
        ROOT / "blender_addon" / "jobs" / "follow.py",
        ROOT / "blender_addon" / "jobs" / "prepare.py",
    ]
    for path in worker_side:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
            else:
                continue
            for n in names:
                assert n.split(".")[0] not in ("bpy", "mathutils", "bmesh"), f"{path.name} imports {n}"
                assert n not in ("..", "..jobs.poller", "..curves"), f"{path.name} imports {n} (bpy-side)"
    assert "bpy" not in sys.modules, "importing the client loaded Blender"

"""Two servers, one machine: one server per data folder, a token file per port, a learn job's run
found and resumed after a kill, slow clients dropped while others are served, clear start-up errors."""

from __future__ import annotations

import signal
import socket
import time

import pytest

from clip_fixtures import make_tiny_clip
from server_fixtures import (
    clip_args,
    closed_within,
    llm_args,
    serve_once,
    start_server,
    wait_job,
    wait_state,
)
from threedraw.shared.token_path import token_file, token_file_for_url

# Fixtures taken from the shared fixture modules (tests/blender runs without them).
pytest_plugins = ("server_fixtures",)


def submit(client, body: dict) -> dict:
    resp = client.post("/v1/jobs", json=body)
    assert resp.status_code == 202, resp.text
    return resp.json()


def test_the_token_file_is_found_from_the_url(tmp_path):
    assert token_file_for_url("http://127.0.0.1:8765/v1", tmp_path) == tmp_path / "token"  # the historic path
    assert token_file_for_url("http://localhost:9000", tmp_path) == tmp_path / "token-9000"
    assert token_file_for_url("[::1]:9000", tmp_path) == token_file(9000, tmp_path)
    assert token_file_for_url("http://localhost/v1", tmp_path) == tmp_path / "token-80"
    with pytest.raises(ValueError, match="port"):
        token_file_for_url("http://localhost:99999", tmp_path)


def test_one_server_per_data_folder_and_one_token_file_per_port(tmp_path, llm, script):
    home = tmp_path / "home"
    folder = home / "config" / "threedraw"
    folder.mkdir(parents=True)
    folder.chmod(0o777)  # others may write here: the server must say so (and is told to accept it)
    first = start_server(home, *llm_args(llm), "--allow-shared-token-dir")
    try:
        assert first.token_file.name == f"token-{first.url.rsplit(':', 1)[1]}"
        assert "warning: other users can write to the token's folder threedraw/" in first.log_text()
        with first.client() as c:
            script.delay = 4
            busy = submit(c, {"kind": "draw", "prompt": "a chair", "k": 2})
            wait_state(c, busy["id"], ("running",))

            again = serve_once(home, "--data-dir", str(first.data_dir), *llm_args(llm))
            assert again.returncode == 2, again.stderr
            lines = again.stderr.strip().splitlines()
            assert len(lines) == 1 and "Traceback" not in again.stderr, again.stderr
            assert "is in use by another threedraw serve" in lines[0] and first.url in lines[0]
            assert c.get(f"/v1/jobs/{busy['id']}").json()["state"] == "running"  # untouched

            second = start_server(
                home, *llm_args(llm), "--allow-shared-token-dir", data_dir=tmp_path / "other-data"
            )
            try:
                assert second.token_file != first.token_file and second.token != first.token
                assert c.get("/v1/info").status_code == 200  # the first server's clients keep working
            finally:
                second.stop()
            assert first.token_file.exists() and not second.token_file.exists()
            done = wait_job(c, busy["id"], timeout=60)
            assert done["state"] == "succeeded", done["error"]
    finally:
        script.delay = 0
        first.stop()


def test_an_unwritable_token_file_is_one_clear_line(tmp_path):
    out = serve_once(
        tmp_path,
        "--data-dir",
        str(tmp_path / "data"),
        "--token-file",
        "/proc/threedraw-test/token",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--model",
        "m",
    )
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "threedraw serve: --token-file /proc/threedraw-test/token: cannot write"
    )
    # The data folder is free again: a server can start on it at once.
    srv = start_server(
        tmp_path, "--base-url", "http://127.0.0.1:9/v1", "--model", "m", data_dir=tmp_path / "data"
    )
    srv.stop()


def test_a_killed_learn_job_names_its_run_which_resumes_over_the_api(tmp_path, llm, script):
    clip = make_tiny_clip(tmp_path / "clip")
    data = tmp_path / "data"
    first = start_server(tmp_path / "a", *llm_args(llm), *clip_args(*clip), data_dir=data)
    try:
        with first.client() as c:
            script.delay = 30  # the job sits in an LLM call when the server is killed
            job = submit(
                c, {"kind": "learn", "library": "chairs", "prompts": ["a chair"], "epochs": 1, "k": 2}
            )
            deadline = time.monotonic() + 30
            while c.get(f"/v1/jobs/{job['id']}").json()["run_id"] is None:
                assert time.monotonic() < deadline, "the job never recorded its run"
                time.sleep(0.05)
            run_id = c.get(f"/v1/jobs/{job['id']}").json()["run_id"]
            listed = c.get("/v1/runs").json()["runs"]
            assert [(r["id"], r["status"], r["resumable"]) for r in listed] == [(run_id, "running", False)]
            assert c.post(f"/v1/runs/{run_id}/resume").json()["error"]["code"] == "run_not_resumable"
            # A second run on the library is refused, naming the first, unless asked for.
            rival = wait_job(
                c, submit(c, {"kind": "learn", "library": "chairs", "prompts": ["a chair"]})["id"]
            )
            assert rival["state"] == "failed" and rival["error"]["code"] == "library_error"
            assert f"being learned by run {run_id}" in rival["error"]["message"]
    finally:
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(timeout=30)
        script.delay = 0
    second = start_server(tmp_path / "b", *llm_args(llm), *clip_args(*clip), data_dir=data)
    try:
        with second.client() as c:
            lost = c.get(f"/v1/jobs/{job['id']}").json()
            assert lost["state"] == "failed" and lost["error"]["code"] == "interrupted"
            assert lost["run_id"] == run_id and lost["error"]["detail"]["run_id"] == run_id
            assert f"POST /v1/runs/{run_id}/resume" in lost["error"]["message"]
            run = c.get(f"/v1/runs/{run_id}").json()
            assert run["library"] == "chairs" and run["resumable"] is True
            assert c.get("/v1/runs", params={"library": "other"}).json() == {"runs": []}
            assert c.get("/v1/runs/nope").json()["error"]["code"] == "run_not_found"
            resumed = c.post(f"/v1/runs/{run_id}/resume")
            assert resumed.status_code == 202, resumed.text
            done = wait_job(c, resumed.json()["id"], timeout=120)
            assert done["state"] == "succeeded", done["error"]
            assert done["run_id"] == run_id and done["result"]["run_id"] == run_id
            again = c.post(f"/v1/runs/{run_id}/resume")
            assert again.status_code == 409 and "finished" in again.json()["error"]["message"]
    finally:
        second.stop()


def test_slow_clients_are_dropped_and_others_served(tmp_path):
    srv = start_server(
        tmp_path,
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--model",
        "m",
        "--read-timeout",
        "1.5",
        "--max-connections",
        "8",
    )
    host, port = srv.url.removeprefix("http://").split(":")
    silent = [socket.create_connection((host, int(port)), timeout=5) for _ in range(3)]
    trickle = socket.create_connection((host, int(port)), timeout=5)
    no_body = socket.create_connection((host, int(port)), timeout=5)  # whole headers, then never the body
    no_body.sendall(
        f"POST /v1/jobs HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {srv.token}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{".encode()
    )
    silent.append(no_body)
    try:
        started = time.monotonic()
        request = f"GET /v1/health HTTP/1.1\r\nHost: {host}\r\nX-Pad: {'a' * 40}\r\n\r\n".encode()
        with srv.client() as c:
            dropped_after = None
            for i, byte in enumerate(request):  # one byte every 0.1 s: never a whole request in time
                try:
                    trickle.sendall(bytes([byte]))
                except (BrokenPipeError, ConnectionResetError):
                    dropped_after = time.monotonic() - started
                    break
                if i % 5 == 0:
                    assert c.get("/v1/info").status_code == 200  # others are served meanwhile
                time.sleep(0.1)
            assert dropped_after is not None and 1.0 < dropped_after < 5, dropped_after
            assert all(closed_within(s, 3) for s in silent)
            # Beyond the connection cap a new connection is closed at once; below it all is well.
            held = [socket.create_connection((host, int(port)), timeout=5) for _ in range(10)]
            try:
                assert sum(closed_within(s, 0.5) for s in held) >= 2
            finally:
                for s in held:
                    s.close()
            assert c.get("/v1/info").status_code == 200
    finally:
        for s in [*silent, trickle]:
            s.close()
        srv.stop()

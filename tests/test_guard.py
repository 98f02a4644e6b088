"""A backend no local process can lock out: half-sent requests are dropped within a couple of
seconds and never keep /v1/health or the add-on waiting, however many there are; event streams
replaying a long job take turns with every other request."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from server_fixtures import closed_within, llm_args, start_server
from threedraw.bench.server import REPLIES, STREAMS, STROKES_PER_REPLY, LongJobLLM, long_job, replay
from threedraw.testing.scripted_server import ScriptedServer

HALF_OPEN = 200  # more than the server's 128 connections
ANSWER_WITHIN_S = 2.0  # generous: `threedraw bench server` measures the real figure
STROKES = REPLIES * STROKES_PER_REPLY  # 2,000


@pytest.fixture
def server(tmp_path):
    srv = start_server(tmp_path, "--base-url", "http://127.0.0.1:9/v1", "--model", "m")
    yield srv
    srv.stop()


def _answer(client: httpx.Client, path: str) -> tuple[int | str, float]:
    """The status of GET ``path`` on a new connection (or why there was none) and how long it took."""
    started = time.monotonic()
    try:
        status: int | str = client.get(path).status_code
    except httpx.TransportError as e:
        status = f"{type(e).__name__}: {e}"
    return status, time.monotonic() - started


def test_half_sent_requests_never_lock_out_health_or_the_add_on(server):
    host, port = server.url.removeprefix("http://").split(":")
    half = []
    try:
        for _ in range(HALF_OPEN):
            s = socket.create_connection((host, int(port)), timeout=5)
            s.sendall(f"GET /v1/health HTTP/1.1\r\nHost: {host}\r\nX-Pad: ".encode())
            half.append(s)
        time.sleep(0.3)  # the server has taken them all in
        for path, token in (("/v1/health", None), ("/v1/info", server.token)):
            with server.client(token=token) as c:
                status, took = _answer(c, path)
            assert status == 200 and took < ANSWER_WITHIN_S, (path, status, took)
        # Every half-sent request is dropped: evicted by newcomers, or past the headers' deadline.
        started = time.monotonic()
        assert all(closed_within(s, 4) for s in half)
        assert time.monotonic() - started < 4
    finally:
        for s in half:
            s.close()


def test_health_is_answered_while_twenty_streams_replay_a_long_job(tmp_path):
    """Each stream gives the event loop back between strokes: health is answered again and again
    while 20 clients replay 2,000 live strokes, not once they are done."""
    with ScriptedServer(LongJobLLM()) as llm:
        srv = start_server(tmp_path, *llm_args(llm, "--timeout", "120"))
        try:
            job_id = long_job(srv.url, srv.token)
            streams = replay(srv.url, srv.token, job_id, STROKES)
            assert streams.strokes == [STROKES] * STREAMS
            assert streams.answered_during >= 3, streams
            with srv.client() as c:
                assert c.post(f"/v1/jobs/{job_id}/cancel").status_code == 200
        finally:
            srv.stop()

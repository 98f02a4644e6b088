"""A backend no local process can lock out: half-sent requests are dropped within a couple of
seconds and never keep /v1/health or the add-on waiting, however many there are; event streams
replaying a long job take turns with every other request."""

from __future__ import annotations

import pytest

from server_fixtures import llm_args, start_server
from threedraw.bench.server import (
    HALF_OPEN,
    REPLIES,
    STREAMS,
    STROKES_PER_REPLY,
    LongJobLLM,
    half_open,
    long_job,
    replay,
)
from threedraw.testing.scripted_server import ScriptedServer

ANSWER_WITHIN_S = 2.0  # generous: `threedraw bench server` measures the real figure
STROKES = REPLIES * STROKES_PER_REPLY  # 2,000


@pytest.fixture
def server(tmp_path):
    srv = start_server(tmp_path, "--base-url", "http://127.0.0.1:9/v1", "--model", "m")
    yield srv
    srv.stop()


def test_half_sent_requests_never_lock_out_health_or_the_add_on(server):
    """200 connections send half a request's headers (more than the server's 128 connections):
    /v1/health and an authenticated GET, each on a new connection, are still answered at once, and
    every half-sent request is dropped (evicted by newcomers, or past the headers' deadline)."""
    health_ms, info_ms, closed = half_open(server.url, server.token)
    assert health_ms < ANSWER_WITHIN_S * 1000 and info_ms < ANSWER_WITHIN_S * 1000, (health_ms, info_ms)
    assert closed == HALF_OPEN


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

"""The server under load from local clients: /v1/health's answer time while event streams replay a
long job, and while half-sent requests try to fill every connection.

A real ``threedraw serve`` (its own process, as the add-on sees it) draws one job of 9 candidates
against the scripted LLM: 8 replies of 250 strokes (2,000 live strokes), the 9th never answers, so
the job stays running. Then:

* STREAMS clients open ``/v1/jobs/{id}/events`` at once and replay the 2,000 strokes while /v1/health
  is asked every 10 ms on a new connection. Target: health under 100 ms.
* HALF_OPEN connections send half a request's headers and nothing more, then /v1/health and an
  authenticated GET /v1/info are asked on new connections. Target: answered at once (under 1 s),
  and the half-sent connections all closed within the headers' deadline (2 s).
"""

from __future__ import annotations

import argparse
import selectors
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ..testing.scripted_server import RecordedRequest, Reply, ScriptedServer
from ..testing.serve_process import isolated_env, launch, token_path, wait_listening

STREAMS = 20
STROKES_PER_REPLY = 250
REPLIES = 8  # 2,000 live strokes
HALF_OPEN = 200
HEALTH_EVERY_S = 0.01
IDLE_ASKS = 100  # health asked with no stream open: what this machine gives anyway
MARK = b"event: stroke\n"

MEANINGS = {
    "live strokes replayed per stream": "each stream's replay of the running job",
    "replay of all streams, s": "from opening the streams to the last one's 2,000th stroke",
    "health while replaying, max ms (target < 100)": "GET /v1/health on a new connection",
    "health while replaying, 90th percentile ms": "",
    "health while replaying, median ms": "",
    "health idle, max ms": "the same asks before the streams open (this machine's own noise)",
    "health idle, median ms": "",
    "health answers before the replays ended": "asked one after another, 10 ms apart",
    "health, 200 half-sent requests open, ms (target < 1000)": "GET /v1/health on a new connection",
    "authenticated GET, 200 half-sent requests open, ms": "GET /v1/info with the token",
    "half-sent requests closed within 3 s": "evicted by newcomers or past the headers' deadline",
}


def ladder(reply: int, n: int = STROKES_PER_REPLY) -> str:
    """A reply of ``n`` strokes, each apart from the others (a repeated one would be cut off as a loop)."""
    lines = []
    for i in range(n):
        x, y, z = (-0.9 + 0.2 * (i % 10), -0.9 + 0.3 * (i // 10 % 7), -0.9 + 0.45 * (i // 70))
        tip = 0.05 + 0.01 * (reply % 8)
        lines.append(
            f"draw_bezier[({x:.2f}, {y:.2f}, {z:.2f}), ({x + tip:.2f}, {y:.2f}, {z:.2f}), "
            f"({x + tip:.2f}, {y + tip:.2f}, {z:.2f}), ({x + tip:.2f}, {y + tip:.2f}, {z + tip:.2f})]\n"
        )
    return "<curves>\n" + "".join(lines) + "</curves>\n"


class LongJobLLM:
    """The first REPLIES drawing requests get a whole ladder at once; later ones never answer."""

    def __init__(self) -> None:
        self._n = 0
        self._lock = threading.Lock()

    def __call__(self, req: RecordedRequest) -> Reply:
        with self._lock:
            self._n += 1
            n = self._n
        return Reply.completion(ladder(n), chunk_chars=4096) if n <= REPLIES else Reply.hanging()


@contextmanager
def serving(llm: ScriptedServer, folder: Path) -> Iterator[tuple[str, str]]:
    """A `threedraw serve` on a free port calling ``llm``: (its URL, its token)."""
    llm_args = ["--base-url", llm.base_url, "--model", "scripted", "--retries", "0", "--timeout", "600"]
    proc = launch(folder / "data", llm_args, isolated_env(folder), folder / "serve.log")
    try:
        url = wait_listening(proc, folder / "serve.log")
        yield url, token_path(url, folder).read_text().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _address(url: str) -> tuple[str, int]:
    """(host, port) of the server at ``url`` (http://HOST:PORT, as serve prints it)."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def health_ms(url: str) -> float:
    """One GET /v1/health on a new connection, in milliseconds (a plain socket: the figure is the
    server's, not an HTTP client library's)."""
    host, port = _address(url)
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=30) as s:
        s.sendall(f"GET /v1/health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while data := s.recv(4096):
            answer += data
    if not answer.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"/v1/health answered {answer[:80]!r}")
    return (time.monotonic() - started) * 1000


def idle_health(url: str) -> list[float]:
    """IDLE_ASKS health answer times (ms) with nothing else going on."""
    answers = []
    for _ in range(IDLE_ASKS):
        answers.append(health_ms(url))
        time.sleep(HEALTH_EVERY_S)
    return answers


def long_job(url: str, token: str) -> str:
    """A running draw job with REPLIES * STROKES_PER_REPLY live strokes: its id."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
        body = {"kind": "draw", "prompt": "a ladder", "k": REPLIES + 1, "max_strokes": STROKES_PER_REPLY}
        resp = c.post("/v1/jobs", json=body)
        resp.raise_for_status()
        job_id = resp.json()["id"]
        deadline = time.monotonic() + 120
        while c.get(f"/v1/jobs/{job_id}", params={"since": 0}).json()["seq"] < REPLIES * STROKES_PER_REPLY:
            if time.monotonic() > deadline:
                raise RuntimeError("the job's live strokes never reached 2,000")
            time.sleep(0.1)
        return job_id


@dataclass
class Replay:
    seconds: float  # until every stream had its strokes
    strokes: list[int]  # strokes each stream got
    health_ms: list[float]  # /v1/health answer times of the asks sent while the streams replayed
    answered_during: int  # how many of those were answered before the replays ended


def replay(url: str, token: str, job_id: str, strokes: int) -> Replay:
    """STREAMS event streams replay the job's ``strokes`` live strokes while /v1/health is asked.

    One thread reads every stream (a selector), so the health asks share this process's time with
    one thread, not twenty."""
    host, port = _address(url)
    request = (
        f"GET /v1/jobs/{job_id}/events HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n"
    ).encode()
    got = [0] * STREAMS
    ended: list[float] = []
    socks = [socket.create_connection((host, port), timeout=60) for _ in range(STREAMS)]

    def read() -> None:
        tails = [b""] * STREAMS
        with selectors.DefaultSelector() as sel:
            for i, s in enumerate(socks):
                sel.register(s, selectors.EVENT_READ, i)
            while sel.get_map():
                for key, _ in sel.select(timeout=60):
                    i = key.data
                    data = socks[i].recv(1 << 16)
                    text = tails[i] + data  # an event name cut between reads is counted once whole
                    got[i] += text.count(MARK) - tails[i].count(MARK)
                    tails[i] = text[-len(MARK) :]
                    if not data or got[i] >= strokes:
                        sel.unregister(socks[i])
        ended.append(time.monotonic())

    try:
        started = time.monotonic()
        for s in socks:
            s.sendall(request)
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        answers = []
        while reader.is_alive():
            answers.append((health_ms(url), time.monotonic()))  # (ms, answered at)
            time.sleep(HEALTH_EVERY_S)
        reader.join()
    finally:
        for s in socks:
            s.close()
    end = ended[0] if ended else time.monotonic()
    early = sum(at < end for _, at in answers)
    return Replay(end - started, got, [ms for ms, _ in answers], early)


def half_open(url: str, token: str) -> tuple[float, float, int]:
    """HALF_OPEN half-sent requests held open: (health ms, authenticated GET ms, how many of them the
    server closed within 3 s)."""
    host, port = _address(url)
    socks = []
    try:
        for _ in range(HALF_OPEN):
            s = socket.create_connection((host, port), timeout=5)
            s.sendall(f"GET /v1/health HTTP/1.1\r\nHost: {host}\r\nX-Pad: ".encode())
            socks.append(s)
        time.sleep(0.3)
        health = health_ms(url)
        started = time.monotonic()
        httpx.get(
            url + "/v1/info", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ).raise_for_status()
        info = (time.monotonic() - started) * 1000
        deadline = time.monotonic() + 3
        closed = 0
        for s in socks:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                closed += s.recv(1) == b""
            except ConnectionError:
                closed += 1
            except TimeoutError:
                pass
        return health, info, closed
    finally:
        for s in socks:
            s.close()


def run_benchmark(args: argparse.Namespace | None = None) -> dict[str, Any]:
    strokes = REPLIES * STROKES_PER_REPLY
    with (
        tempfile.TemporaryDirectory() as tmp,
        ScriptedServer(LongJobLLM()) as llm,
        serving(llm, Path(tmp)) as (url, token),
    ):
        job_id = long_job(url, token)
        idle = idle_health(url)
        streams = replay(url, token, job_id, strokes)
        health, info, closed = half_open(url, token)
    during = streams.health_ms
    return {
        "live strokes replayed per stream": min(streams.strokes),
        "replay of all streams, s": round(streams.seconds, 3),
        "health idle, max ms": round(max(idle), 1),
        "health idle, median ms": round(statistics.median(idle), 1),
        "health while replaying, max ms (target < 100)": round(max(during), 1),
        "health while replaying, 90th percentile ms": round(_p90(during), 1),
        "health while replaying, median ms": round(statistics.median(during), 1),
        "health answers before the replays ended": streams.answered_during,
        "health, 200 half-sent requests open, ms (target < 1000)": round(health, 1),
        "authenticated GET, 200 half-sent requests open, ms": round(info, 1),
        "half-sent requests closed within 3 s": f"{closed} of {HALF_OPEN}",
    }


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]

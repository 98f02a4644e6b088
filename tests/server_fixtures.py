"""Helpers for the server tests: a real `threedraw serve` process on a free port, started and
stopped by the tests, a scripted LLM for it to call, and a tiny CLIP for it to score with."""

from __future__ import annotations

import base64
import io
import itertools
import json
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from clip_fixtures import clip_args as clip_args  # re-exported for the server tests
from llm_fixtures import GOOD_ACTIONS
from threedraw.testing.scripted_server import RecordedRequest, Reply, ScriptedServer
from threedraw.testing.serve_process import isolated_env as server_env  # re-exported for the tests
from threedraw.testing.serve_process import launch, token_path, wait_listening

ROOT = Path(__file__).resolve().parent.parent
FINISHED = ("succeeded", "failed", "cancelled")
OWN_TOKEN = object()

# A second, poorer drawing, so K candidates differ and the judge has a contrast to explain.
POOR_ACTIONS = "<curves>\ndraw_bezier[(-0.5, 0, 0), (-0.2, 0, 0), (0.2, 0, 0), (0.5, 0, 0)]\n</curves>"
LESSON = "Join every leg to a corner of the seat so the chair is one connected piece."
JUDGE_REPLY = json.dumps(
    {
        "analysis": "The better sketch has legs joined to the seat.",
        "operations": [{"operation": "add", "content": LESSON}],
    }
)


def sketch_dict(prompt: str = "a box", shift: float = 0.0) -> dict[str, Any]:
    """A small valid sketch in the canonical JSON (two strokes)."""
    a, b = -0.5 + shift, 0.5 - shift
    return {
        "format": "threedraw.sketch/1",
        "prompt": prompt,
        "strokes": [
            {"id": "s1", "points": [[a, a, a], [a, 0.0, a], [a, 0.2, a], [a, b, a]]},
            {"id": "s2", "points": [[a, b, a], [0.0, b, a], [0.2, b, a], [b, b, b]]},
        ],
    }


def is_judge(req: RecordedRequest) -> bool:
    """Whether a request asks the judge (its system prompt is the judge's), not the drawing agent."""
    system = next((m.get("content", "") for m in req.messages if m.get("role") == "system"), "")
    return isinstance(system, str) and "You are a judge" in system


class DrawingLLM:
    """Script for the scripted server: judges get a lesson, drawing requests alternate good and poor."""

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self._n = itertools.count()

    def __call__(self, req: RecordedRequest) -> Reply:
        if is_judge(req):
            return Reply.completion(JUDGE_REPLY, delay=self.delay)
        text = GOOD_ACTIONS if next(self._n) % 2 == 0 else POOR_ACTIONS
        return Reply.completion(text, delay=self.delay)


@pytest.fixture(scope="module")
def script():
    """The module's scripted LLM (tests read its requests)."""
    return DrawingLLM()


@pytest.fixture(scope="module")
def llm(script):
    with ScriptedServer(script) as srv:
        yield srv


@pytest.fixture
def client(server):
    """An HTTP client of the test module's ``server`` fixture, sending its token."""
    with server.client() as c:
        yield c


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    token_file: Path
    data_dir: Path
    log: Path

    @property
    def token(self) -> str:
        return self.token_file.read_text().strip()

    def client(
        self, token: Any = OWN_TOKEN, headers: dict[str, str] | None = None, **kw: Any
    ) -> httpx.Client:
        """A client sending the server's token (``token=None``: none; a string: that one)."""
        headers = dict(headers or {})
        tok = self.token if token is OWN_TOKEN else token
        if tok is not None:
            headers["Authorization"] = f"Bearer {tok}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **kw)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it; the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return self.proc.returncode


def start_server(
    home: Path,
    *args: str,
    data_dir: Path | None = None,
    env: dict[str, str] | None = None,
    python: str = sys.executable,
) -> Server:
    """Start `threedraw serve --port 0 ...` (under ``python``) and wait until it answers /v1/health."""
    home.mkdir(parents=True, exist_ok=True)
    data_dir = data_dir or home / "data"
    log = home / f"serve-{time.monotonic_ns()}.log"
    proc = launch(data_dir, list(args), env or server_env(home), log, python, cwd=ROOT)
    url = wait_listening(proc, log)
    return Server(proc, url, token_path(url, home), data_dir, log)


def serve_once(home: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """`threedraw serve` expected to stop by itself (a refusal at start)."""
    return subprocess.run(
        [sys.executable, "-m", "threedraw.cli", "serve", "--port", "0", *args],
        cwd=ROOT,
        env=server_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def llm_args(llm: ScriptedServer, *extra: str) -> list[str]:
    """Provider options for a server that calls the scripted LLM, with test-sized retries."""
    return [
        "--base-url",
        llm.base_url,
        "--model",
        "scripted-model",
        "--retries",
        "0",
        "--timeout",
        "20",
        *extra,
    ]


def wait_job(client: httpx.Client, job_id: str, timeout: float = 60) -> dict[str, Any]:
    """Poll a job until it finishes; the finished job."""
    return wait_state(client, job_id, tuple(FINISHED), timeout)


def wait_state(
    client: httpx.Client, job_id: str, states: tuple[str, ...], timeout: float = 30
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["state"] in states:
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} never reached {states}: {job}")


def png_size(record: dict[str, Any]) -> tuple[int, int]:
    """Decode a PNG record of a result; its (width, height), checked against what it claims."""
    from PIL import Image

    assert record["media_type"] == "image/png"
    image = Image.open(io.BytesIO(base64.b64decode(record["data"])))
    image.load()
    assert image.size == (record["width"], record["height"])
    return image.size


def assert_envelope(resp: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response has ``status`` and the one error envelope; its error object."""
    assert resp.status_code == status, (resp.status_code, resp.text[:500])
    body = resp.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert set(err) == {"code", "message", "detail"}, err
    assert isinstance(err["message"], str) and err["message"].strip()
    if code is not None:
        assert err["code"] == code, err
    return err


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the server closes ``sock`` within ``seconds`` (recv sees the end, or a reset)."""
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
        return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False

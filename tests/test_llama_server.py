"""llama.cpp's own OpenAI-compatible server (``python -m llama_cpp.server``, llama-cpp-python's
[server] extra) serving the embedded SmolLM2: a real third-party server, nothing scripted.

It answers ``response_format`` ``json_schema`` with an HTTP 500 and takes ``json_object`` with a
schema, streams without a usage chunk: ``--json-schema`` must adapt once and draw, ``threedraw
check`` must say so, and a streamed reply must arrive in pieces. Kept few and small (the model is tiny).
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from threedraw.llm import ChatRequest, Message
from threedraw.llm.openai_compat import OpenAICompatProvider

pytest.importorskip("llama_cpp.server", reason="llama-cpp-python's [server] extra (make install)")
START_S = 90
ALIAS = "smollm2"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llama(tmp_path_factory) -> Iterator[str]:
    """The base URL of a running llama.cpp server with the embedded model."""
    from threedraw.llm.local import default_model_path

    port = _free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(default_model_path()),
        "--host",
        "127.0.0.1",
    ]
    cmd += ["--port", str(port), "--model_alias", ALIAS, "--n_ctx", "4096"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + START_S
        while True:
            assert proc.poll() is None, (
                f"llama.cpp's server exited:\n{log.read_text(errors='replace')[-2000:]}"
            )
            try:
                if httpx.get(base + "/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"llama.cpp's server did not start in {START_S} s"
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def threedraw(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "threedraw.cli", *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )


def test_check_against_llama_cpp_finds_json_object_and_says_drawing_works(llama, tmp_path):
    r = threedraw("check", "--base-url", llama, "--model", ALIAS, "--timeout", "60", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"drawing works with {ALIAS} at 127.0.0.1:" in r.stdout
    table = {line.split("  ")[0]: line for line in r.stdout.splitlines()}
    assert "json_object with the schema" in table["structured output"]
    assert "yes" in table["model listed"] and "no usage chunk" in table["streaming"]


def test_draw_json_schema_through_llama_cpp_adapts_once_and_writes_a_sketch(llama, tmp_path):
    r = threedraw(
        "draw",
        "a chair",
        "--base-url",
        llama,
        "--model",
        ALIAS,
        "--json-schema",
        "--max-tokens",
        "600",
        "--max-strokes",
        "6",
        "-k",
        "1",
        "--out",
        "chair.blend",
        "--report",
        "report.json",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert (
        r.stderr.count("takes no json_schema response_format (asking for json_object with the schema)") == 1
    )
    sketch = json.loads((tmp_path / "chair.json").read_text())
    assert sketch["format"] == "threedraw.sketch/1" and len(sketch["strokes"]) >= 1
    assert (tmp_path / "chair.blend").stat().st_size > 0
    # The reply was streamed: its strokes were reported live as they arrived.
    assert "#1: " in r.stderr and " strokes" in r.stderr


def test_a_streamed_reply_from_llama_cpp_arrives_in_pieces_with_unknown_cost(llama):
    provider = OpenAICompatProvider(llama, ALIAS, api_key="", timeout=60)
    req = ChatRequest((Message("user", "Name three colours."),), temperature=0.0, max_tokens=24)
    pieces: list = []

    async def go():
        try:
            return await provider.complete(req, on_text=pieces.append)
        finally:
            await provider.aclose()

    comp = asyncio.run(go())
    assert provider.stream is True and len(pieces) > 1
    assert "".join(pieces) == comp.text and comp.text.strip()
    # No usage chunk even with stream_options: the tokens are unknown, never counted as free.
    assert comp.usage.cost_usd is None

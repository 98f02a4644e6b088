"""`threedraw check` and GET /v1/check: a table of what works with an endpoint and model, exit 0 when
drawing will work, against the scripted server behaving as each API documents (real HTTP, real CLI)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from server_fixtures import start_server
from threedraw.testing.scripted_server import Reply, ScriptedServer

OK_JSON = Reply.completion('{"ok": true}')


def check(*args: str) -> subprocess.CompletedProcess:
    env_free = {"THREEDRAW_API_KEY": "sk-check-test"}
    cmd = [sys.executable, "-m", "threedraw.cli", "check", "--timeout", "10", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env={**_env(), **env_free})


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("THREEDRAW_")}


def rows(stdout: str) -> dict[str, str]:
    """name -> 'yes detail' / 'NO detail' / '- detail'."""
    out = {}
    for line in stdout.splitlines():
        name, _, rest = line.partition("  ")
        if rest.strip():
            out[name.strip()] = " ".join(rest.split())
    return out


def test_check_a_reasoning_model_says_what_was_adapted_and_that_drawing_works():
    with ScriptedServer(mimic="openai-reasoning", default=OK_JSON, models=("gpt-5-mini",)) as srv:
        r = check("--base-url", srv.base_url, "--model", "gpt-5-mini")
        sent = len(srv.requests)
    assert r.returncode == 0, r.stderr
    table = rows(r.stdout)
    for name in ("reachable", "key accepted", "model listed", "chat completion", "streaming", "image input"):
        assert table[name].startswith("yes"), (name, r.stdout)
    assert table["structured output"] == "yes json_schema (--json-schema)"
    assert table["adaptations"] == "yes max_tokens: max_completion_tokens, temperature: default"
    assert r.stdout.rstrip().endswith(f"drawing works with gpt-5-mini at 127.0.0.1:{srv.port}")
    assert "and no temperature (sampling at its default; candidates still differ)" in r.stderr
    assert sent <= 8  # models, 2 refusals, chat, stream, structured, image


def test_check_llama_cpp_pythons_server_finds_json_object_and_no_streamed_usage():
    with ScriptedServer(mimic="llama-cpp-python", default=OK_JSON, models=("smollm2",)) as srv:
        r = check("--base-url", srv.base_url, "--model", "smollm2")
    assert r.returncode == 0, r.stderr
    table = rows(r.stdout)
    assert table["structured output"].startswith("yes json_object with the schema")
    assert "no usage chunk" in table["streaming"]
    assert table["token usage"].startswith("yes")  # counted on plain replies


def test_check_fails_in_one_line_when_the_key_is_refused_or_the_server_is_down():
    with ScriptedServer(default=Reply.error(401, "bad key")) as srv:
        srv_url = srv.base_url
        # /models answers 200 in the scripted server: make the chat refuse the key instead.
        r = check("--base-url", srv_url, "--model", "scripted")
    assert r.returncode == 1
    assert (
        r.stderr.strip().splitlines()[-1].startswith("threedraw check: drawing will not work with scripted")
    )
    assert "HTTP 401" in r.stderr
    r = check("--base-url", srv_url, "--model", "scripted")  # closed now: nothing listens
    assert r.returncode == 1 and "cannot connect" in r.stderr.splitlines()[-1]
    assert "reachable" in r.stdout and "NO" in r.stdout.splitlines()[0]


def test_get_v1_check_answers_the_same_verdict_for_the_configured_model(tmp_path):
    with ScriptedServer(mimic="openai-reasoning", default=OK_JSON, models=("gpt-5-mini",)) as llm:
        server = start_server(tmp_path, "--base-url", llm.base_url, "--model", "gpt-5-mini", "--retries", "0")
        try:
            with server.client(token=None) as anon:
                assert anon.get("/v1/check").status_code == 401  # authenticated, as every route
            with server.client() as c:
                got = c.get("/v1/check").json()
                sent = len(llm.requests)
                again = c.get("/v1/check").json()  # kept for a minute: no second round of requests
                assert len(llm.requests) == sent
        finally:
            server.stop()
    assert got == again and got["ok"] is True
    assert got["verdict"] == f"drawing works with gpt-5-mini at 127.0.0.1:{llm.port}"
    assert got["adaptations"] == {"max_tokens": "max_completion_tokens", "temperature": "default"}
    assert {r["name"] for r in got["rows"]} >= {"reachable", "chat completion", "structured output"}


def test_check_the_local_model_runs_it_and_says_it_reads_no_images():
    pytest.importorskip("llama_cpp", reason="the local model (make install)")
    r = check("--provider", "local")
    assert r.returncode == 0, r.stderr
    table = rows(r.stdout)
    assert table["chat completion"].startswith("yes") and table["token usage"].startswith("yes")
    assert table["image input"].startswith("NO the local model reads text only")
    assert r.stdout.rstrip().splitlines()[-1].startswith("drawing works with local model SmolLM2")

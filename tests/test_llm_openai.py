"""The OpenAI-compatible provider against a real HTTP server on 127.0.0.1 with scripted replies."""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import threading
import time

import pytest

from llm_fixtures import GOOD_ACTIONS, SECRET_KEY, fast_provider, running_server
from threedraw.llm import ChatRequest, Message, ProviderError, make_provider
from threedraw.llm.openai_compat import chat_completions_url, retry_after_seconds
from threedraw.llm.pricing import Price, PriceTable
from threedraw.testing.scripted_server import Reply, ScriptedServer

REQ = ChatRequest(
    (Message("system", "You draw."), Message("user", "Draw: a chair")), temperature=0.3, max_tokens=500
)


@pytest.fixture
def server():
    yield from running_server()


def complete(provider, request=REQ):
    async def go():
        try:
            return await provider.complete(request)
        finally:
            await provider.aclose()

    return asyncio.run(go())


def test_good_reply_text_usage_cost_and_request_shape(server):
    server.push(Reply.completion(GOOD_ACTIONS, usage=(1200, 300)))
    prices = PriceTable({"scripted-model": Price(input=1.0, output=2.0)})
    comp = complete(fast_provider(server, prices=prices))
    assert comp.text == GOOD_ACTIONS
    assert (comp.usage.prompt_tokens, comp.usage.completion_tokens) == (1200, 300)
    assert comp.usage.cost_usd == pytest.approx((1200 * 1.0 + 300 * 2.0) / 1e6)
    assert comp.attempts == 1 and comp.finish_reason == "stop"
    (req,) = server.requests
    assert req.path == "/v1/chat/completions"
    assert req.headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert req.body["model"] == "scripted-model"
    assert req.body["temperature"] == 0.3 and req.body["max_tokens"] == 500
    assert [m["role"] for m in req.body["messages"]] == ["system", "user"]
    assert "response_format" not in req.body


def test_a_key_with_spaces_is_refused_without_showing_it(server):
    with pytest.raises(ProviderError, match="THREEDRAW_API_KEY holds spaces") as err:
        fast_provider(server, api_key="sk-abc def")
    assert "sk-abc" not in str(err.value)


def test_unknown_model_has_unknown_cost_and_no_key_sends_no_header(server, monkeypatch):
    monkeypatch.delenv("THREEDRAW_API_KEY", raising=False)
    server.push(Reply.completion("hi"))
    comp = complete(fast_provider(server, api_key=None))
    assert comp.usage.cost_usd is None
    assert "authorization" not in server.requests[0].headers


def test_key_is_read_from_the_environment(server, monkeypatch):
    monkeypatch.setenv("THREEDRAW_API_KEY", "sk-from-env")
    server.push(Reply.completion("hi"))
    provider = make_provider("openai-compatible", base_url=server.base_url, model="m")
    complete(provider)
    assert server.requests[0].headers["authorization"] == "Bearer sk-from-env"
    assert "sk-from-env" not in repr(provider)


def test_429_honours_retry_after(server):
    server.push(Reply.error(429, "slow down", retry_after=0.6), Reply.completion("ok"))
    t0 = time.monotonic()
    comp = complete(fast_provider(server))
    gap = server.requests[1].received_at - server.requests[0].received_at
    assert comp.text == "ok" and comp.attempts == 2
    # Our own backoff would be 0.05 s; the server asked for 0.6 s.
    assert gap >= 0.55
    assert time.monotonic() - t0 < 3


def test_5xx_is_retried_then_succeeds(server):
    server.push(Reply.error(500), Reply.error(503), Reply.completion("third time"))
    comp = complete(fast_provider(server))
    assert comp.text == "third time" and comp.attempts == 3
    assert len(server.requests) == 3


def test_retries_are_bounded(server):
    server.default = Reply.error(502, "bad gateway")
    with pytest.raises(ProviderError) as err:
        complete(fast_provider(server, max_retries=2))
    assert len(server.requests) == 3
    assert "HTTP 502" in str(err.value) and "bad gateway" in str(err.value)
    assert "gave up after 3 attempts" in str(err.value)


def test_hanging_server_times_out_and_gives_up(server):
    server.default = Reply.hanging()
    t0 = time.monotonic()
    with pytest.raises(ProviderError, match="no reply within 0.4 s"):
        complete(fast_provider(server, timeout=0.4, max_retries=1))
    assert len(server.requests) == 2
    assert time.monotonic() - t0 < 4


def test_timeout_then_success(server):
    server.push(Reply.hanging(), Reply.completion("late but fine"))
    assert complete(fast_provider(server, timeout=0.4)).text == "late but fine"


def test_connection_cut_mid_body_is_retried(server):
    server.push(Reply.cut_off(GOOD_ACTIONS), Reply.completion(GOOD_ACTIONS))
    comp = complete(fast_provider(server))
    assert comp.text == GOOD_ACTIONS and comp.attempts == 2


def test_cut_every_time_reports_connection_failure(server):
    server.default = Reply.cut_off()
    with pytest.raises(ProviderError, match="connection failed"):
        complete(fast_provider(server, max_retries=1))


def test_401_is_not_retried_and_never_echoes_the_key(server, caplog):
    # A server that echoes the key it was sent: our error must still not show it.
    server.push(Reply.error(401, f"Incorrect API key provided: {SECRET_KEY}"))
    with caplog.at_level(logging.DEBUG), pytest.raises(ProviderError) as err:
        complete(fast_provider(server))
    msg = str(err.value)
    assert len(server.requests) == 1
    assert "HTTP 401" in msg and "THREEDRAW_API_KEY" in msg
    assert SECRET_KEY not in msg and "***" in msg
    assert SECRET_KEY not in caplog.text


def test_retry_logs_say_what_and_hide_the_key(server, caplog):
    server.push(Reply.error(500, f"oops {SECRET_KEY}"), Reply.completion("ok"))
    with caplog.at_level(logging.WARNING, logger="threedraw.llm"):
        complete(fast_provider(server))
    assert "HTTP 500" in caplog.text and "retrying" in caplog.text
    assert SECRET_KEY not in caplog.text


def test_retry_after_beyond_the_cap_fails_at_once(server):
    server.push(Reply.error(429, retry_after=3600))
    t0 = time.monotonic()
    with pytest.raises(ProviderError, match="asks to wait 3600 s"):
        complete(fast_provider(server, max_retry_after=5))
    assert time.monotonic() - t0 < 2 and len(server.requests) == 1


def test_a_reply_that_is_not_a_chat_completion(server):
    server.push(Reply(body=b"<html>Welcome to nginx</html>"))
    with pytest.raises(ProviderError, match="not a chat completion.*nginx"):
        complete(fast_provider(server))


def test_oversized_reply_is_refused(server):
    server.push(Reply(body=b"x" * (5 * 1024 * 1024)))
    with pytest.raises(ProviderError, match="larger than"):
        complete(fast_provider(server, max_retries=0))


def test_wrong_path_gives_a_clear_404(server):
    provider = fast_provider(server)
    provider.url = server.base_url.replace("/v1", "/v2") + "/chat/completions"
    with pytest.raises(ProviderError, match="HTTP 404.*no chat-completions endpoint"):
        complete(provider)


def test_nothing_listening_is_a_clear_error():
    srv = ScriptedServer()
    url = srv.base_url
    srv.close()  # the port is free again: nothing answers
    from threedraw.llm.openai_compat import OpenAICompatProvider

    provider = OpenAICompatProvider(url, "m", max_retries=1, backoff=0.01, connect_timeout=1)
    with pytest.raises(ProviderError, match="cannot connect"):
        complete(provider)


def test_concurrency_limit_bounds_requests_in_flight():
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def script(req):
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.2)
        with lock:
            state["now"] -= 1
        return Reply.completion("ok")

    with ScriptedServer(script) as srv:
        provider = fast_provider(srv, concurrency=2)

        async def go():
            try:
                return await asyncio.gather(*(provider.complete(REQ) for _ in range(6)))
            finally:
                await provider.aclose()

        results = asyncio.run(go())
    assert [r.text for r in results] == ["ok"] * 6
    assert state["peak"] == 2


def test_images_go_as_data_urls_and_schema_when_supported(server):
    png = b"\x89PNG\r\n\x1a\nfake-image-bytes"
    req = ChatRequest((Message("user", "which is better?", images=(png,)),), json_schema={"type": "object"})
    server.push(Reply.completion("{}"))
    complete(fast_provider(server, json_schema=True), req)
    body = server.requests[0].body
    parts = body["messages"][0]["content"]
    assert parts[0] == {"type": "text", "text": "which is better?"}
    assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert body["response_format"]["json_schema"]["schema"] == {"type": "object"}


def test_provider_survives_several_event_loops(server):
    # The sync agent wrapper runs one asyncio loop per call; the provider must reconnect.
    server.default = Reply.completion("again")
    provider = fast_provider(server)
    assert asyncio.run(provider.complete(REQ)).text == "again"
    assert asyncio.run(provider.complete(REQ)).text == "again"


@pytest.mark.parametrize(
    "url, message",
    [
        ("api.deepseek.com/v1", "expected http"),
        ("ftp://host/v1", "expected http"),
        ("https://user:pw@host/v1", "THREEDRAW_API_KEY"),
        ("", "expected http"),
    ],
)
def test_bad_base_urls(url, message):
    with pytest.raises(ProviderError, match=message):
        chat_completions_url(url)


def test_base_url_forms():
    assert (
        chat_completions_url("https://api.deepseek.com/v1/") == "https://api.deepseek.com/v1/chat/completions"
    )
    full = "http://127.0.0.1:8080/v1/chat/completions"
    assert chat_completions_url(full) == full


def test_missing_model_or_url_is_a_clear_error():
    with pytest.raises(ProviderError, match="model name is required"):
        make_provider("openai-compatible", base_url="http://127.0.0.1:1/v1", model="")
    with pytest.raises(ProviderError, match="base URL is required"):
        make_provider("openai-compatible", model="deepseek-chat")
    with pytest.raises(ProviderError, match="expected one of"):
        make_provider("mystery")


def test_retry_after_forms():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("1.5") == 1.5
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= retry_after_seconds(future) <= 31
    past = email.utils.formatdate(time.time() - 30, usegmt=True)
    assert retry_after_seconds(past) == 0.0


def test_price_table_file_and_prefix_lookup(tmp_path):
    table = PriceTable()
    assert table.lookup("gpt-4o-2024-08-06") == table.lookup("gpt-4o")
    assert table.lookup("gpt-4o-mini-2024-07-18") == table.lookup("gpt-4o-mini")  # longest prefix wins
    assert table.cost("no-such-model", 10, 10) is None
    f = tmp_path / "prices.json"
    f.write_text(
        json.dumps({"deepseek-chat": {"input": 1, "output": 3}, "my-vllm": {"input": 0, "output": 0}})
    )
    custom = PriceTable.from_file(f)
    assert custom.cost("deepseek-chat", 1_000_000, 1_000_000) == pytest.approx(4.0)
    assert custom.cost("my-vllm", 5, 5) == 0.0
    assert custom.lookup("gpt-4o") is not None  # built-ins kept
    f.write_text(json.dumps({"m": {"input": -1, "output": 0}}))
    with pytest.raises(ValueError, match=r"'m'.input: -1 is not a non-negative number"):
        PriceTable.from_file(f)
    f.write_text("{nope")
    with pytest.raises(ValueError, match="not valid JSON"):
        PriceTable.from_file(f)


def test_request_bounds_are_checked():
    with pytest.raises(ValueError, match="temperature"):
        ChatRequest((Message("user", "x"),), temperature=5)
    with pytest.raises(ValueError, match="max tokens"):
        ChatRequest((Message("user", "x"),), max_tokens=0)
    with pytest.raises(ValueError, match="no messages"):
        ChatRequest(())
    with pytest.raises(ValueError, match="role"):
        Message("robot", "x")

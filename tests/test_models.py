"""Every model a user brings works on the first request: reasoning models, DeepSeek's cache and
reasoning text, llama.cpp's Python server's response_format, against the scripted server behaving
as each API documents it does (real HTTP, the project's real provider and agent)."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from llm_fixtures import GOOD_ACTIONS, GOOD_STROKES, SECRET_KEY
from threedraw import prompts
from threedraw.draw import agent
from threedraw.llm import ChatRequest, Message, ProviderError
from threedraw.llm.base import Usage
from threedraw.llm.openai_compat import OpenAICompatProvider
from threedraw.llm.pricing import Price, PriceTable
from threedraw.testing.scripted_server import Reply, ScriptedServer

REQ = ChatRequest((Message("user", "Draw: a chair"),), temperature=0.7, max_tokens=500)
GOOD_JSON = prompts.format_sketch(prompts.worked_example(), json_mode=True)


def provider(srv: ScriptedServer, model: str = "scripted-model", **options) -> OpenAICompatProvider:
    kw = dict(api_key=SECRET_KEY, timeout=5.0, connect_timeout=1.0, max_retries=2, backoff=0.05)
    kw.update(options)
    return OpenAICompatProvider(srv.base_url, model, **kw)


def complete(p: OpenAICompatProvider, req: ChatRequest = REQ, seen: list | None = None):
    async def go():
        try:
            return await p.complete(req, on_text=None if seen is None else seen.append)
        finally:
            await p.aclose()

    return asyncio.run(go())


# -- OpenAI reasoning models --------------------------------------------------------
def test_a_reasoning_model_draws_every_candidate_after_one_adaptation_each_in_k_plus_2_requests(caplog):
    k = 5
    with ScriptedServer(mimic="openai-reasoning", default=Reply.completion(GOOD_ACTIONS)) as srv:
        p = provider(srv, "gpt-5-mini")
        with caplog.at_level(logging.WARNING, logger="threedraw.llm"):
            cands = agent.draw(p, "a chair", k=k, max_tokens=3000)
        assert [c.error for c in cands] == [None] * k
        assert all(len(c.sketch) == GOOD_STROKES for c in cands)
        assert len(srv.requests) == k + 2  # two refusals, then K replies
        last = srv.requests[-1].body
        assert "max_tokens" not in last and last["max_completion_tokens"] == 3000
        assert "temperature" not in last
        assert p.adaptations == {"max_tokens": "max_completion_tokens", "temperature": "default"}
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert said == [  # one line for the run, not one per candidate or per parameter
        "gpt-5-mini takes no max_tokens (its reply budget is sent as max_completion_tokens) "
        "and no temperature (sampling at its default; candidates still differ)"
    ]
    # A refused temperature is not a refused stream: every request still streamed.
    assert all(r.body["stream"] is True for r in srv.requests)


def test_an_adaptation_is_remembered_for_the_endpoint_and_a_resumed_provider_starts_adapted():
    with ScriptedServer(mimic="openai-reasoning", default=Reply.completion("ok")) as srv:
        # A second provider for the same endpoint and model in this process: adapted from the start.
        complete(provider(srv, "o4-mini"))
        first = len(srv.requests)
        assert first == 3
        complete(provider(srv, "o4-mini"))
        assert len(srv.requests) == first + 1
    with ScriptedServer(mimic="openai-reasoning", default=Reply.completion("ok")) as srv:
        # A resumed run hands its record's adaptations over: the first request is already right.
        resumed = provider(
            srv, "o4-mini", adaptations={"max_tokens": "max_completion_tokens", "temperature": "default"}
        )
        assert complete(resumed).text == "ok"
        assert len(srv.requests) == 1


def test_reasoning_effort_is_sent_when_given_and_refused_values_are_named():
    with ScriptedServer(mimic="openai-reasoning", default=Reply.completion("ok", reasoning_tokens=40)) as srv:
        comp = complete(provider(srv, "gpt-5", reasoning_effort="low"))
        assert srv.requests[-1].body["reasoning_effort"] == "low"
        assert comp.usage.reasoning_tokens == 40 and comp.usage.completion_tokens >= 40
    with pytest.raises(ProviderError, match="reasoning effort 'extreme': expected one of low, medium, high"):
        OpenAICompatProvider("http://127.0.0.1:9/v1", "gpt-5", reasoning_effort="extreme")


def test_a_budget_spent_on_thinking_fails_in_one_line_with_no_repair_request():
    with ScriptedServer(mimic="openai-reasoning", default=Reply.thinking_only()) as srv:
        p = provider(
            srv, "gpt-5-nano", adaptations={"max_tokens": "max_completion_tokens", "temperature": "default"}
        )
        (cand,) = agent.draw(p, "a chair", k=1, max_tokens=1200)
        assert len(srv.requests) == 1  # no repair request spending another budget
    assert cand.sketch is None
    assert "spent its whole reply budget (1200 tokens, 1200 of them reasoning)" in cand.error
    assert "raise --max-tokens" in cand.error and "\n" not in cand.error


def test_a_refused_seed_is_dropped_once_and_a_refused_stream_option_too():
    replies = [
        Reply.error(400, "Unrecognized request argument supplied: seed"),
        Reply.error(400, "Unsupported parameter: 'stream_options'"),
        Reply.completion("ok"),
    ]
    seeded = ChatRequest((Message("user", "Draw: a chair"),), max_tokens=100, seed=7)
    with ScriptedServer(replies) as srv:
        p = provider(srv)
        assert complete(p, seeded).text == "ok"
        assert ["seed" in r.body for r in srv.requests] == [True, False, False]
        assert "stream_options" not in srv.requests[-1].body and srv.requests[-1].body["stream"] is True
        assert p.adaptations == {"seed": "default", "stream_options": "default"}


def test_a_400_that_is_not_about_a_parameter_or_streaming_neither_adapts_nor_stops_streaming():
    with ScriptedServer([Reply.error(400, "messages: too many"), Reply.completion("ok")]) as srv:
        p = provider(srv)
        with pytest.raises(ProviderError, match="HTTP 400: messages: too many"):
            complete(p)
        assert p.stream is True and p.adaptations == {}
        assert complete(p).text == "ok"


def test_a_too_large_max_tokens_is_not_mistaken_for_an_unsupported_one():
    body = {
        "error": {
            "message": "max_tokens is too large: 99999.",
            "param": "max_tokens",
            "code": "invalid_value",
        }
    }
    with ScriptedServer([Reply(status=400, body=json.dumps(body).encode())]) as srv:
        p = provider(srv)
        with pytest.raises(ProviderError, match="max_tokens is too large"):
            complete(p)
        assert len(srv.requests) == 1 and p.adaptations == {}


# -- structured output ----------------------------------------------------------------
def test_json_schema_falls_back_to_json_object_with_the_schema_on_llama_cpp_pythons_server():
    with ScriptedServer(mimic="llama-cpp-python", default=Reply.completion(GOOD_JSON)) as srv:
        p = provider(srv, "smollm2", json_schema=True)
        (cand,) = agent.draw(p, "a chair", k=1, max_tokens=2000)
        assert cand.error is None and len(cand.sketch) == GOOD_STROKES
        kinds = [r.body.get("response_format", {}).get("type") for r in srv.requests]
        assert kinds == ["json_schema", "json_object"]  # the 500 is not retried as if transient
        assert srv.requests[-1].body["response_format"]["schema"]["type"] == "object"
        assert p.adaptations == {"response_format": "json_object"}
        # llama.cpp's server streams no usage chunk: counted as unknown, never as free.
        assert cand.usage.cost_usd is None


def test_a_server_with_no_structured_output_at_all_gets_the_json_prompt_alone():
    refuse = json.dumps({"error": {"message": "Unsupported parameter: 'response_format'"}}).encode()
    with ScriptedServer(
        [Reply(status=400, body=refuse), Reply(status=400, body=refuse)], default=Reply.completion(GOOD_JSON)
    ) as srv:
        p = provider(srv, "plain", json_schema=True)
        (cand,) = agent.draw(p, "a chair", k=1, max_tokens=2000)
        assert cand.error is None
        assert [("response_format" in r.body) for r in srv.requests] == [True, True, False]
        assert p.adaptations == {"response_format": "text"}
        assert srv.requests[-1].body["messages"] == srv.requests[0].body["messages"]  # the JSON prompt


# -- DeepSeek: cache hits and reasoning text ------------------------------------------
def test_deepseek_cache_hits_are_counted_and_priced_at_the_cached_rate():
    shared = "You draw 3D sketches as Bezier curves. " * 100  # ~1000 tokens shared by both prompts
    reqs = [
        ChatRequest(
            (Message("system", shared), Message("user", f"Draw: {o}")),
        )
        for o in ("a chair", "a cup")
    ]
    with ScriptedServer(mimic="deepseek", prefix_cache=True, default=Reply.completion("ok")) as srv:
        p = provider(srv, "deepseek-chat")
        first, second = complete(p, reqs[0]), complete(p, reqs[1])
    assert first.usage.cached_prompt_tokens == 0
    assert second.usage.cached_prompt_tokens == 960  # whole 64-token units of the shared prefix
    pt, ct = second.usage.prompt_tokens, second.usage.completion_tokens
    expected = ((pt - 960) * 0.28 + 960 * 0.028 + ct * 0.42) / 1e6
    assert second.usage.cost_usd == pytest.approx(expected)


def test_deepseek_reasoner_streams_reasoning_content_that_is_never_text_but_is_counted():
    thinking = "The chair needs four legs; draw_bezier[(0,0,0),(1,1,1),(2,2,2),(3,3,3)] maybe. " * 4
    with ScriptedServer(mimic="deepseek", default=Reply.completion(GOOD_ACTIONS, reasoning=thinking)) as srv:
        seen: list = []
        comp = complete(provider(srv, "deepseek-reasoner"), seen=seen)
        plain = complete(provider(srv, "deepseek-reasoner", stream=False))
    assert comp.text == GOOD_ACTIONS == "".join(seen) == plain.text
    assert comp.usage.reasoning_tokens == len(thinking) // 4 == plain.usage.reasoning_tokens
    assert comp.usage.completion_tokens >= comp.usage.reasoning_tokens


# -- usage and prices -------------------------------------------------------------------
def test_usage_adds_and_serialises_cached_and_reasoning_tokens_and_reads_old_records():
    total = Usage(100, 50, 0.1, 60, 20) + Usage(10, 5, 0.2, 4, 2)
    assert (total.cached_prompt_tokens, total.reasoning_tokens) == (64, 22)
    assert total.to_dict()["cached_prompt_tokens"] == 64 and total.to_dict()["reasoning_tokens"] == 22
    assert Usage.from_dict(total.to_dict()) == total
    old = Usage.from_dict({"prompt_tokens": 3, "completion_tokens": 4, "cost_usd": None})
    assert (old.cached_prompt_tokens, old.reasoning_tokens, old.cost_usd) == (0, 0, None)
    assert total.describe() == "110+55 tokens (64 cached, 22 reasoning)"
    assert Usage(3, 4).describe() == "3+4 tokens"


def test_prices_take_a_cached_input_price_and_still_read_the_two_field_form(tmp_path):
    table = PriceTable()
    assert table.cost("deepseek-chat", 1_000_000, 0, cached_tokens=1_000_000) == pytest.approx(0.028)
    assert table.cost("deepseek-chat", 1_000_000, 1_000_000) == pytest.approx(0.70)
    assert table.cost("gpt-5-mini-2025-08-07", 0, 1_000_000) == pytest.approx(2.0)
    f = tmp_path / "prices.json"
    f.write_text(
        json.dumps({"old": {"input": 1, "output": 2}, "new": {"input": 1, "cached_input": 0.1, "output": 2}})
    )
    custom = PriceTable.from_file(f)
    assert custom.lookup("old") == Price(1.0, 2.0) and custom.cost(
        "old", 10, 0, cached_tokens=10
    ) == pytest.approx(1e-5)
    assert custom.cost("new", 1_000_000, 0, cached_tokens=500_000) == pytest.approx(0.55)
    f.write_text(json.dumps({"bad": {"input": 1, "cached": 0.1, "output": 2}}))
    with pytest.raises(ValueError, match="prices.json: 'bad': expected .*cached_input"):
        PriceTable.from_file(f)


# -- the run record keeps the adaptations ----------------------------------------------
def test_a_run_record_keeps_its_adaptations_and_a_resumed_run_starts_adapted(tmp_path):
    from threedraw.cke.resume import resume_settings
    from threedraw.library.runs import RunStore
    from threedraw.llm.factory import ProviderConfig, provider_from_config
    from threedraw.scoring.reward import ScoreConfig
    from threedraw.storage import Database

    runs = RunStore(Database(tmp_path / "db.sqlite"))
    run = runs.create("lib", {"provider": {"kind": "openai-compatible", "model": "gpt-5-mini"}}, 0)
    runs.note_adaptations(run.id, {"max_tokens": "max_completion_tokens"})
    runs.note_adaptations(run.id, {"temperature": "default"})
    record = runs.get(run.id).config
    assert record["provider"]["adaptations"] == {
        "max_tokens": "max_completion_tokens",
        "temperature": "default",
    }
    with ScriptedServer(mimic="openai-reasoning", default=Reply.completion("ok")) as srv:
        cfg, _ = resume_settings(run.id, record, ProviderConfig(base_url=srv.base_url), ScoreConfig(), ())
        resumed = provider_from_config(cfg)
        assert complete(resumed).text == "ok"
        assert len(srv.requests) == 1  # the first request already adapted: no 400 first

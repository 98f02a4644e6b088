"""Streamed replies (SSE over real HTTP from the scripted server): text as it grows, fallback, cuts, idle streams."""

from __future__ import annotations

import asyncio
import time

import pytest

from llm_fixtures import GOOD_ACTIONS, fast_provider, running_server
from threedraw.llm import ChatRequest, Message, ProviderError
from threedraw.llm.openai_compat import MAX_RESPONSE_BYTES
from threedraw.llm.pricing import Price, PriceTable
from threedraw.testing.scripted_server import Reply, ScriptedServer

REQ = ChatRequest((Message("user", "Draw: a chair"),), temperature=0.3, max_tokens=500)


@pytest.fixture
def server():
    yield from running_server()


def complete(provider, seen=None):
    async def go():
        try:
            return await provider.complete(REQ, on_text=None if seen is None else seen.append)
        finally:
            await provider.aclose()

    return asyncio.run(go())


def test_a_streamed_reply_grows_in_on_text_and_costs_what_a_plain_one_does(server):
    prices = PriceTable({"scripted-model": Price(input=1.0, output=2.0)})
    server.push(
        Reply.completion(GOOD_ACTIONS, usage=(1200, 300), chunk_chars=10),
        Reply.completion(GOOD_ACTIONS, usage=(1200, 300)),
    )
    seen: list[str] = []
    comp = complete(fast_provider(server, prices=prices), seen)
    assert server.requests[0].body["stream"] is True
    assert comp.text == GOOD_ACTIONS and comp.finish_reason == "stop"
    assert len(seen) == -(-len(GOOD_ACTIONS) // 10) and "".join(seen) == GOOD_ACTIONS
    plain = complete(fast_provider(server, prices=prices, stream=False))
    assert server.requests[1].body["stream"] is False
    assert comp.usage == plain.usage and comp.usage.cost_usd == pytest.approx(1200e-6 + 600e-6)


def test_streamed_content_parts_read_as_unstreamed_ones(server):
    # Some servers send a delta's content as a list of parts, as they do a whole message's.
    server.push(
        Reply.completion(GOOD_ACTIONS, chunk_chars=10, content_parts=True),
        Reply.completion(GOOD_ACTIONS, content_parts=True),
    )
    seen: list[str] = []
    comp = complete(fast_provider(server), seen)
    assert server.requests[0].body["stream"] is True and comp.finish_reason == "stop"
    assert comp.text == GOOD_ACTIONS and "".join(seen) == GOOD_ACTIONS
    assert complete(fast_provider(server, stream=False)).text == GOOD_ACTIONS


def test_a_streamed_line_that_never_ends_is_refused_at_the_cap_as_it_arrives(server):
    # 64 MiB of one line, then silence: read line by line, the cap would wait for a line end that never
    # comes (and hold all of it); counted as bytes arrive, it stops the reply at once.
    server.push(Reply.completion("x", endless_line=True))
    t0 = time.monotonic()
    with pytest.raises(
        ProviderError, match=f"response larger than {MAX_RESPONSE_BYTES // 1024} KiB; refused"
    ):
        complete(fast_provider(server, max_retries=0, idle_timeout=5.0, timeout=5.0))
    assert time.monotonic() - t0 < 4 and len(server.requests) == 1


def test_a_server_that_refuses_streaming_is_asked_plainly_once_and_remembered(server):
    server.push(Reply.error(400, "stream not supported"), Reply.completion("one"), Reply.completion("two"))
    provider = fast_provider(server)
    assert complete(provider).text == "one"
    assert complete(provider).text == "two"
    assert [r.body["stream"] for r in server.requests] == [True, False, False]


def test_a_server_that_answers_plain_json_to_a_stream_request_still_draws():
    with ScriptedServer(streaming=False) as srv:
        srv.push(Reply.completion(GOOD_ACTIONS), Reply.completion("again"))
        provider = fast_provider(srv)
        seen: list[str] = []
        assert complete(provider, seen).text == GOOD_ACTIONS and seen == [GOOD_ACTIONS]
        assert complete(provider).text == "again"
        assert [r.body["stream"] for r in srv.requests] == [True, False]


def test_a_stream_cut_mid_reply_is_retried(server):
    server.push(Reply(text=GOOD_ACTIONS, cut=True), Reply.completion(GOOD_ACTIONS))
    comp = complete(fast_provider(server))
    assert comp.text == GOOD_ACTIONS and comp.attempts == 2


def test_a_retried_stream_says_once_that_the_reply_starts_over(server):
    server.push(
        Reply.completion(GOOD_ACTIONS, chunk_chars=10, cut=True),
        Reply.completion(GOOD_ACTIONS, chunk_chars=10),
    )
    seen: list[str | None] = []
    comp = complete(fast_provider(server), seen)
    assert comp.text == GOOD_ACTIONS and comp.attempts == 2 and seen.count(None) == 1
    cut = seen.index(None)
    first, again = "".join(seen[:cut]), "".join(seen[cut + 1 :])
    assert (
        first and GOOD_ACTIONS.startswith(first) and len(first) < len(GOOD_ACTIONS) and again == GOOD_ACTIONS
    )


def test_a_retry_after_an_attempt_that_delivered_nothing_is_no_restart(server):
    server.push(Reply.error(503), Reply.completion(GOOD_ACTIONS, chunk_chars=10))
    seen: list[str | None] = []
    comp = complete(fast_provider(server), seen)
    assert comp.attempts == 2 and None not in seen and "".join(seen) == GOOD_ACTIONS


def test_an_idle_stream_times_out_with_a_clear_message(server):
    server.default = Reply(text=GOOD_ACTIONS, stall_after=32)
    with pytest.raises(
        ProviderError, match=r"the stream sent nothing for 0.3 s \(gave up after 2 attempts\)"
    ):
        complete(fast_provider(server, idle_timeout=0.3, max_retries=1))


def _reply(n=24):
    return (
        "<curves>\n"
        + "".join(
            f"draw_bezier[(0, 0, {i / 40:.3f}), (0.1, 0.2, {i / 40:.3f}), (0.2, 0.2, {i / 40:.3f}), (0.3, 0, {i / 40:.3f})]"
            f"  # part {i}\n"
            for i in range(n)
        )
        + "</curves>\n"
    )


def test_a_streamed_draw_reports_strokes_in_order_and_ends_as_the_plain_draw(server):
    import time

    from threedraw.draw import agent

    server.push(Reply.completion(_reply(), chunk_chars=8, chunk_delay=0.002), Reply.completion(_reply()))
    seen, start = [], time.monotonic()
    (streamed,) = agent.draw(
        fast_provider(server), "a ladder", on_stroke=lambda i, s: seen.append((i, s, time.monotonic()))
    )
    (plain,) = agent.draw(fast_provider(server, stream=False), "a ladder")
    assert streamed.sketch == plain.sketch and len(plain.sketch.strokes) == 24
    assert seen[0][1] is None  # the reply begins
    seen = seen[1:]
    assert [i for i, _, _ in seen] == [0] * 24
    assert [s.points for _, s, _ in seen] == [s.points for s in plain.sketch.strokes]
    assert [s.label for _, s, _ in seen] == [f"part {i}" for i in range(24)]
    # The first stroke came while the reply was still arriving (about 1/24 of it).
    assert seen[0][2] - start < 0.5 * streamed.latency_s


def test_a_retried_stream_restarts_the_candidates_live_strokes(server):
    from threedraw.draw import agent

    server.push(
        Reply.completion(_reply(), chunk_chars=8, cut=True), Reply.completion(_reply(), chunk_chars=8)
    )
    seen = []
    (cand,) = agent.draw(fast_provider(server), "a ladder", on_stroke=lambda i, s: seen.append((i, s)))
    assert cand.ok and {i for i, _ in seen} == {0}
    strokes = [s for _, s in seen]
    starts = [j for j, s in enumerate(strokes) if s is None]
    # The reply is announced before its first stroke, then starts over once, after the cut attempt's strokes.
    assert len(starts) == 2 and starts[0] == 0 and 1 < starts[1] < 25
    assert [s.points for s in strokes[starts[1] + 1 :]] == [s.points for s in cand.sketch.strokes]
    assert len(cand.sketch.strokes) == 24

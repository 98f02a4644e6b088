"""Loop cut-off: a streamed reply repeating itself is stopped, its strokes kept."""

from __future__ import annotations

import asyncio
import time

import pytest

from parser_corpus import CASES
from threedraw.draw import agent
from threedraw.draw.loops import DEFAULT_LOOP_LIMIT, LoopDetector, check_loop_limit, longest_loop
from threedraw.llm import ChatRequest, Message
from threedraw.llm.base import STOPPED, StopReply
from threedraw.llm.local import LocalProvider
from threedraw.llm.openai_compat import OpenAICompatProvider
from threedraw.shared.parser import ParseError, parse
from threedraw.testing import sketch_corpus
from threedraw.testing.scripted_server import Reply, ScriptedServer

S = [(0.0, 0.0, 0.0), (0.1, 0.2, 0.0), (0.2, 0.2, 0.0), (0.3, 0.0, 0.0)]


def rung(i: int) -> list[tuple[float, float, float]]:
    return [(x, y, i / 40) for x, y, _ in S]


def action(points) -> str:
    return "draw_bezier[" + ", ".join(f"({x:g}, {y:g}, {z:g})" for x, y, z in points) + "]\n"


def test_the_same_stroke_limit_times_in_a_row_loops_in_either_direction():
    d = LoopDetector(3)
    assert not d.add(rung(0)) and not d.add(rung(1))
    assert not d.add(rung(1)[::-1])  # the same stroke drawn backwards: 2 in a row
    assert d.add([(x + 0.001, y, z) for x, y, z in rung(1)])  # within the tolerance: 3 in a row
    assert d.tripped and d.count == 4


def test_strokes_adding_nothing_new_loop_even_when_they_alternate():
    d = LoopDetector(4)
    results = [d.add(rung(i % 2)) for i in range(6)]
    assert results == [False, False, False, False, False, True]  # 4 stale strokes after the first two


def test_new_strokes_reset_the_count_and_limit_zero_never_stops():
    d = LoopDetector(3)
    for i in range(10):
        assert not d.add(rung(i)) and not d.add(rung(i))  # each stroke twice: never 3 stale in a row
    off = LoopDetector(0)
    assert not any(off.add(S) for _ in range(100))
    assert longest_loop([S] * 7) == 7


@pytest.mark.parametrize("bad", [-1, 1001, 2.5, True, "5"])
def test_a_bad_limit_is_named(bad):
    with pytest.raises(ValueError, match="loop limit"):
        check_loop_limit(bad)


def test_no_corpus_reply_or_sketch_would_be_stopped():
    worst = 0
    for name, text, expected, *_ in CASES:
        if expected is None or name == "over_256_strokes_truncated":  # that one is a loop: 260 x one stroke
            continue
        try:
            sketch = parse(text, "a thing").sketch
        except ParseError:
            continue
        worst = max(worst, longest_loop(sketch.strokes))
    sketches = sketch_corpus.synthetic(100) + sketch_corpus.examples()
    worst = max(worst, *(longest_loop(s.strokes) for s in sketches))
    for i, s in enumerate(sketches):
        worst = max(worst, longest_loop(sketch_corpus.sloppy(s, i)[0].strokes))
    assert worst < DEFAULT_LOOP_LIMIT, worst


def provider(srv, **kw) -> OpenAICompatProvider:
    return OpenAICompatProvider(srv.base_url, "scripted", api_key="x", **kw)


def test_a_server_looping_one_stroke_forever_is_cut_off_and_its_strokes_kept():
    forever = "<curves>\n" + action(rung(0)) + action(rung(1)) + action(rung(2)) * 5000
    looping = Reply.completion(forever, chunk_chars=40, chunk_delay=0.01)
    with ScriptedServer([looping]) as srv:
        heard = []
        start = time.monotonic()
        (cand,) = agent.draw(provider(srv), "a ladder", on_stroke=lambda i, s: heard.append(s))
        took = time.monotonic() - start
        assert len(srv.requests) == 1  # no repair request: the strokes so far make the sketch
    assert took < 10  # the whole reply would take over 30 s
    assert cand.ok and cand.finish_reasons == [STOPPED]
    assert cand.problems[0] == f"stopped a looping reply after {2 + DEFAULT_LOOP_LIMIT} strokes"
    assert len([s for s in heard if s is not None]) == 2 + DEFAULT_LOOP_LIMIT
    assert [list(p) for p in cand.sketch.strokes[0].points] == [list(p) for p in rung(0)]


def test_a_reply_without_repeats_and_plain_replies_are_not_stopped():
    varied = "<curves>\n" + "".join(action(rung(i)) for i in range(24)) + "</curves>\n"
    looped = "<curves>\n" + action(rung(0)) * 12 + "</curves>\n"
    with ScriptedServer(
        [Reply.completion(varied), Reply.completion(looped), Reply.completion(looped)]
    ) as srv:
        (whole,) = agent.draw(provider(srv), "a ladder")
        (plain,) = agent.draw(provider(srv, stream=False), "a ladder")  # not streamed: kept whole
        (off,) = agent.draw(provider(srv), "a ladder", loop_limit=0)
    assert len(whole.sketch.strokes) == 24 and whole.finish_reasons == ["stop"] and not whole.problems
    for cand in (plain, off):
        assert cand.finish_reasons == ["stop"] and len(cand.sketch.strokes) == 12
        assert not any("looping" in p for p in cand.problems)


def test_a_bad_loop_limit_fails_before_any_request():
    with ScriptedServer([]) as srv, pytest.raises(ValueError, match="loop limit -1"):
        agent.draw(provider(srv), "a ladder", loop_limit=-1)


def test_the_local_model_stops_generating_when_told():
    local = LocalProvider(max_tokens=200)
    req = ChatRequest(
        (Message("user", "Count from one to a hundred."),), temperature=0.0, max_tokens=200, seed=1
    )
    pieces: list[str] = []

    def hear(piece):
        pieces.append(piece)
        if len(pieces) == 5:
            raise StopReply("enough")

    comp = asyncio.run(local.complete(req, on_text=hear))
    assert comp.finish_reason == STOPPED
    assert len(pieces) == 5  # nothing heard after the stop
    assert comp.usage.completion_tokens < 20  # generation stopped, not run to its 200 tokens


def test_threedraw_draw_says_it_stopped_a_loop_and_loop_limit_zero_turns_it_off(tmp_path, capsys):
    from threedraw.cli import main

    looped = "<curves>\n" + action(rung(0)) + action(rung(1)) * 11 + "</curves>\n"
    with ScriptedServer([Reply.completion(looped), Reply.completion(looped)]) as srv:

        def draw(name: str, *extra: str) -> str:
            args = ["draw", "a ladder", "--out", str(tmp_path / f"{name}.blend"), "--base-url", srv.base_url]
            args += ["--model", "scripted", "--data-dir", str(tmp_path / "data"), "--no-repair", *extra]
            assert main(args) == 0
            return capsys.readouterr().err

        stopped = draw("stopped")
        kept = draw("kept", "--loop-limit", "0")
        assert main(["draw", "a ladder", "--out", str(tmp_path / "x.blend"), "--loop-limit", "-1"]) == 2
        assert "loop limit -1: expected 0 (off) to 1000 strokes" in capsys.readouterr().err
        assert len(srv.requests) == 2  # the bad value was refused before any request
    assert f"stopped a looping reply after {1 + DEFAULT_LOOP_LIMIT} strokes" in stopped
    assert f": {1 + DEFAULT_LOOP_LIMIT} curves" in stopped and ": 12 curves" in kept
    assert "looping" not in kept

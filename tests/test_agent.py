"""The drawing agent against a real HTTP server on 127.0.0.1 with scripted replies."""

from __future__ import annotations

import json
import threading

import pytest

from llm_fixtures import CUT_MID_NUMBER, GOOD_ACTIONS, GOOD_STROKES, PROSE, fast_provider, running_server
from threedraw import prompts
from threedraw.draw import agent
from threedraw.shared.sketch import Sketch
from threedraw.testing.scripted_server import Reply, ScriptedServer


@pytest.fixture
def server():
    yield from running_server()


def by_seed(replies: dict[int, Reply], default: Reply):
    """A script answering each candidate by its seed (candidate i sends seed + i)."""
    return lambda req: replies.get(req.body.get("seed"), default)


def test_k_candidates_are_requested_concurrently():
    # Every handler waits until all five requests have arrived: sequential requests
    # would break the barrier and get a 500 instead of a sketch.
    barrier = threading.Barrier(5, timeout=5)

    def script(req):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return Reply.error(500, "requests were not concurrent")
        return Reply.completion(GOOD_ACTIONS)

    with ScriptedServer(script) as srv:
        cands = agent.draw(fast_provider(srv, max_retries=0), "a simple table", k=5)
    assert [c.index for c in cands] == [0, 1, 2, 3, 4]
    assert all(c.ok and not c.error for c in cands), [c.error for c in cands]
    for c in cands:
        assert len(c.sketch) == GOOD_STROKES and c.sketch.prompt == "a simple table"
        assert c.usage.completion_tokens > 0 and c.responses == [GOOD_ACTIONS]


def test_prose_gets_one_repair_quoting_the_parser(server):
    server.push(Reply.completion(PROSE, usage=(100, 20)), Reply.completion(GOOD_ACTIONS, usage=(150, 200)))
    (c,) = agent.draw(fast_provider(server), "a chair")
    assert c.ok and c.repaired and len(c.sketch) == GOOD_STROKES
    assert c.responses == [PROSE, GOOD_ACTIONS]
    assert (c.usage.prompt_tokens, c.usage.completion_tokens) == (250, 220)
    repair = server.requests[1].messages
    assert [m["role"] for m in repair] == ["system", "user", "assistant", "user"]
    assert repair[2]["content"] == PROSE
    # The parser's own words are quoted back to the model.
    assert "no stroke found in the response" in repair[3]["content"]


def test_a_candidate_that_fails_twice_is_reported_and_the_others_go_on():
    script = by_seed({101: Reply.completion(PROSE)}, Reply.completion(GOOD_ACTIONS))
    with ScriptedServer(script) as srv:
        cands = agent.draw(fast_provider(srv), "a chair", k=3, seed=100)
        assert len(srv.requests) == 4  # three first replies, one repair
    assert [c.ok for c in cands] == [True, False, True]
    bad = cands[1]
    assert bad.sketch is None and bad.responses == [PROSE, PROSE]
    assert "even after a repair request" in bad.error and "no stroke found" in bad.error


def test_provider_failure_in_one_candidate_leaves_the_rest(server):
    script = by_seed({7: Reply.error(500, "model overloaded")}, Reply.completion(GOOD_ACTIONS))
    with ScriptedServer(script) as srv:
        cands = agent.draw(fast_provider(srv, max_retries=1), "a chair", k=2, seed=6)
    assert cands[0].ok
    assert not cands[1].ok and "openai-compatible" in cands[1].error
    assert "HTTP 500" in cands[1].error and "model overloaded" in cands[1].error


def test_a_hanging_server_does_not_hang_the_round():
    script = by_seed({1: Reply.hanging()}, Reply.completion(GOOD_ACTIONS))
    with ScriptedServer(script) as srv:
        cands = agent.draw(fast_provider(srv, timeout=0.3, max_retries=1), "a chair", k=2, seed=0)
    assert cands[0].ok
    assert "no reply within 0.3 s" in cands[1].error


def test_reply_cut_mid_number_keeps_the_complete_strokes(server):
    server.push(Reply.completion(CUT_MID_NUMBER, finish_reason="length"))
    (c,) = agent.draw(fast_provider(server), "a chair")
    assert c.ok and not c.repaired and len(c.sketch) == 1
    assert c.finish_reasons == ["length"]
    assert any("cut off" in p for p in c.problems)
    assert len(server.requests) == 1


def test_reply_cut_before_any_stroke_is_repaired(server):
    server.push(
        Reply.completion("<curves>\ndraw_bezier[(0.1, 0.2, 0.3), (0.4, 0.5"), Reply.completion(GOOD_ACTIONS)
    )
    (c,) = agent.draw(fast_provider(server), "a chair")
    assert c.ok and c.repaired
    assert "stroke 1: incomplete" in server.requests[1].messages[-1]["content"]


def test_json_mode_asks_for_the_schema_and_parses_cut_json(server):
    cut_json = (
        '{"strokes": [{"label": "leg", "points": '
        "[[0.1, 0.2, -0.9], [0.1, 0.2, -0.3], [0.1, 0.2, 0.3], [0.1, 0.2, 0.9]]},"
        ' {"label": "seat", "points": [[0.1, 0.2, 0.'
    )
    server.push(Reply.completion(cut_json))
    (c,) = agent.draw(fast_provider(server, json_schema=True), "a stool", max_strokes=7)
    assert c.ok and len(c.sketch) == 1 and c.sketch.strokes[0].label == "leg"
    body = server.requests[0].body
    schema = body["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["strokes"]["maxItems"] == 7
    system = body["messages"][0]["content"]
    assert '{"strokes": [{"label"' in system and "draw_bezier" not in system


def test_prompt_sections_lessons_and_current_sketch(server):
    server.push(Reply.completion(GOOD_ACTIONS))
    current = Sketch.from_points(
        "a chair", [[(0, 0, 0), (0.1, 0, 0), (0.2, 0, 0), (0.3, 0, 0)]], ["seat edge"]
    )
    lessons = ["Connect every leg to the seat.", "Keep the back upright."]
    agent.draw(fast_provider(server), "a chair", lessons=lessons, current=current, max_strokes=20)
    system, user = (m["content"] for m in server.requests[0].messages)
    for section in (
        "# Role",
        "# Output format",
        "# Data types",
        "# Coordinate system",
        "# Worked example",
        "# Rules",
    ):
        assert section in system
    assert "Z points up" in system and "-Y" in system
    assert "between 6 and 20 curves" in system
    assert (
        "draw_bezier[(-0.9, -0.6, 0.3), (-0.3, -0.6, 0.3)" in system
    )  # the worked example, in the action format
    # The batch's shared part (lessons) first, the object's name last: prompt caching.
    assert user.index("1. Connect every leg") < user.index("Draw: a chair")
    assert "1. Connect every leg to the seat.\n2. Keep the back upright." in user
    assert "draw_bezier[(0, 0, 0), (0.1, 0, 0), (0.2, 0, 0), (0.3, 0, 0)]  # seat edge" in user


def test_the_worked_example_round_trips_through_the_parser():
    from threedraw.shared.parser import parse

    example = prompts.worked_example()
    for json_mode in (False, True):
        parsed = parse(prompts.format_sketch(example, json_mode)).sketch
        assert [s.points for s in parsed.strokes] == [s.points for s in example.strokes]
        assert [s.label for s in parsed.strokes] == [s.label for s in example.strokes]


def test_render_fills_placeholders_once_and_refuses_gaps():
    text = prompts.render("draw_user.md", prompt="a {{prompt}} vase", experience="", current_sketch="")
    assert "Draw: a {{prompt}} vase" in text  # user text is never expanded
    with pytest.raises(KeyError, match="missing values"):
        prompts.render("draw_user.md", prompt="x")
    with pytest.raises(ValueError, match="missing from the threedraw.prompts package"):
        prompts.load("nope.md")
    schema = prompts.sketch_schema(5)
    assert schema["properties"]["strokes"]["maxItems"] == 5
    assert json.loads(prompts.load("sketch_schema.json"))["properties"]["strokes"]["maxItems"] == 64


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"prompt": "   "}, "prompt: empty"),
        ({"prompt": "x" * 2001}, "at most 2000"),
        ({"k": 0}, "k=0"),
        ({"k": 17}, "k=17"),
        ({"lessons": ["ok", " "]}, "lesson 2: empty"),
        ({"lessons": ["x" * 601]}, "lesson 1: 601 characters"),
        ({"max_strokes": 0}, "max strokes 0"),
    ],
)
def test_bad_inputs_are_named(server, kwargs, message):
    args = {"prompt": "a chair", **kwargs}
    prompt = args.pop("prompt")
    with pytest.raises(ValueError, match=message):
        agent.draw(fast_provider(server), prompt, **args)
    assert server.requests == []  # refused before any call

"""The CKE judge against a real HTTP server on 127.0.0.1 with scripted replies."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest

from clip_fixtures import chair, random_sketch
from llm_fixtures import SECRET_KEY, fast_provider
from threedraw.cke.judge import MAX_OPS, Side, ajudge, parse_reply
from threedraw.library.lessons import Operation
from threedraw.library.store import LibraryStore
from threedraw.llm.base import ProviderError
from threedraw.scoring.reward import ScoreConfig, score_sketches
from threedraw.testing.scripted_server import Reply

# Fixtures taken from the shared fixture modules (tests/blender runs without them).
pytest_plugins = ("llm_fixtures",)

LEG = "Join every leg to the seat corner so the end points coincide exactly."
BACK = "Draw the backrest as two posts and a curved top rail above the seat."
CUBE = "Span at least three quarters of the cube with the whole object."
TWICE = "Never trace an edge twice; every edge appears exactly once."


def ops_reply(*ops, analysis="The better one has joined legs.") -> str:
    return json.dumps({"analysis": analysis, "operations": list(ops)})


@pytest.fixture
def store(tmp_path):
    s = LibraryStore.open(tmp_path)
    s.create("lib")
    s.apply("lib", [Operation("add", text=LEG), Operation("add", text=BACK)])
    yield s
    s.close()


def sides(images: bool = False):
    """The better (a chair) and the worse (random curves) sketch, really scored (structure only)."""
    good, bad = chair(), random_sketch(6, 3)
    s_good, s_bad = score_sketches([good, bad], "a chair", ScoreConfig())
    assert s_good.reward > s_bad.reward
    if images:
        from threedraw.rendering.images import sheet_png

        return Side(good, s_good, sheet_png(good)), Side(bad, s_bad, sheet_png(bad))
    return Side(good, s_good), Side(bad, s_bad)


def judge(server, lessons, **kw):
    better, worse = sides(kw.pop("images", False))
    return asyncio.run(ajudge(fast_provider(server), "a chair", better, worse, lessons, **kw))


def test_each_operation_changes_the_library_as_it_says(server, store):
    lessons = store.lessons("lib")  # G1 = LEG (L1), G2 = BACK (L2)
    server.push(
        Reply.completion(
            ops_reply(
                {"operation": "add", "content": CUBE},
                {"operation": "modify", "id": "G1", "content": TWICE},
                {"operation": "delete", "id": "G2"},
                {"operation": "keep"},
            )
        )
    )
    result = judge(server, lessons)
    assert result.error is None and not result.rejected and result.calls == 1
    assert [o.to_dict() for o in result.operations] == [
        {"op": "add", "text": CUBE},
        {"op": "modify", "id": "L1", "text": TWICE},
        {"op": "delete", "id": "L2"},
        {"op": "keep"},
    ]
    version, applied = store.apply("lib", result.operations, provenance={"query": "a chair"})
    got = store.lessons("lib")
    assert [(x.id, x.text) for x in got] == [("L1", TWICE), ("L3", CUBE)]
    assert [e.event for e in applied.events] == ["add", "modify", "delete", "keep"]
    # What the judge saw: the prompt, both sketches with their scores, the numbered lessons.
    user = server.requests[0].last_user_text
    assert "Prompt: a chair" in user and f"[G1] {LEG}" in user and f"[G2] {BACK}" in user
    assert (
        "BETTER sketch (structure 0.96 (joints 0.83, parts 1.00, clean 1.00, cube 1.00); 12 strokes, 4 free "
        "ends; reward 0.958)" in user
    )
    assert "WORSE sketch (structure" in user and "separate pieces" in user
    assert user.count("draw_bezier[") == len(chair()) + 6
    assert "judge of 3D sketches" in server.requests[0].messages[0]["content"]


def test_synonyms_fences_and_stable_ids_are_understood(server, store):
    lessons = store.lessons("lib")
    text = (
        "Here is my verdict:\n```json\n"
        + ops_reply(
            {"op": "update", "id": "[G2]", "content": CUBE},
            {"operation": "remove", "id": "L1"},
            {"operation": "none"},
        )
        + "\n```"
    )
    parsed = parse_reply(text, lessons)
    assert parsed.fatal is None and not parsed.rejected
    assert [o.to_dict() for o in parsed.operations] == [
        {"op": "modify", "id": "L2", "text": CUBE},
        {"op": "delete", "id": "L1"},
        {"op": "keep"},
    ]


def test_bad_operations_are_named():
    parsed = parse_reply(
        ops_reply(
            {"operation": "modify", "id": "G4", "content": CUBE},
            {"operation": "add", "content": "long " * 50},
            {"operation": "shout"},
            "add",
        ),
        [],
    )
    assert parsed.operations == []
    assert [r.problem for r in parsed.rejected] == [
        "operation 1 (modify): no lesson G4 (the library is empty)",
        "operation 2 (add) content: 50 words, at most 48 allowed (aim for 32)",
        "operation 3: unknown operation 'shout' (expected add, modify, delete or keep)",
        'operation 4: expected an object like {"operation": "add", "content": "..."}',
    ]
    many = parse_reply(ops_reply(*[{"operation": "keep"}] * (MAX_OPS + 2)), [])
    assert len(many.operations) == MAX_OPS and len(many.rejected) == 2
    assert parse_reply("I think the first one is nicer.", []).fatal == "no JSON object found in the reply"
    assert parse_reply('{"verdict": 1}', []).fatal == "the JSON object has no 'operations' list"


def test_invalid_output_gets_one_repair_quoting_the_problems(server, store):
    lessons = store.lessons("lib")
    prose = "The better sketch is clearly better because its legs touch the seat."
    server.push(
        Reply.completion(prose, usage=(900, 30)),
        Reply.completion(ops_reply({"operation": "add", "content": CUBE}), usage=(1000, 40)),
    )
    result = judge(server, lessons)
    assert result.repaired and result.error is None and result.calls == 2
    assert [o.text for o in result.operations] == [CUBE] and result.replies == [prose, result.replies[1]]
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (1900, 70)
    repair = server.requests[1].messages
    assert [m["role"] for m in repair] == ["system", "user", "assistant", "user"]
    assert repair[2]["content"] == prose and "no JSON object found in the reply" in repair[3]["content"]


def test_unusable_twice_is_recorded_and_skipped_never_raised(server, store):
    server.push(Reply.completion("no idea"), Reply.completion("still no idea"))
    result = judge(server, store.lessons("lib"))
    assert result.operations == [] and result.calls == 2 and not result.repaired
    assert result.error == (
        "the judge's reply was unusable, even after a repair request: no JSON object found in the reply"
    )
    assert result.to_dict()["replies"] == ["no idea", "still no idea"]


def test_partly_valid_output_keeps_the_valid_operations_after_the_repair(server, store):
    lessons = store.lessons("lib")
    half = ops_reply({"operation": "add", "content": CUBE}, {"operation": "delete", "id": "G7"})
    server.push(Reply.completion(half), Reply.completion("sorry, I cannot"))
    result = judge(server, lessons)
    assert result.error is None and [o.to_dict() for o in result.operations] == [{"op": "add", "text": CUBE}]
    assert [r.to_dict() for r in result.rejected] == [
        {
            "operation": {"operation": "delete", "id": "G7"},
            "problem": "operation 2 (delete): no lesson G7 (the library has G1 to G2)",
        }
    ]
    assert "no lesson G7" in server.requests[1].messages[-1]["content"]


def test_rendered_views_go_to_a_model_that_takes_images(server, store):
    server.push(Reply.completion(ops_reply({"operation": "keep"})))
    result = judge(server, store.lessons("lib"), images=True)
    assert result.error is None
    content = server.requests[0].messages[1]["content"]
    assert isinstance(content, list) and content[0]["type"] == "text"
    assert "Image 1 shows the BETTER sketch" in content[0]["text"]
    urls = [p["image_url"]["url"] for p in content[1:]]
    assert len(urls) == 2 and all(u.startswith("data:image/png;base64,") for u in urls)
    pngs = [base64.b64decode(u.split(",", 1)[1]) for u in urls]
    assert all(p.startswith(b"\x89PNG") for p in pngs) and pngs[0] != pngs[1]


def test_a_failed_call_raises_provider_error_and_leaks_no_key(server, store):
    server.default = Reply.error(500, "overloaded")
    with pytest.raises(ProviderError, match="HTTP 500") as e:
        judge(server, store.lessons("lib"))
    assert SECRET_KEY not in str(e.value)

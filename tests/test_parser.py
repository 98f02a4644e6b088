"""The LLM-output parser: a corpus of realistic responses, and properties over arbitrary text."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parser_corpus import ACTION_PIECES, CASES
from threedraw.shared.parser import ParseError, parse
from threedraw.shared.sketch import MAX_STROKES, Sketch


def test_corpus_is_large_enough():
    assert len(CASES) >= 30


@pytest.mark.parametrize("name,text,strokes,problems,labels", CASES, ids=[c[0] for c in CASES])
def test_corpus(name, text, strokes, problems, labels):
    if strokes is None:
        with pytest.raises(ParseError) as err:
            parse(text)
        for fragment in problems:
            assert fragment in str(err.value)
        return
    result = parse(text)
    got = [[list(p) for p in s.points] for s in result.sketch.strokes]
    want = [[list(p) for p in s] for s in strokes]
    assert got == want
    assert [str(p) for p in result.problems] == problems
    if labels is not None:
        assert [s.label for s in result.sketch.strokes] == labels
    result.sketch.validate()


def test_problem_severity_separates_dropped_from_changed():
    text = (
        "draw_bezier[(0, 0, 0), (0.1, 0.1, 0.1), (0.2, 0.2, 0.2)]\n"
        "draw_bezier[(0, 0, 0), (0.1, 0.1, 0.1), (0.2, 0.2, 0.2), (1.5, 0.3, 0.3)]"
    )
    result = parse(text)
    assert [(p.stroke, p.severity) for p in result.problems] == [(1, "error"), (2, "warning")]
    assert result.sketch.strokes[0].points[3] == (1.0, 0.3, 0.3)


def test_prompt_comes_from_argument_or_embedded_json():
    canonical = Sketch.from_points("a lamp", [[(0, 0, 0), (0, 0, 0.1), (0, 0, 0.2), (0, 0, 0.3)]]).to_json()
    assert parse(canonical).sketch.prompt == "a lamp"
    assert parse(canonical, prompt="a pole").sketch.prompt == "a pole"


def test_oversized_response_is_refused_with_a_reason():
    with pytest.raises(ParseError, match="at most"):
        parse("x" * 2_000_001)


def test_deep_nesting_does_not_crash():
    with pytest.raises(ParseError):
        parse("[" * 100_000 + "]" * 3)
    text = "[" * 50 + "draw_bezier[(0,0,0),(0,0,0.1),(0,0,0.2),(0,0,0.3)]"
    assert len(parse(text).sketch) == 1


# -- properties -------------------------------------------------------------

SKETCHY = st.text(alphabet=string.printable + "()[]{},.-+eE", max_size=400)
TOKENS = st.lists(
    st.sampled_from(
        [
            *ACTION_PIECES,
            "0.5",
            "-1",
            "1e3",
            "nan",
            "\n",
            "#",
            '"strokes"',
            '"points"',
            ":",
            "<curves>",
            "</curves>",
            "```",
            "<thinking>",
            "'",
            '"',
            " ",
        ]
    ),
    max_size=120,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=500), SKETCHY, TOKENS))
def test_arbitrary_text_raises_only_parse_error(text):
    try:
        result = parse(text)
    except ParseError as e:
        assert str(e)
        return
    assert 1 <= len(result.sketch.strokes) <= MAX_STROKES
    result.sketch.validate()


COORD = st.floats(min_value=-1, max_value=1, allow_nan=False, width=64)
POINT = st.tuples(COORD, COORD, COORD)
LABEL = st.text(alphabet=string.ascii_letters + string.digits + " _-'\"\\", max_size=20)


@st.composite
def sketches(draw):
    n = draw(st.integers(min_value=1, max_value=12))
    curves = draw(st.lists(st.tuples(POINT, POINT, POINT, POINT), min_size=n, max_size=n))
    labels = draw(st.lists(LABEL.map(str.strip), min_size=n, max_size=n))
    prompt = draw(st.text(max_size=40))
    return Sketch.from_points(prompt, curves, labels)


@settings(max_examples=150, deadline=None)
@given(sketches(), st.sampled_from([None, 1]))
def test_canonical_json_round_trips(sketch, indent):
    text = sketch.to_json(indent=indent)
    assert Sketch.from_json(text) == sketch
    back = parse(text).sketch
    assert back == sketch


@settings(max_examples=50, deadline=None)
@given(sketches())
def test_canonical_json_round_trips_inside_a_chatty_reply(sketch):
    text = f"Here you go:\n```json\n{sketch.to_json(indent=1)}```\nHope that helps (1, 2, 3)."
    back = parse(text, prompt=sketch.prompt).sketch
    assert [s.points for s in back.strokes] == [s.points for s in sketch.strokes]
    assert [s.id for s in back.strokes] == [s.id for s in sketch.strokes]

"""The incremental parser: live strokes as lines complete; its final result is parse()'s, whatever the chunking."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parser_corpus import CASES
from test_parser_fuzz import TEXT
from threedraw.shared.parser import ParseError, StreamParser, parse


def _outcome(fn):
    try:
        r = fn()
    except ParseError as e:
        return ("error", str(e))
    return (r.sketch.to_dict(), [str(p) for p in r.problems])


def _fed(chunks):
    sp = StreamParser()
    live = [s for c in chunks for s in sp.feed(c)]
    assert live == sp.strokes and len(live) <= 256
    return sp, live


def _memoised(parse_fn):
    """``parse_fn`` computing each distinct (text, prompt) once; a rejected text raises a fresh, equal
    ParseError each time. parse is a pure function, so this changes no result, only how often it runs."""
    seen = {}

    def parse_once(text, prompt=""):
        key = (text, prompt)
        if key not in seen:
            try:
                seen[key] = parse_fn(text, prompt)
            except ParseError as e:
                seen[key] = (str(e), e.problems)
        found = seen[key]
        if isinstance(found, tuple):
            raise ParseError(*found)
        return found

    return parse_once


def _in_order(live, final):
    """Whether each live stroke's points are a final stroke's, in the final sketch's order."""
    rest = iter(final)
    return all(any(points == f for f in rest) for points in live)


def test_every_corpus_reply_split_at_every_position_ends_as_parse(monkeypatch):
    """Each reply fed as text[:i] + text[i:] for every i: finish() is parse(text), and the live strokes
    are the final sketch's, in order, unless parse notes that a reading other than the winning one
    found strokes too (live strokes are provisional: the text's start may read best another way).

    Every split of a reply within one line gives the stream parser the same windows to read (the
    completed lines), so parse, memoised, reads each window once: seconds instead of the ~15
    minutes the 20,000-character reply costs with every window parsed afresh."""
    from threedraw.shared.parser import incremental as stream_parser

    for name, text, *_ in CASES:
        monkeypatch.setattr(stream_parser, "parse", _memoised(parse))  # one memo per reply
        try:
            expected = stream_parser.parse(text)
        except ParseError as e:
            expected, final, provisional = str(e), [], False
        else:
            final = [s.points for s in expected.sketch.strokes]
            provisional = any("also found:" in str(p) for p in expected.problems)
        for i in range(len(text) + 1):
            sp, live = _fed([text[:i], text[i:]])
            assert sp.text == text, (name, i)
            try:
                got = sp.finish()
            except ParseError as e:
                got = str(e)
            assert got == expected, (name, i)
            assert provisional or _in_order([s.points for s in live], final), (name, i)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT, st.lists(st.integers(1, 40), min_size=1, max_size=60))
def test_random_chunkings_of_fuzzed_text_end_as_parse(text, sizes):
    chunks, at = [], 0
    while at < len(text):
        n = sizes[len(chunks) % len(sizes)]
        chunks.append(text[at : at + n])
        at += n
    sp, _ = _fed(chunks)
    assert _outcome(sp.finish) == _outcome(lambda: parse(text))


def test_action_lines_yield_each_stroke_when_its_line_completes():
    lines = [
        f"draw_bezier[(0, 0, {i / 10}), (0.1, 0, {i / 10}), (0.2, 0, {i / 10}), (0.3, 0, {i / 10})]  # part {i}\n"
        for i in range(24)
    ]
    sp = StreamParser()
    counts = []
    for line in lines:
        for at in range(0, len(line), 7):  # token-sized chunks
            sp.feed(line[at : at + 7])
        counts.append(len(sp.strokes))
    assert counts == list(range(1, 25))
    final = sp.finish().sketch
    assert [s.points for s in sp.strokes] == [s.points for s in final.strokes]
    assert (
        [s.label for s in sp.strokes] == [s.label for s in final.strokes] == [f"part {i}" for i in range(24)]
    )


def test_a_json_list_streams_stroke_by_stroke():
    rows = [f"  [[{i}, 0, 0], [{i}, 0.1, 0], [{i}, 0.2, 0], [{i}, 0.3, 0]]," for i in range(5)]
    text = "Here:\n[\n" + "\n".join(rows) + "\n]\n"
    sp = StreamParser()
    seen = []
    for ch in text:
        sp.feed(ch)
        seen.append(len(sp.strokes))
    assert max(seen[: text.index(rows[2])]) == 2  # two rows complete: two strokes, not yet a third
    assert [s.points for s in sp.strokes] == [s.points for s in sp.finish().sketch.strokes]


def _json_strokes(n):
    return [
        {
            "label": f"part {i}",
            "points": [[0, 0, i / 10], [0.1, 0, i / 10], [0.2, 0, i / 10], [0.3, 0, i / 10]],
        }
        for i in range(n)
    ]


@pytest.mark.parametrize("layout", ["one line", "pretty", "fenced, with prose", "python dicts"])
def test_json_replies_yield_each_stroke_when_its_object_closes(layout):
    strokes = _json_strokes(6)
    sketch = {"strokes": strokes}
    body = {
        "one line": lambda: json.dumps(sketch),
        "pretty": lambda: json.dumps(sketch, indent=2),
        # "Chair" is one chunk: the apostrophe opening the next is prose, not a string
        "fenced, with prose": lambda: (
            "Chair's frame, here:\n```json\n" + json.dumps(sketch, indent=1) + "\n```\n"
        ),
        "python dicts": lambda: repr(sketch),
    }[layout]()
    closes = [m.end() for m in re.finditer(r"\]\s*\]\s*\}", body)]  # where each stroke object ends
    assert len(closes) == 6
    sp = StreamParser()
    counts = []
    for at in range(0, len(body), 5):  # token-sized chunks
        sp.feed(body[at : at + 5])
        counts.append((at + 5, len(sp.strokes)))
    for i, end in enumerate(closes):  # stroke i is out with the chunk that closes it, not later
        assert all(n >= i + 1 for upto, n in counts if upto >= end), (i, counts)
        assert all(n <= i for upto, n in counts if upto < end - 1), (i, counts)
    final = sp.finish().sketch
    assert [(s.points, s.label) for s in sp.strokes] == [(s.points, s.label) for s in final.strokes]


def test_a_reply_of_braces_and_quotes_costs_a_bounded_time():
    import time

    for text in ("{" * 2_000_000, '"' * 2_000_000, "{'points': [" * 200_000, '{"points": 1}' * 150_000):
        t0 = time.process_time()
        sp = StreamParser()
        for at in range(0, len(text), 4096):
            sp.feed(text[at : at + 4096])
        assert sp.strokes == [] and time.process_time() - t0 < 10.0, text[:20]


def test_two_megabytes_that_never_yield_cost_a_bounded_time():
    import time

    text = ("- [1, 2, 3]\n" * 200_000)[:2_000_000]
    t0 = time.process_time()
    sp = StreamParser()
    for at in range(0, len(text), 4096):
        sp.feed(text[at : at + 4096])
    assert sp.strokes == [] and sp.text == text
    assert time.process_time() - t0 < 10.0  # about 0.6 s measured; generous for a shared machine

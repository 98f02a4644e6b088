"""The incremental parser: live strokes as lines complete; its final result is parse()'s, whatever the chunking."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from threedraw.shared.parser import ParseError, parse
from threedraw.shared.stream_parser import StreamParser

from parser_corpus import CASES
from test_parser_fuzz import TEXT


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


def _splits(text):
    """Both sides of each of the first line breaks and 12 even cuts (every position costs minutes)."""
    near = [j for i, c in enumerate(text) if c == "\n" for j in (i, i + 1)][:16]
    return sorted(set(near) | set(range(0, len(text) + 1, max(1, len(text) // 12))) | {len(text)})


def test_every_corpus_reply_split_at_many_positions_ends_as_parse():
    for name, text, *_ in CASES:
        whole = _outcome(lambda: parse(text))
        for i in _splits(text):
            sp, _ = _fed([text[:i], text[i:]])
            assert _outcome(sp.finish) == whole, (name, i)


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
    lines = [f"draw_bezier[(0, 0, {i / 10}), (0.1, 0, {i / 10}), (0.2, 0, {i / 10}), (0.3, 0, {i / 10})]  # part {i}\n"
             for i in range(24)]
    sp = StreamParser()
    counts = []
    for line in lines:
        for at in range(0, len(line), 7):  # token-sized chunks
            sp.feed(line[at : at + 7])
        counts.append(len(sp.strokes))
    assert counts == list(range(1, 25))
    final = sp.finish().sketch
    assert [s.points for s in sp.strokes] == [s.points for s in final.strokes]
    assert [s.label for s in sp.strokes] == [s.label for s in final.strokes] == [f"part {i}" for i in range(24)]


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


def test_two_megabytes_that_never_yield_cost_a_bounded_time():
    import time

    text = ("- [1, 2, 3]\n" * 200_000)[:2_000_000]
    t0 = time.process_time()
    sp = StreamParser()
    for at in range(0, len(text), 4096):
        sp.feed(text[at : at + 4096])
    assert sp.strokes == [] and sp.text == text
    assert time.process_time() - t0 < 10.0  # about 0.6 s measured; generous for a shared machine

"""The parser's time is bounded: no input, however hostile, costs more than a fixed, linear amount.

The inputs are the benchmark's (`threedraw bench parser`, backend/bench/parser.py), which prints their times;
here each must stay under a generous CPU-time bound, so a return of the cubic
number pattern (36 s for 1,000 digits) or of unbounded bracket work fails at once.
"""

from __future__ import annotations

import time

import pytest

from threedraw.bench.parser import ACTION, _long_reply, inputs
from threedraw.shared.parser import MAX_TOKENS, ParseError, parse

CPU_BOUND_S = 2.0
CASES = inputs()


@pytest.mark.parametrize("what,text,target", CASES, ids=[c[0] for c in CASES])
def test_adversarial_input_parses_within_the_cpu_bound(what, text, target):
    t0 = time.process_time()
    try:
        parse(text)
    except ParseError as e:
        assert str(e)
    spent = time.process_time() - t0
    assert spent < CPU_BOUND_S, f"{what}: {spent:.2f} s of CPU"


def test_issue_reproduction_digit_run_after_an_action_reads_the_action():
    result = parse(ACTION + " " + "1" * 2000 + "x")
    assert [s.points for s in result.sketch.strokes] == [((0, 0, 0), (0, 0, 0.3), (0, 0, 0.6), (0, 0, 1))]


def test_a_maximum_size_reply_of_prose_still_reads_the_strokes_at_its_end():
    result = parse(_long_reply(2_000_000))
    assert len(result.sketch) == 256
    # The prose has no line breaks, so the tail read starts at the first one: the answer's.
    assert [str(p) for p in result.problems] == [
        f"the response holds more than {MAX_TOKENS:,} tokens; its start and its last 12,543 characters were read"
    ]


def test_digits_glued_to_a_letter_are_a_word_not_a_number():
    # The old pattern backtracked here; the new one reads "1111x" as one word, a placeholder.
    result = parse("draw_bezier[(1111x, 0, 0), (0, 0, 0.1), (0, 0, 0.2), (0, 0, 0.3)]\n" + ACTION)
    assert [str(p) for p in result.problems] == ["stroke 1: point 1 x is '1111x', not a number"]


def test_a_reply_denser_than_the_budget_says_only_its_start_was_read():
    text = "(1) " * (MAX_TOKENS // 2) + ACTION
    with pytest.raises(ParseError, match=f"more than {MAX_TOKENS:,} tokens; only its start was read"):
        parse(text)
    # Within the budget the same kind of text reads normally.
    assert len(parse("(1) " * 1000 + ACTION).sketch) == 1


def test_nesting_beyond_the_depth_limit_is_counted_not_built():
    text = "(" * 500_000 + ")" * 500_000 + "\n" + ACTION
    assert len(parse(text).sketch) == 1


@pytest.mark.parametrize("budget", [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377])
def test_a_budget_spent_anywhere_never_breaks_a_reader(budget, monkeypatch):
    """Cut every reply of the corpus at every stage: the parse ends cleanly, never with an internal error."""
    import threedraw.shared.parser.choice as parser_module
    from parser_corpus import CASES as REPLIES

    monkeypatch.setattr(parser_module, "MAX_TOKENS", budget)
    for name, text, *_ in REPLIES:
        try:
            result = parse(text)
        except ParseError as e:
            assert "could not parse the response" not in str(e), (name, str(e))
            continue
        result.sketch.validate()

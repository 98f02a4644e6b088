"""The structure score: joints, floating parts, degenerate and duplicate strokes, use of the cube."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clip_fixtures import box_edges, chair, line, random_sketch
from threedraw.scoring.structure import TERMS, structure_score
from threedraw.shared.sketch import Sketch


def _sketch(curves) -> Sketch:
    return Sketch.from_points("test", curves)


def test_a_closed_wireframe_is_perfectly_connected():
    score = structure_score(_sketch(box_edges([-0.6, -0.6, -0.6], [0.6, 0.6, 0.6])))
    assert score.terms["joints"] == 1.0
    assert score.terms["parts"] == 1.0
    assert score.terms["clean"] == 1.0
    assert score.terms["cube"] == pytest.approx(1.2 / 1.5)
    assert score.details["free_ends"] == 0 and score.details["parts"] == 1
    assert score.total == pytest.approx((3 + 1.2 / 1.5) / 4)


def test_the_chair_has_only_its_feet_free():
    score = structure_score(chair())
    assert score.details["free_ends"] == 4  # the bottom of each leg
    assert score.terms["joints"] == pytest.approx(1 - 4 / (2 * 12))
    assert score.terms["parts"] == 1.0


def test_a_leg_that_stops_short_is_a_free_end_and_a_floating_part():
    good = box_edges([-0.5, -0.5, -0.5], [0.5, 0.5, 0.5])
    floating = line([0.0, 0.0, 0.7], [0.0, 0.0, 0.95])  # above the box, touching nothing
    score = structure_score(_sketch(good + [floating]))
    assert score.details["free_ends"] == 2
    assert score.details["parts"] == 2
    assert score.terms["parts"] == pytest.approx(12 / 13)
    assert score.terms["joints"] == pytest.approx(1 - 2 / 26)


def test_tolerance_decides_what_touches():
    a = line([-0.5, 0.0, 0.0], [0.0, 0.0, 0.0])
    b = line([0.08, 0.0, 0.0], [0.5, 0.0, 0.0])  # a gap of 0.08
    assert structure_score(_sketch([a, b]), tol=0.05).details["parts"] == 2
    assert structure_score(_sketch([a, b]), tol=0.1).details["parts"] == 1
    with pytest.raises(ValueError, match="tol"):
        structure_score(_sketch([a, b]), tol=0.0)


def test_a_stroke_touching_another_midway_counts_as_a_joint():
    bar = line([-0.5, 0.0, 0.0], [0.5, 0.0, 0.0])
    post = line([0.13, 0.0, 0.0], [0.13, 0.0, 0.6])  # starts in the middle of the bar
    score = structure_score(_sketch([bar, post]))
    assert score.details["free_ends"] == 3  # both ends of the bar and the post's top


def test_duplicates_and_degenerate_strokes_are_not_clean_and_do_not_join_things():
    a = line([-0.5, 0.0, 0.0], [0.5, 0.0, 0.0])
    a_reversed = line([0.5, 0.0, 0.01], [-0.5, 0.0, 0.0])  # drawn again, the other way
    dot = [[0.2, 0.3, 0.4]] * 4
    score = structure_score(_sketch([a, a_reversed, dot]))
    assert score.details["duplicates"] == 1 and score.details["degenerate"] == 1
    assert score.terms["clean"] == pytest.approx(1 / 3)
    # Only the original stroke is left: its ends meet nothing (the twin does not count).
    assert score.details["free_ends"] == 2 and score.terms["joints"] == 0.0


def test_a_tiny_drawing_uses_little_of_the_cube():
    small = box_edges([0.7, 0.7, 0.7], [0.9, 0.9, 0.9])
    assert structure_score(_sketch(small)).terms["cube"] == pytest.approx(0.2 / 1.5)


def test_empty_and_all_degenerate_sketches_score_zero():
    empty = structure_score(Sketch(prompt="nothing"))
    assert empty.total == 0.0 and all(empty.terms[t] == 0.0 for t in TERMS)
    dots = structure_score(_sketch([[[0.1, 0.1, 0.1]] * 4, [[0.5, 0.5, 0.5]] * 4]))
    assert dots.total == 0.0 and dots.details["degenerate"] == 2


def test_the_largest_sketch_allowed_is_scored():
    score = structure_score(random_sketch(256, seed=3))
    assert 0.0 <= score.total <= 1.0 and score.details["strokes"] == 256


coord = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)
curve = st.lists(st.tuples(coord, coord, coord), min_size=4, max_size=4)


@settings(max_examples=60, deadline=None)
@given(st.lists(curve, min_size=0, max_size=12))
def test_every_term_lies_in_0_1_and_the_score_is_deterministic(curves):
    sketch = _sketch(curves)
    first, second = structure_score(sketch), structure_score(sketch)
    assert first == second
    assert set(first.terms) == set(TERMS)
    assert all(0.0 <= v <= 1.0 for v in first.terms.values())
    assert 0.0 <= first.total <= 1.0

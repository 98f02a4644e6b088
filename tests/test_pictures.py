"""The report's pictures say what they show: epoch-plot ticks are distinct round numbers, and
contact-sheet captions are wrapped to the tile, not cut off."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from threedraw.cke.report import axis_ticks
from threedraw.rendering.images import LINE_HEIGHT, contact_sheet, wrap_label


def _is_nice(step: float) -> bool:
    mantissa = step / 10 ** math.floor(math.log10(step) + 1e-9)
    return any(math.isclose(mantissa, m, rel_tol=1e-6) for m in (1, 2, 5))


def test_a_flat_validation_curve_gets_distinct_tick_labels():
    # The plot of a run whose validation sat at -0.1657: the old labels read -0.1657 three times.
    ticks = axis_ticks(-0.16575, -0.16565)
    labels = [label for _, label in ticks]
    assert len(set(labels)) == len(labels) == 7 and labels[0] == "-0.16576" and labels[-1] == "-0.16564"
    assert [label for _, label in axis_ticks(-0.05, 0.05)][3] == "0.00"  # never "-0.00"


@settings(max_examples=300, deadline=None)
@given(st.floats(-10, 10), st.floats(1e-6, 20))
def test_ticks_are_round_distinct_and_cover_the_range(lo, span):
    hi = lo + span
    ticks = axis_ticks(lo, hi)
    values = [v for v, _ in ticks]
    labels = [label for _, label in ticks]
    assert 3 <= len(ticks) <= 12
    assert len(set(labels)) == len(labels)
    assert values[0] <= lo + 1e-9 * max(1, abs(lo)) and values[-1] >= hi - 1e-9 * max(1, abs(hi))
    assert _is_nice(values[1] - values[0])
    assert all(math.isclose(float(label), v, abs_tol=(values[1] - values[0]) / 100) for v, label in ticks)


def test_a_long_caption_is_wrapped_to_the_tile_not_cut():
    measure = ImageDraw.Draw(Image.new("L", (1, 1))).textlength
    caption = "CLIP 0.115  7. a swivel office chair with five caster wheels"
    lines = wrap_label(caption, 186, measure)
    assert " ".join(lines) == " ".join(caption.split()) and len(lines) > 1
    assert all(measure(line) <= 186 for line in lines)
    tiles = [Image.new("L", (192, 192), 255)] * 2
    one_line = contact_sheet(tiles, ["a", "b"])
    wrapped = contact_sheet(tiles, [caption, "b"])
    assert wrapped.height == one_line.height + (len(lines) - 1) * LINE_HEIGHT


def test_only_a_caption_longer_than_three_lines_is_cut_and_says_so():
    measure = ImageDraw.Draw(Image.new("L", (1, 1))).textlength
    lines = wrap_label("word " * 200 + "supercalifragilisticexpialidocious", 60, measure)
    assert len(lines) == 3 and lines[-1].endswith("...") and all(measure(x) <= 60 for x in lines)
    assert wrap_label("supercalifragilisticexpialidocious", 60, measure)[0] != ""  # a long word is broken

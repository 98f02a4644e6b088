"""Every numeric input path treats a value no float can hold as an invalid value, with the usual message.

The server validates request sketches through Sketch.from_dict (a SketchError is a
ValueError, which its request models report as a 422), the add-on imports through
the parser, and files load through Sketch.from_json: all three are covered here.
"""

from __future__ import annotations

import json

import pytest

from threedraw.shared.parser import parse
from threedraw.shared.sketch import FORMAT, Sketch, SketchError, Stroke

HUGE = 10**400  # 401 digits: float(HUGE) raises OverflowError


def _sketch_dict(value) -> dict:
    return {
        "format": FORMAT,
        "prompt": "p",
        "strokes": [{"id": "s1", "points": [[0, 0, 0], [0, 0, 0.1], [0, 0, value], [0, 0, 0.3]]}],
    }


@pytest.mark.parametrize(
    "value,message",
    [
        (HUGE, "stroke 1 point 3 z: an integer of 401 digits is not a finite number"),
        (-HUGE, "stroke 1 point 3 z: an integer of 401 digits is not a finite number"),
        (10**5000, "stroke 1 point 3 z: an integer of 5001 digits is not a finite number"),
        ("-0.5", "stroke 1 point 3 z: '-0.5' is not a number"),
        ("1" * 500, "stroke 1 point 3 z: '" + "1" * 29 + "...' (500 characters) is not a number"),
        (True, "stroke 1 point 3 z: True is not a number"),
        (None, "stroke 1 point 3 z: None is not a number"),
        (float("inf"), "stroke 1 point 3 z: inf is not a finite number"),
    ],
    ids=["huge", "minus-huge", "over-digit-limit", "string", "long-string", "bool", "null", "inf"],
)
def test_from_dict_refuses_values_no_float_holds(value, message):
    with pytest.raises(SketchError) as err:
        Sketch.from_dict(_sketch_dict(value))
    assert str(err.value) == message


def test_a_request_body_with_a_huge_integer_is_a_sketch_error():
    # What the server receives: JSON text, decoded (Python ints are unbounded), then validated.
    body = json.loads(
        json.dumps({"sketch": _sketch_dict(0)}).replace('"points": [[0, 0, 0]', f'"points": [[0, 0, {HUGE}]')
    )
    with pytest.raises(SketchError, match=r"point 1 z: an integer of 401 digits is not a finite number"):
        Sketch.from_dict(body["sketch"])
    assert issubclass(SketchError, ValueError)


def test_from_json_refuses_integers_beyond_python_digit_limit_and_deep_nesting():
    text = json.dumps(_sketch_dict(0)).replace("0.1]", "1" * 5000 + "]")
    with pytest.raises(SketchError, match="more than 4300 digits"):
        Sketch.from_json(text)
    with pytest.raises(SketchError, match="nested too deeply"):
        Sketch.from_json("[" * 200_000)


def test_validate_refuses_a_huge_integer_in_a_sketch_built_in_code():
    sketch = Sketch("p", [Stroke("s1", ((0, 0, 0), (0, 0, 0), (0, 0, HUGE), (0, 0, 0)))])  # type: ignore[arg-type]
    with pytest.raises(SketchError, match=r"stroke 1 point 3 z: an integer of 401 digits"):
        sketch.validate()


def test_parser_reads_a_huge_integer_as_an_invalid_value_not_a_crash():
    text = json.dumps(_sketch_dict(0)).replace("0.1]", str(HUGE) + "]")
    with pytest.raises(Exception) as err:
        parse(text)
    assert type(err.value).__name__ == "ParseError"
    assert "point 2 z is 100000000000...(401 characters), not a finite number" in str(err.value)


def test_canonical_sketches_still_load():
    d = _sketch_dict(-0.5)
    assert Sketch.from_dict(d).strokes[0].points[2] == (0.0, 0.0, -0.5)
    assert Sketch.from_json(json.dumps(d)).to_dict() == d | {
        "strokes": [
            d["strokes"][0]
            | {"points": [[0.0, 0.0, 0.0], [0.0, 0.0, 0.1], [0.0, 0.0, -0.5], [0.0, 0.0, 0.3]]}
        ]
    }

"""The Sketch model: validation messages name what and where; files round-trip."""

from __future__ import annotations

import json

import pytest

from threedraw.shared.sketch import FORMAT, Sketch, SketchError, fit_to_cube

LEG = [(-0.5, -0.5, -1.0), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0.0), (-0.5, -0.5, 0.5)]


def doc(**stroke):
    return {
        "format": FORMAT,
        "prompt": "p",
        "strokes": [{"id": "a", "points": [list(p) for p in LEG], **stroke}],
    }


@pytest.mark.parametrize(
    "data,message",
    [
        ([], "sketch: expected a JSON object, got list"),
        ({"format": "other/1", "strokes": []}, "format: expected 'threedraw.sketch/1', got 'other/1'"),
        ({"format": FORMAT, "strokes": {}}, "strokes: expected a list"),
        (doc(points=[[0, 0, 0]] * 3), "stroke 1: 3 control points, expected 4"),
        (
            doc(points=[[0, 0, 0], [0, 0], [0, 0, 0], [0, 0, 0]]),
            "stroke 1 point 2: expected [x, y, z], got 2 values",
        ),
        (
            doc(points=[[0, 0, 0], [0, "a", 0], [0, 0, 0], [0, 0, 0]]),
            "stroke 1 point 2 y: 'a' is not a number",
        ),
        (
            doc(points=[[0, 0, 0], [0, 0, 0], [0, 0, 2], [0, 0, 0]]),
            "stroke 1 point 3 z: 2.0 lies outside the cube",
        ),
        (
            doc(points=[[0, 0, 0], [0, 0, 0], [0, 0, float("nan")], [0, 0, 0]]),
            "stroke 1 point 3 z: nan is not a finite",
        ),
        (doc(label="x" * 65), "stroke 1 label: longer than 64 characters"),
        (doc(id=""), "stroke 1 id: expected a non-empty string"),
    ],
)
def test_invalid_sketches_say_what_and_where(data, message):
    with pytest.raises(SketchError) as err:
        Sketch.from_dict(data)
    assert message in str(err.value)


def test_duplicate_ids_and_too_many_strokes_are_refused():
    d = doc()
    d["strokes"].append(dict(d["strokes"][0]))
    with pytest.raises(SketchError, match=r"stroke 2 id: duplicate id 'a'"):
        Sketch.from_dict(d)
    d = doc()
    d["strokes"] = [dict(d["strokes"][0], id=f"s{i}") for i in range(257)]
    with pytest.raises(SketchError, match="257 strokes, at most 256"):
        Sketch.from_dict(d)


def test_save_and_load_round_trip(tmp_path):
    sk = Sketch.from_points("a chair", [LEG, LEG[::-1]], ["leg", ""])
    path = tmp_path / "chair.json"
    sk.save(path)
    assert Sketch.load(path) == sk
    assert json.loads(path.read_text())["strokes"][0] == {
        "id": "s1",
        "points": [list(p) for p in LEG],
        "label": "leg",
    }
    assert not list(tmp_path.glob("*.tmp")), "atomic save leaves no temp file"


def test_load_errors_name_the_file(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{"format": ')
    with pytest.raises(SketchError, match=r"broken.json: not valid JSON: .* line 1"):
        Sketch.load(bad)
    with pytest.raises(SketchError, match="absent.json: no such file"):
        Sketch.load(tmp_path / "absent.json")


def test_fit_to_cube_scales_down_about_the_origin_and_leaves_inside_points_alone():
    inside = [LEG]
    assert fit_to_cube(inside) == ([LEG], 1.0)
    out, scale = fit_to_cube([[(-4, 0, 0), (0, 0, 0), (0, 2, 0), (4, 0, 0)]])
    assert scale == pytest.approx(0.25)
    assert out[0][0] == pytest.approx((-1, 0, 0)) and out[0][2] == pytest.approx((0, 0.5, 0))
    # A small drawing with one point just below the cube: shrunk a hair about the origin, never
    # centred or blown up to fill the cube.
    out, scale = fit_to_cube([[(-0.5, -0.5, -1.1), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0.0), (-0.5, -0.5, 0.0)]])
    assert scale == pytest.approx(1 / 1.1)
    assert out[0][0] == pytest.approx((-0.5 / 1.1, -0.5 / 1.1, -1.0)) and out[0][3][2] == 0.0

"""Issue 11's reproductions, as a user runs them: `threedraw parse -` and `threedraw blend`.

Before: 600 digits glued to a letter took ~7 s, Unicode minus signs were dropped
with exit 0 and no problem, and a 401-digit coordinate ended in a traceback.
"""

from __future__ import annotations

import json

ACTION = "draw_bezier[(0,0,0),(0,0,0.3),(0,0,0.6),(0,0,1)]"


def test_digit_run_glued_to_a_letter_parses_at_once(cli):
    proc = cli("parse", "-", input=ACTION + " " + "1" * 600 + "x\n", timeout=20)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["strokes"][0]["points"] == [[0, 0, 0], [0, 0, 0.3], [0, 0, 0.6], [0, 0, 1]]


def test_unicode_minus_signs_keep_their_sign(cli):
    reply = "draw_bezier[(\u22120.5, \u22120.5, \u22121), (\u20130.5, 0, 0), (\uff0d\uff10\uff0e\uff15, 0, 0), (0, 0, 1)]"
    proc = cli("parse", "-", input=reply)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["strokes"][0]["points"] == [
        [-0.5, -0.5, -1],
        [-0.5, 0, 0],
        [-0.5, 0, 0],
        [0, 0, 1],
    ]
    assert proc.stderr == ""


def test_ambiguous_dash_is_a_problem_not_a_silent_guess(cli):
    reply = "draw_bezier[(0.5\u22120.5, 0, 0), (0, 0, 0.1), (0, 0, 0.2), (0, 0, 0.3)]"
    proc = cli("parse", "-", input=reply)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "U+2212" in proc.stderr and "a minus sign or a dash?" in proc.stderr


def test_huge_integer_coordinate_is_an_invalid_value_everywhere(cli, tmp_path):
    big = "9" * 401
    proc = cli("parse", "-", input=f"[[[0,0,0],[0,0,0.1],[0,0,0.2],[0,0,{big}]]]")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "point 4 z is 999999999999...(401 characters), not a finite number" in proc.stderr
    sketch = tmp_path / "huge.json"
    sketch.write_text(
        '{"format": "threedraw.sketch/1", "prompt": "p", "strokes": '
        f'[{{"id": "s1", "points": [[0,0,0],[0,0,0.1],[0,0,0.2],[0,0,{big}]]}}]}}'
    )
    proc = cli("blend", str(sketch), "--out", str(tmp_path / "huge.blend"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "huge.json: stroke 1 point 4 z: an integer of 401 digits is not a finite number" in proc.stderr

"""`threedraw parse FILE`: canonical JSON on stdout, problems on stderr, exit 0 or 2."""

from __future__ import annotations

import json


def test_parse_file_prints_canonical_json_and_problems(cli, tmp_path):
    reply = tmp_path / "reply.txt"
    reply.write_text(
        "Here:\ndraw_bezier[(0, 0, 0), (0, 0, 0.3), (0, 0, 0.6), (0, 0, 1.2)]  # pole\n"
        "draw_bezier[(0, 0, 0), (1, 1, 1)]\n"
    )
    proc = cli("parse", str(reply), "--prompt", "a pole")
    assert proc.returncode == 0
    sketch = json.loads(proc.stdout)
    assert sketch == {
        "format": "threedraw.sketch/1",
        "prompt": "a pole",
        "strokes": [
            {"id": "s1", "points": [[0, 0, 0], [0, 0, 0.3], [0, 0, 0.6], [0, 0, 1.0]], "label": "pole"}
        ],
    }
    assert proc.stderr.splitlines() == [
        "warning: stroke 1: coordinates outside the cube [-1, 1] were clamped",
        "error: stroke 2: 2 control points, expected 4",
    ]


def test_parse_stdin(cli):
    proc = cli("parse", "-", input="[[[0,0,0],[0.1,0,0],[0.2,0,0],[0.3,0,0]]]")
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["strokes"]) == 1
    assert proc.stderr == ""


def test_parse_without_strokes_exits_2_with_one_line(cli):
    proc = cli("parse", "-", input="I cannot draw that, sorry.")
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert lines == [
        "threedraw parse: no stroke found in the response (expected draw_bezier[...] lines or a list of strokes)"
    ]


def test_parse_missing_file_exits_2(cli, tmp_path):
    proc = cli("parse", str(tmp_path / "nope.txt"))
    assert proc.returncode == 2
    assert "cannot read" in proc.stderr and "Traceback" not in proc.stderr

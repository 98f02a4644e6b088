"""What a new user meets first: the command list, one size range, one way of counting strokes."""

from __future__ import annotations

import importlib
import json

import pytest
from conftest import EXAMPLES

from threedraw.cli import COMMANDS, main
from threedraw.rendering.camera import MAX_SIZE, MIN_SIZE


def test_help_lists_every_command_with_its_line(cli):
    proc = cli("--help")
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())  # argparse wraps the lines
    for name, module in COMMANDS.items():
        line = " ".join(importlib.import_module(f"threedraw.cli.{module}").HELP.split())
        assert f"{name} {line}" in text, name


def test_no_command_is_a_usage_error_listing_the_commands(cli):
    proc = cli()
    assert proc.returncode == 2 and proc.stdout == ""
    assert "usage: threedraw" in proc.stderr and "draw " in proc.stderr and "serve " in proc.stderr


CHAIR = str(EXAMPLES / "chair.json")


@pytest.mark.parametrize("command", [["render", CHAIR, "--out", "o"], ["blend", CHAIR, "--out", "o.blend"],
                                     ["draw", "a chair", "--out", "o.blend"]])
def test_every_command_has_one_picture_size_range(command, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for size in (MIN_SIZE - 1, MAX_SIZE + 1):
        assert main([*command, "--size", str(size)]) == 2
        assert capsys.readouterr().err == f"threedraw {command[0]}: --size {size} is outside {MIN_SIZE}..{MAX_SIZE}\n"
    assert list(tmp_path.iterdir()) == []  # refused before anything was written


def test_parse_and_file_validation_count_strokes_the_same_way(tmp_path, capsys):
    # The same fault, a stroke with 3 points as the 2nd stroke, in a reply and in a sketch file.
    reply = tmp_path / "reply.txt"
    reply.write_text("draw_bezier[(0, 0, 0), (0.1, 0, 0), (0.2, 0, 0), (0.3, 0, 0)]\n"
                     "draw_bezier[(0, 0, 0), (0.1, 0, 0), (0.2, 0, 0)]\n")
    assert main(["parse", str(reply)]) == 0
    assert "stroke 2: 3 control points, expected 4" in capsys.readouterr().err
    good = {"id": "a", "points": [[0, 0, 0], [0.1, 0, 0], [0.2, 0, 0], [0.3, 0, 0]]}
    bad = {"id": "b", "points": [[0, 0, 0], [0.1, 0, 0], [0.2, 0, 0]]}
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"format": "threedraw.sketch/1", "prompt": "p", "strokes": [good, bad]}))
    assert main(["score", str(path)]) == 2
    assert capsys.readouterr().err == "threedraw score: s.json: stroke 2: 3 control points, expected 4\n"

"""What a new user meets first: the command list, one size range, one way of counting strokes."""

from __future__ import annotations

import importlib
import json
import os

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


@pytest.mark.parametrize(
    "command",
    [
        ["render", CHAIR, "--out", "o"],
        ["blend", CHAIR, "--out", "o.blend"],
        ["draw", "a chair", "--out", "o.blend"],
    ],
)
def test_every_command_has_one_picture_size_range(command, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for size in (MIN_SIZE - 1, MAX_SIZE + 1):
        assert main([*command, "--size", str(size)]) == 2
        assert (
            capsys.readouterr().err
            == f"threedraw {command[0]}: --size {size} is outside {MIN_SIZE}..{MAX_SIZE}\n"
        )
    assert list(tmp_path.iterdir()) == []  # refused before anything was written


def test_parse_and_file_validation_count_strokes_the_same_way(tmp_path, capsys):
    # The same fault, a stroke with 3 points as the 2nd stroke, in a reply and in a sketch file.
    reply = tmp_path / "reply.txt"
    reply.write_text(
        "draw_bezier[(0, 0, 0), (0.1, 0, 0), (0.2, 0, 0), (0.3, 0, 0)]\n"
        "draw_bezier[(0, 0, 0), (0.1, 0, 0), (0.2, 0, 0)]\n"
    )
    assert main(["parse", str(reply)]) == 0
    assert "stroke 2: 3 control points, expected 4" in capsys.readouterr().err
    good = {"id": "a", "points": [[0, 0, 0], [0.1, 0, 0], [0.2, 0, 0], [0.3, 0, 0]]}
    bad = {"id": "b", "points": [[0, 0, 0], [0.1, 0, 0], [0.2, 0, 0]]}
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"format": "threedraw.sketch/1", "prompt": "p", "strokes": [good, bad]}))
    assert main(["score", str(path)]) == 2
    assert capsys.readouterr().err == "threedraw score: s.json: stroke 2: 3 control points, expected 4\n"


# Every command that builds an LLM provider, with what it needs besides the provider options.
PROVIDER_COMMANDS = [
    ["draw", "a chair", "--out", "o.blend"],
    ["learn"],
    ["eval", "--prompts", "p.txt"],
    ["serve"],
]


@pytest.mark.parametrize("command", PROVIDER_COMMANDS, ids=lambda c: c[0])
def test_every_provider_command_takes_an_idle_timeout_and_refuses_bad_ones(command, monkeypatch, tmp_path):
    from threedraw.cli import UserError, build_parser
    from threedraw.cli.options import provider_config
    from threedraw.cli.serve_options import settings_from_args
    from threedraw.llm import provider_from_config

    for k in [k for k in os.environ if k.startswith("THREEDRAW_")]:
        monkeypatch.delenv(k)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no user config file for serve

    def config(*extra):
        argv = [*command, "--base-url", "http://127.0.0.1:9/v1", "--model", "m", *extra]
        args = build_parser(argv).parse_args(argv)
        return settings_from_args(args).provider_options if command[0] == "serve" else provider_config(args)

    assert config().idle_timeout == 60.0
    assert provider_from_config(config("--idle-timeout", "7.5")).idle_timeout == 7.5
    for bad in ("0", "-1", "3601", "nan"):
        with pytest.raises(
            UserError, match=rf"^--idle-timeout {bad}: expected seconds, more than 0 and at most 3600$"
        ):
            config("--idle-timeout", bad)


def test_a_bad_idle_timeout_is_one_line_naming_the_option(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    draw = ["draw", "a chair", "--out", "o.blend", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"]
    assert main([*draw, "--idle-timeout", "-2"]) == 2
    assert capsys.readouterr().err == (
        "threedraw draw: --idle-timeout -2: expected seconds, more than 0 and at most 3600\n"
    )
    with pytest.raises(SystemExit) as stop:  # not a number: argparse's usage error names the option
        main([*draw, "--idle-timeout", "soon"])
    assert stop.value.code == 2
    assert "argument --idle-timeout: invalid float value: 'soon'" in capsys.readouterr().err

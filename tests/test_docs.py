"""The README and docs/ say only what is true of the code: every relative link (and its #anchor) leads
somewhere, every `threedraw COMMAND --option` they show is one the CLI's parser accepts, and the README
stays a front door that opens with the two set-up commands. Parsers are built, never run."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from threedraw.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 220

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
INLINE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
SHELL_STOPS = {"|", "||", "&&", ";", ">", ">>", "2>", "<"}


def _code_blocks(text: str) -> list[str]:
    return FENCE.findall(text)


def _prose(text: str) -> str:
    return FENCE.sub("", text)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    headings = re.findall(r"^#+ (.+)$", _prose(path.read_text()), re.M)
    return {_slug(h) for h in headings}


def link_problems(path: Path, text: str) -> list[str]:
    problems = []
    for target in LINK.findall(_prose(text)):
        if re.match(r"[a-z]+:", target):  # https:, mailto:: not checked offline
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            problems.append(f"{path.name}: link {target!r}: {dest} does not exist")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            problems.append(f"{path.name}: link {target!r}: no heading #{anchor} in {dest.name}")
    return problems


def _command_lines(text: str) -> list[str]:
    """Every shell line of the code blocks (continuations joined), and every inline `threedraw ...` span."""
    lines = []
    for block in _code_blocks(text):
        lines += block.replace("\\\n", " ").splitlines()
    lines += [span for span in INLINE.findall(_prose(text)) if span.startswith("threedraw ")]
    return lines


def _tokens(line: str) -> list[str]:
    try:
        return shlex.split(line, comments=True)
    except ValueError:  # an unbalanced quote in a non-shell line: plain words are enough here
        return line.split()


def threedraw_invocations(text: str) -> list[list[str]]:
    """[COMMAND, args...] of each `threedraw` call shown, up to the end of its shell command."""
    calls = []
    for line in _command_lines(text):
        words = _tokens(line.removeprefix("$ "))
        for i, word in enumerate(words):
            if word == "threedraw" or word.endswith("/bin/threedraw"):
                args = []
                for w in words[i + 1 :]:
                    if w in SHELL_STOPS:
                        break
                    args.append(w)
                if args:
                    calls.append(args)
    return calls


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices.get(name)
    return None


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {s for action in parser._actions for s in action.option_strings}


def option_problems(args: list[str]) -> list[str]:
    """Why `threedraw ARGS` is not a command the CLI accepts (options only: nothing runs)."""
    shown = "threedraw " + " ".join(args)
    command = args[0]
    if command in ("--help", "-h", "--version") or command.endswith(":"):
        return []  # `threedraw score: this needs ...` quotes a message, not a command
    if command not in COMMANDS:
        return [f"{shown!r}: no command {command!r} (commands: {', '.join(COMMANDS)})"]
    parser = _subparser(build_parser([command]), command)
    assert parser is not None, command
    problems = []
    for word in args[1:]:
        word = word.strip("[]")
        if word.startswith("--") or re.fullmatch(r"-[A-Za-z]", word):
            option = word.split("=", 1)[0]
            if option not in _options(parser):
                problems.append(f"{shown!r}: {parser.prog} takes no option {option}")
        elif not word.startswith("-"):
            nested = _subparser(parser, word)  # `library export`, `bench learn`: options are the action's
            if nested is not None:
                parser = nested
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(page):
    assert link_problems(page, page.read_text()) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_threedraw_command_shown_names_a_real_command_and_its_options(page):
    calls = threedraw_invocations(page.read_text())
    problems = [p for args in calls for p in option_problems(args)]
    assert problems == []


def test_the_pages_show_commands_at_all():
    shown = {args[0] for page in PAGES for args in threedraw_invocations(page.read_text())}
    assert {"draw", "learn", "eval", "serve", "check", "library", "repair", "parse", "polish"} <= shown


def test_the_readme_is_a_front_door_that_opens_with_make_demo_and_make_test():
    text = README.read_text()
    assert len(text.splitlines()) <= README_MAX_LINES
    commands = [line.split("#")[0].strip() for block in _code_blocks(text) for line in block.splitlines()]
    assert [c for c in commands if c][:2] == ["make demo", "make test"]


def test_the_readme_links_every_docs_page():
    linked = {Path(t.partition("#")[0]).name for t in LINK.findall(_prose(README.read_text()))}
    assert {p.name for p in PAGES[1:]} <= linked


def test_the_checks_catch_a_bogus_option_command_link_and_anchor(tmp_path):
    """The checks above can fail: each kind of mistake is reported, naming it."""
    assert option_problems(["draw", "--no-such-option", "x"]) == [
        "'threedraw draw --no-such-option x': threedraw draw takes no option --no-such-option"
    ]
    assert option_problems(["drwa", "x"])[0].startswith("'threedraw drwa x': no command 'drwa'")
    assert option_problems(["library", "export", "--force", "--bogus"]) == [
        "'threedraw library export --force --bogus': threedraw library export takes no option --bogus"
    ]
    assert option_problems(["draw", "a chair", "-k", "5", "--no-repair"]) == []
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n[gone](missing.md) [here](page.md#title) [nowhere](#no-such-heading)\n")
    problems = link_problems(page, page.read_text())
    assert len(problems) == 2
    assert "missing.md" in problems[0] and "no heading #no-such-heading" in problems[1]
    calls = threedraw_invocations("```sh\n$ threedraw repair a.json \\\n  --tolerence 0.05 | less\n```\n")
    assert calls == [["repair", "a.json", "--tolerence", "0.05"]]

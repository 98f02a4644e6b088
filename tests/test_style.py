"""The style gate: ruff's lint rules and its formatter, as pyproject.toml configures them."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

SOURCES = ["backend", "blender_addon", "shared", "tests", "build_addon.py", "docs"]


def _ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, *SOURCES], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_ruff_check_finds_nothing():
    proc = _ruff("check", "--no-cache", "--output-format", "concise")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format_would_change_nothing():
    proc = _ruff("format", "--check", "--no-cache")
    assert proc.returncode == 0, "run `.venv/bin/ruff format .` to fix:\n" + proc.stdout + proc.stderr

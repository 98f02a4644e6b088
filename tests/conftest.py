"""Shared fixtures. Tests here may import torch; tests/blender/ (bpy) run in their own process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def run_cli(*args: str, input: str | None = None, timeout: float = 300, env: dict | None = None):
    """Run `threedraw ARGS` as a user would (a fresh process), returning CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "threedraw.cli", *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def cli():
    return run_cli

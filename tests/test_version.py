"""The version is written once (backend/__init__.py) and read everywhere else."""

from __future__ import annotations

import importlib.metadata
import sys
import tomllib
from pathlib import Path

import threedraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # build_addon.py lives at the root


def test_the_extension_manifest_carries_the_backends_version(tmp_path):
    import build_addon

    staged = build_addon.stage(tmp_path)
    with open(staged / "blender_manifest.toml", "rb") as f:
        manifest = tomllib.load(f)
    assert manifest["version"] == threedraw.__version__
    assert manifest["id"] == "threedraw"
    assert build_addon.version() == threedraw.__version__


def test_the_package_metadata_reads_the_same_version():
    with open(ROOT / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert importlib.metadata.version("threedraw") == threedraw.__version__

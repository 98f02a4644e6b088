"""Blender tests: the real bpy module, the built and installed extension.

XDG_CONFIG_HOME must point at a throwaway folder before bpy is imported, so the
extension installs into a temporary user config and never into the user's own.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

_CONFIG = tempfile.mkdtemp(prefix="threedraw-blender-config-")
os.environ["XDG_CONFIG_HOME"] = _CONFIG

import bpy  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # build_addon.py lives at the root
MODULE = "bl_ext.user_default.threedraw"


@pytest.fixture(scope="session")
def addon_zip(tmp_path_factory) -> Path:
    import build_addon

    return build_addon.build(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def installed(addon_zip) -> str:
    """Install and enable the built zip as a Blender extension; returns its module name."""
    result = bpy.ops.extensions.package_install_files(
        filepath=str(addon_zip), repo="user_default", enable_on_install=True
    )
    assert result == {"FINISHED"}
    assert MODULE in bpy.context.preferences.addons, "extension installed but not enabled"
    return MODULE


@pytest.fixture
def empty_scene(installed):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    # read_factory_settings disables add-ons that are not in the factory preferences.
    if MODULE not in bpy.context.preferences.addons:
        bpy.ops.preferences.addon_enable(module=MODULE)
    return bpy.context.scene

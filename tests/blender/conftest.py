"""Blender tests: the real bpy module, the built and installed extension.

XDG_CONFIG_HOME must point at a throwaway folder before bpy is imported, so the
extension installs into a temporary user config and never into the user's own
(XDG_CACHE_HOME too: the add-on's backend log goes there).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

_CONFIG = tempfile.mkdtemp(prefix="threedraw-blender-config-")
os.environ["XDG_CONFIG_HOME"] = _CONFIG
os.environ["XDG_CACHE_HOME"] = os.path.join(_CONFIG, "cache")  # Start Backend's log goes there

import bpy  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # build_addon.py lives at the root
MODULE = "bl_ext.user_default.threedraw"
# The sidebar's panels, top to bottom.
PANELS = (
    "THREEDRAW_PT_draw",
    "THREEDRAW_PT_refine",
    "THREEDRAW_PT_score",
    "THREEDRAW_PT_job",
    "THREEDRAW_PT_library",
    "THREEDRAW_PT_backend",
)


@pytest.fixture(scope="session")
def addon_zip(tmp_path_factory) -> Path:
    import build_addon

    return build_addon.build(tmp_path_factory.mktemp("dist"))


def install(addon_zip: Path) -> str:
    """Install and enable the built zip as a Blender extension; returns its module name."""
    result = bpy.ops.extensions.package_install_files(
        filepath=str(addon_zip), repo="user_default", enable_on_install=True
    )
    assert result == {"FINISHED"}
    assert MODULE in bpy.context.preferences.addons, "extension installed but not enabled"
    return MODULE


@pytest.fixture(scope="session")
def installed(addon_zip) -> str:
    return install(addon_zip)


@pytest.fixture
def empty_scene(installed):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    # read_factory_settings disables add-ons that are not in the factory preferences.
    if MODULE not in bpy.context.preferences.addons:
        bpy.ops.preferences.addon_enable(module=MODULE)
    return bpy.context.scene


# -- a real backend ------------------------------------------------------------
# `threedraw serve` and its scripted LLM run under the main venv's python (torch stays there);
# the Blender environment under test may be another one (the 4.2 LTS wheel's).
BACKEND_PYTHON = Path(os.environ.get("THREEDRAW_BACKEND_PYTHON") or ROOT / ".venv" / "bin" / "python")
BACKEND_CLI = str(BACKEND_PYTHON.parent / "threedraw")  # the `threedraw` command of that environment
BACKEND_START_S = 120


def start_backend(home: Path):
    """Start the backend stack; (process, {url, token_file, clip_args, data_dir, good_actions})."""
    import json
    import subprocess

    proc = subprocess.Popen(
        [str(BACKEND_PYTHON), str(ROOT / "tests" / "blender" / "backend_stack.py"), str(home)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the stack prints one line once the server answers
    if not line:
        proc.wait(timeout=BACKEND_START_S)
        raise RuntimeError(
            f"the test backend did not start (exit {proc.returncode}); run {BACKEND_PYTHON} "
            f"tests/blender/backend_stack.py DIR to see why"
        )
    return proc, json.loads(line)


def stop_backend(proc) -> None:
    import subprocess

    proc.stdin.close()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def backend(tmp_path_factory):
    """One backend for the session, shared by the tests that need one."""
    proc, info = start_backend(tmp_path_factory.mktemp("backend"))
    try:
        yield info
    finally:
        stop_backend(proc)


def blend_bytes(path: Path) -> bytes:
    """A saved .blend's bytes, decompressed (Blender 5 writes zstd by default)."""
    import io

    raw = path.read_bytes()
    if raw[:4] == b"\x28\xb5\x2f\xfd":
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw)).read()
    return raw


def addon_prefs():
    return bpy.context.preferences.addons[MODULE].preferences


@pytest.fixture
def connected(empty_scene, backend):
    """An empty scene whose add-on preferences point at the session's backend."""
    prefs = addon_prefs()
    prefs.backend_url = backend["url"]
    prefs.token_file = backend["token_file"]
    return empty_scene


def curve_objects(collection=None):
    """The curve objects of ``collection``, else of the scene."""
    objs = collection.objects if collection is not None else bpy.context.scene.objects
    return [o for o in objs if o.type == "CURVE"]


def select_only(objs):
    for o in bpy.context.scene.objects:
        o.select_set(False)
    for o in objs:
        o.select_set(True)
    bpy.context.view_layer.objects.active = objs[0]

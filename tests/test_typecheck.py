"""The add-on type-checks against fake-bpy-module's stubs, as it ships (shared/ vendored inside)."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_addon_typechecks_with_zero_errors(tmp_path):
    sys.path.insert(0, str(ROOT))
    import build_addon

    pkg = build_addon.stage(tmp_path, "threedraw_addon")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir",
         str(tmp_path / ".mypy_cache"), pkg.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success: no issues found" in proc.stdout


def test_addon_never_imports_torch_and_shared_imports_nothing_third_party():
    import ast

    stdlib = set(sys.stdlib_module_names)
    for path in (ROOT / "shared").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for n in names:
                assert n.split(".")[0] in stdlib | {"__future__"}, f"{path.name} imports {n}"
    for path in (ROOT / "blender_addon").rglob("*.py"):
        text = path.read_text()
        assert "import torch" not in text and "from torch" not in text, path.name
    for path in (ROOT / "backend").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not any(m == "bpy" or m.startswith("bpy.") for m in mods), f"{path} imports bpy"

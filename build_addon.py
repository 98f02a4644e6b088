"""Build the installable Blender extension: dist/threedraw-<version>.zip.

The zip holds blender_addon/ at its root with shared/ vendored inside it as
`shared/`, so the add-on's relative imports (`from .shared import ...`) work.
Blender's own extension CLI (inside the bpy wheel) builds and validates it.

    python build_addon.py [--out-dir dist] [--no-validate]
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
ADDON = ROOT / "blender_addon"
SHARED = ROOT / "shared"
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")


def blender_ext_cli() -> Path:
    """bl_pkg's extension CLI, shipped inside the bpy wheel; runs with plain Python."""
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            "build_addon: the bpy module is not installed (run `make test` or `pip install bpy==5.0.1`)"
        )
    base = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(base.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    if not found:
        raise SystemExit("build_addon: blender_ext.py not found inside the bpy package")
    return found[-1]


def version() -> str:
    """threedraw's version, read from backend/__init__.py (its one source) without importing it."""
    tree = ast.parse((ROOT / "backend" / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__version__"]:
            return ast.literal_eval(node.value)
    raise SystemExit("build_addon: backend/__init__.py sets no __version__")


def write_manifest(dest: Path) -> None:
    """The add-on's manifest with the version filled in after its id line."""
    text = (ADDON / "blender_manifest.toml").read_text()
    text, found = re.subn(r"^(id = .*)$", rf'\1\nversion = "{version()}"', text, count=1, flags=re.M)
    if not found:
        raise SystemExit("build_addon: blender_manifest.toml has no id line")
    (dest / "blender_manifest.toml").write_text(text)


def stage(dest: Path, name: str = "threedraw") -> Path:
    """Copy the add-on with shared/ vendored inside it to dest/name."""
    src = dest / name
    shutil.copytree(ADDON, src, ignore=IGNORE)
    shutil.copytree(SHARED, src / "shared", ignore=IGNORE)
    write_manifest(src)
    return src


def run_cli(*args: str) -> None:
    cmd = [sys.executable, str(blender_ext_cli()), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"build_addon: blender_ext {args[0]} failed:\n{proc.stdout}{proc.stderr}")


def build(out_dir: Path, validate: bool = True) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    zip_path = out_dir / f"threedraw-{version()}.zip"
    with tempfile.TemporaryDirectory() as tmp:
        src = stage(Path(tmp))
        if validate:
            run_cli("validate", str(src))
        zip_path.unlink(missing_ok=True)
        run_cli("build", "--source-dir", str(src), "--output-dir", str(out_dir))
    if not zip_path.exists():
        raise SystemExit(f"build_addon: expected {zip_path} was not written")
    if validate:
        run_cli("validate", str(zip_path))
    return zip_path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", default=str(ROOT / "dist"))
    ap.add_argument("--no-validate", action="store_true")
    args = ap.parse_args()
    path = build(Path(args.out_dir), validate=not args.no_validate)
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()

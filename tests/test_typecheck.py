"""The add-on type-checks against fake-bpy-module's stubs, as it ships (shared/ vendored inside)."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

BLENDER_WORKER = ROOT / "backend" / "blender" / "worker.py"
# The backend's packages, lowest first: a module may import its own package and lower ranks only,
# so dependencies run one way (cli -> server -> cke -> draw -> polish -> scoring/rendering/llm/prompts/
# library -> storage, shared) and nothing imports the CLI.
LAYERS = {
    "shared": 0,
    "layers": 0,  # which extra installs which heavy module (imports nothing)
    "storage": 1,
    "prompts": 1,
    "llm": 1,
    "rendering": 1,
    "testing": 1,
    "runtime": 2,
    "library": 2,
    "scoring": 2,
    "blender": 2,
    "polish": 3,
    "draw": 4,
    "cke": 5,
    "server": 6,
    "bench": 7,
    "cli": 8,
}


def test_addon_typechecks_with_zero_errors(tmp_path):
    sys.path.insert(0, str(ROOT))
    import build_addon

    pkg = build_addon.stage(tmp_path, "threedraw_addon")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            pkg.name,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success: no issues found" in proc.stdout


def test_addon_never_imports_torch_and_shared_imports_nothing_third_party():
    import ast

    stdlib = set(sys.stdlib_module_names)
    for path in (ROOT / "shared").rglob("*.py"):
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
        if path == BLENDER_WORKER:
            continue  # the child process Blender work runs in (see the test below)
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not any(m == "bpy" or m.startswith("bpy.") for m in mods), f"{path} imports bpy"


ADDON = ROOT / "blender_addon"
# The add-on's modules that run on worker threads (network, JSON, decoding): bpy is not
# thread-safe, so they never import Blender's modules, nor any add-on module that does.
WORKER_SIDE = [*sorted((ADDON / "client").glob("*.py")), ADDON / "jobs/follow.py", ADDON / "jobs/prepare.py"]
BLENDER_MODULES = {"bpy", "bpy_extras", "mathutils", "bmesh", "gpu", "blf", "idprop"}


def _addon_imports(path):
    """(top-level modules, add-on files) that an add-on file imports anywhere in it, but for type
    checking; shared/ (vendored into the add-on, stdlib only: checked above) is left out."""
    import ast

    package = path.parent.relative_to(ADDON).parts
    tree = ast.parse(path.read_text())
    typing_only = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
        for stmt in block.body
        for n in ast.walk(stmt)
    }
    tops, files = set(), set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            tops |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            tops.add((node.module or "").split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1])
            parts = [*base, *(node.module or "").split(".")] if node.module else base
            if parts[:1] == ["shared"]:
                continue
            names = [parts, *([*parts, a.name] for a in node.names)]  # a name may be a module
            for mod in names:
                target = ADDON.joinpath(*mod)
                for candidate in (target.with_suffix(".py"), target / "__init__.py"):
                    if candidate.exists():
                        files.add(candidate)
    return tops, files


def test_worker_thread_modules_never_import_bpy():
    assert "bpy" in _addon_imports(ADDON / "jobs/poller.py")[0]  # the check sees a main-thread module
    assert ADDON / "client/http.py" in _addon_imports(ADDON / "client/__init__.py")[1]
    for start in WORKER_SIDE:
        seen, todo = {start: [start]}, [start]
        while todo:
            path = todo.pop()
            tops, files = _addon_imports(path)
            chain = " -> ".join(str(p.relative_to(ADDON)) for p in seen[path])
            assert not tops & BLENDER_MODULES, f"{chain} imports {sorted(tops & BLENDER_MODULES)}"
            for f in files - seen.keys():
                seen[f] = [*seen[path], f]
                todo.append(f)


def test_panels_import_no_operator_module():
    for path in (ADDON / "ui").glob("*.py"):
        _, files = _addon_imports(path)
        assert not any(ADDON / "operators" in f.parents for f in files), f"ui/{path.name} imports an operator"


def _threedraw_imports(path):
    """The threedraw modules a backend file imports (relative imports resolved), anywhere in it."""
    import ast

    rel = path.relative_to(ROOT / "backend").with_suffix("")
    package = ["threedraw", *rel.parts[:-1]]  # a module's package; an __init__'s own
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.split(".")[0] == "threedraw")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join([*base, node.module] if node.module else base)
            elif (node.module or "").split(".")[0] == "threedraw":
                mod = node.module or ""
            else:
                continue
            # "from . import x" names modules too
            yield from ([mod] if node.module or node.level == 0 else [f"{mod}.{a.name}" for a in node.names])


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_backend_dependencies_run_one_way():
    files = sorted((ROOT / "backend").rglob("*.py"))
    assert {p.relative_to(ROOT / "backend").parts[0].removesuffix(".py") for p in files} - {
        "__init__",
        "__main__",
    } == set(LAYERS) - {"shared"}, "every backend package or module has a place in LAYERS"
    for path in files:
        rel = path.relative_to(ROOT / "backend")
        own = rel.parts[0].removesuffix(".py")
        for mod in _threedraw_imports(path):
            target = _layer(mod)
            if target in ("", "__version__"):  # the root package: __version__
                continue
            if target == "addon":  # the add-on's curve code, built in Blender's process only
                assert path == BLENDER_WORKER, f"{rel} imports the add-on ({mod})"
                continue
            if own in ("__init__", "__main__"):
                assert own == "__main__" and target == "cli", f"{rel} imports {mod}"
                continue
            assert target in LAYERS, f"{rel} imports {mod}: not a known backend package"
            assert target == own or LAYERS[target] < LAYERS[own], (
                f"{rel} ({own}) imports {mod} ({target}): dependencies run cli -> server -> cke -> draw -> ..."
            )
            assert mod != "threedraw.blender.worker", (
                f"{rel} imports the Blender worker; run it as a child process"
            )


def test_only_the_blender_worker_imports_bpy_and_it_runs_as_a_child_process():
    import ast

    text = BLENDER_WORKER.read_text()
    assert any(isinstance(n, ast.Import) and n.names[0].name == "bpy" for n in ast.walk(ast.parse(text)))
    client = (ROOT / "backend" / "blender" / "client.py").read_text()
    protocol = (ROOT / "backend" / "blender" / "protocol.py").read_text()
    assert '"-m", WORKER_MODULE' in client and 'WORKER_MODULE = "threedraw.blender.worker"' in protocol
    zipped = (ROOT / "blender_addon").rglob("*.py")
    assert not any("headless" in p.name or "worker" in p.name for p in zipped), (
        "backend code in the extension"
    )


def test_every_backend_and_addon_package_ships():
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join([prefix, *p.parent.relative_to(ROOT / folder).parts])
        for folder, prefix in (
            ("backend", "threedraw"),
            ("blender_addon", "threedraw.addon"),
            ("shared", "threedraw.shared"),
            ("shared", "threedraw.addon.shared"),
        )
        for p in (ROOT / folder).rglob("__init__.py")
    }
    assert found <= listed, f"add to pyproject.toml's packages: {sorted(found - listed)}"

"""Pictures for the README's add-on walk-through, made the way a user works.

    .venv/bin/python docs/make_addon_pictures.py [--prompt "a wooden chair"] [--out docs]

The add-on is built and installed from its zip into a throwaway Blender config; its Start
Backend operator launches a real `threedraw serve` with the local SmolLM2-135M model (no
key, no network; no CLIP weights ship, so rewards are the structure score); then Draw and
Refine run as a script would run them, and each result is rendered with Workbench.
Writes OUT/addon-draw.png and OUT/addon-refined.png and prints what happened.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TMP = Path(tempfile.mkdtemp(prefix="threedraw-pictures-"))
os.environ["XDG_CONFIG_HOME"] = str(TMP / "config")  # before bpy: never the user's own config
os.environ["XDG_CACHE_HOME"] = str(TMP / "cache")

import bpy  # noqa: E402

MODULE = "bl_ext.user_default.threedraw"


def install() -> None:
    sys.path.insert(0, str(ROOT))
    import build_addon

    zip_path = build_addon.build(TMP / "dist")
    assert bpy.ops.extensions.package_install_files(
        filepath=str(zip_path), repo="user_default", enable_on_install=True
    ) == {"FINISHED"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def render(collection: bpy.types.Collection, path: Path) -> None:
    """Only this collection, framed by its control points, on white paper."""
    import importlib

    preview = importlib.import_module(f"{MODULE}.preview")
    scene = bpy.context.scene
    for c in scene.collection.children:
        c.hide_render = c != collection
    pts = [
        o.matrix_world @ p.co
        for o in collection.objects
        if o.type == "CURVE"
        for s in o.data.splines
        for p in s.bezier_points
    ]
    lo = tuple(min(p[i] for p in pts) for i in range(3))
    hi = tuple(max(p[i] for p in pts) for i in range(3))
    preview.setup_preview_scene(scene, size=512, bounds=(lo, hi))
    preview.render_preview(scene, str(path))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompt", default="a wooden chair")
    ap.add_argument("--out", default=str(ROOT / "docs"))
    args = ap.parse_args()
    out = Path(args.out)
    install()
    prefs = bpy.context.preferences.addons[MODULE].preferences
    prefs.backend_url = f"http://127.0.0.1:{free_port()}"
    prefs.token_file = str(TMP / "token")
    threedraw = Path(sys.executable).parent / "threedraw"  # this environment's `threedraw` command
    prefs.backend_command = f"{threedraw} serve --provider local --data-dir {TMP / 'data'}"
    bpy.ops.wm.read_homefile(use_empty=True)
    t0 = time.monotonic()
    assert bpy.ops.threedraw.start_backend() == {"FINISHED"}
    import importlib

    pid = importlib.import_module(f"{MODULE}.state").SESSION.backend.pid
    try:
        assert bpy.ops.threedraw.draw(prompt=args.prompt, k=2) == {"FINISHED"}
        drawn = bpy.data.collections[args.prompt[:63]]
        print(
            f"drawn in {time.monotonic() - t0:.0f} s: {len(drawn.objects)} curve objects, "
            f"reward {drawn.get('threedraw_reward')}"
        )
        render(drawn, out / "addon-draw.png")
        for o in bpy.context.scene.objects:
            o.select_set(o.name in drawn.objects)
        t1 = time.monotonic()
        assert bpy.ops.threedraw.refine(prompt=args.prompt, rounds=1, k=2) == {"FINISHED"}
        refined = bpy.data.collections[f"{args.prompt[:48]} (refined)"]
        print(
            f"refined in {time.monotonic() - t1:.0f} s into '{refined.name}': {len(refined.objects)} curve "
            f"objects, reward {refined.get('threedraw_reward')}"
        )
        render(refined, out / "addon-refined.png")
    finally:
        os.kill(pid, signal.SIGTERM)


if __name__ == "__main__":
    main()

"""Blender worker for the backend: `python -m threedraw.blender.worker`, a child process.

The one backend module that imports bpy: the backend itself never does; it runs this module in
a child process (``threedraw.blender.client``) and speaks JSON lines over stdin/stdout
(``threedraw.blender.protocol``). It builds curves with the add-on's own code
(``threedraw.addon.curves``, ``threedraw.addon.preview``), so a .blend written here is what the
add-on would build. The ready reply comes after bpy is loaded and the render engine warmed up,
which the backend overlaps with LLM time.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import TYPE_CHECKING, Any

from .protocol import MAX_PREVIEW_SIZE, MIN_PREVIEW_SIZE, PREVIEW_SIZE, REPLY_PREFIX

if TYPE_CHECKING:
    import bpy


def _reply(obj: dict[str, Any]) -> None:
    sys.stdout.write(REPLY_PREFIX + json.dumps(obj) + "\n")
    sys.stdout.flush()


def _reset() -> bpy.types.Scene:
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    assert scene is not None, "factory settings hold no scene"
    return scene


def _warm_up() -> None:
    """Render one tiny frame so the first real preview does not pay for engine start-up."""

    from threedraw.addon.preview import render_preview, setup_preview_scene

    scene = _reset()
    setup_preview_scene(scene, size=16)
    with tempfile.TemporaryDirectory() as tmp:
        render_preview(scene, os.path.join(tmp, "warm.png"))


def save_scene(scene: bpy.types.Scene, path: str) -> None:
    """Write just the scene and what it uses. A full save would also store UI state
    such as the file browser's last directory (the user's home), a machine path."""
    import bpy

    bpy.data.libraries.write(path, {scene}, path_remap="RELATIVE_ALL", compress=True)


def _write(req: dict[str, Any]) -> dict[str, Any]:
    import bpy

    from threedraw.addon.curves import build_sketch
    from threedraw.addon.preview import render_preview, setup_preview_scene

    from ..shared.sketch import Sketch

    sketch = Sketch.from_dict(req.get("sketch"))
    size = int(req.get("size", PREVIEW_SIZE))
    if not MIN_PREVIEW_SIZE <= size <= MAX_PREVIEW_SIZE:
        raise ValueError(f"preview size {size} is outside {MIN_PREVIEW_SIZE}..{MAX_PREVIEW_SIZE}")
    blend = os.path.abspath(str(req["blend"]))
    scene = _reset()
    # Strokes about 2 px wide in the preview, whatever its size.
    lo, hi = sketch.bounds()
    span = max(max(h - low for low, h in zip(lo, hi)), 0.2)
    coll = build_sketch(sketch, bpy.context, bevel_depth=max(0.004, 1.6 * span / size))
    setup_preview_scene(scene, size, sketch.bounds())
    os.makedirs(os.path.dirname(blend), exist_ok=True)
    save_scene(scene, blend)
    preview = req.get("preview")
    if preview:
        preview = os.path.abspath(str(preview))
        os.makedirs(os.path.dirname(preview), exist_ok=True)
        render_preview(scene, preview)
    splines = sum(len(o.data.splines) for o in coll.objects if isinstance(o.data, bpy.types.Curve))
    return {"ok": True, "objects": len(coll.objects), "splines": splines, "strokes": len(sketch)}


def main() -> int:
    try:
        _warm_up()
    except Exception as e:  # still serve requests: only the warm-up render failed
        _reply({"ok": True, "ready": True, "warning": f"warm-up failed: {e}"})
    else:
        _reply({"ok": True, "ready": True})
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            if req.get("op") != "write":
                raise ValueError(f"unknown op {req.get('op')!r}")
            _reply(_write(req))
        except Exception as e:  # one bad request must not kill the worker
            _reply({"ok": False, "error": f"{type(e).__name__}: {e}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What the panels edit: per-scene drawing settings, and per-session backend state.

The scene settings are saved with the .blend (a prompt, a number of candidates: nothing
private). What came from the backend (its info, the libraries, a library's lessons) lives on
the window manager, which is never written to a file.
"""

from __future__ import annotations

import zlib
from typing import Any

import bpy
from bpy.props import (
    BoolProperty,
    CollectionProperty,
    EnumProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

NO_LIBRARY = "NONE"
MAX_K = 8  # the backend allows more; more candidates than this is slow for one person waiting

# Filled from GET /v1/libraries on a worker thread. Blender needs the enum items to stay alive
# while it shows them, so the list is kept here, module-wide.
library_names: list[str] = []
_NONE_ITEM = (NO_LIBRARY, "none", "Draw without lessons", "NONE", 0)
_library_items: list[tuple[str, str, str, str, int]] = []


def _number(name: str) -> int:
    """A dynamic enum saves its number, not its name: derive it from the name, so the scene's
    choice survives libraries being added before it in the list, and a reopened file."""
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF or 1


def set_libraries(names: list[str]) -> None:
    library_names[:] = names
    _library_items[:] = [_NONE_ITEM] + [
        (n, n, f"Draw with the lessons of library {n}", "NONE", _number(n)) for n in names
    ]


def _libraries(self: Any, context: bpy.types.Context | None) -> list[tuple[str, str, str, str, int]]:
    return _library_items or [_NONE_ITEM]


class ThreedrawSceneSettings(bpy.types.PropertyGroup):
    prompt: StringProperty(name="Prompt", description="What to draw", default="a wooden chair")
    k: IntProperty(
        name="Candidates",
        description="Sketches drawn and scored; the best is kept",
        default=3,
        min=1,
        max=MAX_K,
    )
    max_strokes: IntProperty(
        name="Max Strokes",
        description="Most curves one sketch may have (0: the model's default)",
        default=0,
        min=0,
        max=256,
    )
    library: EnumProperty(
        name="Library",
        description="Experience library whose lessons guide the drawing",
        items=_libraries,
    )
    keep_candidates: BoolProperty(
        name="Keep Other Candidates",
        default=False,
        description="Also add the other candidates, hidden, each in its own collection",
    )
    rounds: IntProperty(
        name="Rounds",
        description="CKE rounds: draw, score, judge, update lessons",
        default=1,
        min=1,
        max=5,
    )
    keep_partial: BoolProperty(
        name="Keep Partial",
        default=False,
        description="When a draw or refine is cancelled or fails, keep the strokes drawn "
        "so far as a sketch (the longest candidate) instead of removing them",
    )
    from_selected: BoolProperty(
        name="From Selected Curves",
        default=True,
        description="Refine the selected (edited) curves rather than drawing from scratch",
    )


class ThreedrawLesson(bpy.types.PropertyGroup):
    lesson_id: StringProperty()
    text: StringProperty()


class ThreedrawSession(bpy.types.PropertyGroup):
    lessons: CollectionProperty(type=ThreedrawLesson)
    lesson_index: IntProperty()
    lessons_of: StringProperty(description="The library the lessons list shows")


def scene_settings(scene: bpy.types.Scene) -> ThreedrawSceneSettings:
    return scene.threedraw  # type: ignore[attr-defined]


def session(context: bpy.types.Context) -> ThreedrawSession:
    return context.window_manager.threedraw  # type: ignore[union-attr]


CLASSES = (ThreedrawSceneSettings, ThreedrawLesson, ThreedrawSession)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.threedraw = PointerProperty(type=ThreedrawSceneSettings)  # type: ignore[attr-defined]
    bpy.types.WindowManager.threedraw = PointerProperty(type=ThreedrawSession)  # type: ignore[attr-defined]


def unregister() -> None:
    del bpy.types.WindowManager.threedraw  # type: ignore[attr-defined]
    del bpy.types.Scene.threedraw  # type: ignore[attr-defined]
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
    set_libraries([])
    backend_status.update(up=None, info=None, error=None)  # "pid" stays: that process may still run


# The backend as last seen (GET /v1/info on a worker thread): {"up": bool, "info": {...}, "error": str},
# and "pid": the backend process Start Backend launched in this session, if it did.
# "check": Test Connection's one-line verdict on the backend's LLM (GET /v1/check).
backend_status: dict[str, Any] = {"up": None, "info": None, "error": None, "pid": None, "check": None}

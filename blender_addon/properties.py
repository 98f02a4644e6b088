"""What the panels edit: per-scene drawing settings, and the lessons shown.

The scene settings are saved with the .blend (a prompt, a number of candidates: nothing
private). A library's lessons live on the window manager, which is never written to a file;
the rest of what came from the backend is in state.py.
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

from .state import SESSION, EnumItem

NO_LIBRARY = "NONE"
MAX_K = 8  # the backend allows more; more candidates than this is slow for one person waiting

_NONE_ITEM: EnumItem = (NO_LIBRARY, "none", "Draw without lessons", "NONE", 0)


def _number(name: str) -> int:
    """A dynamic enum saves its number, not its name: derive it from the name, so the scene's
    choice survives libraries being added before it in the list, and a reopened file."""
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF or 1


def set_libraries(names: list[str]) -> None:
    """The libraries GET /v1/libraries named, as the Library menu's items (kept in state.py)."""
    SESSION.library_names[:] = names
    SESSION.library_items[:] = [_NONE_ITEM] + [
        (n, n, f"Draw with the lessons of library {n}", "NONE", _number(n)) for n in names
    ]


def _libraries(self: Any, context: bpy.types.Context | None) -> list[EnumItem]:
    return SESSION.library_items or [_NONE_ITEM]


def _count(name: str, description: str, default: int, lo: int, hi: int) -> Any:
    """A whole-number setting from ``lo`` to ``hi``."""
    return IntProperty(name=name, description=description, default=default, min=lo, max=hi)


def _switch(name: str, description: str, default: bool = False) -> Any:
    """An on/off setting."""
    return BoolProperty(name=name, description=description, default=default)


class ThreedrawSceneSettings(bpy.types.PropertyGroup):
    prompt: StringProperty(name="Prompt", description="What to draw", default="a wooden chair")
    k: _count("Candidates", "Sketches drawn and scored; the best is kept", 3, 1, MAX_K)
    max_strokes: _count("Max Strokes", "Most curves one sketch may have (0: the model's default)", 0, 0, 256)
    library: EnumProperty(
        name="Library",
        description="Experience library whose lessons guide the drawing",
        items=_libraries,
    )
    keep_candidates: _switch(
        "Keep Other Candidates", "Also add the other candidates, hidden, each in its own collection"
    )
    rounds: _count("Rounds", "CKE rounds: draw, score, judge, update lessons", 1, 1, 5)
    keep_partial: _switch(
        "Keep Partial",
        "When a draw or refine is cancelled or fails, keep the strokes drawn "
        "so far as a sketch (the longest candidate) instead of removing them",
    )
    from_selected: _switch(
        "From Selected Curves", "Refine the selected (edited) curves rather than drawing from scratch", True
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
    SESSION.backend.forget()

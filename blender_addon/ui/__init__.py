"""The sidebar panels, the lessons list and the status bar entry."""

from __future__ import annotations

import bpy
import bpy.utils.previews

from ..state import SESSION
from . import panels, status_bar


def register() -> None:
    for cls in panels.CLASSES:
        bpy.utils.register_class(cls)
    SESSION.previews = bpy.utils.previews.new()
    status_bar.register()


def unregister() -> None:
    status_bar.unregister()
    if SESSION.previews is not None:
        bpy.utils.previews.remove(SESSION.previews)
        SESSION.previews = None
    for cls in reversed(panels.CLASSES):
        bpy.utils.unregister_class(cls)

"""A job's progress in Blender's status bar (drawn only while one runs)."""

from __future__ import annotations

import bpy

from ..jobs import poller


def draw_status(self: bpy.types.Header, context: bpy.types.Context) -> None:
    act = poller.active(context.scene) or poller.any_active()
    if act is None or self.layout is None:
        return
    self.layout.progress(factor=act.fraction, type="RING", text=f"3DrawAgent: {act.label}: {act.text}")


def register() -> None:
    bpy.types.STATUSBAR_HT_header.append(draw_status)  # type: ignore[arg-type]


def unregister() -> None:
    bpy.types.STATUSBAR_HT_header.remove(draw_status)  # type: ignore[arg-type]

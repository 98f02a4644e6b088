"""The View3D sidebar tab."""

from __future__ import annotations

import bpy

from . import ids


class THREEDRAW_PT_main(bpy.types.Panel):
    bl_idname = ids.PANEL_MAIN
    bl_label = "threedraw"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = ids.SIDEBAR_CATEGORY

    def draw(self, context: bpy.types.Context) -> None:
        assert self.layout is not None
        col = self.layout.column(align=True)
        col.operator(ids.OP_IMPORT_SKETCH, text="Import Sketch", icon="IMPORT")
        col.operator(ids.OP_EXPORT_SKETCH, text="Export Selected", icon="EXPORT")


CLASSES = (THREEDRAW_PT_main,)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)


def unregister() -> None:
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)

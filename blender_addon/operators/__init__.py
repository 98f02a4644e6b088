"""Every operator of the add-on, registered in order (and the File menu entries)."""

from __future__ import annotations

import bpy

from .. import ids
from . import convert, io, jobs, library, polish, repair, server

CLASSES = (
    *io.CLASSES,
    *jobs.CLASSES,
    *polish.CLASSES,
    *server.CLASSES,
    *library.CLASSES,
    *convert.CLASSES,
    *repair.CLASSES,
)


def _menu_import(self: bpy.types.Menu, context: bpy.types.Context) -> None:
    assert self.layout is not None
    self.layout.operator(ids.OP_IMPORT_SKETCH, text="threedraw sketch (.json)")


def _menu_export(self: bpy.types.Menu, context: bpy.types.Context) -> None:
    assert self.layout is not None
    self.layout.operator(ids.OP_EXPORT_SKETCH, text="threedraw sketch (.json)")


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    # The stubs type menu callbacks as (context) -> None; Blender calls (self, context).
    bpy.types.TOPBAR_MT_file_import.append(_menu_import)  # type: ignore[arg-type]
    bpy.types.TOPBAR_MT_file_export.append(_menu_export)  # type: ignore[arg-type]


def unregister() -> None:
    bpy.types.TOPBAR_MT_file_export.remove(_menu_export)  # type: ignore[arg-type]
    bpy.types.TOPBAR_MT_file_import.remove(_menu_import)  # type: ignore[arg-type]
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)

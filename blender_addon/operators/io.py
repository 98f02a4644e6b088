"""Import and export of sketch files (File menus and the Draw panel)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import bpy
from bpy.props import StringProperty
from bpy_extras.io_utils import ExportHelper, ImportHelper

from .. import ids
from ..curves import build_sketch, read_sketch
from ..shared.files import FileReadError, read_text
from ..shared.parser import ParseError, parse
from ..shared.sketch import MAX_FILE_BYTES, SketchError
from .common import Result


# The stubs disagree with themselves on invoke()'s return type; Blender does not.
class THREEDRAW_OT_import_sketch(bpy.types.Operator, ImportHelper):  # type: ignore[misc]
    """Import a threedraw sketch (canonical JSON, or a raw LLM response) as Bezier curves"""

    bl_idname = ids.OP_IMPORT_SKETCH
    bl_label = "Import threedraw sketch"
    bl_options = {"REGISTER", "UNDO"}

    if TYPE_CHECKING:
        filepath: str  # declared by ImportHelper at registration

    filename_ext = ".json"
    filter_glob: StringProperty(default="*.json;*.txt", options={"HIDDEN"})

    def execute(self, context: bpy.types.Context) -> Result:
        path = Path(self.filepath)
        try:
            result = parse(read_text(path, MAX_FILE_BYTES))
        except (FileReadError, SketchError) as e:
            self.report({"ERROR"}, f"Cannot read {path.name}: {e}")
            return {"CANCELLED"}
        except ParseError as e:
            self.report({"ERROR"}, f"{path.name}: {e}")
            return {"CANCELLED"}
        for problem in result.problems[:10]:
            self.report({"WARNING"}, f"{path.name}: {problem}")
        sketch = result.sketch
        if not sketch.prompt:
            sketch.prompt = path.stem
        coll = build_sketch(sketch, context)
        self.report({"INFO"}, f"Imported {len(sketch)} strokes into collection '{coll.name}'")
        return {"FINISHED"}


class THREEDRAW_OT_export_sketch(bpy.types.Operator, ExportHelper):  # type: ignore[misc]
    """Export the selected curves as a threedraw sketch (JSON)"""

    bl_idname = ids.OP_EXPORT_SKETCH
    bl_label = "Export threedraw sketch"

    if TYPE_CHECKING:
        filepath: str  # declared by ExportHelper at registration

    filename_ext = ".json"
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})
    prompt: StringProperty(
        name="Prompt", description="What the sketch shows (default: the prompt it was drawn from)", default=""
    )

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return any(o.type == "CURVE" for o in context.selected_objects)

    def execute(self, context: bpy.types.Context) -> Result:
        curves = [o for o in context.selected_objects if o.type == "CURVE"]
        try:
            result = read_sketch(curves, self.prompt)
        except SketchError as e:
            self.report({"ERROR"}, f"Cannot export: {e}")
            return {"CANCELLED"}
        for w in result.warnings[:10]:
            self.report({"WARNING"}, w)
        if not result.sketch.strokes:
            self.report({"ERROR"}, "The selected curves hold no Bezier or poly segment to export")
            return {"CANCELLED"}
        try:
            result.sketch.save(self.filepath)
        except OSError as e:
            self.report({"ERROR"}, f"Cannot write {self.filepath}: {e.strerror or e}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Exported {len(result.sketch)} strokes to {Path(self.filepath).name}")
        return {"FINISHED"}


CLASSES = (THREEDRAW_OT_import_sketch, THREEDRAW_OT_export_sketch)

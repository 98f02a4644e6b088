"""The selected sketch as Grease Pencil strokes or as a tube mesh, beside the curves."""

from __future__ import annotations

import bpy
from bpy.props import FloatProperty

from .. import ids
from ..converters import grease_pencil, mesh
from ..converters.sampling import polylines
from .common import OnSelectedCurves, Result, home_collection, selected_curves


class _ConvertOperator(OnSelectedCurves, bpy.types.Operator):
    bl_options = {"REGISTER", "UNDO"}


class THREEDRAW_OT_to_grease_pencil(_ConvertOperator):
    """The selected curves as Grease Pencil strokes (a new object; the curves are kept)"""

    bl_idname = ids.OP_TO_GREASE_PENCIL
    bl_label = "To Grease Pencil"

    def execute(self, context: bpy.types.Context) -> Result:
        curves = selected_curves(context)
        lines = polylines(curves)
        if not lines:
            self.report({"ERROR"}, "the selected curves hold no segment to convert")
            return {"CANCELLED"}
        home = home_collection(context.scene, curves)
        obj = grease_pencil.build(f"{home.name} (grease pencil)", lines, home)
        self.report({"INFO"}, f"{len(lines)} Grease Pencil strokes in '{obj.name}'")
        return {"FINISHED"}


class THREEDRAW_OT_to_mesh(_ConvertOperator):
    """The selected curves as one mesh of round tubes (a new object; the curves are kept)"""

    bl_idname = ids.OP_TO_MESH
    bl_label = "To Mesh"

    radius: FloatProperty(
        name="Radius",
        description="Tube radius, in scene units",
        default=0.01,
        min=0.0005,
        max=0.5,
        precision=4,
    )

    def execute(self, context: bpy.types.Context) -> Result:
        curves = selected_curves(context)
        home = home_collection(context.scene, curves)
        depsgraph = context.evaluated_depsgraph_get()
        obj = mesh.build(f"{home.name} (mesh)", curves, self.radius, home, depsgraph)
        data = obj.data
        assert isinstance(data, bpy.types.Mesh)
        if not data.polygons:
            bpy.data.objects.remove(obj)
            bpy.data.meshes.remove(data)
            self.report({"ERROR"}, "the selected curves made no faces")
            return {"CANCELLED"}
        self.report({"INFO"}, f"mesh '{obj.name}': {len(data.vertices)} vertices, {len(data.polygons)} faces")
        return {"FINISHED"}


CLASSES = (THREEDRAW_OT_to_grease_pencil, THREEDRAW_OT_to_mesh)

"""Snap Joints: the selected curves repaired as `threedraw repair` does, in one undo step."""

from __future__ import annotations

import bpy
from bpy.props import FloatProperty

from .. import ids
from ..curves import read_sketch
from ..shared.meets import MAX_TOLERANCE, tolerance_for
from ..shared.repair import repair, summarize
from ..shared.sketch import SketchError
from .common import OnSelectedCurves, Result, replace_curves, selected_curves


class THREEDRAW_OT_snap_joints(OnSelectedCurves, bpy.types.Operator):
    """Make ends of the selected curves that nearly meet meet, and remove repeated strokes"""

    bl_idname = ids.OP_SNAP_JOINTS
    bl_label = "Snap Joints"
    bl_options = {"REGISTER", "UNDO"}  # one undo step, and the tolerance in the redo panel

    tolerance: FloatProperty(
        name="Tolerance",
        default=0.0,
        min=0.0,
        max=MAX_TOLERANCE,
        precision=4,
        description="How close counts as meeting, in the cube's units; 0: 3% of the sketch's bounding-box diagonal",
    )

    def execute(self, context: bpy.types.Context) -> Result:
        curves = selected_curves(context)
        try:
            read = read_sketch(curves)
            tol = tolerance_for(read.sketch, self.tolerance or None)
        except (SketchError, ValueError) as e:
            self.report({"ERROR"}, f"Cannot snap joints: {e}")
            return {"CANCELLED"}
        if not read.sketch.strokes:
            self.report({"ERROR"}, "The selected curves hold no Bezier or poly segment to repair")
            return {"CANCELLED"}
        if read.scale != 1.0:
            # The tolerance is in the cube's units; curves outside it would come back moved.
            self.report(
                {"ERROR"}, "The selected curves reach outside the cube [-1, 1]: scale them into it first"
            )
            return {"CANCELLED"}
        fixed, changes = repair(read.sketch, tol)
        if not changes:
            self.report({"INFO"}, f"Nothing to repair (tolerance {tol:.4g})")
            return {"FINISHED"}
        assert context.scene is not None
        for obj in replace_curves(context.scene, curves, fixed)[1]:
            obj.select_set(True)
        self.report({"INFO"}, f"{summarize(changes)} (tolerance {tol:.4g})")
        return {"FINISHED"}


CLASSES = (THREEDRAW_OT_snap_joints,)

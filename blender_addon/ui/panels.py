"""The "3DrawAgent" tab of the View3D sidebar: Draw, Refine, Score, Job, Library, Backend.

Panels only read: scene settings, the poller's job state, scores kept on collections, what
the last refresh learned. They never touch the network (draw() runs on every redraw).
"""

from __future__ import annotations

import os
from typing import Any

import bpy
import bpy.utils.previews

from .. import ids, properties
from ..jobs import poller, results
from ..state import SESSION
from .buttons import BACKEND_BUTTONS, button_row


class _Panel(bpy.types.Panel):
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = ids.SIDEBAR_CATEGORY


def _busy(layout: bpy.types.UILayout, context: bpy.types.Context) -> bool:
    """While a job runs the buttons are off; a line says why."""
    act = poller.active(context.scene)
    if act is not None:
        layout.label(text=f"{act.label} is running (Job panel)", icon="INFO")
    return act is not None


class THREEDRAW_PT_draw(_Panel):
    bl_idname = ids.PANEL_DRAW
    bl_label = "Draw"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        assert layout is not None and context.scene is not None
        s = properties.scene_settings(context.scene)
        busy = _busy(layout, context)
        col = layout.column()
        col.enabled = not busy
        col.prop(s, "prompt", text="")
        row = col.row(align=True)
        row.prop(s, "k")
        row.prop(s, "max_strokes")
        row = col.row(align=True)
        row.prop(s, "library")
        row.operator(ids.OP_REFRESH, text="", icon="FILE_REFRESH")
        col.prop(s, "keep_candidates")
        col.operator(ids.OP_DRAW, text="Draw", icon="GREASEPENCIL")
        button_row(
            layout, (ids.OP_IMPORT_SKETCH, "Import", "IMPORT"), (ids.OP_EXPORT_SKETCH, "Export", "EXPORT")
        )


class THREEDRAW_PT_refine(_Panel):
    bl_idname = ids.PANEL_REFINE
    bl_label = "Refine"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        assert layout is not None and context.scene is not None
        s = properties.scene_settings(context.scene)
        col = layout.column()
        col.enabled = poller.active(context.scene) is None
        col.prop(s, "rounds")
        col.prop(s, "from_selected")
        col.operator(ids.OP_REFINE, text="Refine", icon="MOD_SMOOTH")
        col.operator(ids.OP_POLISH, text="Polish", icon="SMOOTHCURVE")
        layout.operator(ids.OP_SNAP_JOINTS, text="Snap Joints", icon="SNAP_ON")
        button_row(
            layout,
            (ids.OP_TO_GREASE_PENCIL, "To Grease Pencil", "OUTLINER_OB_GREASEPENCIL"),
            (ids.OP_TO_MESH, "To Mesh", "MESH_DATA"),
        )


class THREEDRAW_PT_score(_Panel):
    bl_idname = ids.PANEL_SCORE
    bl_label = "Score"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        scene = context.scene
        assert layout is not None and scene is not None
        col = layout.column()
        col.enabled = poller.active(scene) is None
        col.operator(ids.OP_SCORE, text="Score Selected", icon="CHECKMARK")
        score = results.read_score(context.active_object, scene)
        if score is None:
            layout.label(text="No score on the active sketch yet")
            return
        box = layout.box().column(align=True)
        box.label(text=f"Reward  {score.reward:.4f}")
        if score.clip_mean is not None:
            box.label(text=f"CLIP  {score.clip_mean:.4f}")
            box.label(text="  views  " + "  ".join(f"{v:.3f}" for v in score.clip_per_view[:8]))
        if score.structure is not None:
            box.label(text=f"Structure  {score.structure.total:.4f}")
            for name, value in list(score.structure.terms.items())[:8]:
                box.label(text=f"  {name}  {value:.3f}")
        _show_preview(layout, SESSION.score_previews.get(scene.name))


def _show_preview(layout: bpy.types.UILayout, path: str | None) -> None:
    """The renderer's views of the scored sketch, small, from the PNG the job returned."""
    previews = SESSION.previews
    if previews is None or not path or not os.path.exists(path):
        return
    key = f"{path}:{os.path.getmtime(path)}"
    if key not in previews:
        previews.load(key, path, "IMAGE")
    layout.template_icon(icon_value=previews[key].icon_id, scale=8.0)


class THREEDRAW_PT_job(_Panel):
    bl_idname = ids.PANEL_JOB
    bl_label = "Job"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        assert layout is not None
        act = poller.active(context.scene)
        if act is None:
            last = poller.last_outcome(context.scene)
            if last is None:
                layout.label(text="No job running")
            elif last[0] == "ERROR":
                layout.label(text=last[1], icon="ERROR")
            else:
                layout.label(text=last[1], icon="INFO")
            return
        layout.label(text=act.label)
        layout.progress(factor=act.fraction, type="BAR", text=act.text)
        row = layout.row()
        row.label(text=f"{act.elapsed:.0f} s")
        row.operator(ids.OP_CANCEL, text="Cancel", icon="CANCEL")
        if act.live is not None and context.scene is not None:
            layout.label(text=f"{act.live.strokes} strokes so far", icon="CURVE_BEZCURVE")
            layout.prop(properties.scene_settings(context.scene), "keep_partial")


class THREEDRAW_UL_lessons(bpy.types.UIList):
    bl_idname = ids.LIST_LESSONS

    def draw_item(
        self,
        context: bpy.types.Context | None,
        layout: bpy.types.UILayout,
        data: Any,
        item: Any,
        icon: int | None,
        active_data: Any,
        active_property: str | None,
        index: int | None = 0,
        flt_flag: int | None = 0,
    ) -> None:
        layout.label(text=f"{item.lesson_id}: {item.text}")


class THREEDRAW_PT_library(_Panel):
    bl_idname = ids.PANEL_LIBRARY
    bl_label = "Library"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        assert layout is not None and context.scene is not None
        s = properties.scene_settings(context.scene)
        sess = properties.session(context)
        layout.prop(s, "library")
        layout.operator(ids.OP_LOAD_LESSONS, icon="TEXT")
        if sess.lessons_of:
            layout.label(text=f"{len(sess.lessons)} lessons in {sess.lessons_of}")
        layout.template_list(ids.LIST_LESSONS, "", sess, "lessons", sess, "lesson_index", rows=4)
        button_row(
            layout, (ids.OP_DELETE_LESSON, "Delete", "TRASH"), (ids.OP_EXPORT_LIBRARY, "Export", "EXPORT")
        )


class THREEDRAW_PT_backend(_Panel):
    bl_idname = ids.PANEL_BACKEND
    bl_label = "Backend"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        assert layout is not None
        up = SESSION.backend.up
        if up:
            layout.label(text="up", icon="CHECKMARK")
        elif up is False:
            layout.label(text="down", icon="ERROR")
        else:
            layout.label(text="not checked yet (Test Connection)", icon="QUESTION")
        layout.label(text=SESSION.backend.describe())
        button_row(layout, *BACKEND_BUTTONS)


CLASSES = (
    THREEDRAW_PT_draw,
    THREEDRAW_PT_refine,
    THREEDRAW_PT_score,
    THREEDRAW_PT_job,
    THREEDRAW_UL_lessons,
    THREEDRAW_PT_library,
    THREEDRAW_PT_backend,
)

"""The sidebar panels' draw() code, run against the real add-on state in every situation
(idle, a job running, a score to show, lessons listed).

The bpy module has no windows, so no real UILayout exists here: the panels draw into a
recording layout that checks every property, operator and list they name against Blender's
own RNA, so a wrong name fails here as it would in the viewport."""

from __future__ import annotations

import importlib
import json

import bpy

from conftest import MODULE, PANELS, ROOT


class OperatorProps:
    def __init__(self, idname: str):
        self._rna = getattr(getattr(bpy.ops, idname.split(".")[0]), idname.split(".")[1]).get_rna_type()

    def __setattr__(self, name, value):
        if name != "_rna":
            assert name in self._rna.properties, f"operator has no property {name}"
        object.__setattr__(self, name, value)


class Layout:
    """Records what a panel draws; refuses names Blender does not know."""

    def __init__(self, log):
        self.log = log
        self.enabled = True

    def _child(self, *args, **kw):
        return Layout(self.log)

    row = column = box = split = _child

    def prop(self, data, name, **kw):
        assert name in data.bl_rna.properties, f"{type(data).__name__} has no property {name}"
        self.log.append(("prop", name, self.enabled))

    def operator(self, idname, **kw):
        props = OperatorProps(idname)  # KeyError when the operator is not registered
        self.log.append(("operator", idname, self.enabled))
        return props

    def label(self, text="", **kw):
        self.log.append(("label", text, self.enabled))

    def progress(self, factor=0.0, type="BAR", text=""):
        assert 0.0 <= factor <= 1.0 and type in ("BAR", "RING")
        self.log.append(("progress", text, factor))

    def template_list(self, listtype, list_id, data, prop, active_data, active_prop, **kw):
        assert hasattr(bpy.types, listtype), listtype
        assert prop in data.bl_rna.properties and active_prop in active_data.bl_rna.properties
        self.log.append(("list", [x.text for x in getattr(data, prop)], self.enabled))

    def template_icon(self, icon_value=0, scale=1.0):
        assert isinstance(icon_value, int)
        self.log.append(("icon", icon_value, scale))


def draw(name):
    log: list = []
    panel = getattr(bpy.types, name)
    holder = type("PanelSelf", (), {"layout": Layout(log)})()
    panel.draw(holder, bpy.context)
    return log


def texts(log):
    return [x[1] for x in log if x[0] == "label"]


def addon(name):
    return importlib.import_module(f"{MODULE}.{name}")


def test_every_panel_draws_when_idle(empty_scene):
    for name in PANELS:
        log = draw(name)
        assert log, name
    ops = [x[1] for name in PANELS for x in draw(name) if x[0] == "operator"]
    for op in (
        "threedraw.draw",
        "threedraw.refine",
        "threedraw.score",
        "threedraw.start_backend",
        "threedraw.test_connection",
        "threedraw.to_grease_pencil",
        "threedraw.to_mesh",
    ):
        assert op in ops
    assert "No job running" in texts(draw("THREEDRAW_PT_job"))
    assert any("not checked yet" in t for t in texts(draw("THREEDRAW_PT_backend")))


def test_panels_show_a_running_job_and_turn_the_buttons_off(connected):
    poller = addon("jobs.poller")
    assert bpy.ops.threedraw.draw(prompt="a desk drawn slowly", k=1, wait=False) == {"FINISHED"}
    try:
        log = draw("THREEDRAW_PT_job")
        assert ("operator", "threedraw.cancel", True) in log
        assert any(x[0] == "progress" for x in log)
        draw_log = draw("THREEDRAW_PT_draw")
        assert any("is running" in t for t in texts(draw_log)), "the panel says why"
        assert ("operator", "threedraw.draw", False) in draw_log
        assert ("operator", "threedraw.refine", False) in draw("THREEDRAW_PT_refine")
        status: list = []
        addon("ui.status_bar").draw_status(type("Header", (), {"layout": Layout(status)})(), bpy.context)
        assert status and status[0][0] == "progress" and status[0][1].startswith("3DrawAgent: draw 'a desk")
    finally:
        bpy.ops.threedraw.cancel()
        act = poller.any_active()
        poller.run_blocking(act, timeout=30)
    assert "cancelled" in texts(draw("THREEDRAW_PT_job"))[0]
    status = []
    addon("ui.status_bar").draw_status(type("Header", (), {"layout": Layout(status)})(), bpy.context)
    assert status == [], "the status bar entry is gone with the job"


def test_score_panel_shows_the_numbers_and_the_views(connected):
    assert bpy.ops.threedraw.import_sketch(filepath=str(ROOT / "examples" / "chair.json")) == {"FINISHED"}
    curves = [o for o in bpy.context.scene.objects if o.type == "CURVE"]
    for o in curves:
        o.select_set(True)
    bpy.context.view_layer.objects.active = curves[0]
    assert "No score on the active sketch yet" in texts(draw("THREEDRAW_PT_score"))
    assert bpy.ops.threedraw.score() == {"FINISHED"}
    score = json.loads(curves[0].users_collection[0]["threedraw_score"])
    log = draw("THREEDRAW_PT_score")
    shown = texts(log)
    assert f"Reward  {score['reward']:.4f}" in shown
    assert f"CLIP  {score['clip_mean']:.4f}" in shown
    assert any(t.startswith("Structure") for t in shown)
    assert any(x[0] == "icon" for x in log), "the renderer's views are shown"


def test_library_panel_lists_lessons(connected):
    session = bpy.context.window_manager.threedraw
    for text in ("one lesson", "another"):
        item = session.lessons.add()
        item.lesson_id, item.text = "L1", text
    session.lessons_of = "demo"
    log = draw("THREEDRAW_PT_library")
    assert ("list", ["one lesson", "another"], True) in log
    assert "2 lessons in demo" in texts(log)
    ul = bpy.types.THREEDRAW_UL_lessons
    row: list = []
    ul.draw_item(None, bpy.context, Layout(row), None, session.lessons[0], 0, None, "", 0)
    assert row == [("label", "L1: one lesson", True)]


def test_the_chosen_library_survives_the_list_changing(empty_scene):
    props = addon("properties")
    s = bpy.context.scene.threedraw
    props.set_libraries(["chairs", "lamps"])
    s.library = "lamps"
    props.set_libraries(["benches", "chairs", "lamps", "tables"])  # one more, before it
    assert s.library == "lamps"
    s.library = "NONE"
    assert s.library == "NONE"

"""The installed extension in real Blender: registration, operators, curve geometry, round trips."""

from __future__ import annotations

import json
import math
import os

import bpy
import pytest
from mathutils import Matrix, Vector

from conftest import MODULE, PANELS, ROOT, curve_objects, select_only
from threedraw.shared.sketch import Sketch

CHAIR = ROOT / "examples" / "chair.json"


def assert_same_points(a: Sketch, b: Sketch, tol=1e-5):
    assert len(a.strokes) == len(b.strokes)
    for sa, sb in zip(a.strokes, b.strokes):
        for pa, pb in zip(sa.points, sb.points):
            assert max(abs(x - y) for x, y in zip(pa, pb)) <= tol, (sa.id, pa, pb)


OPERATORS = (
    "import_sketch",
    "export_sketch",
    "draw",
    "refine",
    "score",
    "cancel",
    "start_backend",
    "to_grease_pencil",
    "to_mesh",
    "test_connection",
)


def menu_modules(menu):
    return [f.__module__ for f in menu._dyn_ui_initialize()]


def ours(functions):
    return [m for m in functions if m.startswith(MODULE)]


def poller_timer_registered():
    import importlib

    poller = importlib.import_module(f"{MODULE}.jobs.poller")
    return bpy.app.timers.is_registered(poller.tick)


def test_extension_registers_operators_panels_menus_and_preferences(installed):
    for name in OPERATORS:
        rna = getattr(bpy.ops.threedraw, name).get_rna_type()  # KeyError when not registered
        assert rna.identifier.startswith("THREEDRAW_OT_")
    with pytest.raises(KeyError):
        bpy.ops.threedraw.no_such_operator.get_rna_type()  # the check above can fail
    for name in PANELS:
        panel = getattr(bpy.types, name)
        assert panel.bl_category == "3DrawAgent"
        assert panel.bl_space_type == "VIEW_3D" and panel.bl_region_type == "UI"
    assert ours(menu_modules(bpy.types.TOPBAR_MT_file_import))
    assert ours(menu_modules(bpy.types.TOPBAR_MT_file_export))
    assert ours(menu_modules(bpy.types.STATUSBAR_HT_header))
    prefs = bpy.context.preferences.addons[MODULE].preferences
    assert prefs.backend_url == "http://127.0.0.1:8765"
    assert prefs.backend_command == "threedraw serve"
    assert prefs.token_file == os.path.join(os.environ["XDG_CONFIG_HOME"], "threedraw", "token")
    assert "token" not in {p.identifier for p in prefs.bl_rna.properties} - {"token_file"}


def test_disable_enable_disable_leaves_no_class_timer_handler_or_menu_entry(installed):
    for _ in range(2):
        bpy.ops.preferences.addon_disable(module=MODULE)
        for name in PANELS + ("THREEDRAW_OT_import_sketch", "THREEDRAW_OT_draw", "THREEDRAW_UL_lessons"):
            assert not hasattr(bpy.types, name), f"{name} left behind"
        with pytest.raises(KeyError):
            bpy.ops.threedraw.draw.get_rna_type()
        for menu in (
            bpy.types.TOPBAR_MT_file_import,
            bpy.types.TOPBAR_MT_file_export,
            bpy.types.STATUSBAR_HT_header,
        ):
            assert not ours(menu_modules(menu)), f"{menu.__name__} entry left behind"
        assert not [h for h in bpy.app.handlers.load_pre if h.__module__.startswith(MODULE)]
        assert not poller_timer_registered()
        assert not hasattr(bpy.types.Scene, "threedraw")
        bpy.ops.preferences.addon_enable(module=MODULE)
        assert bpy.ops.threedraw.draw.get_rna_type().identifier == "THREEDRAW_OT_draw"
        assert hasattr(bpy.types, "THREEDRAW_PT_draw")
        assert len([h for h in bpy.app.handlers.load_pre if h.__module__.startswith(MODULE)]) == 1


def test_import_builds_exact_native_bezier_curves(empty_scene):
    sketch = Sketch.load(CHAIR)
    assert bpy.ops.threedraw.import_sketch(filepath=str(CHAIR)) == {"FINISHED"}
    coll = bpy.data.collections[sketch.prompt]
    assert coll["threedraw_prompt"] == sketch.prompt
    assert coll["threedraw_format"] == "threedraw.sketch/1"
    objs = list(coll.objects)
    assert objs and all(o.type == "CURVE" for o in objs)
    by_id = {s.id: s for s in sketch.strokes}
    seen = set()
    for obj in objs:
        assert obj.data.bevel_depth > 0, "curves must render"
        assert obj.data.dimensions == "3D"
        assert obj["threedraw_prompt"] == sketch.prompt
        tags = json.loads(obj["threedraw_strokes"])
        segments = []
        for spline in obj.data.splines:
            assert spline.type == "BEZIER"
            bps = spline.bezier_points
            for bp in bps:
                assert bp.handle_left_type == "FREE" and bp.handle_right_type == "FREE"
            segments += [(bps[k], bps[k + 1]) for k in range(len(bps) - 1)]
        assert len(segments) == len(tags)
        for (a, b), (_, sid) in zip(segments, tags):
            p = by_id[sid].points
            got = [a.co, a.handle_right, b.handle_left, b.co]
            for want, have in zip(p, got):
                assert (Vector(want) - have).length < 1e-6
            seen.add(sid)
    assert seen == set(by_id), "every stroke became a curve segment"


def test_strokes_whose_ends_meet_chain_into_one_spline(empty_scene, tmp_path):
    pts = [
        [(-0.5, 0, 0), (-0.4, 0.1, 0), (-0.2, 0.1, 0), (0, 0, 0)],
        [(0, 0, 0), (0.2, -0.1, 0), (0.4, -0.1, 0), (0.5, 0, 0)],
        [(0.5, 0, 0), (0.5, 0, 0.2), (0.5, 0, 0.4), (0.5, 0, 0.6)],
        [(0.9, 0.9, 0.9), (0.8, 0.8, 0.8), (0.7, 0.7, 0.7), (0.6, 0.6, 0.6)],
    ]
    sketch = Sketch.from_points("a bent wire", pts)
    path = tmp_path / "wire.json"
    sketch.save(path)
    bpy.ops.threedraw.import_sketch(filepath=str(path))
    (obj,) = curve_objects()
    assert [len(s.bezier_points) for s in obj.data.splines] == [4, 2]
    select_only([obj])
    out = tmp_path / "wire_out.json"
    assert bpy.ops.threedraw.export_sketch(filepath=str(out)) == {"FINISHED"}
    back = Sketch.load(out)
    assert_same_points(sketch, back)
    assert [s.id for s in back.strokes] == [s.id for s in sketch.strokes]


def test_round_trip_sketch_blender_sketch(empty_scene, tmp_path):
    sketch = Sketch.load(CHAIR)
    bpy.ops.threedraw.import_sketch(filepath=str(CHAIR))
    select_only(curve_objects())
    out = tmp_path / "chair_out.json"
    assert bpy.ops.threedraw.export_sketch(filepath=str(out)) == {"FINISHED"}
    back = Sketch.load(out)
    assert back.prompt == sketch.prompt
    assert [s.id for s in back.strokes] == [s.id for s in sketch.strokes]
    assert [s.label for s in back.strokes] == [s.label for s in sketch.strokes]
    assert_same_points(sketch, back)


def make_hand_curve(points, matrix: Matrix):
    curve = bpy.data.curves.new("hand", "CURVE")
    curve.dimensions = "3D"
    spline = curve.splines.new("BEZIER")
    spline.bezier_points.add(len(points) - 1)
    for bp, (co, hl, hr) in zip(spline.bezier_points, points):
        bp.handle_left_type = bp.handle_right_type = "FREE"
        bp.co, bp.handle_left, bp.handle_right = co, hl, hr
    obj = bpy.data.objects.new("Hand Drawn", curve)
    obj.matrix_world = matrix
    bpy.context.scene.collection.objects.link(obj)
    bpy.context.view_layer.update()
    return obj


def test_export_hand_made_five_point_curve_on_rotated_scaled_object(empty_scene, tmp_path):
    pts = [
        ((-0.4, 0.0, 0.0), (-0.5, 0.0, -0.1), (-0.3, 0.1, 0.1)),
        ((-0.2, 0.2, 0.1), (-0.25, 0.15, 0.05), (-0.1, 0.25, 0.15)),
        ((0.0, 0.0, 0.2), (-0.05, 0.05, 0.2), (0.05, -0.05, 0.2)),
        ((0.2, -0.2, 0.1), (0.15, -0.2, 0.15), (0.25, -0.15, 0.05)),
        ((0.4, 0.0, 0.0), (0.35, -0.05, 0.0), (0.45, 0.05, 0.0)),
    ]
    m = (
        Matrix.Translation((0.1, -0.05, 0.2))
        @ Matrix.Rotation(math.radians(35), 4, "Z")
        @ Matrix.Rotation(math.radians(-20), 4, "X")
        @ Matrix.Diagonal((1.3, 0.8, 1.1, 1.0))
    )
    obj = make_hand_curve(pts, m)
    select_only([obj])
    out = tmp_path / "hand.json"
    assert bpy.ops.threedraw.export_sketch(filepath=str(out), prompt="a squiggle") == {"FINISHED"}
    back = Sketch.load(out)
    assert back.prompt == "a squiggle"
    assert len(back.strokes) == 4
    for k, stroke in enumerate(back.strokes):
        want = [
            m @ Vector(pts[k][0]),
            m @ Vector(pts[k][2]),
            m @ Vector(pts[k + 1][1]),
            m @ Vector(pts[k + 1][0]),
        ]
        for w, got in zip(want, stroke.points):
            assert (w - Vector(got)).length <= 1e-5
    assert all(s.label == "Hand Drawn" for s in back.strokes)


def test_export_fits_curves_that_leave_the_cube(empty_scene, tmp_path):
    pts = [((-3, 0, 0), (-3, 1, 0), (-2, 1, 0)), ((3, 0, 2), (2, 0, 2), (4, 0, 2))]
    obj = make_hand_curve(pts, Matrix.Identity(4))
    select_only([obj])
    out = tmp_path / "big.json"
    assert bpy.ops.threedraw.export_sketch(filepath=str(out)) == {"FINISHED"}
    back = Sketch.load(out)  # validates: everything inside the cube
    (s,) = back.strokes
    flat = [v for p in s.points for v in p]
    assert max(abs(v) for v in flat) == pytest.approx(1.0)
    # Uniform scale: the shape is kept (ratio of two distances unchanged).
    d = lambda a, b: (Vector(a) - Vector(b)).length  # noqa: E731
    assert d(s.points[0], s.points[3]) / d(s.points[0], s.points[1]) == pytest.approx(
        d(pts[0][0], pts[1][0]) / d(pts[0][0], pts[0][2]), rel=1e-6
    )


def test_import_of_a_broken_file_reports_what_and_where(empty_scene, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "threedraw.sketch/1", "strokes": [{"id": "a", "points": [[0,0,0],[1,1')
    with pytest.raises(RuntimeError, match=r"bad\.json: no valid stroke.*stroke 1: incomplete"):
        bpy.ops.threedraw.import_sketch(filepath=str(bad))
    assert curve_objects() == []
    missing = tmp_path / "missing.json"
    with pytest.raises(RuntimeError, match="Cannot read missing.json"):
        bpy.ops.threedraw.import_sketch(filepath=str(missing))


def test_import_keeps_good_strokes_and_warns_about_bad_ones(empty_scene, tmp_path):
    text = (
        "Here is the lamp:\n<curves>\n"
        "draw_bezier[(0, 0, -1), (0, 0, -0.5), (0, 0, 0), (0, 0, 0.5)]  # pole\n"
        "draw_bezier[(0, 0, 0.5), (0.2, 0, 0.5), (nan, 0, 0.6)]\n"
        "</curves>"
    )
    path = tmp_path / "lamp.txt"
    path.write_text(text)
    assert bpy.ops.threedraw.import_sketch(filepath=str(path)) == {"FINISHED"}
    (obj,) = curve_objects()
    assert obj.name == "pole"
    assert len(obj.data.splines[0].bezier_points) == 2


def test_export_with_nothing_selected_is_refused(empty_scene, tmp_path):
    assert not bpy.ops.threedraw.export_sketch.poll()

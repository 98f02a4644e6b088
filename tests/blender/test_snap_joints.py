"""Snap Joints on imported curves, then export, equals `threedraw repair` of the same sketch."""

from __future__ import annotations

import json
import subprocess

import bpy

from conftest import BACKEND_CLI

TOLERANCE = 0.05
# A leg stopping 0.02 short of the seat edge, and the seat edge drawn twice (once backwards).
SLOPPY = {
    "format": "threedraw.sketch/1",
    "prompt": "a table",
    "strokes": [
        {"id": "s1", "points": [[-0.5, 0, 0], [-0.2, 0, 0], [0.2, 0, 0], [0.5, 0, 0]], "label": "seat edge"},
        {
            "id": "s2",
            "points": [[0.52, 0, 0.01], [0.5, 0, -0.3], [0.5, 0, -0.6], [0.5, 0, -1]],
            "label": "leg",
        },
        {"id": "s3", "points": [[0.5, 0, 0], [0.2, 0, 0], [-0.2, 0, 0], [-0.5, 0, 0]], "label": "seat edge"},
        {"id": "s4", "points": [[-0.9, 0.9, 0.9], [-0.8, 0.9, 0.9], [-0.7, 0.9, 0.9], [-0.6, 0.9, 0.9]]},
    ],
}


def _points(sketch: dict) -> dict[str, list]:
    return {s["id"]: s["points"] for s in sketch["strokes"]}


def test_snap_joints_then_export_equals_threedraw_repair(empty_scene, tmp_path):
    src = tmp_path / "sloppy.json"
    src.write_text(json.dumps(SLOPPY))
    assert bpy.ops.threedraw.import_sketch(filepath=str(src)) == {"FINISHED"}
    for o in bpy.context.scene.objects:
        o.select_set(o.type == "CURVE")
    # What Blender holds (float32) is what both sides repair.
    held = tmp_path / "held.json"
    assert bpy.ops.threedraw.export_sketch(filepath=str(held)) == {"FINISHED"}

    assert bpy.ops.threedraw.snap_joints(tolerance=TOLERANCE) == {"FINISHED"}
    curves = [o for o in bpy.context.scene.objects if o.type == "CURVE"]
    assert curves and all(o.select_get() for o in curves), "the repaired curves are selected"
    snapped = tmp_path / "snapped.json"
    assert bpy.ops.threedraw.export_sketch(filepath=str(snapped)) == {"FINISHED"}

    expected = tmp_path / "expected.json"
    proc = subprocess.run(
        [BACKEND_CLI, "repair", str(held), "--tolerance", str(TOLERANCE), "--out", str(expected)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "snapped 1 joint, removed 1 duplicate stroke" in proc.stderr
    got, want = _points(json.loads(snapped.read_text())), _points(json.loads(expected.read_text()))
    assert sorted(got) == sorted(want) == ["s1", "s2", "s4"]
    for sid, points in want.items():
        for p, q in zip(got[sid], points):
            assert max(abs(a - b) for a, b in zip(p, q)) < 1e-5, (sid, got[sid], points)
    assert got["s2"][0] == got["s1"][3], "the leg meets the seat"

    # Repaired once, nothing is left to do: the curves are not rebuilt again.
    names = {o.name for o in bpy.context.scene.objects}
    assert bpy.ops.threedraw.snap_joints(tolerance=TOLERANCE) == {"FINISHED"}
    assert {o.name for o in bpy.context.scene.objects} == names


def test_the_operators_on_selected_curves_wait_for_a_selection(empty_scene, tmp_path):
    src = tmp_path / "sloppy.json"
    src.write_text(json.dumps(SLOPPY))
    assert bpy.ops.threedraw.import_sketch(filepath=str(src)) == {"FINISHED"}
    ops = (bpy.ops.threedraw.snap_joints, bpy.ops.threedraw.polish)
    for selected in (False, True):
        for o in bpy.context.scene.objects:
            o.select_set(selected and o.type == "CURVE")
        assert [op.poll() for op in ops] == [selected, selected]

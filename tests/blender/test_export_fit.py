"""Export fits curves into the cube without moving them: nothing inside the cube moves, and a point
outside only scales everything down, uniformly about the origin, by the factor the export reports."""

from __future__ import annotations

import importlib

import bpy
import pytest

from conftest import MODULE
from threedraw.shared.sketch import Sketch

# A small stool: a leg and a seat edge, well inside the cube and off centre.
LEG = [(-0.5, -0.5, -0.6), (-0.5, -0.5, -0.4), (-0.5, -0.5, -0.2), (-0.5, -0.5, 0.0)]
SEAT = [(-0.5, -0.5, 0.0), (-0.3, -0.5, 0.0), (-0.1, -0.5, 0.0), (0.1, -0.5, 0.0)]


def flat(strokes) -> list[float]:
    return [v for stroke in strokes for p in stroke for v in p]


def imported(tmp_path):
    path = tmp_path / "stool.json"
    Sketch.from_points("a stool", [LEG, SEAT], ["leg", "seat"]).save(path)
    assert bpy.ops.threedraw.import_sketch(filepath=str(path)) == {"FINISHED"}
    objs = [o for o in bpy.context.scene.objects if o.type == "CURVE"]
    assert sorted(o.name for o in objs) == ["leg", "seat"]
    return objs


def export(objs, tmp_path) -> tuple[Sketch, list[str], float]:
    for o in bpy.context.scene.objects:
        o.select_set(o in objs)
    bpy.context.view_layer.objects.active = objs[0]
    out = tmp_path / "exported.json"
    assert bpy.ops.threedraw.export_sketch(filepath=str(out)) == {"FINISHED"}
    read = importlib.import_module(f"{MODULE}.curves").read_sketch(objs)
    assert read.sketch.to_dict() == Sketch.load(out).to_dict()  # the operator wrote what read_sketch reads
    return read.sketch, read.warnings, read.scale


def test_export_inside_the_cube_moves_nothing(empty_scene, tmp_path):
    sketch, warnings, scale = export(imported(tmp_path), tmp_path)
    assert scale == 1.0 and warnings == []
    assert flat(s.points for s in sketch.strokes) == pytest.approx(flat([LEG, SEAT]), abs=1e-6)


def test_one_point_below_the_cube_scales_down_about_the_origin(empty_scene, tmp_path):
    objs = imported(tmp_path)
    leg = next(o for o in objs if o.name == "leg")
    leg.data.splines[0].bezier_points[0].co = (-0.5, -0.5, -1.1)  # the artist drags the foot 0.1 below
    sketch, warnings, scale = export(objs, tmp_path)
    assert scale == pytest.approx(1 / 1.1)
    assert warnings == ["curves reach outside the cube [-1, 1]; scaled by 0.9091 about the origin to fit"]
    moved = [(-0.5, -0.5, -1.1), *LEG[1:]]
    want = [[tuple(v / 1.1 for v in p) for p in stroke] for stroke in (moved, SEAT)]
    assert flat(s.points for s in sketch.strokes) == pytest.approx(flat(want), abs=1e-6)
    # Not centred, not stretched: the leg stays at (-0.45, -0.45), its top where the seat is.
    assert sketch.strokes[0].points[3] == pytest.approx((-0.5 / 1.1, -0.5 / 1.1, 0.0), abs=1e-6)

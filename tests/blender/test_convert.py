"""Sketch curves to Grease Pencil strokes and to tube meshes, on whichever Blender this is
(4.2 has the legacy Grease Pencil API, 4.3+ the new one)."""

from __future__ import annotations

import importlib

import bpy
import pytest
from mathutils import Vector

from conftest import MODULE, ROOT

CHAIR = ROOT / "examples" / "chair.json"


@pytest.fixture
def chair(empty_scene):
    assert bpy.ops.threedraw.import_sketch(filepath=str(CHAIR)) == {"FINISHED"}
    curves = [o for o in bpy.context.scene.objects if o.type == "CURVE"]
    for o in curves:
        o.select_set(True)
    bpy.context.view_layer.objects.active = curves[0]
    return curves


def test_to_grease_pencil_makes_one_stroke_per_spline_through_the_curve_ends(chair):
    gp_module = importlib.import_module(f"{MODULE}.converters.grease_pencil")
    assert gp_module.uses_legacy_api() == (bpy.app.version < (4, 3, 0))
    before = set(bpy.data.objects.keys())
    assert bpy.ops.threedraw.to_grease_pencil() == {"FINISHED"}
    (name,) = set(bpy.data.objects.keys()) - before
    obj = bpy.data.objects[name]
    assert obj.type == ("GPENCIL" if bpy.app.version < (4, 3, 0) else "GREASEPENCIL")
    strokes = gp_module.stroke_points(obj)
    splines = [(o, s) for o in chair for s in o.data.splines]
    assert len(strokes) == len(splines)
    for (o, spline), points in zip(splines, strokes):
        bps = spline.bezier_points
        assert len(points) == (len(bps) - 1) * 12 + 1
        assert (Vector(points[0]) - o.matrix_world @ bps[0].co).length < 1e-5
        assert (Vector(points[-1]) - o.matrix_world @ bps[-1].co).length < 1e-5
    assert obj.data.materials[0].is_grease_pencil
    assert all(o.type == "CURVE" for o in chair), "the curves are kept"


def test_to_mesh_makes_tubes_of_the_chosen_radius(chair):
    before = set(bpy.data.objects.keys())
    assert bpy.ops.threedraw.to_mesh(radius=0.02) == {"FINISHED"}
    (name,) = set(bpy.data.objects.keys()) - before
    obj = bpy.data.objects[name]
    assert obj.type == "MESH" and len(obj.data.polygons) > 100
    verts = [obj.matrix_world @ v.co for v in obj.data.vertices]
    # The tubes are one radius thick: no vertex lies farther, most lie at it (where curves
    # meet, a vertex of one tube can be nearer another curve).
    samples = importlib.import_module(f"{MODULE}.converters.sampling").polylines(chair, samples=64)
    cloud = [p for line in samples for p in line]
    dist = sorted(min((v - p).length for p in cloud) for v in verts[:: max(1, len(verts) // 200)])
    assert dist[-1] <= 0.02 * 1.1
    assert dist[len(dist) // 2] == pytest.approx(0.02, abs=0.002)
    assert len(bpy.data.curves) == len(chair), "no temporary curve left behind"

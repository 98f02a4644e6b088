"""Curves -> one mesh of round tubes an artist can keep modelling (the curves stay as they were)."""

from __future__ import annotations

from collections.abc import Sequence

import bpy

TUBE_RESOLUTION = 2  # bevel rings: 2 gives 8 sides
CURVE_RESOLUTION = 12


def build(
    name: str,
    objects: Sequence[bpy.types.Object],
    radius: float,
    collection: bpy.types.Collection,
    depsgraph: bpy.types.Depsgraph,
) -> bpy.types.Object:
    """Evaluate copies of the curves with a bevel of ``radius``, join them into one mesh object."""
    import bmesh

    bm = bmesh.new()
    try:
        for obj in objects:
            data = obj.data
            if not isinstance(data, bpy.types.Curve):
                continue
            curve = data.copy()
            assert curve is not None
            curve.bevel_mode = "ROUND"
            curve.bevel_depth = radius
            curve.bevel_resolution = TUBE_RESOLUTION
            curve.resolution_u = CURVE_RESOLUTION
            curve.use_fill_caps = True
            tmp = bpy.data.objects.new("threedraw tmp", curve)
            tmp.matrix_world = obj.matrix_world
            collection.objects.link(tmp)
            try:
                depsgraph.update()
                evaluated = tmp.evaluated_get(depsgraph)
                mesh = bpy.data.meshes.new_from_object(evaluated)
                try:
                    mesh.transform(tmp.matrix_world)
                    bm.from_mesh(mesh)
                finally:
                    bpy.data.meshes.remove(mesh)
            finally:
                bpy.data.objects.remove(tmp)
                bpy.data.curves.remove(curve)
        result = bpy.data.meshes.new(name)
        bm.to_mesh(result)
    finally:
        bm.free()
    obj = bpy.data.objects.new(name, result)
    collection.objects.link(obj)
    return obj

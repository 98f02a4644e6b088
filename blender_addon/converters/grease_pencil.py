"""Curves -> a Grease Pencil object. Blender 4.3 replaced Grease Pencil's data API: 4.2 has the
legacy one (layers > frames > strokes > points.co), 4.3+ the new one (layers > frames >
drawing.add_strokes, points.position), reached as bpy.data.grease_pencils_v3 in 4.3-4.5 and as
bpy.data.grease_pencils from 5.0 on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import bpy
from mathutils import Vector

LINE_RADIUS = 0.008  # world units, like the curves' bevel
LEGACY_LINE_WIDTH = 20  # pixels, the legacy API's unit


def uses_legacy_api() -> bool:
    return bpy.app.version < (4, 3, 0)


def _datablocks() -> Any:
    # Not `or`: an empty collection is falsy, and 4.3-4.5's grease_pencils is the legacy API's.
    v3 = getattr(bpy.data, "grease_pencils_v3", None)
    return bpy.data.grease_pencils if v3 is None else v3


def _material(name: str) -> bpy.types.Material:
    mat = bpy.data.materials.get(name)
    if mat is None or mat.grease_pencil is None:
        mat = bpy.data.materials.new(name)
        bpy.data.materials.create_gpencil_data(mat)
    gp_style = mat.grease_pencil
    assert gp_style is not None
    gp_style.color = (0.09, 0.1, 0.13, 1.0)  # type: ignore[assignment]  # the stub calls it an array
    return mat


def build(name: str, lines: Sequence[Sequence[Vector]], collection: bpy.types.Collection) -> bpy.types.Object:
    """A Grease Pencil object holding one stroke per polyline, on one layer, frame 1."""
    data = _datablocks().new(name)
    data.materials.append(_material("threedraw ink"))
    layer = data.layers.new("sketch")
    frame = layer.frames.new(1)
    if uses_legacy_api():
        for line in lines:
            stroke = frame.strokes.new()
            stroke.line_width = LEGACY_LINE_WIDTH
            stroke.points.add(len(line))
            for p, co in zip(stroke.points, line):
                p.co = co
    else:
        drawing = frame.drawing
        drawing.add_strokes([len(line) for line in lines])
        for stroke, line in zip(drawing.strokes, lines):
            for p, co in zip(stroke.points, line):
                p.position = co
                p.radius = LINE_RADIUS
    obj = bpy.data.objects.new(name, data)
    collection.objects.link(obj)
    return obj


def stroke_points(obj: bpy.types.Object) -> list[list[tuple[float, float, float]]]:
    """Every stroke's points (for checking a conversion), whichever API this Blender has."""
    out = []
    data: Any = obj.data
    for layer in data.layers:
        for frame in layer.frames:
            strokes = frame.strokes if uses_legacy_api() else frame.drawing.strokes
            for s in strokes:
                out.append([tuple(p.co if uses_legacy_api() else p.position) for p in s.points])
    return out

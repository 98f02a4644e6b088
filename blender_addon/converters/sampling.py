"""Points along the selected curves' Bezier segments (world space), for the converters."""

from __future__ import annotations

from collections.abc import Sequence

import bpy
from mathutils import Vector
from mathutils.geometry import interpolate_bezier

SAMPLES_PER_SEGMENT = 12


def polylines(objects: Sequence[bpy.types.Object], samples: int = SAMPLES_PER_SEGMENT) -> list[list[Vector]]:
    """One polyline per spline: each Bezier segment sampled ``samples`` times, joints once."""
    out: list[list[Vector]] = []
    for obj in objects:
        data = obj.data
        if not isinstance(data, bpy.types.Curve):
            continue
        m = obj.matrix_world
        for spline in data.splines:
            if spline.type == "BEZIER":
                bps = list(spline.bezier_points)
                pairs = list(zip(bps, bps[1:]))
                if spline.use_cyclic_u and len(bps) > 1:
                    pairs.append((bps[-1], bps[0]))
                line: list[Vector] = []
                for a, b in pairs:
                    pts = interpolate_bezier(a.co, a.handle_right, b.handle_left, b.co, samples + 1)
                    line.extend(m @ p for p in (pts if not line else pts[1:]))
            else:
                line = [m @ Vector(p.co[:3]) for p in spline.points]
            if len(line) >= 2:
                out.append(line)
    return out

"""The add-on's import reads replies through the shared parser, and inherits its bounds (size, tokens, time).

A 1.3 KB reply whose digit run is glued to a letter froze Blender's import for
12.8 s with the old backtracking number pattern; it must now import at once,
with its Unicode minus signs read as minus signs.
"""

from __future__ import annotations

import time

import bpy
import pytest
from mathutils import Vector

HOSTILE = (
    "Sure! Here is the lamp pole as one cubic Bezier curve:\n\n"
    "draw_bezier[(\u22120.25, 0, \u22121), (\u22120.25, 0, \u22120.5), (\u22120.25, 0, 0), (\u22120.25, 0, 0.5)]  # pole\n\n"
    "Checksum: " + "1" * 1180 + "x\n"
)
WANT = [(-0.25, 0, -1), (-0.25, 0, -0.5), (-0.25, 0, 0), (-0.25, 0, 0.5)]


def test_hostile_reply_imports_in_under_half_a_second(empty_scene, tmp_path):
    assert 1250 <= len(HOSTILE.encode()) <= 1350  # the 1.3 KB reply of the issue
    path = tmp_path / "hostile.txt"
    path.write_text(HOSTILE, encoding="utf-8")
    t0 = time.perf_counter()
    assert bpy.ops.threedraw.import_sketch(filepath=str(path)) == {"FINISHED"}
    seconds = time.perf_counter() - t0
    assert seconds < 0.5, f"import took {seconds:.2f} s"
    (obj,) = [o for o in bpy.context.scene.objects if o.type == "CURVE"]
    assert obj.name == "pole"
    a, b = obj.data.splines[0].bezier_points
    for want, have in zip(WANT, [a.co, a.handle_right, b.handle_left, b.co]):
        assert (Vector(want) - have).length < 1e-6, (want, tuple(have))


def test_ambiguous_dash_is_refused_with_the_parsers_reason(empty_scene, tmp_path):
    path = tmp_path / "dash.txt"
    path.write_text(
        "draw_bezier[(0.5\u20130.5, 0, 0), (0, 0, 0.1), (0, 0, 0.2), (0, 0, 0.3)]", encoding="utf-8"
    )
    with pytest.raises(RuntimeError, match=r"dash\.txt: no valid stroke.*U\+2013.*a minus sign or a dash"):
        bpy.ops.threedraw.import_sketch(filepath=str(path))
    assert [o for o in bpy.context.scene.objects if o.type == "CURVE"] == []

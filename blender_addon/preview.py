"""A clean preview render of a sketch: workbench, white paper, 3/4 view from the front."""

from __future__ import annotations

import math

import bpy
from mathutils import Vector

# Front faces -Y: look from front-left, a little above, like a product shot.
VIEW_DIRECTION = Vector((-2.6, -3.6, 2.2)).normalized()
CAMERA_DISTANCE = 5.0
STROKE_COLOR = (0.09, 0.1, 0.13)


def setup_preview_scene(
    scene: bpy.types.Scene,
    size: int = 512,
    bounds: tuple[tuple[float, float, float], tuple[float, float, float]] = ((-1, -1, -1), (1, 1, 1)),
) -> None:
    """Camera framing the box `bounds` (the sketch's control points), workbench, white world."""
    lo, hi = Vector(bounds[0]), Vector(bounds[1])
    target = (lo + hi) / 2
    radius = max((hi - lo).length / 2, 0.1)
    cam_data = bpy.data.cameras.new("threedraw preview")
    # The bounding sphere of the box always fits, whichever way the sketch is turned.
    cam_data.angle = 2 * math.asin(min(1.0, radius * 1.02 / CAMERA_DISTANCE))
    cam = bpy.data.objects.new("threedraw preview camera", cam_data)
    cam.location = target + VIEW_DIRECTION * CAMERA_DISTANCE
    cam.rotation_euler = (-VIEW_DIRECTION).to_track_quat("-Z", "Y").to_euler()
    scene.collection.objects.link(cam)
    scene.camera = cam

    world = scene.world or bpy.data.worlds.new("threedraw paper")
    world.color = (1.0, 1.0, 1.0)
    scene.world = world

    scene.render.engine = "BLENDER_WORKBENCH"  # type: ignore[assignment]  # stub lists EEVEE only
    scene.render.resolution_x = size
    scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.render.film_transparent = False
    scene.render.image_settings.file_format = "PNG"
    scene.render.filepath = "//"  # never a machine path inside a saved .blend
    assert scene.view_settings is not None
    scene.view_settings.view_transform = "Standard"  # type: ignore[assignment]  # white stays white; stub lists NONE only
    display = scene.display
    assert display is not None and display.shading is not None
    shading = display.shading
    shading.light = "STUDIO"
    shading.color_type = "SINGLE"
    shading.single_color = STROKE_COLOR
    shading.show_cavity = False
    display.render_aa = "8"


def render_preview(scene: bpy.types.Scene, path: str) -> None:
    old = scene.render.filepath
    scene.render.filepath = path
    try:
        bpy.ops.render.render(write_still=True, scene=scene.name)
    finally:
        scene.render.filepath = old

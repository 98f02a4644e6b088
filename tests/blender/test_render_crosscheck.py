"""Our torch renderer against Blender: the same sketch, the same cameras, the same pixels.

Our side runs `threedraw render` in a child process (torch never loads next to bpy) and writes
PNGs plus cameras.json. Blender's side is built here from those files alone: each stroke a
Bezier curve with a thin bevel (the stroke's world width from cameras.json), the workbench
engine in flat black on a white world, and a camera whose matrix_world is the inverse of our
world_to_camera and whose angle is our field of view. Both stroke masks (ink above half),
each dilated by 2 px, must overlap with IoU >= 0.9 in every view.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")
from mathutils import Matrix  # noqa: E402  (comes with bpy)
from PIL import Image  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared sample sketches
from clip_fixtures import box_edges, chair, random_sketch  # noqa: E402
from threedraw.shared.sketch import Sketch  # noqa: E402

MIN_IOU = 0.9
DILATE_PX = 2

CASES = {
    "chair": (chair(), []),
    "random_curves": (random_sketch(20, seed=3), ["--size", "192"]),
    # Corners of the cube come near the camera: strong perspective, thick near strokes.
    "cube_frame": (
        Sketch.from_points("a box", box_edges([-0.95, -0.95, -0.95], [0.95, 0.95, 0.95])),
        [
            "--views",
            "5",
            "--elevation",
            "40",
            "--azimuth",
            "10",
            "--fov",
            "35",
            "--distance",
            "6.5",
            "--size",
            "160",
            "--stroke-width",
            "3",
        ],
    ),
}


def _ours(sketch: Sketch, args: list[str], folder: Path) -> dict:
    path = folder / "sketch.json"
    sketch.save(path)
    out = folder / "ours"
    proc = subprocess.run(
        [sys.executable, "-m", "threedraw.cli", "render", str(path), "--out", str(out), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads((out / "cameras.json").read_text())


def _blender(sketch: Sketch, cameras: dict, out: Path) -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    first = cameras["views"][0]
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.render.resolution_x = scene.render.resolution_y = first["size"]
    scene.render.resolution_percentage = 100
    scene.render.film_transparent = False
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "BW"
    scene.display.render_aa = "OFF"  # a pixel is ink when its centre sees the tube: a crisp mask
    scene.view_settings.view_transform = "Standard"
    shading = scene.display.shading
    shading.light = "FLAT"
    shading.color_type = "SINGLE"
    shading.single_color = (0.0, 0.0, 0.0)
    world = bpy.data.worlds.new("paper")
    world.color = (1.0, 1.0, 1.0)
    scene.world = world

    curve = bpy.data.curves.new("sketch", "CURVE")
    curve.dimensions = "3D"
    curve.resolution_u = 64
    curve.bevel_depth = first["stroke_width_world"] / 2.0
    curve.bevel_resolution = 4
    for stroke in sketch.strokes:
        p0, p1, p2, p3 = stroke.points
        spline = curve.splines.new("BEZIER")
        spline.bezier_points.add(1)
        start, end = spline.bezier_points
        for point in (start, end):
            point.handle_left_type = point.handle_right_type = "FREE"
        start.co, start.handle_left, start.handle_right = p0, p0, p1
        end.co, end.handle_left, end.handle_right = p3, p2, p3
    scene.collection.objects.link(bpy.data.objects.new("sketch", curve))

    cam_data = bpy.data.cameras.new("camera")
    cam_data.sensor_fit = "AUTO"
    cam_data.angle = math.radians(first["fov_degrees"])
    cam_data.clip_start, cam_data.clip_end = 0.01, 1000.0
    camera = bpy.data.objects.new("camera", cam_data)
    scene.collection.objects.link(camera)
    scene.camera = camera
    out.mkdir(parents=True, exist_ok=True)
    for view in cameras["views"]:
        assert view["size"] == first["size"] and view["fov_degrees"] == first["fov_degrees"]
        camera.matrix_world = Matrix(view["world_to_camera"]).inverted()
        scene.render.filepath = str(out / f"view_{view['index']:02d}.png")
        bpy.ops.render.render(write_still=True)


def _mask(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L")) < 128


def _dilate(mask: np.ndarray, r: int = DILATE_PX) -> np.ndarray:
    padded = np.pad(mask, r)
    h, w = mask.shape
    out = np.zeros_like(mask)
    for dy in range(2 * r + 1):
        for dx in range(2 * r + 1):
            out |= padded[dy : dy + h, dx : dx + w]
    return out


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = _dilate(a), _dilate(b)
    return float((a & b).sum() / max(1, (a | b).sum()))


@pytest.mark.parametrize("case", sorted(CASES))
def test_our_render_covers_the_same_pixels_as_blender(case, tmp_path):
    sketch, args = CASES[case]
    cameras = _ours(sketch, args, tmp_path)
    _blender(sketch, cameras, tmp_path / "blender")
    ious = []
    for view in cameras["views"]:
        name = f"view_{view['index']:02d}.png"
        ours, theirs = _mask(tmp_path / "ours" / name), _mask(tmp_path / "blender" / name)
        assert ours.sum() > 200 and theirs.sum() > 200  # both really drew something
        ious.append(_iou(ours, theirs))
    print(case, "IoU per view:", " ".join(f"{v:.3f}" for v in ious))
    assert "torch" not in sys.modules  # our render ran in its own process
    assert min(ious) >= MIN_IOU, ious
    if case == "chair":
        # The check can tell views apart: a neighbouring view's render does not pass it.
        wrong = _iou(_mask(tmp_path / "ours" / "view_00.png"), _mask(tmp_path / "blender" / "view_01.png"))
        assert wrong < MIN_IOU - 0.2

"""`threedraw blend`: the backend's Blender child process writes a .blend and a preview."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import bpy

from conftest import ROOT
from threedraw.shared.sketch import Sketch

CHAIR = ROOT / "examples" / "chair.json"


def blend_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:4] == b"\x28\xb5\x2f\xfd":  # zstd: Blender 5 compresses by default
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw)).read()
    return raw


def test_blend_command_writes_curves_and_preview_without_machine_paths(tmp_path):
    out, png = tmp_path / "o" / "chair.blend", tmp_path / "o" / "chair.png"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "threedraw.cli",
            "blend",
            str(CHAIR),
            "--out",
            str(out),
            "--preview",
            str(png),
            "--size",
            "128",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "23 strokes" in proc.stderr

    bpy.ops.wm.open_mainfile(filepath=str(out))
    curves = [o for o in bpy.data.objects if o.type == "CURVE"]
    assert sum(len(s.bezier_points) - 1 for o in curves for s in o.data.splines) == len(Sketch.load(CHAIR))
    assert bpy.context.scene.camera is not None

    image = bpy.data.images.load(str(png))
    assert tuple(image.size) == (128, 128)
    px = list(image.pixels)
    dark = sum(1 for i in range(0, len(px), 4) if px[i] < 0.5)
    assert 50 < dark < 128 * 128 * 0.5, "the preview shows strokes on white paper"

    data = blend_bytes(out)
    for private in {str(ROOT), str(tmp_path), os.path.expanduser("~")} - {"/"}:
        assert private.encode() not in data, f"{private} is stored in the .blend"


def test_blend_command_reports_a_broken_sketch(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"format": "threedraw.sketch/1", "prompt": "x", "strokes": [{"id": "a", "points": [[0,0,0]]}]}'
    )
    proc = subprocess.run(
        [sys.executable, "-m", "threedraw.cli", "blend", str(bad), "--out", str(tmp_path / "x.blend")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "threedraw blend: bad.json: stroke 1: 1 control points, expected 4"
    assert not (tmp_path / "x.blend").exists()

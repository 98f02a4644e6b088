"""`threedraw blend SKETCH.json --out X.blend [--preview X.png]`: a sketch as native Blender curves."""

from __future__ import annotations

import argparse
import sys

from ..blender_job import BlenderJobError, write_blend
from ..cli import UserError
from ..shared.sketch import Sketch, SketchError

HELP = "build a sketch as Blender Bezier curves: save a .blend and render a preview"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("sketch", help="canonical sketch JSON file")
    p.add_argument("--out", required=True, help="the .blend file to write")
    p.add_argument("--preview", help="a PNG preview rendered by Blender")
    p.add_argument("--size", type=int, default=512, help="preview size in pixels (16..2048)")


def run(args: argparse.Namespace) -> int:
    if not 16 <= args.size <= 2048:
        raise UserError(f"--size {args.size} is outside 16..2048")
    try:
        sketch = Sketch.load(args.sketch)
    except SketchError as e:
        raise UserError(str(e)) from None
    try:
        info = write_blend(sketch, args.out, args.preview, args.size)
    except BlenderJobError as e:
        raise UserError(str(e)) from None
    extra = f" and {args.preview}" if args.preview else ""
    print(f"wrote {args.out}{extra}: {info['strokes']} strokes in {info['objects']} curve objects", file=sys.stderr)
    return 0

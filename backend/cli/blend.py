"""`threedraw blend SKETCH.json --out X.blend [--preview X.png]`: a sketch as native Blender curves."""

from __future__ import annotations

import argparse
import sys

from ..blender.client import BlenderError, write_blend
from ..blender.protocol import MAX_PREVIEW_SIZE, MIN_PREVIEW_SIZE, PREVIEW_SIZE
from ..shared.sketch import Sketch, SketchError
from . import UserError

HELP = "build a sketch as Blender Bezier curves: save a .blend and render a preview"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("sketch", help="canonical sketch JSON file")
    p.add_argument("--out", required=True, help="the .blend file to write")
    p.add_argument("--preview", help="a PNG preview rendered by Blender")
    p.add_argument("--size", type=int, default=PREVIEW_SIZE,
                   help=f"preview size in pixels ({MIN_PREVIEW_SIZE}..{MAX_PREVIEW_SIZE})")


def run(args: argparse.Namespace) -> int:
    if not MIN_PREVIEW_SIZE <= args.size <= MAX_PREVIEW_SIZE:
        raise UserError(f"--size {args.size} is outside {MIN_PREVIEW_SIZE}..{MAX_PREVIEW_SIZE}")
    try:
        sketch = Sketch.load(args.sketch)
    except SketchError as e:
        raise UserError(str(e)) from None
    try:
        info = write_blend(sketch, args.out, args.preview, args.size)
    except BlenderError as e:
        raise UserError(str(e)) from None
    extra = f" and {args.preview}" if args.preview else ""
    print(f"wrote {args.out}{extra}: {info['strokes']} strokes in {info['objects']} curve objects", file=sys.stderr)
    return 0

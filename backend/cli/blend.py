"""`threedraw blend SKETCH.json --out X.blend [--preview X.png]`: a sketch as native Blender curves."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..blender.client import BlenderError, write_blend
from ..blender.protocol import MAX_PREVIEW_SIZE, MIN_PREVIEW_SIZE, PREVIEW_SIZE
from . import UserError
from .options import check_image_size, load_sketch
from .output import add_force_argument, check_outputs, say_written

HELP = "build a sketch as Blender Bezier curves: save a .blend and render a preview"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("sketch", help="canonical sketch JSON file")
    p.add_argument("--out", required=True, metavar="FILE.blend", help="the .blend file to write")
    p.add_argument("--preview", metavar="FILE.png", help="a PNG preview rendered by Blender")
    p.add_argument(
        "--size",
        type=int,
        default=PREVIEW_SIZE,
        help=f"preview size in pixels ({MIN_PREVIEW_SIZE}..{MAX_PREVIEW_SIZE}, default {PREVIEW_SIZE})",
    )
    add_force_argument(p)


def run(args: argparse.Namespace) -> int:
    check_image_size(args.size)
    if Path(args.out).suffix.lower() != ".blend":
        raise UserError(f"--out {args.out}: expected a .blend file name")
    sketch = load_sketch(args.sketch, "build")
    check_outputs(
        [("--out", Path(args.out)), ("--preview", Path(args.preview) if args.preview else None)],
        inputs=[args.sketch],
        force=args.force,
    )
    try:
        info = write_blend(sketch, args.out, args.preview, args.size)
    except BlenderError as e:
        raise UserError(str(e)) from None
    print(
        f"wrote {say_written([args.out, args.preview])}: {info['strokes']} strokes in {info['objects']} curve "
        "objects",
        file=sys.stderr,
    )
    return 0

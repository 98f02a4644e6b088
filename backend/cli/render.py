"""`threedraw render SKETCH.json --out DIR`: PNG views of a sketch, a contact sheet and the cameras."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..rendering.camera import (
    DEFAULT_AZIMUTH,
    DEFAULT_DISTANCE,
    DEFAULT_ELEVATION,
    DEFAULT_FOV,
    DEFAULT_SIZE,
    DEFAULT_VIEWS,
    MAX_SIZE,
    MIN_SIZE,
    CameraError,
    CameraRig,
)
from ..rendering.images import contact_sheet, to_pil
from . import UserError
from .options import Setting, add_settings, check_image_size, load_sketch, settings_from_args
from .output import add_force_argument, check_outputs

HELP = "render a sketch from several views: view_NN.png, contact_sheet.png and cameras.json"

# Where the cameras stand: CameraRig's angles and distance.
_RIG = (
    Setting("--elevation", "elevation", float, DEFAULT_ELEVATION, "degrees"),
    Setting("--azimuth", "azimuth", float, DEFAULT_AZIMUTH, "degrees of the first view; 0 = front"),
    Setting("--distance", "distance", float, DEFAULT_DISTANCE, "camera distance from the origin"),
    Setting("--fov", "fov_degrees", float, DEFAULT_FOV, "field of view, degrees"),
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("sketch", metavar="SKETCH.json", help="a threedraw sketch file")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the PNGs and cameras.json")
    p.add_argument("--views", type=int, default=DEFAULT_VIEWS, help="number of views (default: %(default)s)")
    p.add_argument(
        "--size",
        type=int,
        default=DEFAULT_SIZE,
        help=f"image side in pixels ({MIN_SIZE}..{MAX_SIZE}, default: %(default)s)",
    )
    add_settings(p, _RIG)
    p.add_argument(
        "--stroke-width",
        type=float,
        default=None,
        help=f"stroke width in pixels of a {DEFAULT_SIZE} px image (default: 2.0)",
    )
    add_force_argument(p)


def run(args: argparse.Namespace) -> int:
    import torch

    from ..rendering.rasteriser import RenderConfig, RenderError, render_passes

    check_image_size(args.size)
    sketch = load_sketch(args.sketch, "render")
    try:
        rig = CameraRig(views=args.views, **settings_from_args(args, _RIG))
        config = (
            RenderConfig(size=args.size)
            if args.stroke_width is None
            else RenderConfig(size=args.size, stroke_width=args.stroke_width)
        )
    except (CameraError, RenderError) as e:
        raise UserError(str(e)) from None
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: a file, expected a folder")
    names = [f"view_{k:02d}.png" for k in range(args.views)] + ["contact_sheet.png", "cameras.json"]
    check_outputs([("--out", out / n) for n in names], inputs=[args.sketch], force=args.force)
    tiles = []
    try:
        with torch.no_grad():
            for _, v0, images in render_passes(
                [sketch], rig.cameras(), config
            ):  # large jobs: a few views at a time
                for k, image in enumerate(images[0], start=v0):
                    tiles.append(to_pil(image))
                    tiles[-1].save(out / f"view_{k:02d}.png")
        contact_sheet(tiles, [f"az {az:g}  el {el:g}" for az, el in rig.angles()]).save(
            out / "contact_sheet.png"
        )
        cameras = rig.to_json(config.size, stroke_width_px=config.width_px)
        (out / "cameras.json").write_text(json.dumps(cameras, indent=1) + "\n", encoding="utf-8")
    except OSError as e:
        raise UserError(f"--out {out}: cannot write ({e.strerror or e})") from None
    print(f"wrote {len(tiles)} views, contact_sheet.png and cameras.json to {out}")
    return 0

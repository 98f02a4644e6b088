"""Renders as pictures: PIL tiles, contact sheets and PNG bytes (shared by CLI, eval, judge and server)."""

from __future__ import annotations

import io
import math
from typing import Any

from ..shared.sketch import Sketch

SHEET_COLUMNS = 4
LABEL_HEIGHT = 14
GAP = 4


def to_pil(image: Any) -> Any:
    """A [H, W] tensor of grey levels in [0, 1] as a PIL 'L' image."""
    from PIL import Image

    return Image.fromarray((image.clamp(0.0, 1.0) * 255.0).round().to("cpu").byte().numpy(), mode="L")


def render_tiles(sketch: Sketch, views: int = 4, size: int = 192, azimuth: float = 30.0) -> list[Any]:
    """Grey PIL images of the sketch from `views` cameras around it, the first at `azimuth`
    (30 degrees by default: a three-quarter view shows depth that the front view hides)."""
    import torch
    from PIL import Image

    from .camera import CameraRig
    from .rasteriser import RenderConfig, render_sketches

    if not sketch.strokes:
        return [Image.new("L", (size, size), 255) for _ in range(views)]
    rig = CameraRig(views=views, azimuth=azimuth)
    with torch.no_grad():
        images = render_sketches([sketch], rig.cameras(), RenderConfig(size=size))[0]
    return [to_pil(image) for image in images]


def contact_sheet(tiles: list[Any], labels: list[str]) -> Any:
    """Tiles in a grid, SHEET_COLUMNS wide, each with its label underneath."""
    from PIL import Image, ImageDraw

    size = tiles[0].width
    cols = min(SHEET_COLUMNS, len(tiles))
    rows = math.ceil(len(tiles) / cols)
    cell_h = size + LABEL_HEIGHT
    sheet = Image.new("L", (cols * size + (cols + 1) * GAP, rows * cell_h + (rows + 1) * GAP), 200)
    draw = ImageDraw.Draw(sheet)
    for k, (tile, label) in enumerate(zip(tiles, labels)):
        x = GAP + (k % cols) * (size + GAP)
        y = GAP + (k // cols) * (cell_h + GAP)
        sheet.paste(tile, (x, y))
        draw.rectangle((x, y + size, x + size - 1, y + cell_h - 1), fill=255)
        draw.text((x + 3, y + size + 1), label, fill=90)
    return sheet


def png_bytes(image: Any) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def sheet_png(sketch: Sketch, views: int = 4, size: int = 160) -> bytes:
    """One PNG of the sketch from `views` sides (what the judge and a preview show)."""
    tiles = render_tiles(sketch, views, size, azimuth=0.0)
    step = 360.0 / views
    return png_bytes(contact_sheet(tiles, [f"az {k * step:g}" for k in range(views)]))

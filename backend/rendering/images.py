"""Renders as pictures: PIL tiles, contact sheets and PNG bytes (shared by CLI, eval, judge and server)."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from typing import Any

from ..shared.sketch import Sketch

SHEET_COLUMNS = 4
LINE_HEIGHT = 12  # px per label line (Pillow's default font)
MAX_LABEL_LINES = 3
LABEL_PAD = 3
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


def contact_sheet(tiles: list[Any], labels: list[str], max_lines: int = MAX_LABEL_LINES) -> Any:
    """Tiles in a grid, SHEET_COLUMNS wide, each with its label underneath, wrapped to the tile's
    width (at most ``max_lines`` lines; only a label longer than that is cut, with "...")."""
    from PIL import Image, ImageDraw

    size = tiles[0].width
    cols = min(SHEET_COLUMNS, len(tiles))
    rows = math.ceil(len(tiles) / cols)
    measure = ImageDraw.Draw(Image.new("L", (1, 1)))
    wrapped = [wrap_label(label, size - 2 * LABEL_PAD, measure.textlength, max_lines) for label in labels]
    cell_h = size + LINE_HEIGHT * max((len(w) for w in wrapped), default=1) + 2
    sheet = Image.new("L", (cols * size + (cols + 1) * GAP, rows * cell_h + (rows + 1) * GAP), 200)
    draw = ImageDraw.Draw(sheet)
    for k, (tile, lines) in enumerate(zip(tiles, wrapped)):
        x = GAP + (k % cols) * (size + GAP)
        y = GAP + (k // cols) * (cell_h + GAP)
        sheet.paste(tile, (x, y))
        draw.rectangle((x, y + size, x + size - 1, y + cell_h - 1), fill=255)
        for n, line in enumerate(lines):
            draw.text((x + LABEL_PAD, y + size + 1 + n * LINE_HEIGHT), line, fill=90)
    return sheet


def wrap_label(
    text: str, width: float, length: Callable[[str], float], max_lines: int = MAX_LABEL_LINES
) -> list[str]:
    """``text`` in lines no wider than ``width`` (``length`` measures a string), broken between words
    (a word wider than a line is broken inside); past ``max_lines`` the last line ends in "..."."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while length(word) > width and len(word) > 1:  # a word wider than the tile: break it
            cut = max(1, next((i for i in range(len(word), 0, -1) if length(word[:i]) <= width), 1))
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{line} {word}" if line else word
        if length(candidate) <= width:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line or not lines:
        lines.append(line)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and length(last + "...") > width:
            last = last[:-1]
        lines = lines[: max_lines - 1] + [last.rstrip() + "..."]
    return lines


def png_bytes(image: Any) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def sheet_png(sketch: Sketch, views: int = 4, size: int = 160) -> bytes:
    """One PNG of the sketch from `views` sides (what the judge and a preview show)."""
    tiles = render_tiles(sketch, views, size, azimuth=0.0)
    step = 360.0 / views
    return png_bytes(contact_sheet(tiles, [f"az {k * step:g}" for k in range(views)]))

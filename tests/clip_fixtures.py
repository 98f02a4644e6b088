"""Shared test material for rendering and scoring: sample sketches and a tiny CLIP.

Importing this module loads neither torch nor bpy (the Blender tests use the sketches too);
``make_tiny_clip`` imports torch and open_clip when called.
"""

from __future__ import annotations

import json
from pathlib import Path

from threedraw.bench.scoring import random_sketch  # noqa: F401  (re-exported for the tests)
from threedraw.shared.sketch import Sketch

# An open_clip model config small enough to build and run in a fraction of a second.
TINY_CLIP_CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "head_width": 32, "patch_size": 16},
    "text_cfg": {"context_length": 32, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


def line(a, b):
    """A straight stroke from a to b (control points at thirds)."""
    return [a, [a[i] + (b[i] - a[i]) / 3 for i in range(3)], [a[i] + 2 * (b[i] - a[i]) / 3 for i in range(3)], b]


def box_edges(lo, hi):
    """The 12 edges of an axis-aligned box, as straight strokes."""
    (x0, y0, z0), (x1, y1, z1) = lo, hi
    c = [[x, y, z] for z in (z0, z1) for y in (y0, y1) for x in (x0, x1)]
    pairs = [(0, 1), (2, 3), (4, 5), (6, 7), (0, 2), (1, 3), (4, 6), (5, 7), (0, 4), (1, 5), (2, 6), (3, 7)]
    return [line(c[i], c[j]) for i, j in pairs]


def chair() -> Sketch:
    """A chair: four legs, a seat frame and a curved back, all joined."""
    s = 0.5  # half the seat's side
    z = -0.05  # seat height
    legs = [line([x, y, -0.85], [x, y, z]) for x in (-s, s) for y in (-s, s)]
    seat = [line([-s, -s, z], [s, -s, z]), line([s, -s, z], [s, s, z]),
            line([s, s, z], [-s, s, z]), line([-s, s, z], [-s, -s, z])]
    back = [line([-s, s, z], [-s, s + 0.05, 0.85]), line([s, s, z], [s, s + 0.05, 0.85]),
            [[-s, s + 0.05, 0.85], [-0.2, s + 0.15, 0.95], [0.2, s + 0.15, 0.95], [s, s + 0.05, 0.85]],
            [[-s, s + 0.03, 0.45], [-0.2, s + 0.1, 0.5], [0.2, s + 0.1, 0.5], [s, s + 0.03, 0.45]]]
    labels = ["leg"] * 4 + ["seat"] * 4 + ["back post", "back post", "top rail", "back rail"]
    return Sketch.from_points("a chair", legs + seat + back, labels)


def make_tiny_clip(folder: Path) -> tuple[Path, Path]:
    """Write the tiny CLIP's config JSON and a checkpoint of its random weights; return both paths."""
    import open_clip
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "tiny-clip-test.json"
    config.write_text(json.dumps(TINY_CLIP_CONFIG), encoding="utf-8")
    open_clip.add_model_config(config)
    torch.manual_seed(0)
    model = open_clip.create_model("tiny-clip-test")
    checkpoint = folder / "tiny-clip-test.pt"
    torch.save(model.state_dict(), checkpoint)
    return config, checkpoint

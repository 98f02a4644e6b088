"""Shared test material for rendering and scoring: sample sketches and a tiny CLIP.

Importing this module loads neither torch nor bpy (the Blender tests use the sketches too);
``make_tiny_clip`` imports torch and open_clip when called.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from threedraw.bench.scoring import random_sketch as random_sketch  # re-exported for the tests
from threedraw.shared.sketch import Sketch
from threedraw.testing.tiny_clip import TINY_CLIP_CONFIG as TINY_CLIP_CONFIG  # likewise
from threedraw.testing.tiny_clip import make_tiny_clip


def line(a, b):
    """A straight stroke from a to b (control points at thirds)."""
    return [
        a,
        [a[i] + (b[i] - a[i]) / 3 for i in range(3)],
        [a[i] + 2 * (b[i] - a[i]) / 3 for i in range(3)],
        b,
    ]


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
    seat = [
        line([-s, -s, z], [s, -s, z]),
        line([s, -s, z], [s, s, z]),
        line([s, s, z], [-s, s, z]),
        line([-s, s, z], [-s, -s, z]),
    ]
    back = [
        line([-s, s, z], [-s, s + 0.05, 0.85]),
        line([s, s, z], [s, s + 0.05, 0.85]),
        [[-s, s + 0.05, 0.85], [-0.2, s + 0.15, 0.95], [0.2, s + 0.15, 0.95], [s, s + 0.05, 0.85]],
        [[-s, s + 0.03, 0.45], [-0.2, s + 0.1, 0.5], [0.2, s + 0.1, 0.5], [s, s + 0.03, 0.45]],
    ]
    labels = ["leg"] * 4 + ["seat"] * 4 + ["back post", "back post", "top rail", "back rail"]
    return Sketch.from_points("a chair", legs + seat + back, labels)


def clip_args(config: Path, checkpoint: Path, *extra: str) -> list[str]:
    """A command's scoring options for the tiny CLIP, on 2 views."""
    return ["--clip-model", str(config), "--clip-checkpoint", str(checkpoint), "--views", "2", *extra]


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    """A tiny open_clip model saved as a checkpoint: (config path, weights path)."""
    return make_tiny_clip(tmp_path_factory.mktemp("clip"))

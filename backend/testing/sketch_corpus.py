"""Sketches for testing and benchmarking repair: clean drawings whose joints meet exactly, and
the same drawings made sloppy the way an LLM is (ends off by a little, strokes drawn twice).

Clean drawings are furniture-like wireframes (boxes, tables, chairs, shelves, ladders, stools,
houses, lattices) with end-to-end joints and T-joints, ends of curved strokes included; features
are kept a few tolerances apart, so a joint is never within reach of an unrelated one.
Everything is pure Python and seeded: the same seed gives the same sketch.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from pathlib import Path

from ..shared.bezier import point_at
from ..shared.meets import default_tolerance
from ..shared.sketch import Sketch, Stroke

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"  # the checkout's examples/
Vec = list[float]
Curve = list[Vec]


def line(a: Sequence[float], b: Sequence[float], bow: Sequence[float] = (0.0, 0.0, 0.0)) -> Curve:
    """A stroke from a to b, its handles at the thirds, pushed sideways by ``bow`` (a curve)."""
    return (
        [list(a)]
        + [[a[k] + (b[k] - a[k]) * f + bow[k] for k in range(3)] for f in (1 / 3, 2 / 3)]
        + [list(b)]
    )


def on(curve: Curve, t: float) -> Vec:
    """The point of a curve at parameter t: where a T-joint meets it."""
    return list(point_at(curve, t))


def box(lo: Sequence[float], hi: Sequence[float]) -> list[Curve]:
    (x0, y0, z0), (x1, y1, z1) = lo, hi
    c = [[x, y, z] for z in (z0, z1) for y in (y0, y1) for x in (x0, x1)]
    pairs = [(0, 1), (2, 3), (4, 5), (6, 7), (0, 2), (1, 3), (4, 6), (5, 7), (0, 4), (1, 5), (2, 6), (3, 7)]
    return [line(c[i], c[j]) for i, j in pairs]


def table(rng: random.Random) -> list[Curve]:
    w, d, h = rng.uniform(0.6, 1.0), rng.uniform(0.4, 0.8), rng.uniform(0.5, 0.9)
    corners = [[x, y, h] for x, y in ((-w, -d), (w, -d), (w, d), (-w, d))]
    top = [line(corners[k], corners[(k + 1) % 4], (0.0, 0.0, rng.uniform(-0.05, 0.05))) for k in range(4)]
    legs = [line([x, y, -h], [x, y, h]) for x, y, _ in corners]
    s = rng.uniform(0.25, 0.6)  # stretchers meet the legs part-way down: T-joints
    stretchers = [line(on(legs[k], s), on(legs[(k + 1) % 4], s)) for k in range(4) if rng.random() < 0.7]
    return top + legs + stretchers


def chair(rng: random.Random) -> list[Curve]:
    w, z = rng.uniform(0.45, 0.6), rng.uniform(-0.2, 0.1)
    seat = [[-w, -w, z], [w, -w, z], [w, w, z], [-w, w, z]]
    edges = [line(seat[k], seat[(k + 1) % 4]) for k in range(4)]
    legs = [line([p[0], p[1], -0.9], p) for p in seat]
    tilt = rng.uniform(0.0, 0.12)
    posts = [line(seat[k], [seat[k][0], w + tilt, 0.9], (0.0, rng.uniform(-0.03, 0.03), 0.0)) for k in (3, 2)]
    rail = line(posts[0][3], posts[1][3], (0.0, rng.uniform(0.05, 0.15), rng.uniform(0.0, 0.08)))
    slats = [line(on(edges[2], f), on(rail, 1.0 - f)) for f in (0.3, 0.5, 0.7)[: rng.randint(1, 3)]]
    return edges + legs + posts + [rail] + slats


def shelf(rng: random.Random) -> list[Curve]:
    w, d, h = rng.uniform(0.5, 0.8), rng.uniform(0.3, 0.5), 0.9
    frame = box([-w, -d, -h], [w, d, h])
    shelves = []
    for f in [k / (rng.randint(2, 4) + 1) for k in range(1, 5)]:
        if f >= 1.0:
            break
        # frame[8]..[11] are the uprights; a shelf joins the two front ones and the two back ones.
        shelves += [line(on(frame[8], f), on(frame[9], f)), line(on(frame[10], f), on(frame[11], f))]
    return frame + shelves


def ladder(rng: random.Random) -> list[Curve]:
    w, bow = rng.uniform(0.3, 0.5), rng.uniform(-0.1, 0.1)
    rails = [line([x, 0.0, -0.9], [x * 0.8, 0.3, 0.9], (bow, 0.0, 0.0)) for x in (-w, w)]
    rungs = rng.randint(3, 6)
    return rails + [
        line(on(rails[0], (k + 1) / (rungs + 1)), on(rails[1], (k + 1) / (rungs + 1))) for k in range(rungs)
    ]


def stool(rng: random.Random) -> list[Curve]:
    r, z = rng.uniform(0.5, 0.8), rng.uniform(0.2, 0.6)
    k = 4 * (math.sqrt(2) - 1) / 3 * r  # handle length of a quarter circle
    ring = []
    for q in range(4):
        a, b = q * math.pi / 2, (q + 1) * math.pi / 2
        p0, p3 = [r * math.cos(a), r * math.sin(a), z], [r * math.cos(b), r * math.sin(b), z]
        ring.append(
            [
                p0,
                [p0[0] - k * math.sin(a), p0[1] + k * math.cos(a), z],
                [p3[0] + k * math.sin(b), p3[1] - k * math.cos(b), z],
                p3,
            ]
        )
    legs = [
        line(on(ring[q], rng.uniform(0.3, 0.7)), [1.2 * ring[q][0][0], 1.2 * ring[q][0][1], -0.9])
        for q in range(4)
        if q < 3 or rng.random() < 0.5
    ]
    return ring + legs


def house(rng: random.Random) -> list[Curve]:
    w, d, h, roof = rng.uniform(0.6, 0.9), rng.uniform(0.5, 0.8), rng.uniform(0.2, 0.5), rng.uniform(0.3, 0.5)
    walls = box([-w, -d, -0.9], [w, d, h])
    ridge = [[-w * 0.7, 0.0, h + roof], [w * 0.7, 0.0, h + roof]]
    slopes = [line([sx * w, sy * d, h], ridge[0 if sx < 0 else 1]) for sx in (-1, 1) for sy in (-1, 1)]
    door = [
        line(on(walls[0], 0.4), [-0.15, -d, -0.3]),
        line([-0.15, -d, -0.3], [0.15, -d, -0.3]),
        line([0.15, -d, -0.3], on(walls[0], 0.6)),
    ]
    return walls + [line(*ridge)] + slopes + door


def lattice(boxes: int) -> list[Curve]:
    """Boxes on a grid, 12 strokes each (21 boxes and 4 ties: 256 strokes)."""
    n = math.ceil(boxes ** (1 / 3))
    cell, side = 1.8 / n, 1.8 / n * 0.6
    curves: list[Curve] = []
    for b in range(boxes):
        i, j, k = b % n, (b // n) % n, b // (n * n)
        lo = [-0.9 + cell * i, -0.9 + cell * j, -0.9 + cell * k]
        curves += box(lo, [v + side for v in lo])
    return curves


KINDS: list[Callable[[random.Random], list[Curve]]] = [
    table,
    chair,
    shelf,
    ladder,
    stool,
    house,
    lambda rng: box([-0.7, -0.5, -0.6], [0.7, 0.5, 0.6]),
]


def big_sketch() -> Sketch:
    """A 256-stroke drawing: 21 boxes of a lattice, and 4 ties from the first box's top onto the second."""
    curves = lattice(21)
    ties = [line(on(curves[k], 0.5), on(curves[12 + k], 0.5)) for k in (0, 1, 2, 3)]
    return fitted("a lattice of boxes", curves + ties)


def fitted(prompt: str, curves: list[Curve]) -> Sketch:
    """Scale and centre into [-0.9, 0.9]^3 (uniformly: joints stay joints)."""
    pts = [p for c in curves for p in c]
    lo = [min(p[k] for p in pts) for k in range(3)]
    hi = [max(p[k] for p in pts) for k in range(3)]
    half = max((hi[k] - lo[k]) / 2 for k in range(3)) or 1.0
    centre = [(lo[k] + hi[k]) / 2 for k in range(3)]
    return Sketch.from_points(
        prompt, [[[(p[k] - centre[k]) * 0.9 / half for k in range(3)] for p in c] for c in curves]
    )


def synthetic(count: int, seed: int = 0) -> list[Sketch]:
    """``count`` clean drawings, the kinds in turn, each with its own random proportions."""
    out = []
    for n in range(count):
        rng = random.Random(seed * 1000 + n)
        kind = KINDS[n % len(KINDS)]
        out.append(fitted(f"synthetic {n}", kind(rng)))
    return out


def examples() -> list[Sketch]:
    return [Sketch.load(p) for p in sorted(EXAMPLES.glob("*.json"))]


def sloppy(
    sketch: Sketch, seed: int, jitter: float = 0.5, duplicates: float = 0.1, tolerance: float | None = None
) -> tuple[Sketch, int]:
    """The drawing as an LLM might write it: a share ``duplicates`` of its strokes drawn again
    (some backwards), then every end of every stroke moved by up to ``jitter`` tolerances, its
    handle with it. Returns the sketch and how many duplicates it holds."""
    rng = random.Random(seed)
    tol = default_tolerance(sketch) if tolerance is None else tolerance
    strokes = list(sketch.strokes)
    extra = max(1, round(duplicates * len(strokes)))
    for n, s in enumerate(rng.sample(sketch.strokes, extra)):
        points = s.points[::-1] if rng.random() < 0.5 else s.points
        strokes.insert(rng.randint(0, len(strokes)), Stroke(f"{s.id}-again{n}", points, s.label))
    out = []
    for s in strokes:
        c = [list(p) for p in s.points]
        for end, handle in ((0, 1), (3, 2)):
            o = _in_ball(rng, jitter * tol)
            c[end] = [_clamp(c[end][k] + o[k]) for k in range(3)]
            c[handle] = [_clamp(c[handle][k] + o[k]) for k in range(3)]
        out.append(Stroke(s.id, tuple(tuple(p) for p in c), s.label))  # type: ignore[arg-type]
    return Sketch(sketch.prompt, out), extra


def _in_ball(rng: random.Random, radius: float) -> Vec:
    while True:
        v = [rng.uniform(-1.0, 1.0) for _ in range(3)]
        if sum(x * x for x in v) <= 1.0:
            return [x * radius for x in v]


def _clamp(v: float) -> float:
    return max(-1.0, min(1.0, v))

"""Sketch <-> native Blender Bezier curves.

Mapping (exact, so Sketch -> Blender -> Sketch reproduces every control point):
stroke P0, P1, P2, P3 -> two Bezier points; P0 and P3 are points, P1 is P0's right
handle, P2 is P3's left handle, all handles FREE. Consecutive strokes whose ends
meet (and that share a label) are chained into one spline: the joint keeps both
free handles, so the shape is unchanged. Strokes are grouped into one curve
object per label, inside one collection per sketch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import bpy
from mathutils import Matrix, Vector

from . import ids
from .shared.sketch import FORMAT, MAX_LABEL_CHARS, MAX_STROKES, Point, Sketch, Stroke, fit_to_cube

JOIN_TOLERANCE = 1e-6
BEVEL_DEPTH = 0.006
MAX_NAME = 63  # Blender's ID name limit


def _name(text: str, fallback: str) -> str:
    text = " ".join(text.split()) or fallback
    return text[:MAX_NAME]


def _chains(strokes: Sequence[Stroke]) -> list[list[int]]:
    """Indices of consecutive strokes whose ends meet and whose labels agree."""
    chains: list[list[int]] = []
    for i, s in enumerate(strokes):
        if chains:
            prev = strokes[chains[-1][-1]]
            gap = max(abs(a - b) for a, b in zip(prev.points[3], s.points[0]))
            if gap <= JOIN_TOLERANCE and prev.label == s.label:
                chains[-1].append(i)
                continue
        chains.append([i])
    return chains


def _mirror(co: Point, handle: Point) -> tuple[float, float, float]:
    return (2 * co[0] - handle[0], 2 * co[1] - handle[1], 2 * co[2] - handle[2])


def add_spline(curve: bpy.types.Curve, strokes: Sequence[Stroke]) -> None:
    """One Bezier spline through consecutive strokes that meet (a single stroke: two points)."""
    spline = curve.splines.new("BEZIER")
    spline.bezier_points.add(len(strokes))  # a new spline already holds one point
    pts = spline.bezier_points
    for bp in pts:  # FREE before coordinates, so Blender never recomputes a handle
        bp.handle_left_type = "FREE"
        bp.handle_right_type = "FREE"
    first = strokes[0].points
    pts[0].co = first[0]
    pts[0].handle_right = first[1]
    pts[0].handle_left = _mirror(first[0], first[1])
    for k, s in enumerate(strokes, start=1):
        p = s.points
        pts[k].handle_left = p[2]
        pts[k].co = p[3]
        nxt = strokes[k].points[1] if k < len(strokes) else _mirror(p[3], p[2])
        pts[k].handle_right = nxt


def new_curve(name: str, bevel_depth: float = BEVEL_DEPTH) -> bpy.types.Curve:
    """An empty 3D curve datablock with the sketches' round bevel."""
    curve = bpy.data.curves.new(name, "CURVE")
    curve.dimensions = "3D"
    curve.bevel_depth = bevel_depth
    curve.bevel_resolution = 2
    curve.use_fill_caps = True
    return curve


def build_sketch(
    sketch: Sketch,
    context: bpy.types.Context | None = None,
    bevel_depth: float = BEVEL_DEPTH,
    into: bpy.types.Collection | None = None,
) -> bpy.types.Collection:
    """Create a collection holding the sketch as curve objects (or add them to ``into``); returns it."""
    context = context or bpy.context
    if into is not None:
        coll = into
    else:
        coll = bpy.data.collections.new(_name(sketch.prompt, "threedraw sketch"))
        coll[ids.PROP_PROMPT] = sketch.prompt
        coll[ids.PROP_FORMAT] = FORMAT
        scene = context.scene
        assert scene is not None, "no active scene"
        scene.collection.children.link(coll)

    by_label: dict[str, list[list[int]]] = {}
    for chain in _chains(sketch.strokes):
        by_label.setdefault(sketch.strokes[chain[0]].label, []).append(chain)
    for label, chains in by_label.items():
        name = _name(label, _name(sketch.prompt, "sketch"))
        curve = new_curve(name, bevel_depth)
        segments: list[list[object]] = []
        for chain in chains:
            add_spline(curve, [sketch.strokes[i] for i in chain])
            segments.extend([i, sketch.strokes[i].id] for i in chain)
        obj = bpy.data.objects.new(name, curve)
        obj[ids.PROP_FORMAT] = FORMAT
        obj[ids.PROP_PROMPT] = sketch.prompt
        obj[ids.PROP_LABEL] = label
        obj[ids.PROP_STROKES] = json.dumps(segments)
        coll.objects.link(obj)
    return coll


@dataclass
class ReadResult:
    sketch: Sketch
    warnings: list[str] = field(default_factory=list)
    scale: float = 1.0  # != 1 when the curves were fitted into the cube


def _segments(spline: bpy.types.Spline, m: Matrix) -> list[list[Point]]:
    def w(v: Vector) -> Point:
        p = m @ v
        return (p.x, p.y, p.z)

    if spline.type == "BEZIER":
        bps = list(spline.bezier_points)
        pairs = list(zip(bps, bps[1:]))
        if spline.use_cyclic_u and len(bps) > 1:
            pairs.append((bps[-1], bps[0]))
        return [[w(a.co), w(a.handle_right), w(b.handle_left), w(b.co)] for a, b in pairs]
    # POLY: straight segments as Beziers with handles at thirds (exactly a line).
    pts = [w(Vector(p.co[:3])) for p in spline.points]
    if spline.use_cyclic_u and len(pts) > 1:
        pts.append(pts[0])
    out = []
    for a, b in zip(pts, pts[1:]):
        third = tuple((b[i] - a[i]) / 3 for i in range(3))
        out.append([a, tuple(a[i] + third[i] for i in range(3)), tuple(b[i] - third[i] for i in range(3)), b])
    return out  # type: ignore[return-value]


def read_sketch(objects: Sequence[bpy.types.Object], prompt: str = "") -> ReadResult:
    """Curve objects (any Bezier or poly spline, transforms applied) -> Sketch.

    Strokes that came from threedraw keep their order and ids; curves drawn or
    edited by hand follow, by object name. Coordinates outside the cube are
    scaled down into it uniformly about the origin (nothing inside moves or grows) and a
    warning gives the factor.
    """
    warnings: list[str] = []
    known: list[tuple[int, str, str, list[Point]]] = []  # (order, id, label, points)
    fresh: list[tuple[str, list[Point]]] = []
    prompts = []
    for obj in sorted(objects, key=lambda o: o.name):
        data = obj.data
        if not isinstance(data, bpy.types.Curve):
            continue
        label = str(obj.get(ids.PROP_LABEL, obj.name))
        if obj.get(ids.PROP_PROMPT):
            prompts.append(str(obj[ids.PROP_PROMPT]))
        segs: list[list[Point]] = []
        for n, spline in enumerate(data.splines):
            if spline.type not in ("BEZIER", "POLY"):
                warnings.append(
                    f"{obj.name}: spline {n + 1} is {spline.type}, skipped (convert it to Bezier)"
                )
                continue
            segs.extend(_segments(spline, obj.matrix_world))
        try:
            tags = json.loads(obj.get(ids.PROP_STROKES, "[]"))
        except (TypeError, ValueError):
            tags = []
        if isinstance(tags, list) and len(tags) == len(segs):
            known.extend((int(t[0]), str(t[1]), label, s) for t, s in zip(tags, segs))
        else:  # edited or hand-drawn: the segment count no longer matches
            fresh.extend((label, s) for s in segs)
    known.sort(key=lambda k: k[0])
    curves = [k[3] for k in known] + [f[1] for f in fresh]
    labels = [k[2] for k in known] + [f[0] for f in fresh]
    wanted_ids = [k[1] for k in known]
    fitted, scale = fit_to_cube(curves)
    if scale != 1.0:
        warnings.append(
            f"curves reach outside the cube [-1, 1]; scaled by {scale:.4g} about the origin to fit"
        )
    if len(fitted) > MAX_STROKES:
        warnings.append(f"{len(fitted)} curve segments, only the first {MAX_STROKES} were kept")
        fitted, labels = fitted[:MAX_STROKES], labels[:MAX_STROKES]
    strokes = []
    used: set[str] = set()
    for i, pts in enumerate(fitted):
        sid = wanted_ids[i] if i < len(wanted_ids) and wanted_ids[i] not in used else ""
        if not sid:
            n = i + 1
            while f"s{n}" in used or f"s{n}" in wanted_ids:
                n += 1
            sid = f"s{n}"
        used.add(sid)
        p = [tuple(float(v) for v in q) for q in pts]
        strokes.append(Stroke(sid, (p[0], p[1], p[2], p[3]), labels[i][:MAX_LABEL_CHARS]))  # type: ignore[arg-type]
    sketch = Sketch(prompt=prompt or (prompts[0] if prompts else ""), strokes=strokes)
    sketch.validate()
    return ReadResult(sketch, warnings, scale)

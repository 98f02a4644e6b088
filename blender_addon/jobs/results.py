"""A finished job's result into the scene (main thread): curves in collections named after the
prompt, scores as custom properties where the panel reads them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import bpy

from .. import ids
from ..curves import build_sketch
from ..state import SESSION
from .prepare import ScoreResult, SketchResult


def _tag(
    coll: bpy.types.Collection, job_id: str, sketch_id: str, score: dict[str, Any] | None, rank: int
) -> None:
    coll[ids.PROP_JOB] = job_id
    coll[ids.PROP_SKETCH_ID] = sketch_id
    coll[ids.PROP_RANK] = rank
    if score is not None:
        coll[ids.PROP_SCORE] = json.dumps(score)
        coll[ids.PROP_REWARD] = float(score.get("reward", 0.0))


def apply_sketches(scene: bpy.types.Scene, res: SketchResult, keep_candidates: bool, suffix: str = "") -> str:
    """The best sketch as visible curves; the others, when asked, hidden. One line saying what.
    ``suffix`` tells a refined sketch's collection from the one it came from."""
    context = SimpleNamespace(scene=scene)  # build_sketch needs only .scene
    made = []
    for rank, (sketch, score, sketch_id) in enumerate(res.sketches if keep_candidates else res.sketches[:1]):
        if not sketch.prompt:
            sketch.prompt = res.prompt
        coll = build_sketch(sketch, context)  # type: ignore[arg-type]
        _tag(coll, res.job_id, sketch_id, score, rank)
        if suffix and rank == 0:
            coll.name = f"{res.prompt[:48]}{suffix}"
        if rank > 0:
            coll.name = f"{res.prompt[:40]}{suffix} (candidate {rank + 1})"
            coll.hide_viewport = True
            coll.hide_render = True
        made.append(coll)
    best = made[0]
    _select_only(scene, list(best.objects))
    score = res.sketches[0][1]
    reward = f", reward {score['reward']:.4f}" if score and score.get("reward") is not None else ""
    others = f" (+{len(made) - 1} hidden candidates)" if len(made) > 1 else ""
    repaired = f"; repaired: {res.repaired}" if res.repaired else ""
    return f"{len(res.sketches[0][0])} strokes into collection '{best.name}'{reward}{others}{repaired}"


def score_target(objects: Sequence[bpy.types.Object], scene: bpy.types.Scene) -> bpy.types.ID:
    """Where a score of these curves is kept: their sketch's collection, else the first object."""
    for obj in objects:
        for coll in obj.users_collection:
            if coll != scene.collection and coll.get(ids.PROP_FORMAT):
                return coll
    for obj in objects:
        for coll in obj.users_collection:
            if coll != scene.collection:
                return coll
    return objects[0]


def apply_score(scene: bpy.types.Scene, res: ScoreResult, object_names: Sequence[str]) -> str:
    objects = [bpy.data.objects[n] for n in object_names if n in bpy.data.objects]
    if not objects:
        raise ValueError("the scored curves were deleted while the job ran")
    target = score_target(objects, scene)
    target[ids.PROP_SCORE] = json.dumps(res.score)
    target[ids.PROP_REWARD] = float(res.score.get("reward", 0.0))
    if res.preview:
        SESSION.score_previews[scene.name] = res.preview
    return f"{target.name}: {describe(res.score)}"


def describe(score: dict[str, Any]) -> str:
    clip = score.get("clip_mean")
    views = score.get("clip_per_view") or []
    st = (score.get("structure") or {}).get("total")
    parts = [f"reward {score.get('reward', 0.0):.4f}"]
    parts.append(f"CLIP {clip:.4f} over {len(views)} views" if clip is not None else "no CLIP")
    if st is not None:
        parts.append(f"structure {st:.4f}")
    return ", ".join(parts)


def read_score(obj: bpy.types.Object | None, scene: bpy.types.Scene) -> dict[str, Any] | None:
    """The score the panel shows for the active object (kept on its sketch's collection)."""
    if obj is None:
        return None
    for holder in [*obj.users_collection, obj]:
        raw = holder.get(ids.PROP_SCORE) if holder != scene.collection else None
        if isinstance(raw, str):
            try:
                value = json.loads(raw)
            except ValueError:
                return None
            return value if isinstance(value, dict) else None
    return None


def _select_only(scene: bpy.types.Scene, objects: list[bpy.types.Object]) -> None:
    for view_layer in scene.view_layers:
        for o in view_layer.objects:
            o.select_set(False, view_layer=view_layer)
        for o in objects:
            o.select_set(True, view_layer=view_layer)
        if objects:
            view_layer.objects.active = objects[0]

"""A finished job's result into the scene (main thread): curves in collections named after the
prompt, scores as custom properties where the panel reads them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from types import SimpleNamespace

import bpy

from .. import ids
from ..curves import build_sketch
from ..shared.results import Score
from ..state import SESSION
from .prepare import ScoreToApply, SketchesToApply


def _tag(coll: bpy.types.Collection, job_id: str, sketch_id: str, score: Score | None, rank: int) -> None:
    coll[ids.PROP_JOB] = job_id
    coll[ids.PROP_SKETCH_ID] = sketch_id
    coll[ids.PROP_RANK] = rank
    if score is not None:
        keep_score(coll, score)


def keep_score(holder: bpy.types.ID, score: Score) -> None:
    holder[ids.PROP_SCORE] = json.dumps(score.to_dict())
    holder[ids.PROP_REWARD] = score.reward


def apply_sketches(
    scene: bpy.types.Scene, res: SketchesToApply, keep_candidates: bool, suffix: str = ""
) -> str:
    """The best sketch as visible curves; the others, when asked, hidden. One line saying what.
    ``suffix`` tells a refined sketch's collection from the one it came from."""
    context = SimpleNamespace(scene=scene)  # build_sketch needs only .scene
    made = []
    for rank, item in enumerate(res.sketches if keep_candidates else res.sketches[:1]):
        sketch = item.sketch
        if not sketch.prompt:
            sketch.prompt = res.prompt
        coll = build_sketch(sketch, context)  # type: ignore[arg-type]
        _tag(coll, res.job_id, item.id, item.score, rank)
        if suffix and rank == 0:
            coll.name = f"{res.prompt[:48]}{suffix}"
        if rank > 0:
            coll.name = f"{res.prompt[:40]}{suffix} (candidate {rank + 1})"
            coll.hide_viewport = True
            coll.hide_render = True
        made.append(coll)
    best = made[0]
    _select_only(scene, list(best.objects))
    score = res.sketches[0].score
    reward = f", reward {score.reward:.4f}" if score is not None else ""
    others = f" (+{len(made) - 1} hidden candidates)" if len(made) > 1 else ""
    repaired = f"; repaired: {res.repaired}" if res.repaired else ""
    return f"{len(res.sketches[0].sketch)} strokes into collection '{best.name}'{reward}{others}{repaired}"


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


def apply_score(scene: bpy.types.Scene, res: ScoreToApply, object_names: Sequence[str]) -> str:
    objects = [bpy.data.objects[n] for n in object_names if n in bpy.data.objects]
    if not objects:
        raise ValueError("the scored curves were deleted while the job ran")
    target = score_target(objects, scene)
    keep_score(target, res.score)
    if res.preview:
        SESSION.score_previews[scene.name] = res.preview
    return f"{target.name}: {res.score.describe()}"


def read_score(obj: bpy.types.Object | None, scene: bpy.types.Scene) -> Score | None:
    """The score the panel shows for the active object (kept on its sketch's collection); None
    when there is none, or none this version can read."""
    if obj is None:
        return None
    for holder in [*obj.users_collection, obj]:
        raw = holder.get(ids.PROP_SCORE) if holder != scene.collection else None
        if isinstance(raw, str):
            try:
                return Score.from_dict(json.loads(raw))
            except ValueError:  # bad JSON, or a ResultError
                return None
    return None


def _select_only(scene: bpy.types.Scene, objects: list[bpy.types.Object]) -> None:
    for view_layer in scene.view_layers:
        for o in view_layer.objects:
            o.select_set(False, view_layer=view_layer)
        for o in objects:
            o.select_set(True, view_layer=view_layer)
        if objects:
            view_layer.objects.active = objects[0]

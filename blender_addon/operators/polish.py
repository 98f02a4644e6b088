"""Polish: the selected sketch's control points nudged towards its prompt by the backend (CLIP-guided,
joints kept), followed in the Job panel step by step; the result replaces the selected curves in
place, as one undo step (Ctrl-Z brings the unpolished curves back). Cancel keeps the best so far."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import bpy
from bpy.props import IntProperty, StringProperty

from .. import ids
from ..jobs import prepare
from ..jobs.poller import Apply
from ..jobs.results import keep_score, score_target
from ..shared.results import PolishResult
from .common import OnSelectedCurves, Result, replace_curves
from .jobs import _SKIP, _JobOperator

MAX_STEPS = 2000  # the backend's bound (its polish job refuses more)


class THREEDRAW_OT_polish(OnSelectedCurves, _JobOperator):
    """Polish the selected sketch towards its prompt with CLIP on the backend; joints stay joined"""

    bl_idname = ids.OP_POLISH
    bl_label = "Polish"

    prompt: StringProperty(
        options=_SKIP, name="Prompt", description="Text to polish towards (default: the sketch's prompt)"
    )
    steps: IntProperty(
        options=_SKIP,
        name="Steps",
        min=1,
        max=MAX_STEPS,
        default=30,
        description="Optimiser steps (default: the backend's)",
    )

    def execute(self, context: bpy.types.Context) -> Result:
        chosen = self.selected_with_prompt(context, "polish towards", in_cube=True)
        if chosen is None:
            return {"CANCELLED"}
        sketch, prompt, names = chosen
        sketch.prompt = prompt
        request: dict[str, Any] = {"kind": "polish", "sketch": sketch.to_dict(), "prompt": prompt}
        if self.properties.is_property_set("steps"):
            request["steps"] = int(self.steps)
        return self.launch(
            context, "polish", f"polish '{prompt[:40]}'", request, prepare.polish, _replace(names)
        )


def _replace(names: Sequence[str]) -> Apply:
    """The polished sketch in place of the curves that were polished (main thread, one tick)."""

    def apply(scene: bpy.types.Scene, res: PolishResult) -> str:
        curves = [bpy.data.objects.get(n) for n in names]
        if any(o is None or o.type != "CURVE" for o in curves):
            raise ValueError("the polished curves were deleted or renamed while the job ran")
        item = res.sketches[0]
        home, made = replace_curves(scene, curves, item.sketch)  # type: ignore[arg-type]
        if item.score is not None and made:
            keep_score(score_target(made, scene), item.score)
        for obj in made:
            obj.select_set(True)
        stopped = ", cancelled: the best so far" if res.interrupted else ""
        return (
            f"polished {len(made)} curves in '{home.name}' ({res.steps_done} steps{stopped}): CLIP "
            f"{res.reward_before:.4f} -> {res.reward_after:.4f}, largest move {res.largest_move:.3g}"
        )

    return apply


CLASSES = (THREEDRAW_OT_polish,)

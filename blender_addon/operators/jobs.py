"""Draw, Refine, Score and Cancel: each job runs on the backend and is followed by the poller.

With a UI the operators return at once (invoke adds Esc handling); in background mode (or with
``wait=True``; ``wait=False`` lets a background script follow the job itself) they block until the
job ends and return {'FINISHED'}, or {'CANCELLED'} with the reason as one ERROR report (which bpy
raises to a calling script as RuntimeError).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import bpy
from bpy.props import BoolProperty, IntProperty, StringProperty

from .. import ids, preferences
from ..client import BackendError
from ..curves import read_sketch
from ..jobs import poller, prepare, results
from ..jobs.follow import JobFollower
from ..jobs.live import LiveView
from ..properties import NO_LIBRARY, scene_settings
from ..shared.results import JobStatus
from ..shared.sketch import Sketch, SketchError
from .common import Result, selected_curves

MAX_WARNINGS = 5
# Not remembered between calls: a value given once must not stick and override the panel's.
_SKIP = {"SKIP_SAVE"}
WAKE_S = 0.25  # how often the Esc-watching modal operator looks whether its job ended


class _JobOperator(bpy.types.Operator):
    """Shared: one job per scene, blocking in background mode, Esc cancels with a UI."""

    bl_options = {"REGISTER"}  # the result is one undo step of its own, pushed when it lands

    wait: BoolProperty(
        name="Wait",
        default=False,
        options={"HIDDEN", "SKIP_SAVE"},
        description="Block until the job ends (default: in background mode only)",
    )

    _act: poller.Active | None = None
    _timer: bpy.types.Timer | None = None

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        act = poller.active(context.scene)
        if act is not None:
            cls.poll_message_set(f"{act.label} is running in this scene ({act.text}); cancel it or wait")
            return False
        return context.scene is not None

    def option(self, name: str, fallback: Any) -> Any:
        """The operator's own value when the caller set it, else the panel's."""
        return getattr(self, name) if self.properties.is_property_set(name) else fallback

    def text_option(self, name: str, fallback: str) -> str:
        """A text option (``option``'s value) with its runs of white space folded to one space."""
        return " ".join(str(self.option(name, fallback)).split())

    def fail(self, message: str) -> Result:
        self.report({"ERROR"}, message)
        return {"CANCELLED"}

    def launch(
        self,
        context: bpy.types.Context,
        kind: str,
        label: str,
        request: dict[str, Any],
        ready: Callable[[JobStatus], Any],
        apply: poller.Apply,
        live: bool = False,
    ) -> Result:
        """Submit ``request`` and follow it; ``live``: show its strokes while they are written."""
        scene = context.scene
        assert scene is not None
        try:
            client = preferences.client(context)
        except BackendError as e:
            return self.fail(e.message)
        wait = bool(self.option("wait", bpy.app.background))
        live = live and not wait  # a blocked main thread shows nothing until the end anyway
        view = LiveView(str(request.get("prompt", "")), int(request.get("k", 1))) if live else None
        act = poller.start(scene, kind, label, JobFollower(client, request, ready, live=live), apply, view)
        if not wait:
            self._act = act
            return {"FINISHED"}
        level, message = poller.run_blocking(act)
        self.report({level}, message)  # type: ignore[arg-type]
        return {"FINISHED"} if level == "INFO" else {"CANCELLED"}

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> Result:
        result = self.execute(context)
        wm = context.window_manager
        if result == {"FINISHED"} and self._act is not None and wm is not None and context.window is not None:
            # Timer events wake modal() when the job ends even if the user does nothing.
            self._timer = wm.event_timer_add(WAKE_S, window=context.window)
            wm.modal_handler_add(self)
            return {"RUNNING_MODAL"}
        return result

    def modal(self, context: bpy.types.Context, event: bpy.types.Event) -> Result:
        act = self._act
        if act is None or act.outcome is not None:
            if self._timer is not None and context.window_manager is not None:
                context.window_manager.event_timer_remove(self._timer)
                self._timer = None
            if act is None:
                return {"CANCELLED"}
            level, message = act.outcome  # type: ignore[misc]
            self.report({level}, message)  # type: ignore[arg-type]
            return {"FINISHED"} if level == "INFO" else {"CANCELLED"}
        if event.type == "ESC" and event.value == "PRESS":
            poller.cancel_job(act)  # this operator's job, whichever scene is shown now
            return {"RUNNING_MODAL"}
        return {"PASS_THROUGH"}

    def launch_sketches(
        self, context: bpy.types.Context, kind: str, prompt: str, request: dict[str, Any], suffix: str = ""
    ) -> Result:
        """Submit a draw or refine job with the chosen library; its sketches become curves while
        they are written, the best one kept (and the others too with Keep Other Candidates)."""
        library = self.chosen_library(context)
        if library:
            request["library"] = library
        assert context.scene is not None
        apply = _keep_candidates(context.scene, suffix)
        return self.launch(
            context, kind, f"{kind} '{prompt[:40]}'", request, prepare.sketches, apply, live=True
        )

    def chosen_library(self, context: bpy.types.Context) -> str | None:
        chosen = self.option("library", "") or scene_settings(context.scene).library  # type: ignore[arg-type]
        return None if chosen in ("", NO_LIBRARY, "none") else str(chosen)

    def selected_with_prompt(
        self, context: bpy.types.Context, doing: str, in_cube: bool = False
    ) -> tuple[Sketch, str, list[str]] | None:
        """The selected curves as a sketch (``selected_sketch``), the prompt to use (the operator's,
        else the curves', else the panel's) and the curves' names; None, with a report, when there
        is no sketch or no prompt to ``doing``."""
        scene = context.scene
        assert scene is not None
        prompt = self.text_option("prompt", "")
        sketch = self.selected_sketch(context, prompt, in_cube)
        if sketch is None:
            return None
        prompt = prompt or sketch.prompt or " ".join(scene_settings(scene).prompt.split())
        if not prompt:
            self.report({"ERROR"}, f"no prompt to {doing}: give one (the curves carry none)")
            return None
        return sketch, prompt, [o.name for o in selected_curves(context)]

    def selected_sketch(
        self, context: bpy.types.Context, prompt: str, in_cube: bool = False
    ) -> Sketch | None:
        """The selected curves as a sketch (None, with a report, when there is none); ``in_cube``:
        refuse curves that had to be scaled into the cube (a result would come back scaled)."""
        curves = selected_curves(context)
        if not curves:
            self.report({"ERROR"}, "select the sketch's curves first (nothing of type Curve is selected)")
            return None
        try:
            read = read_sketch(curves, prompt)
        except SketchError as e:
            self.report({"ERROR"}, f"the selected curves are not a sketch: {e}")
            return None
        for w in read.warnings[:MAX_WARNINGS]:
            self.report({"WARNING"}, w)
        if not read.sketch.strokes:
            self.report({"ERROR"}, "the selected curves hold no Bezier or poly segment")
            return None
        if in_cube and read.scale != 1.0:
            self.report(
                {"ERROR"}, "the selected curves reach outside the cube [-1, 1]: scale them into it first"
            )
            return None
        return read.sketch


def _keep_candidates(scene: bpy.types.Scene, suffix: str = "") -> Callable[[bpy.types.Scene, Any], str]:
    keep = bool(scene_settings(scene).keep_candidates)
    return lambda sc, res: results.apply_sketches(sc, res, keep, suffix)


class THREEDRAW_OT_draw(_JobOperator):
    """Draw a sketch from the prompt with the backend's LLM: K candidates, the best as curves"""

    bl_idname = ids.OP_DRAW
    bl_label = "Draw"

    prompt: StringProperty(options=_SKIP, name="Prompt", description="What to draw (default: the panel's)")
    k: IntProperty(options=_SKIP, name="Candidates", min=1, max=16, default=3)
    max_strokes: IntProperty(options=_SKIP, name="Max Strokes", min=0, max=256, default=0)
    library: StringProperty(
        options=_SKIP, name="Library", description="Library name, or none (default: the panel's)"
    )

    def execute(self, context: bpy.types.Context) -> Result:
        scene = context.scene
        assert scene is not None
        s = scene_settings(scene)
        prompt = self.text_option("prompt", s.prompt)
        if not prompt:
            return self.fail("type a prompt first: what should be drawn?")
        request: dict[str, Any] = {"kind": "draw", "prompt": prompt, "k": int(self.option("k", s.k))}
        max_strokes = int(self.option("max_strokes", s.max_strokes))
        if max_strokes:
            request["max_strokes"] = max_strokes
        return self.launch_sketches(context, "draw", prompt, request)


class THREEDRAW_OT_refine(_JobOperator):
    """Refine with contrastive experience (CKE): draw K, score, judge, learn; the best sketch wins"""

    bl_idname = ids.OP_REFINE
    bl_label = "Refine"

    prompt: StringProperty(
        options=_SKIP, name="Prompt", description="What the sketch shows (default: its own prompt)"
    )
    rounds: IntProperty(options=_SKIP, name="Rounds", min=1, max=5, default=1)
    k: IntProperty(options=_SKIP, name="Candidates", min=2, max=16, default=3)
    from_selected: BoolProperty(options=_SKIP, name="From Selected Curves", default=True)
    library: StringProperty(options=_SKIP, name="Library")

    def execute(self, context: bpy.types.Context) -> Result:
        scene = context.scene
        assert scene is not None
        s = scene_settings(scene)
        prompt = self.text_option("prompt", "")
        request: dict[str, Any] = {
            "kind": "refine",
            "rounds": int(self.option("rounds", s.rounds)),
            "k": max(2, int(self.option("k", s.k))),
        }
        if self.option("from_selected", s.from_selected):
            sketch = self.selected_sketch(context, prompt)
            if sketch is None:
                return {"CANCELLED"}
            prompt = prompt or sketch.prompt
            request["sketch"] = sketch.to_dict()
        prompt = prompt or " ".join(s.prompt.split())
        if not prompt:
            return self.fail("type a prompt first: what does the sketch show?")
        request["prompt"] = prompt
        if "sketch" in request:
            request["sketch"]["prompt"] = prompt
        return self.launch_sketches(context, "refine", prompt, request, " (refined)")


class THREEDRAW_OT_score(_JobOperator):
    """Score the selected curves: CLIP per view against the prompt, the structure terms, the reward"""

    bl_idname = ids.OP_SCORE
    bl_label = "Score Selected"

    prompt: StringProperty(
        options=_SKIP, name="Prompt", description="Text to score against (default: the sketch's prompt)"
    )

    def execute(self, context: bpy.types.Context) -> Result:
        chosen = self.selected_with_prompt(context, "score against")
        if chosen is None:
            return {"CANCELLED"}
        sketch, prompt, names = chosen
        request = {"kind": "score", "sketches": [sketch.to_dict()], "prompt": prompt, "preview": True}
        return self.launch(
            context,
            "score",
            f"score '{prompt[:40]}'",
            request,
            prepare.score,
            lambda sc, res: results.apply_score(sc, res, names),
        )


class THREEDRAW_OT_cancel(bpy.types.Operator):
    """Cancel this scene's job on the backend (Esc in the viewport does the same)"""

    bl_idname = ids.OP_CANCEL
    bl_label = "Cancel"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return poller.active(context.scene) is not None

    def execute(self, context: bpy.types.Context) -> Result:
        act = poller.active(context.scene)
        if act is None or not poller.cancel(context.scene):  # type: ignore[arg-type]
            self.report({"WARNING"}, "no job is running in this scene")
            return {"CANCELLED"}
        self.report({"INFO"}, f"cancelling {act.label}")
        return {"FINISHED"}


CLASSES = (THREEDRAW_OT_draw, THREEDRAW_OT_refine, THREEDRAW_OT_score, THREEDRAW_OT_cancel)

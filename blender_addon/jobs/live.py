"""A running draw or refine as a temporary collection that grows curve by curve (main thread).

The follower's worker polls ``?since=`` and parses the strokes; each poller tick hands them to
``LiveView.add`` and builds at most MAX_PER_TICK of them (one update per tick, never one per
stroke). Each candidate is one curve object, the K of them side by side so they do not draw
over each other. The collection and objects are looked up by name on every tick, never held
across ticks (an undo replaces datablocks); what the artist deleted is made again, and a curve
whose splines are not the ones built (an undo, an edit) is built again. The job's result
replaces the collection; Cancel removes it, or with "keep partial" keeps the longest candidate
so far as an ordinary sketch.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace

import bpy

from .. import ids
from ..curves import add_spline, build_sketch, new_curve
from ..shared.sketch import CUBE, MAX_STROKES, Sketch, Stroke
from .follow import LiveStroke

MAX_PER_TICK = 32  # splines built per tick: a late or fast burst spreads over a few ticks
SPACING = 2.5 * CUBE  # between candidates' origins: the cube is 2 * CUBE wide


@dataclass
class _Candidate:
    reply: int = 0
    strokes: list[Stroke] = field(default_factory=list)
    built: int = 0  # strokes of this reply already splines of the curve
    object_name: str = ""


class LiveView:
    def __init__(self, prompt: str, k: int):
        self.prompt = prompt
        self.k = max(1, k)
        self.token = uuid.uuid4().hex  # tells our collection from any other of the same name
        self.collection_name = ""
        self.candidates: dict[int, _Candidate] = {}

    @property
    def strokes(self) -> int:
        """Strokes received so far, over all candidates' current replies."""
        return sum(len(c.strokes) for c in self.candidates.values())

    @property
    def pending(self) -> bool:
        return any(c.built < len(c.strokes) for c in self.candidates.values())

    def add(self, items: Iterable[LiveStroke]) -> None:
        for item in items:
            c = self.candidates.setdefault(item.candidate, _Candidate(reply=item.reply))
            if item.reply < c.reply:
                continue  # a late stroke of a reply that was already replaced
            if item.reply > c.reply:  # the candidate starts over
                c.reply, c.strokes, c.built = item.reply, [], 0
            if len(c.strokes) < MAX_STROKES:
                c.strokes.append(item.stroke)

    def sync(self, scene: bpy.types.Scene, budget: int = MAX_PER_TICK) -> int:
        """Build up to ``budget`` waiting strokes into the scene; how many were built."""
        coll = self._collection(scene)
        built = 0
        for index in sorted(self.candidates):
            c = self.candidates[index]
            curve = self._curve(coll, index, c)
            if len(curve.splines) != c.built:  # another reply's, or an undo's: start again
                curve.splines.clear()
                c.built = 0
            while c.built < len(c.strokes) and built < budget:
                add_spline(curve, [c.strokes[c.built]])
                c.built += 1
                built += 1
        return built

    def remove(self) -> None:
        """Delete the temporary collection, its objects and their curves (wherever they are now)."""
        for c in self.candidates.values():
            obj = self._object(c)
            if obj is not None:
                data = obj.data
                bpy.data.objects.remove(obj)
                if isinstance(data, bpy.types.Curve) and data.users == 0:
                    bpy.data.curves.remove(data)
        coll = self._found()
        if coll is not None:
            bpy.data.collections.remove(coll)
        self.collection_name = ""

    def keep(self, scene: bpy.types.Scene) -> str:
        """Replace the view by its longest candidate as an ordinary sketch; one line saying what
        (empty when nothing had been drawn)."""
        self.remove()
        best = max(self.candidates.values(), key=lambda c: len(c.strokes), default=None)
        if best is None or not best.strokes:
            return ""
        sketch = Sketch(prompt=self.prompt, strokes=list(best.strokes))
        coll = build_sketch(sketch, SimpleNamespace(scene=scene))  # type: ignore[arg-type]
        coll.name = f"{self.prompt[:48]} (partial)"
        return f"kept the {len(best.strokes)} strokes drawn so far in '{coll.name}'"

    # -- finding what was made, by name ------------------------------------------
    def _found(self) -> bpy.types.Collection | None:
        coll = bpy.data.collections.get(self.collection_name) if self.collection_name else None
        return coll if coll is not None and coll.get(ids.PROP_LIVE) == self.token else None

    def _object(self, c: _Candidate) -> bpy.types.Object | None:
        obj = bpy.data.objects.get(c.object_name) if c.object_name else None
        ours = (
            obj is not None and obj.get(ids.PROP_LIVE) == self.token and isinstance(obj.data, bpy.types.Curve)
        )
        return obj if ours else None

    def _collection(self, scene: bpy.types.Scene) -> bpy.types.Collection:
        coll = self._found()
        if coll is None:
            coll = bpy.data.collections.new(f"{self.prompt[:40]} (drawing)")
            coll[ids.PROP_LIVE] = self.token
            coll.hide_render = True  # a preview, never part of a render
            scene.collection.children.link(coll)
            self.collection_name = coll.name
        return coll

    def _curve(self, coll: bpy.types.Collection, index: int, c: _Candidate) -> bpy.types.Curve:
        obj = self._object(c)
        if obj is None:
            name = f"{self.prompt[:40]} (candidate {index + 1})"
            obj = bpy.data.objects.new(name, new_curve(name))
            obj[ids.PROP_PROMPT] = self.prompt
            obj[ids.PROP_LIVE] = self.token
            obj.location.x = (index % self.k - (self.k - 1) / 2) * SPACING
            c.object_name, c.built = obj.name, 0
        if obj.name not in coll.objects:  # new, or its collection was deleted
            coll.objects.link(obj)
        return obj.data  # type: ignore[return-value]

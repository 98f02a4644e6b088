"""What the operators share: the return type, the selected curves, the backend's client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import bpy

from .. import ids, preferences
from ..client import BackendClient, BackendError
from ..curves import build_sketch
from ..shared.sketch import Sketch

if TYPE_CHECKING:
    from bpy.stub_internal.rna_enums import OperatorReturnItems

    Result = set[Literal[OperatorReturnItems]]
else:
    Result = set


def selected_curves(context: bpy.types.Context) -> list[bpy.types.Object]:
    return [o for o in (context.selected_objects or []) if o.type == "CURVE"]


def home_collection(scene: bpy.types.Scene | None, objects: list[bpy.types.Object]) -> bpy.types.Collection:
    """The first object's collection (the sketch's), else the scene's."""
    for coll in objects[0].users_collection:
        return coll
    assert scene is not None
    return scene.collection


def replace_curves(
    scene: bpy.types.Scene, curves: list[bpy.types.Object], sketch: Sketch
) -> tuple[bpy.types.Collection, list[bpy.types.Object]]:
    """Replace ``curves`` (one sketch's) by ``sketch`` built in their collection, which loses the
    score it kept of them; (that collection, the new objects). Orphaned curve data goes too."""
    home = home_collection(scene, curves)
    for obj in curves:
        data = obj.data
        bpy.data.objects.remove(obj)
        if isinstance(data, bpy.types.Curve) and data.users == 0:
            bpy.data.curves.remove(data)
    for key in (ids.PROP_SCORE, ids.PROP_REWARD):  # they scored the curves as they were
        home.pop(key, None)
    before = set(home.objects)
    build_sketch(sketch, into=home)  # into a collection, it needs no context
    return home, [obj for obj in home.objects if obj not in before]


def client_or_report(
    op: bpy.types.Operator, context: bpy.types.Context, timeout: float | None = None
) -> BackendClient | None:
    """The client the preferences name, or None once the operator reported why there is none."""
    try:
        return preferences.client(context, timeout=timeout)
    except BackendError as e:
        op.report({"ERROR"}, e.message)
        return None


class OnSelectedCurves:
    """Mixed in before an operator's Blender base class: the operator works on the selected curves,
    so it is available only while some are selected (and says so), besides what its base asks."""

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        base = getattr(super(), "poll", None)  # a job operator's; bpy.types.Operator has none
        if base is not None and not base(context):
            return False
        if not selected_curves(context):
            cls.poll_message_set("select the sketch's curves first")  # type: ignore[attr-defined]
            return False
        return True

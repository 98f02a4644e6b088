"""What the operators share: the return type, the selected curves, the backend's client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import bpy

from .. import preferences
from ..client import BackendClient, BackendError

if TYPE_CHECKING:
    from bpy.stub_internal.rna_enums import OperatorReturnItems

    Result = set[Literal[OperatorReturnItems]]
else:
    Result = set


def selected_curves(context: bpy.types.Context) -> list[bpy.types.Object]:
    return [o for o in (context.selected_objects or []) if o.type == "CURVE"]


def home_collection(context: bpy.types.Context, objects: list[bpy.types.Object]) -> bpy.types.Collection:
    """The first object's collection (the sketch's), else the scene's."""
    for coll in objects[0].users_collection:
        return coll
    scene = context.scene
    assert scene is not None
    return scene.collection


def client_or_report(
    op: bpy.types.Operator, context: bpy.types.Context, timeout: float | None = None
) -> BackendClient | None:
    """The client the preferences name, or None once the operator reported why there is none."""
    try:
        return preferences.client(context, timeout=timeout)
    except BackendError as e:
        op.report({"ERROR"}, e.message)
        return None


def poll_selected_curves(cls: type[bpy.types.Operator], context: bpy.types.Context) -> bool:
    if not selected_curves(context):
        cls.poll_message_set("select the sketch's curves first")
        return False
    return True

"""What the operators share: the return type and the selected curves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import bpy

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


def poll_selected_curves(cls: type[bpy.types.Operator], context: bpy.types.Context) -> bool:
    if not selected_curves(context):
        cls.poll_message_set("select the sketch's curves first")
        return False
    return True

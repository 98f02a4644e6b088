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

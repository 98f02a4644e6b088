"""Rows of operator buttons, drawn the same way by the sidebar panels and the preferences."""

from __future__ import annotations

from typing import TYPE_CHECKING

import bpy

from .. import ids

if TYPE_CHECKING:
    from bpy.stub_internal.rna_enums import IconItems

    # One button: (operator id, its text or None for the operator's label, icon).
    Button = tuple[str, str | None, IconItems]
else:
    Button = tuple

# The backend's two buttons, on its panel and in the preferences.
BACKEND_BUTTONS: tuple[Button, ...] = (
    (ids.OP_TEST_CONNECTION, None, "LINKED"),
    (ids.OP_START_BACKEND, None, "PLAY"),
)


def button_row(layout: bpy.types.UILayout, *buttons: Button, align: bool = True) -> None:
    """Operator buttons side by side."""
    row = layout.row(align=align)
    for op, text, icon in buttons:
        if text is None:
            row.operator(op, icon=icon)
        else:
            row.operator(op, text=text, icon=icon)

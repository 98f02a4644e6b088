"""Rows of operator buttons, drawn the same way by the sidebar panels and the preferences."""

from __future__ import annotations

import bpy

from .. import ids

# The backend's two buttons, on its panel and in the preferences.
BACKEND_BUTTONS = ((ids.OP_TEST_CONNECTION, None, "LINKED"), (ids.OP_START_BACKEND, None, "PLAY"))


def button_row(layout: bpy.types.UILayout, *buttons: tuple[str, str | None, str], align: bool = True) -> None:
    """Operator buttons side by side, each (operator id, text or None for the operator's label, icon)."""
    row = layout.row(align=align)
    for op, text, icon in buttons:
        if text is None:
            row.operator(op, icon=icon)
        else:
            row.operator(op, text=text, icon=icon)

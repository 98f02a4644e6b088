"""threedraw: an LLM draws 3D sketches as native Bezier curves (3DrawAgent).

Blender extension entry point. Modules register in order and unregister in
reverse. This package never imports torch: heavy work belongs to the backend.
"""

from __future__ import annotations

from . import operators, panels

# Order matters: panels reference operators.
_MODULES = (operators, panels)


def register() -> None:
    for mod in _MODULES:
        mod.register()


def unregister() -> None:
    for mod in reversed(_MODULES):
        mod.unregister()

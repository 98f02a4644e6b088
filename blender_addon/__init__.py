"""threedraw: an LLM draws 3D sketches as native Bezier curves (3DrawAgent).

Blender extension entry point. The add-on is a client of `threedraw serve`:

    client/       HTTP/JSON to the backend (no bpy: tested with plain pytest)
    jobs/         a worker thread per job, and the one main-thread timer that applies results
    operators/    draw, refine, score, cancel; the backend and its libraries; import/export; conversions
    ui/           the "3DrawAgent" sidebar tab and the status bar
    preferences/  where the backend is and how to start it (never a token)
    converters/   sketch curves to Grease Pencil strokes and to meshes

Modules register in order and unregister in reverse. They are imported by register(), so
importing this package (or its client) needs no Blender. It never imports torch.
"""

from __future__ import annotations

from types import ModuleType


def _modules() -> tuple[ModuleType, ...]:
    from . import operators, preferences, properties, ui
    from .jobs import poller

    # Order matters: panels draw properties and operators; the poller's handler goes last.
    return (properties, preferences, operators, ui, poller)


def register() -> None:
    for mod in _modules():
        mod.register()


def unregister() -> None:
    for mod in reversed(_modules()):
        mod.unregister()

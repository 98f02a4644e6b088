"""threedraw: an LLM draws 3D sketches as native Bezier curves (3DrawAgent).

Blender extension entry point. The add-on is a client of `threedraw serve`:

    client/       HTTP/JSON to the backend, starting it (no bpy: tested with plain pytest)
    jobs/         a worker thread per job, and the one main-thread timer that applies results
    state.py      what the add-on keeps for the session: the backend as seen, jobs, previews
    operators/    draw, refine, score, cancel; the server process (server.py) and its libraries
                  (library.py); import/export; conversions
    ui/           the "3DrawAgent" sidebar tab and the status bar
    preferences/  where the backend is and how to start it (never a token)
    converters/   sketch curves to Grease Pencil strokes and to meshes

Modules register in order and unregister in reverse. They are imported by register(), so
importing this package (or its client) needs no Blender. It never imports torch. Code that
runs on worker threads (client/, jobs/follow.py, jobs/prepare.py) never imports bpy, checked by
tests/test_typecheck.py; panels import no operator module.
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

"""The add-on's preferences: where the backend is and how to start it. Never a token: the
token is read from ``token_file`` when a request needs it."""

from __future__ import annotations

import bpy
from bpy.props import StringProperty

from .. import ids
from ..client import DEFAULT_URL, BackendClient, default_token_file
from ..ui.buttons import BACKEND_BUTTONS, button_row

# The add-on's package ("bl_ext.user_default.threedraw" when installed as an extension).
PACKAGE = __package__.rpartition(".")[0] if __package__ else ids.ADDON_ID
DEFAULT_COMMAND = "threedraw serve"


class THREEDRAW_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = PACKAGE

    backend_url: StringProperty(
        name="Backend URL",
        default=DEFAULT_URL,
        description="Where `threedraw serve` listens (it prints this address when it starts)",
    )
    token_file: StringProperty(
        name="Token File",
        subtype="FILE_PATH",
        default=str(default_token_file()),
        description="The file `threedraw serve` writes its access token to; read at each request, never stored",
    )
    backend_command: StringProperty(
        name="Backend Command",
        default=DEFAULT_COMMAND,
        description="What Start Backend runs (detached, logging to a file); add flags such as --provider local",
    )

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        assert layout is not None
        layout.prop(self, "backend_url")
        layout.prop(self, "token_file")
        layout.prop(self, "backend_command")
        button_row(layout, *BACKEND_BUTTONS, align=False)


def get(context: bpy.types.Context | None = None) -> THREEDRAW_AP_preferences:
    context = context or bpy.context
    prefs = context.preferences
    assert prefs is not None
    addon = prefs.addons.get(PACKAGE)
    if addon is None or addon.preferences is None:
        raise RuntimeError(f"the add-on {PACKAGE} is not enabled")
    return addon.preferences


def client(context: bpy.types.Context | None = None, timeout: float | None = None) -> BackendClient:
    """A client for the backend the preferences name (raises BackendError on a bad URL)."""
    p = get(context)
    c = BackendClient(p.backend_url, p.token_file or None)
    if timeout is not None:
        c.timeout = timeout
    return c


CLASSES = (THREEDRAW_AP_preferences,)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)


def unregister() -> None:
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)

"""The backend process: test the connection, refresh what it knows, start it.

Network calls run on a worker thread through ``poller.call`` (here and now in background
mode); what they learn lands in ``state.SESSION`` (the backend as last seen, the libraries).
"""

from __future__ import annotations

from typing import Any

import bpy

from .. import ids, preferences, properties
from ..client import BackendClient, BackendError, launch
from ..jobs import poller
from ..shared.results import ServerInfo
from ..state import SESSION
from .common import Result, client_or_report


def _status(result: Any, error: str | None) -> None:
    """Store what a refresh learned: the backend's info and its libraries."""
    backend = SESSION.backend
    if error is not None:
        backend.up, backend.info, backend.error = False, None, error
        return
    info, libraries, verdict = result
    backend.up, backend.info, backend.error, backend.check = True, info, None, verdict
    properties.set_libraries(libraries)


def _fetch(client: BackendClient, check: bool = False) -> tuple[ServerInfo, list[str], str | None]:
    """Info and libraries; with ``check``, also GET /v1/check's one-line verdict on the LLM."""
    verdict = None
    if check:
        try:
            verdict = client.check()
        except BackendError as e:
            verdict = f"LLM not checked: {e.message}"
    return client.info(), client.libraries(), verdict


class _AskBackend(bpy.types.Operator):
    """Shared by Test Connection and Refresh (Blender wants each registered class a leaf)."""

    check_llm = False  # Test Connection also asks whether drawing works with the backend's LLM

    def execute(self, context: bpy.types.Context) -> Result:
        check = self.check_llm
        # A check sends a few tiny requests to the LLM: seconds, not milliseconds.
        client = client_or_report(self, context, timeout=60 if check else 5)
        if client is None:
            return {"CANCELLED"}
        if not bpy.app.background:
            poller.call(lambda: _fetch(client, check), _status)
            self.report({"INFO"}, f"asking {client.url} (the Backend panel shows the answer)")
            return {"FINISHED"}
        poller.call(lambda: _fetch(client, check), _status)
        if not SESSION.backend.up:
            self.report({"ERROR"}, str(SESSION.backend.error))
            return {"CANCELLED"}
        self.report({"INFO"}, f"connected to {client.url}: {SESSION.backend.describe()}")
        return {"FINISHED"}


class THREEDRAW_OT_test_connection(_AskBackend):
    """Ask the backend for its version and models, with the token from the token file"""

    bl_idname = ids.OP_TEST_CONNECTION
    bl_label = "Test Connection"
    check_llm = True


class THREEDRAW_OT_refresh(_AskBackend):
    """Refresh the backend's state and its list of libraries"""

    bl_idname = ids.OP_REFRESH
    bl_label = "Refresh"


class THREEDRAW_OT_start_backend(bpy.types.Operator):
    """Start the backend with the command set in the preferences, detached, logging to a file"""

    bl_idname = ids.OP_START_BACKEND
    bl_label = "Start Backend"

    def execute(self, context: bpy.types.Context) -> Result:
        client = client_or_report(self, context, timeout=2)
        if client is None:
            return {"CANCELLED"}
        prefs = preferences.get(context)
        args = launch.start_command(
            prefs.backend_command or preferences.DEFAULT_COMMAND, prefs.backend_url, prefs.token_file
        )
        log = launch.log_path()
        outcome: list[str] = []

        def done(result: Any, error: str | None) -> None:
            if error is not None:
                SESSION.backend.up, SESSION.backend.error = False, error
                outcome.append(error)
                return
            message, pid = result
            if pid is not None:
                SESSION.backend.pid = pid  # the process this session started
            poller.call(lambda: _fetch(client), _status)

        poller.call(lambda: launch.start(client, args, log), done)
        if not bpy.app.background:
            self.report({"INFO"}, f"starting the backend (log: {log})")
            return {"FINISHED"}
        if outcome:
            self.report({"ERROR"}, outcome[0])
            return {"CANCELLED"}
        self.report({"INFO"}, f"{SESSION.backend.describe()} (log: {log})")
        return {"FINISHED"}


CLASSES = (THREEDRAW_OT_test_connection, THREEDRAW_OT_refresh, THREEDRAW_OT_start_backend)

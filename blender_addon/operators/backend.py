"""The backend and its libraries: test the connection, refresh, start it; lessons and export.

Network calls run on a worker thread through ``poller.call`` (here and now in background
mode); what they learn lands in ``properties.backend_status`` and the library lists.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import bpy
from bpy.props import StringProperty
from bpy_extras.io_utils import ExportHelper

from .. import ids, preferences, properties
from ..client import BackendClient, BackendError
from ..jobs import poller
from .common import Result

START_WAIT_S = 60.0
LOG_TAIL_CHARS = 300


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "threedraw"


def log_path() -> Path:
    """Where Start Backend sends the server's output."""
    return _cache_dir() / "serve.log"


def _status(result: Any, error: str | None) -> None:
    """Store what a refresh learned: the backend's info and its libraries."""
    if error is not None:
        properties.backend_status.update(up=False, info=None, error=error)
        return
    info, libraries = result
    properties.backend_status.update(up=True, info=info, error=None)
    properties.set_libraries([str(x["name"]) for x in libraries if isinstance(x, dict) and "name" in x])


def _fetch(client: BackendClient) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    return client.info(), client.libraries()


def describe_backend() -> str:
    """One line: up with its version and models, or down with why."""
    st = properties.backend_status
    if st["up"] is None:
        return "not checked yet"
    if not st["up"]:
        return str(st["error"])
    info = st["info"] or {}
    prov, clip = info.get("provider") or {}, info.get("clip") or {}
    version = (info.get("versions") or {}).get("threedraw", "?")
    clip_name = clip.get("model") or clip.get("pretrained") or "none"
    llm = f"LLM {prov.get('kind', '?')} {prov.get('model') or ''}"
    if "torch" in (info.get("versions") or {}) and info["versions"]["torch"] is None:
        # A core install (no 'clip' layer): drawings are scored by their structure alone.
        return f"threedraw {version}, {llm}, CLIP not installed (structure score only)"
    return f"threedraw {version}, {llm}, CLIP {clip_name} ({clip.get('state', '?')})"


class _AskBackend(bpy.types.Operator):
    """Shared by Test Connection and Refresh (Blender wants each registered class a leaf)."""

    def execute(self, context: bpy.types.Context) -> Result:
        try:
            client = preferences.client(context, timeout=5)
        except BackendError as e:
            self.report({"ERROR"}, e.message)
            return {"CANCELLED"}
        if not bpy.app.background:
            poller.call(lambda: _fetch(client), _status)
            self.report({"INFO"}, f"asking {client.url} (the Backend panel shows the answer)")
            return {"FINISHED"}
        poller.call(lambda: _fetch(client), _status)
        if not properties.backend_status["up"]:
            self.report({"ERROR"}, str(properties.backend_status["error"]))
            return {"CANCELLED"}
        self.report({"INFO"}, f"connected to {client.url}: {describe_backend()}")
        return {"FINISHED"}


class THREEDRAW_OT_test_connection(_AskBackend):
    """Ask the backend for its version and models, with the token from the token file"""

    bl_idname = ids.OP_TEST_CONNECTION
    bl_label = "Test Connection"


class THREEDRAW_OT_refresh(_AskBackend):
    """Refresh the backend's state and its list of libraries"""

    bl_idname = ids.OP_REFRESH
    bl_label = "Refresh"


def _command(prefs: Any) -> list[str]:
    """The start command with the preferences' port and token file added when it names none."""
    args = shlex.split(prefs.backend_command or preferences.DEFAULT_COMMAND)
    parts = urllib.parse.urlsplit(prefs.backend_url)
    if "--port" not in args and parts.port:
        args += ["--port", str(parts.port)]
    if "--host" not in args and parts.hostname:
        args += ["--host", parts.hostname]
    if "--token-file" not in args and prefs.token_file:
        args += ["--token-file", str(Path(prefs.token_file).expanduser())]
    return args


def _wait_healthy(client: BackendClient, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = " ".join(log.read_text(errors="replace")[-LOG_TAIL_CHARS:].split())
            raise BackendError(
                f"the backend exited with status {proc.returncode}: {tail or 'no output'} (log: {log})",
                "start_failed",
            )
        try:
            client.health()
            client.info()  # the token file is written too
            return f"backend started at {client.url} (log: {log})"
        except BackendError:
            time.sleep(0.2)
    raise BackendError(
        f"the backend did not answer at {client.url} within {timeout:g} s (log: {log})", "timeout"
    )


def _start(client: BackendClient, args: list[str], log: Path) -> tuple[str, int | None]:
    """Start the backend unless it answers already (no bpy: runs on a worker with a UI).
    (what happened, the new process's pid or None)."""
    try:
        client.health()
        return f"the backend is already running at {client.url}", None
    except BackendError as e:
        if e.code not in ("not_running", "timeout"):
            raise
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )  # detached: it outlives Blender
    except FileNotFoundError:
        raise BackendError(
            f"cannot start the backend: {args[0]!r} is not on PATH; set Backend Command in the "
            f"add-on's preferences to its full path",
            "start_failed",
        ) from None
    except OSError as e:
        raise BackendError(
            f"cannot start the backend ({args[0]}): {e.strerror or e}", "start_failed"
        ) from None
    return _wait_healthy(client, proc, log, START_WAIT_S), proc.pid


class THREEDRAW_OT_start_backend(bpy.types.Operator):
    """Start the backend with the command set in the preferences, detached, logging to a file"""

    bl_idname = ids.OP_START_BACKEND
    bl_label = "Start Backend"

    def execute(self, context: bpy.types.Context) -> Result:
        try:
            client = preferences.client(context, timeout=2)
        except BackendError as e:
            self.report({"ERROR"}, e.message)
            return {"CANCELLED"}
        args, log = _command(preferences.get(context)), log_path()
        outcome: list[str] = []

        def done(result: Any, error: str | None) -> None:
            if error is not None:
                properties.backend_status.update(up=False, error=error)
                outcome.append(error)
                return
            message, pid = result
            if pid is not None:
                properties.backend_status["pid"] = pid  # the process this session started
            poller.call(lambda: _fetch(client), _status)

        poller.call(lambda: _start(client, args, log), done)
        if not bpy.app.background:
            self.report({"INFO"}, f"starting the backend (log: {log})")
            return {"FINISHED"}
        if outcome:
            self.report({"ERROR"}, outcome[0])
            return {"CANCELLED"}
        self.report({"INFO"}, f"{describe_backend()} (log: {log})")
        return {"FINISHED"}


def _library_name(context: bpy.types.Context) -> str | None:
    name = properties.scene_settings(context.scene).library  # type: ignore[arg-type]
    return None if name in ("", properties.NO_LIBRARY) else str(name)


def _show_lessons(context: bpy.types.Context, name: str, library: dict[str, Any]) -> None:
    sess = properties.session(context)
    sess.lessons.clear()
    for lesson in library.get("lessons", []):
        item = sess.lessons.add()
        item.lesson_id = str(lesson.get("id", ""))
        item.text = str(lesson.get("text", ""))
    sess.lessons_of = name
    sess.lesson_index = min(sess.lesson_index, max(0, len(sess.lessons) - 1))


class _LibraryOperator(bpy.types.Operator):
    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if _library_name(context) is None:
            cls.poll_message_set("choose a library in the Draw panel")
            return False
        return True

    def run(self, context: bpy.types.Context, work: Any, done: Any) -> Result:
        """``work(client)`` off the main thread, then ``done(result)`` on it; errors reported."""
        try:
            client = preferences.client(context)
        except BackendError as e:
            self.report({"ERROR"}, e.message)
            return {"CANCELLED"}
        failed: list[str] = []

        def finish(result: Any, error: str | None) -> None:
            if error is not None:
                failed.append(error)
                properties.backend_status.update(error=error)
                return
            done(result)

        poller.call(lambda: work(client), finish)
        if failed:
            self.report({"ERROR"}, failed[0])
            return {"CANCELLED"}
        return {"FINISHED"}


class THREEDRAW_OT_load_lessons(_LibraryOperator):
    """Show the lessons of the chosen library"""

    bl_idname = ids.OP_LOAD_LESSONS
    bl_label = "Show Lessons"

    def execute(self, context: bpy.types.Context) -> Result:
        name = _library_name(context)
        assert name is not None
        wm = context.window_manager
        return self.run(
            context,
            lambda c: c.library(name),
            lambda lib: _show_lessons(bpy.context, name, lib) if wm is not None else None,
        )


class THREEDRAW_OT_delete_lesson(_LibraryOperator):
    """Delete the chosen lesson from the library (a new version; older versions keep it)"""

    bl_idname = ids.OP_DELETE_LESSON
    bl_label = "Delete Lesson"

    lesson_id: StringProperty(name="Lesson", description="Its id (default: the one chosen in the list)")

    def execute(self, context: bpy.types.Context) -> Result:
        sess = properties.session(context)
        name = sess.lessons_of or _library_name(context)
        lesson_id = self.lesson_id
        if not lesson_id and 0 <= sess.lesson_index < len(sess.lessons):
            lesson_id = sess.lessons[sess.lesson_index].lesson_id
        if not name or not lesson_id:
            self.report({"ERROR"}, "choose a lesson in the list first")
            return {"CANCELLED"}
        result = self.run(
            context,
            lambda c: (c.delete_lesson(name, lesson_id), c.library(name))[1],
            lambda lib: _show_lessons(bpy.context, name, lib),
        )
        if result == {"FINISHED"} and bpy.app.background:
            self.report({"INFO"}, f"deleted lesson {lesson_id} from library {name}")
        return result


class THREEDRAW_OT_export_library(_LibraryOperator, ExportHelper):  # type: ignore[misc]
    """Export the chosen library to a file `threedraw library import` reads"""

    bl_idname = ids.OP_EXPORT_LIBRARY
    bl_label = "Export Library"

    if TYPE_CHECKING:
        filepath: str

    filename_ext = ".json"
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})

    def execute(self, context: bpy.types.Context) -> Result:
        name = _library_name(context)
        assert name is not None
        path = Path(self.filepath)

        def export(client: BackendClient) -> None:  # on the worker: the download and the file
            data = client.export_library(name)
            tmp = path.with_name(f".{path.name}.tmp")
            try:
                tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
                os.replace(tmp, path)
            except OSError as e:
                raise BackendError(f"cannot write {path.name}: {e.strerror or e}", "write_failed") from None

        result = self.run(context, export, lambda _: None)
        if result == {"FINISHED"} and bpy.app.background:
            self.report({"INFO"}, f"exported library {name} to {path.name}")
        return result


CLASSES = (
    THREEDRAW_OT_test_connection,
    THREEDRAW_OT_refresh,
    THREEDRAW_OT_start_backend,
    THREEDRAW_OT_load_lessons,
    THREEDRAW_OT_delete_lesson,
    THREEDRAW_OT_export_library,
)

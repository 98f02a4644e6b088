"""The backend's libraries: show a library's lessons, delete one, export the library to a file.

Network calls run on a worker thread through ``poller.call`` (here and now in background mode);
the lessons land in the window manager's ``threedraw`` properties, errors in ``state.SESSION``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import bpy
from bpy.props import StringProperty
from bpy_extras.io_utils import ExportHelper

from .. import ids, properties
from ..client import library_file
from ..jobs import poller
from ..shared.results import LibraryView
from ..state import SESSION
from .common import Result, client_or_report


def _library_name(context: bpy.types.Context) -> str | None:
    name = properties.scene_settings(context.scene).library  # type: ignore[arg-type]
    return None if name in ("", properties.NO_LIBRARY) else str(name)


def _show_lessons(context: bpy.types.Context, name: str, library: LibraryView) -> None:
    sess = properties.session(context)
    sess.lessons.clear()
    for lesson in library.lessons:
        item = sess.lessons.add()
        item.lesson_id = lesson.id
        item.text = lesson.text
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
        client = client_or_report(self, context)
        if client is None:
            return {"CANCELLED"}
        failed: list[str] = []

        def finish(result: Any, error: str | None) -> None:
            if error is not None:
                failed.append(error)
                SESSION.backend.error = error
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
        result = self.run(context, lambda c: library_file.export_library(c, name, path), lambda _: None)
        if result == {"FINISHED"} and bpy.app.background:
            self.report({"INFO"}, f"exported library {name} to {path.name}")
        return result


CLASSES = (THREEDRAW_OT_load_lessons, THREEDRAW_OT_delete_lesson, THREEDRAW_OT_export_library)

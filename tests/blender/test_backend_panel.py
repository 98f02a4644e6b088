"""The Backend and Library panels' operators against a real backend: connection, refresh,
the lessons list, delete a lesson, export a library, draw with it, and Start Backend."""

from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import subprocess
import time

import bpy
import pytest

from conftest import BACKEND_CLI, MODULE, ROOT, addon_prefs

LESSONS = ["Join every leg to a corner of the seat.", "Draw the backrest as one closed frame."]


def addon(name: str):
    return importlib.import_module(f"{MODULE}.{name}")


@pytest.fixture(scope="module")
def chairs_library(backend, tmp_path_factory):
    """A library on the session's backend, imported with the backend's own command."""
    path = tmp_path_factory.mktemp("lib") / "chairs.json"
    name = f"chairs-{os.getpid()}"
    path.write_text(
        json.dumps({"format": "threedraw.library/1", "name": name, "lessons": [{"text": t} for t in LESSONS]})
    )
    proc = subprocess.run(
        [BACKEND_CLI, "library", "import", str(path), "--data-dir", backend["data_dir"]],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    return name


def test_the_backend_line_says_when_the_backend_has_no_clip_layer(installed):
    status = addon("state").BackendStatus
    read = addon("shared.results").ServerInfo.from_dict
    info = {"versions": {"threedraw": "0.1.0", "torch": None}, "provider": {"kind": "openai", "model": "m"}}
    backend = status(up=True, info=read(info))
    assert backend.describe() == "threedraw 0.1.0, LLM openai m, CLIP not installed (structure score only)"
    info["versions"]["torch"] = "2.14.1"
    info["clip"] = {"model": None, "pretrained": None, "state": "none"}
    backend.info = read(info)
    assert backend.describe().endswith("CLIP none (none)")


def test_refresh_lessons_delete_export_and_draw_with_a_library(connected, backend, chairs_library, tmp_path):
    session = addon("state").SESSION
    assert bpy.ops.threedraw.test_connection() == {"FINISHED"}
    assert session.backend.up is True
    assert session.backend.info.provider.model == "scripted-model"
    assert "scripted-model" in session.backend.describe()
    assert chairs_library in session.library_names
    # Test Connection also asks GET /v1/check whether drawing works with the backend's LLM.
    assert session.backend.check.startswith("drawing works with scripted-model at 127.0.0.1:")
    assert "drawing works with scripted-model" in session.backend.describe()
    scene = bpy.context.scene
    scene.threedraw.library = chairs_library

    assert bpy.ops.threedraw.load_lessons() == {"FINISHED"}
    session = bpy.context.window_manager.threedraw
    assert [x.text for x in session.lessons] == LESSONS
    session.lesson_index = 0
    assert bpy.ops.threedraw.delete_lesson() == {"FINISHED"}
    assert [x.text for x in session.lessons] == LESSONS[1:]

    out = tmp_path / "exported.json"
    assert bpy.ops.threedraw.export_library(filepath=str(out)) == {"FINISHED"}
    data = json.loads(out.read_text())
    assert data["format"] == "threedraw.library/1"
    assert [x["text"] for x in data["lessons"]] == LESSONS[1:]

    assert bpy.ops.threedraw.draw(prompt="a chair", k=1) == {"FINISHED"}
    client = addon("client").BackendClient(backend["url"], backend["token_file"])
    job = client.request("GET", "/jobs?kind=draw&limit=1")["jobs"][0]
    assert client.job(job["id"]).request["library"] == chairs_library


def test_library_operators_name_what_failed(connected, backend):
    scene = bpy.context.scene
    assert not bpy.ops.threedraw.load_lessons.poll(), "no library chosen: the button is off"
    addon("properties").set_libraries(["gone"])
    scene.threedraw.library = "gone"
    with pytest.raises(RuntimeError, match=r"backend: .*gone"):
        bpy.ops.threedraw.load_lessons()


def test_start_backend_launches_the_command_detached_and_waits_for_health(empty_scene, backend, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    prefs = addon_prefs()
    prefs.backend_url = f"http://127.0.0.1:{port}"
    prefs.token_file = str(tmp_path / "token")
    prefs.backend_command = " ".join(
        [
            BACKEND_CLI,
            "serve",
            "--data-dir",
            str(tmp_path / "data"),
            *backend["llm_args"],
            *backend["clip_args"],
        ]
    )
    backend_status = addon("state").SESSION.backend
    assert bpy.ops.threedraw.start_backend() == {"FINISHED"}
    pid = backend_status.pid
    try:
        assert backend_status.up is True
        assert backend_status.info.api == "v1"
        assert (tmp_path / "token").exists(), "the preferences' token file was passed on"
        log = addon("client.launch").log_path()
        assert "listening on" in log.read_text()
        assert bpy.ops.threedraw.start_backend() == {"FINISHED"}  # already up: nothing new starts
        assert backend_status.pid == pid
    finally:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (tmp_path / "token").exists():
        time.sleep(0.1)
    assert not (tmp_path / "token").exists(), "the backend stopped and removed its token"


def test_start_backend_reports_a_command_that_does_not_exist(empty_scene):
    prefs = addon_prefs()
    prefs.backend_url = "http://127.0.0.1:9"
    prefs.backend_command = "no-such-threedraw-command serve"
    with pytest.raises(RuntimeError, match=r"'no-such-threedraw-command' is not on PATH"):
        bpy.ops.threedraw.start_backend()

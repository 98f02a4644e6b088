"""The sidebar's jobs against a real `threedraw serve` (scripted LLM, tiny CLIP), in real Blender:
draw, refine from edited curves, score, cancel, failures, and what a saved .blend holds."""

from __future__ import annotations

import importlib
import json
import subprocess
import time

import bpy
import pytest
from mathutils import Vector

from conftest import BACKEND_CLI, MODULE, ROOT, addon_prefs, blend_bytes, curve_objects, select_only


def addon(name: str):
    return importlib.import_module(f"{MODULE}.{name}")


def read_points(objs):
    return addon("curves").read_sketch(objs).sketch


def scripted_sketch(backend):
    return addon("shared.parser").parse(backend["good_actions"]).sketch


def assert_same_points(a, b, tol=1e-6):
    assert len(a.strokes) == len(b.strokes)
    for sa, sb in zip(a.strokes, b.strokes):
        for pa, pb in zip(sa.points, sb.points):
            assert max(abs(x - y) for x, y in zip(pa, pb)) <= tol, (sa.id, pa, pb)


def client(backend):
    return addon("client").BackendClient(backend["url"], backend["token_file"])


def newest_job(backend, kind):
    return client(backend).request("GET", f"/jobs?kind={kind}&limit=1")["jobs"][0]


def test_background_draw_builds_the_scripted_sketch_with_its_scores(connected, backend):
    assert bpy.ops.threedraw.draw(prompt="a wooden chair", k=3) == {"FINISHED"}
    coll = bpy.data.collections["a wooden chair"]
    assert_same_points(read_points(curve_objects(coll)), scripted_sketch(backend))
    score = json.loads(coll["threedraw_score"])
    assert set(score) == {"clip_mean", "clip_per_view", "structure", "reward"}
    assert len(score["clip_per_view"]) == 2  # the test server scores 2 views
    assert coll["threedraw_job"] == newest_job(backend, "draw")["id"]
    # Only the best candidate unless asked: one collection, visible.
    assert [c.name for c in bpy.context.scene.collection.children] == ["a wooden chair"]


def test_draw_can_keep_the_other_candidates_hidden(connected):
    bpy.context.scene.threedraw.keep_candidates = True
    assert bpy.ops.threedraw.draw(prompt="a lamp", k=2) == {"FINISHED"}
    kids = bpy.context.scene.collection.children
    assert [c.name for c in kids] == ["a lamp", "a lamp (candidate 2)"]
    assert not kids[0].hide_viewport and kids[1].hide_viewport and kids[1].hide_render
    assert kids[0]["threedraw_reward"] >= kids[1]["threedraw_reward"]


def test_panel_draw_button_uses_the_scene_settings_not_the_last_call(connected, backend):
    assert bpy.ops.threedraw.draw(prompt="a lamp", k=2) == {"FINISHED"}
    s = bpy.context.scene.threedraw
    s.prompt, s.k, s.max_strokes = "a vase", 1, 12
    assert bpy.ops.threedraw.draw() == {"FINISHED"}  # what the Draw button runs
    assert "a vase" in bpy.data.collections
    request = client(backend).job(newest_job(backend, "draw")["id"]).request
    assert (request["prompt"], request["k"], request["max_strokes"]) == ("a vase", 1, 12)


def test_refine_from_edited_curves_sends_the_edited_points(connected, backend):
    assert bpy.ops.threedraw.draw(prompt="a stool", k=1) == {"FINISHED"}
    coll = bpy.data.collections["a stool"]
    objs = curve_objects(coll)
    bp = objs[0].data.splines[0].bezier_points[0]
    bp.co = bp.co + Vector((0.05, -0.03, 0.02))  # the artist moves one point
    edited = read_points(objs)
    select_only(objs)
    assert bpy.ops.threedraw.refine(prompt="a stool", rounds=1) == {"FINISHED"}
    sent = newest_job(backend, "refine")
    request = client(backend).job(sent["id"]).request
    assert request["rounds"] == 1 and request["prompt"] == "a stool"
    got = addon("shared.sketch").Sketch.from_dict(request["sketch"])
    assert_same_points(got, edited, tol=1e-9)
    kids = [c.name for c in bpy.context.scene.collection.children]
    assert kids == ["a stool", "a stool (refined)"], "the refined sketch lands in a collection of its own"
    assert bpy.data.collections["a stool (refined)"]["threedraw_job"] == sent["id"]


def test_score_of_selected_curves_equals_the_score_command(connected, backend, tmp_path):
    path = ROOT / "examples" / "chair.json"
    assert bpy.ops.threedraw.import_sketch(filepath=str(path)) == {"FINISHED"}
    objs = curve_objects()
    select_only(objs)
    assert bpy.ops.threedraw.score() == {"FINISHED"}
    coll = objs[0].users_collection[0]
    got = json.loads(coll["threedraw_score"])
    sketch_file = tmp_path / "selected.json"
    read_points(objs).save(sketch_file)
    proc = subprocess.run(
        [BACKEND_CLI, "score", str(sketch_file), "--json", *backend["clip_args"]],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    want = json.loads(proc.stdout)
    assert set(got) == set(want)
    assert got["clip_mean"] == pytest.approx(want["clip_mean"], abs=1e-4)
    assert got["clip_per_view"] == pytest.approx(want["clip_per_view"], abs=1e-4)
    assert got["reward"] == pytest.approx(want["reward"], abs=1e-4)
    assert got["structure"]["total"] == pytest.approx(want["structure"]["total"], abs=1e-4)
    # The panel reads it back from the collection, with the renderer's views as an image.
    assert addon("jobs.results").read_score(objs[0], bpy.context.scene).to_dict() == got
    preview = addon("state").SESSION.score_previews[bpy.context.scene.name]
    image = bpy.data.images.load(preview)
    assert image.size[0] > 0 and image.size[1] > 0
    bpy.data.images.remove(image)


def tick_until(predicate, timeout=30.0):
    poller = addon("jobs.poller")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        poller.tick()  # no timer fires in background mode: the test is the event loop
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_cancel_mid_job_cancels_on_the_server_and_builds_nothing(connected, backend):
    poller = addon("jobs.poller")
    scene = bpy.context.scene
    before = set(bpy.data.objects.keys()), set(bpy.data.collections.keys())
    assert bpy.ops.threedraw.draw(prompt="a chair drawn slowly", k=1, wait=False) == {"FINISHED"}
    act = poller.active(scene)
    assert act is not None
    assert not bpy.ops.threedraw.draw.poll(), "one job at a time per scene"
    tick_until(lambda: bool(act.follower.job_id) and "draw" in act.text)
    assert bpy.ops.threedraw.cancel() == {"FINISHED"}
    tick_until(lambda: poller.active(scene) is None)
    assert act.outcome[0] == "WARNING" and "cancelled" in act.outcome[1]
    assert client(backend).job(act.follower.job_id).state == "cancelled"
    assert (set(bpy.data.objects.keys()), set(bpy.data.collections.keys())) == before
    assert bpy.ops.threedraw.draw.poll()


def test_backend_down_and_wrong_token_are_one_line_reports(connected, tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free once closed: nothing listens there
    prefs = addon_prefs()
    good_url = prefs.backend_url
    prefs.backend_url = f"http://127.0.0.1:{port}"
    with pytest.raises(RuntimeError) as down:
        bpy.ops.threedraw.draw(prompt="a chair", k=1)
    message = str(down.value)
    assert (
        f"backend not running at http://127.0.0.1:{port}: start it with `threedraw serve` or the Start button"
        in message
    )
    assert "Traceback" not in message and message.count("\n") <= 1
    prefs.backend_url = good_url
    wrong = tmp_path / "token"
    wrong.write_text("not-the-token\n")
    wrong.chmod(0o600)  # owner-only, as threedraw serve writes it (the client refuses others)
    prefs.token_file = str(wrong)
    with pytest.raises(RuntimeError, match=r"token rejected: the backend was restarted") as rejected:
        bpy.ops.threedraw.draw(prompt="a chair", k=1)
    assert "Traceback" not in str(rejected.value)
    assert curve_objects() == []


def test_saved_blend_holds_neither_token_nor_api_key(connected, backend, tmp_path):
    assert bpy.ops.threedraw.test_connection() == {"FINISHED"}  # the panel's backend state is filled
    assert addon("state").SESSION.backend.info.provider.api_key_set is True
    assert bpy.ops.threedraw.draw(prompt="a table", k=1) == {"FINISHED"}
    out = tmp_path / "scene.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(out), compress=False)
    data = blend_bytes(out)
    token = open(backend["token_file"]).read().strip()
    assert len(token) > 20
    assert token.encode() not in data
    assert backend["token_file"].encode() not in data
    assert backend["api_key"].encode() not in data
    assert b"a table" in data  # the search itself works: the scene is in there


def test_loading_another_file_cancels_nothing_and_leaves_no_timer(connected, backend, tmp_path):
    poller = addon("jobs.poller")
    other = tmp_path / "other.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(other), copy=True)
    assert bpy.ops.threedraw.draw(prompt="a bench drawn slowly", k=1, wait=False) == {"FINISHED"}
    act = poller.active(bpy.context.scene)
    assert bpy.app.timers.is_registered(poller.tick)
    tick_until(lambda: bool(act.follower.job_id))
    bpy.ops.wm.open_mainfile(filepath=str(other))
    assert poller.any_active() is None
    assert not bpy.app.timers.is_registered(poller.tick), "a timer outlived the file"
    act.follower.join(timeout=5)
    assert not act.follower.alive, "the worker stopped following"
    c = client(backend)
    deadline = time.monotonic() + 30
    while c.job(act.follower.job_id).state in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert c.job(act.follower.job_id).state == "succeeded", "the job went on on the server"
    assert "a bench drawn slowly" not in bpy.data.collections

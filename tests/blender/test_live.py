"""Live strokes in real Blender: a draw whose reply streams (the scripted LLM writes it over about
5 s) grows a temporary collection curve by curve, and the result replaces it; Cancel removes it,
or keeps what was drawn with "keep partial". The poller's ticks are run here as the timer would."""

from __future__ import annotations

import time

import bpy
from test_sidebar import addon, assert_same_points, read_points, scripted_sketch

from conftest import curve_objects

PROMPT = "a chair stroke by stroke"  # backend_stack.LIVE_WORD: streamed at a fixed rate
TIMEOUT_S = 60


def live_collections():
    return [c for c in bpy.data.collections if c.get("threedraw_live")]


def live_splines() -> int:
    return sum(len(o.data.splines) for c in live_collections() for o in c.objects)


def follow(until=lambda: False) -> list[int]:
    """Tick the poller until the job ends (or ``until()``); the live spline count after each tick."""
    poller = addon("jobs.poller")
    counts = []
    deadline = time.monotonic() + TIMEOUT_S
    while poller.active(bpy.context.scene) is not None and time.monotonic() < deadline and not until():
        poller.tick()
        counts.append(live_splines())
        time.sleep(0.05)
    return counts


def test_a_streamed_draw_grows_the_temporary_collection_and_ends_with_exactly_the_final_curves(
    connected, backend
):
    poller = addon("jobs.poller")
    assert bpy.ops.threedraw.draw(prompt=PROMPT, k=2, wait=False) == {"FINISHED"}
    act = poller.active(bpy.context.scene)
    view = act.live
    counts = follow()
    assert act.outcome is not None and act.outcome[0] == "INFO", act.outcome
    expected = scripted_sketch(backend)
    grown = sorted(set(counts) - {0})
    assert len(grown) >= 4, f"the preview should grow in steps while the reply streams, saw {counts}"
    # Strokes that land in the job's last poll are replaced by the result in the same tick.
    assert max(counts) >= len(expected.strokes), "both candidates' strokes were shown"
    shown = [c for c in counts if c]
    assert shown == sorted(shown) and counts[-1] == 0, "it only grows, until the result replaces it"
    for index in (0, 1):  # what was shown live is what the reply held, so far
        live = view.candidates[index].strokes
        assert len(live) >= len(expected.strokes) // 2
        assert_same_points(
            type(expected)(strokes=live), type(expected)(strokes=expected.strokes[: len(live)])
        )
    # The result replaced the preview: nothing of it is left, not even orphan curve data.
    assert live_collections() == []
    final = bpy.data.collections[PROMPT]
    assert [c.name for c in bpy.context.scene.collection.children] == [final.name]
    assert_same_points(read_points(curve_objects(final)), expected)
    assert {o.name for o in bpy.data.objects} == {o.name for o in final.objects}
    assert all(c.users for c in bpy.data.curves)


def test_cancel_removes_the_half_built_preview_unless_keep_partial(connected, backend):
    poller = addon("jobs.poller")
    expected = scripted_sketch(backend)
    for keep in (False, True):
        bpy.context.scene.threedraw.keep_partial = keep
        assert bpy.ops.threedraw.draw(prompt=PROMPT, k=1, wait=False) == {"FINISHED"}
        act = poller.active(bpy.context.scene)
        follow(until=lambda: live_splines() >= 2)
        assert 2 <= live_splines() < len(expected.strokes), "cancelled while the reply was being written"
        assert bpy.ops.threedraw.cancel() == {"FINISHED"}
        follow()
        assert act.outcome is not None and act.outcome[0] == "WARNING", act.outcome
        assert live_collections() == []
        kids = bpy.context.scene.collection.children
        if not keep:
            assert list(kids) == [] and len(bpy.data.objects) == 0 and len(bpy.data.curves) == 0
            assert "nothing was added" in act.outcome[1]
        else:
            (partial,) = kids
            assert partial.name == f"{PROMPT} (partial)" and "kept the" in act.outcome[1]
            kept = read_points(curve_objects(partial))
            assert 2 <= len(kept.strokes) < len(expected.strokes)
            assert_same_points(kept, type(expected)(strokes=expected.strokes[: len(kept.strokes)]))


def test_the_preview_starts_a_candidate_over_spreads_bursts_and_survives_being_deleted(empty_scene):
    live, follow = addon("jobs.live"), addon("jobs.follow")
    Stroke = addon("shared.sketch").Stroke

    def stroke(i):
        return Stroke(
            id=f"s{i}", points=((0, 0, i / 100), (0.1, 0, i / 100), (0.2, 0, i / 100), (0.3, 0, i / 100))
        )

    def splines():
        (coll,) = live_collections()
        return {o.name: len(o.data.splines) for o in coll.objects}

    scene = bpy.context.scene
    view = live.LiveView("a stool", 2)
    view.add([follow.LiveStroke(0, 1, stroke(i)) for i in range(3)] + [follow.LiveStroke(1, 1, stroke(9))])
    assert view.sync(scene) == 4
    assert splines() == {"a stool (candidate 1)": 3, "a stool (candidate 2)": 1}
    # Candidate 1's reply was retried (or the next refine round began): only the new reply shows.
    view.add([follow.LiveStroke(0, 2, stroke(5)), follow.LiveStroke(0, 1, stroke(6))])  # the last is stale
    view.sync(scene)
    assert splines() == {"a stool (candidate 1)": 1, "a stool (candidate 2)": 1}
    # A burst is built over several ticks, at most MAX_PER_TICK strokes each.
    view.add([follow.LiveStroke(1, 1, stroke(i)) for i in range(10, 10 + live.MAX_PER_TICK + 8)])
    assert view.sync(scene) == live.MAX_PER_TICK and view.pending
    assert view.sync(scene) == 8 and not view.pending
    # The artist deleted the preview's collection, then one of its curves, and edited the other:
    # the next tick shows them again, whole.
    bpy.data.collections.remove(live_collections()[0])
    view.add([follow.LiveStroke(0, 2, stroke(7))])
    assert view.sync(scene) == 1
    assert splines() == {"a stool (candidate 1)": 2, "a stool (candidate 2)": 1 + live.MAX_PER_TICK + 8}
    bpy.data.objects.remove(bpy.data.objects["a stool (candidate 1)"])
    bpy.data.objects["a stool (candidate 2)"].data.splines.new("BEZIER")
    view.add([follow.LiveStroke(0, 2, stroke(8))])
    assert view.sync(scene, budget=100) == 3 + 1 + live.MAX_PER_TICK + 8
    assert splines() == {"a stool (candidate 1)": 3, "a stool (candidate 2)": 1 + live.MAX_PER_TICK + 8}
    view.remove()
    assert live_collections() == [] and len(bpy.data.objects) == 0
    assert [c.name for c in bpy.data.curves if c.users] == []  # the one the test deleted is an orphan

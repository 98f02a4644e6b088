"""The Polish button in real Blender against a real backend (tiny CLIP): the Job panel's text follows
the steps, the polished sketch replaces the selected curves in place, and one undo step brings the
unpolished curves back. The poller's ticks are run here as the timer would."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import bpy
import pytest
from test_sidebar import addon, assert_same_points, client, read_points, tick_until

from conftest import curve_objects, select_only

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared sample sketches
from clip_fixtures import chair  # noqa: E402

STEPS = 120  # a few seconds: enough for the poller (every 0.25 s) to see several of them


def test_polish_follows_its_steps_and_replaces_the_curves_in_one_undo_step(connected, backend):
    poller = addon("jobs.poller")
    scene = bpy.context.scene
    sketch = addon("shared.sketch").Sketch.from_dict(chair().to_dict())
    coll = addon("curves").build_sketch(sketch, bpy.context)
    name, objects = coll.name, sorted(o.name for o in curve_objects(coll))
    select_only(curve_objects(coll))
    drawn = read_points(curve_objects(coll))
    bpy.ops.ed.undo_push(message="the chair as drawn")

    assert bpy.ops.threedraw.polish.get_rna_type().name == "Polish"
    assert bpy.ops.threedraw.polish(steps=STEPS, wait=False) == {"FINISHED"}
    act = poller.active(scene)
    texts: list[str] = []
    tick_until(lambda: texts.append(act.text) or poller.active(scene) is None, timeout=120)
    assert act.outcome is not None and act.outcome[0] == "INFO", act.outcome
    assert re.search(rf"polished \d+ curves in '{re.escape(name)}' \({STEPS} steps\): CLIP", act.outcome[1])

    # Live progress: the panel's text went through the steps with their rewards.
    steps = {int(m.group(1)) for t in texts if (m := re.match(rf"polishing (\d+)/{STEPS}: reward ", t))}
    assert len(steps) >= 2 and steps <= set(range(1, STEPS + 1)), texts

    # In place: the same collection, strokes, ids and order, now the job's polished sketch (which is the
    # sketch as drawn when no step beat it: a random-weight CLIP's reward is noise); its score says so.
    polished = read_points(curve_objects(bpy.data.collections[name]))
    assert [s.id for s in polished.strokes] == [s.id for s in drawn.strokes]
    res = addon("shared.results").PolishResult.from_dict(client(backend).job(act.follower.job_id).result)
    assert_same_points(polished, res.sketches[0].sketch, tol=1e-5)
    if res.best_step:
        assert res.largest_move > 1e-4
        with pytest.raises(AssertionError):
            assert_same_points(polished, drawn, tol=1e-5)
    score = addon("jobs.results").read_score(curve_objects(bpy.data.collections[name])[0], scene)
    assert score is not None and score.polish_steps == STEPS
    assert list(scene.collection.children) == [bpy.data.collections[name]]
    assert all(c.users for c in bpy.data.curves), "no orphan curve data left behind"

    # One undo step: the curves as they were, the very objects, nothing of the polish left.
    assert bpy.ops.ed.undo() == {"FINISHED"}
    restored = bpy.data.collections[name]
    assert sorted(o.name for o in curve_objects(restored)) == objects
    assert_same_points(read_points(curve_objects(restored)), drawn)
    assert restored.get(addon("ids").PROP_SCORE) is None

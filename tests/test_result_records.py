"""The library's lessons and events, a learn result's epochs and a run's cost, typed in shared/results:
what the backend makes reads back as exactly the JSON it wrote (key order included), and what the
add-on and the CLI read is attributes."""

from __future__ import annotations

import json

import pytest

from threedraw.cke.step_records import EpochDetail
from threedraw.library.lessons import Lesson, Operation, apply_operations
from threedraw.library.runs import RunStore
from threedraw.shared.results import Event, LessonView, LibraryView, RefineResult, ResultError
from threedraw.shared.results.learn_cost import RunCost
from threedraw.shared.results.learn_result import EpochScores, LearnResult
from threedraw.storage import Database


def same_json(a: object, b: object) -> bool:
    """Equal as JSON text: key order counts."""
    return json.dumps(a) == json.dumps(b)


def test_every_event_the_library_makes_reads_back_as_it_was_written():
    lessons = [Lesson("L1", "Join the legs to the seat at its corners.", "t0", "t0")]
    ops = [
        Operation("modify", "L1", "Join every leg to the seat corner it stands under."),
        Operation("add", text="Draw the backrest as one closed loop of strokes."),
        Operation("delete", "L9"),
        Operation("explode"),
        Operation("keep"),
    ]
    applied = apply_operations(lessons, ops, next_id=2, provenance={"source": "test", "round": 1}, cap=1)
    assert [e.event for e in applied.events] == ["modify", "add", "skip", "skip", "keep", "evict"]
    for e in applied.events:
        wire = json.loads(json.dumps(e.to_dict()))
        assert Event.from_dict(wire) == e and same_json(Event.from_dict(wire).to_dict(), e.to_dict())
    assert list(applied.events[2].to_dict()) == ["event", "op", "reason"]
    assert list(applied.events[0].to_dict()) == ["event", "id", "text", "previous"]
    with pytest.raises(ResultError, match=r"event\.text: expected a string"):
        Event.from_dict({"event": "add", "text": 3})


def test_a_stored_lesson_is_the_view_both_sides_read():
    stored = Lesson.from_dict(
        {"id": "L3", "text": "Keep the legs vertical.", "created_at": "a", "updated_at": "b", "support": 2,
         "provenance": [{"source": "refine", "query": "a chair", "event": "add", "at": "a"}]}
    )  # fmt: skip
    assert isinstance(stored, LessonView)
    wire = json.loads(json.dumps(stored.to_dict()))
    assert list(wire) == ["id", "text", "created_at", "updated_at", "support", "provenance"]
    view = LessonView.from_dict(wire)
    assert same_json(view.to_dict(), wire) and (view.id, view.support) == ("L3", 2)
    assert LibraryView.from_dict({"version": 1, "lessons": [wire]}).lessons == [view]
    assert LessonView.from_dict({"id": "L1", "text": "x"}).support == 1  # an older answer still reads


def test_a_refine_result_reads_its_lessons_and_events_as_types():
    learned = [{"event": "add", "id": "L1", "text": "Close the seat."}]
    wire = {
        "prompt": "a chair",
        "sketches": [],
        "lessons": [{"id": "L1", "text": "Close the seat.", "created_at": "t", "updated_at": "t", "support": 1,
                     "provenance": [{"source": "refine", "round": 1, "event": "add", "at": "t"}]}],
        "learned": learned,
        "library": None,
        "version": None,
        "rounds": [{"round": 1, "rewards": [0.5, None], "best_reward": 0.5, "pair": [0, 1], "skipped": None,
                    "events": [*learned, {"event": "keep"}]}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "cost_usd": None, "cached_prompt_tokens": 0,
                  "reasoning_tokens": 0},
        "calls": 2,
    }  # fmt: skip
    typed = RefineResult.from_dict(wire)
    assert typed.learned[0].text == "Close the seat." and typed.rounds[0].events[1].event == "keep"
    assert typed.lessons[0].provenance[0]["source"] == "refine"
    assert same_json(typed.to_dict(), wire)


@pytest.mark.parametrize(
    ("detail", "keys"),
    [
        (EpochDetail(2), ["lessons"]),
        (EpochDetail(2, train_bests=[]), ["lessons", "train_best_mean"]),
        (
            EpochDetail(3, [0.5, 0.7], [0.6], [0.25], [], "moved"),
            ["lessons", "train_best_mean", "val_rewards", "val_clip_mean", "val_structure_mean", "head_kept"],
        ),
    ],
)
def test_an_epochs_detail_writes_only_the_parts_it_had_and_reads_back_the_same(detail, keys):
    stored = json.loads(json.dumps(detail.to_dict()))
    assert list(stored) == keys
    scores = EpochScores.from_dict(stored)
    assert scores == detail.scores() and same_json(scores.to_dict(), stored)


def test_a_learn_results_epochs_and_cost_read_back_in_order(tmp_path):
    with Database.open(tmp_path) as db:
        runs = RunStore(db)
        run = runs.create("lib", {}, 0)
        priced = {"calls": 3, "draw_calls": 2, "judge_calls": 1, "prompt_tokens": 100, "cost_usd": 0.003}
        for i, usage in enumerate([priced, priced, {"calls": 1, "prompt_tokens": 5}]):
            runs.save_step(run.id, "learn", 1 + i // 2, i % 2, "p", "done", {"usage": usage})
        runs.save_step(run.id, "learn", 2, 1, "p", "scored", {"usage": priced})  # not finished: not counted
        runs.save_step(
            run.id, "val", 0, 0, "p", "done", {"usage": {"calls": 2, "draw_calls": 2, "reasoning_tokens": 4}}
        )
        runs.finish_epoch(run.id, 1, 1, 0.5, EpochDetail(1, [0.4], [0.5]).to_dict())
        cost = runs.cost(run.id)
        wire = {
            "run_id": run.id,
            "library": "lib",
            "epochs": [e.to_dict() for e in runs.epochs(run.id)],
            "best_epoch": 1,
            "best_version": 1,
            "head": 1,
            "cost": cost.to_dict(),
        }
        assert same_json(runs.export(run.id)["cost"], wire["cost"])
    wire = json.loads(json.dumps(wire))
    typed = LearnResult.from_dict(wire)
    assert same_json(typed.to_dict(), wire) and RunCost.from_dict(wire["cost"]) == cost
    [e1, e2] = typed.cost.epochs
    assert (e1.objects, e1.usage.calls, e1.per_object.calls, e1.per_object.cost_usd) == (2, 6, 3.0, 0.003)
    assert (e2.objects, e2.per_object.cost_usd) == (1, None)  # one step's price unknown: the epoch's too
    assert (typed.cost.validation.calls, typed.cost.validation.reasoning_tokens) == (2, 4)
    assert list(wire["cost"]["epochs"][0])[-2:] == ["cost_usd", "per_object"]
    [epoch] = typed.epochs
    assert (epoch.detail.lessons, epoch.detail.train_best_mean, epoch.detail.val_rewards) == (1, 0.4, [0.5])


def test_a_rigs_cameras_read_back_as_written_and_a_bad_matrix_is_named():
    from threedraw.rendering.camera import CameraRig
    from threedraw.shared.results.cameras import CameraSet

    rig = CameraRig(views=3, azimuth=30.0)
    for width in (None, 2.0):
        wire = json.loads(json.dumps(rig.to_json(96, width)))
        typed = CameraSet.from_dict(wire)
        assert same_json(typed.to_dict(), wire) and typed == rig.describe(96, width)
        assert [v.azimuth_degrees for v in typed.views] == [30.0, 150.0, 270.0]
        assert (typed.views[0].stroke_width_world is None) == (width is None)
    wire["views"][1]["world_to_camera"][2] = [0.0, 1.0]
    with pytest.raises(ResultError, match=r"cameras\.views\[1\]\.world_to_camera\[2\]: expected 4 numbers"):
        CameraSet.from_dict(wire)

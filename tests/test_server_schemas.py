"""Job results are typed per kind in the API schema, and pass through it unchanged."""

from __future__ import annotations

import pytest

from threedraw.server.schemas import DrawResult, Job, LearnResult, RefineResult, RenderResult, ScoreResult

IMAGE = {"media_type": "image/png", "width": 4, "height": 4, "data": "iVBORw0KGgo="}
ITEM = {"id": "ab12", "sketch": {"format": "threedraw.sketch/1", "prompt": "p", "strokes": []}, "score": None}
RESULTS = [
    (
        DrawResult,
        {
            "prompt": "p",
            "provider": "local",
            "model": "m",
            "sketches": [{**ITEM, "candidate": 1}],
            "candidates": [{"index": 1, "ok": True}],
            "usage": {"prompt_tokens": 3},
            "preview": IMAGE,
        },
    ),
    (ScoreResult, {"prompt": None, "scores": [{"reward": 0.5}], "best": 0}),
    (
        RenderResult,
        {"views": [{"index": 0, "image": IMAGE}], "contact_sheet": IMAGE, "cameras": {"views": []}},
    ),
    (
        RefineResult,
        {
            "prompt": "p",
            "sketches": [{**ITEM, "round": 1}],
            "lessons": [],
            "learned": [],
            "library": None,
            "version": None,
            "rounds": [],
            "usage": {},
            "calls": 4,
        },
    ),
    (
        LearnResult,
        {
            "run_id": "r1",
            "library": "chairs",
            "epochs": [],
            "best_epoch": None,
            "best_version": None,
            "head": 0,
            "cost": {"epochs": []},
        },
    ),
]


@pytest.mark.parametrize("model, result", RESULTS)
def test_each_kind_of_result_is_read_as_its_own_type_and_comes_back_unchanged(model, result):
    job = Job.model_validate(
        {
            "id": "j1",
            "kind": "x",
            "state": "succeeded",
            "created_at": "t",
            "started_at": None,
            "finished_at": None,
            "progress": {"phase": "done", "updated_at": "t"},
            "error": None,
            "request": {},
            "result": result,
        }
    )
    assert type(job.result) is model
    assert job.model_dump(mode="json")["result"] == result

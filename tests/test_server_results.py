"""The typed results in shared/results: tolerant of what is missing, clear about what is malformed.
(Their wire format against a real server: test_server_jobs.py round-trips every job kind's result.)"""

from __future__ import annotations

import json
import math

import pytest

from conftest import ROOT
from threedraw.addon.jobs.prepare import sketches
from threedraw.addon.shared.results import JobStatus
from threedraw.shared.results import DrawResult, ResultError, Score, ScoreResult, SketchItem

CHAIR = json.loads((ROOT / "examples" / "chair.json").read_text())
FULL = {
    "clip_mean": 0.25,
    "clip_per_view": [0.2, 0.3],
    "structure": {"total": 0.5, "terms": {"joints": 0.5}, "details": {"strokes": 9}},
    "reward": 0.3,
}


def test_a_score_reads_back_what_it_wrote_and_fills_in_what_is_missing():
    assert Score.from_dict(FULL).to_dict() == FULL
    bare = Score.from_dict({"reward": 0.4})
    assert (bare.reward, bare.clip_mean, bare.clip_per_view, bare.structure) == (0.4, None, [], None)
    assert bare.describe() == "reward 0.4000, no CLIP"
    assert Score.from_dict(FULL).describe() == "reward 0.3000, CLIP 0.2500 over 2 views, structure 0.5000"
    assert Score.from_dict({}).reward == 0.0
    assert Score.from_dict({**FULL, "reward": math.nan}).finite().reward == 0.0


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (
            {"sketches": [{"id": "a", "sketch": CHAIR, "score": {**FULL, "reward": "high"}}]},
            "result.sketches[0].score.reward: expected a number",
        ),
        (
            {"sketches": [{"id": "a", "sketch": CHAIR, "score": {**FULL, "structure": {"total": [1]}}}]},
            "result.sketches[0].score.structure.total: expected a number",
        ),
        ({"sketches": [{"id": "a", "score": None}]}, "result.sketches[0].sketch: missing"),
        ({"sketches": {"id": "a"}}, "result.sketches: expected a list"),
        ({"candidates": [{"index": 0, "ok": "yes"}]}, "result.candidates[0].ok: expected true or false"),
        ({"usage": {"prompt_tokens": 1.5}}, "result.usage.prompt_tokens: expected an integer"),
        ({"preview": {"width": 4, "height": 4}}, "result.preview.data: missing"),
    ],
)
def test_a_malformed_field_is_named(result, message):
    with pytest.raises(ResultError, match=rf"^{message}".replace("[", r"\[").replace("]", r"\]")):
        DrawResult.from_dict({"prompt": "a chair", "provider": "p", "model": "m", **result})


def test_repairs_this_version_cannot_read_never_cost_the_sketch():
    change = {"kind": "joint", "strokes": ["s1", "s2"], "onto": [], "distance": 0.01}
    item = SketchItem.from_dict({"id": "a", "sketch": CHAIR, "score": None, "repairs": [change, {"no": 1}]})
    assert [c.to_dict() for c in item.repairs or []] == [change]
    older = SketchItem.from_dict({"id": "a", "sketch": CHAIR, "score": None})  # a backend before repairs
    assert older.repairs is None and "repairs" not in older.to_dict()


def test_the_addon_keeps_the_readable_sketches_and_says_which_were_not():
    job = {
        "id": "j1",
        "result": {
            "prompt": "a chair",
            "sketches": [
                {"id": "bad", "sketch": CHAIR, "score": {"reward": "x"}},
                {"id": "good", "sketch": CHAIR, "score": FULL},
            ],
        },
    }
    ready = sketches(JobStatus.from_dict(job))
    # (the add-on's own copy of shared/, so compared on the wire)
    assert [s.id for s in ready.sketches] == ["good"] and ready.sketches[0].score.to_dict() == FULL
    assert ready.problems == ["sketch 1 of the result: sketches[0].score.reward: expected a number, got 'x'"]


def test_a_score_result_without_scores_or_preview():
    res = ScoreResult.from_dict({"prompt": None, "scores": [FULL], "best": 0})
    assert res.preview is None and res.to_dict() == {"prompt": None, "scores": [FULL], "best": 0}

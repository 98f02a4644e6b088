"""The typed run and job records write exactly the JSON the stores kept before them, and read the
JSON of earlier versions (a missing part is its default)."""

from __future__ import annotations

import json

from test_cke import Teacher, learner
from threedraw.cke.learner import LearnConfig
from threedraw.cke.run_record import ProviderRecord, ScoreRecord
from threedraw.cke.step_records import LearnStep, ValStep
from threedraw.draw.pipeline import DrawConfig, Round
from threedraw.library.runs import RunStore
from threedraw.scoring.reward import ScoreConfig
from threedraw.server.jobs.store import JobStore
from threedraw.shared.results import JobError, JobProgress
from threedraw.shared.results.step_usage import StepUsage
from threedraw.storage import Database
from threedraw.testing.scripted_server import ScriptedServer


def test_a_runs_step_records_read_back_to_the_same_json(tmp_path):
    with ScriptedServer(Teacher()) as srv, Database.open(tmp_path) as db:
        lr = learner(db, srv)
        cfg = LearnConfig(prompts=["a chair", "a stool"], epochs=1, batch=1, draw=DrawConfig(k=2, seed=0))
        run = lr.run(lr.start("lib", cfg).id).run_id
        steps = RunStore(db).steps(run)
        config = RunStore(db).get(run).config
    kinds = {s.kind for s in steps}
    assert kinds == {"learn", "val"} and all(s.status == "done" for s in steps)
    for s in steps:
        typed = (LearnStep if s.kind == "learn" else ValStep).from_dict(s.record)
        assert json.dumps(typed.to_dict()) == json.dumps(s.record)  # the same keys, in the same order
    learned = [LearnStep.from_dict(s.record) for s in steps if s.kind == "learn"]
    assert all(x.judge is not None and x.batch is not None and x.usage.calls == 3 for x in learned)
    assert ProviderRecord.from_dict(config["provider"]).to_dict() == config["provider"]
    assert ScoreRecord.from_dict(config["score"]).to_dict() == config["score"]


def test_a_step_record_in_the_making_reads_with_its_later_parts_missing():
    with_round = {"round": Round("a chair", 0.7, []).to_dict()}
    step = LearnStep.from_dict(with_round)
    assert step.judge is None and step.events is None and step.usage is None and step.batch is None
    assert step.to_dict() == with_round


def test_usage_of_an_older_record_reads_missing_counts_as_zero_and_a_missing_cost_as_unknown():
    u = StepUsage.from_dict({"calls": 4, "draw_calls": 3, "judge_calls": 1, "prompt_tokens": 100})
    assert (u.calls, u.prompt_tokens, u.cached_prompt_tokens, u.reasoning_tokens) == (4, 100, 0, 0)
    assert u.cost_usd is None
    # The keys and order round_usage wrote as a plain dict before StepUsage.
    order = (
        "calls draw_calls judge_calls prompt_tokens completion_tokens cached_prompt_tokens reasoning_tokens"
    )
    assert list(u.to_dict()) == [*order.split(), "cost_usd"]


def test_a_run_record_keeps_file_names_never_paths_and_an_empty_one_holds_nothing(tmp_path):
    weights = tmp_path / "deep" / "weights.pt"
    rec = ScoreRecord.of(ScoreConfig(clip_model=str(tmp_path / "cfg.json"), clip_checkpoint=str(weights)))
    assert rec.clip_model == "cfg.json" and rec.clip_checkpoint == "weights.pt"
    assert str(tmp_path) not in json.dumps(rec.to_dict())
    assert ScoreRecord.from_dict({}) is None and ProviderRecord.from_dict(None) is None
    adapted = ProviderRecord.from_dict(
        {"kind": "openai", "model": "m", "adaptations": {"temperature": "default"}}
    )
    assert adapted is not None and adapted.adaptations == {"temperature": "default"}


def test_a_job_row_is_the_api_json_and_a_listing_leaves_out_request_and_result(tmp_path):
    store = JobStore(tmp_path / "server.sqlite3")
    try:
        store.insert("j1", "draw", {"kind": "draw", "prompt": "a chair"}, JobProgress(message="waiting"))
        store.mark_running("j1")
        assert store.finish("j1", "failed", error=JobError("provider_error", "down", {"status": 503}))
        job = store.get("j1")
        listed = store.list_jobs()
    finally:
        store.close()
    assert job is not None and job.state == "failed" and job.finished and job.error.code == "provider_error"
    d = job.to_dict()
    assert list(d) == [
        "id",
        "kind",
        "state",
        "created_at",
        "started_at",
        "finished_at",
        "progress",
        "error",
        "run_id",
        "request",
        "result",
    ]
    assert d["request"] == {"kind": "draw", "prompt": "a chair"} and d["result"] is None
    assert d["error"] == {"code": "provider_error", "message": "down", "detail": {"status": 503}}
    assert d["progress"]["message"] == "waiting" and d["created_at"].endswith("+00:00")
    assert [x.to_dict() for x in listed] == [{k: v for k, v in d.items() if k not in ("request", "result")}]

"""The CKE loop against a real HTTP server on 127.0.0.1 with scripted replies (the remote LLM),
with the project's own scoring (structure, and a tiny CLIP through the real loading path).

``Teacher`` is the scripted LLM the learning tests share (test_learn_cli and test_eval import it):
it draws a chair or random curves by the request's seed, draws validation sketches by how many
lessons the prompt carries, and judges by adding the next lesson of ``LESSONS``: so whatever
happens to a run, its library must end up holding LESSONS in order, none lost, none twice.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
import threading
from pathlib import Path

import pytest

from clip_fixtures import chair, random_sketch
from llm_fixtures import fast_provider
from threedraw import prompts
from threedraw.cke.learner import LearnConfig, Learner, learn
from threedraw.cke.pairing import pick_pair
from threedraw.cke.refine import REFINE_DRAW, refine
from threedraw.draw.pipeline import DrawConfig, Entry, Round, rank
from threedraw.draw.prompt_sets import load_prompt_set
from threedraw.library.runs import RunStore
from threedraw.library.store import LibraryStore
from threedraw.runtime import Cancelled, StepError
from threedraw.scoring.reward import ScoreConfig, score_sketches
from threedraw.shared.results import Score
from threedraw.shared.sketch import Sketch
from threedraw.storage import Database
from threedraw.testing.scripted_server import Reply, ScriptedServer

# Fixtures taken from the shared fixture modules (tests/blender runs without them).
pytest_plugins = ("clip_fixtures",)

LESSONS = [
    "Join every leg to the seat corner so the end points coincide exactly.",
    "Draw the backrest as two posts and a curved top rail above the seat.",
    "Span at least three quarters of the cube with the whole object.",
    "Never trace an edge twice; every edge appears exactly once.",
    "Start from the silhouette, then add the few parts that identify the object.",
    "Keep supports vertical and symmetric about the object's centre plane.",
    "Close every outline loop so its last point meets its first.",
    "Give round parts four arcs with control points on the tangent lines.",
    "Put small details only after the large masses are placed.",
    "Match left and right halves by mirroring coordinates across x equals zero.",
    "Rest the object on the ground near z minus one, never floating.",
    "Describe each curve with a short part label after the hash sign.",
]


def legs_only() -> Sketch:
    c = chair()
    return Sketch(c.prompt, c.strokes[:4])  # four floating legs: structure 0.48


def no_seat() -> Sketch:
    c = chair()
    return Sketch(c.prompt, c.strokes[:4] + c.strokes[8:])  # structure 0.84


def is_judge(req) -> bool:
    return "judge of 3D sketches" in req.messages[0]["content"]


def lessons_in(req) -> int:
    """How many lessons a request carries: [G1].. in a judge request, '1. ..' in a drawing request."""
    pattern = r"^\[G\d+\] " if is_judge(req) else r"^\d+\. "
    return len(re.findall(pattern, req.last_user_text, re.M))


def judge_reply(n: int) -> str:
    return json.dumps(
        {
            "analysis": "The better sketch joins its legs to the seat.",
            "operations": [{"operation": "add", "content": LESSONS[n % len(LESSONS)]}],
        }
    )


class Teacher:
    """The scripted LLM (see the module docstring). ``hook(req, kind)`` may return a Reply to use instead."""

    def __init__(self, validation=None, hook=None):
        self.validation = validation or (lambda n: chair())
        self.hook = hook
        self.lock = threading.Lock()
        self.counts = {"draw": 0, "val": 0, "judge": 0}

    def kind(self, req) -> str:
        if is_judge(req):
            return "judge"
        return "draw" if req.body["temperature"] == 0.7 else "val"

    def __call__(self, req) -> Reply:
        kind = self.kind(req)
        with self.lock:
            self.counts[kind] += 1
        if self.hook is not None:
            reply = self.hook(req, kind)
            if reply is not None:
                return reply
        if kind == "judge":
            return Reply.completion(judge_reply(lessons_in(req)))
        if kind == "val":
            sketch = self.validation(lessons_in(req))
        else:
            seed = req.body.get("seed") or 0
            sketch = chair() if seed % 2 == 0 else random_sketch(6, seed)
        return Reply.completion(prompts.format_sketch(sketch, json_mode=False))


def learner(db, srv, score=None, **kw) -> Learner:
    return Learner(db, fast_provider(srv, max_retries=0), score or ScoreConfig(), **kw)


def run_lessons(db, run_id) -> list[str]:
    run = RunStore(db).get(run_id)
    return [x.text for x in LibraryStore(db).lessons(run.library, run.work_version)]


# -- pairing ---------------------------------------------------------------------------
def reward(r: float) -> Score:
    """A score with only its reward (read as a record with the other parts missing would be)."""
    return Score.from_dict({"reward": r})


def test_one_ranking_higher_reward_then_the_incumbent_then_the_earlier():
    entries = [
        Entry(0, "drawn", chair(), reward(0.5)),
        Entry(1, "drawn", None, None, error="unreadable"),
        Entry(2, "drawn", chair(), reward(0.7)),
        Entry(3, "given", chair(), reward(0.7)),
        Entry(4, "drawn", chair(), reward(0.5)),
    ]
    assert [e.index for e in rank(entries)] == [3, 2, 0, 4]
    rnd = Round("a chair", 0.7, entries)
    assert rnd.best() is entries[3] and not rnd.no_reply
    assert "candidate 2: unreadable" in rnd.failure_reasons()


def test_pairing_strategies():
    def rnd(*rewards):
        return Round("a chair", 0.7, [Entry(i, "drawn", chair(), reward(r)) for i, r in enumerate(rewards)])

    r = rnd(0.2, 0.9, 0.5, 0.1)
    better, worse = pick_pair(r, "best-worst", random.Random(0))
    assert (better.index, worse.index) == (1, 3)
    better, worse = pick_pair(r, "best-second", random.Random(0))
    assert (better.index, worse.index) == (1, 2)
    seen = set()
    for seed in range(30):
        better, worse = pick_pair(r, "random", random.Random(seed))
        assert better.reward > worse.reward
        seen.add((better.index, worse.index))
    assert len(seen) > 3  # random pairs, always ordered better-first
    assert (
        pick_pair(rnd(0.4, 0.4), "best-worst", random.Random(0)) == "no contrast: both sketches score 0.4000"
    )
    assert pick_pair(rnd(0.4), "best-worst", random.Random(0)).startswith(
        "fewer than two usable sketches (1 of 1)"
    )
    with pytest.raises(ValueError, match="pairing 'worst'"):
        pick_pair(r, "worst", random.Random(0))


# -- the learning loop -------------------------------------------------------------------


def test_learn_runs_end_to_end_with_a_tiny_clip(tmp_path, tiny_clip):
    config, checkpoint = tiny_clip
    score = ScoreConfig(clip_model=str(config), clip_checkpoint=str(checkpoint), views=2, size=64)
    teacher = Teacher()
    events = []
    with ScriptedServer(teacher) as srv, Database.open(tmp_path) as db:
        lr = learner(db, srv, score, progress=events.append)
        run = lr.start(
            "chairs",
            LearnConfig(
                prompts=["a chair", "a stool"],
                validation=["a bench"],
                epochs=2,
                batch=1,
                draw=DrawConfig(k=3, seed=0),
            ),
        )
        result = lr.run(run.id)
        requests = list(srv.requests)
        runs = RunStore(db)
        steps = runs.steps(run.id, "learn")
        run = runs.get(run.id)
        store = LibraryStore(db)
        head = store.info("chairs").head

    assert run.status == "done" and teacher.counts == {"draw": 12, "judge": 4, "val": 3}
    assert [(s.epoch, s.index, s.status) for s in steps] == [
        (1, 0, "done"),
        (1, 1, "done"),
        (2, 0, "done"),
        (2, 1, "done"),
    ]
    for s in steps:
        entries = s.record["round"]["entries"]
        assert len(entries) == 3 and all(e["candidate"]["responses"] for e in entries)
        assert all(
            e["score"]["clip_mean"] is not None and len(e["score"]["clip_per_view"]) == 2 for e in entries
        )
        assert len(s.record["judge"]["judge"]["replies"]) == 1 and s.record["events"][0]["event"] == "add"
        assert s.record["usage"]["calls"] == 4 and s.record["usage"]["prompt_tokens"] > 0
        better, worse = s.record["judge"]["pair"]
        assert entries[better]["score"]["reward"] > entries[worse]["score"]["reward"]
    assert [s.result_version for s in steps] == [1, 2, 3, 4]
    # Lessons learned on one query are used for the next (sequential update), and across epochs.
    draws = [r for r in requests if not is_judge(r) and r.body["temperature"] == 0.7]
    assert [lessons_in(r) for r in draws] == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert f"1. {LESSONS[0]}" in draws[3].last_user_text
    # Epoch 0 scores the starting library; the head is the best-scoring epoch's version.
    scores = [e.score for e in result.epochs]
    assert [e.epoch for e in result.epochs] == [0, 1, 2] and all(isinstance(x, float) for x in scores)
    best = max(range(3), key=lambda i: (scores[i], -i))
    assert result.best_epoch == best and head == result.epochs[best].version == result.head
    cost = result.cost.epochs
    assert [c.per_object.draw_calls for c in cost] == [3.0, 3.0]
    assert [c.per_object.judge_calls for c in cost] == [1.0, 1.0]
    stages = {e.stage for e in events}
    assert {"start", "draw", "judge", "update", "validate", "epoch", "done"} <= stages
    assert events[-1].done == events[-1].total == 2 * 2 + 3 * 1


def test_keep_best_restores_the_best_epoch_when_a_later_one_scores_lower(tmp_path):
    # Validation drawings get better with 1 and 2 lessons and worse with 3: the paper's epoch-3 decline.
    by_lessons = {0: legs_only(), 1: no_seat(), 2: chair()}
    teacher = Teacher(validation=lambda n: by_lessons.get(n, random_sketch(6, 0)))
    with ScriptedServer(teacher) as srv, Database.open(tmp_path) as db:
        lr = learner(db, srv)
        run = lr.start(
            "lib",
            LearnConfig(prompts=["a chair"], validation=["a chair"], epochs=3, draw=DrawConfig(k=2, seed=0)),
        )
        result = lr.run(run.id)
        store = LibraryStore(db)
        info = store.info("lib")
        head_lessons = [x.text for x in store.lessons("lib")]
        latest = run_lessons(db, run.id)
        history = store.head_history("lib")
    scores = [e.score for e in result.epochs]
    assert scores[0] < scores[1] < scores[2] and scores[3] < scores[2]
    assert result.best_epoch == 2 and info.head == result.epochs[2].version == 2
    assert head_lessons == LESSONS[:2] and latest == LESSONS[:3]
    assert "keep-best" in history[-1].reason and "epoch 2" in history[-1].reason
    assert [h.version for h in history] == [0, 1, 2]  # epoch 3 never became the head


def test_without_keep_best_the_last_epoch_is_the_head(tmp_path):
    with ScriptedServer(Teacher()) as srv, Database.open(tmp_path) as db:
        lr = learner(db, srv)
        run = lr.start(
            "lib", LearnConfig(prompts=["a chair"], epochs=2, keep_best=False, draw=DrawConfig(k=2, seed=0))
        )
        result = lr.run(run.id)
        assert [e.score for e in result.epochs] == [None, None] and result.best_epoch is None
        assert [x.text for x in LibraryStore(db).lessons("lib")] == LESSONS[:2]
        assert not RunStore(db).steps(run.id, "val")


def test_cancel_mid_step_then_resume_repeats_nothing(tmp_path):
    teacher = Teacher()
    cancel = threading.Event()

    def progress(p):
        if p.stage == "judge" and (p.epoch, p.index) == (1, 1):
            cancel.set()

    with ScriptedServer(teacher) as srv, Database.open(tmp_path) as db:
        lr = learner(db, srv, progress=progress, cancel=cancel)
        run = lr.start(
            "lib",
            LearnConfig(
                prompts=["a chair", "a stool", "a bench"],
                epochs=1,
                keep_best=False,
                batch=1,
                draw=DrawConfig(k=2, seed=0),
            ),
        )
        with pytest.raises(Cancelled):
            lr.run(run.id)
        runs = RunStore(db)
        assert runs.get(run.id).status == "cancelled"
        assert [(s.index, s.status) for s in runs.steps(run.id)] == [(0, "done"), (1, "scored")]
        assert run_lessons(db, run.id) == LESSONS[:1]
        assert teacher.counts == {"draw": 4, "judge": 1, "val": 0}
        result = learn(db, fast_provider(srv, max_retries=0), ScoreConfig(), "lib", resume=run.id)
        assert runs.get(run.id).status == "done" and result.head == 3
        # The scored step was judged without drawing it again; nothing ran twice.
        assert teacher.counts == {"draw": 6, "judge": 3, "val": 0}
        assert run_lessons(db, run.id) == LESSONS[:3]


def test_an_llm_outage_stops_the_run_resumably(tmp_path):
    teacher = Teacher()
    down = threading.Event()
    teacher.hook = lambda req, kind: Reply.error(503, "service unavailable") if down.is_set() else None
    with ScriptedServer(teacher) as srv, Database.open(tmp_path) as db:
        lr = learner(db, srv)
        run = lr.start(
            "lib",
            LearnConfig(
                prompts=["a chair", "a stool"],
                epochs=1,
                keep_best=False,
                batch=1,
                draw=DrawConfig(k=2, seed=0),
            ),
        )
        original = lr.learn_batch

        def batch_then_fail(run_id, epoch, indices):
            out = original(run_id, epoch, indices)
            down.set()  # the API goes down after the first query
            return out

        lr.learn_batch = batch_then_fail
        with pytest.raises(StepError, match="the LLM gave no reply for 'a stool'.*HTTP 503"):
            lr.run(run.id)
        runs = RunStore(db)
        assert runs.get(run.id).status == "failed" and "HTTP 503" in runs.get(run.id).error
        down.clear()
        learn(db, fast_provider(srv, max_retries=0), ScoreConfig(), "lib", resume=run.id)
        assert runs.get(run.id).status == "done" and run_lessons(db, run.id) == LESSONS[:2]


def test_a_judge_that_never_answers_usefully_is_skipped_and_the_run_goes_on(tmp_path):
    teacher = Teacher(
        hook=lambda req, kind: Reply.completion("Both look fine to me.") if kind == "judge" else None
    )
    with ScriptedServer(teacher) as srv, Database.open(tmp_path) as db:
        lr = learner(db, srv)
        run = lr.start(
            "lib",
            LearnConfig(
                prompts=["a chair", "a stool"], epochs=1, keep_best=False, draw=DrawConfig(k=2, seed=0)
            ),
        )
        lr.run(run.id)
        steps = RunStore(db).steps(run.id)
        assert [s.status for s in steps] == ["done", "done"] and teacher.counts[
            "judge"
        ] == 4  # one repair each
        assert all("unusable, even after a repair" in s.record["judge"]["skipped"] for s in steps)
        assert all(s.record["judge"]["judge"]["replies"] == ["Both look fine to me."] * 2 for s in steps)
        assert LibraryStore(db).lessons("lib") == [] and LibraryStore(db).info("lib").latest == 0


def test_bad_learn_settings_are_named():
    with pytest.raises(ValueError, match="k=1: expected 2 to 16"):
        LearnConfig(prompts=["a chair"], draw=DrawConfig(k=1)).check()
    with pytest.raises(ValueError, match="epochs=0"):
        LearnConfig(prompts=["a chair"], epochs=0).check()
    with pytest.raises(ValueError, match="pairing 'all'"):
        LearnConfig(prompts=["a chair"], pairing="all").check()


# -- refine ------------------------------------------------------------------------------


def test_refine_improves_an_artist_sketch_and_returns_the_lessons(tmp_path):
    start = no_seat()
    [start_score] = score_sketches([start], "a chair", ScoreConfig())
    events = []
    teacher = Teacher()
    with ScriptedServer(teacher) as srv, LibraryStore.open(tmp_path) as store:
        store.create("studio")
        result = refine(
            "a chair",
            fast_provider(srv, max_retries=0),
            ScoreConfig(),
            store=store,
            library="studio",
            commit=True,
            rounds=2,
            draw=dataclasses.replace(REFINE_DRAW, k=2, seed=0),
            start=start,
            progress=events.append,
        )
        requests = list(srv.requests)
        stored = [x.text for x in store.lessons("studio")]
        prov = store.lessons("studio")[0].provenance[0]
    assert result.best_score.reward > start_score.reward and result.best_round == 1
    assert len(result.best) == len(chair()) and result.best.prompt == "a chair"
    assert [e.text for e in result.learned] == LESSONS[:2] and [x.text for x in result.lessons] == LESSONS[:2]
    assert stored == LESSONS[:2] and result.version == 2 and prov["source"] == "refine"
    assert result.calls == 6 and teacher.counts == {"draw": 4, "judge": 2, "val": 0}
    draws = [r for r in requests if not is_judge(r)]
    assert "An artist has already drawn these curves" in draws[0].last_user_text
    assert f"1. {LESSONS[0]}" in draws[2].last_user_text  # round 2 draws with round 1's lesson
    assert result.rounds[0]["draw"]["entries"][-1]["source"] == "given"
    assert [e.stage for e in events] == ["draw", "judge", "update", "draw", "judge", "update", "done"]


K2 = dataclasses.replace(REFINE_DRAW, k=2)


def test_refine_never_returns_worse_than_its_start(tmp_path):
    # Every drawn candidate is worse than the artist's chair: the chair comes back untouched.
    teacher = Teacher(
        hook=lambda req, kind: (
            None if kind == "judge" else Reply.completion(prompts.format_sketch(legs_only(), json_mode=False))
        )
    )
    with ScriptedServer(teacher) as srv:
        result = refine(
            "a chair",
            fast_provider(srv),
            ScoreConfig(),
            lessons=[LESSONS[3]],
            rounds=1,
            draw=K2,
            start=chair(),
        )
    assert result.best_round == 0 and result.best.strokes == chair().strokes
    assert [x.text for x in result.lessons] == [LESSONS[3], LESSONS[1]]
    assert result.version is None


def test_refine_honours_cancel_before_any_call(tmp_path):
    cancel = threading.Event()
    cancel.set()
    with ScriptedServer(Teacher()) as srv:
        with pytest.raises(Cancelled):
            refine("a chair", fast_provider(srv), ScoreConfig(), rounds=1, draw=K2, cancel=cancel)
        assert srv.requests == []


# -- prompt sets -------------------------------------------------------------------------


def test_prompt_sets_built_in_and_from_files(tmp_path):
    m = load_prompt_set("modelnet40")
    assert m.name == "modelnet40" and len(m.prompts) == 40 and "night stand" in m.prompts
    f = load_prompt_set("fine_grained")
    assert f.name == "fine-grained" and len(f.prompts) >= 40 and len(set(f.prompts)) == len(f.prompts)
    path = tmp_path / "mine.txt"
    path.write_text("# my prompts\n\na chair\n  a   stool \n")
    assert load_prompt_set(str(path)).prompts == ("a chair", "a stool")
    path.write_text("a chair\n" + "x" * 3000 + "\n")
    with pytest.raises(ValueError, match="mine.txt, line 2: 3000 characters"):
        load_prompt_set(str(path))
    with pytest.raises(ValueError, match="no such file and no built-in set"):
        load_prompt_set(str(tmp_path / "missing.txt"))
    Path(tmp_path / "empty.txt").write_text("# nothing\n")
    with pytest.raises(ValueError, match="empty.txt: no prompts"):
        load_prompt_set(str(tmp_path / "empty.txt"))


def test_a_run_still_running_elsewhere_is_not_resumed_twice(tmp_path):
    import os
    import socket

    from threedraw.library.runs import RunError

    with ScriptedServer(Teacher()) as srv, Database.open(tmp_path) as db:
        lr = learner(db, srv)
        run = lr.start(
            "lib", LearnConfig(prompts=["a chair"], epochs=1, keep_best=False, draw=DrawConfig(k=2))
        )
        # The parent of this process is alive: as if it were running the run.
        with db.transaction() as c:
            c.execute(
                "UPDATE runs SET owner = ? WHERE id = ?", (f"{socket.gethostname()}:{os.getppid()}", run.id)
            )
        with pytest.raises(RunError, match=f"run {run.id} is still running"):
            lr.resume(run.id)
        # A dead owner (a killed process) is taken over.
        with db.transaction() as c:
            c.execute("UPDATE runs SET owner = ? WHERE id = ?", (f"{socket.gethostname()}:999999999", run.id))
        assert lr.resume(run.id).status == "running"
        lr.run(run.id)
        with pytest.raises(RunError, match="is finished; start a new run"):
            lr.resume(run.id)


def test_two_runs_on_one_library_never_race_on_the_head(tmp_path):
    from threedraw.library.runs import RunError

    # Validation gets better with a lesson: each run's epoch 1 beats its epoch 0.
    teacher = Teacher(validation=lambda n: legs_only() if n == 0 else chair())
    config = LearnConfig(prompts=["a chair"], validation=["a chair"], epochs=1, draw=DrawConfig(k=2, seed=0))
    with ScriptedServer(teacher) as srv, Database.open(tmp_path) as db:
        a, b = learner(db, srv), learner(db, srv)
        run_a = a.start("lib", config)
        with pytest.raises(RunError, match=f"being learned by run {run_a.id} .*--allow-concurrent"):
            b.start("lib", config)
        run_b = b.start("lib", config, allow_concurrent=True)
        result_a = a.run(run_a.id)
        store = LibraryStore(db)
        head_a = store.info("lib").head
        assert head_a == result_a.epochs[1].version != 0
        result_b = b.run(run_b.id)  # its epoch 0 (version 0) arrives after A's best
        assert store.info("lib").head == head_a == result_b.head
        kept = [e.detail.head_kept or "" for e in result_b.epochs]
        assert all(f"head stays at version {head_a}, set elsewhere" in k for k in kept), kept
        assert result_b.best_epoch == 1  # keep-best still compares within run B
        assert not any(run_b.id in h.reason for h in store.head_history("lib"))
        # Once A is done, a new run needs no flag.
        assert learner(db, srv).start("lib", config).status == "running"

"""Batched CKE epochs: the conflict rules, batch 1 as the sequential loop, one version per batch,
prompts drawn, judged and scored together (against the scripted LLM server on 127.0.0.1)."""

from __future__ import annotations

import dataclasses
import json
import time

from llm_fixtures import fast_provider
from test_cke import LESSONS, Teacher, is_judge, learner, lessons_in
from threedraw.cke.batch import Proposal, apply_batch
from threedraw.cke.learner import LearnConfig
from threedraw.draw.concurrent import group_scorer
from threedraw.draw.pipeline import DrawConfig
from threedraw.library.lessons import Lesson, Operation
from threedraw.library.runs import RunStore
from threedraw.library.store import LibraryStore
from threedraw.scoring.reward import ScoreConfig, score_sketches
from threedraw.storage import Database
from threedraw.testing.scripted_server import Reply, ScriptedServer

PROMPTS = ["a chair", "a stool", "a bench", "a table", "a lamp"]


def lesson(lid: str, text: str) -> Lesson:
    return Lesson(lid, text, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z")


def prop(index: int, *ops: Operation) -> Proposal:
    return Proposal(index, PROMPTS[index], ops, {"source": "test", "query_index": index})


BASE = [lesson("L1", LESSONS[0]), lesson("L2", LESSONS[1]), lesson("L3", LESSONS[2])]


# -- the conflict rules (pure) -------------------------------------------------------------


def test_a_lesson_deleted_earlier_in_the_batch_cannot_be_modified_or_deleted_again():
    out = apply_batch(
        BASE,
        [
            prop(0, Operation("delete", "L1")),
            prop(
                1,
                Operation("modify", "L1", LESSONS[5]),
                Operation("delete", "L1"),
                Operation("modify", "L2", LESSONS[6]),
            ),
        ],
        next_id=4,
        cap=16,
        merge_threshold=0.6,
    )
    assert [x.id for x in out.lessons] == ["L2", "L3"] and out.lessons[0].text == LESSONS[6]
    assert [e.to_dict() for e in out.events[0]] == [{"event": "delete", "id": "L1", "text": LESSONS[0]}]
    rejected = out.rejected()
    assert [r.op.to_dict() for r in rejected if r.op] == [
        {"op": "modify", "id": "L1", "text": LESSONS[5]},
        {"op": "delete", "id": "L1"},
    ]
    assert all(
        "L1: deleted earlier in this batch by prompt 1 'a chair'" in (r.reason or "") for r in rejected
    )
    assert out.changed and [e.event for e in out.learned(1)] == ["modify"]


def test_a_lesson_changes_once_per_batch_the_first_prompt_wins():
    out = apply_batch(
        BASE,
        [
            prop(0, Operation("modify", "L2", LESSONS[6])),
            prop(1, Operation("delete", "L2")),
            prop(2, Operation("modify", "L2", LESSONS[7])),
        ],
        next_id=4,
        cap=16,
        merge_threshold=0.6,
    )
    assert [x.text for x in out.lessons] == [LESSONS[0], LESSONS[6], LESSONS[2]]
    assert [(r.reason or "").split(":")[0] for r in out.rejected()] == ["delete L2", "modify L2"]
    assert "modified earlier in this batch by prompt 1" in (out.rejected()[0].reason or "")


def test_near_duplicate_adds_of_a_batch_merge_and_the_cap_evicts():
    twin = "Join each leg to the seat corners so their end points coincide exactly!"
    out = apply_batch(
        BASE,
        [
            prop(0, Operation("add", text=LESSONS[4])),
            prop(1, Operation("add", text=twin)),
            prop(2, Operation("add", text=LESSONS[5])),
        ],
        next_id=4,
        cap=4,
        merge_threshold=0.6,
    )
    assert out.events[1][0].event == "merge" and out.events[1][0].id == "L1"
    assert [e.event for e in out.events[2]] == ["add", "evict"]
    assert len(out.lessons) == 4 and out.next_id == 6 and not out.rejected()


def test_a_batch_of_one_is_the_sequential_step():
    ops = [
        Operation("modify", "L1", LESSONS[6]),
        Operation("delete", "L1"),
        Operation("add", text=LESSONS[7]),
    ]
    from threedraw.library.lessons import apply_operations

    one = apply_batch(BASE, [prop(0, *ops)], next_id=4, cap=16, merge_threshold=0.6, when="t")
    seq = apply_operations(
        BASE, ops, next_id=4, provenance=prop(0).provenance, cap=16, merge_threshold=0.6, when="t"
    )
    assert one.lessons == seq.lessons and one.events == [seq.events] and one.next_id == seq.next_id


# -- batches in the learning loop -------------------------------------------------------


def replay(db, run_id):
    """The run's learn steps' operations re-applied one step at a time with the store's own
    per-step ``apply`` (the sequential loop), into a fresh library: its versions' lessons."""
    runs = RunStore(db)
    store = LibraryStore(db)
    store.create("replay")
    versions, version = [], 0
    for s in sorted(runs.steps(run_id, "learn"), key=lambda s: (s.epoch, s.index)):
        ops = [Operation.from_dict(o) for o in (s.record["judge"]["judge"] or {}).get("operations", [])]
        new, _ = store.apply("replay", ops, base=version, publish=False)
        if new != version:
            versions.append([(x.id, x.text, x.support) for x in store.lessons("replay", new)])
        version = new
    return versions


def start_run(lr, prompts, **config):
    """A learning run on library "lib" drawing K=2 candidates from seed 0, otherwise as ``config`` says."""
    return lr.start("lib", LearnConfig(prompts=prompts, draw=DrawConfig(k=2, seed=0), **config))


def learned_versions(db, library):
    store = LibraryStore(db)
    return [
        [(x.id, x.text, x.support) for x in store.lessons(library, v.version)]
        for v in store.versions(library)[1:]
    ]


def test_batch_1_reproduces_the_sequential_sequence_of_library_versions(tmp_path):
    teacher = Teacher()
    with ScriptedServer(teacher) as srv, Database.open(tmp_path) as db:
        lr = learner(db, srv)
        run = start_run(lr, PROMPTS[:3], epochs=2, keep_best=False, batch=1)
        lr.run(run.id)
        draws = [lessons_in(r) for r in srv.requests if not is_judge(r)]
        versions = learned_versions(db, "lib")
        steps = RunStore(db).steps(run.id, "learn")
        assert versions == replay(db, run.id)
    # Each prompt drew with every lesson of the prompts before it: one version per prompt.
    assert draws == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert [v[-1][1] for v in versions] == LESSONS[:6] and len(versions) == 6
    assert [s.result_version for s in steps] == [1, 2, 3, 4, 5, 6]
    assert all(s.record["batch"]["size"] == 1 for s in steps)


def test_a_batch_draws_and_judges_its_prompts_at_once_and_makes_one_version(tmp_path):
    delay = 0.3
    teacher, slow = slow_teacher(delay)
    groups = []

    def counting(groups_in, config):  # as slow as CLIP on a CPU: rounds finishing meanwhile wait
        groups.append(len(groups_in))
        time.sleep(0.1)
        return group_scorer(score_sketches)(groups_in, config)

    with ScriptedServer(slow) as srv, Database.open(tmp_path) as db:
        lr = learner(db, srv, group_scorer=counting)
        run = start_run(lr, PROMPTS, epochs=1, keep_best=False, batch=4)
        start = time.monotonic()
        lr.run(run.id)
        wall = time.monotonic() - start
        requests = list(srv.requests)
        runs = RunStore(db)
        steps = runs.steps(run.id, "learn")
        store = LibraryStore(db)
        versions = store.versions("lib")
        lessons = store.lessons("lib", runs.get(run.id).work_version)
    # Batch 1 (prompts 1-4): every draw and judge saw the same (empty) library; batch 2 saw its result.
    first = [r for r in requests if lessons_in(r) == 0]
    assert len(first) == 4 * 2 + 4 and all(lessons_in(r) == 1 for r in requests[len(first) :])
    drawn = sorted(r.received_at for r in first if not is_judge(r))
    # The 8 drawings of the batch went out together, but for the endpoint's first request, which
    # goes alone until its reply begins (openai_compat: an adaptation is learned once, not K times).
    assert drawn[-1] - drawn[1] < delay
    assert wall < 5 * 2 * delay  # well under one prompt after another (10 LLM latencies)
    # Four judges proposed the same lesson: merged into one with their support; then batch 2's.
    assert [(x.text, x.support) for x in lessons] == [(LESSONS[0], 4), (LESSONS[1], 1)]
    assert [v.version for v in versions] == [0, 1, 2]
    assert versions[1].source == {
        "source": "learn",
        "run": run.id,
        "epoch": 1,
        "batch": 1,
        "queries": [0, 1, 2, 3],
    }
    assert versions[1].note == f"run {run.id} epoch 1 batch 1, prompts 1-4"
    assert [(s.result_version, s.record["batch"]["number"]) for s in steps] == [(1, 1)] * 4 + [(2, 2)]
    assert [e["event"] for s in steps for e in s.record["events"]] == [
        "add",
        "merge",
        "merge",
        "merge",
        "add",
    ]
    # The candidates of several prompts were scored in one call at least once.
    assert max(groups) >= 2 and sum(groups) == 5 and len(groups) < 5


def test_judges_of_a_batch_that_modify_and_delete_the_same_lesson(tmp_path):
    def judge(req, kind):
        if kind != "judge":
            return None
        text = req.last_user_text
        if "a chair" in text:
            ops = [{"operation": "delete", "id": "G1"}]
        elif "a stool" in text:
            ops = [{"operation": "modify", "id": "G1", "content": LESSONS[8]}]
        else:
            ops = [{"operation": "modify", "id": "G2", "content": LESSONS[9]}]
        return Reply.completion(json.dumps({"analysis": "because", "operations": ops}))

    with ScriptedServer(Teacher(hook=judge)) as srv, Database.open(tmp_path) as db:
        store = LibraryStore(db)
        store.create("lib")
        store.commit("lib", BASE, parent=0, note="seeded")
        lr = learner(db, srv)
        run = start_run(lr, PROMPTS[:3], epochs=1, keep_best=False, batch=3)
        lr.run(run.id)
        steps = RunStore(db).steps(run.id, "learn")
        final = store.lessons("lib", RunStore(db).get(run.id).work_version)
        exported = json.dumps(RunStore(db).export(run.id))
    assert [(x.id, x.text) for x in final] == [("L2", LESSONS[9]), ("L3", LESSONS[2])]
    events = [s.record["events"] for s in steps]
    assert events[0] == [{"event": "delete", "id": "L1", "text": LESSONS[0]}]
    assert events[1] == [
        {
            "event": "reject",
            "op": {"op": "modify", "id": "L1", "text": LESSONS[8]},
            "reason": "modify L1: deleted earlier in this batch by prompt 1 'a chair'; "
            "a lesson changes once per batch",
        }
    ]
    assert events[2][0]["event"] == "modify" and "deleted earlier in this batch" in exported


def slow_teacher(delay: float) -> tuple[Teacher, object]:
    teacher = Teacher()

    def slow(req):
        reply = teacher(req)
        reply.delay = delay
        return reply

    return teacher, slow


def test_validation_and_evaluation_draw_their_prompts_at_once(tmp_path):
    from threedraw.cke.evaluation import EVAL_DRAW, Method, evaluate
    from threedraw.draw.prompt_sets import PromptSet

    delay = 0.3
    teacher, slow = slow_teacher(delay)
    with ScriptedServer(slow) as srv, Database.open(tmp_path) as db:
        lr = learner(db, srv)
        run = start_run(lr, PROMPTS[:1], validation=PROMPTS, epochs=1)
        lr.run(run.id)
        val = sorted(r.received_at for r in srv.requests if not is_judge(r) and r.body["temperature"] == 0.3)
        # Epoch 0's together (but for the endpoint's first request, which goes alone until it is answered).
        assert len(val) == 2 * len(PROMPTS) and val[len(PROMPTS) - 1] - val[1] < delay
        assert [s.index for s in RunStore(db).steps(run.id, "val") if s.epoch == 0] == list(
            range(len(PROMPTS))
        )

        start = time.monotonic()
        sets = [PromptSet("five", tuple(PROMPTS)), PromptSet("one", ("a sofa",))]
        methods = evaluate(
            fast_provider(srv, max_retries=0),
            ScoreConfig(),
            sets,
            [Method("none", []), Method("lessons", [LESSONS[0]])],
            draw=dataclasses.replace(EVAL_DRAW, seed=0),
        )
        drawn = sorted(r.received_at for r in srv.requests if r.received_at >= start)
    # 12 drawings of one LLM latency each, in flight together (concurrency 8) but for the endpoint's
    # first request, which goes alone: the next 7 all reach the server within one latency.
    assert len(drawn) == 12 and drawn[7] - drawn[1] < delay, drawn
    assert [(r.set, r.prompt) for r in methods[0].results] == [("five", p) for p in PROMPTS] + [
        ("one", "a sofa")
    ]
    assert all(r.sketch is not None and r.reward > 0 for m in methods for r in m.results)

"""`threedraw learn` as a user runs it: a real process against the scripted LLM server, killed
with SIGKILL in the middle of a step and resumed with --resume."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from llm_fixtures import SECRET_KEY, scripted_args
from test_cke import LESSONS, Teacher, lessons_in
from threedraw.library.runs import RunStore
from threedraw.library.store import LibraryStore
from threedraw.storage import Database
from threedraw.testing.scripted_server import Reply, ScriptedServer

# Fixtures taken from the shared fixture modules (tests/blender runs without them).
pytest_plugins = ("clip_fixtures",)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EPOCHS, K = 2, 2
PROMPTS = ["a chair", "a stool", "a bench"]


def learn_cmd(srv, data, *extra):
    return [
        sys.executable,
        "-m",
        "threedraw.cli",
        "learn",
        "--data-dir",
        str(data),
        *scripted_args(srv, "--retries", "0", "--timeout", "60"),
        *extra,
    ]


def env():
    return {**os.environ, "THREEDRAW_API_KEY": SECRET_KEY}


def run_learn(cmd, environ=None):
    """Run `threedraw learn` to its end as a user does (a fresh process)."""
    return subprocess.run(cmd, capture_output=True, text=True, env=environ or env(), cwd=ROOT, timeout=120)


def killed_run_args(prompts_file, batch, *extra):
    """A fresh run of the kill-and-resume tests: EPOCHS epochs of K candidates, ``batch`` prompts at once."""
    return [
        "--prompts",
        str(prompts_file),
        *extra,
        "--library",
        "lib",
        "--epochs",
        str(EPOCHS),
        "-k",
        str(K),
        "--seed",
        "0",
        "--batch",
        str(batch),
    ]


def state(data):
    with Database.open(data) as db:
        runs = RunStore(db)
        (run,) = runs.list()
        steps = [(s.kind, s.epoch, s.index, s.status) for s in runs.steps(run.id)]
        lessons = [x.text for x in LibraryStore(db).lessons(run.library, run.work_version)]
        return run, steps, lessons


def hanging_teacher(when):
    """A Teacher whose LLM calls that ``when(req, kind)`` picks never answer while the returned
    event is set (the first process, killed meanwhile); ``hung`` lists their kinds."""
    first_process = threading.Event()
    first_process.set()
    hung = []

    def hook(req, kind):
        if first_process.is_set() and when(req, kind):
            hung.append(kind)
            return Reply.hanging()
        return None

    return Teacher(hook=hook), hung, first_process


def learn_then_kill(cmd, ready, never):
    """Run `threedraw learn` as a user does, and SIGKILL it once ``ready()`` holds."""
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(), cwd=ROOT
    )
    try:
        deadline = time.monotonic() + 90
        while not ready():
            assert proc.poll() is None, proc.communicate()[1][-2000:]
            assert time.monotonic() < deadline, never
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("kill_in", ["judge", "draw"])
def test_kill_9_mid_step_then_resume_loses_nothing_and_repeats_nothing(tmp_path, cli, kill_in):
    """SIGKILL while step 4 (epoch 2, first prompt) waits on the LLM, then --resume."""
    prompts_file = tmp_path / "train.txt"
    prompts_file.write_text("\n".join(PROMPTS) + "\n")
    (tmp_path / "val.txt").write_text("a table\n")
    data = tmp_path / "data"
    step4_seeds = {200_000, 200_001}  # the seeds of epoch 2, prompt 1's candidates (see cke._seed)
    teacher, hung, first_process = hanging_teacher(
        lambda req, kind: (
            kind == "judge" == kill_in
            and lessons_in(req) == 3
            or kind == "draw" == kill_in
            and req.body.get("seed") in step4_seeds
        )
    )
    with ScriptedServer(teacher) as srv:
        learn_then_kill(
            learn_cmd(
                srv, data, *killed_run_args(prompts_file, 1, "--validation", str(tmp_path / "val.txt"))
            ),
            lambda: len(hung) >= (1 if kill_in == "judge" else K),
            "the run never reached step 4",
        )
        first_process.clear()

        # What the killed process left: steps 1-3 done, step 4 scored (killed in the judge call) or absent.
        run, steps, lessons = state(data)
        assert run.status == "running"  # it had no chance to say otherwise
        learned = [s for s in steps if s[0] == "learn"]
        assert learned[:3] == [("learn", 1, i, "done") for i in range(3)]
        assert learned[3:] == ([("learn", 2, 0, "scored")] if kill_in == "judge" else [])
        assert lessons == LESSONS[:3]
        before = dict(teacher.counts)

        record = tmp_path / "record.json"
        r = run_learn(learn_cmd(srv, data, "--resume", "--library", "lib", "--record", str(record)))
        assert r.returncode == 0, r.stderr[-3000:]

    run, steps, lessons = state(data)
    assert run.status == "done"
    assert [s for s in steps if s[0] == "learn"] == [
        ("learn", e, i, "done") for e in (1, 2) for i in range(3)
    ]
    assert [s for s in steps if s[0] == "val"] == [("val", e, 0, "done") for e in range(EPOCHS + 1)]
    # No lesson lost, none learned twice: one per step, in order.
    assert lessons == LESSONS[:6]
    # Nothing finished was redone: only the interrupted LLM call(s) went out again.
    steps_total = EPOCHS * len(PROMPTS)
    expected = {"draw": steps_total * K, "judge": steps_total, "val": EPOCHS + 1}
    expected[kill_in] += 1 if kill_in == "judge" else K
    assert teacher.counts == expected, (before, teacher.counts)
    # The record holds every candidate, score, judge reply and operation, and no key or machine path.
    text = record.read_text()
    rec = json.loads(text)
    assert rec["run"]["status"] == "done" and len(rec["steps"]) == steps_total + EPOCHS + 1
    step = next(s for s in rec["steps"] if s["kind"] == "learn" and s["epoch"] == 2 and s["index"] == 0)
    assert len(step["record"]["round"]["entries"]) == K
    assert all(
        e["candidate"]["responses"] and e["score"]["structure"]["total"] > 0
        for e in step["record"]["round"]["entries"]
    )
    assert (
        json.loads(step["record"]["judge"]["judge"]["replies"][0])["operations"][0]["content"] == LESSONS[3]
    )
    assert step["record"]["events"][0] == {"event": "add", "id": "L4", "text": LESSONS[3]}
    assert SECRET_KEY not in text and str(tmp_path) not in text and "127.0.0.1" not in text
    per = rec["cost"]["epochs"][0]["per_object"]
    assert per["draw_calls"] == K and per["judge_calls"] == 1 and per["prompt_tokens"] > 0
    # What the user saw: plain progress lines (stderr is not a terminal) and a summary.
    assert "threedraw learn: [" in r.stderr and "\r" not in r.stderr
    assert f"run {run.id}: library lib, head is version" in r.stdout
    assert "epoch 1 per object: 3.0 LLM calls (2.0 draw, 1.0 judge)" in r.stdout
    assert SECRET_KEY not in r.stdout + r.stderr


def steps_of(data):
    try:
        return state(data)[1]
    except Exception:  # the run is not created yet
        return []


@pytest.mark.parametrize("kill_in", ["judge", "draw"])
def test_kill_9_mid_batch_then_resume_loses_nothing_and_repeats_nothing(tmp_path, kill_in):
    """A batch of all 3 prompts: SIGKILL once prompts 1-2 are judged and prompt 3 waits on its
    judge (or on its drawings), then --resume: one library version per batch, nothing twice."""
    prompts_file = tmp_path / "train.txt"
    prompts_file.write_text("\n".join(PROMPTS) + "\n")
    data = tmp_path / "data"
    teacher, hung, first_process = hanging_teacher(
        lambda req, kind: (
            kind == ("judge" if kill_in == "judge" else "draw")
            and "a bench" in req.last_user_text
            and lessons_in(req) == 0
        )
    )
    with ScriptedServer(teacher) as srv:
        learn_then_kill(
            learn_cmd(srv, data, *killed_run_args(prompts_file, 3, "--no-keep-best")),
            lambda: hung and [s[3] for s in steps_of(data)][:2] == ["judged", "judged"],
            "the batch never reached its last judge",
        )
        first_process.clear()
        run, steps, lessons = state(data)
        assert steps == [("learn", 1, 0, "judged"), ("learn", 1, 1, "judged")] + (
            [("learn", 1, 2, "scored")] if kill_in == "judge" else []
        )
        assert lessons == []  # nothing of the batch applied yet
        r = run_learn(learn_cmd(srv, data, "--resume", "--library", "lib"))
        assert r.returncode == 0, r.stderr[-3000:]

    run, steps, lessons = state(data)
    assert run.status == "done" and steps == [("learn", e, i, "done") for e in (1, 2) for i in range(3)]
    # Each batch's three judges proposed the same lesson: merged once, support 3; none applied twice.
    with Database.open(data) as db:
        store = LibraryStore(db)
        final = store.lessons("lib", run.work_version)
        versions = store.versions("lib")
    assert [(x.text, x.support) for x in final] == [(LESSONS[0], 3), (LESSONS[1], 3)]
    assert [(v.version, v.source.get("epoch"), v.source.get("batch")) for v in versions] == [
        (0, None, None),
        (1, 1, 1),
        (2, 2, 1),
    ]
    # Only the interrupted calls went out again: prompt 3's judge, or its K drawings.
    calls = EPOCHS * len(PROMPTS)
    expected = {
        "draw": calls * K + (K if kill_in == "draw" else 0),
        "judge": calls + (kill_in == "judge"),
        "val": 0,
    }
    assert teacher.counts == expected


@pytest.mark.parametrize(
    "args, message",
    [
        (["--library", "lib"], "give --prompts FILE|SET and --library NAME"),
        (
            ["--prompts", "nope.txt", "--library", "lib"],
            "prompts 'nope.txt': no such file and no built-in set",
        ),
        (["--prompts", "modelnet40", "--library", "lib", "-k", "1"], "k=1: expected 2 to 16"),
        (["--prompts", "modelnet40", "--library", "../lib"], "library name '../lib'"),
        (["--resume", "--library", "lib"], "no unfinished run of library lib to resume"),
        (["--resume", "--prompts", "modelnet40"], "drop --prompts and --validation"),
        (
            ["--resume", "--batch", "8", "-k", "5"],
            "--resume goes on with the run's own settings; drop -k, --batch",
        ),
    ],
)
def test_learn_cli_errors_are_one_clear_line(cli, tmp_path, args, message):
    d = ["--data-dir", str(tmp_path / "data"), "--base-url", "http://127.0.0.1:9/v1", "--model", "m"]
    r = cli("learn", *args, *d)
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_lines_elsewhere():
    from threedraw.cli.output import ProgressPrinter
    from threedraw.runtime import Progress

    events = [
        Progress("draw", "epoch 1/1, prompt 1/2 'a chair': drawing 2 candidates", 0, 2, 1, 0),
        Progress("update", "epoch 1/1, prompt 1/2 'a chair': add L1", 1, 2, 1, 0),
        Progress("epoch", "epoch 1 finished", 2, 2, 1),
    ]
    tty, log = _Terminal(), io.StringIO()
    for p in events:
        ProgressPrinter("learn", tty)(p)
        ProgressPrinter("learn", log)(p)
    assert tty.getvalue().count("\r") == 3 and tty.getvalue().count("\n") == 1
    assert "[############............] 1/2" in tty.getvalue()
    assert log.getvalue().splitlines() == [
        "threedraw learn: [0/2] epoch 1/1, prompt 1/2 'a chair': drawing 2 candidates",
        "threedraw learn: [1/2] epoch 1/1, prompt 1/2 'a chair': add L1",
        "threedraw learn: [2/2] epoch 1 finished",
    ]


@pytest.mark.parametrize("command", ["draw", "learn", "eval"])
def test_size_defaults_in_help_are_the_ones_used(command, capsys):
    from threedraw.cli import main
    from threedraw.llm.factory import KIND_DEFAULTS

    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    local, api = KIND_DEFAULTS["local"], KIND_DEFAULTS["openai-compatible"]
    assert f"(default: {local.max_strokes} local, {api.max_strokes} API)" in text
    assert f"(default: {local.max_tokens} local, {api.max_tokens} API)" in text


def test_an_empty_head_kept_on_a_tie_is_said(tmp_path, capsys):
    """The scripted validation drawing ignores the lessons, so every epoch ties with epoch 0 (no lessons)."""
    from threedraw.cli import main

    (tmp_path / "train.txt").write_text("a chair\n")
    (tmp_path / "val.txt").write_text("a table\n")
    with ScriptedServer(Teacher()) as srv:
        args = [
            "learn",
            "--data-dir",
            str(tmp_path / "data"),
            *scripted_args(srv, "--retries", "0"),
            "--prompts",
            str(tmp_path / "train.txt"),
            "--validation",
            str(tmp_path / "val.txt"),
            "--library",
            "lib",
            "--epochs",
            "1",
            "-k",
            "2",
            "--seed",
            "0",
        ]
        assert main(args) == 0
    out = capsys.readouterr().out
    assert (
        "note: the head (epoch 0, version 0) holds no lessons, so --library lib draws without experience: "
        "epoch 1 scored the same on validation" in out
    )
    assert (
        "a tie keeps the earlier epoch; to draw with epoch 1's" in out
        and "threedraw library restore lib 1" in out
    )


def test_resume_takes_the_runs_own_provider_and_scorer_and_refuses_a_contradicting_flag(tmp_path, tiny_clip):
    """A run stopped by an outage resumes without --model or --views: the record's are used."""
    config, checkpoint = tiny_clip
    prompts_file = tmp_path / "train.txt"
    prompts_file.write_text("\n".join(PROMPTS) + "\n")
    data = tmp_path / "data"
    down = threading.Event()
    down.set()

    def hook(req, kind):
        return Reply.error(503, "down") if down.is_set() and "a stool" in req.last_user_text else None

    clip = ["--clip-model", str(config), "--clip-checkpoint", str(checkpoint)]
    with ScriptedServer(Teacher(hook=hook)) as srv:
        r = run_learn(
            learn_cmd(
                srv,
                data,
                "--prompts",
                str(prompts_file),
                "--library",
                "lib",
                "--epochs",
                "1",
                "-k",
                str(K),
                "--no-keep-best",
                "--batch",
                "1",
                "--views",
                "2",
                "--seed",
                "0",
                "--score-size",
                "64",
                *clip,
            )
        )
        assert r.returncode == 2 and "resume with: threedraw learn --resume" in r.stderr, r.stderr[-2000:]
        down.clear()
        base = [sys.executable, "-m", "threedraw.cli", "learn", "--data-dir", str(data), "--resume"]
        api = {**env(), "THREEDRAW_BASE_URL": srv.base_url}

        def resume(*extra, environ=api):
            return run_learn([*base, *extra], environ)

        refused = [
            (
                resume(*clip, "--model", "other-model"),
                "learned with the model 'scripted'; --model 'other-model'",
            ),
            (resume(*clip, "--views", "4"), "learned with views 2; --views 4 contradicts it"),
            (
                resume(*clip, "--provider", "local"),
                "learned with the provider 'openai-compatible'; --provider 'local'",
            ),
            (resume(), "scored with the CLIP checkpoint tiny-clip-test.pt: give --clip-checkpoint PATH"),
            (
                resume("--clip-model", str(config), "--clip-checkpoint", str(config)),
                "the CLIP checkpoint 'tiny-clip-test.pt'; --clip-checkpoint 'tiny-clip-test.json'",
            ),
            (
                resume(*clip, environ=env()),
                "drew with openai-compatible model 'scripted': give its --base-url",
            ),
        ]
        for done, message in refused:
            assert done.returncode == 2 and message in done.stderr, (message, done.stderr[-2000:])
            assert done.stderr.count("\n") == 1
        before = len(srv.requests)
        ok = resume(
            *clip
        )  # no --model, --views, --score-size or --base-url flag: the record's (and the env's URL)
        assert ok.returncode == 0, ok.stderr[-3000:]
        models = {req.body["model"] for req in srv.requests[before:]}
    run, steps, lessons = state(data)
    assert run.status == "done" and models == {"scripted"} and lessons == LESSONS[:3]
    with Database.open(data) as db:
        for s in RunStore(db).steps(run.id, "learn"):
            assert all(len(e["score"]["clip_per_view"]) == 2 for e in s.record["round"]["entries"])

"""--loop-limit reaches the drawing from every command that draws: learn, eval and serve (draw's own
test is in test_loops.py). The scripted LLM writes a stroke, another one twelve times, then four new
ones: a drawing cut N strokes into the loop keeps 1 + N strokes (2 once repair drops the repeats), an
uncut one 17 (6 repaired)."""

from __future__ import annotations

import json

from llm_fixtures import scripted_args
from server_fixtures import llm_args, server_env, start_server, wait_job
from test_loops import action, rung
from test_server_jobs import submit
from threedraw.cli import main
from threedraw.shared.results import DrawResult
from threedraw.testing.scripted_server import Reply, ScriptedServer

STROKES = [action(rung(0)), *[action(rung(1))] * 12, *[action(rung(i)) for i in range(2, 6)]]
LOOPED = Reply.completion("<curves>\n" + "".join(STROKES) + "</curves>\n")

# Fixtures taken from the shared fixture modules (tests/blender runs without them).
pytest_plugins = ("server_fixtures",)


def test_learn_draws_with_its_loop_limit_and_its_record_keeps_it(tmp_path):
    (tmp_path / "train.txt").write_text("a ladder\n")
    record = tmp_path / "run.json"
    with ScriptedServer(default=LOOPED) as srv:
        args = ["learn", "--data-dir", str(tmp_path / "data"), *scripted_args(srv, "--retries", "0")]
        args += ["--prompts", str(tmp_path / "train.txt"), "--library", "lib", "--epochs", "1", "-k", "2"]
        args += ["--no-keep-best", "--loop-limit", "2", "--record", str(record)]
        assert main(args) == 0
    text = record.read_text()
    assert json.loads(text)["run"]["config"]["learn"]["loop_limit"] == 2
    assert "stopped a looping reply after 3 strokes" in text  # 1 + 2


def test_eval_draws_with_its_loop_limit(tmp_path, capsys):
    (tmp_path / "set.txt").write_text("a ladder\n")
    with ScriptedServer(default=LOOPED) as srv:

        def strokes(limit: str) -> int:
            out = tmp_path / f"out{limit}"
            args = ["eval", "--prompts", str(tmp_path / "set.txt"), "--out", str(out), "--loop-limit", limit]
            assert (
                main([*args, "--data-dir", str(tmp_path / "data"), *scripted_args(srv, "--retries", "0")])
                == 0
            )
            ((row,),) = [m["results"] for m in json.loads((out / "results.json").read_text())["methods"]]
            return row["strokes"]

        assert (strokes("2"), strokes("0")) == (2, 6)  # cut in the loop, or not (repaired: no repeats)
        capsys.readouterr()
        assert main(["eval", "--prompts", str(tmp_path / "set.txt"), "--loop-limit", "-1"]) == 2
        assert "loop limit -1: expected 0 (off) to 1000 strokes" in capsys.readouterr().err
        assert len(srv.requests) == 2  # the bad value was refused before any request


def test_serve_s_loop_limit_is_its_jobs_default_and_a_request_may_give_its_own(tmp_path):
    home = tmp_path / "serve"
    with ScriptedServer(default=LOOPED) as llm:
        srv = start_server(home, *llm_args(llm), "--loop-limit", "2", env=server_env(home))
        try:
            with srv.client() as client:

                def strokes(**extra: int) -> int:
                    job = submit(client, {"kind": "draw", "prompt": "a ladder", "repair": False, **extra})
                    done = wait_job(client, job["id"])
                    assert done["state"] == "succeeded", done
                    return len(DrawResult.from_dict(done["result"]).sketches[0].sketch.strokes)

                assert strokes() == 3  # the server's --loop-limit 2
                assert strokes(loop_limit=0) == 17  # the request's: never stop
                assert strokes(loop_limit=4) == 5
        finally:
            srv.stop()

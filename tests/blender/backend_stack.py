"""A real backend for the Blender tests, run by the MAIN venv's python so that torch never
enters a Blender test process: the scripted LLM server, a tiny CLIP, and `threedraw serve`.

    python tests/blender/backend_stack.py HOME

prints one JSON line {url, token_file, clip_args, data_dir} once the server answers, and
serves until its stdin closes. Drawing requests get the worked example's sketch; a prompt
containing SLOW_WORD waits SLOW_S seconds per LLM call (to cancel mid-job), one containing LIVE_WORD
streams its reply at a fixed rate (to watch it grow); judges get a lesson.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))

from clip_fixtures import make_tiny_clip  # noqa: E402
from llm_fixtures import GOOD_ACTIONS  # noqa: E402
from server_fixtures import JUDGE_REPLY, clip_args, llm_args, server_env, start_server  # noqa: E402

# The one backend module path the Blender tests name (the scripted stand-in for a remote LLM API).
from threedraw.bench.stream import reply as ladder_reply  # noqa: E402
from threedraw.testing.scripted_server import RecordedRequest, Reply, ScriptedServer  # noqa: E402

SLOW_WORD = "slowly"
# The server holds an API key, as with a real provider, so tests can look for it where it must not be.
API_KEY = "sk-threedraw-test-key-that-must-never-leave-the-backend"
SLOW_S = 2.0
LIVE_WORD = "stroke by stroke"
LIVE_CHUNK = dict(chunk_chars=16, chunk_delay=0.1)  # 40 tokens/s: the 8-stroke reply over about 5 s
LADDER_WORD = "ladder"  # with LIVE_WORD: the 24-stroke reply of `threedraw bench stream` (bench_poller.py)


def script(req: RecordedRequest) -> Reply:
    system = next((m.get("content", "") for m in req.messages if m.get("role") == "system"), "")
    if isinstance(system, str) and "You are a judge" in system:
        return Reply.completion(JUDGE_REPLY)
    if LIVE_WORD in req.last_user_text:
        return Reply.completion(
            ladder_reply() if LADDER_WORD in req.last_user_text else GOOD_ACTIONS, **LIVE_CHUNK
        )
    return Reply.completion(GOOD_ACTIONS, delay=SLOW_S if SLOW_WORD in req.last_user_text else 0.0)


def main() -> None:
    home = Path(sys.argv[1])
    config, checkpoint = make_tiny_clip(home / "clip")
    clip = clip_args(config, checkpoint)
    with ScriptedServer(script) as llm:
        server = start_server(
            home / "serve", *llm_args(llm), *clip, env=server_env(home / "serve", THREEDRAW_API_KEY=API_KEY)
        )
        try:
            print(
                json.dumps(
                    {
                        "url": server.url,
                        "token_file": str(server.token_file),
                        "clip_args": clip,
                        "llm_args": llm_args(llm),
                        "api_key": API_KEY,
                        "data_dir": str(server.data_dir),
                        "good_actions": GOOD_ACTIONS,
                    }
                ),
                flush=True,
            )
            sys.stdin.read()  # until the tests close it
        finally:
            server.stop()


if __name__ == "__main__":
    main()

"""Live strokes: when the first and last strokes of a streamed reply reach the caller.

The scripted server streams a 24-stroke reply at 40 tokens/s (16 characters every 0.1 s, about
4 characters a token) over real HTTP; the drawing agent reports each stroke as the incremental
parser completes it. Targets: the first stroke at most 15% into the reply, the last at most 0.3 s
after it ends; streaming costs the same tokens as a plain request.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from ..draw import agent
from ..llm.openai_compat import OpenAICompatProvider
from ..testing.scripted_server import Reply, ScriptedServer

STROKES = 24
CHUNK_CHARS = 16
CHUNK_DELAY_S = 0.1  # 4 tokens every 0.1 s: 40 tokens/s


def reply(n: int = STROKES) -> str:
    lines = (
        f"draw_bezier[(0, 0, {i / 40:.3f}), (0.1, 0.2, {i / 40:.3f}), (0.2, 0.2, {i / 40:.3f}), "
        f"(0.3, 0, {i / 40:.3f})]  # rung {i}\n"
        for i in range(n)
    )
    return "<curves>\n" + "".join(lines) + "</curves>\n"


def run_benchmark(args: argparse.Namespace | None = None) -> dict[str, Any]:
    text = reply()
    streamed = Reply.completion(text, chunk_chars=CHUNK_CHARS, chunk_delay=CHUNK_DELAY_S, usage=(900, 560))
    with ScriptedServer([streamed, Reply.completion(text, usage=(900, 560))]) as srv:
        times: list[float] = []

        def heard(candidate: int, stroke: object) -> None:
            if stroke is not None:  # None announces the reply, it is no stroke
                times.append(time.monotonic() - start)

        start = time.monotonic()
        (live,) = agent.draw(
            OpenAICompatProvider(srv.base_url, "scripted", api_key="x"), "a ladder", on_stroke=heard
        )
        reply_s = time.monotonic() - start
        (plain,) = agent.draw(
            OpenAICompatProvider(srv.base_url, "scripted", api_key="x", stream=False), "a ladder"
        )
    first = times[0] if times else float("nan")
    last = times[-1] if times else float("nan")
    return {
        "reply characters": len(text),
        "live strokes": len(times),
        "whole reply, s": round(reply_s, 3),
        "first stroke, s": round(first, 3),
        "first stroke, % into the reply (target <= 15)": round(100 * first / reply_s, 1),
        "last stroke after the reply ended, s (target <= 0.3)": round(max(0.0, last - reply_s), 3),
        "final sketch equals the plain request's": live.sketch == plain.sketch,
        "streamed tokens equal plain tokens": live.usage == plain.usage,
    }

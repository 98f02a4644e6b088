"""`threedraw bench draw`: how much the drawing pipeline adds to the LLM's own time.

Against the scripted chat-completions server (a local double of a remote API,
127.0.0.1 only) whose every reply takes a fixed delay:

* one round of K=5 candidates versus a single call (target: at most 1.3x), since
  the K requests go out concurrently;
* ``threedraw draw`` run as a user runs it (a fresh process, Blender in a child
  process, .blend and preview written): wall time minus the server's LLM delay is
  the start-up overhead (target: under 3 s). Measured with a realistic delay
  (Blender's start-up hides behind it) and with none (nothing hides it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .. import prompts
from ..draw import agent
from ..llm.openai_compat import OpenAICompatProvider
from ..runtime import Progress, ProgressFn
from ..testing.scripted_server import Reply, ScriptedServer

REPLY_DELAY_S = 1.0
K = 5
REPEATS = 3
# A short real API call: long enough for Blender's start-up to overlap it.
CLI_LLM_DELAY_S = 3.0


# What each figure is, printed beside it.
MEANINGS = {
    "reply_delay_s": "the scripted server's delay per reply, seconds",
    "single_call_s": "one drawing (K=1), median seconds",
    f"round_k{K}_s": f"one round of K={K} candidates drawn concurrently, median seconds",
    f"round_k{K}_over_single": "round time / single time (target: at most 1.3)",
    **{
        f"draw_cli_wall_llm_{d:g}s": f"`threedraw draw` wall seconds, preview included, the LLM taking {d:g} s"
        for d in (CLI_LLM_DELAY_S, 0.0)
    },
    **{
        f"draw_cli_overhead_llm_{d:g}s": f"that wall time minus the LLM's {d:g} s (target: under 3 s)"
        for d in (CLI_LLM_DELAY_S, 0.0)
    },
}


def run_benchmark(
    args: argparse.Namespace | None = None, progress: ProgressFn | None = None
) -> dict[str, Any]:
    def step(k: int, message: str) -> None:
        if progress is not None:
            progress(Progress("draw" if k < 3 else "done", message, k, 3))

    reply = prompts.format_sketch(prompts.worked_example(), json_mode=False)
    figures: dict[str, Any] = {}
    step(0, f"timing single drawings and rounds of K={K} ({REPEATS} each)")
    with ScriptedServer(default=Reply.completion(reply, delay=REPLY_DELAY_S)) as srv:
        single, round_k = asyncio.run(_round_times(srv.base_url))
    figures["reply_delay_s"] = REPLY_DELAY_S
    figures["single_call_s"] = single
    figures[f"round_k{K}_s"] = round_k
    figures[f"round_k{K}_over_single"] = round_k / single
    for n, delay in enumerate((CLI_LLM_DELAY_S, 0.0), start=1):
        step(n, f"timing one `threedraw draw` process, the LLM taking {delay:g} s")
        with ScriptedServer(default=Reply.completion(reply, delay=delay)) as srv:
            wall = _cli_wall(srv.base_url)
        tag = f"llm_{delay:g}s"
        figures[f"draw_cli_wall_{tag}"] = wall
        figures[f"draw_cli_overhead_{tag}"] = wall - delay
    step(3, "done")
    return figures


async def _round_times(base_url: str) -> tuple[float, float]:
    provider = OpenAICompatProvider(base_url, "scripted", api_key="", max_retries=0)
    try:
        await agent.adraw(provider, "a simple table", k=1)  # warm: connection, imports
        singles, rounds = [], []
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            cands = await agent.adraw(provider, "a simple table", k=1)
            singles.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            cands += await agent.adraw(provider, "a simple table", k=K)
            rounds.append(time.perf_counter() - t0)
            if not all(c.ok for c in cands):
                raise RuntimeError(f"benchmark round failed: {[c.error for c in cands if not c.ok]}")
        return statistics.median(singles), statistics.median(rounds)
    finally:
        await provider.aclose()


def _cli_wall(base_url: str) -> float:
    """Wall seconds of one `threedraw draw` process, preview included."""
    with tempfile.TemporaryDirectory(prefix="threedraw-bench-") as tmp:
        out = Path(tmp) / "table.blend"
        cmd = [
            sys.executable, "-m", "threedraw.cli", "draw", "a simple table",
            "--out", str(out), "--preview", str(Path(tmp) / "table.png"),
            "--provider", "openai-compatible", "--base-url", base_url, "--model", "scripted",
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if k != "THREEDRAW_API_KEY"}
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        wall = time.perf_counter() - t0
        if proc.returncode != 0 or not out.is_file():
            raise RuntimeError(
                f"threedraw draw failed (status {proc.returncode}): {proc.stderr.strip()[-500:]}"
            )
        return wall

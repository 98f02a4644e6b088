"""Loop cut-off: how soon a looping streamed reply is stopped, and that nothing
else is.

The scripted server streams at 40 tokens/s (16 characters every 0.1 s, about 4 characters a
token, as ``bench stream``). A reply looping one stroke for a 1,500-token budget would run 37.5 s;
targets: stopped within 10 strokes and 25% of that time. A 24-stroke reply without repeats is never
stopped, and no reply or sketch of the corpora would be (draw/loops.py's ``longest_loop``).
"""

from __future__ import annotations

import argparse
import time
from importlib import util
from pathlib import Path
from typing import Any

from ..draw import agent
from ..draw.loops import DEFAULT_LOOP_LIMIT, longest_loop
from ..llm.base import STOPPED
from ..llm.openai_compat import OpenAICompatProvider
from ..shared.parser import ParseError, parse
from ..testing import sketch_corpus
from ..testing.scripted_server import Reply, ScriptedServer
from .stream import CHUNK_CHARS, CHUNK_DELAY_S
from .stream import reply as varied_reply

BUDGET_TOKENS = 1500
TOKENS_PER_S = 40
CHARS_PER_TOKEN = 4
STROKE = "draw_bezier[(-0.5, -0.5, -1.0), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0.0), (-0.5, -0.5, 0.5)]  # leg\n"


def looping_reply() -> str:
    """One stroke written until a 1,500-token budget is spent."""
    return "<curves>\n" + STROKE * (BUDGET_TOKENS * CHARS_PER_TOKEN // len(STROKE))


def _draw(text: str) -> tuple[agent.Candidate, float]:
    streamed = Reply.completion(text, chunk_chars=CHUNK_CHARS, chunk_delay=CHUNK_DELAY_S)
    with ScriptedServer([streamed]) as srv:
        start = time.monotonic()
        (cand,) = agent.draw(OpenAICompatProvider(srv.base_url, "scripted", api_key="x"), "a stool")
        return cand, time.monotonic() - start


def corpus_stopped() -> tuple[int, int]:
    """(replies and sketches of the corpora the default limit would stop, how many were checked)."""
    checked = stopped = 0
    for name, text, expected, *_ in _parser_cases():
        if expected is None or name == "over_256_strokes_truncated":  # itself one stroke 260 times
            continue
        try:
            strokes = parse(text, "a thing").sketch.strokes
        except ParseError:
            continue
        checked += 1
        stopped += longest_loop(strokes) >= DEFAULT_LOOP_LIMIT
    sketches = sketch_corpus.synthetic(200) + sketch_corpus.examples()
    sketches += [sketch_corpus.sloppy(s, i)[0] for i, s in enumerate(sketches)]
    for s in sketches:
        checked += 1
        stopped += longest_loop(s.strokes) >= DEFAULT_LOOP_LIMIT
    return stopped, checked


def _parser_cases() -> list[Any]:
    """tests/parser_corpus.py's cases, in a checkout (an installed package has no tests)."""
    path = Path(__file__).resolve().parents[2] / "tests" / "parser_corpus.py"
    spec = util.spec_from_file_location("parser_corpus", path)
    if not path.is_file() or spec is None or spec.loader is None:
        return []
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.CASES)


def run_benchmark(args: argparse.Namespace | None = None) -> dict[str, Any]:
    budget_s = BUDGET_TOKENS / TOKENS_PER_S
    looped, looped_s = _draw(looping_reply())
    varied, _ = _draw(varied_reply())
    stopped, checked = corpus_stopped()
    strokes_seen = len(looped.sketch.strokes) if looped.sketch else 0
    return {
        "loop limit (strokes)": DEFAULT_LOOP_LIMIT,
        "looping reply: budget's time at 40 tok/s, s": budget_s,
        "looping reply stopped": looped.finish_reasons == [STOPPED],
        "looping reply: strokes written before the stop (target <= 10)": strokes_seen,
        "looping reply: time to the stop, s": round(looped_s, 2),
        "looping reply: % of the budget's time (target <= 25)": round(100 * looped_s / budget_s, 1),
        "looping reply: note": looped.problems[0] if looped.problems else "",
        "24-stroke reply without repeats stopped (target False)": varied.finish_reasons == [STOPPED],
        "24-stroke reply: strokes kept": len(varied.sketch.strokes) if varied.sketch else 0,
        "corpus replies and sketches stopped (target 0)": f"{stopped} of {checked}",
    }

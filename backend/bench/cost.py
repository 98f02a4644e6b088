"""`threedraw bench cost`: the prompt-cache share and the price of one learning epoch.

One `learn` epoch of the 40 ModelNet40 prompts, K=5, batch 8, 8 validation prompts, against the
scripted chat-completions server (drawings and judges as ``bench learn``'s, no delay) and the tiny
CLIP. The server reports cache hits the way DeepSeek does (``mimic="deepseek"``,
``prefix_cache=True``: the longest prefix shared with an earlier prompt, in 64-token units), and the
provider reads them as it reads a real API's usage. Run twice: with the prompts as shipped (what the
batch shares first, the object last) and with the old order (the object's name before the
lessons; OLD_TEMPLATES). Target: at least 60% of the prompt tokens are cache hits. Cost at DeepSeek's
list prices (deepseek-chat, USD per million tokens: cache hit 0.028, cache miss 0.28, output 0.42;
published September 2025).
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import prompts
from ..cke.learner import LearnConfig, Learner
from ..draw.pipeline import DrawConfig
from ..draw.prompt_sets import load_prompt_set
from ..llm.base import Usage
from ..llm.openai_compat import OpenAICompatProvider
from ..scoring.clip import quiet_logs
from ..scoring.reward import ScoreConfig, score_groups
from ..storage import DB_FILE, Database
from ..testing.scripted_server import ScriptedServer
from ..testing.tiny_clip import TINY_CLIP_CONFIG, make_tiny_clip
from .learn import VALIDATION, K, ScriptedLLM
from .scoring import random_sketch

BATCH = 8
PRICES = {"input": 0.28, "cached_input": 0.028, "output": 0.42}  # USD per million tokens
HIT_TARGET = 0.60
# The drawing and judging user messages as they were first written: the object first, the lessons after it.
OLD_TEMPLATES = {
    "draw_user.md": "Draw: {{prompt}}\n{{experience}}{{current_sketch}}\n"
    "Reply with the complete sketch in the required format.\n",
    "judge_user.md": "Prompt: {{prompt}}\n\nExperience library now:\n{{lessons}}\n\n"
    "BETTER sketch ({{better_scores}}):\n{{better_sketch}}\n\nWORSE sketch ({{worse_scores}}):\n"
    "{{worse_sketch}}\n{{images}}\nCompare the two, then reply with the JSON object.\n",
}


class _CountingProvider(OpenAICompatProvider):
    """The provider as shipped, adding up the usage it reads from every reply."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.total = Usage()
        self._count_lock = threading.Lock()

    def _usage(self, usage: Any, thought_chars: int = 0) -> Usage:
        u = super()._usage(usage, thought_chars)
        with self._count_lock:
            self.total += u
        return u


@contextlib.contextmanager
def old_order() -> Iterator[None]:
    """The prompts in the old order, for the comparison."""
    load = prompts.load
    prompts.load = lambda name: OLD_TEMPLATES.get(name) or load(name)  # type: ignore[assignment]
    try:
        yield
    finally:
        prompts.load = load  # type: ignore[assignment]


def epoch(folder: Path, score: ScoreConfig) -> dict[str, Any]:
    """One epoch against a fresh scripted server: prompt tokens, cache hits, output tokens, cost."""
    train = list(load_prompt_set("modelnet40").prompts)
    val = list(load_prompt_set("fine-grained").prompts[:VALIDATION])
    with ScriptedServer(ScriptedLLM(0.0), mimic="deepseek", prefix_cache=True) as srv:
        provider = _CountingProvider(srv.base_url, "bench", api_key="", concurrency=64, max_retries=0)
        folder.mkdir(parents=True)
        with Database(folder / DB_FILE) as db:
            learner = Learner(db, provider, score)
            run = learner.start(
                "bench",
                LearnConfig(
                    prompts=train, validation=val, epochs=1, batch=BATCH, draw=DrawConfig(k=K, seed=0)
                ),
            )
            learner.run(run.id)
        requests = len([r for r in srv.requests if r.messages])
    u = provider.total
    hits, misses = u.cached_prompt_tokens, u.prompt_tokens - u.cached_prompt_tokens
    cost = (
        misses * PRICES["input"] + hits * PRICES["cached_input"] + u.completion_tokens * PRICES["output"]
    ) / 1e6
    return {
        "requests": requests,
        "prompt_tokens": u.prompt_tokens,
        "cache_hit_tokens": hits,
        "hit_share": hits / u.prompt_tokens if u.prompt_tokens else 0.0,
        "cost_usd": cost,
    }


def run_benchmark(args: argparse.Namespace | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="threedraw-bench-cost-") as tmp:
        with quiet_logs():
            config, checkpoint = make_tiny_clip(Path(tmp) / "clip")
        size = int(TINY_CLIP_CONFIG["vision_cfg"]["image_size"])  # type: ignore[index]
        score = ScoreConfig(clip_model=str(config), clip_checkpoint=str(checkpoint), size=size)
        score_groups([([random_sketch(4, 0)], "warm-up")], score)
        with old_order():
            before = epoch(Path(tmp) / "old", score)
        after = epoch(Path(tmp) / "new", score)
    out: dict[str, Any] = {"epoch": f"40 prompts, K={K}, batch {BATCH}, {VALIDATION} validation prompts"}
    for name, r in (("before (object first)", before), ("after (shared part first)", after)):
        out[f"{name}: requests"] = r["requests"]
        out[f"{name}: prompt tokens"] = r["prompt_tokens"]
        out[f"{name}: cache-hit share of prompt tokens"] = round(r["hit_share"], 3)
        out[f"{name}: epoch cost at DeepSeek prices, USD"] = round(r["cost_usd"], 4)
    out[f"cache-hit share at least {HIT_TARGET:.0%}"] = after["hit_share"] >= HIT_TARGET
    return out

"""`threedraw bench learn`: how close batched learning and concurrent evaluation come to the LLM's floor.

Against the scripted chat-completions server (a local double of a remote API, 127.0.0.1 only)
whose every reply takes a fixed delay (2 s), with the tiny CLIP (random weights, 64 px, scored at
its own input size): one epoch of CKE over the 40 ModelNet40 prompts, K=5, 8 validation prompts,
at ``--batch 1``, 8 and 40 (provider concurrency 64), and ``threedraw eval`` of the same 40
prompts drawn at once against one at a time (that is measured on EVAL_SEQUENTIAL prompts and
scaled: it is linear). For each learning run: the wall time, and the shares of it during which an
LLM request was in flight, the scorer ran, and the database worked. Targets: batch 40 at most
12 % of batch 1's wall time; at batch 40 less than 15 % of the wall time beyond LLM waiting;
eval at least 5x faster than one prompt after another.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import itertools
import json
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import prompts
from ..cke.evaluation import EVAL_DRAW, Method, evaluate
from ..cke.learner import LearnConfig, Learner
from ..draw.pipeline import DrawConfig
from ..draw.prompt_sets import PromptSet, load_prompt_set
from ..llm.openai_compat import OpenAICompatProvider
from ..scoring.clip import quiet_logs
from ..scoring.reward import ScoreConfig, score_groups
from ..storage import DB_FILE, Database
from ..testing.scripted_server import RecordedRequest, Reply, ScriptedServer
from ..testing.tiny_clip import TINY_CLIP_CONFIG, make_tiny_clip
from .scoring import random_sketch

DELAY_S = 2.0
BATCHES = (1, 8, 40)
K = 5
VALIDATION = 8
CONCURRENCY = 64  # the provider's most requests in flight (its upper bound)
EVAL_SEQUENTIAL = 10  # prompts drawn one at a time for the eval baseline
EVAL_SEEDED = dataclasses.replace(EVAL_DRAW, seed=0)
BATCH_TARGET = 0.12  # batch 40 wall / batch 1 wall
OVERHEAD_TARGET = 0.15  # share of batch 40's wall time beyond LLM waiting
EVAL_TARGET = 5.0  # eval speed-up over one prompt after another
_PER_BATCH = {
    "seconds": "wall time of the epoch, s",
    "llm_share": "share of it waiting on the LLM",
    "overhead_share": "share beyond LLM waiting",
    "scoring_share": "share scoring (mostly during LLM waits)",
    "database_share": "share in the database",
    "versions": "library versions written",
}
MEANINGS = {
    "prompts": "training prompts (ModelNet40), one epoch",
    "k": "candidates per prompt",
    "validation": "validation prompts",
    "delay_s": "the scripted LLM's reply delay, s",
    "concurrency": "LLM requests in flight at most",
    "clip": "the CLIP scoring candidates (random weights)",
    **{f"batch_{b}_{key}": f"--batch {b}: {what}" for b in BATCHES for key, what in _PER_BATCH.items()},
    f"batch_{BATCHES[-1]}_over_batch_{BATCHES[0]}": f"wall time of --batch {BATCHES[-1]} / --batch {BATCHES[0]}",
    "batch_target_met": f"target: that ratio at most {BATCH_TARGET:.0%}",
    "overhead_target_met": f"target: --batch {BATCHES[-1]} overhead under {OVERHEAD_TARGET:.0%}",
    "eval_seconds": "threedraw eval of the prompts, drawn at once, s",
    "eval_one_at_a_time_seconds": f"the same one prompt after another (measured on {EVAL_SEQUENTIAL}, scaled), s",
    "eval_speedup": "one-at-a-time eval time / concurrent eval time",
    "eval_target_met": f"target: eval at least {EVAL_TARGET:g}x faster",
}
LESSONS = [  # what the scripted judge adds, in turn
    "Connect each part to its neighbour so no stroke floats free of the rest.",
    "Outline the largest mass first, then add the parts that name the object.",
    "Fill most of the cube: the object should span three quarters of it.",
    "Draw each edge once; repeated strokes only thicken the picture.",
    "Make symmetric parts mirror each other across the centre plane.",
    "Place the base on the floor near z minus one.",
]


class ScriptedLLM:
    """Drawings of varying density (so candidates differ and judges have a contrast), judges that
    add a lesson; every reply after ``delay``. Records when each request was in flight."""

    def __init__(self, delay: float):
        self.delay = delay
        self.count = itertools.count()
        self.intervals: list[tuple[float, float]] = []
        self.lock = threading.Lock()

    def __call__(self, req: RecordedRequest) -> Reply:
        n = next(self.count)
        with self.lock:
            self.intervals.append((req.received_at, req.received_at + self.delay))
        if "judge of 3D sketches" in str(req.messages[0].get("content", "")):
            text = json.dumps(
                {
                    "analysis": "The better sketch is one connected object.",
                    "operations": [{"operation": "add", "content": LESSONS[n % len(LESSONS)]}],
                }
            )
        else:
            text = prompts.format_sketch(random_sketch(4 + 4 * (n % 6), seed=n), json_mode=False)
        return Reply.completion(text, delay=self.delay)

    def busy_seconds(self, start: float, end: float) -> float:
        """How long at least one request was in flight within [start, end]."""
        total, reach = 0.0, start
        for a, b in sorted(self.intervals):
            a, b = max(a, reach), min(b, end)
            if b > a:
                total += b - a
                reach = b
        return total


class TimedDatabase(Database):
    """The database, timing its outermost transactions and the queries made outside one."""

    seconds = 0.0

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        outer = self._depth == 0
        start = time.perf_counter()
        try:
            with super().transaction() as c:
                yield c
        finally:
            if outer:
                self.seconds += time.perf_counter() - start

    def query(self, sql: str, params: Any = ()) -> Any:
        start = time.perf_counter()
        try:
            return super().query(sql, params)
        finally:
            if self._depth == 0:
                self.seconds += time.perf_counter() - start


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    return measure()


def measure(delay: float = DELAY_S, batches: tuple[int, ...] = BATCHES) -> dict[str, Any]:
    train = list(load_prompt_set("modelnet40").prompts)
    val = list(load_prompt_set("fine-grained").prompts[:VALIDATION])
    out: dict[str, Any] = {
        "prompts": len(train),
        "k": K,
        "validation": len(val),
        "delay_s": delay,
        "concurrency": CONCURRENCY,
        "clip": f"tiny (width {TINY_CLIP_CONFIG['vision_cfg']['width']})",
    }
    llm = ScriptedLLM(delay)
    with tempfile.TemporaryDirectory(prefix="threedraw-bench-learn-") as tmp, ScriptedServer(llm) as srv:
        with quiet_logs():  # "no pretrained weights loaded": random weights are the point here
            config, checkpoint = make_tiny_clip(Path(tmp) / "clip")
        size = int(TINY_CLIP_CONFIG["vision_cfg"]["image_size"])  # type: ignore[index]
        score = ScoreConfig(clip_model=str(config), clip_checkpoint=str(checkpoint), size=size)
        score_groups([([random_sketch(4, 0)], "warm-up")], score)  # load CLIP before the clock runs

        def provider() -> OpenAICompatProvider:
            return OpenAICompatProvider(
                srv.base_url,
                "bench",
                api_key="",
                concurrency=CONCURRENCY,
                timeout=60 + 10 * delay,
                max_retries=0,
            )

        for b in batches:
            out.update(
                {
                    f"batch_{b}_{k}": v
                    for k, v in _learn(Path(tmp) / f"b{b}", provider(), score, llm, train, val, b).items()
                }
            )
        start = time.monotonic()
        evaluate(
            provider(), score, [PromptSet("modelnet40", tuple(train))], [Method("none", [])], draw=EVAL_SEEDED
        )
        out["eval_seconds"] = time.monotonic() - start
        start = time.monotonic()
        for i in range(EVAL_SEQUENTIAL):  # as evaluation ran before: one prompt, then the next
            evaluate(
                provider(), score, [PromptSet("one", (train[i],))], [Method("none", [])], draw=EVAL_SEEDED
            )
        out["eval_one_at_a_time_seconds"] = (time.monotonic() - start) * len(train) / EVAL_SEQUENTIAL
    first, last = batches[0], batches[-1]
    out[f"batch_{last}_over_batch_{first}"] = out[f"batch_{last}_seconds"] / out[f"batch_{first}_seconds"]
    out["batch_target_met"] = out[f"batch_{last}_over_batch_{first}"] <= BATCH_TARGET
    out["overhead_target_met"] = out[f"batch_{last}_overhead_share"] < OVERHEAD_TARGET
    out["eval_speedup"] = out["eval_one_at_a_time_seconds"] / out["eval_seconds"]
    out["eval_target_met"] = out["eval_speedup"] >= EVAL_TARGET
    return out


def _learn(
    folder: Path,
    provider: OpenAICompatProvider,
    score: ScoreConfig,
    llm: ScriptedLLM,
    train: list[str],
    val: list[str],
    batch: int,
) -> dict[str, Any]:
    scoring = [0.0]

    def timed_scorer(groups: Any, config: ScoreConfig) -> Any:
        start = time.perf_counter()
        try:
            return score_groups(groups, config)
        finally:
            scoring[0] += time.perf_counter() - start

    folder.mkdir(parents=True)
    with TimedDatabase(folder / DB_FILE) as db:
        learner = Learner(db, provider, score, group_scorer=timed_scorer)
        run = learner.start(
            "bench",
            LearnConfig(prompts=train, validation=val, epochs=1, batch=batch, draw=DrawConfig(k=K, seed=0)),
        )
        start = time.monotonic()
        learner.run(run.id)
        end = time.monotonic()
        versions = len(learner.store.versions("bench")) - 1
    wall = end - start
    llm_s = llm.busy_seconds(start, end)
    return {
        "seconds": wall,
        "llm_share": llm_s / wall,
        "overhead_share": 1 - llm_s / wall,
        "scoring_share": scoring[0] / wall,
        "database_share": db.seconds / wall,
        "versions": versions,
    }

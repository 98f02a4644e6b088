"""Drawing many prompts at once: one event loop, one provider, one scorer fed in batches.

``run_all`` runs the coroutines of several prompts (a learning batch, an epoch's validation, an
evaluation) in one private event loop (``threedraw.runtime.run_llm``), so the provider's own
bound (``--concurrency``, 429/Retry-After honoured) is the only limit on LLM calls in flight.
Each coroutine scores through ``ScoreBatcher.score``: rounds that finish while the scorer is busy
wait and are then scored together, in one call of a ``GroupScorer`` (one render and one CLIP
image pass for the sketches of several prompts), on a worker thread, so the loop goes on
receiving replies while CLIP runs.

Every coroutine runs to its end even when another fails (each stores its own progress), then
the first failure in input order is raised.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from ..llm.base import Provider
from ..runtime import run_llm
from ..scoring.reward import ScoreConfig, SketchScore, score_groups, score_sketches
from ..shared.sketch import Sketch
from .pipeline import GroupScorer, Scorer

T = TypeVar("T")
MAX_SCORE_BATCH = 64  # sketches per scorer call: bounds one call's memory and latency


def group_scorer(scorer: Scorer) -> GroupScorer:
    """A GroupScorer from a one-prompt Scorer: ``score_groups`` for ``score_sketches`` itself, else
    one call per prompt (a caller that has a GroupScorer, as the server does, passes that instead)."""
    if scorer is score_sketches:
        return score_groups

    def per_prompt(groups: list[tuple[list[Sketch], str]], config: ScoreConfig) -> list[list[SketchScore]]:
        return [scorer(sketches, prompt, config) for sketches, prompt in groups]

    return per_prompt


class ScoreBatcher:
    """Collects the rounds waiting to be scored and scores them together (see the module docstring)."""

    def __init__(self, scorer: GroupScorer, config: ScoreConfig, max_sketches: int = MAX_SCORE_BATCH):
        self.scorer = scorer
        self.config = config
        self.max_sketches = max_sketches
        self.calls = 0  # scorer calls made (a test and the benchmark read it)
        self.seconds = 0.0  # time spent in them
        self._pending: list[tuple[list[Sketch], str, asyncio.Future]] = []
        self._worker: asyncio.Task | None = None

    async def score(self, sketches: list[Sketch], prompt: str) -> list[SketchScore]:
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending.append((sketches, prompt, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.ensure_future(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            take, size = [], 0
            while self._pending and (not take or size + len(self._pending[0][0]) <= self.max_sketches):
                item = self._pending.pop(0)
                take.append(item)
                size += len(item[0])
            start = loop.time()
            try:
                results = await asyncio.to_thread(self.scorer, [(s, p) for s, p, _ in take], self.config)
            except Exception as e:  # every waiting round gets the error; the next batch may still work
                for _, _, f in take:
                    if not f.done():
                        f.set_exception(e)
                continue
            finally:
                self.calls += 1
                self.seconds += loop.time() - start
            for (_, _, f), r in zip(take, results):
                if not f.done():
                    f.set_result(r)


def run_all(
    provider: Provider,
    work: Callable[[ScoreBatcher], Sequence[Awaitable[T]]],
    score_config: ScoreConfig,
    scorer: GroupScorer = score_groups,
    cancel: threading.Event | None = None,
) -> list[T]:
    """Run ``work(batcher)``'s coroutines concurrently to their ends; raise the first failure."""

    async def main() -> list[T | BaseException]:
        batcher = ScoreBatcher(scorer, score_config)
        return list(await asyncio.gather(*work(batcher), return_exceptions=True))

    results = run_llm(provider, main, cancel)
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results  # type: ignore[return-value]

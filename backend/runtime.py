"""Running long work: one vocabulary for progress, cancellation and LLM calls.

Everything that takes long (a draw round, refine, a learning run, an evaluation, a server job)
takes ``progress`` (a callable receiving ``Progress``) and ``cancel`` (a ``threading.Event``). A set
event stops the work at the next LLM call or step boundary with ``Cancelled``, leaving everything
stored consistent. LLM coroutines run to the end in a private event loop (``run_llm``), so the
callers block: call them from a worker thread in an async program.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .llm.base import Provider

CANCEL_POLL_S = 0.1

T = TypeVar("T")


class Cancelled(Exception):
    """The work was cancelled through its ``cancel`` event; what was stored stays consistent.

    ``detail`` (JSON) tells a client how to go on, e.g. the learning run to resume."""

    def __init__(self, message: str = "cancelled", detail: Any = None):
        super().__init__(message)
        self.detail = detail


class StepError(RuntimeError):
    """An LLM call failed for good (after the provider's retries); the run can be resumed."""


@dataclass
class Progress:
    stage: str  # start | draw | score | judge | update | validate | epoch | render | done
    message: str
    done: int = 0  # finished units of the whole job (steps)
    total: int = 0
    epoch: int | None = None
    index: int | None = None  # query or round, 0-based
    scores: list[float | None] | None = None  # latest rewards, best first where ranked

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


ProgressFn = Callable[[Progress], None]


def no_progress(p: Progress) -> None:
    """The ``progress`` of work nobody watches."""


def check_cancel(cancel: threading.Event | None) -> None:
    """Raise Cancelled when the event is set."""
    if cancel is not None and cancel.is_set():
        raise Cancelled()


def run_llm(provider: Provider, make: Callable[[], Awaitable[T]], cancel: threading.Event | None = None) -> T:
    """Run an LLM coroutine to the end in a private loop; a set ``cancel`` stops it within 0.1 s.

    The provider's connections belong to that loop, so they are closed when it ends (the
    provider stays usable: the next call opens new ones)."""
    check_cancel(cancel)

    async def main() -> T:
        task = asyncio.ensure_future(make())
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=CANCEL_POLL_S)
                if done:
                    return task.result()
                if cancel is not None and cancel.is_set():
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task
                    raise Cancelled()
        finally:
            await provider.aclose()

    return asyncio.run(main())

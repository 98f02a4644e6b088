"""The strokes a running draw or refine job has received so far, numbered, for ``?since=`` and ``/events``.

In memory only (a live view, not a record: the job's result is the record). Bounded: a job keeps
at most MAX_STROKES_PER_JOB strokes, the server the buffers of its newest MAX_JOBS jobs; readers
never hold a buffer of their own, each reads from the job's with its own cursor (a sequence number).
"""

from __future__ import annotations

import collections
import threading

from ...shared.results import LiveStroke
from ...shared.sketch import Stroke

MAX_STROKES_PER_JOB = 16 * 256  # MAX_K candidates of MAX_STROKES each
MAX_JOBS = 64
MAX_PER_READ = 256


class LiveStrokes:
    """One job's strokes (shared/results/live_stroke.LiveStroke), seq from 1, in order.

    ``reply`` counts a candidate's replies within the job, from 1: a stroke with a higher reply than
    the candidate's last starts that candidate over (a retried stream, or the next refine round).
    """

    def __init__(self) -> None:
        self._items: list[LiveStroke] = []
        self._reply: dict[int, int] = {}  # candidate -> its reply under way
        self._drawn: set[int] = set()  # candidates with strokes in the reply under way
        self._lock = threading.Lock()

    @property
    def seq(self) -> int:
        with self._lock:
            return len(self._items)

    def add(self, candidate: int, stroke: Stroke) -> None:
        with self._lock:
            if len(self._items) < MAX_STROKES_PER_JOB:
                self._drawn.add(candidate)
                reply = self._reply.setdefault(candidate, 1)
                self._items.append(LiveStroke(candidate, reply, stroke, seq=len(self._items) + 1))

    def restart(self, candidate: int) -> None:
        """The candidate's reply starts over: its next stroke opens a new reply, unless it has none yet
        (a reply is announced before its first stroke, so that announcement opens nothing)."""
        with self._lock:
            if candidate in self._drawn:
                self._drawn.discard(candidate)
                self._reply[candidate] = self._reply.get(candidate, 1) + 1

    def since(self, seq: int, limit: int = MAX_PER_READ) -> tuple[int, list[LiveStroke]]:
        """The highest seq so far and the items after ``seq`` (at most ``limit``)."""
        with self._lock:
            start = max(0, seq)
            return len(self._items), self._items[start : start + limit]


class LiveBoard:
    """The live buffers of the newest jobs, by job id."""

    def __init__(self) -> None:
        self._jobs: collections.OrderedDict[str, LiveStrokes] = collections.OrderedDict()
        self._lock = threading.Lock()

    def job(self, job_id: str) -> LiveStrokes:
        """The job's buffer (made on first use; the oldest is dropped beyond MAX_JOBS)."""
        with self._lock:
            live = self._jobs.get(job_id)
            if live is None:
                live = self._jobs[job_id] = LiveStrokes()
                while len(self._jobs) > MAX_JOBS:
                    self._jobs.popitem(last=False)
            return live

    def since(self, job_id: str, seq: int) -> tuple[int, list[LiveStroke]]:
        with self._lock:
            live = self._jobs.get(job_id)
        return live.since(seq) if live is not None else (0, [])

"""The job runner: a bounded queue, one scoring worker, a pool for LLM-bound jobs, cooperative cancel.

Two lanes:

* the scoring lane: ONE thread that owns the CLIP model (loaded at start, on the GPU when there
  is one). It runs ``score`` and ``render`` jobs and every scoring call an LLM job makes
  (``JobContext.on_scorer``), those first, so a running job is never stuck behind the queue;
* the LLM lane: ``llm_jobs`` threads for ``draw``, ``refine`` and ``learn``; their LLM calls
  wait on the network concurrently. Each job gets its own provider (a provider's connections
  belong to one event loop, and each job runs its own).

At most ``max_queued`` jobs wait at once; one more is refused with ``QueueFull`` (HTTP 429 with a
Retry-After estimated from recent job durations). Cancel sets the job's event: a queued job ends
at once, a running one at its next check (the job kinds check around every LLM call).

Every state change is written to the ``JobStore`` first, so what a client reads is what
survives a restart; jobs a previous server left unfinished are marked failed ("interrupted").
"""

from __future__ import annotations

import concurrent.futures
import itertools
import logging
import math
import queue
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ...runtime import CANCEL_POLL_S, Cancelled, Progress
from ...shared.results import JobError, JobProgress, JobResult
from ...shared.sketch import Stroke
from ..settings import ServerSettings
from .live import LiveBoard
from .row import JobRow, iso
from .store import JobStore, interrupted_error

log = logging.getLogger("threedraw.server")

SCORING, LLM = "scoring", "llm"
CALL_PRIORITY, JOB_PRIORITY = 0, 1  # on the scoring thread: running jobs' calls before new jobs
RECENT = 20  # durations kept per lane for the Retry-After estimate
MAX_RETRY_AFTER = 120
PRUNE_EVERY = 50  # finished jobs between prunings of old ones
STOP_WAIT_S = 10.0


class JobFailed(Exception):
    """A job that cannot finish; code and message reach the client in the error envelope."""

    def __init__(self, code: str, message: str, detail: Any = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail


class QueueFull(Exception):
    def __init__(self, retry_after: int, queued: int):
        super().__init__(f"{queued} jobs are waiting, the most this server queues")
        self.retry_after = retry_after
        self.queued = queued


@dataclass
class JobKind:
    """How one kind of job runs: its lane and a function (JobContext, request) -> its result."""

    lane: str
    run: Callable[[JobContext, Any], JobResult]
    check: Callable[[ServerSettings, Any], None] = lambda settings, request: (
        None
    )  # at submit; raises JobFailed


def now_iso() -> str:
    return iso(time.time())


def empty_progress(message: str = "waiting to start") -> JobProgress:
    return JobProgress("queued", message=message, updated_at=now_iso())


@dataclass
class _Job:
    id: str
    kind: str
    lane: str
    request: Any
    cancel: threading.Event = field(default_factory=threading.Event)
    progress: JobProgress = field(default_factory=empty_progress)
    interrupted: bool = False  # cancelled because the server stops, not by the client
    run_id: str | None = None  # a learn job's run, once it exists


class JobContext:
    """What a running job sees: its settings, progress reporting, cancel, and the scoring worker."""

    def __init__(self, manager: JobManager, job: _Job):
        self._manager = manager
        self._job = job
        self.id = job.id
        self.settings = manager.settings
        self.cancel_event = job.cancel

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def check(self) -> None:
        if self.cancel_event.is_set():
            raise Cancelled()

    def set_run(self, run_id: str) -> None:
        """Record the learning run this job runs, at once, so it is found even after a crash."""
        self._job.run_id = run_id
        self._manager.store.set_run(self.id, run_id)

    def report(self, p: Progress) -> None:
        """The job's progress as the API shows it (phase, step, total, epoch, scores, message).

        Scores, when a report has none, stay as the last report gave them."""
        self._job.progress = replace(
            self._job.progress,
            phase=p.stage,
            step=p.done,
            total=p.total or None,
            epoch=p.epoch,
            message=p.message,
            scores=self._job.progress.scores if p.scores is None else p.scores,
            updated_at=now_iso(),
        )
        self._manager.store.set_progress(self.id, self._job.progress)

    def on_stroke(self, candidate: int, stroke: Stroke | None) -> None:
        """A stroke a streaming reply completed: into the job's live buffer (``?since=``, ``/events``);
        None: the candidate's reply starts over (LiveStrokes.restart)."""
        live = self._manager.live.job(self.id)
        if stroke is None:
            live.restart(candidate)
        else:
            live.add(candidate, stroke)

    def on_scorer(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn`` on the scoring worker (the model's owner) and wait for it, or for a cancel."""
        if threading.current_thread() is self._manager.scorer.thread:
            return fn(*args, **kwargs)  # already there: the scoring lane's own jobs
        future = self._manager.scorer.submit(CALL_PRIORITY, lambda: fn(*args, **kwargs))
        while True:
            try:
                return future.result(timeout=CANCEL_POLL_S)
            except concurrent.futures.TimeoutError:
                if self.cancel_event.is_set():
                    future.cancel()  # dropped if not started; else its result is simply not used
                    raise Cancelled() from None


class ScoringWorker:
    """The one thread that runs scoring: a priority queue of callables, FIFO within a priority."""

    def __init__(self, warm_up: Callable[[], None]):
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._order = itertools.count()
        self._warm_up = warm_up
        self._warm = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="threedraw-scoring", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def submit(self, priority: int, fn: Callable[[], Any]) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._queue.put((priority, next(self._order), fn, future))
        return future

    def stop(self) -> None:
        self._queue.put((-1, next(self._order), None, None))
        # While it still imports torch no job runs, so there is nothing to wait for (it is a daemon).
        if self._warm.is_set():
            self.thread.join(STOP_WAIT_S)

    def _loop(self) -> None:
        self._warm_up()
        self._warm.set()
        while True:
            _, _, fn, future = self._queue.get()
            if fn is None:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as e:  # handed to whoever waits on the future
                future.set_exception(e)


class JobManager:
    def __init__(
        self,
        settings: ServerSettings,
        store: JobStore,
        kinds: dict[str, JobKind],
        warm_up: Callable[[], None] = lambda: None,
    ):
        self.settings = settings
        self.store = store
        self.kinds = kinds
        self.scorer = ScoringWorker(warm_up)
        self._llm_queue: queue.Queue = queue.Queue()
        # llama.cpp runs one call at a time on every core, and its model is not safe to share
        # between threads: the local provider gets one LLM job at a time.
        self.llm_workers = 1 if settings.provider_kind == "local" else settings.llm_jobs
        self._llm_threads = [
            threading.Thread(target=self._llm_loop, name=f"threedraw-llm-{i}", daemon=True)
            for i in range(self.llm_workers)
        ]
        self._lock = threading.Lock()
        self.live = LiveBoard()
        self._queued: dict[str, _Job] = {}
        self._running: dict[str, _Job] = {}
        self._durations: dict[str, deque[float]] = {SCORING: deque(maxlen=RECENT), LLM: deque(maxlen=RECENT)}
        self._finished = 0
        self._stopping = threading.Event()

    # -- lifecycle ------------------------------------------------------------
    def start(self) -> None:
        interrupted = self.store.recover()
        if interrupted:
            log.warning("%d jobs left unfinished by the previous server are marked failed", interrupted)
        self.store.prune(self.settings.keep_jobs)
        self.scorer.start()
        for t in self._llm_threads:
            t.start()

    def stop(self) -> None:
        """Cancel what runs, stop the workers, and mark what did not finish as interrupted."""
        self._stopping.set()
        with self._lock:
            for job in [*self._queued.values(), *self._running.values()]:
                job.interrupted = True
                job.cancel.set()
        for _ in self._llm_threads:
            self._llm_queue.put(None)
        self.scorer.stop()
        for t in self._llm_threads:
            if t.ident is not None:  # a server that failed before starting never started them
                t.join(STOP_WAIT_S)
        self.store.recover()

    # -- the API's operations ---------------------------------------------------
    def submit(self, request: Any) -> JobRow:
        """Queue a job (request: a threedraw.server.schemas model); QueueFull or JobFailed when refused."""
        kind = self.kinds[request.kind]
        kind.check(self.settings, request)
        job = _Job(secrets.token_hex(8), request.kind, kind.lane, request)
        with self._lock:
            if len(self._queued) >= self.settings.max_queued:
                raise QueueFull(self._retry_after(kind.lane), len(self._queued))
            self.store.insert(job.id, job.kind, request.model_dump(mode="json"), job.progress)
            self._queued[job.id] = job
        if kind.lane == SCORING:
            self.scorer.submit(JOB_PRIORITY, lambda: self._execute(job))
        else:
            self._llm_queue.put(job)
        row = self.store.get(job.id)
        assert row is not None  # inserted above; pruning removes finished jobs only
        return row

    def cancel(self, job_id: str) -> JobRow | None:
        """Ask a job to stop; the job as it is now (None when there is no such job)."""
        with self._lock:
            job = self._queued.pop(job_id, None) or self._running.get(job_id)
            if job is not None:
                job.cancel.set()
                if job_id not in self._running:
                    # Never started: it ends now; its worker will skip it.
                    self.store.finish(job_id, "cancelled", error=_cancelled_error("before it started"))
        return self.store.get(job_id)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {
                "queued": len(self._queued),
                "running": len(self._running),
                "max_queued": self.settings.max_queued,
            }

    # -- running ------------------------------------------------------------------
    def _llm_loop(self) -> None:
        while True:
            job = self._llm_queue.get()
            if job is None:
                return
            self._execute(job)

    def _execute(self, job: _Job) -> None:
        with self._lock:
            if self._queued.pop(job.id, None) is None or self._stopping.is_set():
                return  # cancelled while queued
            self._running[job.id] = job
        started = time.monotonic()
        state: str = "failed"
        result: JobResult | None = None
        error: JobError | None = None
        wire = None  # the result's JSON
        try:
            if not self.store.mark_running(job.id):
                return
            ctx = JobContext(self, job)
            ctx.report(Progress("starting", "started"))
            result = self.kinds[job.kind].run(ctx, job.request)
            wire = result.to_dict()
            state = "succeeded"
        except Cancelled as e:
            if job.interrupted:
                error = interrupted_error(job.run_id, e.detail)
            else:
                state, error = "cancelled", _cancelled_error(f"during {job.progress.phase}", e.detail)
        except JobFailed as e:
            error = JobError(e.code, e.message, e.detail)
        except Exception as e:  # the job fails, the server carries on; the log has the traceback
            log.exception("job %s (%s) failed unexpectedly", job.id, job.kind)
            error = JobError(
                "internal_error",
                f"the job hit an unexpected error ({type(e).__name__}); the server log has the details",
            )
        finally:
            with self._lock:
                self._running.pop(job.id, None)
                self._durations[job.lane].append(time.monotonic() - started)
        if state == "succeeded":  # a kind whose result has sketches (draw, refine) keeps them
            self.store.add_sketches(job.id, getattr(result, "sketches", []))
        self.store.finish(job.id, state, wire, error)
        self._finished += 1
        if self._finished % PRUNE_EVERY == 0:
            self.store.prune(self.settings.keep_jobs)

    def _retry_after(self, lane: str) -> int:
        """Seconds until a queue slot is likely free: recent mean duration x waiting jobs / workers."""
        recent = self._durations[lane]
        mean = sum(recent) / len(recent) if recent else 1.0
        workers = 1 if lane == SCORING else self.llm_workers
        waiting = sum(1 for j in self._queued.values() if j.lane == lane)
        return max(1, min(MAX_RETRY_AFTER, math.ceil(mean * max(1, waiting) / workers)))


def new_sketch_id() -> str:
    return secrets.token_hex(8)


def _cancelled_error(when: str, detail: Any = None) -> JobError:
    return JobError("cancelled", f"cancelled on request {when}", detail)

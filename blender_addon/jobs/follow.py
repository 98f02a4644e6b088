"""Following one backend job from a worker thread (no bpy here).

``JobFollower`` submits the request, polls the job until it ends and puts small events on a
bounded queue: progress as ready-made text and a fraction, and at the end the finished job
turned by ``prepare`` (also on the worker) into what the main thread applies without any
decoding of its own. Cancel asks the server to stop the job; ``stop`` only stops following
(the job keeps running on the server, as when another file is loaded).

A ``live`` follower (draw, refine) polls with ``?since=SEQ`` and keeps the strokes completed so
far, parsed, until the main thread takes them all at once (``take_strokes``): they never go
through the event queue, where a full queue would drop them.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..client import BackendClient, BackendError
from ..shared.results import JobStatus, LiveStroke
from ..shared.sketch import MAX_STROKES

POLL_S = 0.25
MAX_EVENTS = 64  # progress beyond this is dropped (the next poll carries the latest anyway)
PHASE_TEXT = {
    "queued": "queued",
    "starting": "starting",
    "draw": "drawing",
    "score": "scoring",
    "judge": "judging",
    "update": "updating lessons",
    "validate": "validating",
    "epoch": "epoch",
    "render": "rendering",
    "polish": "polishing",
    "done": "finishing",
}
MAX_POLL_ERRORS = 8  # consecutive failed polls before giving up on following
MAX_LIVE_PENDING = 16 * MAX_STROKES  # the backend keeps no more per job either


@dataclass
class Event:
    kind: str  # "submitted", "progress", "done" (payload: prepared result), "failed", "cancelled"
    job_id: str = ""
    text: str = ""
    fraction: float = 0.0
    payload: Any = None


def progress_text(job: JobStatus) -> tuple[str, float]:
    """The job's stage as a short line ("drawing 3/5: ...") and its fraction done."""
    p = job.progress
    phase = p.phase or job.state
    text = PHASE_TEXT.get(phase, phase)
    fraction = 0.0
    if p.step is not None and p.total is not None and p.total > 0:
        text += f" {min(p.step, p.total)}/{p.total}"
        fraction = max(0.0, min(1.0, p.step / p.total))
    if p.epoch is not None:
        text = f"round {p.epoch}: {text}"
    if p.message:
        text += f": {p.message[:80]}"
    return text, fraction


class JobFollower:
    def __init__(
        self,
        client: BackendClient,
        request: dict[str, Any],
        prepare: Callable[[JobStatus], Any],
        poll_s: float = POLL_S,
        live: bool = False,
    ):
        self.client = client
        self.request = request
        self.prepare = prepare
        self.poll_s = poll_s
        self.events: queue.Queue[Event] = queue.Queue(maxsize=MAX_EVENTS)
        self.job_id = ""
        self.live = live
        self.seq = 0  # the highest live stroke sequence number received
        self._strokes: list[LiveStroke] = []
        self._strokes_lock = threading.Lock()
        self._cancel = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"threedraw-{request.get('kind', 'job')}", daemon=True
        )

    def start(self) -> JobFollower:
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Ask the server to cancel (the worker sends it, the main thread never waits)."""
        self._cancel.set()

    def stop(self) -> None:
        """Stop following; the job goes on on the server."""
        self._stop.set()

    def take_strokes(self) -> list[LiveStroke]:
        """The live strokes received since the last call, in order (main thread)."""
        with self._strokes_lock:
            taken, self._strokes = self._strokes, []
        return taken

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    # -- the worker ------------------------------------------------------------
    def _put(self, event: Event, final: bool = False) -> None:
        if final:
            while not self._stop.is_set():  # the end must arrive; wait for the main thread to drain
                try:
                    self.events.put(event, timeout=0.2)
                    return
                except queue.Full:
                    continue
            return
        try:
            self.events.put_nowait(event)
        except queue.Full:
            pass

    def _run(self) -> None:
        try:
            self._follow()
        except BackendError as e:
            self._put(Event("failed", self.job_id, e.message), final=True)
        except Exception as e:  # a bug here must still end the job in the panel, with its reason
            self._put(Event("failed", self.job_id, f"{type(e).__name__}: {e}"), final=True)

    def _follow(self) -> None:
        job = self.client.submit(self.request)
        self.job_id = job.id
        self._put(Event("submitted", self.job_id, *progress_text(job)))
        cancel_sent = False
        errors = 0
        last_text = ""
        while not self._stop.is_set():
            if self._cancel.is_set() and not cancel_sent:
                cancel_sent = True
                try:
                    job = self.client.cancel(self.job_id)
                except BackendError as e:
                    if e.code != "job_finished":  # finished meanwhile: the next poll says how
                        raise
            if job.finished:
                break
            self._stop.wait(self.poll_s)
            if self._stop.is_set():
                return
            try:
                job = self.client.job(self.job_id, since=self.seq if self.live else None)
                errors = 0
            except BackendError as e:
                errors += 1
                if errors >= MAX_POLL_ERRORS or e.code in ("job_not_found", "token_rejected", "token_unsafe"):
                    raise
                continue
            if self.live:
                self._keep_strokes(job)
            text, fraction = progress_text(job)
            if text != last_text:
                last_text = text
                self._put(Event("progress", self.job_id, text, fraction))
        if self._stop.is_set():
            return
        state = job.state
        if state == "succeeded":
            self._put(Event("done", self.job_id, "finished", 1.0, self.prepare(job)), final=True)
        elif state == "cancelled":
            self._put(Event("cancelled", self.job_id, "cancelled on the backend"), final=True)
        else:
            message = " ".join((job.error.message if job.error else "the job failed").split())
            self._put(Event("failed", self.job_id, f"backend: {message}"), final=True)

    def _keep_strokes(self, job: JobStatus) -> None:
        """Keep the new live strokes of one poll (a backend without them sends none)."""
        got = [s for s in job.strokes if s.seq > self.seq]
        self.seq = max(self.seq, job.strokes_until)
        with self._strokes_lock:
            self._strokes.extend(got[: max(0, MAX_LIVE_PENDING - len(self._strokes))])


def wait_for(follower: JobFollower, handle: Callable[[Event], bool], timeout: float | None = None) -> None:
    """Block until ``handle`` says an event was the last (background mode: no timers run)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while deadline is None or time.monotonic() < deadline:
        try:
            event = follower.events.get(timeout=0.1)
        except queue.Empty:
            if not follower.alive and follower.events.empty():
                return
            continue
        if handle(event):
            return

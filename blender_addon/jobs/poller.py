"""The main-thread side of jobs: one ``bpy.app.timers`` callback drains the workers' queues.

bpy is touched only here and in what ``apply`` does, always on the main thread. A tick reads
small events off queues (no network I/O, no JSON decoding: the workers did both) and returns
quickly. One job at a time per scene. Under background mode no timer runs, so operators wait
with ``run_blocking``, which handles the same events the same way.

A draw or refine shows its strokes while they are written (``live.LiveView``): each tick takes
what the worker received and builds a bounded number of curves; the result replaces them in
the same tick, so result and removal are one undo step.

Loading another file stops following (the jobs go on on the server) and removes the timer.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import bpy
from bpy.app.handlers import persistent

from ..properties import scene_settings
from ..state import SESSION, Outcome
from .follow import Event, JobFollower, wait_for
from .live import LiveView

TICK_S = 0.1
MAX_EVENTS_PER_TICK = 16
MAX_CALLS_PER_TICK = 8
CANCEL_WAIT_S = 10.0
Apply = Callable[[bpy.types.Scene, Any], str]


@dataclass
class Active:
    scene: str
    kind: str
    label: str
    follower: JobFollower
    apply: Apply
    started: float = field(default_factory=time.monotonic)
    text: str = "submitting"
    fraction: float = 0.0
    outcome: Outcome | None = None
    live: LiveView | None = None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


def active(scene: bpy.types.Scene | None) -> Active | None:
    return SESSION.jobs.get(scene.name) if scene is not None else None


def last_outcome(scene: bpy.types.Scene | None) -> Outcome | None:
    return SESSION.last.get(scene.name) if scene is not None else None


def any_active() -> Active | None:
    return next(iter(SESSION.jobs.values()), None)


def start(
    scene: bpy.types.Scene,
    kind: str,
    label: str,
    follower: JobFollower,
    apply: Apply,
    live: LiveView | None = None,
) -> Active:
    """Follow a job for ``scene`` (the caller checked that none runs there); with ``live`` (and a
    live follower) its strokes appear while they are written."""
    act = Active(scene.name, kind, label, follower, apply, live=live)
    SESSION.jobs[scene.name] = act
    SESSION.last.pop(scene.name, None)
    follower.start()
    _ensure_timer()
    return act


def cancel(scene: bpy.types.Scene) -> bool:
    act = active(scene)
    if act is None:
        return False
    cancel_job(act)
    return True


def cancel_job(act: Active) -> None:
    """Ask the backend to stop the job (the worker sends it; this returns at once)."""
    act.text = "cancelling"
    act.follower.cancel()


def run_blocking(act: Active, timeout: float | None = None) -> Outcome:
    """Wait for the job's end on this thread (background mode) and apply it; its outcome."""
    try:
        wait_for(act.follower, lambda ev: _handle(act, ev), timeout)
    except KeyboardInterrupt:  # Ctrl+C in a script: the job stops on the server too
        act.follower.cancel()
        wait_for(act.follower, lambda ev: _handle(act, ev), CANCEL_WAIT_S)
    if act.outcome is None:  # timed out, or the worker ended without a last word
        act.follower.stop()
        _finish(
            act,
            (
                "ERROR",
                f"{act.label}: stopped waiting before the job ended (job {act.follower.job_id} "
                f"may still run on the backend)",
            ),
        )
    with SESSION.lock:
        idle = not SESSION.jobs and SESSION.pending_calls == 0
    if idle and bpy.app.timers.is_registered(tick):  # no tick ran to remove it (background mode)
        bpy.app.timers.unregister(tick)
    assert act.outcome is not None
    return act.outcome


def call(fn: Callable[[], Any], done: Callable[[Any, str | None], None]) -> None:
    """Run ``fn`` (network I/O, no bpy) off the main thread; ``done(result, error)`` on it.
    In background mode both run here and now."""
    if bpy.app.background:
        result, error = _guarded(fn)
        done(result, error)
        return

    def work() -> None:
        result, error = _guarded(fn)
        SESSION.calls.put((done, result, error))

    with SESSION.lock:
        SESSION.pending_calls += 1
    threading.Thread(target=work, name="threedraw-call", daemon=True).start()
    _ensure_timer()


def _guarded(fn: Callable[[], Any]) -> tuple[Any, str | None]:
    from ..client import BackendError

    try:
        return fn(), None
    except BackendError as e:
        return None, e.message
    except Exception as e:  # a bug must not kill the thread silently
        return None, f"{type(e).__name__}: {e}"


# -- the timer ---------------------------------------------------------------
def tick() -> float | None:
    """Drain every queue once, a bounded number of events each; None removes the timer."""
    t0 = time.perf_counter()
    changed = False
    for act in list(SESSION.jobs.values()):
        for _ in range(MAX_EVENTS_PER_TICK):
            try:
                event = act.follower.events.get_nowait()
            except queue.Empty:
                break
            changed = True
            if _handle(act, event):
                break
    drawn = False
    for act in list(SESSION.jobs.values()):
        drawn |= _grow(act)
    for _ in range(MAX_CALLS_PER_TICK):
        try:
            done, result, error = SESSION.calls.get_nowait()
        except queue.Empty:
            break
        with SESSION.lock:
            SESSION.pending_calls -= 1
        changed = True
        try:
            done(result, error)
        except Exception as e:  # keep the timer alive for the other jobs
            print(f"threedraw: {type(e).__name__}: {e}")
    if changed or SESSION.jobs:
        redraw(viewport=drawn)  # the elapsed time moves while a job runs
    SESSION.tick_durations.append(time.perf_counter() - t0)
    with SESSION.lock:
        busy = bool(SESSION.jobs) or SESSION.pending_calls > 0
    return TICK_S if busy else None


def _grow(act: Active) -> bool:
    """Build what the job's live strokes added since the last tick; True when curves changed."""
    if act.live is None:
        return False
    act.live.add(act.follower.take_strokes())
    scene = bpy.data.scenes.get(act.scene)
    if scene is None or not act.live.pending:
        return False
    try:
        return act.live.sync(scene) > 0
    except Exception as e:  # a preview must never stop the job being followed
        print(f"threedraw: live strokes: {type(e).__name__}: {e}")
        act.live = None
        return False


def _end_live(act: Active, scene: bpy.types.Scene | None, keep: bool) -> str:
    """Remove the job's temporary collection, or keep its longest candidate; what was kept."""
    live, act.live = act.live, None
    if live is None:
        return ""
    if keep and scene is not None:
        live.add(act.follower.take_strokes())
        return live.keep(scene)
    live.remove()
    return ""


def _handle(act: Active, event: Event) -> bool:
    """Apply one event; True when it was the job's last."""
    if event.kind in ("submitted", "progress"):
        act.text, act.fraction = event.text, event.fraction
        return False
    scene = bpy.data.scenes.get(act.scene)
    if event.kind == "done":
        _end_live(act, scene, keep=False)  # in this tick, so that it and the result are one undo step
        if scene is None:
            _finish(
                act,
                (
                    "ERROR",
                    f"{act.label}: the scene {act.scene!r} is gone; the result stays on the backend "
                    f"(job {event.job_id})",
                ),
            )
            return True
        try:
            message = act.apply(scene, event.payload)
        except Exception as e:  # the message says what; the job's result stays on the server
            _finish(act, ("ERROR", f"{act.label}: cannot build the result: {e}"))
            return True
        _finish(act, ("INFO", message), undo=f"threedraw {act.kind}")
    else:
        kept = _end_live(act, scene, keep=scene is not None and scene_settings(scene).keep_partial)
        undo = f"threedraw {act.kind} (partial)" if kept else None
        if event.kind == "cancelled":
            _finish(act, ("WARNING", f"{act.label}: cancelled; {kept or 'nothing was added'}"), undo=undo)
        else:
            _finish(act, ("ERROR", f"{act.label}: {event.text}" + (f"; {kept}" if kept else "")), undo=undo)
    return True


def _finish(act: Active, outcome: Outcome, undo: str | None = None) -> None:
    act.outcome = outcome
    if SESSION.jobs.get(act.scene) is act:
        del SESSION.jobs[act.scene]
    SESSION.last[act.scene] = outcome
    if undo:  # one undo step per result, in background mode too (a script's bpy.ops.ed.undo() restores)
        try:
            bpy.ops.ed.undo_push(message=undo)
        except RuntimeError:
            pass


def _ensure_timer() -> None:
    # Registered in background mode too (where it never fires) so that what holds for a
    # timer there, such as being removed on file load, is the same as with a UI.
    if not bpy.app.timers.is_registered(tick):
        bpy.app.timers.register(tick, first_interval=TICK_S)


def redraw(viewport: bool = False) -> None:
    """The sidebars and the status bar; the 3D views too when ``viewport`` (live curves changed:
    a timer's changes to bpy.data do not redraw them by themselves)."""
    wm = bpy.context.window_manager
    if wm is None:
        return
    for window in wm.windows:
        screen = window.screen
        for area in screen.areas if screen else ():
            if area.type == "STATUSBAR":
                area.tag_redraw()
            elif area.type == "VIEW_3D" and viewport:
                area.tag_redraw()
            elif area.type == "VIEW_3D":
                for region in area.regions:
                    if region.type == "UI":
                        region.tag_redraw()


def stop_all(remove_live: bool = False) -> None:
    """Stop following every job (nothing is cancelled on the server) and drop the timer;
    ``remove_live`` also deletes their temporary collections (not on file load: they go with the file)."""
    for act in list(SESSION.jobs.values()):
        act.follower.stop()
        if remove_live and act.live is not None:
            act.live.remove()
    SESSION.jobs.clear()
    SESSION.last.clear()
    if bpy.app.timers.is_registered(tick):
        bpy.app.timers.unregister(tick)


@persistent
def _on_load_pre(*_args: Any) -> None:
    stop_all()


def register() -> None:
    bpy.app.handlers.load_pre.append(_on_load_pre)


def unregister() -> None:
    stop_all(remove_live=True)
    if _on_load_pre in bpy.app.handlers.load_pre:
        bpy.app.handlers.load_pre.remove(_on_load_pre)

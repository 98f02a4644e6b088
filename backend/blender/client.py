"""Blender work in a child process: the backend itself never imports bpy.

The child (``threedraw.blender.worker``) starts loading bpy and warming up the
render engine as soon as a BlenderProcess is made, so callers can create one before
waiting on an LLM and have Blender ready when the sketch arrives.
"""

from __future__ import annotations

import collections
import contextlib
import importlib.util
import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from ..layers import install_hint
from ..shared.sketch import Sketch
from .protocol import PREVIEW_SIZE, REPLY_PREFIX, WORKER_MODULE

CHATTER_LINES = 20  # Blender output kept for error messages
KILL_WAIT_S = 0.2  # how long close(kill=True) waits for the killed worker to be gone


class BlenderError(RuntimeError):
    """Blender could not do the job; the message says what and why."""


class BlenderProcess:
    """A Blender worker process: started at once, then asked to write sketches, one at a time."""

    def __init__(self, timeout: float = 180.0):
        if importlib.util.find_spec("bpy") is None:  # the core install: say which layer, not a traceback
            raise BlenderError(f"the .blend writer and preview need Blender: {install_hint('bpy')}")
        self.timeout = timeout
        self._chatter: collections.deque[str] = collections.deque(maxlen=CHATTER_LINES)
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", WORKER_MODULE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                bufsize=1,
                env=env,
            )
        except OSError as e:
            raise BlenderError(f"cannot start Blender (bpy) worker: {e}") from None
        self._ready = False
        # A reader thread, because select() on a buffered text pipe misses lines
        # already pulled into Python's buffer.
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            if line.startswith(REPLY_PREFIX):
                self._lines.put(line)
            else:
                self._chatter.append(line.rstrip())
        self._lines.put(None)

    def __enter__(self) -> BlenderProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read_reply(self, what: str) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=self.timeout)
        except queue.Empty:
            self.close(kill=True)
            raise BlenderError(f"Blender did not finish {what} within {self.timeout:.0f} s") from None
        if line is not None:
            return json.loads(line[len(REPLY_PREFIX) :])
        code = self._proc.wait()
        tail = " | ".join(x for x in self._chatter if x.strip())[-800:]
        raise BlenderError(f"Blender worker exited (status {code}) during {what}: {tail or 'no output'}")

    def wait_ready(self) -> None:
        if not self._ready:
            self._read_reply("start-up")
            self._ready = True

    def write(
        self,
        sketch: Sketch,
        blend_path: str | Path,
        preview_path: str | Path | None = None,
        size: int = PREVIEW_SIZE,
    ) -> dict[str, Any]:
        """Build the sketch as curves, save the .blend and (optionally) render a PNG preview."""
        self.wait_ready()
        req = {
            "op": "write",
            "sketch": sketch.to_dict(),
            "blend": str(Path(blend_path).resolve()),
            "preview": str(Path(preview_path).resolve()) if preview_path else None,
            "size": size,
        }
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(json.dumps(req) + "\n")
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise BlenderError("Blender worker is gone (it exited before the request)") from None
        reply = self._read_reply(f"writing {Path(blend_path).name}")
        if not reply.get("ok"):
            raise BlenderError(f"Blender could not write {Path(blend_path).name}: {reply.get('error')}")
        return reply

    def close(self, kill: bool = False) -> None:
        """Let the worker finish and exit; ``kill``: end it now (Ctrl-C, an error), without waiting
        the seconds a killed Blender can take to release its memory (the OS reaps it)."""
        if self._proc.poll() is None:
            try:
                if kill:
                    raise OSError("killed")
                if self._proc.stdin:
                    self._proc.stdin.close()
                self._proc.wait(timeout=10)
            except (subprocess.TimeoutExpired, OSError):
                self._proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._proc.wait(timeout=KILL_WAIT_S)


def write_blend(
    sketch: Sketch, blend_path: str | Path, preview_path: str | Path | None = None, size: int = PREVIEW_SIZE
) -> dict[str, Any]:
    """One-shot: start Blender, write the .blend (and preview), stop Blender."""
    with BlenderProcess() as blender:
        return blender.write(sketch, blend_path, preview_path, size)

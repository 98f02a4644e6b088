"""Everything the add-on keeps for one Blender session, in one place (never written to a .blend).

Scene settings and the lessons shown in the sidebar are Blender properties (properties.py); the
rest lives here: the backend as last seen, the libraries' names, the jobs being followed, the
calls waiting for the main thread, score previews. No bpy: worker threads may import this.
Only the main thread writes it, except where a field says otherwise.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .shared.results import ServerInfo

if TYPE_CHECKING:
    from .jobs.poller import Active

Outcome = tuple[str, str]  # (report level "INFO" | "WARNING" | "ERROR", one line)
EnumItem = tuple[str, str, str, str, int]
# A worker's answer for the main thread: done(result, error).
Done = Callable[[Any, str | None], None]
MAX_QUEUED_CALLS = 64


@dataclass
class BackendStatus:
    """The backend as last seen (GET /v1/info on a worker thread)."""

    up: bool | None = None  # None: not asked yet
    info: ServerInfo | None = None  # the answer of GET /v1/info
    error: str | None = None  # why it is down, or why the last library call failed
    pid: int | None = None  # the backend process Start Backend launched in this session, if it did
    check: str | None = None  # Test Connection's one-line verdict on the backend's LLM (GET /v1/check)

    def forget(self) -> None:
        """Back to "not checked yet"; the pid stays: that process may still run."""
        self.up, self.info, self.error, self.check = None, None, None, None

    def describe(self) -> str:
        """One line: up with its version and models, or down with why."""
        if self.up is None:
            return "not checked yet"
        if not self.up:
            return str(self.error)
        info = self.info or ServerInfo()
        prov, clip = info.provider, info.clip
        version = info.versions.get("threedraw") or "?"
        clip_name = clip.model or clip.pretrained or "none"
        llm = f"LLM {prov.kind} {prov.model}"
        check = f"; {self.check}" if self.check else ""
        if "torch" in info.versions and info.versions["torch"] is None:
            # A core install (no 'clip' layer): drawings are scored by their structure alone.
            return f"threedraw {version}, {llm}, CLIP not installed (structure score only){check}"
        return f"threedraw {version}, {llm}, CLIP {clip_name} ({clip.state}){check}"


@dataclass
class Session:
    backend: BackendStatus = field(default_factory=BackendStatus)
    # From GET /v1/libraries. Blender needs a dynamic enum's items to stay alive while it shows
    # them, so they are kept here too.
    library_names: list[str] = field(default_factory=list)
    library_items: list[EnumItem] = field(default_factory=list)
    # The job followed in each scene (by scene name), and how the last one there ended.
    jobs: dict[str, Active] = field(default_factory=dict)
    last: dict[str, Outcome] = field(default_factory=dict)
    # Answers of poller.call's worker threads (they put, the timer takes), and how many are due.
    calls: queue.Queue[tuple[Done, Any, str | None]] = field(
        default_factory=lambda: queue.Queue(maxsize=MAX_QUEUED_CALLS)
    )
    pending_calls: int = 0  # under lock
    lock: threading.Lock = field(default_factory=threading.Lock)
    tick_durations: deque[float] = field(
        default_factory=lambda: deque(maxlen=10_000)
    )  # the benchmark reads it
    # The newest score preview per scene (a PNG outside the .blend), shown by the Score panel.
    score_previews: dict[str, str] = field(default_factory=dict)
    # This session's temporary folder for previews (made on first use, by a worker thread).
    preview_folder: Path | None = None
    previews: Any = None  # the bpy.utils.previews collection the Score panel draws from (ui registers it)


SESSION = Session()

"""A finished job's result, made ready for the main thread on the worker thread (no bpy):
sketches parsed and checked, preview PNGs decoded and written to a temporary file."""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..shared.repair import summarize
from ..shared.results import Image, JobStatus, PolishResult, ResultError, Score, ScoreResult, SketchItem
from ..shared.sketch import SketchError
from ..state import SESSION

MAX_PREVIEW_FILES = 8  # older previews in the temporary folder are removed


@dataclass
class SketchesToApply:
    job_id: str
    prompt: str
    sketches: list[SketchItem]  # best first
    problems: list[str] = field(default_factory=list)
    repaired: str = ""  # what the backend's repair changed in the best sketch ("snapped 3 joints")


@dataclass
class ScoreToApply:
    job_id: str
    score: Score
    preview: str | None  # a PNG file of the renderer's views, outside any .blend


def sketches(job: JobStatus) -> SketchesToApply:
    """A draw's or refine's sketches (both results carry ``sketches``); one that cannot be read is
    a problem to report, not the end of the others."""
    result = job.result or {}
    out: list[SketchItem] = []
    problems = []
    for i, item in enumerate(result.get("sketches") or []):
        try:
            out.append(SketchItem.from_dict(item, f"sketches[{i}]"))
        except (SketchError, ResultError) as e:
            problems.append(f"sketch {i + 1} of the result: {e}")
    if not out:
        raise SketchError(
            "the job finished without a usable sketch" + (f" ({problems[0]})" if problems else "")
        )
    prompt = str(result.get("prompt") or (job.request or {}).get("prompt") or out[0].sketch.prompt)
    changes = out[0].repairs or []  # none from an older backend
    return SketchesToApply(job.id, prompt, out, problems, summarize(changes) if changes else "")


def score(job: JobStatus) -> ScoreToApply:
    res = ScoreResult.from_dict(job.result or {})
    if not res.scores:
        raise ValueError("the score job finished without a score")
    path = write_png(res.preview, job.id) if res.preview else None
    return ScoreToApply(job.id, res.scores[0], path)


def polish(job: JobStatus) -> PolishResult:
    """A polish job's result, its sketch checked (a SketchError or ResultError says what is wrong)."""
    res = PolishResult.from_dict(job.result or {})
    if not res.sketches:
        raise SketchError("the polish job finished without a sketch")
    return res


def write_png(image: Image, name: str) -> str | None:
    """An image of a result as a PNG file in this session's temporary folder; None when it is no
    PNG or cannot be written (the score itself still lands)."""
    try:
        data = base64.b64decode(image.data, validate=True)
    except (TypeError, binascii.Error):
        return None
    if not data.startswith(b"\x89PNG"):
        return None
    try:
        if SESSION.preview_folder is None:
            SESSION.preview_folder = Path(tempfile.mkdtemp(prefix="threedraw-previews-"))
        folder = SESSION.preview_folder
        old = sorted(folder.glob("*.png"), key=lambda p: p.stat().st_mtime)
        for p in old[: max(0, len(old) - MAX_PREVIEW_FILES + 1)]:
            p.unlink(missing_ok=True)
        path = folder / f"{''.join(c for c in name if c.isalnum())[:40] or 'preview'}.png"
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        return None
    return str(path)

"""A finished job's result, made ready for the main thread on the worker thread (no bpy):
sketches parsed and checked, preview PNGs decoded and written to a temporary file."""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..shared.repair import Change, summarize
from ..shared.sketch import Sketch, SketchError
from ..state import SESSION

MAX_PREVIEW_FILES = 8  # older previews in the temporary folder are removed


@dataclass
class SketchResult:
    job_id: str
    prompt: str
    sketches: list[
        tuple[Sketch, dict[str, Any] | None, str]
    ]  # (sketch, score, backend sketch id), best first
    problems: list[str] = field(default_factory=list)
    repaired: str = ""  # what the backend's repair changed in the best sketch ("snapped 3 joints")


@dataclass
class ScoreResult:
    job_id: str
    score: dict[str, Any]
    preview: str | None  # a PNG file of the renderer's views, outside any .blend


def sketches(job: dict[str, Any]) -> SketchResult:
    result = job.get("result") or {}
    out: list[tuple[Sketch, dict[str, Any] | None, str]] = []
    problems = []
    for i, item in enumerate(result.get("sketches") or []):
        try:
            out.append((Sketch.from_dict(item["sketch"]), item.get("score"), str(item.get("id", ""))))
        except (SketchError, KeyError, TypeError) as e:
            problems.append(f"sketch {i + 1} of the result: {e}")
    if not out:
        raise SketchError(
            "the job finished without a usable sketch" + (f" ({problems[0]})" if problems else "")
        )
    prompt = str(result.get("prompt") or (job.get("request") or {}).get("prompt") or out[0][0].prompt)
    try:
        changes = [Change.from_dict(r) for r in (result["sketches"][0].get("repairs") or [])]
    except (KeyError, TypeError, ValueError, AttributeError):
        changes = []  # an older backend, or a record this add-on cannot read: nothing to say
    return SketchResult(str(job["id"]), prompt, out, problems, summarize(changes) if changes else "")


def score(job: dict[str, Any]) -> ScoreResult:
    result = job.get("result") or {}
    scores = result.get("scores") or []
    if not scores or not isinstance(scores[0], dict):
        raise ValueError("the score job finished without a score")
    preview = result.get("preview")
    return ScoreResult(str(job["id"]), scores[0], write_png(preview, str(job["id"])) if preview else None)


def write_png(record: dict[str, Any], name: str) -> str | None:
    """A {media_type, data: base64 PNG} record as a file in this session's temporary folder;
    None when it is no PNG or cannot be written (the score itself still lands)."""
    try:
        data = base64.b64decode(record["data"], validate=True)
    except (KeyError, TypeError, binascii.Error):
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

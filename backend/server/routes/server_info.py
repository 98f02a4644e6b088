"""GET /v1/health and GET /v1/info: whether the server is up, and what it runs with."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter, Request

from ... import __version__
from ...llm.openai_compat import API_KEY_ENV
from ..schemas import KINDS, Health
from ..state import server_state
from . import API, ERRORS

router = APIRouter(prefix=f"/{API}", tags=["server"])


@router.get("/health", response_model=Health)
def health() -> dict[str, Any]:
    """Whether the server is up (no token needed)."""
    return {"status": "ok", "api": API}


@router.get("/info", responses=ERRORS)
def info(request: Request) -> dict[str, Any]:
    """Versions, the CLIP model and device, the LLM provider (never its key), limits and the queue."""
    s = server_state(request)
    opts = s.settings.provider_options
    return {
        "api": API,
        "versions": {
            "threedraw": __version__,
            "python": platform.python_version(),
            **{name: _version(name) for name in ("fastapi", "uvicorn", "torch", "open_clip_torch")},
        },
        "clip": s.scoring.info(),
        "device": s.scoring.info()["device"],
        "provider": {
            "kind": s.settings.provider_kind,
            "model": _model_name(s.settings.provider_kind, opts.model),
            "base_url": _without_query(opts.base_url),
            "api_key_set": _key_set(),
        },
        "limits": {
            "max_views": s.settings.limits.max_views,
            "max_size": s.settings.limits.max_size,
            "max_body_bytes": s.settings.max_body_bytes,
            "llm_jobs": s.jobs.llm_workers,
        },
        "queue": s.jobs.counts(),
        "kinds": list(KINDS),
    }


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _model_name(kind: str, model: str | None) -> str | None:
    """A local model is a file: its name only, never the machine path."""
    return Path(model).name if kind == "local" and model else model


def _without_query(url: str | None) -> str | None:
    """The base URL without query or fragment (where some APIs would take a key)."""
    if not url:
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _key_set() -> bool:
    return bool(os.environ.get(API_KEY_ENV, "").strip())

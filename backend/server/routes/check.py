"""GET /v1/check: does drawing work with the server's configured LLM? ``threedraw check``'s table.

The add-on's *Test Connection* shows its verdict. A check sends a few tiny requests to the API (a few
seconds, a fraction of a cent), so its result is kept for ``CACHE_S`` seconds: a client polling it,
or several Blender windows, cost one check.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from fastapi import APIRouter, Request

from ...llm.base import ProviderError
from ...llm.check import check_provider
from ...runtime import run_llm
from ..schemas import CheckReport
from ..state import server_state
from . import API, ERRORS

router = APIRouter(prefix=f"/{API}", tags=["server"])
CACHE_S = 60.0
_lock = threading.Lock()  # one check at a time; the others wait and take its result
_last: tuple[float, dict[str, Any]] | None = None


@router.get("/check", response_model=CheckReport, responses=ERRORS)
def check(request: Request) -> dict[str, Any]:
    """Try the configured provider: reachable, key, model, chat, streaming, structured output, images,
    adaptations, usage fields; ``ok`` and a one-line ``verdict``."""
    global _last
    settings = server_state(request).settings
    with _lock:
        if _last is not None and time.monotonic() - _last[0] < CACHE_S:
            return _last[1]
        try:
            provider = settings.make_provider()
        except (ProviderError, ValueError) as e:
            report = {
                "ok": False,
                "verdict": f"drawing will not work: {e}",
                "model": "",
                "adaptations": {},
                "rows": [],
            }
        else:
            report = run_llm(provider, lambda: check_provider(provider)).to_dict()
        _last = (time.monotonic(), report)
        return report

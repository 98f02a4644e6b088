"""Why a job did not succeed (``GET /v1/jobs/{id}``'s ``error``, the ``error`` server-sent event).

Wire format: ``{"code": str, "message": str, "detail": any JSON | null}``: ``code`` is machine-readable
(cancelled, interrupted, provider_error, ...), ``message`` one line a user can act on, ``detail``
what the code documents (an interrupted learn job's ``{"run_id", "resume"}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .fields import mapping, text


@dataclass(frozen=True)
class JobError:
    code: str
    message: str
    detail: Any = None  # JSON, its shape depends on the code

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "detail": self.detail}

    @classmethod
    def from_dict(cls, d: Any, where: str = "error") -> JobError:
        d = mapping(d, where)
        return cls(
            text(d, "code", where, "error"), text(d, "message", where, "the job failed"), d.get("detail")
        )

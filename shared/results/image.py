"""A PNG a job returns (a preview, a rendered view, a contact sheet).

Wire format: ``{"media_type": "image/png", "width": int, "height": int, "data": base64 PNG}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .fields import integer, mapping, text


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    data: str  # base64 PNG
    media_type: str = "image/png"

    def to_dict(self) -> dict[str, Any]:
        return {"media_type": self.media_type, "width": self.width, "height": self.height, "data": self.data}

    @classmethod
    def from_dict(cls, d: Any, where: str = "image") -> Image:
        d = mapping(d, where)
        return cls(
            integer(d, "width", where, 0),
            integer(d, "height", where, 0),
            text(d, "data", where),
            text(d, "media_type", where, "image/png"),
        )

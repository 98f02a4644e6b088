"""A PNG a job returns (a preview, a rendered view, a contact sheet).

Wire format: ``{"media_type": "image/png", "width": int, "height": int, "data": base64 PNG}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .fields import Readers, integer, read_object, text

# The wire format, read tolerantly: a missing size is 0.
_READERS: Readers = {
    "width": (integer, 0),
    "height": (integer, 0),
    "data": (text,),
    "media_type": (text, "image/png"),
}


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
        return read_object(cls, d, where, _READERS)

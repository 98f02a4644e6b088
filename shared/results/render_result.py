"""What a render job returns (POST /v1/jobs {"kind": "render"}; built in backend/server/jobs/kinds.py).

Wire format: ``{"views": [{"index", "azimuth", "elevation", "image": Image}], "contact_sheet": Image,
"cameras": CameraSet}``: the rig (cameras.py), as ``threedraw render`` writes it to cameras.json.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .cameras import CameraSet
from .fields import integer, items, mapping, number, optional
from .image import Image


@dataclass(frozen=True)
class RenderView:
    index: int
    azimuth: float
    elevation: float
    image: Image

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "azimuth": self.azimuth,
            "elevation": self.elevation,
            "image": self.image.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = "view") -> RenderView:
        d = mapping(d, where)
        return cls(
            integer(d, "index", where),
            number(d, "azimuth", where, 0.0),
            number(d, "elevation", where, 0.0),
            Image.from_dict(d.get("image"), f"{where}.image"),
        )


@dataclass(frozen=True)
class RenderResult:
    views: list[RenderView]
    contact_sheet: Image
    cameras: CameraSet = field(default_factory=CameraSet)

    def to_dict(self) -> dict[str, Any]:
        return {
            "views": [v.to_dict() for v in self.views],
            "contact_sheet": self.contact_sheet.to_dict(),
            "cameras": self.cameras.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = "result") -> RenderResult:
        d = mapping(d, where)
        return cls(
            items(d, "views", where, RenderView.from_dict),
            Image.from_dict(d.get("contact_sheet"), f"{where}.contact_sheet"),
            optional(d, "cameras", where, CameraSet.from_dict, CameraSet()),
        )

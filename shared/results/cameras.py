"""A camera rig as JSON (``cameras.json`` of ``threedraw render``, a render job's ``cameras``):
enough to rebuild every camera elsewhere, Blender say. Made by backend/rendering/camera.CameraRig.

Format: ``{"format": "threedraw.cameras/1", "convention": str, "views": [{"index", "azimuth_degrees",
"elevation_degrees", "distance", "position": [x, y, z], "world_to_camera": 4x4 rows, "fov_degrees",
"size", "stroke_width_world"?}]}``; ``stroke_width_world`` (a stroke's width in world units at the
origin's depth) when the renderer's stroke width was given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .fields import ResultError, as_number, integer, items, mapping, number, text

CAMERAS_FORMAT = "threedraw.cameras/1"
CONVENTION = (
    "world_to_camera is 4x4 row-major; camera looks down its -Z, +Y up, +X right "
    "(Blender/OpenGL); world Z up; square image, fov_degrees is the full field of view"
)


@dataclass(frozen=True)
class CameraView:
    index: int
    azimuth_degrees: float
    elevation_degrees: float
    distance: float  # from the origin, which it looks at
    position: list[float]  # x, y, z
    world_to_camera: list[list[float]]  # 4x4, row-major
    fov_degrees: float  # the full field of view of a square image
    size: int  # the image side in pixels
    stroke_width_world: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "index": self.index,
            "azimuth_degrees": self.azimuth_degrees,
            "elevation_degrees": self.elevation_degrees,
            "distance": self.distance,
            "position": list(self.position),
            "world_to_camera": [list(row) for row in self.world_to_camera],
            "fov_degrees": self.fov_degrees,
            "size": self.size,
        }
        if self.stroke_width_world is not None:
            d["stroke_width_world"] = self.stroke_width_world
        return d

    @classmethod
    def from_dict(cls, d: Any, where: str = "camera") -> CameraView:
        d = mapping(d, where)
        return cls(
            integer(d, "index", where),
            number(d, "azimuth_degrees", where),
            number(d, "elevation_degrees", where),
            number(d, "distance", where),
            _numbers(d.get("position"), f"{where}.position", 3),
            [_numbers(r, f"{where}.world_to_camera[{i}]", 4) for i, r in enumerate(_rows(d, where))],
            number(d, "fov_degrees", where),
            integer(d, "size", where),
            number(d, "stroke_width_world", where, None),
        )


def _rows(d: Any, where: str) -> list[Any]:
    rows = d.get("world_to_camera")
    if not isinstance(rows, list) or len(rows) != 4:
        raise ResultError(f"{where}.world_to_camera: expected 4 rows")
    return rows


def _numbers(v: Any, where: str, n: int) -> list[float]:
    if not isinstance(v, list) or len(v) != n:
        raise ResultError(f"{where}: expected {n} numbers")
    return [as_number(x, f"{where}[{i}]") for i, x in enumerate(v)]


@dataclass(frozen=True)
class CameraSet:
    views: list[CameraView] = field(default_factory=list)
    format: str = CAMERAS_FORMAT
    convention: str = CONVENTION

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "convention": self.convention,
            "views": [v.to_dict() for v in self.views],
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = "cameras") -> CameraSet:
        d = mapping(d, where)
        return cls(
            items(d, "views", where, CameraView.from_dict),
            text(d, "format", where, CAMERAS_FORMAT),
            text(d, "convention", where, CONVENTION),
        )

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

from .fields import (
    Fields,
    ResultError,
    as_number,
    integer,
    items,
    mapping,
    number,
    read_object,
    text,
    with_set,
)

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
        d = {
            "index": self.index,
            "azimuth_degrees": self.azimuth_degrees,
            "elevation_degrees": self.elevation_degrees,
            "distance": self.distance,
            "position": list(self.position),
            "world_to_camera": [list(row) for row in self.world_to_camera],
            "fov_degrees": self.fov_degrees,
            "size": self.size,
        }
        return with_set(d, stroke_width_world=self.stroke_width_world)

    @classmethod
    def from_dict(cls, d: Any, where: str = "camera") -> CameraView:
        return read_object(cls, d, where, _VIEW_READERS)


def _numbers(v: Any, where: str, n: int) -> list[float]:
    if not isinstance(v, list) or len(v) != n:
        raise ResultError(f"{where}: expected {n} numbers")
    return [as_number(x, f"{where}[{i}]") for i, x in enumerate(v)]


def _point(d: Fields, key: str, where: str) -> list[float]:
    return _numbers(d.get(key), f"{where}.{key}", 3)


def _matrix(d: Fields, key: str, where: str) -> list[list[float]]:
    rows = d.get(key)
    if not isinstance(rows, list) or len(rows) != 4:
        raise ResultError(f"{where}.{key}: expected 4 rows")
    return [_numbers(r, f"{where}.{key}[{i}]", 4) for i, r in enumerate(rows)]


_VIEW_READERS = {
    "index": (integer,),
    "azimuth_degrees": (number,),
    "elevation_degrees": (number,),
    "distance": (number,),
    "position": (_point,),
    "world_to_camera": (_matrix,),
    "fov_degrees": (number,),
    "size": (integer,),
    "stroke_width_world": (number, None),
}


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

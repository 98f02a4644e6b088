"""The camera model: the one place that says where the cameras are and how a point becomes a pixel.

World
    The sketch cube [-1, 1]^3, Z up (Blender's), the object's front faces -Y.

Camera placement (``CameraRig``)
    V cameras on a sphere of radius ``distance`` around the origin, all looking at the origin.
    View k has azimuth ``azimuth + k * 360 / V`` degrees and elevation ``elevation`` degrees::

        eye = distance * (cos(el) * sin(az), -cos(el) * cos(az), sin(el))

    so azimuth 0 is the front view (camera on the -Y side, looking towards +Y), and increasing
    azimuth orbits towards +X (counter-clockwise seen from above). Positive elevation looks down.

Camera frame (``world_to_camera``)
    Blender/OpenGL convention: the camera looks down its own -Z axis, +Y is up in the image and
    +X is right. The 4x4 matrix maps homogeneous world points to camera coordinates; its rows
    are ``[right, up, -forward]`` with translation ``-R @ eye``. The world +Z axis projects
    upwards in every view whose elevation is strictly between -90 and 90 degrees.
    ``inverse(world_to_camera)`` is the camera object's ``matrix_world`` in Blender.

Projection (``project``)
    Pinhole perspective, square image of ``size`` pixels, ``fov_degrees`` the full field of view
    (the same horizontally and vertically). With camera coordinates (x, y, z), depth = -z and
    focal length in pixels f = (size / 2) / tan(fov / 2)::

        u = size / 2 + f * x / depth       (column, growing rightwards)
        v = size / 2 - f * y / depth       (row, growing downwards)

    Pixel (row i, column j) covers [j, j+1) x [i, i+1); its centre is (j + 0.5, i + 0.5).
    This matches Blender's camera with ``sensor_fit='AUTO'`` and ``angle = radians(fov)``.

Defaults
    8 views, elevation 20 deg, fov 40 deg, distance 5.0: every corner of the cube lies inside the
    frame in every default view (with a small margin), so nothing a sketch draws is ever clipped.
    ``distance`` must exceed the cube's half-diagonal sqrt(3) with room to spare, so every point of
    the cube is in front of every camera (no near-plane clipping is ever needed).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..shared.results.cameras import CameraSet, CameraView

if TYPE_CHECKING:  # torch is imported where tensors are made, so the constants load without it
    import torch

DEFAULT_VIEWS = 8
DEFAULT_ELEVATION = 20.0
DEFAULT_AZIMUTH = 0.0
DEFAULT_DISTANCE = 5.0
DEFAULT_FOV = 40.0

MAX_VIEWS = 64
DEFAULT_SIZE = 224  # image side in pixels: CLIP's input, and what views and scores are rendered at
MIN_SIZE = 16
MAX_SIZE = 1024
MIN_DISTANCE = 2.0  # > sqrt(3): the whole cube stays in front of the camera
MAX_DISTANCE = 100.0
MIN_FOV = 5.0
MAX_FOV = 120.0

# The image's up direction is world +Z, except looking straight up or down, where it is world +Y.
_WORLD_UP = (0.0, 0.0, 1.0)
_POLE_UP = (0.0, 1.0, 0.0)


class CameraError(ValueError):
    """Camera settings out of range; the message names the setting and its bounds."""


@dataclass(frozen=True)
class CameraRig:
    """V cameras on a sphere around the cube, looking at the origin (see the module docstring)."""

    views: int = DEFAULT_VIEWS
    elevation: float = DEFAULT_ELEVATION
    azimuth: float = DEFAULT_AZIMUTH
    distance: float = DEFAULT_DISTANCE
    fov_degrees: float = DEFAULT_FOV

    def __post_init__(self) -> None:
        check_range("views", self.views, 1, MAX_VIEWS, integer=True, error=CameraError)
        check_range("elevation", self.elevation, -90.0, 90.0, error=CameraError)
        check_range("azimuth", self.azimuth, -360.0, 360.0, error=CameraError)
        check_range("distance", self.distance, MIN_DISTANCE, MAX_DISTANCE, error=CameraError)
        check_range("fov_degrees", self.fov_degrees, MIN_FOV, MAX_FOV, error=CameraError)

    def angles(self) -> list[tuple[float, float]]:
        """(azimuth, elevation) in degrees, per view."""
        step = 360.0 / self.views
        return [((self.azimuth + k * step) % 360.0, self.elevation) for k in range(self.views)]

    def eyes(self) -> list[tuple[float, float, float]]:
        """Camera positions in world coordinates, per view."""
        return [sphere_point(az, el, self.distance) for az, el in self.angles()]

    def world_to_camera(self) -> list[list[list[float]]]:
        """Per view, the 4x4 row-major world-to-camera matrix (nested lists of floats)."""
        return [look_at(eye) for eye in self.eyes()]

    def focal_px(self, size: int) -> float:
        return focal_px(self.fov_degrees, size)

    def cameras(self, device: Any = None, dtype: torch.dtype | None = None) -> Cameras:
        import torch

        w2c = torch.tensor(self.world_to_camera(), dtype=torch.float64)
        dtype = dtype or torch.float32
        return Cameras(
            world_to_camera=w2c.to(device=device, dtype=dtype),
            fov_degrees=self.fov_degrees,
            distance=self.distance,
        )

    def to_json(self, size: int, stroke_width_px: float | None = None) -> dict[str, Any]:
        """What ``cameras.json`` holds: ``describe``'s JSON."""
        return self.describe(size, stroke_width_px).to_dict()

    def describe(self, size: int, stroke_width_px: float | None = None) -> CameraSet:
        """Enough to rebuild every camera elsewhere (Blender, say): shared/results/cameras.py.

        ``stroke_width_px`` (the renderer's stroke width at the origin's depth, in pixels) adds
        ``stroke_width_world``: the same stroke's width in world units, for a bevel of that size.
        """
        width = (
            None
            if stroke_width_px is None
            else stroke_width_px * self.distance / focal_px(self.fov_degrees, size)
        )
        return CameraSet(
            [
                CameraView(k, az, el, self.distance, list(eye), m, self.fov_degrees, size, width)
                for k, ((az, el), eye, m) in enumerate(
                    zip(self.angles(), self.eyes(), self.world_to_camera())
                )
            ]
        )


@dataclass(frozen=True)
class Cameras:
    """A rig's cameras as tensors, ready for ``project``."""

    world_to_camera: torch.Tensor  # [V, 4, 4]
    fov_degrees: float
    distance: float  # the origin's depth in every view: where the nominal stroke width applies

    @property
    def views(self) -> int:
        return int(self.world_to_camera.shape[0])


def sphere_point(azimuth: float, elevation: float, distance: float) -> tuple[float, float, float]:
    az, el = math.radians(azimuth), math.radians(elevation)
    return (
        distance * math.cos(el) * math.sin(az),
        -distance * math.cos(el) * math.cos(az),
        distance * math.sin(el),
    )


def look_at(eye: Sequence[float], target: Sequence[float] = (0.0, 0.0, 0.0)) -> list[list[float]]:
    """The 4x4 world-to-camera matrix of a camera at ``eye`` looking at ``target`` (world +Z up)."""
    forward = _normalize(_sub(target, eye))
    right = _cross(forward, _WORLD_UP)
    if _norm(right) < 1e-9:  # looking straight up or down: world Z cannot be the up direction
        right = _cross(forward, _POLE_UP)
    right = _normalize(right)
    up = _cross(right, forward)
    rows = [right, up, tuple(-c for c in forward)]
    trans = [-sum(r[i] * eye[i] for i in range(3)) for r in rows]
    return [[*rows[0], trans[0]], [*rows[1], trans[1]], [*rows[2], trans[2]], [0.0, 0.0, 0.0, 1.0]]


def focal_px(fov_degrees: float, size: int) -> float:
    """Focal length in pixels of a square image ``size`` pixels wide with full field of view ``fov_degrees``."""
    return (size / 2.0) / math.tan(math.radians(fov_degrees) / 2.0)


def project(points: torch.Tensor, cameras: Cameras, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Project world points [..., 3] into every view.

    Returns pixel coordinates [V, ..., 2] as (u = column, v = row), continuous, with (0, 0) the
    top-left corner of the image, and depth [V, ...] (distance along the viewing axis, > 0 in front).
    Differentiable with respect to ``points``.
    """
    import torch

    w2c = cameras.world_to_camera.to(device=points.device, dtype=points.dtype)
    flat = points.reshape(-1, 3)
    rot, trans = w2c[:, :3, :3], w2c[:, :3, 3]
    cam = torch.einsum("vij,nj->vni", rot, flat) + trans[:, None, :]
    depth = -cam[..., 2]
    f = focal_px(cameras.fov_degrees, size)
    half = size / 2.0
    # Points of the cube are always well in front (distance > sqrt(3)); the clamp only keeps a
    # caller's out-of-cube point from dividing by zero.
    safe = depth.clamp(min=1e-6)
    uv = torch.stack((half + f * cam[..., 0] / safe, half - f * cam[..., 1] / safe), dim=-1)
    lead = points.shape[:-1]
    return uv.reshape(cameras.views, *lead, 2), depth.reshape(cameras.views, *lead)


def check_range(
    name: str, value: Any, lo: float, hi: float, integer: bool = False, error: type[ValueError] = ValueError
) -> None:
    """Raise ``error`` naming the setting unless ``value`` is a number (an integer) in [lo, hi]."""
    kind = "an integer" if integer else "a number"
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (integer and not isinstance(value, int))
    ):
        raise error(f"{name}: expected {kind}, got {value!r}")
    if not math.isfinite(value) or not lo <= value <= hi:
        raise error(f"{name}: {value} is out of range [{lo:g}, {hi:g}]")


def _sub(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def _cross(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _norm(a: Sequence[float]) -> float:
    return math.sqrt(sum(c * c for c in a))


def _normalize(a: Sequence[float]) -> tuple[float, float, float]:
    n = _norm(a)
    return (a[0] / n, a[1] / n, a[2] / n)

"""The camera model: placement on the sphere, the world-to-camera convention, projection."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from threedraw.rendering.camera import CameraError, CameraRig, focal_px, look_at, project, sphere_point


def _matrix(rig: CameraRig) -> torch.Tensor:
    return torch.tensor(rig.world_to_camera(), dtype=torch.float64)


def test_default_rig_is_eight_views_around_the_origin():
    rig = CameraRig()
    assert rig.views == 8
    eyes = torch.tensor(rig.eyes(), dtype=torch.float64)
    assert torch.allclose(eyes.norm(dim=1), torch.full((8,), rig.distance, dtype=torch.float64))
    azimuths = [az for az, _ in rig.angles()]
    assert azimuths == [0, 45, 90, 135, 180, 225, 270, 315]


def test_front_view_looks_from_minus_y_towards_plus_y():
    x, y, z = sphere_point(0.0, 0.0, 5.0)
    assert (x, y, z) == pytest.approx((0.0, -5.0, 0.0))
    assert sphere_point(90.0, 0.0, 5.0) == pytest.approx((5.0, 0.0, 0.0))  # orbits towards +X
    assert sphere_point(0.0, 90.0, 5.0) == pytest.approx((0.0, 0.0, 5.0))


def test_world_to_camera_is_a_rigid_transform_that_follows_the_opengl_convention():
    for m in _matrix(CameraRig(views=5, elevation=33.0, azimuth=12.0)):
        rot = m[:3, :3]
        assert torch.allclose(rot @ rot.T, torch.eye(3, dtype=torch.float64), atol=1e-12)
        assert torch.det(rot) == pytest.approx(1.0)
        assert m[3].tolist() == [0.0, 0.0, 0.0, 1.0]
        eye = -rot.T @ m[:3, 3]
        origin_in_camera = m[:3, 3]
        # The origin lies straight ahead, on the camera's -Z axis, at the rig's distance.
        assert origin_in_camera[:2].abs().max() < 1e-12
        assert origin_in_camera[2] == pytest.approx(-eye.norm().item())
        # World +Z points up in the image (camera +Y), never down.
        assert (rot @ torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64))[1] > 0


def test_looking_straight_down_still_gives_a_valid_frame():
    m = torch.tensor(look_at((0.0, 0.0, 4.0)), dtype=torch.float64)
    rot = m[:3, :3]
    assert torch.allclose(rot @ rot.T, torch.eye(3, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(rot[2], torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64))  # -Z looks down


def test_projection_of_known_points():
    rig = CameraRig(views=1, elevation=0.0, distance=4.0, fov_degrees=90.0)
    size = 100
    cams = rig.cameras(dtype=torch.float64)
    # Camera at (0, -4, 0) looking +Y: x is right, z is up; fov 90 means x = depth reaches the edge.
    pts = torch.tensor(
        [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -2.0, 1.0]], dtype=torch.float64
    )
    uv, depth = project(pts, cams, size)
    assert uv.shape == (1, 4, 2) and depth.shape == (1, 4)
    assert uv[0, 0].tolist() == pytest.approx([50.0, 50.0])
    assert uv[0, 1].tolist() == pytest.approx([50.0 + 50.0 / 4.0, 50.0])  # right of centre
    assert uv[0, 2].tolist() == pytest.approx([50.0, 50.0 - 50.0 / 4.0])  # above centre: smaller row
    assert uv[0, 3].tolist() == pytest.approx([50.0, 50.0 - 50.0 / 2.0])  # nearer: farther out
    assert depth[0].tolist() == pytest.approx([4.0, 4.0, 4.0, 2.0])
    assert focal_px(90.0, size) == pytest.approx(50.0)


def test_projection_keeps_leading_dimensions_and_gradients():
    cams = CameraRig(views=3).cameras(dtype=torch.float64)
    pts = torch.rand(2, 5, 4, 3, dtype=torch.float64, requires_grad=True)
    uv, depth = project(pts, cams, 64)
    assert uv.shape == (3, 2, 5, 4, 2) and depth.shape == (3, 2, 5, 4)
    (uv.sum() + depth.sum()).backward()
    assert pts.grad is not None and torch.isfinite(pts.grad).all() and pts.grad.abs().sum() > 0


@pytest.mark.parametrize("elevation", [0.0, 20.0, 45.0, -20.0, 90.0])
def test_the_whole_cube_is_in_frame_and_in_front_for_default_framing(elevation):
    corners = torch.tensor(list(itertools.product([-1.0, 1.0], repeat=3)), dtype=torch.float64)
    rig = CameraRig(elevation=elevation)
    uv, depth = project(corners, rig.cameras(dtype=torch.float64), 224)
    assert (depth > 0.5).all()
    assert uv.min() >= 0.0 and uv.max() <= 224.0


def test_to_json_describes_every_view():
    rig = CameraRig(views=4, elevation=10.0)
    data = rig.to_json(size=128, stroke_width_px=2.0)
    assert len(data["views"]) == 4
    for view, m in zip(data["views"], rig.world_to_camera()):
        assert view["world_to_camera"] == m
        assert view["fov_degrees"] == rig.fov_degrees and view["size"] == 128
        assert len(view["world_to_camera"]) == 4 and all(len(r) == 4 for r in view["world_to_camera"])
        # 2 px at the origin's depth, in world units.
        assert view["stroke_width_world"] == pytest.approx(
            2.0 * rig.distance / focal_px(rig.fov_degrees, 128)
        )


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"views": 0}, "views"),
        ({"views": 65}, "views"),
        ({"views": 2.5}, "views"),
        ({"distance": 1.0}, "distance"),
        ({"fov_degrees": 179.0}, "fov_degrees"),
        ({"elevation": float("nan")}, "elevation"),
        ({"elevation": 91.0}, "elevation"),
    ],
)
def test_bad_settings_are_named(kwargs, word):
    with pytest.raises(CameraError, match=word):
        CameraRig(**kwargs)


def test_azimuth_offset_rotates_every_view():
    a = CameraRig(views=4, azimuth=30.0).angles()
    assert [az for az, _ in a] == [30.0, 120.0, 210.0, 300.0]
    assert all(el == 20.0 for _, el in a)
    assert math.isclose(sphere_point(30.0, 20.0, 5.0)[0], 5.0 * math.cos(math.radians(20)) * 0.5)

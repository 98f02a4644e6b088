"""The torch rasteriser: geometry, anti-aliasing, depth-aware width, batching, gradients, bad input."""

from __future__ import annotations

import pytest
import torch

import threedraw.rendering.rasteriser
from clip_fixtures import chair, line, random_sketch
from threedraw.rendering.camera import CameraRig, project
from threedraw.rendering.rasteriser import (
    MAX_SIZE,
    RenderConfig,
    RenderError,
    render,
    render_passes,
    render_sketches,
    sketches_to_tensor,
)
from threedraw.shared.sketch import Sketch, Stroke

FRONT = CameraRig(views=1, elevation=0.0)  # camera on -Y looking +Y: x right, z up


def _points(*strokes) -> torch.Tensor:
    return torch.tensor([list(strokes)], dtype=torch.float64)


def test_output_shape_range_and_white_paper():
    sketch = chair()
    images = render_sketches([sketch, sketch], CameraRig(views=3).cameras(), RenderConfig(size=96))
    assert images.shape == (2, 3, 96, 96)
    assert images.dtype == torch.float32
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert images.min() == 0.0  # solid ink in the middle of strokes
    assert (images == 1.0).float().mean() > 0.8  # mostly white paper
    assert torch.equal(images[0], images[1])


def test_a_horizontal_line_lands_where_the_camera_model_says():
    size = 100
    cams = FRONT.cameras(dtype=torch.float64)
    pts = _points(line([-0.5, 0.0, 0.3], [0.5, 0.0, 0.3]))
    img = render(pts, cams, RenderConfig(size=size, stroke_width=4.0))[0, 0]
    (u0, v0), (u1, _) = project(pts[0, 0, [0, 3]], cams, size)[0][0].tolist()
    ink = img < 0.5
    rows = ink.any(dim=1).nonzero().squeeze(1).tolist()
    cols = ink.any(dim=0).nonzero().squeeze(1).tolist()
    width = 4.0 * size / 224
    assert rows and min(rows) >= v0 - width and max(rows) <= v0 + width
    assert v0 < size / 2  # z > 0 is above the centre
    assert abs(min(cols) - u0) <= width and abs(max(cols) + 1 - u1) <= width
    assert u0 < u1  # +x is to the right


def test_strokes_leaving_the_frame_are_cut_at_its_edge():
    cams = CameraRig(views=1, elevation=0.0, fov_degrees=20.0).cameras(dtype=torch.float64)
    config = RenderConfig(size=64, stroke_width=8.0)
    img = render(_points(line([-1.0, 0.0, 0.05], [1.0, 0.0, 0.05])), cams, config)[0, 0]
    ink = 1.0 - img
    assert torch.allclose(ink.sum(dim=0), torch.full((64,), config.width_px, dtype=torch.float64), rtol=0.02)
    rows = ink.sum(dim=1).nonzero().squeeze(1)
    assert rows.max() - rows.min() <= config.width_px + 1  # one band: nothing wraps onto other rows


def test_strokes_are_anti_aliased():
    img = render(
        _points(line([-0.6, 0.0, -0.6], [0.5, 0.0, 0.7])),
        FRONT.cameras(dtype=torch.float64),
        RenderConfig(size=128),
    )[0, 0]
    grey = ((img > 0.05) & (img < 0.95)).sum()
    assert grey > 50  # a slanted line has partly covered pixels along both edges


def test_nearer_strokes_are_thicker():
    near = line([-0.5, -0.9, 0.4], [0.5, -0.9, 0.4])
    far = line([-0.5, 0.9, -0.4], [0.5, 0.9, -0.4])
    img = render(
        _points(near, far), FRONT.cameras(dtype=torch.float64), RenderConfig(size=224, stroke_width=3.0)
    )
    ink = 1.0 - img[0, 0]
    col = 112  # both lines cross the middle column; the near one is in the upper half
    assert ink[:112, col].sum() > 1.3 * ink[112:, col].sum()


def test_stroke_width_scales_with_image_size():
    sketch = chair()
    small = render_sketches([sketch], CameraRig(views=2).cameras(), RenderConfig(size=112))
    large = render_sketches([sketch], CameraRig(views=2).cameras(), RenderConfig(size=224))
    ink_small = (1 - small).mean().item()
    ink_large = (1 - large).mean().item()
    assert ink_large == pytest.approx(ink_small, rel=0.15)  # same look at both sizes


def test_colours_are_configurable():
    pts = _points(line([-0.5, 0.0, 0.0], [0.5, 0.0, 0.0]))
    img = render(pts, FRONT.cameras(dtype=torch.float64), RenderConfig(size=224, stroke=1.0, background=0.0))[
        0, 0
    ]
    assert img[0, 0] == 0.0 and img.max() == 1.0


@pytest.mark.parametrize("size, z", [(64, 0.0), (64, 0.011), (224, 0.0), (224, 0.0047)])
def test_ink_across_a_stroke_adds_up_to_its_width(size, z):
    # Coverage is the area of each pixel the stroke covers, so even a stroke thinner than a
    # pixel (0.57 px at 64 px) leaves exactly its width of ink in every column it crosses.
    config = RenderConfig(size=size)
    img = render(_points(line([-0.5, 0.0, z], [0.5, 0.0, z])), FRONT.cameras(dtype=torch.float64), config)[
        0, 0
    ]
    ink = (1.0 - img)[:, size // 2 - 4 : size // 2 + 4].sum(dim=0)
    assert torch.allclose(ink, torch.full_like(ink, config.width_px), rtol=0.02)


def test_batches_and_padding_do_not_change_a_sketch():
    cams = CameraRig(views=3).cameras()
    a, b = chair(), random_sketch(7, seed=2)
    together = render_sketches([a, b], cams, RenderConfig(size=80))
    alone = torch.cat([render_sketches([s], cams, RenderConfig(size=80)) for s in (a, b)])
    assert torch.allclose(together, alone, atol=1e-6)
    points, mask = sketches_to_tensor([a, b])
    assert points.shape == (2, len(a.strokes), 4, 3) and mask.sum() == len(a.strokes) + 7
    points[1, 7:] = float("nan")  # padding is never read
    assert torch.allclose(render(points, cams, RenderConfig(size=80), mask), together, atol=1e-6)


def test_passes_split_large_jobs_without_changing_the_images(monkeypatch):
    sketches = [chair(), random_sketch(5, seed=3), random_sketch(8, seed=4)]
    cams = CameraRig(views=5).cameras()
    config = RenderConfig(size=48)
    whole = render_sketches(sketches, cams, config)
    monkeypatch.setattr(threedraw.rendering.rasteriser, "MAX_PIXELS", 2 * 48 * 48)  # two images per pass
    pieces = list(render_passes(sketches, cams, config))
    assert all(images.shape[0] * images.shape[1] <= 2 for _, _, images in pieces)
    rebuilt = torch.ones_like(whole)
    for s0, v0, images in pieces:
        rebuilt[s0 : s0 + images.shape[0], v0 : v0 + images.shape[1]] = images
    assert torch.allclose(rebuilt, whole, atol=1e-6)
    with pytest.raises(RenderError, match="too much"):
        render_sketches(sketches, cams, config)


def test_gradient_matches_finite_differences():
    torch.manual_seed(1)
    cams = CameraRig(views=3).cameras(dtype=torch.float64)
    config = RenderConfig(size=64, stroke_width=6.0)
    pts = torch.rand(2, 3, 4, 3, dtype=torch.float64) * 1.4 - 0.7
    weight = torch.rand(2, 3, 64, 64, dtype=torch.float64)

    def loss(p):
        return (render(p, cams, config) * weight).sum()

    p = pts.clone().requires_grad_(True)
    loss(p).backward()
    for _ in range(3):
        d = torch.randn_like(pts)
        d /= d.norm()
        eps = 1e-5
        numeric = (loss(pts + eps * d) - loss(pts - eps * d)) / (2 * eps)
        assert (p.grad * d).sum().item() == pytest.approx(numeric.item(), rel=1e-3, abs=1e-4)


def test_gradient_pulls_a_stroke_towards_ink_wanted_elsewhere():
    cams = FRONT.cameras()
    pts = torch.tensor([[line([-0.5, 0.0, 0.0], [0.5, 0.0, 0.0])]], requires_grad=True)
    img = render(pts, cams, RenderConfig(size=64, stroke_width=8.0))  # rows 31-32, 2.3 px wide
    target = torch.ones_like(img)
    target[..., 29:32, 20:44] = 0.0  # ink wanted a pixel and a half higher
    ((img - target) ** 2).sum().backward()
    assert torch.isfinite(pts.grad).all()
    assert pts.grad[..., 2].sum() < 0  # gradient descent moves the stroke up (+z)


def test_zero_length_strokes_draw_a_dot_with_finite_gradients():
    dot = [[0.1, 0.2, 0.3]] * 4
    pts = torch.tensor([[dot]], requires_grad=True)
    img = render(pts, FRONT.cameras(), RenderConfig(size=224))  # 2 px wide
    assert 0 < (img < 0.5).sum() <= 9
    img.sum().backward()
    assert torch.isfinite(pts.grad).all()


def test_empty_sketches_render_blank_and_keep_the_graph():
    images = render_sketches([Sketch(prompt="nothing")], CameraRig(views=2).cameras(), RenderConfig(size=32))
    assert images.shape == (1, 2, 32, 32) and bool((images == 1.0).all())
    pts = torch.zeros(1, 0, 4, 3, requires_grad=True)
    render(pts, CameraRig(views=2).cameras(), RenderConfig(size=32)).sum().backward()
    assert pts.grad is not None and pts.grad.shape == (1, 0, 4, 3)


def test_the_most_strokes_a_sketch_may_have_render():
    sketch = random_sketch(256, seed=5)
    img = render_sketches([sketch], CameraRig(views=2).cameras(), RenderConfig(size=128))
    assert torch.isfinite(img).all() and (img < 0.5).float().mean() > 0.05


def test_bad_input_is_refused_with_what_and_where():
    cams = CameraRig(views=2).cameras()
    pts = torch.zeros(1, 3, 4, 3)
    pts[0, 1, 2, 0] = float("nan")
    with pytest.raises(RenderError, match="stroke 2, control point 2"):
        render(pts, cams)
    with pytest.raises(RenderError, match="shape"):
        render(torch.zeros(3, 4, 3), cams)
    with pytest.raises(RenderError, match="size: 4096"):
        RenderConfig(size=4096)
    with pytest.raises(RenderError, match="too much"):
        render(torch.zeros(64, 1, 4, 3), CameraRig(views=64).cameras(), RenderConfig(size=MAX_SIZE))
    with pytest.raises(RenderError, match="stroke_width"):
        RenderConfig(stroke_width=0.0)
    # A hand-built Stroke bypasses the file checks; the renderer still names the bad point.
    bad = Sketch(
        prompt="x", strokes=[Stroke(id="s1", points=((0, 0, 0), (0, 0, 0), (0, float("inf"), 0), (1, 1, 1)))]
    )
    with pytest.raises(RenderError, match="stroke 1, control point 2"):
        render_sketches([bad], cams)


DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("device", DEVICES)
def test_runs_on_every_device_with_the_same_result(device):
    sketch = random_sketch(12, seed=9)
    cpu = render_sketches([sketch], CameraRig(views=2).cameras(), RenderConfig(size=96))
    points, mask = sketches_to_tensor([sketch], device=device)
    points.requires_grad_(True)
    out = render(points, CameraRig(views=2).cameras(device=device), RenderConfig(size=96), mask)
    assert out.device.type == device
    assert torch.allclose(out.detach().cpu(), cpu, atol=1e-4)
    out.sum().backward()
    assert points.grad is not None and torch.isfinite(points.grad).all()

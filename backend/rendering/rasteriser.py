"""Differentiable multi-view rasteriser for 3D cubic Bezier sketches, in plain torch.

Each curve is sampled in 3D, projected into every view (``threedraw.rendering.camera``), and drawn as the
polyline through its projected samples: a stroke of round-capped segments whose coverage of a
pixel is ``clamp(half_width + 0.5 - distance, 0, 1)``, a one-pixel linear ramp at the edge
(anti-aliasing). Overlapping segments and strokes combine by maximum, so joints between
segments never darken. The image is ``background + (stroke - background) * coverage``.

Width depends on depth: a point at depth z is drawn ``width * distance / z`` pixels wide, so
nearer parts are thicker and a stroke has a constant width in world units (a tube, as a thin
Blender bevel would be). ``RenderConfig.stroke_width`` is given in pixels of a 224 px image and
scales with the image size, so a render looks the same at every size.

Speed comes from two passes. Pass 1, without autograd, evaluates each segment only in a small
K x K pixel window around it (segments are a few pixels long, so K is small; segments outside
the image are skipped) and merges the windows into the image with ``scatter_reduce(amax)``.
Pass 2, only when the control points require grad, recomputes differentiably just the pixels
on the strokes' anti-aliased edges (0 < coverage < 1), each from the segment that won it, and
puts them back with ``index_put``: the interior of a stroke (coverage 1) and the paper have zero
gradient anyway. So the backward pass touches a small fraction of the pixels.

Everything is batched over sketches x views, runs on whatever device the control points are on
(CPU or CUDA), and is differentiable with respect to the control points. One call draws at most
MAX_PIXELS pixels; ``render_passes`` splits larger jobs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch

from ..shared.sketch import Sketch
from .camera import DEFAULT_SIZE, MAX_SIZE, MIN_SIZE, Cameras, check_range, focal_px, project

MAX_PIXELS = 1 << 24  # sketches x views x size^2 in one call (64 MB of float32; 16 views at 1024 px)
REFERENCE_SIZE = DEFAULT_SIZE  # stroke_width is in pixels of an image this size
DEFAULT_STROKE_WIDTH = 2.0
MAX_STROKE_WIDTH = 16.0
SEGMENT_PX = 4.0  # target length of one polyline segment, in pixels
MAX_SEGMENTS = 1024  # per curve (a curve across a 1024 px image needs a few hundred)
CHUNK_SEGMENTS = 1 << 18  # (segment, view) pairs projected at once: bounds peak memory
CHUNK_ELEMENTS = 1 << 23  # window pixels evaluated at once: bounds peak memory
_FAR = 1e6  # pixels from a segment: where window pixels outside the image are put


class RenderError(ValueError):
    """Input the renderer cannot draw; the message says what and where."""


@dataclass(frozen=True)
class RenderConfig:
    size: int = DEFAULT_SIZE
    stroke_width: float = DEFAULT_STROKE_WIDTH  # px at 224 px, at the origin's depth
    stroke: float = 0.0  # grey level of the ink
    background: float = 1.0  # grey level of the paper

    def __post_init__(self) -> None:
        check_range("size", self.size, MIN_SIZE, MAX_SIZE, integer=True, error=RenderError)
        check_range("stroke_width", self.stroke_width, 0.1, MAX_STROKE_WIDTH, error=RenderError)
        check_range("stroke", self.stroke, 0.0, 1.0, error=RenderError)
        check_range("background", self.background, 0.0, 1.0, error=RenderError)

    @property
    def width_px(self) -> float:
        """Stroke width in pixels of this image, at the origin's depth."""
        return self.stroke_width * self.size / REFERENCE_SIZE


def sketches_to_tensor(
    sketches: Sequence[Sketch], device: Any = None, dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pack sketches into control points [B, S, 4, 3] and a stroke mask [B, S] (S = most strokes)."""
    width = max((len(s.strokes) for s in sketches), default=0)
    points = torch.zeros(len(sketches), width, 4, 3, dtype=torch.float64)
    mask = torch.zeros(len(sketches), width, dtype=torch.bool)
    for b, sketch in enumerate(sketches):
        if sketch.strokes:
            points[b, : len(sketch.strokes)] = torch.tensor(
                [s.points for s in sketch.strokes], dtype=torch.float64
            )
            mask[b, : len(sketch.strokes)] = True
    return points.to(device=device, dtype=dtype), mask.to(device=device)


def render_sketches(
    sketches: Sequence[Sketch], cameras: Cameras, config: RenderConfig = RenderConfig(), device: Any = None
) -> torch.Tensor:
    """Render sketches from every camera: grey images [B, V, size, size] in [0, 1]."""
    points, mask = sketches_to_tensor(sketches, device=device)
    return render(points, cameras, config, mask)


def render_passes(
    sketches: Sequence[Sketch],
    cameras: Cameras,
    config: RenderConfig = RenderConfig(),
    device: Any = None,
    max_sketches: int | None = None,
) -> Iterator[tuple[int, int, torch.Tensor]]:
    """Render any number of sketches and views in passes of at most MAX_PIXELS pixels each.

    Yields (first sketch, first view, images [b, v, size, size]) for each pass, so a caller holds
    one pass's images at a time. ``max_sketches`` caps the sketches per pass further.
    """
    pixels = config.size * config.size
    views_per_pass = min(cameras.views, max(1, MAX_PIXELS // pixels))
    sketches_per_pass = max(1, MAX_PIXELS // (views_per_pass * pixels))
    if max_sketches is not None:
        sketches_per_pass = min(sketches_per_pass, max_sketches)
    for s0 in range(0, len(sketches), sketches_per_pass):
        points, mask = sketches_to_tensor(sketches[s0 : s0 + sketches_per_pass], device=device)
        for v0 in range(0, cameras.views, views_per_pass):
            some = replace(cameras, world_to_camera=cameras.world_to_camera[v0 : v0 + views_per_pass])
            yield s0, v0, render(points, some, config, mask)


def render(
    points: torch.Tensor,
    cameras: Cameras,
    config: RenderConfig = RenderConfig(),
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Render control points [B, S, 4, 3] (mask [B, S]: which strokes exist) into [B, V, H, W].

    Differentiable with respect to ``points``; runs on ``points.device``.
    """
    mask = _check_input(points, mask)
    batch, strokes = points.shape[:2]
    size, views = config.size, cameras.views
    if batch * views * size * size > MAX_PIXELS:
        raise RenderError(
            f"{batch} sketches x {views} views x {size}x{size} px is too much for one render "
            f"(at most {MAX_PIXELS} pixels); render fewer at a time"
        )
    curves = points[mask]  # [C, 4, 3]
    sketch_of_curve = torch.arange(batch, device=points.device)[:, None].expand(batch, strokes)[mask]
    segments = _segments_per_curve(curves, cameras, config)

    # Pass 1, without autograd: every segment's coverage in its window, merged by maximum.
    differentiable = torch.is_grad_enabled() and points.requires_grad
    coverage = torch.zeros(batch * views * size * size, dtype=points.dtype, device=points.device)
    chunks = []
    for lo, hi in _curve_chunks(segments, views):
        seg = _project_segments(curves[lo:hi], segments[lo:hi], sketch_of_curve[lo:hi], cameras, config)
        with torch.no_grad():
            cand = _window_coverage(seg, size)
            coverage.scatter_reduce_(0, cand.index, cand.coverage, reduce="amax")
        if differentiable:
            chunks.append((seg, cand))

    # Pass 2, with autograd: recompute the pixels on a stroke's anti-aliased edge (0 < coverage < 1)
    # from the segment that won them, and put them back into the image.
    if differentiable:
        index, values = [], []
        for seg, cand in chunks:
            won = ((cand.coverage >= coverage[cand.index]) & (cand.coverage < 1.0)).nonzero().squeeze(1)
            index.append(cand.index[won])
            values.append(_edge_coverage(seg, cand, won, size))
        if index:
            coverage = coverage.index_put((torch.cat(index),), torch.cat(values))
        else:
            coverage = coverage + 0.0 * points.sum()  # nothing drawn: a zero gradient, not none
    images = config.background + (config.stroke - config.background) * coverage
    return images.reshape(batch, views, size, size)


def bezier_basis(t: torch.Tensor) -> torch.Tensor:
    """Cubic Bernstein weights [..., 4] at parameters t [...]."""
    s = 1.0 - t
    return torch.stack((s * s * s, 3.0 * s * s * t, 3.0 * s * t * t, t * t * t), dim=-1)


@dataclass
class _Segments:
    """Projected polyline segments, one entry per (view, segment), flattened."""

    a: torch.Tensor  # [N, 2] pixel coordinates (column, row) of each end
    b: torch.Tensor
    reach: torch.Tensor  # [N] half width + half a pixel: beyond this a pixel centre gets no ink
    image: torch.Tensor  # [N] which image (sketch * views + view) the segment is drawn in


@dataclass
class _Candidates:
    """Pixels with coverage > 0 from some segment: one entry per (segment, pixel)."""

    coverage: torch.Tensor  # [n]
    index: torch.Tensor  # [n] flat index into the [B, V, H, W] image
    segment: torch.Tensor  # [n] which entry of _Segments drew it


def _check_input(points: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    if points.dim() != 4 or points.shape[2:] != (4, 3):
        raise RenderError(
            f"control points: expected shape [sketches, strokes, 4, 3], got {list(points.shape)}"
        )
    if not points.is_floating_point():
        raise RenderError(f"control points: expected floating point values, got {points.dtype}")
    batch, strokes = points.shape[:2]
    if mask is None:
        mask = torch.ones(batch, strokes, dtype=torch.bool, device=points.device)
    elif mask.shape != (batch, strokes):
        raise RenderError(f"stroke mask: expected shape {[batch, strokes]}, got {list(mask.shape)}")
    mask = mask.to(device=points.device, dtype=torch.bool)
    bad = ~torch.isfinite(points).all(dim=-1) & mask[..., None]  # [B, S, 4]
    if bool(bad.any()):
        b, s, k = (int(i) for i in bad.nonzero()[0])
        raise RenderError(f"sketch {b}, stroke {s + 1}, control point {k}: not a finite number")
    return mask


def _segments_per_curve(curves: torch.Tensor, cameras: Cameras, config: RenderConfig) -> torch.Tensor:
    """How many polyline segments each curve needs so that none is longer than about SEGMENT_PX.

    A cubic's speed never exceeds 3x its longest control-polygon edge, and no camera of the rig
    magnifies more than focal / (distance - |p|) pixels per world unit near a point p. The bound
    depends on the curve and the rig's distance and field of view only, never on which views are
    drawn, so a sketch looks the same however its views are split into passes.
    """
    with torch.no_grad():
        edge = (curves[:, 1:] - curves[:, :-1]).norm(dim=-1).amax(dim=1)  # [C]
        nearest = (cameras.distance - curves.norm(dim=-1).amax(dim=1)).clamp(min=0.1)
        pixels = 3.0 * edge * focal_px(cameras.fov_degrees, config.size) / nearest
        return torch.ceil(pixels / SEGMENT_PX).clamp(1, MAX_SEGMENTS).long()


def _curve_chunks(segments: torch.Tensor, views: int):
    """Ranges of curves with at most about CHUNK_SEGMENTS segments over all views, to bound memory."""
    cost = (segments * views).cumsum(0).tolist()
    lo, base = 0, 0
    for i, c in enumerate(cost):
        if c - base > CHUNK_SEGMENTS and i > lo:
            yield lo, i
            lo, base = i, cost[i - 1]
    if cost:
        yield lo, len(cost)


def _project_segments(
    curves: torch.Tensor,
    segments: torch.Tensor,
    sketch_of_curve: torch.Tensor,
    cameras: Cameras,
    config: RenderConfig,
) -> _Segments:
    """Sample each curve uniformly in t (segments[c] steps), project, and pair up neighbours."""
    device = curves.device
    counts = segments + 1
    curve_of_sample = torch.repeat_interleave(torch.arange(curves.shape[0], device=device), counts)
    starts = torch.cumsum(counts, 0) - counts
    local = torch.arange(curve_of_sample.shape[0], device=device) - starts[curve_of_sample]
    t = local.to(curves.dtype) / segments[curve_of_sample].to(curves.dtype)
    samples = torch.einsum("pk,pkd->pd", bezier_basis(t), curves[curve_of_sample])  # [P, 3]
    uv, depth = project(samples, cameras, config.size)  # [V, P, 2], [V, P]
    first = (local < segments[curve_of_sample]).nonzero().squeeze(1)  # every sample but a curve's last
    # Width in pixels falls off with depth (a tube of constant world width); one per segment.
    half = 0.5 * config.width_px * cameras.distance / depth
    reach = 0.5 * (half[:, first] + half[:, first + 1]) + 0.5
    views = cameras.views
    view = torch.arange(views, device=device)[:, None]
    image = sketch_of_curve[curve_of_sample[first]][None, :] * views + view  # [V, M]
    return _Segments(
        a=uv[:, first].reshape(-1, 2),
        b=uv[:, first + 1].reshape(-1, 2),
        reach=reach.reshape(-1),
        image=image.reshape(-1),
    )


def _window_coverage(seg: _Segments, size: int) -> _Candidates:
    """Coverage of the pixels around every segment that reaches into the image; keeps those with ink."""
    lo = torch.minimum(seg.a, seg.b) - seg.reach[:, None]
    hi = torch.maximum(seg.a, seg.b) + seg.reach[:, None]
    visible = ((hi >= 0) & (lo <= size)).all(dim=1).nonzero().squeeze(1)
    if visible.numel() == 0:
        empty = seg.image.new_zeros(0)
        return _Candidates(coverage=seg.reach.new_zeros(0), index=empty, segment=empty)
    # One window side K for all: the largest segment box; then as many windows at a time as fit.
    k = int((hi - lo)[visible].amax()) + 2
    parts = [_windows(seg, ids, k, size) for ids in visible.split(max(1, CHUNK_ELEMENTS // (k * k)))]
    return _Candidates(*(torch.cat(column) for column in zip(*parts)))


def _windows(seg: _Segments, ids: torch.Tensor, k: int, size: int) -> tuple[torch.Tensor, ...]:
    """(coverage, image index, segment) of the inked pixels in the K x K windows of segments ``ids``."""
    a, b, reach = seg.a[ids], seg.b[ids], seg.reach[ids]
    # Pixel j has its centre at j + 0.5; the centres within reach of the segment's box start here.
    origin = torch.ceil(torch.minimum(a, b) - reach[:, None] - 0.5)  # [n, 2] (col, row)
    offs = torch.arange(k, device=a.device, dtype=a.dtype)
    ab = b - a
    length = ab.norm(dim=1)
    # Unit direction; a zero-length segment is a dot, measured from a along any axis.
    unit = torch.where(
        length[:, None] > 1e-9,
        ab / length.clamp(min=1e-9)[:, None],
        torch.tensor([1.0, 0.0], dtype=a.dtype, device=a.device),
    )
    ex, ey = unit[:, 0, None], unit[:, 1, None]  # [n, 1]
    px = (origin[:, 0] + 0.5 - a[:, 0])[:, None] + offs  # [n, K] centre x - a.x, per column
    py = (origin[:, 1] + 0.5 - a[:, 1])[:, None] + offs  # per row
    # Columns and rows outside the image are moved far away, so they get no ink.
    pixel = origin[:, None, :] + offs[:, None]  # [n, K, 2] (col, row) of each window column / row
    outside = (pixel < 0) | (pixel >= size)
    px = px.masked_fill(outside[..., 0], _FAR)
    py = py.masked_fill(outside[..., 1], _FAR)
    # Each centre's position along the segment (from its middle) and across it: [n, K (row), K (col)].
    # Few, fused full-size operations: on a busy machine every parallel one costs a thread sync.
    half = (0.5 * length)[:, None]
    along = (py * ey)[:, :, None] + (px * ex - half)[:, None, :]
    across = (py * ex)[:, :, None] - (px * ey)[:, None, :]
    beyond = along.abs_().sub_(half[:, :, None]).clamp_(min=0.0)  # distance past the segment's ends
    cov = torch.hypot(beyond, across, out=across).neg_().add_(reach[:, None, None]).clamp_(0.0, 1.0)

    flat = (cov > 0).reshape(-1).nonzero().squeeze(1)
    # flat = window * K^2 + cell; the image index is the window's top-left pixel plus the cell's offset.
    window = flat // (k * k)
    cells = torch.arange(k * k, device=a.device)
    cell_offset = (cells // k) * size + cells % k
    corner = (seg.image[ids] * size + origin[:, 1].long()) * size + origin[:, 0].long()  # [n]
    index = corner[window] + cell_offset[flat - window * (k * k)]
    return cov.reshape(-1)[flat], index, ids[window]


def _edge_coverage(seg: _Segments, cand: _Candidates, pick: torch.Tensor, size: int) -> torch.Tensor:
    """Differentiable coverage of candidates ``pick``: the same formula as _windows."""
    which = cand.segment[pick]
    a = seg.a.index_select(0, which)
    b = seg.b.index_select(0, which)
    reach = seg.reach.index_select(0, which)
    pixel = cand.index[pick]
    cx = (pixel % size).to(a.dtype) + 0.5
    cy = ((pixel // size) % size).to(a.dtype) + 0.5
    abx, aby = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
    apx, apy = cx - a[:, 0], cy - a[:, 1]
    t = ((apx * abx + apy * aby) / (abx * abx + aby * aby).clamp(min=1e-18)).clamp(0.0, 1.0)
    dx, dy = apx - t * abx, apy - t * aby
    return (reach - torch.sqrt(dx * dx + dy * dy + 1e-18)).clamp(0.0, 1.0)

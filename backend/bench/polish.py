"""`threedraw bench polish`: the cost of one polish step and what polish keeps, on this machine.

Timing uses the ViT-B-32 architecture with random weights (the same compute as trained ones,
nothing to download) on a 30-stroke sketch at 224 px and ``--precision auto``: one default step
(3 of the 8 jittered views, ``optimise.train_views``, rendered, augmented and scored, forward +
backward) and the same step on all 8 evaluation views, each split into the rasteriser's forward +
backward and CLIP's; the 8-view evaluation pass; the default run (``DEFAULT_STEPS`` with its
evaluations) as one whole. Beside them, the floor physics puts under the 8-view step: CLIP's
counted FLOPs over this machine's measured matrix-product speed. Then a corpus of joined sketches
(backend/testing/sketch_corpus.py) is polished with a tiny CLIP (polish's defaults, at the tiny
model's 64 px): the evaluation-view reward must rise on each, every joint that met must still meet
exactly, no point may move beyond the trust radius or leave the cube. The load average is printed
at the start and the end: the machine may be shared, and every figure is only as good as the load
allows.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any

STEP_TARGET_S = 0.25
TOTAL_TARGET_S = 30.0
RENDER_SHARE_TARGET = 0.25
MEANINGS = {
    "load_average_start": "1-minute load average when timing began (2 cores here: above 2 means sharing)",
    "load_average_end": "1-minute load average when timing ended",
    "threads": "torch CPU threads",
    "auto_dtype": "what --precision auto encodes with here",
    "train_views": "jittered views optimised per default step (the evaluation uses all 8)",
    "step_seconds": "one default polish step (render + augment + CLIP, forward + backward), median",
    "render_fwd_bwd_seconds": "the rasteriser's forward + backward in a default step, median",
    "clip_fwd_bwd_seconds": "CLIP's forward + backward in a default step, median",
    "render_share_of_clip": "rasteriser / CLIP (forward + backward) in a default step",
    "step_8_views_seconds": "one step on all 8 views, median",
    "render_8_views_fwd_bwd_seconds": "the rasteriser's forward + backward on 8 views, median",
    "clip_8_views_fwd_bwd_seconds": "CLIP's forward + backward on 8 views, median",
    "eval_8_views_seconds": "the evaluation pass (8 views, forward only), median",
    "clip_8_views_gflop": "CLIP's forward + backward FLOPs on 8 views (counted), GFLOP",
    "matmul_gflops": "this machine's matrix product at the auto dtype (2048^2), GFLOP/s",
    "step_8_views_floor_seconds": "8-view CLIP FLOPs / matmul GFLOP/s: no 8-view step can be faster",
    "default_steps": "polish steps by default",
    "default_run_seconds": "a whole polish run with the default steps (with its evaluations)",
    "step_target_met": f"target: one default step at most {STEP_TARGET_S} s",
    "total_target_met": f"target: the default run at most {TOTAL_TARGET_S:g} s",
    "render_share_target_met": f"target: rasteriser at most {RENDER_SHARE_TARGET:.0%} of CLIP",
    "corpus_sketches": "corpus sketches polished with a tiny CLIP",
    "corpus_reward_rose": "sketches whose evaluation-view reward rose",
    "corpus_joints_kept": "sketches whose every joint still meets exactly (ends equal; T-gaps kept)",
    "corpus_max_move_over_trust": "largest move / trust radius over the corpus (at most 1)",
    "corpus_in_cube": "no point outside the cube",
}


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    figures = timing()
    figures.update(corpus())
    return figures


def timing(views: int = 8, size: int = 224, strokes: int = 30, repeats: int = 3) -> dict[str, Any]:
    import open_clip
    import torch

    from ..polish.optimise import DEFAULT_STEPS, PolishConfig, _augment, polish, train_views
    from ..rendering.camera import CameraRig
    from ..rendering.rasteriser import RenderConfig, render, sketches_to_tensor
    from ..scoring.clip import quiet_logs, reduced_dtype, wrap_model
    from .scoring import _median_time, random_sketch

    load_start = os.getloadavg()[0]
    device = torch.device("cpu")
    with quiet_logs():
        clip = wrap_model("ViT-B-32", open_clip.create_model("ViT-B-32"), device)
    sketch = random_sketch(strokes, seed=0)
    config = RenderConfig(size=size)
    points, _ = sketches_to_tensor([sketch])
    gen = torch.Generator().manual_seed(0)
    defaults = PolishConfig(views=views, size=size)
    per_step = train_views(defaults)

    def parts(cameras) -> tuple[float, float, float]:
        """Median seconds of the rasteriser's forward + backward, CLIP's, and the whole step."""

        def render_fb() -> torch.Tensor:
            p = points.clone().requires_grad_(True)
            images = render(p, cameras, config)
            (images * 0.5).sum().backward()
            return images.detach()

        images = render_fb()[0].unsqueeze(1)

        def clip_fb() -> None:
            x = images.clone().requires_grad_(True)
            (-clip.similarity(x, "a chair", "auto").mean()).backward()

        def step() -> None:
            p = points.clone().requires_grad_(True)
            im = _augment(render(p, cameras, config)[0].unsqueeze(1), gen)
            (-clip.similarity(im, "a chair", "auto").mean()).backward()

        return tuple(_median_time(f, repeats) for f in (render_fb, clip_fb, step))  # type: ignore[return-value]

    all_cameras = CameraRig(views=views).cameras()
    t_render, t_clip, t_step = parts(CameraRig(views=per_step).cameras())
    t_render8, t_clip8, t_step8 = parts(all_cameras)

    def evaluate() -> None:
        with torch.inference_mode():
            clip.similarity(render(points, all_cameras, config)[0].unsqueeze(1), "a chair", "auto")

    t_eval = _median_time(evaluate, repeats)
    dtype = reduced_dtype(device, "auto")
    gflop = _clip_gflop(clip, views, size)
    gflops = _matmul_gflops(dtype or torch.float32)
    start = time.perf_counter()
    polish(sketch, "a chair", clip, defaults)
    total = time.perf_counter() - start
    return {
        "load_average_start": round(load_start, 2),
        "load_average_end": round(os.getloadavg()[0], 2),
        "threads": torch.get_num_threads(),
        "auto_dtype": str(dtype).replace("torch.", "") if dtype else "float32",
        "train_views": per_step,
        "step_seconds": t_step,
        "render_fwd_bwd_seconds": t_render,
        "clip_fwd_bwd_seconds": t_clip,
        "render_share_of_clip": t_render / t_clip,
        "step_8_views_seconds": t_step8,
        "render_8_views_fwd_bwd_seconds": t_render8,
        "clip_8_views_fwd_bwd_seconds": t_clip8,
        "eval_8_views_seconds": t_eval,
        "clip_8_views_gflop": gflop,
        "matmul_gflops": gflops,
        "step_8_views_floor_seconds": gflop / gflops,
        "default_steps": DEFAULT_STEPS,
        "default_run_seconds": total,
        "step_target_met": t_step <= STEP_TARGET_S,
        "total_target_met": total <= TOTAL_TARGET_S,
        "render_share_target_met": t_render / t_clip <= RENDER_SHARE_TARGET,
    }


def _clip_gflop(clip, views: int, size: int) -> float:
    """CLIP's image forward + backward FLOPs on ``views`` grey images, as torch counts them."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    clip.encode_text("a chair")  # cached: not counted
    x = torch.rand(views, 1, size, size, requires_grad=True)
    with FlopCounterMode(display=False) as counter:
        clip.similarity(x, "a chair", "fp32").mean().backward()
    return counter.get_total_flops() / 1e9


def _matmul_gflops(dtype, n: int = 2048, repeats: int = 5) -> float:
    """The best of a few square matrix products in ``dtype``: this machine's practical peak."""
    import torch

    a, b = torch.rand(n, n, dtype=dtype), torch.rand(n, n, dtype=dtype)
    a @ b
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def corpus(count: int = 6) -> dict[str, Any]:
    from ..polish.constraints import joint_graph
    from ..polish.optimise import PolishConfig, polish
    from ..scoring.clip import load_clip
    from ..shared.bezier import point_at
    from ..testing.sketch_corpus import synthetic
    from ..testing.tiny_clip import make_tiny_clip

    with tempfile.TemporaryDirectory() as folder:
        cfg, ckpt = make_tiny_clip(Path(folder))
        clip = load_clip(str(cfg), checkpoint=str(ckpt), device="cpu")
        rose = kept = 0
        worst, in_cube = 0.0, True
        sketches = synthetic(count, seed=3)
        for sketch in sketches:
            config = PolishConfig(size=64, precision="fp32")  # polish's defaults, at the tiny CLIP's size
            result = polish(sketch, sketch.prompt or "a chair", clip, config)
            rose += result.reward_after > result.reward_before
            kept += _joints_kept(sketch, result.sketch, joint_graph(sketch), point_at)
            moves = [
                math.dist(p, q)
                for a, b in zip(sketch.strokes, result.sketch.strokes)
                for p, q in zip(a.points, b.points)
            ]
            worst = max(worst, max(moves) / result.trust_radius)
            in_cube &= all(abs(c) <= 1.0 for s in result.sketch.strokes for p in s.points for c in p)
    return {
        "corpus_sketches": len(sketches),
        "corpus_reward_rose": rose,
        "corpus_joints_kept": kept,
        "corpus_max_move_over_trust": worst,
        "corpus_in_cube": in_cube,
    }


def _joints_kept(before, after, graph, point_at) -> bool:
    ends = lambda s: [s.strokes[e // 2].points[3 * (e % 2)] for e in range(2 * len(s.strokes))]  # noqa: E731
    b, a = ends(before), ends(after)
    for i in range(len(b)):
        for j in range(i + 1, len(b)):
            if b[i] == b[j] and a[i] != a[j]:
                return False
    for e, g in enumerate(graph.group_of_end):
        host = graph.host[g]
        if host >= 0:
            was = math.dist(point_at(before.strokes[host].points, graph.t[g]), b[e])
            now = math.dist(point_at(after.strokes[host].points, graph.t[g]), a[e])
            if abs(now - was) > 1e-9:
                return False
    return True

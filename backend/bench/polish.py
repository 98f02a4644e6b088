"""`threedraw bench polish`: the cost of one polish step and what polish keeps, on this machine.

Timing uses the ViT-B-32 architecture with random weights (the same compute as trained ones,
nothing to download): one step on 8 views at 224 px of a 30-stroke sketch at ``--precision auto``,
split into the rasteriser's forward + backward and CLIP's. The default number of steps is timed
as one whole run. Then a corpus of joined sketches (backend/testing/sketch_corpus.py) is polished
with a tiny CLIP: the evaluation-view reward must rise on each, every joint that met must still
meet exactly, no point may move beyond the trust radius or leave the cube.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path
from typing import Any

STEP_TARGET_S = 0.25
TOTAL_TARGET_S = 30.0
RENDER_SHARE_TARGET = 0.25
MEANINGS = {
    "threads": "torch CPU threads",
    "auto_dtype": "what --precision auto encodes with here",
    "step_seconds": "one polish step (render + augment + CLIP, forward + backward), median",
    "render_fwd_bwd_seconds": "the rasteriser's forward + backward in one step, median",
    "clip_fwd_bwd_seconds": "CLIP's forward + backward in one step, median",
    "render_share_of_clip": "rasteriser / CLIP (forward + backward)",
    "default_steps": "polish steps by default",
    "default_run_seconds": "a whole polish run with the default steps (with its evaluations)",
    "step_target_met": f"target: one step at most {STEP_TARGET_S} s",
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


def timing(views: int = 8, size: int = 224, strokes: int = 30) -> dict[str, Any]:
    import open_clip
    import torch

    from ..polish.optimise import DEFAULT_STEPS, PolishConfig, _augment, polish
    from ..rendering.camera import CameraRig
    from ..rendering.rasteriser import RenderConfig, render, sketches_to_tensor
    from ..scoring.clip import quiet_logs, reduced_dtype, wrap_model
    from .scoring import _median_time, random_sketch

    device = torch.device("cpu")
    with quiet_logs():
        clip = wrap_model("ViT-B-32", open_clip.create_model("ViT-B-32"), device)
    sketch = random_sketch(strokes, seed=0)
    cameras = CameraRig(views=views).cameras()
    config = RenderConfig(size=size)
    points, _ = sketches_to_tensor([sketch])
    gen = torch.Generator().manual_seed(0)

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

    t_render, t_clip, t_step = (_median_time(f, 3) for f in (render_fb, clip_fb, step))
    start = time.perf_counter()
    polish(sketch, "a chair", clip, PolishConfig(views=views, size=size))
    total = time.perf_counter() - start
    dtype = reduced_dtype(device, "auto")
    return {
        "threads": torch.get_num_threads(),
        "auto_dtype": str(dtype).replace("torch.", "") if dtype else "float32",
        "step_seconds": t_step,
        "render_fwd_bwd_seconds": t_render,
        "clip_fwd_bwd_seconds": t_clip,
        "render_share_of_clip": t_render / t_clip,
        "default_steps": DEFAULT_STEPS,
        "default_run_seconds": total,
        "step_target_met": t_step <= STEP_TARGET_S,
        "total_target_met": total <= TOTAL_TARGET_S,
        "render_share_target_met": t_render / t_clip <= RENDER_SHARE_TARGET,
    }


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
            config = PolishConfig(steps=20, lr=0.01, views=4, size=64, eval_every=2, precision="fp32")
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

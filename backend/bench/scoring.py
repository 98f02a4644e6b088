"""`threedraw bench scoring`: how fast the eyes of the system are, on this machine's CPU.

One run renders 5 sketches x 8 views of 30 strokes at 224 px, times one forward + backward of
that render, and encodes the 40 images with the ViT-B-32 architecture (random weights: the
same compute as trained ones, and nothing to download), at fp32 and at ``--precision auto``, checking
that auto moves no sketch's reward by 0.002 or more and keeps the best and the worst. Targets:
rendering at most 10 % of the fp32 CLIP image-encoding time; forward + backward at most 3x the
forward; auto at least 2.5x faster than fp32 where the CPU has native bfloat16. Each figure is the median
of a few runs after a warm-up.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from ..runtime import Progress, ProgressFn
from ..shared.sketch import Sketch

RENDER_TARGET = 0.10  # render time / CLIP image-encoding time
BACKWARD_TARGET = 3.0  # (forward + backward) / forward
AUTO_SPEEDUP_TARGET = 2.5  # CLIP image encoding: fp32 time / --precision auto time
RANKING_TOLERANCE = 0.002  # most a reward may move at --precision auto
RANKING_STROKES = (3, 10, 30, 90)  # the strokes of the sketches whose ranking auto must keep
# What each figure is, printed beside it.
MEANINGS = {
    "sketches": "sketches rendered at once",
    "views": "views per sketch",
    "strokes": "strokes per sketch",
    "size": "image side, px",
    "clip_model": "CLIP architecture encoding the images (random weights: the same compute)",
    "threads": "torch CPU threads",
    "render_seconds": "render all views once, median seconds",
    "render_backward_seconds": "render + backward pass (gradients to the control points), median seconds",
    "clip_image_encode_seconds": "CLIP-encode all rendered images at fp32, median seconds",
    "clip_image_encode_auto_seconds": "the same at --precision auto, median seconds",
    "auto_dtype": "what --precision auto encodes with on this machine",
    "auto_speedup": "fp32 encoding time / auto encoding time",
    "auto_max_reward_difference": "largest change of a sketch's mean CLIP similarity at auto vs fp32",
    "auto_same_ranking": f"auto moves no reward by {RANKING_TOLERANCE} or more and keeps the best and worst",
    "structure_seconds": "structure score of every sketch, median seconds",
    "render_fraction_of_clip": "render time / CLIP encoding time",
    "backward_over_forward": "(render + backward) time / render time",
    "render_target_met": f"target: render time at most {RENDER_TARGET:.0%} of CLIP encoding time",
    "auto_target_met": f"target: auto at least {AUTO_SPEEDUP_TARGET:g}x faster than fp32 (native bfloat16 CPUs)",
    "backward_target_met": f"target: render + backward at most {BACKWARD_TARGET:g}x the render time",
}
STEPS = ("render", "render + backward", "structure score", "CLIP image encoding at fp32 and auto")


def run_benchmark(args: argparse.Namespace, progress: ProgressFn | None = None) -> dict[str, Any]:
    return measure(progress=progress)


def measure(
    sketches: int = 5,
    views: int = 8,
    strokes: int = 30,
    size: int = 224,
    clip_model: str = "ViT-B-32",
    repeats: int = 5,
    clip_repeats: int = 3,
    progress: ProgressFn | None = None,
) -> dict[str, Any]:
    import torch

    from ..rendering.camera import CameraRig
    from ..rendering.rasteriser import RenderConfig, render, sketches_to_tensor
    from ..scoring.structure import structure_score

    batch = [random_sketch(strokes, seed=k) for k in range(sketches)]
    cameras = CameraRig(views=views).cameras()
    config = RenderConfig(size=size)
    points, mask = sketches_to_tensor(batch)

    def forward() -> torch.Tensor:
        with torch.no_grad():
            return render(points, cameras, config, mask)

    def forward_backward() -> None:
        p = points.clone().requires_grad_(True)
        render(p, cameras, config, mask).mean().backward()

    def step(k: int) -> None:
        if progress is not None:
            reps = clip_repeats if k == len(STEPS) - 1 else repeats
            progress(Progress("render", f"timing {STEPS[k]} ({reps} runs after a warm-up)", k, len(STEPS)))

    step(0)
    render_s = _median_time(forward, repeats)
    step(1)
    backward_s = _median_time(forward_backward, repeats)
    step(2)
    structure_s = _median_time(lambda: [structure_score(s) for s in batch], repeats)
    step(3)
    # The ranking check needs sketches CLIP tells apart: with random weights that is mostly how much
    # ink they hold, so from sparse to dense.
    spread_points, spread_mask = sketches_to_tensor([random_sketch(n, seed=n) for n in RANKING_STROKES])
    with torch.no_grad():
        spread = render(spread_points, cameras, config, spread_mask)
    clip = _clip_encode_times(forward(), spread, clip_model, clip_repeats)
    clip_s = clip["clip_image_encode_seconds"]
    if progress is not None:
        progress(Progress("done", "done", len(STEPS), len(STEPS)))
    return {
        "sketches": sketches,
        "views": views,
        "strokes": strokes,
        "size": size,
        "clip_model": clip_model,
        "threads": torch.get_num_threads(),
        "render_seconds": render_s,
        "render_backward_seconds": backward_s,
        **clip,
        "structure_seconds": structure_s,
        "render_fraction_of_clip": render_s / clip_s,
        "backward_over_forward": backward_s / render_s,
        "render_target_met": render_s <= RENDER_TARGET * clip_s,
        "backward_target_met": backward_s <= BACKWARD_TARGET * render_s,
    }


def random_sketch(strokes: int, seed: int, spread: float = 0.8) -> Sketch:
    """Random smooth curves inside the cube, the same for the same seed."""
    rng = random.Random(seed)
    curves = []
    for _ in range(strokes):
        p0 = [rng.uniform(-spread, spread) for _ in range(3)]
        p3 = [rng.uniform(-spread, spread) for _ in range(3)]
        inner = [[p0[i] + (p3[i] - p0[i]) * f + rng.gauss(0, 0.25) for i in range(3)] for f in (1 / 3, 2 / 3)]
        curves.append([p0, *[[max(-1.0, min(1.0, v)) for v in p] for p in inner], p3])
    return Sketch.from_points("random curves", curves)


def _clip_encode_times(
    images, spread, clip_model: str, repeats: int, prompt: str = "a wooden chair"
) -> dict[str, Any]:
    """Encoding time of ``images`` at fp32 and at --precision auto, and whether auto changes the
    ranking of the sketches rendered in ``spread`` (mean similarity over their views: every one
    within RANKING_TOLERANCE, the same best and worst)."""
    import open_clip
    import torch

    from ..scoring.clip import quiet_logs, reduced_dtype, wrap_model

    with quiet_logs():  # "no pretrained weights loaded": random weights are the point here
        model = wrap_model(clip_model, open_clip.create_model(clip_model), torch.device("cpu"))
    rgb = images.reshape(-1, 1, *images.shape[-2:]).expand(-1, 3, -1, -1)
    out: dict[str, Any] = {}
    rewards = {}
    for precision in ("fp32", "auto"):

        def encode(precision: str = precision) -> None:
            with torch.no_grad():
                model.encode_images(rgb, precision)

        with torch.no_grad():
            # The warm-up: the full batch, since oneDNN builds its bfloat16 kernels per shape.
            model.encode_images(rgb, precision)
            sims = model.similarity(spread.unsqueeze(2), prompt, precision)  # [sketches, views]
        rewards[precision] = sims.mean(dim=1).tolist()
        key = "clip_image_encode_seconds" if precision == "fp32" else "clip_image_encode_auto_seconds"
        out[key] = _median_time(encode, repeats, warm_up=False)
    dtype = reduced_dtype(torch.device("cpu"), "auto")
    exact, reduced = rewards["fp32"], rewards["auto"]
    out["auto_dtype"] = str(dtype).replace("torch.", "") if dtype else "float32"
    out["auto_speedup"] = out["clip_image_encode_seconds"] / out["clip_image_encode_auto_seconds"]
    out["auto_target_met"] = out["auto_speedup"] >= AUTO_SPEEDUP_TARGET
    out["auto_max_reward_difference"] = max(abs(a - b) for a, b in zip(exact, reduced))
    out["auto_same_ranking"] = (
        out["auto_max_reward_difference"] < RANKING_TOLERANCE
        and exact.index(max(exact)) == reduced.index(max(reduced))
        and exact.index(min(exact)) == reduced.index(min(reduced))
    )
    return out


def _median_time(fn: Callable[[], Any], repeats: int, warm_up: bool = True) -> float:
    if warm_up:
        fn()  # first calls pay for allocation and kernel selection
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)

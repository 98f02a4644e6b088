"""`threedraw polish SKETCH.json --prompt TEXT --out OUT.json`: CLIP-guided polish that keeps joints."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import UserError
from .options import (
    Setting,
    add_clip_arguments,
    add_settings,
    config_from_args,
    load_sketch,
    polish_progress,
    settings_from_args,
    sketch_prompt,
)
from .output import add_force_argument, check_outputs, write_text

HELP = "polish a sketch's control points towards a prompt by gradient through CLIP; joints stay joined"


def _settings() -> tuple[Setting, ...]:
    """PolishConfig's fields an option sets (the views and precision come from the CLIP options)."""
    from ..polish.optimise import DEFAULT_LR, DEFAULT_STEPS, MAX_STEPS, PolishConfig

    return (
        Setting("--steps", "steps", int, DEFAULT_STEPS, f"optimiser steps, 0-{MAX_STEPS}"),
        Setting("--lr", "lr", float, DEFAULT_LR, "Adam's step in cube units"),
        Setting("--size", "size", int, PolishConfig.size, "render size, px"),
        Setting(
            "--trust-radius",
            "trust_radius",
            float,
            None,
            "no control point moves farther than R (default: 5%% of the sketch's bounding-box diagonal)",
            metavar="R",
        ),
        Setting("--seed", "seed", int, PolishConfig.seed, "random views and augmentations"),
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("sketch", metavar="SKETCH.json", help="a threedraw sketch file")
    p.add_argument(
        "--prompt", metavar="TEXT", help="text to polish towards (default: the sketch's own prompt)"
    )
    p.add_argument("--out", metavar="FILE", required=True, help="write the polished sketch here")
    add_settings(p, _settings())
    add_clip_arguments(p)
    add_force_argument(p)


def run(args: argparse.Namespace) -> int:
    score_config = config_from_args(args)
    if not score_config.has_clip:
        from ..scoring.clip import HOW_TO

        raise UserError(f"polish needs CLIP weights (it optimises the CLIP reward): {HOW_TO}")
    sketch = load_sketch(args.sketch, "polish")
    prompt = sketch_prompt(sketch, args.prompt)
    check_outputs([("--out", Path(args.out))], inputs=[args.sketch], force=args.force)
    from ..polish.optimise import PolishConfig, polish
    from ..scoring.clip import ClipError, load_clip

    try:
        config = PolishConfig(
            **settings_from_args(args, _settings()),
            views=score_config.views,
            precision=score_config.precision,
        )
        clip = load_clip(score_config.clip_model, score_config.clip_pretrained, score_config.clip_checkpoint)
    except ValueError as e:
        raise UserError(str(e)) from None
    except ClipError as e:
        raise UserError(str(e)) from None
    result = polish(sketch, prompt, clip, config, on_step=polish_progress("polish"))
    write_text(args.out, result.sketch.to_json(indent=1), "--out")
    stopped = f" (interrupted after {result.steps_done} steps: the best so far)" if result.interrupted else ""
    print(file=sys.stderr)
    print(f"reward before  {result.reward_before:.4f}  (mean CLIP cosine over {config.views} views)")
    print(f"reward after   {result.reward_after:.4f}  (best at step {result.best_step}){stopped}")
    print(
        f"train views    {result.train_reward_first:.4f} -> {result.train_reward_last:.4f}  (jittered, augmented)"
    )
    print(f"largest move   {result.largest_move:.4g}  (trust radius {result.trust_radius:.4g})")
    print(f"joints kept    {result.joints} joints, {result.t_joints} T-joints, {result.tangents} tangents")
    print(f"wrote {args.out}", file=sys.stderr)
    return 130 if result.interrupted else 0

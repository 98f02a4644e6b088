"""`threedraw score SKETCH.json --prompt TEXT`: CLIP similarity over views, structure and reward."""

from __future__ import annotations

import argparse
import json
import sys

from ..scoring.reward import score_sketches
from . import UserError
from .options import add_clip_arguments, config_from_args, load_sketch, sketch_prompt

HELP = "score a sketch: CLIP similarity to a prompt over several views, its structure, and the reward"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("sketch", metavar="SKETCH.json", help="a threedraw sketch file")
    p.add_argument(
        "--prompt", metavar="TEXT", help="text to score against (default: the sketch's own prompt)"
    )
    add_clip_arguments(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)  # before torch loads: a missing checkpoint is said at once
    from ..scoring.clip import HOW_TO, ClipError

    sketch = load_sketch(args.sketch, "score")
    prompt = sketch_prompt(sketch, args.prompt)
    try:
        [score] = score_sketches([sketch], prompt, config)
    except ClipError as e:
        raise UserError(str(e)) from None
    if not config.has_clip:
        print(
            f"threedraw score: no CLIP weights, so the reward is the structure score alone; to add CLIP, "
            f"{HOW_TO}",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(score.to_dict()))
        return 0
    st = score.structure
    terms = ", ".join(f"{k} {v:.2f}" for k, v in st.terms.items())
    print(f"prompt     {prompt}")
    if score.clip_mean is not None:
        views = " ".join(f"{v:.3f}" for v in score.clip_per_view)
        print(f"clip       {score.clip_mean:.4f}  (mean of {len(score.clip_per_view)} views: {views})")
    else:
        print("clip       -  (no CLIP weights)")
    print(f"structure  {st.total:.4f}  ({terms})")
    print(f"reward     {score.reward:.4f}")
    return 0

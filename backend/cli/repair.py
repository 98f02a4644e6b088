"""`threedraw repair SKETCH.json`: make near-miss joints meet and drop repeated strokes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..shared.meets import MAX_TOLERANCE, tolerance_for
from ..shared.repair import repair, summarize
from . import UserError
from .options import load_sketch
from .output import add_force_argument, check_outputs, write_text

HELP = "snap ends that nearly meet together and remove duplicate and degenerate strokes"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("sketch", metavar="SKETCH.json", help="a threedraw sketch file")
    p.add_argument(
        "--tolerance",
        metavar="T",
        type=float,
        default=None,
        help=f"how close counts as meeting, in the cube's units (0 < T <= {MAX_TOLERANCE}; "
        "default: 3%% of the sketch's bounding-box diagonal)",
    )
    p.add_argument("--out", metavar="FILE", help="write the repaired sketch here (default: standard output)")
    add_force_argument(p)


def run(args: argparse.Namespace) -> int:
    sketch = load_sketch(args.sketch, "repair")
    if args.out:
        check_outputs([("--out", Path(args.out))], inputs=[args.sketch], force=args.force)
    try:
        tol = tolerance_for(sketch, args.tolerance)
    except ValueError as e:
        raise UserError(f"--{e}") from None
    repaired, changes = repair(sketch, tol)
    # The report goes to stderr, so standard output stays a clean sketch for a pipe.
    print(f"{summarize(changes)} (tolerance {tol:.4g})", file=sys.stderr)
    for change in changes:
        print(f"  {change}", file=sys.stderr)
    if not args.out:
        sys.stdout.write(repaired.to_json(indent=1))
        return 0
    write_text(args.out, repaired.to_json(indent=1), "--out")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0

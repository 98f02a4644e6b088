"""`threedraw repair SKETCH.json`: make near-miss joints meet and drop repeated strokes."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import UserError
from ..shared.meets import MAX_TOLERANCE, tolerance_for
from ..shared.repair import repair, summarize
from ..shared.sketch import Sketch, SketchError

HELP = "snap ends that nearly meet together and remove duplicate and degenerate strokes"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("sketch", metavar="SKETCH.json", help="a threedraw sketch file")
    p.add_argument("--tolerance", metavar="T", type=float, default=None,
                   help=f"how close counts as meeting, in the cube's units (0 < T <= {MAX_TOLERANCE}; "
                        "default: 3%% of the sketch's bounding-box diagonal)")
    p.add_argument("--out", metavar="FILE", help="write the repaired sketch here (default: standard output)")


def run(args: argparse.Namespace) -> int:
    if args.out and _same_file(args.sketch, args.out):
        raise UserError(f"--out {args.out}: that is the input sketch; write the repair to another file")
    try:
        sketch = Sketch.load(args.sketch)
    except SketchError as e:
        raise UserError(str(e)) from None
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
    try:
        repaired.save(args.out)
    except OSError as e:
        raise UserError(f"cannot write {args.out}: {e.strerror or e}") from None
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _same_file(a: str, b: str) -> bool:
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False

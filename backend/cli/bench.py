"""`threedraw bench WHAT`: benchmarks whose numbers go in the notes, not in timed tests."""

from __future__ import annotations

import argparse
import importlib
import json

from ..bench import BENCHMARKS

HELP = "run a benchmark and print its figures"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", choices=sorted(BENCHMARKS), help="which benchmark")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    figures = importlib.import_module(BENCHMARKS[args.what]).run_benchmark(args)
    if args.json:
        print(json.dumps(figures))
    else:
        width = max(len(k) for k in figures)
        for k, v in figures.items():
            print(f"{k:<{width}}  {v:.4f}" if isinstance(v, float) else f"{k:<{width}}  {v}")
    return 0

"""`threedraw bench WHAT`: benchmarks whose numbers go in the notes, not in timed tests."""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
from typing import Any

from ..bench import BENCHMARKS
from .output import ProgressPrinter

HELP = "run a benchmark and print its figures"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", choices=sorted(BENCHMARKS), help="which benchmark")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    bench = importlib.import_module(BENCHMARKS[args.what])
    shows_progress = "progress" in inspect.signature(bench.run_benchmark).parameters
    figures = bench.run_benchmark(args, **({"progress": ProgressPrinter("bench")} if shows_progress else {}))
    if args.json:
        print(json.dumps(figures))
    else:
        # A benchmark without MEANINGS names each figure by what it is.
        print(figure_lines(figures, getattr(bench, "MEANINGS", {})))
    return 0


def figure_lines(figures: dict[str, Any], meanings: dict[str, str]) -> str:
    """One line per figure: its name, its value and what it is."""
    width = max(len(k) for k in figures)
    values = {k: f"{v:.4f}" if isinstance(v, float) else str(v) for k, v in figures.items()}
    vw = max(len(v) for v in values.values())
    return "\n".join(f"{k:<{width}}  {values[k]:>{vw}}  {meanings.get(k, '')}".rstrip() for k in figures)

"""`threedraw check`: does drawing work with this endpoint and model? A table of what works.

A few tiny requests (``llm/check.py``): reachable, key accepted, model listed, a chat completion,
streaming, structured output, image input, the adaptations needed and the token usage fields.
Exit status 0 when drawing will work; otherwise 1, and the last line says why.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from ..runtime import run_llm
from .options import add_provider_arguments, make_provider, provider_config

HELP = "try an LLM endpoint and model in a few seconds: what works, what was adapted, whether drawing will"
# A check is quick or it says so: one retry, and a reply within this many seconds.
CHECK_TIMEOUT_S = 30.0


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_provider_arguments(p)
    p.add_argument(
        "--judge-images", action="store_true", help="drawing needs image input too (learn --judge-images)"
    )


def run(args: argparse.Namespace) -> int:
    from ..llm.check import check_provider

    config = provider_config(args)
    config = replace(config, retries=min(config.retries, 1), timeout=min(config.timeout, CHECK_TIMEOUT_S))
    provider = make_provider(config)
    result = run_llm(provider, lambda: check_provider(provider, judge_images=args.judge_images))
    print(result.table())
    if not result.ok:
        print(f"threedraw check: {result.verdict}", file=sys.stderr)
        return 1
    return 0

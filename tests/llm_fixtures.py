"""Helpers for tests that talk to an LLM: the scripted chat-completions server (a real
HTTP server on 127.0.0.1; the one stand-in, for the remote API) and sample replies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from threedraw import prompts
from threedraw.llm.openai_compat import OpenAICompatProvider
from threedraw.testing.scripted_server import ScriptedServer

# A fake key that must never show up in any output, log or file.
SECRET_KEY = "sk-test-7f3a9c1e5b2d4e6f8a0b1c2d3e4f5a6b"

# A good reply in the paper's action format (the prompt's own worked example).
GOOD_ACTIONS = prompts.format_sketch(prompts.worked_example(), json_mode=False)
GOOD_STROKES = len(prompts.worked_example())

PROSE = "I'd love to help! A chair usually has four legs, a seat and a back. Let me know if you want more."
# The sketch cut off mid-number, as a reply that hit max_tokens looks.
CUT_MID_NUMBER = (
    "<curves>\ndraw_bezier[(-0.8, -0.5, 0.2), (-0.27, -0.5, 0.2), (0.27, -0.5, 0.2), (0.8, -0.5, 0.2)]\n"
    "draw_bezier[(0.8, -0.5, 0.2), (0.8, -0.1"
)


def running_server() -> Iterator[ScriptedServer]:
    """A started server with an empty script, closed afterwards (the body of `server`)."""
    with ScriptedServer() as srv:
        yield srv


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    """For modules that import it; a module may instead define `server` from running_server."""
    yield from running_server()


def scripted_args(srv: ScriptedServer, *extra: str) -> list[str]:
    """A command's provider options for the scripted server (the model it answers as "scripted")."""
    return ["--base-url", srv.base_url, "--model", "scripted", *extra]


def fast_provider(srv: ScriptedServer, **options) -> OpenAICompatProvider:
    """A provider with test-sized timeouts and backoff, so failures take fractions of a second."""
    kw = dict(
        api_key=SECRET_KEY, timeout=2.0, connect_timeout=1.0, max_retries=2, backoff=0.05, max_backoff=0.2
    )
    kw.update(options)
    return OpenAICompatProvider(srv.base_url, "scripted-model", **kw)

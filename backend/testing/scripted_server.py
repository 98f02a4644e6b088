"""A scripted chat-completions server: a TEST AND BENCHMARK DOUBLE, not a product part.

It stands in for a remote LLM API (the one thing outside the project) so tests and
``threedraw bench draw`` exercise the real HTTP client, retries and agent against a
real socket. It listens on 127.0.0.1 only, speaks ``POST {base}/chat/completions``
and answers from a script:

* a queue of ``Reply`` objects (``push``), consumed one per request, then ``default``;
* or a function ``RecordedRequest -> Reply`` (the reply may depend on the request).

A reply can carry assistant text, wait (``delay``), fail with a status and
Retry-After, hang until the server closes, or cut the connection mid-body.
A request asking for ``"stream": true`` gets its text as server-sent events, as
OpenAI streams (``chunk_chars`` characters per event, ``chunk_delay`` seconds apart,
usage in the last chunk); ``cut`` then drops the stream halfway and ``stall_after``
stops sending after that many characters; ``endless_line`` sends one line that never ends,
``content_parts`` content as a list of parts. A server made with ``streaming=False``
ignores the flag and answers with plain JSON, like servers that cannot stream.

A server can also behave like a particular API, per test (``mimic``), as its documentation says
it does (none of these is the real service):

* ``"openai-reasoning"`` (gpt-5, o-series): HTTP 400 with OpenAI's exact error bodies to
  ``max_tokens`` and to any temperature but 1; takes ``max_completion_tokens`` and
  ``reasoning_effort``; reports ``completion_tokens_details.reasoning_tokens`` (a reply's
  ``reasoning_tokens``; ``Reply.thinking_only()`` spends the whole budget thinking: empty content,
  finish reason "length"), and cached prompt tokens as ``prompt_tokens_details.cached_tokens``;
* ``"deepseek"``: ``prompt_cache_hit_tokens`` / ``prompt_cache_miss_tokens`` in the usage, and a
  reply's ``reasoning`` as ``reasoning_content`` (a message field, or deltas before the content when
  streamed), as deepseek-reasoner sends it;
* ``"llama-cpp-python"``: HTTP 500 with a pydantic validation error to ``response_format``
  ``json_schema`` (it takes ``text`` and ``json_object`` with an optional ``schema``), and streams
  without a usage chunk, as llama.cpp's Python server does.

``prefix_cache=True`` makes the server count cache hits the way DeepSeek's disk cache does: the
longest prefix a request's prompt shares with an earlier request's prompt, in 64-token units (about
4 characters a token), reported in the mimicked API's fields (OpenAI's ``cached_tokens`` when no
API is mimicked). ``models`` is what ``GET /v1/models`` lists.

Every request is recorded (``requests``) for assertions::

    with ScriptedServer([Reply.error(429, retry_after=0.1), Reply.completion(text)]) as srv:
        provider = OpenAICompatProvider(srv.base_url, "scripted")
"""

from __future__ import annotations

import collections
import json
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_REQUEST_BYTES = 16 * 1024 * 1024
# A hung reply still ends eventually, so a forgotten server cannot pin a thread forever.
MAX_HANG_S = 600.0
# How much of a line that never ends is sent before the server falls silent (a bound, for a client
# that would read it all).
ENDLESS_LINE_BYTES = 64 * 1024 * 1024


@dataclass
class Reply:
    text: str | None = None  # assistant content of a normal completion
    status: int = 200
    body: bytes | None = None  # raw body, replacing the completion JSON
    retry_after: float | str | None = None
    delay: float = 0.0  # seconds to wait before answering
    hang: bool = False  # never answer (until the server closes)
    cut: bool = False  # send the headers and half the body, then drop the connection
    finish_reason: str = "stop"
    usage: tuple[int, int] | None = None  # (prompt, completion) tokens; default: rough counts
    headers: dict[str, str] = field(default_factory=dict)
    chunk_chars: int = 16  # streamed: characters of text per event
    chunk_delay: float = 0.0  # streamed: seconds between events
    stall_after: int | None = None  # streamed: go silent after this many characters
    reasoning: str = ""  # a reasoning model's thinking (deepseek-reasoner's reasoning_content)
    reasoning_tokens: int = 0  # of the completion tokens, spent thinking (OpenAI's count)
    think_all: bool = False  # spend the request's whole budget thinking: no content, "length"
    content_parts: bool = False  # content as a list of text parts ({"type": "text", "text": ...})
    endless_line: bool = False  # streamed: one line that never ends (ENDLESS_LINE_BYTES, then silence)

    @classmethod
    def completion(cls, text: str, **kw: Any) -> Reply:
        return cls(text=text, **kw)

    @classmethod
    def error(cls, status: int, message: str = "scripted error", **kw: Any) -> Reply:
        body = json.dumps({"error": {"message": message, "type": "scripted"}}).encode()
        return cls(status=status, body=body, **kw)

    @classmethod
    def thinking_only(cls) -> Reply:
        """A reasoning model that spends its whole reply budget thinking and writes nothing."""
        return cls(text="", finish_reason="length", think_all=True)

    @classmethod
    def hanging(cls) -> Reply:
        return cls(hang=True)

    @classmethod
    def cut_off(cls, text: str = "a reply that never arrives whole") -> Reply:
        return cls(text=text, cut=True)


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, or None when the body was not JSON
    received_at: float  # time.monotonic()

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", [])) if isinstance(self.body, dict) else []

    @property
    def last_user_text(self) -> str:
        for m in reversed(self.messages):
            if m.get("role") == "user":
                c = m.get("content")
                return (
                    c if isinstance(c, str) else " ".join(p.get("text", "") for p in c if isinstance(p, dict))
                )
        return ""


Script = Callable[[RecordedRequest], Reply]

MIMICS = ("openai-reasoning", "deepseek", "llama-cpp-python")
CACHE_UNIT_TOKENS = 64  # DeepSeek's cache works in 64-token units
CHARS_PER_TOKEN = 4

# OpenAI's error bodies for parameters its reasoning models refuse, word for word.
OPENAI_MAX_TOKENS_ERROR = {
    "message": "Unsupported parameter: 'max_tokens' is not supported with this model. "
    "Use 'max_completion_tokens' instead.",
    "type": "invalid_request_error",
    "param": "max_tokens",
    "code": "unsupported_parameter",
}


def openai_temperature_error(value: Any) -> dict[str, Any]:
    return {
        "message": f"Unsupported value: 'temperature' does not support {value} with this model. "
        "Only the default (1) value is supported.",
        "type": "invalid_request_error",
        "param": "temperature",
        "code": "unsupported_value",
    }


# llama-cpp-python's server (0.3.x) to response_format json_schema: its pydantic error as an HTTP 500.
LLAMA_CPP_RESPONSE_FORMAT_ERROR = {
    "message": "1 validation error: {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
    "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema', "
    "'ctx': {'expected': \"'text' or 'json_object'\"}}",
    "type": "internal_server_error",
    "param": None,
    "code": None,
}


class ScriptedServer:
    def __init__(
        self,
        replies: Iterable[Reply] | Script | None = None,
        *,
        default: Reply | None = None,
        path_prefix: str = "/v1",
        port: int = 0,
        streaming: bool = True,
        mimic: str | None = None,
        prefix_cache: bool = False,
        models: Iterable[str] = ("scripted",),
    ):
        if mimic is not None and mimic not in MIMICS:
            raise ValueError(f"mimic {mimic!r}: expected one of {', '.join(MIMICS)}")
        self.streaming = streaming
        self.mimic = mimic
        self.prefix_cache = prefix_cache
        self.models = tuple(models)
        self._prompts: list[str] = []  # earlier requests' prompts, for prefix_cache
        self._script: Script | None = replies if callable(replies) else None
        self._queue: collections.deque[Reply] = collections.deque(
            [] if replies is None or callable(replies) else replies
        )
        self.default = default
        self.path_prefix = path_prefix.rstrip("/")
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd = _QuietServer(("127.0.0.1", port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """What an OpenAI client takes as base URL (``http://127.0.0.1:PORT/v1``)."""
        return f"http://127.0.0.1:{self.port}{self.path_prefix}"

    def start(self) -> ScriptedServer:
        if self._thread is None:
            # A short poll interval makes close() quick (shutdown waits for one poll).
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="scripted-llm",
                daemon=True,
            )
            self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()  # releases hung and delayed replies
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- script ---------------------------------------------------------------
    def push(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def _next_reply(self, req: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(req)
            if self._script is not None:
                script = self._script
            elif self._queue:
                return self._queue.popleft()
            elif self.default is not None:
                return self.default
            else:
                return Reply.error(500, "scripted server: no reply left in the script")
        return script(req)

    def refusal(self, body: Any) -> tuple[int, dict[str, Any]] | None:
        """The error the mimicked API answers this request with, if it refuses it."""
        if not isinstance(body, dict):
            return None
        if self.mimic == "openai-reasoning":
            if "max_tokens" in body:
                return 400, OPENAI_MAX_TOKENS_ERROR
            if "temperature" in body and body["temperature"] != 1:
                return 400, openai_temperature_error(body["temperature"])
        if self.mimic == "llama-cpp-python":
            fmt = body.get("response_format")
            if isinstance(fmt, dict) and fmt.get("type") not in ("text", "json_object"):
                return 500, LLAMA_CPP_RESPONSE_FORMAT_ERROR
        return None

    def usage(self, reply: Reply, body: Any, prompt: str, text: str) -> dict[str, Any]:
        """The usage object for a reply, in the mimicked API's fields."""
        budget = (
            body.get("max_completion_tokens") or body.get("max_tokens") if isinstance(body, dict) else None
        )
        reasoning = (budget or 0) if reply.think_all else reply.reasoning_tokens
        reasoning = reasoning or len(reply.reasoning) // CHARS_PER_TOKEN
        if reply.usage is not None:
            pt, ct = reply.usage
        else:
            pt, ct = len(prompt) // CHARS_PER_TOKEN, max(1, len(text) // CHARS_PER_TOKEN) + reasoning
        usage: dict[str, Any] = {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct}
        cached = min(pt, self._cache_hits(prompt)) if self.prefix_cache else 0
        if self.mimic == "deepseek":
            usage.update(prompt_cache_hit_tokens=cached, prompt_cache_miss_tokens=pt - cached)
        elif self.prefix_cache or self.mimic == "openai-reasoning":
            usage["prompt_tokens_details"] = {"cached_tokens": cached}
        if reasoning or self.mimic == "openai-reasoning":
            usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
        return usage

    def _cache_hits(self, prompt: str) -> int:
        """Tokens of the longest prefix shared with an earlier prompt, in whole cache units."""
        with self._lock:
            shared = max((_common_prefix(prompt, p) for p in self._prompts), default=0)
            self._prompts.append(prompt)
        unit = CACHE_UNIT_TOKENS
        return shared // CHARS_PER_TOKEN // unit * unit


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    lo, hi = 0, n  # binary search on equal prefixes: fast for long prompts
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


class _QuietServer(ThreadingHTTPServer):
    # Many clients connect at once (a learning batch: 64 requests in flight); the default backlog
    # of 5 makes the rest wait for SYN retries, a second or more each.
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out, refuse a reply or close early reset the connection:
        # expected in tests of exactly that, so no traceback on stderr for it.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def completion_body(
    text: str,
    model: str,
    finish_reason: str,
    usage: tuple[int, int] | dict[str, Any] | None,
    prompt_chars: int = 0,
    reasoning: str = "",
    content_parts: bool = False,
) -> bytes:
    # Default usage: ~4 characters per token, like real tokenizers on English.
    if not isinstance(usage, dict):
        pt, ct = usage if usage is not None else (prompt_chars // 4, max(1, len(text) // 4))
        usage = {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct}
    message = {
        "role": "assistant",
        "content": _content(text, content_parts),
        **({"reasoning_content": reasoning} if reasoning else {}),
    }
    return json.dumps(
        {
            "id": "chatcmpl-scripted",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": usage,
        }
    ).encode()


def _content(text: str, parts: bool) -> str | list[dict[str, str]]:
    """A message's or a delta's content: the text, or the text as parts (two when it can be split)."""
    if not parts:
        return text
    return [
        {"type": "text", "text": piece} for piece in (text[: len(text) // 2], text[len(text) // 2 :]) if piece
    ]


def _handler_for(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real APIs and httpx's pool expect
        timeout = 30  # an idle kept-alive connection ends its thread after this

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            pass  # quiet: tests assert on captured output

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_REQUEST_BYTES:
                self._send(413, b'{"error": {"message": "request too large"}}')
                return
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            req = RecordedRequest(
                "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic()
            )
            if not self.path.rstrip("/").endswith(server.path_prefix + "/chat/completions"):
                server.requests.append(req)
                self._send(404, b'{"error": {"message": "no such endpoint"}}')
                return
            refused = server.refusal(body)
            if refused is not None:
                with server._lock:
                    server.requests.append(req)
                self._send(refused[0], json.dumps({"error": refused[1]}).encode())
                return
            reply = server._next_reply(req)
            if reply.hang:
                server._stop.wait(MAX_HANG_S)
                self.close_connection = True
                return
            if reply.delay and server._stop.wait(reply.delay):
                self.close_connection = True
                return
            model = body.get("model", "scripted") if isinstance(body, dict) else "scripted"
            prompt = "".join(str(m.get("content", "")) for m in req.messages if isinstance(m, dict))
            text = "" if reply.think_all else reply.text or ""
            ok = reply.body is None and reply.status == 200
            usage = server.usage(reply, body, prompt, text) if ok else None
            reasoning = reply.reasoning if server.mimic == "deepseek" else ""
            data = (
                reply.body
                if reply.body is not None
                else completion_body(
                    text, str(model), reply.finish_reason, usage, len(prompt), reasoning, reply.content_parts
                )
            )
            streamed = server.streaming and isinstance(body, dict) and body.get("stream") is True
            if streamed and ok and usage is not None:
                self._stream(reply, str(model), text, usage, reasoning)
                return
            headers = dict(reply.headers)
            if reply.retry_after is not None:
                headers["Retry-After"] = str(reply.retry_after)
            self._send(reply.status, data, headers, cut=reply.cut)

        def do_GET(self) -> None:
            # /v1/models, as OpenAI clients probe it.
            if self.path.rstrip("/").endswith(server.path_prefix + "/models"):
                listed = [{"id": m, "object": "model"} for m in server.models]
                self._send(200, json.dumps({"object": "list", "data": listed}).encode())
            else:
                self._send(404, b'{"error": {"message": "no such endpoint"}}')

        def _stream(self, reply: Reply, model: str, text: str, usage: dict[str, Any], reasoning: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            if reply.endless_line:
                self.wfile.write(b'data: {"choices": [{"index": 0, "delta": {"content": "')
                block = b"x" * 65536
                for _ in range(ENDLESS_LINE_BYTES // len(block)):
                    self.wfile.write(block)  # a client that leaves makes this raise: the reply ends
                server._stop.wait(MAX_HANG_S)
                return
            step = max(1, reply.chunk_chars)
            for at in range(0, len(reasoning), step):  # deepseek-reasoner thinks before it answers
                delta = {"content": None, "reasoning_content": reasoning[at : at + step]}
                self._event({"choices": [{"index": 0, "delta": delta}]}, model)
            end = len(text) // 2 if reply.cut else len(text)
            for at in range(0, end, step):
                if reply.stall_after is not None and at >= reply.stall_after:
                    server._stop.wait(MAX_HANG_S)
                    return
                if at and reply.chunk_delay and server._stop.wait(reply.chunk_delay):
                    return
                delta = {"content": _content(text[at : at + step], reply.content_parts)}
                self._event({"choices": [{"index": 0, "delta": delta}]}, model)
            if reply.cut:
                return  # the stream ends without its last chunk: a cut reply
            self._event({"choices": [{"index": 0, "delta": {}, "finish_reason": reply.finish_reason}]}, model)
            if server.mimic != "llama-cpp-python":  # it sends no usage chunk, even when asked
                self._event({"choices": [], "usage": usage}, model)
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def _event(self, data: dict[str, Any], model: str) -> None:
            data = {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "model": model, **data}
            self.wfile.write(b"data: " + json.dumps(data).encode() + b"\n\n")
            self.wfile.flush()

        def _send(
            self, status: int, data: bytes, headers: dict[str, str] | None = None, cut: bool = False
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if cut:
                # Half the promised body, then a dropped connection: the client sees a truncated reply.
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(data)

    return Handler

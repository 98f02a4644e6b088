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
stops sending after that many characters. A server made with ``streaming=False``
ignores the flag and answers with plain JSON, like servers that cannot stream.
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

    @classmethod
    def completion(cls, text: str, **kw: Any) -> Reply:
        return cls(text=text, **kw)

    @classmethod
    def error(cls, status: int, message: str = "scripted error", **kw: Any) -> Reply:
        body = json.dumps({"error": {"message": message, "type": "scripted"}}).encode()
        return cls(status=status, body=body, **kw)

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


class ScriptedServer:
    def __init__(
        self,
        replies: Iterable[Reply] | Script | None = None,
        *,
        default: Reply | None = None,
        path_prefix: str = "/v1",
        port: int = 0,
        streaming: bool = True,
    ):
        self.streaming = streaming
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
    text: str, model: str, finish_reason: str, usage: tuple[int, int] | None, prompt_chars: int = 0
) -> bytes:
    # Default usage: ~4 characters per token, like real tokenizers on English.
    pt, ct = usage if usage is not None else (prompt_chars // 4, max(1, len(text) // 4))
    return json.dumps(
        {
            "id": "chatcmpl-scripted",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct},
        }
    ).encode()


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
            reply = server._next_reply(req)
            if reply.hang:
                server._stop.wait(MAX_HANG_S)
                self.close_connection = True
                return
            if reply.delay and server._stop.wait(reply.delay):
                self.close_connection = True
                return
            model = body.get("model", "scripted") if isinstance(body, dict) else "scripted"
            prompt_chars = sum(len(str(m.get("content", ""))) for m in req.messages if isinstance(m, dict))
            data = (
                reply.body
                if reply.body is not None
                else completion_body(
                    reply.text or "", str(model), reply.finish_reason, reply.usage, prompt_chars
                )
            )
            streamed = server.streaming and isinstance(body, dict) and body.get("stream") is True
            if streamed and reply.body is None and reply.status == 200:
                self._stream(reply, str(model), prompt_chars)
                return
            headers = dict(reply.headers)
            if reply.retry_after is not None:
                headers["Retry-After"] = str(reply.retry_after)
            self._send(reply.status, data, headers, cut=reply.cut)

        def do_GET(self) -> None:
            # /v1/models, as OpenAI clients probe it.
            if self.path.rstrip("/").endswith(server.path_prefix + "/models"):
                self._send(200, b'{"object": "list", "data": [{"id": "scripted", "object": "model"}]}')
            else:
                self._send(404, b'{"error": {"message": "no such endpoint"}}')

        def _stream(self, reply: Reply, model: str, prompt_chars: int) -> None:
            text = reply.text or ""
            pt, ct = reply.usage if reply.usage is not None else (prompt_chars // 4, max(1, len(text) // 4))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            step = max(1, reply.chunk_chars)
            end = len(text) // 2 if reply.cut else len(text)
            for at in range(0, end, step):
                if reply.stall_after is not None and at >= reply.stall_after:
                    server._stop.wait(MAX_HANG_S)
                    return
                if at and reply.chunk_delay and server._stop.wait(reply.chunk_delay):
                    return
                self._event({"choices": [{"index": 0, "delta": {"content": text[at : at + step]}}]}, model)
            if reply.cut:
                return  # the stream ends without its last chunk: a cut reply
            self._event({"choices": [{"index": 0, "delta": {}, "finish_reason": reply.finish_reason}]}, model)
            self._event(
                {
                    "choices": [],
                    "usage": {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct},
                },
                model,
            )
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

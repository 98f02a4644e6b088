"""Any OpenAI-compatible chat-completions API: DeepSeek, Gemini, OpenAI, Ollama, vLLM,
LM Studio, a llama.cpp server.

``base_url`` is what OpenAI clients take (``https://api.deepseek.com/v1``); requests
go to ``{base_url}/chat/completions``. The API key comes from the environment
(``THREEDRAW_API_KEY``) and only ever goes into the Authorization header: it is
never logged, never in an exception, never written anywhere by us.

Transient failures (429, 5xx, timeouts, dropped connections) are retried a bounded
number of times with exponential backoff, honouring Retry-After; at most
``concurrency`` requests are in flight at once.

Replies are streamed (``stream: true``, server-sent events): a caller's ``on_text``
hears each new piece of text as it arrives, and a stream silent for ``idle_timeout`` seconds is
a retryable timeout; when an attempt that had already delivered text is retried, ``on_text(None)``
comes first (the reply starts over, see ``OnText``). A server that refuses streaming (HTTP 400, 404 or 501 to a
streamed request, or a plain JSON body) is asked plainly from then on, remembered
per provider; usage comes from the stream's last chunk where the server sends it. Only errors
about streaming itself switch streaming off.

A request refused for a parameter the model does not take (``max_tokens``, ``temperature``,
``seed``, ``stream_options``, ``response_format``, ``reasoning_effort``) is adapted once and sent
again, and the adaptation is remembered for the endpoint and model (see ``adapt``); until the first
reply from an endpoint has begun (or for at most a second), requests go one at a time, so K
candidates cost the adaptations once, not K times. A reasoning model that spends its whole budget
thinking (empty text, finish reason "length") fails at once, naming the tokens it spent and the
option to raise.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import logging
import os
import random
import re
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from .. import __version__
from . import adapt
from .base import (
    MAX_TIMEOUT_S,
    REASONING_EFFORTS,
    STOPPED,
    ChatRequest,
    Completion,
    OnText,
    ProviderError,
    StopReply,
    Usage,
    image_data_url,
)
from .pricing import PriceTable
from .redact import redact, shown

log = logging.getLogger("threedraw.llm")

API_KEY_ENV = "THREEDRAW_API_KEY"
MAX_RESPONSE_BYTES = 4 * 1024 * 1024
MAX_RETRIES_LIMIT = 10
# A streamed request answered with one of these is asked again without streaming (400 and 422 only
# when the error is about streaming: a refused temperature is not a refused stream).
NO_STREAM_STATUSES = frozenset({400, 404, 422, 501})
# How long the requests after an endpoint's first wait for its first reply to begin (seconds).
FIRST_TURN_WAIT_S = 1.0
# How much of a remote text an error shows: an API's own error message, or any other body.
MESSAGE_CHARS, SNIPPET_CHARS = 300, 120
_EOL = re.compile(rb"\r\n|\r|\n")
RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529})


class OpenAICompatProvider:
    name = "openai-compatible"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 120.0,
        connect_timeout: float = 10.0,
        max_retries: int = 3,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        max_retry_after: float = 120.0,
        concurrency: int = 8,
        prices: PriceTable | None = None,
        json_schema: bool = False,
        stream: bool = True,
        idle_timeout: float = 60.0,
        reasoning_effort: str | None = None,
        adaptations: Mapping[str, str] | None = None,
    ):
        self.url = chat_completions_url(base_url)
        if not model or not model.strip():
            raise ProviderError("model: a model name is required for an OpenAI-compatible API (--model)")
        self.model = model.strip()
        # Read once; kept private so repr() and logs never show it.
        self._api_key = (api_key if api_key is not None else os.environ.get(API_KEY_ENV, "")).strip()
        if not self._api_key.isascii() or any(c.isspace() or not c.isprintable() for c in self._api_key):
            # Said without quoting the key: an HTTP header cannot carry it as it is.
            raise ProviderError(f"{API_KEY_ENV} holds spaces or non-ASCII characters; paste the key alone")
        if not 0 < timeout <= MAX_TIMEOUT_S or not 0 < connect_timeout <= 600:
            raise ProviderError(f"timeout {timeout} s: expected more than 0 and at most {MAX_TIMEOUT_S} s")
        if not 0 <= max_retries <= MAX_RETRIES_LIMIT:
            raise ProviderError(f"retries {max_retries}: expected 0 to {MAX_RETRIES_LIMIT}")
        if not 1 <= concurrency <= 64:
            raise ProviderError(f"concurrency {concurrency}: expected 1 to 64")
        if not 0 < idle_timeout <= MAX_TIMEOUT_S:
            raise ProviderError(
                f"idle timeout {idle_timeout} s: expected more than 0 and at most {MAX_TIMEOUT_S} s"
            )
        if reasoning_effort is not None and reasoning_effort not in REASONING_EFFORTS:
            raise ProviderError(
                f"reasoning effort {reasoning_effort!r}: expected one of {', '.join(REASONING_EFFORTS)}"
            )
        self.reasoning_effort = reasoning_effort
        if adaptations:  # a resumed run's: it starts adapted, as its first run ended
            adapt.record(self.url, self.model, adaptations)
        self._settled = False  # an endpoint's first reply has begun: requests go in parallel
        self._probe: asyncio.Event | None = None
        self.timeout = timeout
        self.idle_timeout = idle_timeout
        self.stream = stream  # turned off for good when the server refuses streaming
        self.connect_timeout = connect_timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.concurrency = concurrency
        self.prices = prices or PriceTable()
        # Only APIs that implement response_format json_schema (OpenAI, vLLM,
        # llama.cpp server, recent Ollama) should be asked for it.
        self.constrained = json_schema
        self._client: httpx.AsyncClient | None = None
        self._sem: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"OpenAICompatProvider(url={self.url!r}, model={self.model!r}, key={'set' if self._api_key else 'none'})"

    @property
    def adaptations(self) -> dict[str, str]:
        """What requests to this endpoint and model are adapted to (``adapt``), for the run record."""
        return adapt.known(self.url, self.model)

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    # -- lifecycle ------------------------------------------------------------
    def _session(self) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        """The client and semaphore for the running event loop (made on first use).

        Both are bound to one loop; a sync caller may run several loops in turn
        (asyncio.run per call), so a new loop gets fresh ones.
        """
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop or self._sem is None:
            limits = httpx.Limits(
                max_connections=self.concurrency, max_keepalive_connections=self.concurrency
            )
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout, connect=self.connect_timeout),
                limits=limits,
                headers={"User-Agent": f"threedraw/{__version__}"},
                trust_env=True,  # honour HTTPS_PROXY etc. like other OpenAI clients
            )
            self._sem = asyncio.Semaphore(self.concurrency)
            self._probe = None
            self._loop = loop
        return self._client, self._sem

    async def aclose(self) -> None:
        """Release connections; the provider stays usable (a later call reconnects)."""
        if self._client is not None and self._loop is asyncio.get_running_loop():
            await self._client.aclose()
        self._client = self._sem = self._loop = None

    # -- the call -------------------------------------------------------------
    async def complete(self, request: ChatRequest, on_text: OnText | None = None) -> Completion:
        client, sem = self._session()
        probe = await self._first_turn()
        learned: dict[str, str] = {}  # adaptations this request made: said on one line at its end
        try:
            return await self._complete(client, sem, request, on_text, probe, learned)
        finally:
            if probe is not None:
                self._end_turn(probe)
            if learned:
                log.warning("%s", adapt.describe(self.model, learned))

    async def _complete(
        self,
        client: httpx.AsyncClient,
        sem: asyncio.Semaphore,
        request: ChatRequest,
        on_text: OnText | None,
        probe: asyncio.Event | None,
        learned: dict[str, str],
    ) -> Completion:
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        attempts = 0
        heard = _Attempts(on_text) if on_text is not None else None
        async with sem:
            start = time.monotonic()
            while True:
                attempts += 1
                streamed = self.stream
                if heard is not None:
                    heard.restart()
                body = self._body(request, streamed)
                sink: OnText | None = heard if streamed else None
                if probe is not None and streamed:
                    sink = self._opening(probe, sink)
                try:
                    status, resp_headers, raw, comp = await self._post(client, body, headers, sink)
                except ProviderError as e:
                    if not e.retryable or attempts > self.max_retries:
                        raise self._final(e, attempts) from None
                    await self._sleep(attempts, None, str(e))
                    continue
                if status != 200 and self._adapted(status, raw, body, learned):
                    attempts -= 1  # the adapted request is the same attempt
                    continue
                if streamed and (
                    (status in NO_STREAM_STATUSES and _about_streaming(status, raw))
                    or (status == 200 and comp is None)
                ):
                    log.info(
                        "%s does not stream (HTTP %d); asking without streaming from now on",
                        self.host,
                        status,
                    )
                    self.stream = False
                    if status != 200:
                        attempts -= 1  # the plain request is the same attempt
                        continue
                if status == 200:
                    plain = comp is None
                    comp = comp or self._completion(raw)
                    if probe is not None:
                        self._settle(probe)
                    _check_not_all_thinking(comp, request.max_tokens, self.model)
                    if heard is not None and plain:
                        with contextlib.suppress(StopReply):  # a whole reply is kept whole
                            heard(comp.text)
                    comp.latency_s = time.monotonic() - start
                    comp.attempts = attempts
                    return comp
                err = self._http_error(status, raw)
                if not err.retryable or attempts > self.max_retries:
                    raise self._final(err, attempts) from None
                await self._sleep(attempts, retry_after_seconds(resp_headers.get("retry-after")), str(err))

    async def list_models(self) -> tuple[int | None, list[str] | None, str]:
        """GET {base}/models (``threedraw check``): the status, the model ids listed (None when the
        server lists none), and why it failed when the server could not be reached (status None)."""
        client, _ = self._session()
        url = self.url.removesuffix("/chat/completions") + "/models"
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        try:
            resp = await client.get(url, headers=headers, timeout=self.connect_timeout + 10)
        except httpx.HTTPError as e:
            return None, None, f"cannot connect ({type(e).__name__})"
        if resp.status_code != 200 or len(resp.content) > MAX_RESPONSE_BYTES:
            return resp.status_code, None, ""
        try:
            listed = resp.json().get("data")
            return 200, [str(m.get("id")) for m in listed if isinstance(m, dict)], ""
        except (ValueError, AttributeError, TypeError):
            return 200, None, ""

    # -- adapting to the model -------------------------------------------------
    def _adapted(self, status: int, raw: bytes, sent: dict[str, Any], learned: dict[str, str]) -> bool:
        """True when the error refuses a parameter we can adapt (now adapted: send again); what
        this process had not known yet goes into ``learned``."""
        param = adapt.refused_param(status, raw, sent)
        value = adapt.next_value(param, sent) if param else None
        if param is None or value is None:
            return False
        learned.update(adapt.record(self.url, self.model, {param: value}))
        return True

    async def _first_turn(self) -> asyncio.Event | None:
        """Until an endpoint's first reply has begun, one request at a time: the Event of this
        request's turn (None once settled, when requests go in parallel).

        A refusal comes back in milliseconds, so waiting for it makes K candidates pay for an
        adaptation once; a slow first reply (a reasoning model thinking before its first word) holds
        the others back at most ``FIRST_TURN_WAIT_S``, once per endpoint."""
        while not self._settled and self._probe is not None:
            try:
                await asyncio.wait_for(self._probe.wait(), FIRST_TURN_WAIT_S)
            except TimeoutError:
                return None  # go in parallel: the first request is answering, just slowly
        if self._settled:
            return None
        self._probe = asyncio.Event()
        return self._probe

    def _settle(self, probe: asyncio.Event) -> None:
        self._settled = True
        probe.set()

    def _end_turn(self, probe: asyncio.Event) -> None:
        if not self._settled and self._probe is probe:
            self._probe = None  # it failed: the next request waiting takes the turn
        probe.set()

    def _opening(self, probe: asyncio.Event, on_text: OnText | None) -> OnText:
        """``on_text`` that settles the endpoint when the first piece of a streamed reply arrives."""

        def first(piece: str | None) -> None:
            if not probe.is_set():
                self._settle(probe)
            if on_text is not None:
                on_text(piece)

        return first

    async def _post(
        self, client: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str], on_text: OnText | None
    ) -> tuple[int, httpx.Headers, bytes, Completion | None]:
        """One attempt; transport trouble becomes a retryable ProviderError.

        A streamed 200 reply comes back as a Completion; any other reply as its raw body.
        """
        try:
            # The read timeout alone misses a server that trickles bytes forever.
            async with asyncio.timeout(self.timeout + self.connect_timeout):
                async with client.stream("POST", self.url, json=body, headers=headers) as resp:
                    sse = resp.headers.get("content-type", "").startswith("text/event-stream")
                    if body.get("stream") and resp.status_code == 200 and sse:
                        return resp.status_code, resp.headers, b"", await self._read_stream(resp, on_text)
                    chunks = [chunk async for chunk in self._capped(resp)]
                    return resp.status_code, resp.headers, b"".join(chunks), None
        except (TimeoutError, httpx.TimeoutException):
            raise ProviderError(f"{self.host}: no reply within {self.timeout:g} s", retryable=True) from None
        except httpx.ConnectError:
            raise ProviderError(
                f"{self.host}: cannot connect (is the server running?)", retryable=True
            ) from None
        except httpx.TransportError as e:
            # Dropped connection, truncated body, protocol error: worth another try.
            raise ProviderError(
                f"{self.host}: connection failed ({type(e).__name__})", retryable=True
            ) from None

    async def _capped(self, resp: httpx.Response) -> AsyncIterator[bytes]:
        """A reply's bytes as they arrive, refused once they pass ``MAX_RESPONSE_BYTES`` (a line that
        never ends included: the cap never waits for a line to be complete)."""
        size = 0
        async for chunk in resp.aiter_bytes():
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                raise ProviderError(
                    f"{self.host}: response larger than {MAX_RESPONSE_BYTES // 1024} KiB; refused"
                )
            yield chunk

    async def _read_stream(self, resp: httpx.Response, on_text: OnText | None) -> Completion:
        """The text of an SSE chat-completion stream; a cut or silent stream is retryable."""
        parts: list[str] = []
        thought = 0  # characters of reasoning deltas: never the reply's text, still tokens spent
        usage, model, finish, done = None, self.model, "", False
        lines = _lines(self._capped(resp))
        while True:
            try:
                line = await asyncio.wait_for(anext(lines), self.idle_timeout)
            except StopAsyncIteration:
                break
            except TimeoutError:
                raise ProviderError(
                    f"{self.host}: the stream sent nothing for {self.idle_timeout:g} s", retryable=True
                ) from None
            if not line.startswith("data:"):
                continue  # comments, event names, blank separators
            data = line[5:].strip()
            if data == "[DONE]":
                done = True
                break
            try:
                event = json.loads(data)
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            usage = event.get("usage") or usage
            model = str(event.get("model") or model)
            for choice in event.get("choices") or []:
                if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                    continue
                delta = choice.get("delta") or {}
                piece = _content_text(delta.get("content")) if isinstance(delta, dict) else ""
                thought += _reasoning_chars(delta)
                if piece:
                    parts.append(piece)
                    if on_text is not None:
                        try:
                            on_text(piece)
                        except StopReply:  # leaving the stream closes its connection
                            return Completion("".join(parts), self._usage(usage), model, STOPPED)
                finish = str(choice.get("finish_reason") or finish)
        if not done and not finish:
            raise ProviderError(
                f"{self.host}: connection failed (the stream ended before the reply did)", retryable=True
            )
        return Completion(
            text="".join(parts), usage=self._usage(usage, thought), model=model, finish_reason=finish
        )

    def _usage(self, usage: Any, thought_chars: int = 0) -> Usage:
        """A reply's token counts (a plain reply's ``usage``, or a stream's last chunk's) and their cost.

        Cached prompt tokens: OpenAI's and Gemini's ``prompt_tokens_details.cached_tokens``, DeepSeek's
        ``prompt_cache_hit_tokens``. Reasoning tokens: ``completion_tokens_details.reasoning_tokens``;
        when a server streamed reasoning text but reported no count, about 4 characters a token."""
        usage = usage if isinstance(usage, dict) else {}
        pt, ct = _int(usage.get("prompt_tokens")), _int(usage.get("completion_tokens"))
        prompt_details = usage.get("prompt_tokens_details")
        prompt_details = prompt_details if isinstance(prompt_details, dict) else {}
        completion_details = usage.get("completion_tokens_details")
        completion_details = completion_details if isinstance(completion_details, dict) else {}
        cached = min(
            pt,
            _int(prompt_details.get("cached_tokens"))
            or _int(usage.get("prompt_cache_hit_tokens"))
            or _int(usage.get("cached_content_token_count")),
        )
        reasoning = _int(completion_details.get("reasoning_tokens")) or thought_chars // 4
        ct = max(ct, reasoning) if usage else ct
        cost = self.prices.cost(self.model, pt, ct, cached) if usage else None
        return Usage(pt, ct, cost, cached, reasoning)

    async def _sleep(self, attempts: int, retry_after: float | None, why: str) -> None:
        if retry_after is not None:
            if retry_after > self.max_retry_after:
                raise ProviderError(
                    f"{why}; the server asks to wait {retry_after:g} s, "
                    f"more than the {self.max_retry_after:g} s we wait"
                )
            delay = retry_after
        else:
            # Exponential backoff with jitter, so K concurrent candidates don't retry in lockstep.
            delay = min(self.max_backoff, self.backoff * 2 ** (attempts - 1)) * (0.5 + random.random() / 2)
        log.warning(
            "%s; retrying in %.1f s (attempt %d of %d)", why, delay, attempts + 1, self.max_retries + 1
        )
        await asyncio.sleep(delay)

    def _final(self, err: ProviderError, attempts: int) -> ProviderError:
        msg = redact(str(err), self._api_key)
        if attempts > 1:
            msg += f" (gave up after {attempts} attempts)"
        return ProviderError(msg, status=err.status, retryable=False)

    def _shown(self, remote: str, limit: int) -> str:
        # An API echoing our own key back into an error body must not leak it further, not even in part.
        return shown(remote, self._api_key, limit)

    # -- request and response shapes -----------------------------------------
    def _body(self, request: ChatRequest, stream: bool = False) -> dict[str, Any]:
        messages = []
        for m in request.messages:
            if m.images:
                parts: list[dict[str, Any]] = [{"type": "text", "text": m.content}]
                parts += [{"type": "image_url", "image_url": {"url": image_data_url(i)}} for i in m.images]
                messages.append({"role": m.role, "content": parts})
            else:
                messages.append({"role": m.role, "content": m.content})
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "stream": stream,
        }
        if self.reasoning_effort is not None:
            body["reasoning_effort"] = self.reasoning_effort
        if stream:
            body["stream_options"] = {"include_usage": True}  # OpenAI sends usage only when asked
        if request.seed is not None:
            body["seed"] = request.seed
        if request.json_schema is not None and self.constrained:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "response", "schema": request.json_schema},
            }
        return adapt.apply(body, self.adaptations)

    def _completion(self, raw: bytes) -> Completion:
        try:
            data = json.loads(raw)
            choice = data["choices"][0]
            content = _content_text(choice["message"].get("content"))
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise ProviderError(
                f"{self.host}: the reply is not a chat completion ({self._shown(_text(raw), SNIPPET_CHARS)})"
            ) from None
        return Completion(
            text=content,
            usage=self._usage(data.get("usage")),
            model=str(data.get("model") or self.model),
            finish_reason=str(choice.get("finish_reason") or ""),
        )

    def _http_error(self, status: int, raw: bytes) -> ProviderError:
        detail = _error_detail(raw)
        detail = self._shown(detail[0], detail[1]) if detail else ""
        if status == 401:
            msg = f"{self.host}: HTTP 401, the API rejected the key (set {API_KEY_ENV} to a valid key)"
        elif status == 403:
            msg = f"{self.host}: HTTP 403, access denied for model {self.model!r}"
        elif status == 404:
            msg = f"{self.host}: HTTP 404, no chat-completions endpoint at {self.url} or no model {self.model!r}"
        else:
            msg = f"{self.host}: HTTP {status}"
        if detail:
            msg += f": {detail}"
        # A validation error about response_format is deterministic: asking again gets it again.
        transient = (status in RETRY_STATUSES or status >= 500) and "response_format" not in detail
        return ProviderError(msg, status=status, retryable=transient)


class _Attempts:
    """A caller's ``on_text`` that remembers whether the attempt under way delivered any text, so that
    the next attempt first says ``on_text(None)``: what the caller heard so far is void."""

    def __init__(self, on_text: OnText):
        self._on_text = on_text
        self._heard = False

    def __call__(self, piece: str | None) -> None:
        self._heard = True
        self._on_text(piece)

    def restart(self) -> None:
        if self._heard:
            self._heard = False
            self._on_text(None)


def chat_completions_url(base_url: str) -> str:
    """``{base}/chat/completions`` for an OpenAI-style base URL (a full endpoint URL is kept)."""
    base = (base_url or "").strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ProviderError(
            f"base URL {base_url!r}: expected http(s)://host[:port]/path, e.g. https://api.deepseek.com/v1"
        )
    if parts.username or parts.password:
        raise ProviderError("base URL: put credentials in THREEDRAW_API_KEY, not in the URL")
    return base if base.endswith("/chat/completions") else base + "/chat/completions"


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _about_streaming(status: int, raw: bytes) -> bool:
    """A refusal of a streamed request that is about streaming (404/501: no such thing at all)."""
    if status not in (400, 422):
        return True
    param, message = adapt.error_fields(raw)
    return "stream" in param.lower() or "stream" in message.lower()


async def _lines(chunks: AsyncIterator[bytes]) -> AsyncIterator[str]:
    """The lines of a byte stream (ended by CR, LF or CRLF, as server-sent events may be). A CRLF split
    between two chunks gives one empty line more, which a reader of ``data:`` lines ignores."""
    pending: list[bytes] = []
    async for chunk in chunks:
        *ended, rest = _EOL.split(chunk)
        for i, line in enumerate(ended):
            yield (b"".join(pending) + line if i == 0 else line).decode("utf-8", errors="replace")
        if ended:
            pending.clear()
        pending.append(rest)
    if last := b"".join(pending):
        yield last.decode("utf-8", errors="replace")


def _content_text(content: Any) -> str:
    """A message's or a streamed delta's text: a string, or a list of content parts (some servers send
    ``[{"type": "text", "text": ...}]``) joined; anything else is no text."""
    if isinstance(content, list):
        return "".join(t for p in content if isinstance(p, dict) and isinstance(t := p.get("text"), str))
    return content if isinstance(content, str) else ""


def _reasoning_chars(delta: Any) -> int:
    """Characters of a streamed delta's thinking: DeepSeek's ``reasoning_content``, others' ``reasoning``."""
    if not isinstance(delta, dict):
        return 0
    return sum(len(v) for k in ("reasoning_content", "reasoning") if isinstance(v := delta.get(k), str))


def _check_not_all_thinking(comp: Completion, budget: int, model: str) -> None:
    """An empty reply cut by the length limit: the budget went to thinking, and a repair request would
    spend it again. One line naming what was spent and what to raise."""
    if comp.finish_reason != "length" or comp.text.strip():
        return
    thought = comp.usage.reasoning_tokens
    spent = f", {thought} of them reasoning" if thought else ""
    raise ProviderError(
        f"{model} spent its whole reply budget ({budget} tokens{spent}) before writing an answer; "
        "raise --max-tokens" + (" (or lower --reasoning-effort)" if thought else "")
    )


def _int(v: Any) -> int:
    return v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else 0


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _error_detail(raw: bytes) -> tuple[str, int] | None:
    """The API's own error message when it sent one (OpenAI style), else its body, uncut (``shown``
    cuts it, after taking the key out), with how many characters of it to show."""
    try:
        data = json.loads(raw)
        err = data.get("error") if isinstance(data, dict) else None
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return err["message"], MESSAGE_CHARS
        if isinstance(err, str):
            return err, MESSAGE_CHARS
    except ValueError:
        pass
    return (_text(raw), SNIPPET_CHARS) if raw.strip() else None

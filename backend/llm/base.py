"""The one small interface every LLM provider implements: chat messages in, text out.

A provider is async: ``await provider.complete(request)`` returns a ``Completion``
(text, token usage, cost) or raises ``ProviderError`` with a message a user can act
on. Retries, timeouts and concurrency limits live inside the provider, so callers
(the drawing agent, the CKE judge, the HTTP server) simply await.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..shared.results.usage import Usage

# Bounds on what we send: a runaway prompt (a huge experience library, a pasted
# file) is refused before it costs anything.
MAX_MESSAGES = 64
MAX_MESSAGE_CHARS = 200_000
MAX_IMAGE_BYTES = 8 * 1024 * 1024
MAX_TOKENS_LIMIT = 32_768
# The longest a provider waits for a reply, or between a streamed reply's chunks (seconds).
MAX_TIMEOUT_S = 3600

ROLES = ("system", "user", "assistant")
# What --reasoning-effort takes (OpenAI's reasoning_effort values, also DeepSeek's and Gemini's).
REASONING_EFFORTS = ("low", "medium", "high")

# Called with each new piece of the reply's text as it arrives (a streamed reply), or once with it all.
# ``None`` means "the reply starts over": an attempt that had already delivered text was cut or went
# idle and is being retried, so everything heard since the last None is void and the new attempt's
# text follows from its beginning. A provider that never retries after delivering text never says it.
OnText = Callable[[str | None], None]


class StopReply(Exception):
    """Raised by an ``on_text`` to stop a streamed reply early (it loops, see draw/loops.py): the
    provider closes the stream (or stops generating) and returns the text so far, finish_reason
    ``STOPPED``. A reply that did not stream (delivered whole) is kept whole."""


STOPPED = "stopped"


class ProviderError(Exception):
    """An LLM call that failed for good (after any retries); the message says why."""

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False):
        super().__init__(message)
        self.status = status
        self.retryable = retryable


@dataclass(frozen=True)
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str
    # PNG/JPEG bytes shown to a multimodal model together with the text (judges).
    images: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"message role {self.role!r}: expected one of {', '.join(ROLES)}")
        if not isinstance(self.content, str):
            raise ValueError(f"{self.role} message: content must be text")
        if len(self.content) > MAX_MESSAGE_CHARS:
            raise ValueError(
                f"{self.role} message: {len(self.content)} characters, at most {MAX_MESSAGE_CHARS} allowed"
            )
        for i, img in enumerate(self.images):
            if len(img) > MAX_IMAGE_BYTES:
                raise ValueError(
                    f"{self.role} message image {i + 1}: {len(img)} bytes, at most {MAX_IMAGE_BYTES}"
                )


@dataclass(frozen=True)
class ChatRequest:
    messages: tuple[Message, ...]
    temperature: float = 0.7
    max_tokens: int = 2048
    # When set, the reply must be JSON matching this schema (providers that can,
    # constrain decoding to it; the local model always can).
    json_schema: dict[str, Any] | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        if not self.messages:
            raise ValueError("chat request: no messages")
        if len(self.messages) > MAX_MESSAGES:
            raise ValueError(f"chat request: {len(self.messages)} messages, at most {MAX_MESSAGES}")
        if not 0.0 <= self.temperature <= 2.0:
            raise ValueError(f"temperature {self.temperature}: expected a value in [0, 2]")
        if not 1 <= self.max_tokens <= MAX_TOKENS_LIMIT:
            raise ValueError(f"max tokens {self.max_tokens}: expected 1 to {MAX_TOKENS_LIMIT}")

    @property
    def has_images(self) -> bool:
        return any(m.images for m in self.messages)


@dataclass
class Completion:
    text: str
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    finish_reason: str = ""  # "stop", "length", ...
    latency_s: float = 0.0
    attempts: int = 1  # HTTP attempts this completion took (1 = no retry)


@runtime_checkable
class Provider(Protocol):
    """What the agent, judge and server need from an LLM."""

    name: str  # "openai-compatible" | "local"
    model: str
    # True when the provider can force JSON-schema output (the agent then asks
    # for JSON, which always parses, instead of draw_bezier text).
    constrained: bool

    async def complete(self, request: ChatRequest, on_text: OnText | None = None) -> Completion: ...

    async def aclose(self) -> None: ...


def image_data_url(img: bytes) -> str:
    """A data: URL for image bytes (PNG or JPEG, sniffed), as chat APIs take images."""
    mime = "image/jpeg" if img[:3] == b"\xff\xd8\xff" else "image/png"
    return f"data:{mime};base64,{base64.b64encode(img).decode('ascii')}"

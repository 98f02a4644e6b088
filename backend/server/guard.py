"""The checks every request passes before any route runs (a plain ASGI middleware).

In order:

1. Host: only loopback names (and names the operator allowed). A web page that rebinds its own
   DNS name to 127.0.0.1 still sends its own name as Host, so it is refused here.
2. Token: ``Authorization: Bearer <token>`` on everything but ``GET /v1/health`` and the docs
   (``/docs``, ``/openapi.json``: no secret there, and a browser cannot send the header).
3. Body size: a Content-Length above the limit is refused at once; a chunked body is counted
   as it arrives and refused when it passes the limit.

Refusals use the same error envelope as every other error.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException

from .errors import error_bytes

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PUBLIC = {("GET", "/v1/health")}  # API routes that need no token
# The docs page and its schema hold no secret and a browser cannot add a header to open them;
# the page's Authorize button takes the token for the routes it tries.
DOCS = {("GET", "/docs"), ("GET", "/docs/oauth2-redirect"), ("GET", "/openapi.json"), ("GET", "/redoc")}
DOCS_ASSETS = "/docs/static/"  # the docs page's own script, style and icons (threedraw.server.docs)
MAX_SHOWN_HOST = 80


def _is_docs_asset(scope: Scope) -> bool:
    return scope["method"] in ("GET", "HEAD") and scope["path"].startswith(DOCS_ASSETS)


class RequestGuard:
    def __init__(self, app: Any, *, token: str, host_names: set[str], max_body_bytes: int):
        self.app = app
        self._token = token.encode()
        self.host_names = {h.lower() for h in host_names}
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v for k, v in scope.get("headers", [])}
        host = headers.get("host", b"").decode("latin-1")
        if host_name(host) not in self.host_names:
            shown = host[:MAX_SHOWN_HOST] or "(none)"
            await _refuse(
                send,
                403,
                "host_not_allowed",
                f"requests for host {shown!r} are refused: this server answers only to "
                f"{', '.join(sorted(self.host_names))} (protection against DNS rebinding)",
            )
            return
        if (scope["method"], scope["path"]) not in PUBLIC | DOCS and not _is_docs_asset(scope):
            problem = self._auth_problem(headers.get("authorization"))
            if problem:
                await _refuse(send, 401, "unauthorized", problem, ((b"www-authenticate", b"Bearer"),))
                return
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            await _refuse(send, 413, "body_too_large", self._too_large())
            return
        await self.app(scope, self._counting(receive), send)

    def _auth_problem(self, header: bytes | None) -> str | None:
        if not header:
            return (
                "no access token: send 'Authorization: Bearer TOKEN' with the token from the server's "
                "token file (threedraw serve prints where it is)"
            )
        scheme, _, value = header.partition(b" ")
        if scheme.lower() != b"bearer" or not secrets.compare_digest(value.strip(), self._token):
            return (
                "wrong access token: the server makes a new token every time it starts; read it again "
                "from the server's token file"
            )
        return None

    def _too_large(self) -> str:
        return f"the request body is larger than {self.max_body_bytes} bytes, the most this server accepts"

    def _counting(self, receive: Receive) -> Receive:
        """``receive`` that refuses a streamed body once it passes the limit."""
        seen = 0

        async def wrapped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    # An HTTPException passes through FastAPI's body reading to the error handlers.
                    raise HTTPException(413, self._too_large())
            return message

        return wrapped


def host_name(host: str) -> str:
    """The name in a Host header, without port, brackets or a trailing dot, lower case.

    Anything but ``name``, ``name:port``, ``[v6]`` or ``[v6]:port`` is malformed and gives "",
    which no server answers to (``[::1]evil.com`` must not pass as ``::1``)."""
    host = host.strip().lower()
    if host.startswith("["):
        name, sep, rest = host[1:].partition("]")
        return name if sep and _is_port_suffix(rest) else ""
    name, sep, port = host.partition(":")
    if sep and (":" in port or not _is_port_suffix(sep + port)):
        return ""  # a bare IPv6 address (it needs brackets in Host) or a bad port
    return name.rstrip(".")


def _is_port_suffix(rest: str) -> bool:
    """'' or ':' followed by 1 to 5 digits."""
    return rest == "" or (rest[:1] == ":" and rest[1:].isdigit() and len(rest) <= 6)


async def _refuse(
    send: Send, status: int, code: str, message: str, extra: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    body = error_bytes(code, message)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

"""``BackendClient(url, token_file)``: JSON over HTTP to ``/v1`` of `threedraw serve`.

Every failure, whether the server's error envelope, a refused connection or a missing token
file, comes out as one ``BackendError`` whose message is one line a user can act on. The
token is read from the server's token file at request time and re-read once when the server
answers 401 (it makes a new token at every start); it is never kept anywhere else. A token file
that is not the user's own, owner-only file is refused (another user may have swapped it).
"""

from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ..shared.results import JobStatus, LibraryView, ResultError, ServerInfo, library_names
from ..shared.results.fields import Record
from ..shared.token_path import DEFAULT_PORT, token_file, token_file_for_url, token_file_problem

DEFAULT_URL = "http://127.0.0.1:8765"
API = "/v1"
TIMEOUT_S = 10.0
MAX_RESPONSE_BYTES = 64 * 1024 * 1024  # a result with preview images is a few MiB at most
MAX_TOKEN_BYTES = 4096
START_HINT = "start it with `threedraw serve` or the Start button"
T = TypeVar("T")


def default_token_file() -> Path:
    """Where `threedraw serve` on the default port writes its token (shared.token_path's rule)."""
    return token_file(DEFAULT_PORT)


class BackendError(Exception):
    """What went wrong talking to the backend, as one line; ``code`` is the server's error code
    (or the client's own: not_running, no_token, token_unsafe, token_rejected, timeout, bad_response)."""

    def __init__(
        self, message: str, code: str = "backend_error", status: int | None = None, detail: Any = None
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.detail = detail


class BackendClient:
    def __init__(
        self,
        url: str = DEFAULT_URL,
        token_file: str | os.PathLike[str] | None = None,
        timeout: float = TIMEOUT_S,
    ):
        self.url = (url or DEFAULT_URL).strip().rstrip("/")
        if self.url.endswith(API):  # "http://host:port/v1" as threedraw serve prints it
            self.url = self.url[: -len(API)]
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise BackendError(
                f"backend URL {url!r} is not an http:// address (set it in the add-on's preferences)",
                "bad_url",
            )
        given = Path(token_file).expanduser() if token_file else None
        # The preference's default names the default port's file; a server on another port
        # writes its own (token-PORT), found from the URL.
        if given is None or given == default_token_file():
            try:
                given = token_file_for_url(self.url)
            except ValueError as e:
                raise BackendError(f"{e} (set it in the add-on's preferences)", "bad_url") from None
        self.token_file = given
        self.timeout = timeout

    # -- the routes the add-on uses ---------------------------------------------
    def health(self) -> str:
        """The backend's status ("ok"), without a token: whether it runs at all."""
        return str(self.request("GET", "/health", auth=False).get("status", ""))

    def info(self) -> ServerInfo:
        return self._read(ServerInfo.from_dict, self.request("GET", "/info"))

    def check(self) -> str:
        """One line: whether drawing works with the backend's configured LLM (a few tiny requests to it)."""
        return str(self.request("GET", "/check").get("verdict") or "")

    def submit(self, body: Record) -> JobStatus:
        return self._job("POST", "/jobs", body)

    def job(self, job_id: str, since: int | None = None) -> JobStatus:
        """The job; with ``since``, also the live ``strokes`` after that sequence number."""
        query = "" if since is None else f"?since={int(since)}"
        return self._job("GET", f"/jobs/{_q(job_id)}{query}")

    def cancel(self, job_id: str) -> JobStatus:
        return self._job("POST", f"/jobs/{_q(job_id)}/cancel")

    def _job(self, method: str, path: str, body: Record | None = None) -> JobStatus:
        return self._read(JobStatus.from_dict, self.request(method, path, body))

    @staticmethod
    def _read(read: Callable[[Any], T], answer: Record) -> T:
        """An answer read as its type; one this add-on cannot read is a BackendError naming the field."""
        try:
            return read(answer)
        except ResultError as e:
            raise BackendError(
                f"the backend answered what this add-on cannot read: {e}", "bad_response"
            ) from None

    def libraries(self) -> list[str]:
        """The names of the backend's libraries."""
        return self._read(library_names, self.request("GET", "/libraries"))

    def library(self, name: str) -> LibraryView:
        return self._read(LibraryView.from_dict, self.request("GET", f"/libraries/{_q(name)}"))

    def delete_lesson(self, name: str, lesson_id: str) -> None:
        self.request("DELETE", f"/libraries/{_q(name)}/lessons/{_q(lesson_id)}")

    def export_library(self, name: str) -> Record:
        """The library's export file (``threedraw.library/1``): written out as it comes."""
        return self.request("GET", f"/libraries/{_q(name)}/export")

    # -- one request ----------------------------------------------------------
    def request(self, method: str, path: str, body: Record | None = None, auth: bool = True) -> Record:
        """One JSON request; the decoded JSON object, or BackendError."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        try:
            return self._send(method, path, data, self._token() if auth else None)
        except BackendError as e:
            if e.status != 401 or not auth:
                raise
        # 401: the server restarted with a new token; read the file once more.
        try:
            return self._send(method, path, data, self._token())
        except BackendError as e:
            if e.status == 401:
                raise BackendError(
                    f"token rejected: the backend was restarted or uses another token file; the token "
                    f"is re-read from {self.token_file.name} in {self.token_file.parent} (set token_file "
                    f"in the add-on's preferences to the file `threedraw serve` names)",
                    "token_rejected",
                    401,
                ) from None
            raise

    def _token(self) -> str:
        path = self.token_file
        try:
            with open(path, "rb") as f:
                # The open file's owner and mode, so the file checked is the file read.
                problem = token_file_problem(os.fstat(f.fileno()))
                if problem:
                    raise BackendError(
                        f"the token file {path} is not used: {problem}; stop whatever wrote it and restart "
                        "the backend, which writes a new one",
                        "token_unsafe",
                    )
                raw = f.read(MAX_TOKEN_BYTES + 1)
        except FileNotFoundError:
            raise BackendError(
                f"no token file {path.name} in {path.parent}: the backend is not running there; {START_HINT}",
                "no_token",
            ) from None
        except OSError as e:
            raise BackendError(f"cannot read the token file {path}: {e.strerror or e}", "no_token") from None
        token = raw.decode("ascii", "replace").strip()
        if not token or len(raw) > MAX_TOKEN_BYTES:
            raise BackendError(f"the token file {path} holds no token; restart the backend", "no_token")
        return token

    def _send(self, method: str, path: str, data: bytes | None, token: str | None) -> Record:
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(self.url + API + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return self._decode(resp.read(MAX_RESPONSE_BYTES + 1), resp.status)
        except urllib.error.HTTPError as e:
            raw = e.read(MAX_RESPONSE_BYTES + 1)
            raise self._envelope(raw, e.code) from None
        except urllib.error.URLError as e:
            reason = e.reason
            if isinstance(reason, (socket.timeout, TimeoutError)):
                raise self._timeout() from None
            if isinstance(reason, ConnectionRefusedError) or "refused" in str(reason).lower():
                raise BackendError(
                    f"backend not running at {self.url}: {START_HINT}", "not_running"
                ) from None
            raise BackendError(
                f"cannot reach the backend at {self.url}: {getattr(reason, 'strerror', None) or reason}",
                "not_running",
            ) from None
        except TimeoutError:
            raise self._timeout() from None
        except (ConnectionError, OSError) as e:  # reset mid-answer: the server stopped
            raise BackendError(
                f"the backend at {self.url} dropped the connection ({e.strerror or e}); is it still running?",
                "not_running",
            ) from None

    def _timeout(self) -> BackendError:
        return BackendError(f"the backend at {self.url} did not answer within {self.timeout:g} s", "timeout")

    def _decode(self, raw: bytes, status: int) -> Record:
        if len(raw) > MAX_RESPONSE_BYTES:
            raise BackendError(
                f"the backend's answer is larger than {MAX_RESPONSE_BYTES >> 20} MiB", "bad_response", status
            )
        try:
            body = json.loads(raw)
        except ValueError:
            raise BackendError(
                f"{self.url} answered {status} with something that is not JSON: is it a threedraw backend?",
                "bad_response",
                status,
            ) from None
        if not isinstance(body, dict):
            raise BackendError(
                f"{self.url} answered {status} with JSON that is not an object", "bad_response", status
            )
        return body

    def _envelope(self, raw: bytes, status: int) -> BackendError:
        """The server's {"error": {code, message, detail}} as a BackendError."""
        try:
            err = json.loads(raw[:MAX_RESPONSE_BYTES])["error"]
            code, message = str(err["code"]), " ".join(str(err["message"]).split())
            return BackendError(f"backend: {message}", code, status, err.get("detail"))
        except (ValueError, KeyError, TypeError):
            text = " ".join(raw[:200].decode("utf-8", "replace").split())
            return BackendError(
                f"{self.url} answered HTTP {status}: {text or 'no body'}", "bad_response", status
            )


def _q(part: str) -> str:
    return urllib.parse.quote(str(part), safe="")

"""Where a threedraw server keeps its access token: one file per port, found from the server's URL.

``threedraw serve`` writes its token to ``token_file(port)`` unless ``--token-file`` says
otherwise; a client finds it with ``token_file_for_url(url)`` for the URL it talks to. The
default port keeps the historic name ``token``, so existing setups and the README stay right;
any other port gets ``token-PORT``, so a second server never overwrites the first one's token.
A client uses the file only when ``token_file_problem`` finds nothing wrong with it: the server
writes it owner-only, so one that belongs to another user, or that others may read or write, was
not written by our server (or was swapped). Pure standard library: the Blender add-on vendors this
module.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from urllib.parse import urlsplit

APP = "threedraw"
DEFAULT_PORT = 8765
_SCHEME_PORTS = {"http": 80, "https": 443}


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/threedraw``, else ``~/.config/threedraw`` (on every platform)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / APP


def token_file(port: int, folder: Path | None = None) -> Path:
    """The token file of the server on ``port``, in ``folder`` (default: the user's config dir)."""
    folder = config_dir() if folder is None else Path(folder)
    return folder / ("token" if port == DEFAULT_PORT else f"token-{port}")


def token_file_for_url(url: str, folder: Path | None = None) -> Path:
    """The token file of the server at ``url`` ("http://127.0.0.1:8765/v1", "localhost:9000", ...).

    Only the port matters: two servers on one machine cannot share a port, and "localhost",
    "127.0.0.1" and "[::1]" name the same server. ValueError for a URL without a usable port."""
    parts = urlsplit(url.strip() if "//" in url else "http://" + url.strip())
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"server URL {url!r}: the port is not a number from 0 to 65535") from None
    if port is None:
        port = _SCHEME_PORTS.get(parts.scheme.lower())
    if port is None:
        raise ValueError(f"server URL {url!r}: no port, and {parts.scheme!r} has no default one")
    return token_file(port, folder)


def token_file_problem(info: os.stat_result) -> str | None:
    """Why a token file with this ``os.stat`` result must not be used (None: it may be).

    `threedraw serve` writes its token file owner-only (mode 0600) as the user it runs as; a file
    that belongs to someone else, or that others may read or write, was swapped or has leaked. On
    Windows, where POSIX owners and modes mean nothing, every file passes."""
    if os.name == "nt" or not hasattr(os, "getuid"):
        return None
    if info.st_uid != os.getuid():
        return f"it belongs to another user (uid {info.st_uid}), not to you"
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        return f"other users may read or write it (mode {mode:o}; threedraw serve writes it 600)"
    return None

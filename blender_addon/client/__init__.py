"""The add-on's side of the HTTP API of `threedraw serve`. Imports nothing from Blender, so
plain pytest runs it against a real server; only the standard library (nothing to pip-install
inside Blender)."""

from .http import DEFAULT_URL, BackendClient, BackendError, default_token_file

__all__ = ["DEFAULT_URL", "BackendClient", "BackendError", "default_token_file"]

"""CLIP's errors, in a module of their own: code that only reports them (the server's job errors)
must not import torch, which the core install (no CLIP layer) does not have."""

from __future__ import annotations


class ClipError(RuntimeError):
    """CLIP cannot be used as configured; the message says what and how to fix it."""


class ClipUnavailable(ClipError):
    """No CLIP weights: none configured, the download failed, or the checkpoint file is missing."""

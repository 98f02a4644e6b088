"""A library written to a file `threedraw library import` reads (no bpy: runs on a worker thread)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from .http import BackendClient, BackendError


def export_library(client: BackendClient, name: str, path: Path) -> None:
    """Download library ``name`` and write it to ``path`` whole (a temporary file, then renamed)."""
    data = client.export_library(name)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        raise BackendError(f"cannot write {path.name}: {e.strerror or e}", "write_failed") from None

"""Server settings as plain values, with their defaults and where the server keeps things.

``threedraw serve`` builds them from flags, the environment and a config file
(``threedraw.cli.serve_options``); the API key is never a setting: the provider reads it from
``THREEDRAW_API_KEY`` only, so it cannot end up in a file we wrote.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..draw.loops import DEFAULT_LOOP_LIMIT
from ..llm.factory import ProviderConfig, provider_from_config
from ..scoring.reward import ScoreConfig
from ..shared.token_path import DEFAULT_PORT, config_dir, token_file
from ..storage import default_data_dir  # the libraries' data dir: jobs are kept beside them

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


# -- where things live ---------------------------------------------------------
def default_config_file() -> Path:
    return config_dir() / "config.toml"


# -- the settings --------------------------------------------------------------
@dataclass(frozen=True)
class Limits:
    """Upper bounds a job's own settings must stay within (they protect a shared machine)."""

    max_views: int = 16
    max_size: int = 512


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    token_file: Path | None = None  # None: one per port in the user's config dir (shared.token_path)
    allow_shared_token_dir: bool = False  # write the token where other users could replace it
    data_dir: Path = field(default_factory=default_data_dir)
    allow_remote: bool = False
    allowed_hosts: tuple[str, ...] = ()  # extra Host names accepted besides loopback ones
    max_body_bytes: int = 2 * 1024 * 1024
    read_timeout_s: float = 20.0  # to read one request, headers and body; a slower client is dropped
    max_connections: int = 128  # open connections; more are closed at once
    max_queued: int = 32  # jobs waiting to start; more is answered 429
    llm_jobs: int = 4  # LLM-bound jobs running at once
    keep_jobs: int = 1000  # finished jobs kept; older ones are pruned
    loop_limit: int = (
        DEFAULT_LOOP_LIMIT  # draw, refine and learn jobs' loop cut-off, unless one gives its own
    )
    limits: Limits = field(default_factory=Limits)
    score: ScoreConfig = field(default_factory=ScoreConfig)
    provider_options: ProviderConfig = field(default_factory=ProviderConfig)

    @property
    def provider_kind(self) -> str:
        return self.provider_options.resolved_kind

    def make_provider(self, model: str | None = None) -> Any:
        """A provider as configured, or with another model name; ProviderError or ValueError when it
        cannot be made."""
        options = self.provider_options
        if model is not None:
            if self.provider_kind == "local":
                # A file path from an HTTP request must never choose what the server loads.
                raise ValueError(
                    "model: the local provider's model is chosen when the server starts, "
                    "not per job (start it with --model PATH)"
                )
            options = dataclasses.replace(options, model=model)
        return provider_from_config(options)

    def token_path(self, port: int) -> Path:
        """Where the server listening on ``port`` (the bound one, for --port 0) writes its token."""
        return self.token_file or token_file(port)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "server.sqlite3"

    def host_names(self) -> set[str]:
        """Host header names the server answers to (DNS-rebinding protection)."""
        names = {n.lower() for n in (*LOOPBACK_NAMES, *self.allowed_hosts)}
        if self.allow_remote and self.host not in ("0.0.0.0", "::"):
            names.add(self.host.lower())
        return names


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False

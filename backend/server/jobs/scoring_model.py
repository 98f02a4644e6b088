"""The CLIP model the scoring worker owns: loaded once at start, its state reported in /v1/info."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from ...scoring.reward import ScoreConfig


class ScoringModel:
    """Loads CLIP once on the scoring worker at start, and says how that went (for /v1/info)."""

    def __init__(self, config: ScoreConfig):
        self.config = config
        self._lock = threading.Lock()
        self._state = {"state": "starting", "message": None, "device": None}

    def warm_up(self) -> None:
        """Import torch and load CLIP now, so the first job does not pay for it."""
        try:
            try:
                import torch
            except ModuleNotFoundError as e:
                if e.name != "torch":
                    raise
                # The core install (no CLIP layer): draws and refines are scored by structure alone.
                self._set(
                    "error" if self.config.has_clip else "none",
                    "CLIP is not installed: rewards are the structure score alone (for CLIP: "
                    "pip install 'threedraw[clip]')",
                    None,
                )
                return
            device = "cuda" if torch.cuda.is_available() else "cpu"
            if not self.config.has_clip:
                self._set("none", "no CLIP weights configured: rewards are the structure score alone", device)
                return
            self._set("loading", "loading CLIP", device)
            from ...scoring.clip import load_clip

            model = load_clip(
                self.config.clip_model, self.config.clip_pretrained, self.config.clip_checkpoint
            )
            self._set("ready", None, str(model.device))
        except Exception as e:  # reported in /v1/info; score jobs fail with the same message
            self._set("error", str(e).splitlines()[0][:500] if str(e) else type(e).__name__, None)

    def _set(self, state: str, message: str | None, device: str | None) -> None:
        with self._lock:
            self._state = {"state": state, "message": message, "device": device}

    def info(self) -> dict[str, Any]:
        c = self.config
        with self._lock:
            status = dict(self._state)
        return {
            "model": Path(c.clip_model).name if c.clip_model else None,  # a config path: its name only
            "pretrained": c.clip_pretrained,
            "checkpoint": Path(c.clip_checkpoint).name if c.clip_checkpoint else None,
            "views": c.views,
            "structure_weight": c.structure_weight,
            **status,
        }

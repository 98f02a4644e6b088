"""Resuming a learning run with the settings it was started with, never silently with others.

A run record keeps the provider's kind and model and the scoring settings (names only: never
paths, URLs or keys). ``resume_settings`` takes them from there, so ``threedraw learn --resume``
without flags goes on with the same drawing model and the same scorer; a setting the caller gave
that contradicts the record is refused with a message naming both values. What the API needed
(the adaptations of ``llm/adapt.py``, kept in the record as the run learned them) is handed to the
resumed provider, so its first request is already adapted. What a record cannot
hold comes from the caller: the API's base URL (and its key, from the environment only), and the
paths of a CLIP checkpoint or model config, checked against the file names recorded.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..llm.factory import ProviderConfig
from ..scoring.reward import ScoreConfig
from ..shared.results.fields import Record
from .run_record import ProviderRecord, ScoreRecord

# The settings that must stay as recorded, with the flag a user gives for each.
FLAGS = {
    "kind": "--provider",
    "base_url": "--base-url",
    "model": "--model",
    "clip_model": "--clip-model",
    "clip_pretrained": "--clip-pretrained",
    "clip_checkpoint": "--clip-checkpoint",
    "views": "--views",
    "size": "--score-size",
    "structure_weight": "--structure-weight",
}


class ResumeConflict(ValueError):
    """A setting given for a resumed run contradicts its record, or one the record cannot hold is missing."""


def resume_settings(
    run_id: str,
    record: Record,
    provider: ProviderConfig,
    score: ScoreConfig,
    given: Collection[str],
    default_local_model: str | None = None,
) -> tuple[ProviderConfig, ScoreConfig]:
    """The provider and scoring settings to resume run ``run_id`` with (see the module docstring).

    ``given``: the fields of ``provider`` and ``score`` the caller set explicitly (else they are
    defaults, and the record wins). ``default_local_model``: the built-in local model's name.
    """
    return (
        _provider(
            run_id, ProviderRecord.from_dict(record.get("provider")), provider, given, default_local_model
        ),
        _score(run_id, ScoreRecord.from_dict(record.get("score")), score, given),
    )


def default_local_model() -> str | None:
    """The built-in local model's name (what a local run's record holds), if it is installed."""
    from ..llm.base import ProviderError

    try:
        from ..llm.local import default_model_path

        return default_model_path().stem
    except (ImportError, ProviderError):
        return None


def _conflict(run_id: str, what: str, recorded: Any, name: str, value: Any) -> ResumeConflict:
    return ResumeConflict(
        f"run {run_id} was learned with {what} {recorded!r}; {FLAGS[name]} {value!r} "
        "contradicts it (drop the flag to resume as recorded, or start a new run)"
    )


def _provider(
    run_id: str,
    rec: ProviderRecord | None,
    cfg: ProviderConfig,
    given: Collection[str],
    default_local: str | None,
) -> ProviderConfig:
    kind, model = (rec.kind, rec.model) if rec else (None, None)
    if rec is None or kind is None:
        return cfg  # a record without provider settings: nothing to hold the caller to
    if "kind" in given and cfg.kind and cfg.kind != kind:
        raise _conflict(run_id, "the provider", kind, "kind", cfg.kind)
    if kind == "local":
        if "base_url" in given and cfg.base_url:
            raise _conflict(run_id, "the provider", "local", "base_url", cfg.base_url)
        if "model" in given and cfg.model:
            if Path(cfg.model).stem != model:
                raise _conflict(run_id, "the local model", model, "model", Path(cfg.model).name)
            return replace(cfg, kind="local", base_url=None)
        if model != default_local:
            raise ResumeConflict(
                f"run {run_id} drew with the local model {model}.gguf: give --model PATH to it "
                "(run records keep file names, not paths)"
            )
        return replace(cfg, kind="local", base_url=None, model=None)
    if not cfg.base_url:
        raise ResumeConflict(
            f"run {run_id} drew with {kind} model {model!r}: give its --base-url (or set "
            "THREEDRAW_BASE_URL; run records keep no URLs)"
        )
    if "model" in given and cfg.model and cfg.model != model:
        raise _conflict(run_id, "the model", model, "model", cfg.model)
    pairs = tuple(sorted(rec.adaptations.items()))
    return replace(cfg, kind=kind, model=model, adaptations=pairs or cfg.adaptations)


def _score(run_id: str, rec: ScoreRecord | None, cfg: ScoreConfig, given: Collection[str]) -> ScoreConfig:
    if rec is None:
        return cfg
    out: dict[str, Any] = {}  # ScoreConfig's fields to replace
    for name in ("views", "size", "structure_weight"):
        recorded = getattr(rec, name)
        if recorded is None:
            continue
        if name in given and getattr(cfg, name) != recorded:
            raise _conflict(run_id, name.replace("_", " "), recorded, name, getattr(cfg, name))
        out[name] = recorded
    if "precision" not in given and rec.precision:
        out["precision"] = rec.precision  # a speed setting (rankings do not change); the flag may differ
    tag, ckpt, model = rec.clip_pretrained, rec.clip_checkpoint, rec.clip_model
    if tag:
        if "clip_checkpoint" in given and cfg.clip_checkpoint:
            raise _conflict(
                run_id, "the CLIP weights", tag, "clip_checkpoint", Path(cfg.clip_checkpoint).name
            )
        if "clip_pretrained" in given and cfg.clip_pretrained != tag:
            raise _conflict(run_id, "the CLIP weights", tag, "clip_pretrained", cfg.clip_pretrained)
        out.update(clip_pretrained=tag, clip_checkpoint=None)
    elif ckpt:
        if "clip_pretrained" in given and cfg.clip_pretrained:
            raise _conflict(run_id, "the CLIP checkpoint", ckpt, "clip_pretrained", cfg.clip_pretrained)
        if not cfg.clip_checkpoint or "clip_checkpoint" not in given:
            raise ResumeConflict(
                f"run {run_id} scored with the CLIP checkpoint {ckpt}: give --clip-checkpoint "
                "PATH to it (run records keep file names, not paths)"
            )
        if Path(cfg.clip_checkpoint).name != ckpt:
            raise _conflict(
                run_id, "the CLIP checkpoint", ckpt, "clip_checkpoint", Path(cfg.clip_checkpoint).name
            )
    else:
        for name in ("clip_pretrained", "clip_checkpoint"):
            if name in given and getattr(cfg, name):
                raise ResumeConflict(
                    f"run {run_id} was scored without CLIP (the structure score alone); "
                    f"{FLAGS[name]} {Path(getattr(cfg, name)).name!r} would switch scorers "
                    "mid-run (start a new run instead)"
                )
        return replace(cfg, clip_pretrained=None, clip_checkpoint=None, **out)
    if model:
        if "clip_model" in given:
            if Path(cfg.clip_model).name != model:
                raise _conflict(run_id, "the CLIP model", model, "clip_model", Path(cfg.clip_model).name)
        elif model.endswith(".json"):
            raise ResumeConflict(
                f"run {run_id} scored with the CLIP model config {model}: give --clip-model "
                "PATH to it (run records keep file names, not paths)"
            )
        else:
            out["clip_model"] = model
    return replace(cfg, **out)

"""CLIP scoring on open_clip: r_CLIP = mean over views of cos(E_img(view), E_text(prompt)).

A model is named by its open_clip name (``ViT-B-32``) or by a path to an open_clip model-config
JSON (``{"embed_dim": ..., "vision_cfg": {...}, "text_cfg": {...}}``). Weights come from an
open_clip pretrained tag (``openai``, ``laion2b_s34b_b79k``...: downloaded once, so the first use
needs the internet) or from a local checkpoint file (.pt / .bin / .safetensors, an open_clip
state dict). With neither there is no CLIP: ``load_clip`` raises ``ClipUnavailable`` saying how
to provide one; it never silently scores with random weights.

A config JSON is registered with open_clip under its file name's stem (``tiny.json`` -> ``tiny``).
A loaded model is kept for the life of the process (``load_clip`` returns the same object for the
same arguments). Images go through the model's own preprocessing (resize to its input size,
normalise with its mean and std) as tensors, so rendering and scoring stay differentiable.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import torch
import torch.nn.functional as F

from ..shared.files import FileReadError, read_document
from .errors import ClipError, ClipUnavailable  # noqa: F401  (re-exported: callers import them here)
from .fast_vit import speed_up

HOW_TO = (
    "give CLIP weights with --clip-pretrained TAG (an open_clip pretrained tag, e.g. "
    "'--clip-model ViT-B-32 --clip-pretrained openai'; downloaded once, so the first run needs the "
    "internet) or --clip-checkpoint PATH (a local open_clip weights file: .pt, .bin or .safetensors)"
)
IMAGE_BATCH = 64  # images encoded at once: bounds memory, not results
MAX_CONFIG_BYTES = 1 << 20
REACH_TIMEOUT_S = 5.0  # to open a connection to the weights' host before a download is tried
_CONFIG_KEYS = ("embed_dim", "vision_cfg", "text_cfg")


@dataclass
class ClipModel:
    """A loaded open_clip model with its tokenizer and image normalisation."""

    name: str
    model: Any
    tokenizer: Callable[[list[str]], torch.Tensor]
    image_size: int
    mean: torch.Tensor  # [3, 1, 1]
    std: torch.Tensor  # [3, 1, 1]
    interpolation: str
    device: torch.device

    def __post_init__(self) -> None:
        self._text_cache: dict[str, torch.Tensor] = {}
        self._reduced: dict[torch.dtype, Any] = {}  # image towers in reduced precision, by dtype
        self._lock = threading.Lock()

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        """[N, 3, H, W] in [0, 1] -> the model's normalised input [N, 3, S, S] (square images)."""
        images = images.to(device=self.device, dtype=torch.float32)
        if images.shape[-2:] != (self.image_size, self.image_size):
            mode = "bilinear" if self.interpolation == "bilinear" else "bicubic"
            images = F.interpolate(
                images,
                size=(self.image_size, self.image_size),
                mode=mode,
                align_corners=False,
                antialias=True,
            )
        return (images - self.mean) / self.std

    def encode_images(self, images: torch.Tensor, precision: str = "fp32") -> torch.Tensor:
        """Unit image embeddings [N, D] (float32) of images [N, 3, H, W] in [0, 1], IMAGE_BATCH at a time.

        ``precision`` "bf16" or "auto" runs the image tower under ``torch.autocast`` where
        ``reduced_dtype`` says the hardware does it natively; preprocessing and the result stay float32.
        """
        dtype = reduced_dtype(self.device, precision)
        encode = self.model.encode_image if dtype is None else self._reduced_tower(dtype)
        feats = []
        for i in range(0, images.shape[0], IMAGE_BATCH):
            x = self.preprocess(images[i : i + IMAGE_BATCH])
            with torch.autocast(self.device.type, dtype=dtype) if dtype else contextlib.nullcontext():
                feats.append(encode(x if dtype is None else x.to(dtype)).float())
        return F.normalize(torch.cat(feats), dim=-1)

    def _reduced_tower(self, dtype: torch.dtype) -> Any:
        """A copy of the image tower with its weights in ``dtype``, made once: autocast alone would
        cast every weight again on every call (more than half the time on a CPU)."""
        with self._lock, torch.inference_mode(False):  # normal tensors, even if first used under it
            if dtype not in self._reduced:
                # (the copy keeps fast_vit's forwards: deepcopy binds them to the copied modules)
                self._reduced[dtype] = copy.deepcopy(self.model.visual).to(dtype)
            return self._reduced[dtype]

    def image_embeddings(self, images: torch.Tensor, precision: str = "fp32") -> torch.Tensor:
        """Unit embeddings [..., D] of images [..., C, H, W] (C is 3, or 1 for grey), in [0, 1]."""
        if images.dim() < 4 or images.shape[-3] not in (1, 3):
            raise ValueError(f"images: expected [..., 1 or 3, H, W], got {list(images.shape)}")
        lead = images.shape[:-3]
        flat = images.reshape(-1, *images.shape[-3:]).expand(-1, 3, -1, -1)
        return self.encode_images(flat, precision).reshape(*lead, -1)

    def encode_text(self, text: str) -> torch.Tensor:
        """Unit text embedding [D] of one prompt (cached: a prompt is encoded once)."""
        with self._lock:
            cached = self._text_cache.get(text)
        if cached is None:
            # a normal tensor even when called under inference_mode: the cache serves autograd too
            with torch.inference_mode(False), torch.no_grad():
                tokens = self.tokenizer([text]).to(self.device)
                cached = F.normalize(self.model.encode_text(tokens), dim=-1)[0]
            with self._lock:
                if len(self._text_cache) >= 256:
                    self._text_cache.clear()
                self._text_cache[text] = cached
        return cached

    def similarity(self, images: torch.Tensor, text: str, precision: str = "fp32") -> torch.Tensor:
        """Cosine similarity of each image with the text: images [..., C, H, W] -> [...].

        C is 3 (RGB) or 1 (grey, as the renderer's images with ``unsqueeze(-3)``), in [0, 1].
        Differentiable with respect to ``images`` when called with autograd enabled (in float32).
        """
        feats = self.image_embeddings(images, precision)
        return feats @ self.encode_text(text).to(feats.dtype)


def reduced_dtype(device: torch.device, precision: str) -> torch.dtype | None:
    """The autocast dtype for image encoding, or None for float32.

    ``fp32``: None. ``bf16``: bfloat16 on any device. ``auto``: on CUDA bfloat16 where the GPU has
    it, else float16; on a CPU bfloat16 only where it is native (AMX or AVX-512 BF16), since
    emulated bfloat16 is slower than float32.
    """
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if precision != "auto":
        raise ClipError(f"precision {precision!r}: expected fp32, bf16 or auto")
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if device.type == "cpu" and cpu_has_native_bf16() else None


@functools.lru_cache(maxsize=1)
def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (Linux: the amx_bf16 or avx512_bf16 flag)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


_CACHE: dict[tuple, ClipModel] = {}
_CACHE_LOCK = threading.Lock()


def load_clip(
    model: str = "ViT-B-32",
    pretrained: str | None = None,
    checkpoint: str | None = None,
    device: str | torch.device | None = None,
) -> ClipModel:
    """Load an open_clip model once per process (see the module docstring for the arguments)."""
    if pretrained and checkpoint:
        raise ClipError("give either a pretrained tag or a checkpoint file, not both")
    if not pretrained and not checkpoint:
        raise ClipUnavailable(f"no CLIP weights configured: {HOW_TO}")
    dev = (
        torch.device(device)
        if device is not None
        else torch.device("cuda" if torch.cuda.is_available() else "cpu")
    )
    name, config_path = _resolve_model(model)
    if checkpoint:
        ckpt = Path(checkpoint).expanduser()
        if not ckpt.is_file():
            raise ClipUnavailable(f"CLIP checkpoint {str(checkpoint)!r} is not a file: {HOW_TO}")
        checkpoint = str(ckpt.resolve())
    key = (name, str(config_path), pretrained, checkpoint, str(dev))
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = _load(name, pretrained, checkpoint, dev)
        return _CACHE[key]


def _resolve_model(model: str) -> tuple[str, Path | None]:
    """An open_clip model name, registering a model-config JSON first when given a path."""
    import open_clip

    if not isinstance(model, str) or not model:
        raise ClipError("CLIP model: expected an open_clip model name or a path to a model-config JSON")
    path = Path(model).expanduser()
    if model.endswith(".json") or path.is_file():
        try:
            cfg = read_document(path, MAX_CONFIG_BYTES, json.loads, "readable JSON")
        except FileReadError as e:
            raise ClipError(f"CLIP model config {e}") from None
        missing = [k for k in _CONFIG_KEYS if not isinstance(cfg, dict) or k not in cfg]
        if missing:
            raise ClipError(
                f"CLIP model config {path.name}: missing {', '.join(missing)} "
                "(an open_clip model config has embed_dim, vision_cfg and text_cfg)"
            )
        path = path.resolve()
        open_clip.add_model_config(path)  # registered under the file's stem
        return path.stem, path
    if model not in open_clip.list_models():
        raise ClipError(
            f"unknown CLIP model {model!r}: give an open_clip model name (e.g. ViT-B-32) "
            "or the path of an open_clip model-config JSON"
        )
    return model, None


def _load(name: str, pretrained: str | None, checkpoint: str | None, device: torch.device) -> ClipModel:
    import open_clip

    if pretrained:
        tags = open_clip.list_pretrained_tags_by_model(name)
        if not open_clip.is_pretrained_cfg(name, pretrained):
            known = ", ".join(tags) if tags else "none: use --clip-checkpoint"
            raise ClipError(f"CLIP model {name}: unknown pretrained tag {pretrained!r} (known tags: {known})")
        _check_download(name, pretrained)
    try:
        with quiet_logs():
            model = open_clip.create_model(
                name, pretrained=checkpoint or pretrained, device=device, require_pretrained=True
            )
    except Exception as e:  # open_clip, the hub and torch.load raise many kinds; each becomes one line
        if pretrained and "download" in str(e).lower():
            raise ClipUnavailable(
                f"could not download the CLIP weights {name} {pretrained!r} (no internet?); they are fetched "
                "once and cached, so run once where the internet is reachable, or give --clip-checkpoint PATH "
                "(a local open_clip weights file)"
            ) from None
        raise ClipError(
            f"could not load CLIP {name} from {_source(pretrained, checkpoint)}: "
            f"{type(e).__name__}: {_first_line(e)}"
        ) from None
    return wrap_model(name, model, device)


def _check_download(name: str, tag: str) -> None:
    """Weights not cached yet must be downloadable: say so in seconds, where the hub's retries would
    take most of a minute, when offline mode is set (HF_HUB_OFFLINE) or their host is unreachable."""
    import open_clip.pretrained as pre

    cfg = pre.get_pretrained_cfg(name, tag)
    hub = cfg.get("hf_hub", "") if pre.has_hf_hub() else ""
    if _cached(cfg, hub):
        return
    why = ""
    if hub and os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        why = "HF_HUB_OFFLINE is set"
    else:
        where = urlparse(
            os.environ.get("HF_ENDPOINT", "https://huggingface.co") if hub else cfg.get("url", "")
        )
        if where.hostname and not _reachable(where.hostname, where.port or 443):
            why = f"{where.hostname} cannot be reached"
    if why:
        raise ClipUnavailable(
            f"could not download the CLIP weights {name} {tag!r}: {why}, and they are not cached yet; they are "
            "fetched once, so run once where the internet is reachable, or give --clip-checkpoint PATH "
            "(a local open_clip weights file)"
        )


def _cached(cfg: dict[str, Any], hub: str) -> bool:
    if hub:
        from huggingface_hub import try_to_load_from_cache

        repo, filename = os.path.split(hub)
        names = [filename] if filename else ["open_clip_model.safetensors", "open_clip_pytorch_model.bin"]
        return any(isinstance(try_to_load_from_cache(repo, n), str) for n in names)
    url = cfg.get("url", "")
    return bool(url) and (Path.home() / ".cache" / "clip" / os.path.basename(urlparse(url).path)).is_file()


def _reachable(host: str, port: int = 443, timeout: float = REACH_TIMEOUT_S) -> bool:
    """Whether a TCP connection to host opens within ``timeout`` (name lookup included, which
    ignores socket timeouts: hence the thread)."""
    result: list[bool] = []

    def connect() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            result.append(True)
        except OSError:
            result.append(False)

    t = threading.Thread(target=connect, daemon=True)
    t.start()
    t.join(timeout)
    return bool(result and result[0])


def wrap_model(name: str, model: Any, device: torch.device) -> ClipModel:
    """A ClipModel around an open_clip model already built (frozen, in eval mode, on ``device``).

    Its image tower gets the copy-free attention and patch embedding of ``fast_vit`` (the same function).
    """
    import open_clip

    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    speed_up(model.visual)
    cfg = model.visual.preprocess_cfg
    size = cfg["size"]
    if isinstance(size, (tuple, list)):
        if size[0] != size[1]:
            raise ClipError(f"CLIP model {name}: non-square input {tuple(size)} is not supported")
        size = size[0]
    return ClipModel(
        name=name,
        model=model,
        tokenizer=open_clip.get_tokenizer(name),
        image_size=int(size),
        mean=torch.tensor(cfg["mean"], dtype=torch.float32, device=device).reshape(3, 1, 1),
        std=torch.tensor(cfg["std"], dtype=torch.float32, device=device).reshape(3, 1, 1),
        interpolation=str(cfg.get("interpolation", "bicubic")),
        device=device,
    )


@contextlib.contextmanager
def quiet_logs() -> Iterator[None]:
    """open_clip and the hub log every retry and failure; the error we raise says it once."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(previous)


def _source(pretrained: str | None, checkpoint: str | None) -> str:
    return f"tag {pretrained!r}" if pretrained else f"checkpoint {Path(checkpoint or '').name!r}"


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0][:300] if text else type(e).__name__

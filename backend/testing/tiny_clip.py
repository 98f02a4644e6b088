"""A tiny CLIP with random weights: a TEST AND BENCHMARK DOUBLE of real CLIP weights (none can be
downloaded here). It goes through the same loading path as real weights: an open_clip model-config
JSON and a checkpoint file of its state dict. torch and open_clip are imported when it is made."""

from __future__ import annotations

import json
from pathlib import Path

# An open_clip model config small enough to build and run in a fraction of a second.
TINY_CLIP_CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "head_width": 32, "patch_size": 16},
    "text_cfg": {"context_length": 32, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


def make_tiny_clip(folder: Path) -> tuple[Path, Path]:
    """Write the tiny CLIP's config JSON and a checkpoint of its random weights; return both paths."""
    import open_clip
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "tiny-clip-test.json"
    config.write_text(json.dumps(TINY_CLIP_CONFIG), encoding="utf-8")
    open_clip.add_model_config(config)
    torch.manual_seed(0)
    model = open_clip.create_model("tiny-clip-test")
    checkpoint = folder / "tiny-clip-test.pt"
    torch.save(model.state_dict(), checkpoint)
    return config, checkpoint

"""The reward: the one scoring entry point the drawing pipeline, the learning loop and the CLI share.

For each sketch: render it from ``views`` cameras (``threedraw.rendering.camera``), score every
view with CLIP against the prompt (``threedraw.scoring.clip``; r_CLIP = the mean cosine over views,
the paper's reward), and measure its structure (``threedraw.scoring.structure``). The reward is::

    reward = clip_mean + structure_weight * structure.total     (CLIP configured)
    reward = structure.total                                    (no CLIP weights configured)

``structure_weight`` (lambda) defaults to 0, the paper's reward. Without CLIP weights
(``ScoreConfig.has_clip`` is False) ``clip_mean`` is None and the structure total alone ranks
the sketches, so the learning loop still runs, on what it can measure. An empty sketch scores 0
(clip_mean 0.0 with CLIP) and is never rendered.

torch and open_clip are imported on first use, so building a command's parser stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..rendering.camera import DEFAULT_SIZE, DEFAULT_VIEWS, MAX_SIZE, MAX_VIEWS, MIN_SIZE, check_range
from ..shared.results.score import Score
from ..shared.sketch import Sketch
from .structure import structure_score

MAX_STRUCTURE_WEIGHT = 100.0
PRECISIONS = ("auto", "fp32", "bf16")  # auto: reduced precision where the hardware does it natively
RENDER_BATCH = 16  # sketches rendered and encoded together (of one prompt or several)


@dataclass
class ScoreConfig:
    clip_model: str = "ViT-B-32"  # open_clip name or path to a model-config JSON
    clip_pretrained: str | None = None  # open_clip pretrained tag
    clip_checkpoint: str | None = None  # local weights file
    views: int = DEFAULT_VIEWS
    size: int = DEFAULT_SIZE
    structure_weight: float = 0.0  # lambda
    precision: str = "auto"  # CLIP image encoding: fp32, bf16, or auto (see threedraw.scoring.clip)

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision {self.precision!r}: expected one of {', '.join(PRECISIONS)}")
        check_range("views", self.views, 1, MAX_VIEWS, integer=True)
        check_range("size", self.size, MIN_SIZE, MAX_SIZE, integer=True)
        check_range("structure weight", self.structure_weight, 0.0, MAX_STRUCTURE_WEIGHT)
        if self.clip_pretrained and self.clip_checkpoint:
            raise ValueError("give either a CLIP pretrained tag or a CLIP checkpoint file, not both")

    @property
    def has_clip(self) -> bool:
        """Whether CLIP weights are configured (a pretrained tag or a checkpoint file)."""
        return bool(self.clip_pretrained or self.clip_checkpoint)


# A sketch's score, the type that crosses to the add-on (shared/results/score.py).
SketchScore = Score


def score_sketches(sketches: Sequence[Sketch], prompt: str, config: ScoreConfig) -> list[SketchScore]:
    """Score every sketch against the prompt (see the module docstring for the reward)."""
    return score_groups([(list(sketches), prompt)], config)[0]


def score_groups(
    groups: Sequence[tuple[Sequence[Sketch], str]], config: ScoreConfig
) -> list[list[SketchScore]]:
    """``score_sketches`` for several (sketches, prompt) groups at once: their views are rendered and
    CLIP-encoded together (one image pass for all), each prompt's text embedding once."""
    flat = [(s, prompt) for sketches, prompt in groups for s in sketches]
    clip: list[list[float] | None] = [None] * len(flat)
    if config.has_clip and flat:
        clip = _clip_scores(flat, config)
    out = []
    for (sketch, _), views in zip(flat, clip):
        st = structure_score(sketch)
        if views is None:
            out.append(SketchScore(clip_mean=None, clip_per_view=[], structure=st, reward=st.total))
        else:
            mean = sum(views) / len(views)
            out.append(
                SketchScore(
                    clip_mean=mean,
                    clip_per_view=views,
                    structure=st,
                    reward=mean + config.structure_weight * st.total,
                )
            )
    result, i = [], 0
    for sketches, _ in groups:
        result.append(out[i : i + len(sketches)])
        i += len(sketches)
    return result


def _clip_scores(flat: Sequence[tuple[Sketch, str]], config: ScoreConfig) -> list[list[float] | None]:
    import torch

    from ..rendering.camera import CameraRig
    from ..rendering.rasteriser import RenderConfig, render_passes
    from .clip import load_clip

    model = load_clip(config.clip_model, config.clip_pretrained, config.clip_checkpoint)
    cameras = CameraRig(views=config.views).cameras(device=model.device)
    scores: list[list[float] | None] = [[0.0] * config.views for _ in flat]  # empty sketches stay 0
    drawn = [i for i, (s, _) in enumerate(flat) if s.strokes]
    with torch.no_grad():
        passes = render_passes(
            [flat[i][0] for i in drawn],
            cameras,
            RenderConfig(size=config.size),
            device=model.device,
            max_sketches=RENDER_BATCH,
        )
        for s0, v0, images in passes:
            which = drawn[s0 : s0 + images.shape[0]]
            feats = model.image_embeddings(images.unsqueeze(2), config.precision)  # [b, v, D]
            texts = torch.stack([model.encode_text(flat[i][1]) for i in which]).to(feats.dtype)  # [b, D]
            sims = torch.einsum("bvd,bd->bv", feats, texts).double().cpu().tolist()
            for i, row in zip(which, sims):
                scores[i][v0 : v0 + len(row)] = row  # type: ignore[index]
    return scores

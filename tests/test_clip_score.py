"""CLIP scoring: loading through open_clip's own paths, equality with a direct open_clip
computation, caching, and a clear message for every way the weights can be missing."""

from __future__ import annotations

import json

import open_clip
import pytest
import torch
import torch.nn.functional as F

from clip_fixtures import TINY_CLIP_CONFIG, chair, make_tiny_clip, random_sketch
from threedraw.rendering.camera import CameraRig
from threedraw.rendering.rasteriser import RenderConfig, render_sketches
from threedraw.scoring.clip import ClipError, ClipUnavailable, load_clip
from threedraw.scoring.reward import ScoreConfig, score_sketches
from threedraw.shared.sketch import Sketch

PROMPT = "a wooden chair"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_clip(tmp_path_factory.mktemp("tiny_clip"))


@pytest.fixture(scope="module")
def direct(tiny):
    """The same weights, loaded and applied with open_clip's own code, none of ours."""
    config, checkpoint = tiny
    model, _, preprocess = open_clip.create_model_and_transforms(config.stem, pretrained=str(checkpoint))
    model.eval()
    tokenizer = open_clip.get_tokenizer(config.stem)

    def similarity(images: torch.Tensor, text: str) -> torch.Tensor:  # images [N, 3, H, W]
        with torch.no_grad():
            img = F.normalize(model.encode_image(torch.stack([preprocess(im) for im in images])), dim=-1)
            txt = F.normalize(model.encode_text(tokenizer([text])), dim=-1)
        return (img @ txt.T)[:, 0]

    return similarity


def _grey_to_rgb(images: torch.Tensor) -> torch.Tensor:
    return images.reshape(-1, 1, *images.shape[-2:]).expand(-1, 3, -1, -1)


def test_loading_a_config_and_checkpoint_goes_through_open_clip_and_is_cached(tiny):
    config, checkpoint = tiny
    model = load_clip(str(config), checkpoint=str(checkpoint), device="cpu")
    assert model.name == config.stem and model.image_size == TINY_CLIP_CONFIG["vision_cfg"]["image_size"]
    assert load_clip(str(config), checkpoint=str(checkpoint), device="cpu") is model
    # The checkpoint's weights, not a fresh random init.
    saved = torch.load(checkpoint, weights_only=True)
    assert torch.equal(model.model.state_dict()["visual.conv1.weight"], saved["visual.conv1.weight"])


@pytest.mark.parametrize("size", [64, 96])  # the model's own input size, and a resize
def test_scores_equal_a_direct_open_clip_computation(tiny, direct, size):
    config, checkpoint = tiny
    model = load_clip(str(config), checkpoint=str(checkpoint), device="cpu")
    images = render_sketches(
        [chair(), random_sketch(9, seed=4)], CameraRig(views=4).cameras(), RenderConfig(size=size)
    )  # [2, 4, H, W] grey
    with torch.no_grad():
        ours = model.similarity(images.unsqueeze(2), PROMPT)
    assert ours.shape == (2, 4)
    expected = direct(_grey_to_rgb(images), PROMPT).reshape(2, 4)
    assert torch.allclose(ours, expected, atol=1e-5, rtol=0)
    assert ours.std() > 0  # different views really score differently


def test_score_sketches_reports_per_view_and_mean_clip(tiny, direct):
    config, checkpoint = tiny
    cfg = ScoreConfig(
        clip_model=str(config),
        clip_checkpoint=str(checkpoint),
        views=3,
        size=64,
        structure_weight=0.5,
        precision="fp32",
    )  # as open_clip computes it
    sketches = [chair(), random_sketch(6, seed=1)]
    scores = score_sketches(sketches, PROMPT, cfg)
    images = render_sketches(sketches, CameraRig(views=3).cameras(), RenderConfig(size=64))
    expected = direct(_grey_to_rgb(images), PROMPT).reshape(2, 3)  # 3 views: not mistaken for RGB
    for score, row in zip(scores, expected):
        assert score.clip_per_view == pytest.approx(row.tolist(), abs=1e-5)
        assert score.clip_mean == pytest.approx(row.mean().item(), abs=1e-5)
        assert score.reward == pytest.approx(score.clip_mean + 0.5 * score.structure.total)
    d = scores[0].to_dict()
    assert set(d) == {"clip_mean", "clip_per_view", "structure", "reward"}
    json.dumps(d)


def test_scores_do_not_depend_on_how_rendering_is_split(tiny, monkeypatch):
    import threedraw.rendering.rasteriser

    config, checkpoint = tiny
    cfg = ScoreConfig(clip_model=str(config), clip_checkpoint=str(checkpoint), views=5, size=64)
    sketches = [chair(), random_sketch(6, seed=1), random_sketch(4, seed=2)]
    whole = score_sketches(sketches, PROMPT, cfg)
    monkeypatch.setattr(threedraw.rendering.rasteriser, "MAX_PIXELS", 2 * 64 * 64)  # two views per pass
    split = score_sketches(sketches, PROMPT, cfg)
    for a, b in zip(whole, split):
        assert b.clip_per_view == pytest.approx(a.clip_per_view, abs=1e-6) and len(b.clip_per_view) == 5


def test_empty_sketches_score_zero_next_to_drawn_ones(tiny):
    config, checkpoint = tiny
    cfg = ScoreConfig(clip_model=str(config), clip_checkpoint=str(checkpoint), views=2, size=64)
    empty, drawn = score_sketches([Sketch(prompt="x"), chair()], PROMPT, cfg)
    assert empty.clip_mean == 0.0 and empty.clip_per_view == [0.0, 0.0] and empty.reward == 0.0
    assert drawn.clip_mean != 0.0


def test_images_need_a_channel_axis(tiny):
    config, checkpoint = tiny
    model = load_clip(str(config), checkpoint=str(checkpoint), device="cpu")
    with pytest.raises(ValueError, match="1 or 3"):
        model.similarity(torch.ones(2, 4, 64, 64), PROMPT)


def test_similarity_is_differentiable_through_the_renderer(tiny):
    config, checkpoint = tiny
    model = load_clip(str(config), checkpoint=str(checkpoint), device="cpu")
    from threedraw.rendering.rasteriser import render, sketches_to_tensor

    points, mask = sketches_to_tensor([chair()])
    points.requires_grad_(True)
    images = render(points, CameraRig(views=2).cameras(), RenderConfig(size=64), mask)
    model.similarity(images.unsqueeze(2), PROMPT).mean().backward()
    assert torch.isfinite(points.grad).all() and points.grad.abs().sum() > 0


def test_no_weights_is_a_clear_how_to():
    with pytest.raises(ClipUnavailable) as err:
        load_clip("ViT-B-32")
    msg = str(err.value)
    assert "--clip-pretrained" in msg and "--clip-checkpoint" in msg


def test_download_failure_says_what_to_do(monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # no network in tests
    with pytest.raises(ClipUnavailable, match="could not download.*--clip-checkpoint"):
        load_clip("ViT-B-32", pretrained="openai", device="cpu")


def test_bad_configurations_are_named(tiny, tmp_path):
    config, checkpoint = tiny
    with pytest.raises(ClipUnavailable, match="not a file"):
        load_clip(str(config), checkpoint=str(tmp_path / "missing.pt"))
    with pytest.raises(ClipError, match="unknown CLIP model 'ViT-Z-99'"):
        load_clip("ViT-Z-99", checkpoint=str(checkpoint))
    with pytest.raises(ClipError, match="unknown pretrained tag 'nope'"):
        load_clip(str(config), pretrained="nope")
    with pytest.raises(ClipError, match="not both"):
        load_clip(str(config), pretrained="openai", checkpoint=str(checkpoint))
    bad_json = tmp_path / "broken.json"
    bad_json.write_text("{not json", encoding="utf-8")
    with pytest.raises(ClipError, match="broken.json: not readable JSON"):
        load_clip(str(bad_json), checkpoint=str(checkpoint))
    not_a_config = tmp_path / "other.json"
    not_a_config.write_text(json.dumps({"embed_dim": 8}), encoding="utf-8")
    with pytest.raises(ClipError, match="missing vision_cfg, text_cfg"):
        load_clip(str(not_a_config), checkpoint=str(checkpoint))
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"this is not a checkpoint")
    with pytest.raises(ClipError, match="could not load CLIP"):
        load_clip(str(config), checkpoint=str(garbage))


def test_a_checkpoint_for_another_model_is_refused(tiny, tmp_path):
    config, _ = tiny
    other = dict(TINY_CLIP_CONFIG, embed_dim=16)
    other_config = tmp_path / "tiny-other.json"
    other_config.write_text(json.dumps(other), encoding="utf-8")
    open_clip.add_model_config(other_config)
    wrong = tmp_path / "wrong.pt"
    torch.save(open_clip.create_model("tiny-other").state_dict(), wrong)
    with pytest.raises(ClipError, match="could not load CLIP tiny-clip-test"):
        load_clip(str(config), checkpoint=str(wrong))


def ranking_sketches() -> list[Sketch]:
    """A fixed set of rendered sketches: a chair, two boxes, and random curves from sparse to dense."""
    from clip_fixtures import box_edges

    return [
        chair(),
        Sketch.from_points("a box", box_edges([-0.8] * 3, [0.8] * 3)),
        Sketch.from_points("a small box", box_edges([-0.2] * 3, [0.2] * 3)),
        *[random_sketch(n, seed=10 * n) for n in (24, 48, 96)],
    ]


def test_reduced_precision_changes_no_ranking(tiny):
    """bfloat16 image encoding (what --precision auto uses on a CPU with AVX-512 BF16 or AMX):
    every reward within 0.002 of float32, the same best and the same worst sketch."""
    from dataclasses import replace

    config, checkpoint = tiny
    fp32 = ScoreConfig(
        clip_model=str(config), clip_checkpoint=str(checkpoint), views=8, size=224, precision="fp32"
    )
    sketches = ranking_sketches()
    exact = [s.reward for s in score_sketches(sketches, PROMPT, fp32)]
    reduced = [s.reward for s in score_sketches(sketches, PROMPT, replace(fp32, precision="bf16"))]
    assert max(abs(a - b) for a, b in zip(exact, reduced)) < 0.002
    assert exact != reduced  # it did run in bfloat16
    assert exact.index(max(exact)) == reduced.index(max(reduced))
    assert exact.index(min(exact)) == reduced.index(min(reduced))


def test_precision_auto_uses_bfloat16_only_where_the_cpu_has_it():
    from threedraw.scoring.clip import cpu_has_native_bf16, reduced_dtype

    cpu = torch.device("cpu")
    assert reduced_dtype(cpu, "fp32") is None and reduced_dtype(cpu, "bf16") is torch.bfloat16
    flags = open("/proc/cpuinfo").read()
    native = "avx512_bf16" in flags or "amx_bf16" in flags
    assert cpu_has_native_bf16() is native
    assert reduced_dtype(cpu, "auto") is (torch.bfloat16 if native else None)
    with pytest.raises(ValueError, match="precision 'fp16': expected one of auto, fp32, bf16"):
        ScoreConfig(precision="fp16")

"""fast_vit's attention and patch embedding compute what torch's own modules compute, gradients included."""

from __future__ import annotations

import copy

import open_clip
import pytest
import torch
from torch import nn

from threedraw.scoring.fast_vit import speed_up
from threedraw.testing.tiny_clip import TINY_CLIP_CONFIG, make_tiny_clip


@pytest.fixture(scope="module")
def towers(tmp_path_factory):
    """The tiny CLIP's image tower twice: as open_clip builds it, and with fast_vit's forwards."""
    make_tiny_clip(tmp_path_factory.mktemp("clip"))
    torch.manual_seed(0)
    plain = open_clip.create_model("tiny-clip-test").visual.eval()
    fast = copy.deepcopy(plain)
    done = speed_up(fast)
    return plain, fast, done


def test_every_attention_and_the_patch_embedding_are_replaced(towers):
    plain, fast, done = towers
    assert done == TINY_CLIP_CONFIG["vision_cfg"]["layers"] + 1  # one attention per block, one conv1
    assert fast.state_dict().keys() == plain.state_dict().keys()
    assert all(type(a) is type(b) for a, b in zip(fast.modules(), plain.modules()))


def test_the_same_embeddings_and_input_gradients(towers):
    plain, fast, _ = towers
    torch.manual_seed(1)
    x = torch.randn(3, 3, 64, 64)
    grads, outs = [], []
    for tower in (plain, fast):
        xi = x.clone().requires_grad_(True)
        out = tower(xi)
        (out * torch.linspace(-1, 1, out.shape[-1])).sum().backward()
        outs.append(out.detach())
        grads.append(xi.grad)
    assert torch.allclose(outs[0], outs[1], atol=1e-5, rtol=1e-4)
    assert torch.allclose(grads[0], grads[1], atol=1e-6, rtol=1e-4)
    assert grads[1].abs().sum() > 0


def test_what_it_does_not_cover_goes_through_torch(towers):
    _, fast, _ = towers
    attn = next(m for m in fast.modules() if isinstance(m, nn.MultiheadAttention))
    q, kv = torch.randn(2, 5, attn.embed_dim), torch.randn(2, 7, attn.embed_dim)
    out, weights = attn(q, kv, kv)  # cross-attention, weights asked for
    want, want_weights = nn.MultiheadAttention.forward(attn, q, kv, kv)
    assert torch.equal(out, want) and torch.equal(weights, want_weights) and weights.shape == (2, 5, 7)
    conv = fast.conv1
    odd = torch.randn(1, 3, 40, 40)  # not a whole number of patches
    assert torch.equal(conv(odd), nn.Conv2d.forward(conv, odd))

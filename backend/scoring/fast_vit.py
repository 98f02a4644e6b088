"""The same image tower, computed without the copies that made its backward pass 15x slower on a CPU.

open_clip's ViT blocks call ``nn.MultiheadAttention`` with batch-first input, which transposes it
to [L, N, E] as a strided view; ``F.linear`` on that view cannot fold the batch into one matrix
product, so torch expands the projection weights to one copy per token (L x 768 x 2304 for
ViT-B-32) in the forward and again in the backward pass: 10 s of a 10.5 s polish step on 2 cores.
``speed_up`` gives every such self-attention a forward that projects the batch-first input in one
matrix product and calls ``scaled_dot_product_attention`` directly, and every patch embedding (a
convolution whose stride is its kernel) one that multiplies the image's patches by the flattened
kernel, whose backward is a plain matrix product too. Both compute the same function with the same
parameters (state-dict keys and module types unchanged); anything else (cross-attention, a
boolean or per-head mask, attention weights asked for) still goes through torch's own forward.
"""

from __future__ import annotations

import types
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


def speed_up(tower: nn.Module) -> int:
    """Install the fast forwards on ``tower``'s attention and patch-embedding modules; how many."""
    done = 0
    for module in tower.modules():
        if isinstance(module, nn.MultiheadAttention) and _plain_self_attention(module):
            module.forward = types.MethodType(_self_attention, module)  # type: ignore[method-assign]
            done += 1
        elif isinstance(module, nn.Conv2d) and _patchify(module):
            module.forward = types.MethodType(_patch_embedding, module)  # type: ignore[method-assign]
            done += 1
    return done


def _plain_self_attention(m: nn.MultiheadAttention) -> bool:
    return bool(
        m.batch_first
        and m._qkv_same_embed_dim
        and m.in_proj_weight is not None
        and m.bias_k is None
        and m.bias_v is None
        and not m.add_zero_attn
    )


def _self_attention(
    self: nn.MultiheadAttention,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    key_padding_mask: torch.Tensor | None = None,
    need_weights: bool = True,
    attn_mask: torch.Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[torch.Tensor, Any]:
    plain = (
        key is query
        and value is query
        and query.dim() == 3
        and key_padding_mask is None
        and not need_weights
        and not is_causal
        and (attn_mask is None or (attn_mask.dim() == 2 and attn_mask.is_floating_point()))
    )
    if not plain:
        return nn.MultiheadAttention.forward(
            self,
            query,
            key,
            value,
            key_padding_mask,
            need_weights,
            attn_mask,
            average_attn_weights,
            is_causal,
        )
    n, length, width = query.shape
    heads = self.num_heads
    qkv = F.linear(query, self.in_proj_weight, self.in_proj_bias)  # one [N*L, E] x [E, 3E] product
    q, k, v = qkv.view(n, length, 3, heads, width // heads).permute(2, 0, 3, 1, 4)  # 3 x [N, H, L, E/H]
    dropout = self.dropout if self.training else 0.0
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, dropout_p=dropout)
    return self.out_proj(out.transpose(1, 2).reshape(n, length, width)), None


def _patchify(m: nn.Conv2d) -> bool:
    return bool(
        m.stride == m.kernel_size
        and m.padding in (0, (0, 0))
        and m.dilation == (1, 1)
        and m.groups == 1
        and m.padding_mode == "zeros"
    )


def _patch_embedding(self: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    kh, kw = self.kernel_size
    if x.dim() != 4 or x.shape[-2] % kh or x.shape[-1] % kw:
        return nn.Conv2d.forward(self, x)
    n, c, h, w = x.shape
    patches = x.reshape(n, c, h // kh, kh, w // kw, kw).permute(0, 2, 4, 1, 3, 5).reshape(n, -1, c * kh * kw)
    out = F.linear(patches, self.weight.reshape(self.out_channels, -1), self.bias)  # [N, patches, D]
    return out.transpose(1, 2).reshape(n, self.out_channels, h // kh, w // kw)

"""Causal self-attention (bf16, FlashAttention-shaped)

softmax(q @ k^T / sqrt(D) + causal mask) @ v for q, k, v [B, H, S, D] in bf16, written out in plain
PyTorch (scores, mask, softmax and P @ V in fp32; bf16 output): the core of every decoder LLM and the
workload of FlashAttention kernels.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        seq, dim = q.shape[-2], q.shape[-1]
        scores = torch.matmul(q.float(), k.float().transpose(-2, -1)) * (1.0 / math.sqrt(dim))
        future = torch.ones(seq, seq, dtype=torch.bool, device=q.device).triu(1)
        scores = scores.masked_fill(future, float("-inf"))
        probs = torch.softmax(scores, dim=-1)
        return torch.matmul(probs, v.float()).to(q.dtype)


def get_init_inputs() -> list:
    return []


def _make(b: int, h: int, s: int, d: int) -> list:
    # q and k are drawn with std 1.5 so scores have std ~2.25: attention is peaked like a trained
    # model's rather than a near-uniform average (whose output would be tiny at long sequences).
    q = (torch.randn(b, h, s, d) * 1.5).to(torch.bfloat16)
    k = (torch.randn(b, h, s, d) * 1.5).to(torch.bfloat16)
    v = torch.randn(b, h, s, d).to(torch.bfloat16)
    return [q, k, v]


def get_inputs() -> list:
    return _make(8, 16, 2048, 128)


# (B, H, S, D): single-token, ragged and non-power-of-two sequences; head dims 16..128 incl. 80.
_FUZZ_SHAPES = [
    (1, 1, 1, 64),
    (1, 2, 3, 64),
    (2, 3, 17, 32),
    (1, 4, 37, 80),
    (2, 2, 129, 64),
    (1, 2, 200, 128),
    (3, 5, 33, 16),
    (1, 1, 512, 128),
]


def get_fuzz_inputs(seed: int) -> list:
    return _make(*_FUZZ_SHAPES[seed % len(_FUZZ_SHAPES)])


def get_flops(inputs: list) -> float:
    q = inputs[0]
    b, h, s, d = q.shape
    # QK^T and PV, 2 flops per multiply-add each, over the s*(s+1)/2 unmasked (query, key) pairs.
    return 4.0 * b * h * d * s * (s + 1) / 2.0

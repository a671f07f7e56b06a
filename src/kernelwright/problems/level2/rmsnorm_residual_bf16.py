"""Fused residual add + RMSNorm (bf16)

h = x + residual; returns (rmsnorm(h) * weight, h) in bf16, with the sum and the statistic in fp32:
the fused_add_rms_norm between sublayers of Llama-style inference engines (vLLM, TensorRT-LLM).
"""

from __future__ import annotations

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps

    def forward(
        self, x: torch.Tensor, residual: torch.Tensor, weight: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        h = x.float() + residual.float()
        normed = h * torch.rsqrt(h.pow(2).mean(dim=-1, keepdim=True) + self.eps)
        out = (normed * weight.float()).to(x.dtype)
        return out, h.to(x.dtype)


def get_init_inputs() -> list:
    return [1e-6]


def _make(shape: tuple[int, ...]) -> list:
    x = torch.randn(*shape).to(torch.bfloat16)
    residual = torch.randn(*shape).to(torch.bfloat16)
    weight = (torch.randn(shape[-1]) * 0.1 + 1.0).to(torch.bfloat16)
    return [x, residual, weight]


def get_inputs() -> list:
    return _make((8192, 4096))


# Hidden sizes from 3 to 8192: ragged, non-power-of-two and rank 3.
_FUZZ_SHAPES = [(1, 3), (4, 37), (3, 129), (17, 1000), (2, 4097), (64, 768), (2, 5, 96), (8, 8192)]


def get_fuzz_inputs(seed: int) -> list:
    return _make(_FUZZ_SHAPES[seed % len(_FUZZ_SHAPES)])

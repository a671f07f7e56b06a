"""RMSNorm (last dim, fp32)

x * rsqrt(mean(x^2) + eps) * weight over the last dimension in fp32, as in Llama (weight passed as
an input).
"""

from __future__ import annotations

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(dim=-1, keepdim=True) + self.eps)
        return weight * xf.to(x.dtype)


def get_init_inputs() -> list:
    return [1e-6]


def _make(shape: tuple[int, ...]) -> list:
    return [torch.randn(*shape), torch.randn(shape[-1]) * 0.1 + 1.0]


def get_inputs() -> list:
    return _make((8192, 4096))


# Hidden sizes from 3 to 8192: ragged, non-power-of-two and rank 3.
_FUZZ_SHAPES = [(1, 3), (4, 37), (3, 129), (17, 1000), (2, 4097), (64, 768), (2, 5, 96), (8, 8192)]


def get_fuzz_inputs(seed: int) -> list:
    return _make(_FUZZ_SHAPES[seed % len(_FUZZ_SHAPES)])

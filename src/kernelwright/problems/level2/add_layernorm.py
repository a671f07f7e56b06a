"""Residual add + LayerNorm (fp32)

layer_norm(x + residual) * weight + bias over the last dimension in fp32: the post-norm residual
junction of BERT-style encoders, fusing the add into the norm.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Model(nn.Module):
    def __init__(self, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps

    def forward(
        self, x: torch.Tensor, residual: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor
    ) -> torch.Tensor:
        return F.layer_norm(x + residual, (x.shape[-1],), weight, bias, self.eps)


def get_init_inputs() -> list:
    return [1e-5]


def _make(shape: tuple[int, ...]) -> list:
    hidden = shape[-1]
    x = torch.randn(*shape)
    residual = torch.randn(*shape)
    weight = torch.randn(hidden) * 0.1 + 1.0
    bias = torch.randn(hidden) * 0.1
    return [x, residual, weight, bias]


def get_inputs() -> list:
    return _make((8192, 4096))


# Hidden sizes from 3 to 8192: ragged, non-power-of-two and rank 3.
_FUZZ_SHAPES = [(1, 3), (4, 37), (3, 129), (17, 1000), (2, 4097), (64, 768), (2, 5, 96), (8, 8192)]


def get_fuzz_inputs(seed: int) -> list:
    return _make(_FUZZ_SHAPES[seed % len(_FUZZ_SHAPES)])

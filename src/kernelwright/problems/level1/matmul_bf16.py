"""Matmul (bf16, 4096 x 4096 x 4096)

C = A @ B for square bf16 matrices (fp32 accumulation, bf16 output): the tensor-core GEMM of
mixed-precision training and inference.
"""

from __future__ import annotations

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.matmul(a, b)


def get_init_inputs() -> list:
    return []


def _make(m: int, k: int, n: int) -> list:
    # B is scaled by 1/sqrt(K) so that C is O(1) whatever K is.
    a = torch.randn(m, k).to(torch.bfloat16)
    b = (torch.randn(k, n) * k**-0.5).to(torch.bfloat16)
    return [a, b]


def get_inputs() -> list:
    return _make(4096, 4096, 4096)


# (M, K, N): tiny, ragged, non-power-of-two; every operand <= 64K elements.
_FUZZ_SHAPES = [
    (1, 1, 1),
    (1, 37, 3),
    (3, 129, 5),
    (37, 65, 29),
    (64, 64, 64),
    (100, 33, 257),
    (129, 200, 127),
    (256, 256, 256),
]


def get_fuzz_inputs(seed: int) -> list:
    return _make(*_FUZZ_SHAPES[seed % len(_FUZZ_SHAPES)])


def get_flops(inputs: list) -> float:
    a, b = inputs[0], inputs[1]
    return 2.0 * a.shape[0] * a.shape[1] * b.shape[1]

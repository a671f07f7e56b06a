"""GELU (tanh approximation)

Elementwise 0.5*x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x^3))) in fp32, i.e. F.gelu(x, approximate="tanh"):
the activation of GPT-2-style MLPs. Not the exact erf GELU.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(x, approximate="tanh")


def get_init_inputs() -> list:
    return []


def get_inputs() -> list:
    return [torch.randn(8192, 4096)]


_FUZZ_SHAPES = [(1,), (3,), (1, 37), (7, 129), (1000,), (3, 4097), (5, 3, 1000), (256, 256)]


def get_fuzz_inputs(seed: int) -> list:
    shape = _FUZZ_SHAPES[seed % len(_FUZZ_SHAPES)]
    # Wider than randn so the tails (where tanh saturates) are exercised too.
    return [torch.randn(*shape) * 3.0]
